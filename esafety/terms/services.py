"""Writing a school's term dates: one service, so that the screen, an import and the demo save alike, with history."""

from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass

from django.core.exceptions import ValidationError
from django.db import transaction

from esafety.history import save_with_history
from esafety.models import AcademicYear, School, SchoolClosure, SchoolTerm, User
from esafety.terms.calendar import TERM_ORDER, ClosureDates, TermDates
from esafety.terms.validation import closure_problems, term_problems

TERM_FIELDS = ("starts_on", "ends_on", "half_term_starts_on", "half_term_ends_on")


@dataclass(frozen=True)
class TermDatesSaved:
    terms_changed: int
    closures_added: int
    closures_removed: int

    @property
    def changed(self) -> bool:
        return bool(self.terms_changed or self.closures_added or self.closures_removed)


@transaction.atomic
def term_dates_save(
    *,
    school: School,
    academic_year: AcademicYear,
    terms: Sequence[TermDates],
    closures: Sequence[ClosureDates],
    actor: User | None,
    reason: str = "",
) -> TermDatesSaved:
    """
    Make the school's dates for `academic_year` these: all three terms with their half-terms, and exactly
    these INSET days and closures. Refuses (ValidationError) dates that `esafety.terms.validation` finds
    wrong. A term is saved only if it changed; a closure is matched by its values, so one kept as it was is
    left alone and one edited is removed and added again. Every change is in the history, by `actor`
    (None for the system, e.g. the demo).
    """
    if sorted(t.name for t in terms) != sorted(TERM_ORDER):
        raise ValidationError("Give the autumn, spring and summer terms, once each.")
    start_year = academic_year.start_year
    problems = term_problems(start_year, terms) + [p for c in closures for p in closure_problems(start_year, c)]
    if problems:
        raise ValidationError([message for _, message in problems])

    existing = {
        term.name: term for term in SchoolTerm.objects.select_for_update().filter(school=school, academic_year=academic_year)
    }
    terms_changed = 0
    for dates in sorted(terms, key=lambda t: TERM_ORDER.index(t.name)):
        term = existing.get(dates.name) or SchoolTerm(school=school, academic_year=academic_year, name=dates.name)
        if term.pk and all(getattr(term, field) == getattr(dates, field) for field in TERM_FIELDS):
            continue
        for field in TERM_FIELDS:
            setattr(term, field, getattr(dates, field))
        save_with_history(term, actor=actor, reason=reason)
        terms_changed += 1

    wanted = Counter(closures)
    removed = 0
    for closure in SchoolClosure.objects.select_for_update().filter(school=school, academic_year=academic_year):
        key = ClosureDates(closure.kind, closure.starts_on, closure.ends_on, closure.description)
        if wanted[key]:
            wanted[key] -= 1
            continue
        closure._history_user = actor
        if reason:
            closure._change_reason = reason
        closure.delete()
        removed += 1
    added = 0
    for dates, count in wanted.items():
        for _ in range(count):
            closure = SchoolClosure(
                school=school,
                academic_year=academic_year,
                kind=dates.kind,
                starts_on=dates.starts_on,
                ends_on=dates.ends_on,
                description=dates.description,
            )
            save_with_history(closure, actor=actor, reason=reason)
            added += 1
    return TermDatesSaved(terms_changed, added, removed)
