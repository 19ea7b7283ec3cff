"""
Building a governors' report: every part's figures, small numbers hidden, charts drawn, the PDF rendered and stored.

    raw_sections      every registered section builder (reports.figures), in report order: true counts
    finish_sections   hide the small numbers (reports.suppression), then draw the charts from what is left
                      (reports.charts): the stored form of `report.data`
    report_build      all of it for one school's report, in the background (reports.tasks.report_build)

A trust's report (reports.trust) makes its own raw sections from its schools' and finishes them the same way.
The figures are counted and the PDF laid out outside any transaction: a build reads for a while and writes once,
at the end, in a short one.
"""

import logging

from django.core.files.base import ContentFile
from django.db import transaction
from django.utils import timezone

from esafety.history import save_with_history
from esafety.pdf import render_pdf
from esafety.progress import Progress, ProgressCallback
from reports.charts import chart_alt, chart_svg
from reports.figures.base import ReportContext, Section, report_context, section_builders
from reports.models import BaseReport, ReportStatus, SchoolReport
from reports.suppression import suppress_section

logger = logging.getLogger(__name__)

TITLE = "Online safety report to governors"


def raw_sections(ctx: ReportContext, progress: ProgressCallback | None = None) -> list[Section]:
    """Every registered section of the report for one school and year, raw; `progress(done, total)` after each."""
    builders = section_builders()
    sections = []
    for done, builder in enumerate(builders, start=1):
        sections.append(builder(ctx))
        if progress is not None:
            progress(done, len(builders))
    return sections


def finish_sections(sections: list[Section], threshold: int) -> list[dict]:
    """The sections as stored: small numbers and the totals that would reveal them hidden, and each table's chart."""
    finished = []
    for section in sections:
        stored = suppress_section(section, threshold)
        for table, table_dict in zip(section.tables, stored["tables"], strict=True):
            svg = chart_svg(table_dict, table.chart) if table.chart else None
            table_dict["chart_svg"] = svg
            table_dict["chart_alt"] = chart_alt(table_dict) if svg else ""
        finished.append(stored)
    return finished


def report_build(report: SchoolReport, progress: ProgressCallback | None = None) -> None:
    """
    Build a school's report being built: its figures (`report.data`), its PDF, then status draft; on any error,
    status failed with a plain reason, logged, not raised. `progress(done, total)` after each section and the PDF
    (by default the report's own, `Progress.for_job`). Does nothing to a report that is not being built.
    """
    if report.status != ReportStatus.BUILDING:
        return
    progress = progress or Progress.for_job(report).set
    stage = "counting the figures"
    try:
        total = len(section_builders()) + 1
        ctx = report_context(report.school, report.academic_year)
        sections = raw_sections(ctx, lambda done, _: progress(done, total))
        stage = "hiding small numbers and drawing the charts"
        built_at = timezone.now()
        data = {
            "title": TITLE,
            "school": report.school.name,
            "year": ctx.year_label,
            "previous_year": ctx.previous_label,
            "threshold": report.threshold,
            "built_at": built_at.isoformat(),
            "sections": finish_sections(sections, report.threshold),
        }
        stage = "making the PDF"
        report.data, report.built_at = data, built_at
        pdf = report_pdf(report)
        progress(total, total)
        stage = "storing the report"
        _report_store(report, pdf)
    except Exception:
        logger.exception("Governors' report %s could not be built while %s", report.pk, stage)
        _report_failed(report, f"Something went wrong while {stage}. Build it again; if it fails again, tell your administrator.")


def _report_store(report: SchoolReport, pdf: bytes) -> None:
    """The figures and the PDF, stored together in one short transaction, the report a draft."""
    with transaction.atomic():
        if not _still_building(report):
            return
        report.pdf.save(report_pdf_name(report), ContentFile(pdf), save=False)
        report.status, report.error = ReportStatus.DRAFT, ""
        save_with_history(report, actor=None, reason="Built")


def report_pdf(report: BaseReport) -> bytes:
    """
    The PDF of a built report as it stands: its stored figures, the lead's summary, and "DRAFT" or the day it was
    published. Renders only: whoever changes the summary or publishes stores it again (`report_pdf_name`).
    """
    published = report.status in (ReportStatus.PUBLISHED, ReportStatus.SUPERSEDED) and report.published_at
    return render_pdf(
        "reports/pdf/report.html",
        {
            "report": report,
            "data": report.data,
            # The footer of every page names the school (a trust's report: the trust).
            "school": getattr(report, "school", None) or report.trust,
            "published_on": report.published_at if published else None,
            "built_at": report.built_at,
        },
    )


def report_pdf_refresh(report: SchoolReport) -> bool:
    """
    Print a built report's PDF again from its stored figures, as it now stands (its summary written, published),
    and store it in place of the one before. Nothing for a report not built. Returns whether it stored one.
    """
    if not report.is_ready:
        return False
    pdf = report_pdf(report)
    with transaction.atomic():
        current = SchoolReport.objects.select_for_update().filter(pk=report.pk).first()
        if current is None or not current.is_ready:
            return False
        before = current.pdf.name
        current.pdf.save(report_pdf_name(current), ContentFile(pdf), save=False)
        save_with_history(current, actor=None, reason="PDF printed again")
        if before and before != current.pdf.name:
            storage = current.pdf.storage
            transaction.on_commit(lambda: storage.delete(before))
    return True


def report_pdf_name(report: BaseReport) -> str:
    """The PDF's file name, e.g. governors-report-2025-26-v2.pdf."""
    start = report.academic_year.start_year
    return f"governors-report-{start}-{str(start + 1)[-2:]}-v{report.version}.pdf"


def _still_building(report: SchoolReport) -> bool:
    """Locks the report's row: False when another run has already finished it (a task may run twice)."""
    status = SchoolReport.objects.select_for_update().filter(pk=report.pk).values_list("status", flat=True).first()
    return status == ReportStatus.BUILDING


def _report_failed(report: SchoolReport, error: str) -> None:
    with transaction.atomic():
        if not _still_building(report):
            return
        report.status, report.error = ReportStatus.FAILED, error
        report.data, report.built_at, report.pdf = {}, None, ""
        save_with_history(report, actor=None, reason="Could not be built")
