"""
What makes a school year's dates acceptable, in one place for the form (which shows each message beside its
field) and the service (which refuses to save otherwise). Each problem names the field it is about, as the
form names it: "autumn_starts_on", "spring_half_term_ends_on"; a closure's are "starts_on" and "ends_on".
"""

from collections.abc import Sequence
from datetime import date

from esafety.terms.calendar import TERM_ORDER, ClosureDates, TermDates, uk_date, year_label

Problem = tuple[str, str]  # (field, message)


def _outside(start_year: int, day: date) -> bool:
    return not date(start_year, 9, 1) <= day <= date(start_year + 1, 8, 31)


def outside_year_problem(start_year: int, day: date) -> str | None:
    """The message for a date outside the academic year, or None."""
    return _year_message(start_year) if _outside(start_year, day) else None


def _year_message(start_year: int) -> str:
    return f"Give a date in the {year_label(start_year)} school year, between 01/09/{start_year} and 31/08/{start_year + 1}."


def term_problems(start_year: int, terms: Sequence[TermDates]) -> list[Problem]:
    """
    Every date inside the academic year; each term ending after it starts; its half-term break inside it;
    the terms in order, autumn, spring, summer, without overlapping. Terms missing from `terms` (a field
    left empty on the form) are skipped.
    """
    problems: list[Problem] = []
    by_name = {t.name: t for t in terms}
    for term in terms:
        prefix = f"{term.name}_"
        outside = [
            field
            for field in ("starts_on", "ends_on", "half_term_starts_on", "half_term_ends_on")
            if _outside(start_year, getattr(term, field))
        ]
        problems += [(prefix + field, _year_message(start_year)) for field in outside]
        if outside:
            continue
        lower = term.label.lower()
        if term.ends_on <= term.starts_on:
            problems.append((prefix + "ends_on", f"The {lower} must end after it starts ({uk_date(term.starts_on)})."))
            continue
        if term.half_term_ends_on < term.half_term_starts_on:
            problems.append(
                (
                    prefix + "half_term_ends_on",
                    f"The half-term break must end on or after its first day ({uk_date(term.half_term_starts_on)}).",
                )
            )
        inside = f"The half-term break must fall inside the {lower}, after {uk_date(term.starts_on)} and before {uk_date(term.ends_on)}."
        if not term.starts_on < term.half_term_starts_on < term.ends_on:
            problems.append((prefix + "half_term_starts_on", inside))
        elif not term.half_term_ends_on < term.ends_on:
            problems.append((prefix + "half_term_ends_on", inside))
    for earlier, later in zip(TERM_ORDER, TERM_ORDER[1:], strict=False):
        before, after = by_name.get(earlier), by_name.get(later)
        if before is None or after is None or _outside(start_year, before.ends_on) or _outside(start_year, after.starts_on):
            continue
        if after.starts_on <= before.ends_on:
            problems.append(
                (
                    f"{later}_starts_on",
                    f"The {after.label.lower()} must start after the {before.label.lower()} ends ({uk_date(before.ends_on)}).",
                )
            )
    return problems


def closure_problems(start_year: int, closure: ClosureDates) -> list[Problem]:
    """The closure inside the academic year, ending on or after its first day."""
    problems = [
        (field, _year_message(start_year)) for field in ("starts_on", "ends_on") if _outside(start_year, getattr(closure, field))
    ]
    if not problems and closure.ends_on < closure.starts_on:
        problems.append(("ends_on", f"The last day closed must be on or after the first ({uk_date(closure.starts_on)})."))
    return problems
