"""
Reading a school's term dates: its calendar for a run of academic years, the questions asked of a single day,
and the history of its dates.

Run inside the school's scope (`esafety.scoping`), as requests and school tasks are.
"""

from datetime import date

from esafety.calendar import academic_year_start
from esafety.history import FieldChange, HistoryEntry
from esafety.models import School, SchoolClosure, SchoolTerm
from esafety.terms.calendar import (
    TERM_ORDER,
    ClosureDates,
    SchoolCalendar,
    SchoolYearDates,
    TermDates,
    TermPeriod,
    default_year,
    uk_date,
)

TERM_FIELDS = ("starts_on", "ends_on", "half_term_starts_on", "half_term_ends_on")


def school_calendar(school: School, first_year: int, last_year: int | None = None, *, closures: bool = True) -> SchoolCalendar:
    """
    The school's calendar for the academic years beginning in September of `first_year` to `last_year`
    (or `first_year` alone): one query for its terms and one for its INSET days and closures (none with
    `closures=False`, for a calendar that only groups by term). A year with no terms entered follows the
    default pattern; a term missing from a year that has others is taken from the pattern too.
    """
    last_year = first_year if last_year is None else last_year
    span = (first_year, last_year)
    terms: dict[int, dict[str, TermDates]] = {}
    for row in SchoolTerm.objects.filter(school=school, academic_year__start_year__range=span).values(
        "academic_year__start_year", "name", *TERM_FIELDS
    ):
        terms.setdefault(row["academic_year__start_year"], {})[row["name"]] = TermDates(
            row["name"], *(row[field] for field in TERM_FIELDS)
        )
    found_closures: dict[int, list[ClosureDates]] = {}
    if closures:
        for row in (
            SchoolClosure.objects.filter(school=school, academic_year__start_year__range=span)
            .order_by("starts_on", "ends_on")
            .values("academic_year__start_year", "kind", "starts_on", "ends_on", "description")
        ):
            found_closures.setdefault(row.pop("academic_year__start_year"), []).append(ClosureDates(**row))
    years = []
    for start_year in range(first_year, last_year + 1):
        default = default_year(start_year)
        entered = terms.get(start_year, {})
        years.append(
            SchoolYearDates(
                start_year,
                tuple(entered.get(name) or default.term(name) for name in TERM_ORDER),
                tuple(found_closures.get(start_year, ())),
                is_default=not entered,
            )
        )
    return SchoolCalendar(years, with_closures=closures)


def _year_of(day: date) -> int:
    return academic_year_start(day)


def is_school_day(school: School, day: date) -> bool:
    """A weekday in the school's term time, outside half-term, and not a bank holiday, INSET day or closure."""
    return school_calendar(school, _year_of(day)).is_school_day(day)


def next_school_day(school: School, day: date) -> date | None:
    """The first school day after `day` (never `day` itself), looking into the next academic year if need be."""
    year = _year_of(day)
    return school_calendar(school, year, year + 1).next_school_day(day)


def add_school_days(school: School, day: date, count: int) -> date | None:
    """The `count`-th school day after `day`: the end of a notice of `count` school days given on `day`."""
    year = _year_of(day)
    return school_calendar(school, year, year + 1 + count // 150).add_school_days(day, count)


def school_days_between(school: School, start: date, end: date) -> int:
    """
    School days after `start` up to and including `end` (`start` excluded, `end` included): Friday to the
    next Monday in term time is 1. 0 when `end` is not after `start`.
    """
    if end <= start:
        return 0
    return school_calendar(school, _year_of(start), _year_of(end)).school_days_between(start, end)


def term_for(school: School, day: date) -> TermPeriod | None:
    """The school's term that includes `day` (its half-term break included), or None between terms."""
    return school_calendar(school, _year_of(day), closures=False).term_for(day)


def half_term_for(school: School, day: date) -> TermPeriod | None:
    """The half-term ("Autumn 1" … "Summer 2") whose teaching days include `day`, or None in a break or holiday."""
    return school_calendar(school, _year_of(day), closures=False).half_term_for(day)


def term_dates_history(school: School, start_year: int, limit: int = 50) -> list[HistoryEntry]:
    """
    Who changed the school's term dates and closures of the year, and how: the newest first, for the history
    panel. Two queries, one for the terms' history and one for the closures'.
    """
    field_labels = {field: str(SchoolTerm._meta.get_field(field).verbose_name).capitalize() for field in TERM_FIELDS}
    entries = []
    records = (
        SchoolTerm.history.filter(school=school, academic_year__start_year=start_year)
        .select_related("history_user")
        .order_by("id", "history_date", "history_id")
    )
    previous = {}
    for record in records:
        older = previous.get(record.id)
        previous[record.id] = record
        label = SchoolTerm.Name(record.name).label + " term"
        if record.history_type == "+" or older is None:
            action = f"{label} entered"
            changes = [FieldChange(field_labels[f], "–", uk_date(getattr(record, f))) for f in TERM_FIELDS]
        elif record.history_type == "-":
            action, changes = f"{label} removed", []
        else:
            action = f"{label} changed"
            changes = [
                FieldChange(field_labels[c.field], uk_date(c.old), uk_date(c.new))
                for c in record.diff_against(older, included_fields=list(TERM_FIELDS)).changes
            ]
        entries.append(_entry(record, action, "", changes))
    closures = (
        SchoolClosure.history.filter(school=school, academic_year__start_year=start_year)
        .select_related("history_user")
        .order_by("history_date", "history_id")
    )
    verbs = {"+": "added", "-": "removed", "~": "changed"}
    for record in closures:
        days = (
            uk_date(record.starts_on)
            if record.starts_on == record.ends_on
            else f"{uk_date(record.starts_on)} to {uk_date(record.ends_on)}"
        )
        what = SchoolClosure.Kind(record.kind).label
        entries.append(
            _entry(
                record,
                f"{what} {verbs[record.history_type]}",
                f"{days}{': ' + record.description if record.description else ''}",
                [],
            )
        )
    entries.sort(key=lambda entry: entry.when, reverse=True)
    return entries[:limit]


def _entry(record, action: str, reason: str, changes: list[FieldChange]) -> HistoryEntry:
    user = record.history_user
    return HistoryEntry(
        when=record.history_date, who=str(user) if user else "System", action=action, reason=reason, changes=changes
    )
