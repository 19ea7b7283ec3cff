"""The demo schools' term dates: last school year's and this one's, as a local authority in England set them."""

from datetime import date, timedelta

from django.utils import timezone

from esafety.calendar import academic_year_start
from esafety.models import AcademicYear, School, SchoolClosure, SchoolTerm
from esafety.scoping import scope
from esafety.terms.calendar import ClosureDates, TermDates, default_year
from esafety.terms.services import term_dates_save

AUTUMN, SPRING, SUMMER = SchoolTerm.Name.AUTUMN, SchoolTerm.Name.SPRING, SchoolTerm.Name.SUMMER
INSET, CLOSED = SchoolClosure.Kind.INSET, SchoolClosure.Kind.CLOSED
TRAINING = "Staff training"

DEMO_TERM_DATES = {
    2025: (
        (
            TermDates(AUTUMN, date(2025, 9, 1), date(2025, 12, 19), date(2025, 10, 27), date(2025, 10, 31)),
            TermDates(SPRING, date(2026, 1, 5), date(2026, 3, 27), date(2026, 2, 16), date(2026, 2, 20)),
            TermDates(SUMMER, date(2026, 4, 13), date(2026, 7, 22), date(2026, 5, 25), date(2026, 5, 29)),
        ),
        (
            ClosureDates(INSET, date(2025, 9, 1), date(2025, 9, 2), TRAINING),
            ClosureDates(INSET, date(2026, 1, 5), date(2026, 1, 5), TRAINING),
            ClosureDates(CLOSED, date(2026, 5, 7), date(2026, 5, 7), "Polling station (local elections)"),
            ClosureDates(INSET, date(2026, 7, 22), date(2026, 7, 22), TRAINING),
        ),
    ),
    2026: (
        (
            TermDates(AUTUMN, date(2026, 9, 1), date(2026, 12, 18), date(2026, 10, 26), date(2026, 10, 30)),
            TermDates(SPRING, date(2027, 1, 4), date(2027, 3, 25), date(2027, 2, 15), date(2027, 2, 19)),
            TermDates(SUMMER, date(2027, 4, 12), date(2027, 7, 21), date(2027, 5, 31), date(2027, 6, 4)),
        ),
        (
            ClosureDates(INSET, date(2026, 9, 1), date(2026, 9, 2), TRAINING),
            ClosureDates(INSET, date(2026, 11, 2), date(2026, 11, 2), TRAINING),
            ClosureDates(INSET, date(2027, 1, 4), date(2027, 1, 4), TRAINING),
            ClosureDates(INSET, date(2027, 5, 28), date(2027, 5, 28), TRAINING),
        ),
    ),
}


def _dates_for(start_year: int) -> tuple[tuple[TermDates, ...], tuple[ClosureDates, ...]]:
    """The dates above or, for a year they do not cover, the default pattern with INSET days at the start of terms."""
    if start_year in DEMO_TERM_DATES:
        return DEMO_TERM_DATES[start_year]
    year = default_year(start_year)
    autumn, spring, _ = year.terms
    second_day = autumn.starts_on + timedelta(days=3 if autumn.starts_on.weekday() == 4 else 1)
    return year.terms, (
        ClosureDates(INSET, autumn.starts_on, second_day, TRAINING),
        ClosureDates(INSET, spring.starts_on, spring.starts_on, TRAINING),
    )


def seed_demo_term_dates(school: School) -> None:
    """Enter last school year's dates and this one's (2025/26 and 2026/27 in the demo's autumn), through the service."""
    this_year = academic_year_start(timezone.localdate())
    with scope(school=school):
        for start_year in (this_year - 1, this_year):
            terms, closures = _dates_for(start_year)
            term_dates_save(
                school=school,
                academic_year=AcademicYear.objects.for_date(date(start_year, 9, 1)),
                terms=terms,
                closures=closures,
                actor=None,
                reason="Demo data",
            )
