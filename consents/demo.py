"""
Demo consents: this year's open round for the whole school with most slips
back, and past years' answers (expired at each renewal), in bulk.
`make bench` calls `seed_answers` with five years for the large school.
"""

from datetime import date, datetime, time

from django.db import transaction
from django.utils import timezone

from consents import services
from consents.models import ConsentAnswer, ConsentRound, ConsentSlip, ConsentType
from esafety.calendar import academic_year_start
from esafety.models import AcademicYear, FormGroup, Pupil, User
from esafety.roles import Role


def seed_demo_consents(*, school, logins, rng, size):
    office = User.objects.get(email=next(login.email for login in logins if login.role == Role.OFFICE))
    seed_answers(school=school, office=office, rng=rng, years=1)


def seed_answers(*, school, office, rng, years: int) -> int:
    """This year's open round (most slips back) and `years` earlier years of answers. Returns the answers added."""
    today = timezone.localdate()
    this_year = academic_year_start(today)
    types = list(ConsentType.objects.for_school(school).active().for_pupils().select_related("current_wording"))
    one_year = [t for t in types if t.duration == ConsentType.Duration.ACADEMIC_YEAR]
    pupils = list(Pupil.objects.for_school(school).prefetch_related("contact_links"))
    added = []
    with transaction.atomic():
        for years_ago in range(years, 0, -1):
            start = this_year - years_ago
            year = AcademicYear.objects.for_date(date(start, 9, 1))
            if ConsentAnswer.objects.filter(school=school, academic_year=year).exists():
                continue  # seeded before (the demo gives every school last year's answers)
            expired = timezone.make_aware(datetime.combine(date(start + 1, 9, 1), time(4, 30)))
            on_roll = [p for p in pupils if _on_roll(p, date(start, 9, 15))]
            added += _answers(school, year, on_roll, one_year, office, rng, date(start, 9, 20), expired_at=expired)
        year = AcademicYear.objects.for_date(today)
        consent_round = ConsentRound.objects.for_school(school).filter(academic_year=year).first()
        if consent_round is None:
            consent_round = services.round_create(
                school=school,
                academic_year=year,
                title=f"Consents {year.label}",
                consent_types=types,
                forms=list(FormGroup.objects.for_school(school).active()),
                year_groups=[],
                actor=office,
            )
            services.round_open(consent_round=consent_round, actor=office)
        slips = dict(ConsentSlip.objects.filter(round=consent_round).values_list("pupil_id", "pk"))
        current = [p for p in pupils if _on_roll(p, today) and p.pk in slips and rng.random() < 0.85]
        signed = min(today, date(this_year, 9, 8))
        already = set(ConsentAnswer.objects.current().filter(school=school).values_list("pupil_id", "consent_type_id"))
        fresh = [p for p in current if not any((p.pk, t.pk) in already for t in types)]
        added += _answers(school, year, fresh, types, office, rng, signed, slips=slips)
        ConsentSlip.objects.filter(pk__in=[slips[p.pk] for p in fresh]).update(returned_at=timezone.now())
    return len(added)


def _on_roll(pupil, day: date) -> bool:
    started = pupil.admission_date is None or pupil.admission_date <= day
    return started and (pupil.leaving_date is None or pupil.leaving_date > day)


def _answers(school, year, pupils, types, office, rng, signed_on, *, expired_at=None, slips=None):
    rows = []
    for pupil in pupils:
        parent = next(iter(pupil.contact_links.all()), None)
        for consent_type in types:
            rows.append(
                ConsentAnswer(
                    school=school,
                    pupil=pupil,
                    consent_type=consent_type,
                    wording_id=consent_type.current_wording_id,
                    academic_year=year,
                    slip_id=(slips or {}).get(pupil.pk),
                    agreed=rng.random() < 0.9,
                    given_by_id=parent.contact_id if parent else None,
                    method=ConsentAnswer.Method.PAPER,
                    signed_on=signed_on,
                    entered_by=office,
                    expired_at=expired_at,
                )
            )
    # Plain bulk inserts: a demo's invented past needs no change history, and five years of a large school is 40,000 rows.
    return ConsentAnswer.objects.bulk_create(rows, batch_size=1000)
