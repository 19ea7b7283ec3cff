"""
A school's calendar for a run of academic years: its three terms, their half-term breaks, its INSET days
and other closures, and the bank holidays of England and Wales.

`SchoolCalendar` is built once (`esafety.terms.selectors.school_calendar`, two queries) and then answers
every question without touching the database: is this a school day, the next school day, how many school
days lie between two dates, which term or half-term a day is in.

A year for which the school has entered nothing follows the default pattern (`default_year`), and says so
(`SchoolYearDates.is_default`), so that screens can tell the school its own dates are missing.
"""

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, timedelta
from functools import cache

import holidays
from dateutil.easter import easter

from esafety.models import SchoolClosure, SchoolTerm

ONE_DAY = timedelta(days=1)
TERM_ORDER = (SchoolTerm.Name.AUTUMN, SchoolTerm.Name.SPRING, SchoolTerm.Name.SUMMER)


def year_label(start_year: int) -> str:
    return f"{start_year}/{str(start_year + 1)[-2:]}"


def uk_date(day: date) -> str:
    return day.strftime("%d/%m/%Y")


@dataclass(frozen=True)
class TermPeriod:
    """
    A term, or half of one, in a school's calendar.

    `half` is "Autumn 1" … "Summer 2" for a half-term and None for a whole term.
    `is_default` says the dates come from the default pattern, not the school.
    """

    academic_year: str  # "2026/27"
    term: str  # "Autumn"
    half: str | None
    starts_on: date
    ends_on: date
    is_default: bool = False

    @property
    def name(self) -> str:
        return self.half or f"{self.term} term"

    def __contains__(self, day: date) -> bool:
        return self.starts_on <= day <= self.ends_on


@dataclass(frozen=True)
class TermDates:
    """One term as a school enters it: its first and last days, and the first and last days of its half-term break."""

    name: str  # SchoolTerm.Name
    starts_on: date
    ends_on: date
    half_term_starts_on: date
    half_term_ends_on: date

    @property
    def title(self) -> str:
        return SchoolTerm.Name(self.name).label

    @property
    def label(self) -> str:
        return f"{self.title} term"

    def in_half_term(self, day: date) -> bool:
        return self.half_term_starts_on <= day <= self.half_term_ends_on

    def halves(self) -> tuple[tuple[date, date], tuple[date, date]]:
        """The teaching dates of each half: to the last weekday before the break, and from the first weekday after it."""
        return (
            (self.starts_on, _weekday_on_or_before(self.half_term_starts_on - ONE_DAY)),
            (_weekday_on_or_after(self.half_term_ends_on + ONE_DAY), self.ends_on),
        )


@dataclass(frozen=True)
class ClosureDates:
    """Days the school is closed to pupils in term time: an INSET day or another closure."""

    kind: str  # SchoolClosure.Kind
    starts_on: date
    ends_on: date
    description: str = ""

    @property
    def label(self) -> str:
        kind = SchoolClosure.Kind(self.kind).label
        return f"{kind} ({self.description})" if self.description else kind

    def __contains__(self, day: date) -> bool:
        return self.starts_on <= day <= self.ends_on


@dataclass(frozen=True)
class SchoolYearDates:
    """A school's terms and closures in one academic year (1 September to 31 August)."""

    start_year: int
    terms: tuple[TermDates, ...]  # autumn, spring, summer
    closures: tuple[ClosureDates, ...] = ()
    is_default: bool = False

    @property
    def label(self) -> str:
        return year_label(self.start_year)

    @property
    def starts_on(self) -> date:
        return date(self.start_year, 9, 1)

    @property
    def ends_on(self) -> date:
        return date(self.start_year + 1, 8, 31)

    def term(self, name: str) -> TermDates:
        return next(t for t in self.terms if t.name == name)

    def term_periods(self) -> list[TermPeriod]:
        return [TermPeriod(self.label, t.title, None, t.starts_on, t.ends_on, self.is_default) for t in self.terms]

    def half_terms(self) -> list[TermPeriod]:
        """The six half-terms, Autumn 1 to Summer 2, by their teaching dates (the breaks are in none)."""
        periods = []
        for t in self.terms:
            for number, (first, last) in enumerate(t.halves(), start=1):
                periods.append(TermPeriod(self.label, t.title, f"{t.title} {number}", first, last, self.is_default))
        return periods

    def trend_periods(self) -> list[TermPeriod]:
        """
        The six half-terms stretched to cover the whole year without gaps, for counting things that also happen
        in the holidays (incidents online): each half-term runs on to the day before the next one starts, so
        that a break belongs to the half-term before it; Autumn 1 starts on 1 September and Summer 2 ends on
        31 August.
        """
        halves = self.half_terms()
        periods = []
        for index, half in enumerate(halves):
            first = self.starts_on if index == 0 else half.starts_on
            last = halves[index + 1].starts_on - ONE_DAY if index + 1 < len(halves) else self.ends_on
            periods.append(TermPeriod(half.academic_year, half.term, half.half, first, last, half.is_default))
        return periods


# --- The default pattern ------------------------------------------------------------


def _weekday_on_or_after(day: date) -> date:
    while day.weekday() >= 5:
        day += ONE_DAY
    return day


def _weekday_on_or_before(day: date) -> date:
    while day.weekday() >= 5:
        day -= ONE_DAY
    return day


def _monday_on_or_after(day: date) -> date:
    return day + timedelta(days=(7 - day.weekday()) % 7)


def _friday_on_or_before(day: date) -> date:
    return day - timedelta(days=(day.weekday() - 4) % 7)


def _last_monday(year: int, month: int) -> date:
    next_month = date(year + (month == 12), month % 12 + 1, 1)
    last = next_month - ONE_DAY
    return last - timedelta(days=last.weekday())


def _week_from(monday: date) -> tuple[date, date]:
    return monday, monday + timedelta(days=4)


@cache
def default_year(start_year: int) -> SchoolYearDates:
    """
    The usual shape of an English school year, for a school that has not entered its own dates
    (docs/term-dates.md). Easter is that of the spring (`dateutil.easter`). Half-term breaks are
    Monday to Friday.

    - Autumn: the first weekday from 1 September to the last Friday on or before 20 December;
      half-term the week of the last Monday in October.
    - Spring: the first weekday from 4 January to the Friday nine days before Easter Sunday (the
      Easter holiday is the week before Easter and the week after); half-term the week from the first
      Monday on or after 13 February.
    - Summer: the Monday after Easter Monday to 21 July (or the Friday before, at a weekend);
      half-term the week of the late-May bank holiday (the last Monday in May).
    - No INSET days or other closures.
    """
    spring_year = start_year + 1
    easter_day = easter(spring_year)
    autumn_break = _week_from(_last_monday(start_year, 10))
    spring_break = _week_from(_monday_on_or_after(date(spring_year, 2, 13)))
    summer_break = _week_from(_last_monday(spring_year, 5))
    terms = (
        TermDates(
            SchoolTerm.Name.AUTUMN,
            _weekday_on_or_after(date(start_year, 9, 1)),
            _friday_on_or_before(date(start_year, 12, 20)),
            *autumn_break,
        ),
        TermDates(
            SchoolTerm.Name.SPRING,
            _weekday_on_or_after(date(spring_year, 1, 4)),
            easter_day - timedelta(days=9),
            *spring_break,
        ),
        TermDates(
            SchoolTerm.Name.SUMMER,
            easter_day + timedelta(days=8),
            _weekday_on_or_before(date(spring_year, 7, 21)),
            *summer_break,
        ),
    )
    return SchoolYearDates(start_year, terms, (), is_default=True)


# --- Bank holidays ------------------------------------------------------------------


@cache
def bank_holidays(start_year: int) -> tuple[tuple[date, str], ...]:
    """England and Wales bank holidays in the academic year beginning in September of `start_year`, from `holidays`."""
    found = holidays.country_holidays("GB", subdiv="ENG", years=(start_year, start_year + 1))
    first, last = date(start_year, 9, 1), date(start_year + 1, 8, 31)
    return tuple(sorted((day, name) for day, name in found.items() if first <= day <= last))


# --- The calendar -------------------------------------------------------------------


class CalendarRangeError(LookupError):
    """A day outside the academic years the calendar was loaded for."""


class SchoolCalendar:
    """
    A school's calendar over a run of academic years. Every method is pure: load the years needed first
    (`esafety.terms.selectors.school_calendar`), then ask as many questions as you like.

    A calendar loaded without closures (`with_closures=False`, one query fewer) knows terms and
    half-terms but refuses to say which days are school days.
    """

    def __init__(self, years: Iterable[SchoolYearDates], *, with_closures: bool = True):
        self._years = {year.start_year: year for year in years}
        if not self._years:
            raise ValueError("A school calendar needs at least one academic year.")
        self.with_closures = with_closures
        self._bank_holidays = {day: name for start in self._years for day, name in bank_holidays(start)}

    @property
    def years(self) -> list[SchoolYearDates]:
        return [self._years[start] for start in sorted(self._years)]

    @property
    def first_day(self) -> date:
        return date(min(self._years), 9, 1)

    @property
    def last_day(self) -> date:
        return date(max(self._years) + 1, 8, 31)

    def year(self, start_year: int) -> SchoolYearDates:
        try:
            return self._years[start_year]
        except KeyError:
            raise CalendarRangeError(f"The {year_label(start_year)} school year is not in this calendar.") from None

    def year_of(self, day: date) -> SchoolYearDates:
        return self.year(day.year if day.month >= 9 else day.year - 1)

    def bank_holiday(self, day: date) -> str | None:
        self.year_of(day)
        return self._bank_holidays.get(day)

    def bank_holidays_in_term(self, start_year: int) -> list[tuple[date, str]]:
        """The bank holidays of the year that fall on a weekday in term time, outside the half-term breaks."""
        year = self.year(start_year)
        return [
            (day, name)
            for day, name in bank_holidays(start_year)
            if day.weekday() < 5 and any(t.starts_on <= day <= t.ends_on and not t.in_half_term(day) for t in year.terms)
        ]

    def day_off_reason(self, day: date) -> str | None:
        """Why `day` is not a school day ("Weekend", "Half-term", "Bank holiday: May Day", …), or None if it is one."""
        if not self.with_closures:
            raise RuntimeError("This calendar was loaded without closures: load it with them to tell school days.")
        year = self.year_of(day)
        if day.weekday() >= 5:
            return "Weekend"
        if name := self._bank_holidays.get(day):
            return f"Bank holiday: {name}"
        term = next((t for t in year.terms if t.starts_on <= day <= t.ends_on), None)
        if term is None:
            return "School holiday"
        if term.in_half_term(day):
            return "Half-term"
        for closure in year.closures:
            if day in closure:
                return closure.label
        return None

    def is_school_day(self, day: date) -> bool:
        """A weekday in term time, outside the half-term break, and not a bank holiday, INSET day or closure."""
        return self.day_off_reason(day) is None

    def next_school_day(self, day: date) -> date | None:
        """The first school day after `day` (not `day` itself), or None if there is none in the loaded years."""
        return self.add_school_days(day, 1)

    def add_school_days(self, day: date, count: int) -> date | None:
        """The `count`-th school day after `day` (e.g. the end of a notice period), or None beyond the loaded years."""
        if count < 1:
            raise ValueError("Count at least one school day.")
        current = day
        while count:
            current += ONE_DAY
            if current > self.last_day:
                return None
            if self.is_school_day(current):
                count -= 1
        return current

    def school_days_between(self, start: date, end: date) -> int:
        """
        The number of school days after `start` up to and including `end`: from a Friday to the Monday after
        is 1 in term time. `start` itself never counts, so a notice given on a school day counts from the next
        one; 0 when `end` is not after `start`.
        """
        count = 0
        current = start + ONE_DAY
        while current <= end:
            if self.is_school_day(current):
                count += 1
            current += ONE_DAY
        return count

    def term_for(self, day: date) -> TermPeriod | None:
        """The term whose dates include `day` (its half-term break too), or None in the holidays between terms."""
        return next((p for p in self.year_of(day).term_periods() if day in p), None)

    def half_term_for(self, day: date) -> TermPeriod | None:
        """The half-term ("Autumn 1" … "Summer 2") whose teaching dates include `day`; None in a break or holiday."""
        return next((p for p in self.year_of(day).half_terms() if day in p), None)

    def latest_term(self, day: date) -> TermPeriod | None:
        """The term that includes `day` or, in the holidays, the one that ended last: "this term" on a dashboard."""
        terms = [p for year in self.years for p in year.term_periods() if p.starts_on <= day]
        return terms[-1] if terms else None
