"""
The school's own term dates: terms, half-term breaks, INSET days and closures, with the bank holidays of
England and Wales, and a default English school year for a year the school has not entered (docs/term-dates.md).

    is_school_day(school, day)                  a weekday in term, not half-term, a bank holiday or a closure
    next_school_day(school, day)                the first school day after `day`
    add_school_days(school, day, count)         the `count`-th school day after `day`
    school_days_between(school, start, end)     school days after `start` up to and including `end`
    term_for(school, day)                       the term that includes `day`, or None in the holidays
    half_term_for(school, day)                  the half-term ("Autumn 1" … "Summer 2") whose teaching days include `day`
    school_calendar(school, first_year, last_year)   the calendar of those academic years, loaded once, to ask many times

Each function loads what it needs (two queries); for many questions, load a `SchoolCalendar` once.
"""

from esafety.terms.calendar import ClosureDates, SchoolCalendar, SchoolYearDates, TermDates, TermPeriod, default_year
from esafety.terms.selectors import (
    add_school_days,
    half_term_for,
    is_school_day,
    next_school_day,
    school_calendar,
    school_days_between,
    term_for,
)
from esafety.terms.services import term_dates_save

__all__ = [
    "ClosureDates",
    "SchoolCalendar",
    "SchoolYearDates",
    "TermDates",
    "TermPeriod",
    "add_school_days",
    "default_year",
    "half_term_for",
    "is_school_day",
    "next_school_day",
    "school_calendar",
    "school_days_between",
    "term_dates_save",
    "term_for",
]
