"""
Changes to a trust's reports: asking for a new version, building it in the background, publishing it.

Every change is saved with its history entry (`esafety.history.save_with_history`); the build is queued through
the outbox once the request is committed, reads for a while outside any transaction and writes once at the end,
and does nothing to a report another run has finished already.
"""

import logging

from django.contrib.auth.models import AbstractBaseUser
from django.core.exceptions import ValidationError
from django.core.files.base import ContentFile
from django.db import transaction
from django.db.models import Max
from django.urls import reverse
from django.utils import timezone

from esafety.history import save_with_history
from esafety.models import AcademicYear, Trust
from esafety.notifications import notify
from esafety.outbox import outbox_enqueue
from esafety.pdf import render_pdf
from esafety.progress import Progress
from reports.build import finish_sections
from reports.models import ReportStatus, TrustReport
from reports.trust import schools_of, trust_raw_sections, trust_threshold

logger = logging.getLogger(__name__)

TITLE = "Online safety report to the trust"


@transaction.atomic
def trust_report_request_build(*, trust: Trust, year: AcademicYear, actor: AbstractBaseUser | None) -> TrustReport:
    """
    A new version of the trust's report for the year, built in the background. Small numbers are hidden with the
    strictest threshold of the trust's schools as they are now.
    """
    # One new version at a time per trust: the next number is read under the trust's row lock.
    Trust.objects.select_for_update().get(pk=trust.pk)
    latest = TrustReport.objects.filter(trust=trust, academic_year=year).aggregate(latest=Max("version"))["latest"]
    report = TrustReport(
        trust=trust,
        academic_year=year,
        version=(latest or 0) + 1,
        status=ReportStatus.BUILDING,
        threshold=trust_threshold(schools_of(trust)),
        requested_by=actor,
    )
    save_with_history(report, actor=actor, reason="Asked for")
    outbox_enqueue("reports.trust_tasks.trust_report_build", report_id=str(report.pk))
    return report


def trust_report_build(report_id) -> None:
    """
    Build a report that is being built: every school's figures side by side, small numbers hidden, the PDF, then a
    draft, and its requester is told. On any error: failed, with a plain reason (the error itself is logged).
    """
    report = TrustReport.objects.select_related("trust", "academic_year", "requested_by").filter(pk=report_id).first()
    if report is None or report.status != ReportStatus.BUILDING:
        return
    schools = schools_of(report.trust)
    stage = "counting the figures"
    try:
        raw = trust_raw_sections(schools, report.academic_year, progress=Progress.for_job(report).set)
        stage = "hiding small numbers and drawing the charts"
        report.built_at = timezone.now()
        report.data = {
            "title": TITLE,
            "trust": report.trust.name,
            "schools": [school.name for school in schools],
            "year": str(report.academic_year),
            "previous_year": AcademicYear(start_year=report.academic_year.start_year - 1).label,
            "threshold": report.threshold,
            "built_at": report.built_at.isoformat(),
            "sections": finish_sections(raw, report.threshold),
        }
        stage = "making the PDF"
        pdf = trust_report_pdf(report)
    except Exception:
        logger.exception("Trust report %s could not be built while %s", report_id, stage)
        with transaction.atomic():
            if _still_building(report):
                report.data, report.built_at, report.status = {}, None, ReportStatus.FAILED
                report.error = f"Something went wrong while {stage}. Build it again; if it fails again, tell your administrator."
                save_with_history(report, actor=None, reason="Could not be built")
        return
    with transaction.atomic():
        if not _still_building(report):
            return
        report.pdf.save(_pdf_name(report), ContentFile(pdf), save=False)
        report.status, report.error = ReportStatus.DRAFT, ""
        save_with_history(report, actor=None, reason="Built")
        if report.requested_by is not None:
            notify(
                recipients=[report.requested_by],
                school=None,
                title=f"Trust report ready: {report.academic_year} (version {report.version})",
                body="The draft is ready to read and publish.",
                link=reverse("reports:trust_report_detail", kwargs={"report_id": report.pk}),
            )


def trust_report_pdf(report: TrustReport) -> bytes:
    """The PDF of a built trust report as it stands: "DRAFT", or the day it was published, on its cover."""
    published = report.status in (ReportStatus.PUBLISHED, ReportStatus.SUPERSEDED) and report.published_at
    return render_pdf(
        "reports/pdf/trust_report.html",
        {
            "report": report,
            "data": report.data,
            "school": report.trust,  # the footer of every page names the trust
            "published_on": report.published_at if published else None,
            "built_at": report.built_at,
        },
    )


@transaction.atomic
def trust_report_publish(*, report: TrustReport, actor: AbstractBaseUser) -> TrustReport:
    """Publish a draft, and print its PDF again as published; the version published before for the year is superseded."""
    report = TrustReport.objects.select_for_update().select_related("trust", "academic_year").get(pk=report.pk)
    if report.status != ReportStatus.DRAFT:
        raise ValidationError(f"Only a draft can be published: this version is {report.get_status_display().lower()}.")
    earlier = TrustReport.objects.select_for_update().filter(
        trust_id=report.trust_id, academic_year_id=report.academic_year_id, status=ReportStatus.PUBLISHED
    )
    for superseded in earlier:
        superseded.status = ReportStatus.SUPERSEDED
        save_with_history(superseded, actor=actor, reason=f"Superseded by version {report.version}")
    report.status, report.published_by, report.published_at = ReportStatus.PUBLISHED, actor, timezone.now()
    before = report.pdf.name
    report.pdf.save(_pdf_name(report, published=True), ContentFile(trust_report_pdf(report)), save=False)
    save_with_history(report, actor=actor, reason="Published")
    if before and before != report.pdf.name:
        storage = report.pdf.storage
        transaction.on_commit(lambda: storage.delete(before))
    return report


def _pdf_name(report: TrustReport, *, published: bool = False) -> str:
    """E.g. trust-report-2025-26-v2.pdf, and trust-report-2025-26-v2-published.pdf once published."""
    start = report.academic_year.start_year
    return f"trust-report-{start}-{str(start + 1)[-2:]}-v{report.version}{'-published' if published else ''}.pdf"


def _still_building(report: TrustReport) -> bool:
    """Locks the report's row: False when another run has already finished it (a task may run twice)."""
    status = TrustReport.objects.select_for_update().filter(pk=report.pk).values_list("status", flat=True).first()
    return status == ReportStatus.BUILDING
