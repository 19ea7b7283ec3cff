"""
A school's governors' report: the years and their versions, building a version, reading it (the lead's summary and
every section's tables and charts), writing the summary, publishing, the PDF, two years side by side, the threshold.

Governors (and every other reader who does not write the report) see published versions only: anything else is
"not found" for them. No page names a pupil or a member of staff.
"""

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import FileResponse, Http404
from django.shortcuts import redirect, render
from django.views.decorators.http import require_POST

from esafety.access import capability_required
from esafety.history import history_for
from esafety.progress import Progress, progress_response
from esafety.roles import Capability
from reports import selectors, services
from reports.build import TITLE
from reports.forms import BuildForm, CompareForm, NarrativeForm, ReportSettingsForm
from reports.models import ReportStatus, SchoolReport

C = Capability


def _add_errors(form, error: ValidationError) -> None:
    """A service's errors beside the fields they are about, the rest above the form."""
    if not hasattr(error, "error_dict"):
        form.add_error(None, error.messages)
        return
    for name, problems in error.message_dict.items():
        form.add_error(name if name in form.fields else None, problems)


def _to_detail(report: SchoolReport):
    return redirect("reports:report_detail", report_id=report.pk)


# --- The years and their versions -----------------------------------------------------------


def _list(request, *, build_form: BuildForm | None = None, status: int = 200):
    access = request.access
    context = {"years": selectors.report_years(access), "may_write": selectors.may_write(access)}
    if context["may_write"]:
        years, last = selectors.years_to_build()
        context["build_form"] = build_form or BuildForm(years=years, initial={"year": last.pk})
        context["last_year"] = last
    return render(request, "reports/list.html", context, status=status)


@capability_required(C.READ_GOVERNORS_REPORT)
def report_list(request):
    """Each academic year with its versions: every version for those who write the report, the published one for others."""
    return _list(request)


@require_POST
@capability_required(C.WRITE_GOVERNORS_REPORT)
def report_build(request):
    """A new version of the report for the year chosen, built in the background; its page shows the progress."""
    years, _ = selectors.years_to_build()
    form = BuildForm(request.POST, years=years)
    if not form.is_valid():
        return _list(request, build_form=form, status=400)
    year = form.cleaned_data["year"]
    try:
        report = services.report_request_build(school=request.access.school, year=year, actor=request.user)
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
        return redirect("reports:report_list")
    report.refresh_from_db(fields=["status"])
    if report.status == ReportStatus.BUILDING:
        messages.info(
            request, f"The report for {year} is being built. You can leave this page: it will be here when it is ready."
        )
    elif report.status == ReportStatus.DRAFT:
        messages.success(request, f"The report for {year} has been built: read it, write your summary, then publish it.")
    return _to_detail(report)


# --- One version ----------------------------------------------------------------------------


@capability_required(C.READ_GOVERNORS_REPORT)
def report_detail(request, report_id):
    report = selectors.get_report_or_404(request.access, report_id)
    writer = selectors.may_write(request.access)
    data = report.data if report.is_ready and isinstance(report.data, dict) else {}
    sections = data.get("sections") or []
    is_draft = report.status == ReportStatus.DRAFT
    context = {
        "report": report,
        "title": f"{data.get('title') or TITLE} {report.academic_year}",
        "sections": sections,
        "may_write": writer,
        "may_edit": writer and is_draft,
        "may_publish": writer and is_draft and bool(sections),
        "building": report.status == ReportStatus.BUILDING,
    }
    if context["building"]:
        context["progress"] = Progress.for_job(report).percent()
    return render(request, "reports/detail.html", context)


@capability_required(C.READ_GOVERNORS_REPORT)
def report_progress(request, report_id):
    """The progress bar, polled by htmx while the report is built; the page reloads once it has finished."""
    report = selectors.get_report_or_404(request.access, report_id)
    running = report.status == ReportStatus.BUILDING
    return progress_response(
        request,
        percent=Progress.for_job(report).percent(finished=not running),
        label=report.get_status_display(),
        running=running,
    )


@capability_required(C.WRITE_GOVERNORS_REPORT)
def report_narrative(request, report_id):
    """The lead's summary for governors, written on a draft."""
    report = selectors.get_report_or_404(request.access, report_id)
    if report.status != ReportStatus.DRAFT:
        messages.warning(request, "Only a draft's summary can be changed. Build the report again for a new draft.")
        return _to_detail(report)
    if request.method == "POST":
        form = NarrativeForm(request.POST)
        if form.is_valid():
            try:
                changed = services.report_save_narrative(
                    report=report, narrative=form.cleaned_data["narrative"], actor=request.user
                )
            except ValidationError as error:
                _add_errors(form, error)
            else:
                if changed:
                    messages.success(request, "Your summary has been saved.")
                else:
                    messages.info(request, "Nothing was changed.")
                return _to_detail(report)
    else:
        form = NarrativeForm(initial={"narrative": report.narrative})
    return render(request, "reports/narrative.html", {"report": report, "form": form}, status=400 if form.errors else 200)


@require_POST
@capability_required(C.WRITE_GOVERNORS_REPORT)
def report_publish(request, report_id):
    report = selectors.get_report_or_404(request.access, report_id)
    try:
        services.report_publish(report=report, actor=request.user)
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
    else:
        messages.success(request, f"The report for {report.academic_year} is published: the governors have been told.")
    return _to_detail(report)


@capability_required(C.READ_GOVERNORS_REPORT)
def report_pdf(request, report_id):
    """
    The PDF stored when the version was built (the same figures and charts as its page). It names nobody, so it is
    not written to the access log.
    """
    report = selectors.get_report_or_404(request.access, report_id)
    if report.pdf:
        try:
            stored = report.pdf.open("rb")
        except OSError:
            stored = None
        if stored is not None:
            filename = f"governors-report-{report.academic_year.label.replace('/', '-')}-v{report.version}.pdf"
            response = FileResponse(stored, content_type="application/pdf", as_attachment=True, filename=filename)
            response["Cache-Control"] = "private, no-store"
            return response
    messages.warning(request, "This version has no PDF: it is made when the report is built.")
    return _to_detail(report)


# --- Two years side by side -----------------------------------------------------------------


@capability_required(C.WRITE_GOVERNORS_REPORT)
def report_compare(request):
    """Two versions with figures (usually two years), each section's tables side by side (one above the other on a phone)."""
    reports = selectors.ready_reports_for(request.access)
    context = {"sections": None}
    if request.GET.get("first") and request.GET.get("second"):
        form = CompareForm(request.GET, reports=reports)
        if form.is_valid():
            first, second = form.cleaned_data["first"], form.cleaned_data["second"]
            context.update(first=first, second=second, sections=selectors.paired_sections(first.data, second.data))
        elif form.names_unknown_report():
            raise Http404("No such report to compare.")
    else:
        # From a report's page: that report first, the second to choose.
        form = CompareForm(reports=reports, initial={"first": request.GET.get("first", "")})
    context["form"] = form
    return render(request, "reports/compare.html", context, status=400 if form.errors else 200)


# --- Settings -------------------------------------------------------------------------------


@capability_required(C.WRITE_GOVERNORS_REPORT)
def report_settings(request):
    """The school's small-number threshold, for the reports built from now on."""
    settings = selectors.report_settings_for(request.access.school)
    if request.method == "POST":
        form = ReportSettingsForm(request.POST)
        if form.is_valid():
            try:
                changed = services.report_settings_save(
                    settings=settings, threshold=form.cleaned_data["threshold"], actor=request.user
                )
            except ValidationError as error:
                _add_errors(form, error)
            else:
                if changed:
                    messages.success(request, "The settings have been saved. Reports built from now on use them.")
                else:
                    messages.info(request, "Nothing was changed.")
                return redirect("reports:report_settings")
    else:
        form = ReportSettingsForm(initial={"threshold": settings.threshold})
    return render(
        request,
        "reports/settings.html",
        {"form": form, "settings": settings, "history": history_for(settings) if settings.pk else []},
        status=400 if form.errors else 200,
    )
