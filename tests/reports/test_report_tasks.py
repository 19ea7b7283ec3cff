"""
The report's background jobs (reports.tasks): a build asked for, run through the outbox as in production, and last
academic year's draft, made for each school from 1 September, once, with its leads told.
"""

import io
from datetime import date, datetime
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.core import mail
from django.urls import reverse
from pypdf import PdfReader

from esafety.models import AcademicYear, Notification
from esafety.scoping import scope
from reports import tasks
from reports.figures import base
from reports.figures.base import report_section
from reports.models import ReportStatus, SchoolReport
from reports.services import report_request_build

LONDON = ZoneInfo("Europe/London")


@pytest.fixture(autouse=True)
def _media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"


def _at(day: date, hour=6):
    return time_machine.travel(datetime(day.year, day.month, day.day, hour, tzinfo=LONDON), tick=False)


def _year(start: int) -> AcademicYear:
    return AcademicYear.objects.for_date(date(start, 9, 1))


def _leads_notifications(cast):
    return Notification.objects.filter(recipient=cast.a.users["lead"], school=cast.a.school).order_by("pk")


def test_a_build_asked_for_runs_after_commit_and_leaves_a_draft_with_its_pdf(cast, settings, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        report = report_request_build(school=cast.a.school, year=_year(2023), actor=cast.a.users["lead"])

    report.refresh_from_db()
    assert report.status == ReportStatus.DRAFT
    assert report.data["year"] == "2023/24"
    assert report.pdf.name.startswith("reports/governors-report-2023-24-v1")
    # Asked for by the lead, who watches it build: no notification.
    assert not _leads_notifications(cast).exists()


def test_the_build_does_nothing_to_a_report_already_built(cast):
    draft = cast.a.report_draft
    data = draft.data

    tasks.report_build(cast.a.school.pk, str(draft.pk))

    draft.refresh_from_db()
    assert draft.status == ReportStatus.DRAFT
    assert draft.data == data
    assert not draft.pdf


def test_the_build_runs_in_the_reports_own_school(cast):
    with scope(school=cast.b.school):
        other = SchoolReport.objects.create(school=cast.b.school, academic_year=_year(2023), status=ReportStatus.BUILDING)

    # Queued for school A, a report of school B is not found there.
    tasks.report_build(cast.a.school.pk, str(other.pk))

    with scope(school=cast.b.school):
        other.refresh_from_db()
    assert other.status == ReportStatus.BUILDING


def test_last_years_draft_is_made_from_1_september_once_and_the_lead_is_told(cast, django_capture_on_commit_callbacks):
    # Three years after the cast's own reports, so that the year just ended has none.
    start = cast.a.report.academic_year.start_year + 3
    before = SchoolReport.objects.count()

    with _at(date(start, 8, 31)), django_capture_on_commit_callbacks(execute=True):
        tasks.report_draft_last_year_all()
    assert SchoolReport.objects.count() == before
    assert not _leads_notifications(cast).exists()

    with _at(date(start, 9, 1)), django_capture_on_commit_callbacks(execute=True):
        tasks.report_draft_last_year_all()
    draft = SchoolReport.objects.get(academic_year__start_year=start - 1)
    assert draft.status == ReportStatus.DRAFT
    assert draft.requested_by is None
    assert draft.data["year"] == f"{start - 1}/{str(start)[-2:]}"
    assert draft.pdf
    (told,) = _leads_notifications(cast)
    assert told.title == f"Last year's governors' report is ready to read: {start - 1}/{str(start)[-2:]}"
    assert "publish" in told.body
    assert told.link == reverse("reports:report_detail", kwargs={"report_id": draft.pk})
    assert any(message.to == [cast.a.users["lead"].email] for message in mail.outbox)
    assert not Notification.objects.filter(recipient=cast.a.users["dsl"], link=told.link).exists()
    with scope(school=cast.b.school):
        assert SchoolReport.objects.filter(academic_year__start_year=start - 1).count() == 1  # B's own

    with _at(date(start, 9, 2)), django_capture_on_commit_callbacks(execute=True):
        tasks.report_draft_last_year_all()
        tasks.report_draft_last_year(cast.a.school.pk)
    assert SchoolReport.objects.filter(academic_year__start_year=start - 1).count() == 1
    assert _leads_notifications(cast).count() == 1


def test_no_draft_when_the_lead_has_already_built_last_years_report(cast, django_capture_on_commit_callbacks):
    start = cast.a.report.academic_year.start_year + 3
    with _at(date(start, 8, 20)), django_capture_on_commit_callbacks(execute=True):
        report_request_build(school=cast.a.school, year=_year(start - 1), actor=cast.a.users["lead"])

    with _at(date(start, 9, 1)), django_capture_on_commit_callbacks(execute=True):
        assert tasks.report_draft_last_year(cast.a.school.pk) is None

    assert SchoolReport.objects.filter(academic_year__start_year=start - 1).count() == 1
    assert not _leads_notifications(cast).exists()


def test_no_draft_after_december_for_a_year_the_school_never_had_one_of(cast, django_capture_on_commit_callbacks):
    start = cast.a.report.academic_year.start_year + 3

    with _at(date(start + 1, 1, 2)), django_capture_on_commit_callbacks(execute=True):
        assert tasks.report_draft_last_year(cast.a.school.pk) is None

    assert not SchoolReport.objects.filter(academic_year__start_year=start - 1).exists()


def test_the_lead_is_told_when_last_years_draft_could_not_be_built(cast, django_capture_on_commit_callbacks):
    def failing(ctx):
        raise RuntimeError("no figures")

    report_section(1)(failing)
    try:
        start = cast.a.report.academic_year.start_year + 3
        with _at(date(start, 9, 1)), django_capture_on_commit_callbacks(execute=True):
            tasks.report_draft_last_year(cast.a.school.pk)
    finally:
        base._SECTIONS[:] = [pair for pair in base._SECTIONS if pair[1] is not failing]

    draft = SchoolReport.objects.get(academic_year__start_year=start - 1)
    assert draft.status == ReportStatus.FAILED
    (told,) = _leads_notifications(cast)
    assert told.title.startswith("Last year's governors' report could not be built")


def test_a_published_reports_pdf_is_printed_again_as_it_now_stands(cast, django_capture_on_commit_callbacks):
    report = cast.a.report

    with django_capture_on_commit_callbacks(execute=True):
        tasks.report_pdf_refresh(cast.a.school.pk, str(report.pk))

    report.refresh_from_db()
    with report.pdf.open("rb") as pdf:
        text = " ".join(" ".join((page.extract_text() or "").split()) for page in PdfReader(io.BytesIO(pdf.read())).pages)
    assert f"Published on {report.published_at:%-d %b %Y}" in text
    assert "A calmer year online" in text
    assert "Sexting fewer than 5 6" in text
    assert report.history.first().history_change_reason == "PDF printed again"


def test_a_report_not_built_has_no_pdf_to_print_again(cast):
    with scope(school=cast.a.school):
        report = SchoolReport.objects.create(school=cast.a.school, academic_year=_year(2022), status=ReportStatus.BUILDING)

    tasks.report_pdf_refresh(cast.a.school.pk, str(report.pk))

    report.refresh_from_db()
    assert not report.pdf
