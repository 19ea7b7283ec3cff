"""
The term-dates screen, for the office and the head: one academic year's terms, half-terms, INSET days and
closures, typed in or read from a file (shown filled in to check, saved only with Save), and the same
dates as a CSV to keep or to edit and read back.
"""

import csv
from datetime import date

from django.contrib import messages
from django.http import Http404
from django.shortcuts import redirect, render
from django.utils import timezone
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from esafety.access import capability_required
from esafety.calendar import academic_year_start
from esafety.csv_export import csv_response, csv_safe
from esafety.models import AcademicYear, SchoolClosure
from esafety.roles import Capability
from esafety.terms.calendar import ONE_DAY, SchoolCalendar, uk_date, year_label
from esafety.terms.forms import ClosureFormSet, TermDatesForm, TermDatesImportForm, imported_form_data
from esafety.terms.imports import CSV_COLUMNS, MAX_FILE_BYTES, TermDatesFileError, imported_dates, read_term_dates_file
from esafety.terms.selectors import school_calendar, term_dates_history
from esafety.terms.services import term_dates_save

# The years the screen offers: a few back (to put right what trends compare) and the next two.
YEARS_BACK, YEARS_AHEAD = 5, 2


def _this_year() -> int:
    return academic_year_start(timezone.localdate())


def _year_or_404(start_year: int) -> int:
    if not _this_year() - YEARS_BACK <= start_year <= _this_year() + YEARS_AHEAD:
        raise Http404("Term dates are kept for the last few years and the next two.")
    return start_year


@require_GET
@capability_required(Capability.MANAGE_TERM_DATES)
def term_dates_current(request):
    return redirect("terms:term_dates", start_year=_this_year())


@require_http_methods(["GET", "POST"])
@capability_required(Capability.MANAGE_TERM_DATES)
def term_dates(request, start_year):
    _year_or_404(start_year)
    school = request.access.school
    calendar = school_calendar(school, start_year)
    year = calendar.year(start_year)
    data = request.POST if request.method == "POST" else None
    form = TermDatesForm(data, start_year=start_year, initial=TermDatesForm.initial_for(year))
    closures = ClosureFormSet(data, prefix="closures", start_year=start_year, initial=ClosureFormSet.initial_for(year.closures))
    if data is not None and form.is_valid() and closures.is_valid():
        saved = term_dates_save(
            school=school,
            academic_year=AcademicYear.objects.for_date(date(start_year, 9, 1)),
            terms=form.terms(),
            closures=closures.closures(),
            actor=request.user,
        )
        if saved.changed:
            messages.success(request, f"The term dates for {year_label(start_year)} have been saved.")
        else:
            messages.info(request, f"Nothing had changed: the term dates for {year_label(start_year)} are as they were.")
        return redirect("terms:term_dates", start_year=start_year)
    return _page(request, calendar, start_year, form, closures, TermDatesImportForm(), status=200 if data is None else 400)


@require_POST
@capability_required(Capability.MANAGE_TERM_DATES)
def term_dates_import(request, start_year):
    """Read a CSV or .ics file and show the screen filled in with its dates, checked; nothing is saved until Save."""
    _year_or_404(start_year)
    calendar = school_calendar(request.access.school, start_year)
    year = calendar.year(start_year)
    upload = TermDatesImportForm(request.POST, request.FILES)
    found = None
    if upload.is_valid():
        file = upload.cleaned_data["file"]
        try:
            if file.size > MAX_FILE_BYTES:
                raise TermDatesFileError("The file is too large for a calendar: choose a file under 500 KB.")
            found = read_term_dates_file(file.name, file.read(), start_year)
        except TermDatesFileError as error:
            upload.add_error("file", str(error))
    if found is None or not found.found_anything():
        form = TermDatesForm(start_year=start_year, initial=TermDatesForm.initial_for(year))
        closures = ClosureFormSet(prefix="closures", start_year=start_year, initial=ClosureFormSet.initial_for(year.closures))
        if found is not None and not upload.errors:
            upload.add_error("file", f"Nothing for {year_label(start_year)} could be read from the file.")
        return _page(request, calendar, start_year, form, closures, upload, imported=found, status=400)
    data = imported_form_data(year, found)
    form = TermDatesForm(data, start_year=start_year)
    closures = ClosureFormSet(data, prefix="closures", start_year=start_year)
    # Checked now, so that the file's mistakes show beside their dates before anyone presses Save.
    form.is_valid()
    closures.is_valid()
    messages.info(
        request,
        f"Read {upload.cleaned_data['file'].name}: nothing is saved yet. Check the dates below, then save them.",
    )
    return _page(request, calendar, start_year, form, closures, TermDatesImportForm(), imported=found)


@require_GET
@capability_required(Capability.MANAGE_TERM_DATES)
def term_dates_csv(request, start_year):
    """The year's dates (the school's, or the default pattern's) in the import's CSV layout."""
    _year_or_404(start_year)
    year = school_calendar(request.access.school, start_year).year(start_year)
    response = csv_response(f"term-dates-{start_year}-{str(start_year + 1)[-2:]}.csv")
    writer = csv.writer(response)
    writer.writerow(CSV_COLUMNS)
    for term in year.terms:
        writer.writerow([term.label, uk_date(term.starts_on), uk_date(term.ends_on), ""])
        writer.writerow([f"{term.title} half-term", uk_date(term.half_term_starts_on), uk_date(term.half_term_ends_on), ""])
    for closure in year.closures:
        kind = "INSET" if closure.kind == SchoolClosure.Kind.INSET else "Closure"
        writer.writerow(csv_safe([kind, uk_date(closure.starts_on), uk_date(closure.ends_on), closure.description]))
    return response


def _page(request, calendar: SchoolCalendar, start_year, form, closures, import_form, *, imported=None, status=200):
    year = calendar.year(start_year)
    this_year = _this_year()
    summary = [
        {
            "term": term,
            "school_days": calendar.school_days_between(term.starts_on - ONE_DAY, term.ends_on),
        }
        for term in year.terms
    ]
    return render(
        request,
        "esafety/terms/term_dates.html",
        {
            "start_year": start_year,
            "label": year_label(start_year),
            "year": year,
            "summary": summary,
            "bank_holidays": calendar.bank_holidays_in_term(start_year),
            "form": form,
            "closures": closures,
            "import_form": import_form,
            "imported": imported,
            "imported_dates": imported_dates(imported) if imported else [],
            # Last year, this year and the next two, and the one shown if it is further back.
            "other_years": [
                (y, year_label(y)) for y in sorted({this_year - 1, *range(this_year, this_year + YEARS_AHEAD + 1), start_year})
            ],
            "this_year": this_year,
            "history": term_dates_history(request.access.school, start_year),
        },
        status=status,
    )
