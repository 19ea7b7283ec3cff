"""
A school of its own for the figures' tests, so that the cast's records (which other areas add to) never change
the counts: School R, with its standard set-up, two year groups, and a member of the office who records things.
The report is for 2025/26, seen from 15 October 2026 (the year is over), with 2024/25 as the year before.
"""

from dataclasses import dataclass
from datetime import date, datetime
from zoneinfo import ZoneInfo

from esafety.models import AcademicYear, Membership
from esafety.roles import Role
from esafety.scoping import scope
from reports.figures.base import report_context
from tests import factories as f

LONDON = ZoneInfo("Europe/London")
AFTER_THE_YEAR = datetime(2026, 10, 15, 12, 0, tzinfo=LONDON)
DURING_THE_YEAR = datetime(2026, 3, 10, 12, 0, tzinfo=LONDON)


def at(day: date, hour: int = 9, minute: int = 0) -> datetime:
    """A moment on a day, in the school's time zone."""
    return datetime(day.year, day.month, day.day, hour, minute, tzinfo=LONDON)


@dataclass
class FigureSchool:
    school: object
    user: object
    year7: object
    year8: object

    def context(self, start_year: int = 2025):
        return report_context(self.school, AcademicYear.objects.for_date(date(start_year, 9, 1)))


def figure_school(time_machine):
    """
    School R in its own scope, with the clock at 15 October 2026: a test module's `school` fixture yields from it
    (after the cast, whose scope it opens its own inside).
    """
    time_machine.move_to(AFTER_THE_YEAR, tick=False)
    made = f.make_school(name="School R", urn="900099")
    user = f.make_user("office@r.example", "Office R")
    Membership.objects.create(user=user, school=made, role=Role.OFFICE)
    with scope(school=made):
        yield FigureSchool(made, user, f.make_year_group(made, 7), f.make_year_group(made, 8))
