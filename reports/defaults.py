"""What a school starts with for its governors' report: counts below 5 show as "fewer than 5". The school edits it."""

from esafety.models import School
from reports.models import ReportSettings


def reports_defaults_install(school: School) -> None:
    """The settings of a school that has none; nothing the second time."""
    ReportSettings.objects.get_or_create(school=school)
