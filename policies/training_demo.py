"""
The demo school's staff training, for a user to try the register, the page of who is due and My training: most
staff trained in the last year (safeguarding and online safety, with their induction when they started), some with a
refresher due within the month, a few expired, a couple never trained, and two new starters, one within their
induction period and one past it. The DSL has their DSL training, IT its filtering and monitoring course. The demo's
member of staff (the teacher's login) has a refresher due within a fortnight, so that their home page shows it.

Called by `policies.demo` for each demo school; made once: seeding again adds nothing. Everything is bulk-created
from the seed given, with one history entry a record (its creation, by the e-safety lead).
"""

import random
from datetime import date, timedelta

from django.utils import timezone
from simple_history.utils import bulk_create_with_history

from esafety.models import School, StaffMember, User
from esafety.roles import Role
from policies.models import TrainingRecord

Kind = TrainingRecord.Kind
# The share of staff in each state, in this order; the rest are up to date.
NEVER, EXPIRED, EXPIRING = 0.05, 0.15, 0.3
PROVIDERS = ("Local authority safeguarding team", "NSPCC Learning", "National College", "In school (DSL)", "SWGfL")
SAFEGUARDING_COURSES = ("Annual safeguarding update", "Level 1 safeguarding and child protection", "KCSIE update")
ONLINE_COURSES = ("Online safety for staff", "Online safety and sexting (UKCIS guidance)", "Staff online safety update")


def _record(school, member, kind, course, completed_on, rng, recorded_by, **extra) -> TrainingRecord:
    return TrainingRecord(
        school=school,
        staff_member=member,
        kind=kind,
        course=course,
        provider=rng.choice(PROVIDERS),
        completed_on=completed_on,
        recorded_by=recorded_by,
        **extra,
    )


def _core_training(school, member, rng, lead, completed_on) -> list[TrainingRecord]:
    """Safeguarding on the day given, and online safety on the same day or soon before."""
    online_on = completed_on - timedelta(days=rng.randrange(0, 20))
    if member.start_date is not None:
        online_on = max(online_on, member.start_date)
    return [
        _record(school, member, Kind.SAFEGUARDING, rng.choice(SAFEGUARDING_COURSES), completed_on, rng, lead),
        _record(school, member, Kind.ONLINE_SAFETY, rng.choice(ONLINE_COURSES), online_on, rng, lead),
    ]


def seed_demo_training(*, school: School, logins, rng: random.Random, size: str) -> None:
    if TrainingRecord.objects.for_school(school).exists():
        return
    today = timezone.localdate()
    users = {u.email: u for u in User.objects.filter(email__in=[login.email for login in logins])}
    by_role = {login.role: users[login.email] for login in logins if login.email in users}
    lead = by_role.get(Role.LEAD)
    staff = list(StaffMember.objects.for_school(school).current(today).order_by("mis_id"))
    if lead is None or len(staff) < 8:
        return
    role_of = {member.user_id: role for role, user in by_role.items() for member in staff if member.user_id == user.pk}
    without_login = [member for member in staff if member.user_id is None]
    # Two new starters, as the next MIS import would bring them: one within their induction period, one past it.
    starters = {without_login[-1].pk: today - timedelta(days=10), without_login[-2].pk: today - timedelta(days=45)}
    for member in staff:
        if member.pk in starters:
            member.start_date = starters[member.pk]
    StaffMember.objects.bulk_update([m for m in staff if m.pk in starters], ["start_date"])

    records: list[TrainingRecord] = []
    for member in staff:
        if member.pk in starters:
            continue
        role = role_of.get(member.user_id)
        share = rng.random()
        if role is None and share < NEVER:
            continue
        start = member.start_date or date(today.year - 5, 9, 1)
        if (today - start).days < 3 * 365:
            inducted_on = start + timedelta(days=rng.randrange(2, 20))
            records.append(
                _record(school, member, Kind.INDUCTION, "Staff induction: safeguarding and online safety", inducted_on, rng, lead)
            )
        if role == Role.STAFF:
            # The demo's member of staff: a refresher due within a fortnight.
            completed_on = today - timedelta(days=365 - 10)
        elif role is not None:
            completed_on = today - timedelta(days=rng.randrange(30, 200))
        elif share < EXPIRED:
            completed_on = today - timedelta(days=rng.randrange(380, 540))
        elif share < EXPIRING:
            completed_on = today - timedelta(days=365 - rng.randrange(1, 28))
        else:
            completed_on = today - timedelta(days=rng.randrange(20, 330))
        # Training before someone started was not at this school: theirs is from their start date on.
        completed_on = max(completed_on, start + timedelta(days=1))
        records += _core_training(school, member, rng, lead, completed_on)
        if role == Role.DSL:
            dsl_on = max(today - timedelta(days=rng.randrange(100, 500)), start + timedelta(days=1))
            course = "Designated safeguarding lead: new and refresher"
            records.append(_record(school, member, Kind.DSL, course, dsl_on, rng, lead, expires_on=dsl_on + timedelta(days=730)))
        if role == Role.IT:
            filtering_on = max(today - timedelta(days=rng.randrange(60, 300)), start + timedelta(days=1))
            records.append(_record(school, member, Kind.FILTERING, "Filtering and monitoring standards", filtering_on, rng, lead))
        if rng.random() < 0.4:
            prevent_on = max(today - timedelta(days=rng.randrange(60, 900)), start + timedelta(days=1))
            records.append(_record(school, member, Kind.PREVENT, "Prevent duty awareness", prevent_on, rng, lead))
    bulk_create_with_history(records, TrainingRecord, batch_size=500, default_user=lead, default_change_reason="Recorded")
