"""
Celery tasks of the governors' report: building a report in the background, and last year's draft, made for each
school once the new academic year has begun.
"""

from datetime import date

from celery import shared_task
from django.db import transaction
from django.urls import reverse
from django.utils import timezone

from esafety.models import AcademicYear, School, User
from esafety.notifications import notify
from esafety.progress import Progress
from esafety.roles import Role
from esafety.school_tasks import school_task, schools_fan_out
from reports import build
from reports.models import ReportStatus, SchoolReport
from reports.services import report_request_build

# Last year's draft is made from 1 September until the end of December, once: a school that starts using the
# product later in the year is not sent a report of a year it never recorded.
DRAFT_BY = (12, 31)


@school_task(acks_late=True)
def report_build(school, report_id: str) -> None:
    """Build a report asked for (reports.services.report_request_build); nothing once it is built or has failed."""
    report = SchoolReport.objects.select_related("school", "academic_year").filter(pk=report_id).first()
    if report is None or report.status != ReportStatus.BUILDING:
        return
    build.report_build(report, Progress.for_job(report).set)
    if report.requested_by_id is None:
        # Made by the yearly job (report_draft_last_year): nobody is watching it build, so the leads are told.
        _tell_leads(school, report)


@school_task(acks_late=True)
def report_pdf_refresh(school, report_id: str) -> None:
    """Print a built report's PDF again, as it now stands (its summary written, or published)."""
    report = SchoolReport.objects.select_related("school", "academic_year").filter(pk=report_id).first()
    if report is not None:
        build.report_pdf_refresh(report)


@shared_task
def report_draft_last_year_all() -> int:
    return schools_fan_out("reports.tasks.report_draft_last_year")


@school_task()
def report_draft_last_year(school) -> SchoolReport | None:
    """
    From 1 September (until the end of December), the draft of the academic year just ended, built once: nothing
    when the school already has a report of that year, whoever asked for it. Returns the report asked for.
    """
    today = timezone.localdate()
    current = AcademicYear.objects.for_date(today)
    if today > date(current.start_year, *DRAFT_BY):
        return None
    last_year = AcademicYear.objects.for_date(date(current.start_year - 1, 9, 1))
    with transaction.atomic():
        # One draft however often the job runs side by side: the school's row is the lock.
        School.objects.select_for_update().filter(pk=school.pk).first()
        if SchoolReport.objects.filter(academic_year=last_year).exists():
            return None
        return report_request_build(school=school, year=last_year, actor=None)


def _tell_leads(school: School, report: SchoolReport) -> None:
    leads = User.objects.filter(is_active=True, memberships__school=school, memberships__role=Role.LEAD).distinct()
    link = reverse("reports:report_detail", kwargs={"report_id": report.pk})
    if report.status == ReportStatus.DRAFT:
        notify(
            recipients=leads,
            school=school,
            title=f"Last year's governors' report is ready to read: {report.academic_year}",
            body="The draft is built from last year's figures. Read it, add your summary for governors and publish it.",
            link=link,
            email=True,
        )
    else:
        notify(
            recipients=leads,
            school=school,
            title=f"Last year's governors' report could not be built: {report.academic_year}",
            body="Open it to build it again.",
            link=link,
            email=True,
        )
