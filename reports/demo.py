"""
The demo's governors' report: last academic year's, built from the demo's records, with the e-safety lead's
summary, and published, so that the governor's login has something to read. The large school of `make bench`
has none: the bench builds its own and times it.
"""

from datetime import date

from django.utils import timezone

from esafety.models import AcademicYear, User
from esafety.roles import Role
from reports import services
from reports.build import report_build
from reports.models import ReportStatus

SUMMARY = (
    "Online safety incidents rose in the spring, most of them unkind messages between pupils outside school; "
    "assemblies and the Year 5 and 6 workshops followed, and reports fell again in the summer.\n\n"
    "Every request to open a site was decided before the lesson it was for. Next year we will finish the "
    "refresher training of the staff who have not yet had it, and review the mobile phones policy."
)


def seed_demo_reports(*, school, logins, rng, size) -> None:
    if size == "large":
        return
    lead_email = next((login.email for login in logins if login.role == Role.LEAD), None)
    if lead_email is None:
        return
    lead = User.objects.get(email=lead_email)
    today = timezone.localdate()
    last_year = AcademicYear.objects.for_date(date(today.year - 1 if today.month >= 9 else today.year - 2, 9, 1))
    report = services.report_request_build(school=school, year=last_year, actor=lead)
    # In-process and at once: the demo is built before any worker runs (the queued build then finds it built).
    report_build(report)
    report.refresh_from_db()
    if report.status != ReportStatus.DRAFT:
        return
    services.report_save_narrative(report=report, narrative=SUMMARY, actor=lead)
    services.report_publish(report=report, actor=lead)
