"""
What a section of the governors' report is made of, and how the parts of the product add theirs.

A section builder gets a `ReportContext` (one school, one academic year and the year before, in that school's
scope) and returns a `Section` of raw `Table`s: true counts, never suppressed. The build
(`reports.build`) then hides small numbers (`reports.suppression`), draws the charts from what is left
(`reports.charts`) and stores the result; a trust's report lays the same tables of its schools side by side.
Builders count with a fixed number of grouped queries, whatever the years of data, and never read or return a
name, a description or anything else that could identify a pupil or a member of staff.
"""

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from decimal import ROUND_HALF_UP, Decimal

from django.utils import timezone

from esafety.models import AcademicYear, School
from esafety.terms.calendar import TermPeriod
from esafety.terms.selectors import school_calendar


@dataclass(frozen=True)
class Count:
    """A number of pupils, staff, incidents or other events: shown as "fewer than N" when from 1 to N-1."""

    value: int


@dataclass(frozen=True)
class Measure:
    """
    A figure worked out from some events (a median time, a percentage): hidden when `base`, the number of events
    it is worked out from, is from 1 to N-1; shown as "none" (or `empty`) when `base` is 0.
    """

    text: str
    base: int
    empty: str = "none"
    # The figure as a number, for a chart (e.g. a percentage as 87.5); None when it is not drawn.
    number: float | None = None
    # For a share of `base` (a percentage): the count it is a share of. The share is hidden too when that count, or
    # the rest of the base, is from 1 to N-1: "96% of 50" would tell that 2 pupils have no consent.
    part: int | None = None


@dataclass(frozen=True)
class Text:
    """Words or a date that say nothing about a small group of people: never hidden (e.g. "on time", 12/03/2026)."""

    text: str


Cell = Count | Measure | Text


@dataclass
class Row:
    label: str
    cells: list[Cell]
    # A total row: each of its Count cells is the sum of the Count cells above it in the same column.
    total: bool = False


@dataclass
class Table:
    key: str  # unique in its section, e.g. "by_category"
    caption: str  # what a governor reads above it: "Incidents by category"
    row_header: str  # the heading of the first column: "Category"
    columns: list[str]  # the headings of the value columns: ["2025/26", "2024/25"]
    rows: list[Row]
    # A column whose Count cells are the sum of the Count cells of `part_columns` in the same row
    # (e.g. the "All" column of a table by year group), or None.
    total_column: int | None = None
    part_columns: list[int] = field(default_factory=list)
    # How to draw it: "bar" (one bar per row, a series per column), "line" (a line per column, rows along the
    # axis, e.g. half-terms), "hbar" (horizontal bars, for long labels), or None for a table alone.
    # Total rows and total columns are not drawn.
    chart: str | None = None
    # One sentence under the table, e.g. what counts as "late".
    note: str = ""


@dataclass
class Section:
    key: str  # e.g. "incidents"
    title: str  # e.g. "Incidents"
    tables: list[Table]
    # A sentence or two of plain words about what is counted and how, written by the product (not the lead).
    intro: str = ""


@dataclass(frozen=True)
class ReportContext:
    """One school and one academic year (with the year before), in that school's scope."""

    school: School
    year: AcademicYear
    previous: AcademicYear  # the year before (made when missing: AcademicYear.objects.for_start_year)
    # The six half-terms of each year, stretched to cover the whole year (SchoolYearDates.trend_periods), so that a
    # holiday belongs to the half-term before it: Autumn 1 starts on 1 September, Summer 2 ends on 31 August.
    half_terms: tuple[TermPeriod, ...]
    previous_half_terms: tuple[TermPeriod, ...]

    @property
    def starts_on(self) -> date:
        return self.year.starts_on

    @property
    def ends_on(self) -> date:
        return self.year.ends_on

    def bounds(self, year: AcademicYear | None = None) -> tuple[datetime, datetime]:
        """The year as aware datetimes, [start, end): for `occurred_at__gte`, `occurred_at__lt`."""
        year = year or self.year
        return start_of(year.starts_on), start_of(year.ends_on + timedelta(days=1))

    @property
    def year_label(self) -> str:
        return str(self.year)

    @property
    def previous_label(self) -> str:
        return str(self.previous)


def percent(part: int, whole: int, empty: str = "none") -> Measure:
    """A share of a whole, to the nearest per cent (a half up); of nobody, the `empty` words."""
    if not whole:
        return Measure(text=empty, base=0, empty=empty)
    share = Decimal(100 * part) / whole
    rounded = share.quantize(Decimal(1), rounding=ROUND_HALF_UP)
    return Measure(text=f"{rounded}%", base=whole, empty=empty, number=float(share), part=part)


def as_of(year: AcademicYear) -> date:
    """The day a year's figures are counted on: its last day, or today while it runs."""
    return min(year.ends_on, timezone.localdate())


def overdue_before(year: AcademicYear) -> date:
    """
    Something due before this day and not done by `as_of` is overdue: due by the last day of a year that is over,
    or before today while it runs (what is due today can still be done today).
    """
    return min(year.ends_on + timedelta(days=1), timezone.localdate())


def uk_date(day: date) -> str:
    return f"{day:%d/%m/%Y}"


def start_of(day: date) -> datetime:
    """Midnight at the start of a day, in the school's time zone."""
    return timezone.make_aware(datetime.combine(day, time.min))


def report_context(school: School, year: AcademicYear) -> ReportContext:
    previous, _ = AcademicYear.objects.get_or_create(
        start_year=year.start_year - 1,
        defaults={"starts_on": date(year.start_year - 1, 9, 1), "ends_on": date(year.start_year, 8, 31)},
    )
    calendar = school_calendar(school, previous.start_year, year.start_year, closures=False)
    return ReportContext(
        school=school,
        year=year,
        previous=previous,
        half_terms=tuple(calendar.year(year.start_year).trend_periods()),
        previous_half_terms=tuple(calendar.year(previous.start_year).trend_periods()),
    )


SectionBuilder = Callable[[ReportContext], Section]
_SECTIONS: list[tuple[int, SectionBuilder]] = []


def report_section(order: int):
    """Register a section builder; sections appear in the report by `order` (incidents 10, filtering 20, ...)."""

    def register(builder: SectionBuilder) -> SectionBuilder:
        if all(existing is not builder for _, existing in _SECTIONS):
            _SECTIONS.append((order, builder))
            _SECTIONS.sort(key=lambda pair: pair[0])
        return builder

    return register


def section_builders() -> list[SectionBuilder]:
    """Every registered builder, in report order (the modules register when `reports` is ready)."""
    return [builder for _, builder in _SECTIONS]
