"""
A trust's report, for the trust's central team: the reports by year, a new version, one report with the schools
side by side, its PDF and publishing it. Another trust's report is not found (404).
"""

from datetime import date

from django import forms
from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import FileResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.views.decorators.http import require_POST

from esafety.access import capability_required
from esafety.calendar import academic_year_start
from esafety.history import history_for
from esafety.models import AcademicYear
from esafety.progress import Progress, progress_response
from esafety.roles import Capability
from reports import trust_services
from reports.models import ReportStatus, TrustReport
from reports.trust import get_trust_report_or_404, trust_of, trust_reports_for, trust_schools

C = Capability
# How many academic years back a report may be asked for.
YEARS_OFFERED = 5


class TrustReportBuildForm(forms.Form):
    start_year = forms.TypedChoiceField(label="Academic year", coerce=int)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        this_year = academic_year_start(timezone.localdate())
        years = [this_year - back for back in range(YEARS_OFFERED)]
        self.fields["start_year"].choices = [(year, AcademicYear(start_year=year).label) for year in years]
        # The report is usually written once the year is over.
        self.fields["start_year"].initial = this_year - 1


def _list_page(request, form, *, status=200):
    trust = trust_of(request.access)
    years: dict[AcademicYear, list[TrustReport]] = {}
    for report in trust_reports_for(trust):
        years.setdefault(report.academic_year, []).append(report)
    return render(
        request,
        "reports/trust/report_list.html",
        {"trust": trust, "schools": trust_schools(request.access), "years": list(years.items()), "form": form},
        status=status,
    )


@capability_required(C.READ_TRUST_REPORT)
def trust_report_list(request):
    return _list_page(request, TrustReportBuildForm())


@require_POST
@capability_required(C.READ_TRUST_REPORT)
def trust_report_build(request):
    trust = trust_of(request.access)
    form = TrustReportBuildForm(request.POST)
    if not form.is_valid():
        return _list_page(request, form, status=400)
    year = AcademicYear.objects.for_date(date(form.cleaned_data["start_year"], 9, 1))
    report = trust_services.trust_report_request_build(trust=trust, year=year, actor=request.user)
    messages.info(
        request, f"Version {report.version} of the trust report for {year} is being built: you will be notified when it is ready."
    )
    return redirect("reports:trust_report_detail", report_id=report.pk)


def _percent(report: TrustReport) -> int:
    return Progress.for_job(report).percent(finished=report.status != ReportStatus.BUILDING)


@capability_required(C.READ_TRUST_REPORT)
def trust_report_detail(request, report_id):
    report = get_trust_report_or_404(trust_of(request.access), report_id)
    return render(
        request,
        "reports/trust/report_detail.html",
        {
            "report": report,
            "sections": report.data.get("sections", []) if report.is_ready else [],
            "schools": report.data.get("schools", []),
            "progress": _percent(report),
            "history": history_for(report),
        },
    )


@capability_required(C.READ_TRUST_REPORT)
def trust_report_progress(request, report_id):
    """The progress bar, polled by htmx while the report is built."""
    report = get_trust_report_or_404(trust_of(request.access), report_id)
    return progress_response(
        request, percent=_percent(report), label=report.get_status_display(), running=report.status == ReportStatus.BUILDING
    )


@capability_required(C.READ_TRUST_REPORT)
def trust_report_pdf(request, report_id):
    report = get_trust_report_or_404(trust_of(request.access), report_id)
    if not report.is_ready or not report.pdf:
        messages.warning(request, "This report is not ready yet.")
        return redirect("reports:trust_report_detail", report_id=report.pk)
    filename = f"trust-report-{report.academic_year.label.replace('/', '-')}-v{report.version}.pdf"
    response = FileResponse(report.pdf.open("rb"), content_type="application/pdf", filename=filename)
    response["Cache-Control"] = "private, no-store"
    return response


@require_POST
@capability_required(C.READ_TRUST_REPORT)
def trust_report_publish(request, report_id):
    report = get_trust_report_or_404(trust_of(request.access), report_id)
    try:
        trust_services.trust_report_publish(report=report, actor=request.user)
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
    else:
        messages.success(request, f"Version {report.version} of the trust report for {report.academic_year} is published.")
    return redirect("reports:trust_report_detail", report_id=report.pk)
