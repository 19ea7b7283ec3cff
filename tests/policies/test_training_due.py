"""
Who is due or overdue for training, on a travelled clock: induction within the school's induction period of the
start date, a refresher when the latest e-safety or safeguarding training runs out, and those never trained. The
lead's page and home-page panel, each person's own panel, and the weekly reminders (`training_reminders_send`, run
each morning by policies.tasks).
"""

from datetime import date, datetime, time, timedelta

import pytest
import time_machine
from django.core import mail
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from esafety.models import Membership, Notification
from esafety.roles import Role
from esafety.scoping import scope
from policies.models import PolicyAcknowledgement, PolicySettings, TrainingRecord, TrainingReminder
from policies.services.training import training_reminders_send
from policies.tasks import policies_daily
from tests import factories as f

pytestmark = pytest.mark.django_db

Kind = TrainingRecord.Kind
DUE = reverse("policies:training_due")
HOME = reverse("home")
MINE = reverse("policies:my_training")
# A Friday in term.
TODAY = date(2027, 1, 15)


def at(day: date, hour: int = 7, minute: int = 0) -> datetime:
    return timezone.make_aware(datetime.combine(day, time(hour, minute)))


def page(response):
    return response.content.decode()


def trained(cast, member, completed_on, kind=Kind.SAFEGUARDING, **extra):
    return TrainingRecord.objects.create(
        school=cast.a.school, staff_member=member, kind=kind, course=f"{kind} course", completed_on=completed_on, **extra
    )


@pytest.fixture
def staff(cast):
    """One member of staff in each case, on 15 January 2027 with the school's defaults (30 days, 12 months)."""
    school = cast.a.school

    def member(first, last, code, **extra):
        if extra.get("user") is not None:
            Membership.objects.create(user=extra["user"], school=school, role=Role.STAFF)
        made = f.make_staff(school, first, last, mis_id=code, **extra)
        if made.user is not None:
            # Read already, so that their pages are not the policies to read (policies.middleware).
            PolicyAcknowledgement.objects.create(version=cast.a.policy_version, staff_member=made)
        return made

    people = {
        # Started ten days ago: induction due by 4 Feb.
        "new": member("Nadia", "Newstart", "NEW", start_date=date(2027, 1, 5), user=f.make_user("new@a.example", "Nadia")),
        # Started 1 Nov: induction was due by 1 Dec.
        "late": member("Larry", "Latestart", "LAT", start_date=date(2026, 11, 1), user=f.make_user("late@a.example", "Larry")),
        # Started 1 Nov and had induction on the 10th.
        "inducted": member("Ines", "Inducted", "IND", start_date=date(2026, 11, 1), user=f.make_user("ind@a.example", "Ines")),
        # Started 1 Nov, trained only before that (at a previous school): induction still overdue.
        "before": member("Bea", "Before", "BEF", start_date=date(2026, 11, 1)),
        # Safeguarding a year ago on 25 Jan: refresher due by 25 Jan, within 14 days.
        "soon": member("Sunil", "Soon", "SOO", user=f.make_user("soon@a.example", "Sunil")),
        # Online safety to 1 Dec: expired.
        "expired": member("Eve", "Expired", "EXP", user=f.make_user("exp@a.example", "Eve")),
        # A course with its own expiry three years on.
        "long": member("Lou", "Longlasting", "LON", user=f.make_user("long@a.example", "Lou")),
        # Prevent only, which is not e-safety or safeguarding training.
        "prevent": member("Pat", "Preventonly", "PRE", user=f.make_user("pre@a.example", "Pat")),
        # Never trained, with no login: on the page, never reminded.
        "never": member("Nev", "Nologin", "NEV"),
        # Left at Christmas, never trained: not in post.
        "leaver": member("Lee", "Leaver", "LEA", leaving_date=date(2026, 12, 19), user=f.make_user("lee@a.example", "Lee")),
    }
    trained(cast, people["inducted"], date(2026, 11, 10), Kind.INDUCTION)
    trained(cast, people["before"], date(2026, 6, 1))
    trained(cast, people["soon"], date(2026, 1, 25))
    trained(cast, people["expired"], date(2025, 12, 1), Kind.ONLINE_SAFETY)
    trained(cast, people["long"], date(2024, 3, 1), expires_on=date(2027, 3, 1))
    trained(cast, people["prevent"], date(2026, 12, 1), Kind.PREVENT)
    # The cast's teacher was trained recently, and the cast's head teacher has a staff record and no training.
    TrainingRecord.objects.filter(pk=cast.a.training_record.pk).update(completed_on=date(2026, 12, 1))
    return people


def test_the_page_sorts_everyone_in_post_into_overdue_and_due(cast, login, staff):
    with time_machine.travel(at(TODAY, 10), tick=False):
        response = login(cast.a.users["lead"]).get(DUE)
    overdue = {(row.staff_member.last_name, row.label, row.due_on) for row in response.context["overdue"]}
    due = {(row.staff_member.last_name, row.label, row.due_on) for row in response.context["due"]}
    assert overdue == {
        ("Latestart", "Induction overdue", date(2026, 12, 1)),
        ("Before", "Induction overdue", date(2026, 12, 1)),
        ("Expired", "Refresher overdue", date(2026, 12, 1)),
        ("Preventonly", "Never trained", TODAY),
        ("Nologin", "Never trained", TODAY),
        ("TeacherA", "Never trained", TODAY),  # Head TeacherA, the head teacher's staff record
    }
    assert due == {("Newstart", "Induction due", date(2027, 2, 4)), ("Soon", "Refresher due", date(2027, 1, 25))}
    body = page(response)
    assert "Latestart, Larry" in body and "45 days ago" in body and "in 20 days" in body
    assert "Leaver" not in body and "Inducted" not in body and "Longlasting" not in body
    assert f"?staff={staff['late'].pk}" in body


def test_the_schools_own_periods_are_used(cast, login, staff):
    PolicySettings.objects.filter(school=cast.a.school).update(induction_days=90, refresher_months=24)
    with time_machine.travel(at(TODAY, 10), tick=False):
        response = login(cast.a.users["lead"]).get(DUE)
    rows = {row.staff_member.last_name: row for row in response.context["overdue"] + response.context["due"]}
    assert rows["Latestart"].label == "Induction due" and rows["Latestart"].due_on == date(2027, 1, 30)
    assert "Expired" not in rows and "Soon" not in rows
    assert "within 90 days of starting" in page(response) and "every 24 months" in page(response)


def test_the_due_page_runs_one_query_for_the_staff_however_many(cast, login, staff, django_assert_num_queries):
    def grow(start, n):
        for i in range(start, start + n):
            member = f.make_staff(cast.a.school, f"Grown{i}", "Staff", mis_id=f"G{i}", start_date=date(2026, 12, 20))
            trained(cast, member, date(2025, 1, 1) + timedelta(days=i))

    with time_machine.travel(at(TODAY, 10), tick=False):
        client = login(cast.a.users["lead"])
        client.get(DUE)
        with CaptureQueriesContext(connection) as few:
            client.get(DUE)
        grow(0, 30)
        with django_assert_num_queries(len(few)):
            assert "Grown29" in page(client.get(DUE))
    # Besides the 7 of every page: the staff with what each has due, and the settings for the page's words.
    assert len(few) <= 7 + 2


# --- The home page ------------------------------------------------------------------------------------------------


def test_the_leads_panel_counts_who_is_due_and_overdue(cast, login, staff):
    with time_machine.travel(at(TODAY, 10), tick=False):
        body = page(login(cast.a.users["lead"]).get(HOME))
    assert "6 members of staff overdue" in body and "2 members of staff due soon" in body
    assert DUE in body


def test_the_panel_says_when_everyone_is_up_to_date(cast, login):
    TrainingRecord.objects.create(
        school=cast.a.school,
        staff_member=cast.a.users["head"].staff_records.get(),
        kind=Kind.SAFEGUARDING,
        course="Safeguarding for heads",
        completed_on=timezone.localdate() - timedelta(days=5),
    )
    body = page(login(cast.a.users["dsl"]).get(HOME))
    assert "Every member of staff's e-safety and safeguarding training is up to date." in body


def test_each_member_of_staff_sees_their_own_training_due_on_their_home_page(cast, login, staff):
    with time_machine.travel(at(TODAY, 10), tick=False):
        late = page(login(staff["late"].user).get(HOME))
        inducted = page(login(staff["inducted"].user).get(HOME))
        teacher = page(login(cast.a.users["teacher"]).get(HOME))
        head = page(login(cast.a.users["head"]).get(HOME))
    assert "Your induction training is overdue:" in late and "1 Dec 2026" in late and MINE in late
    assert "Your training" not in inducted and "Your training" not in teacher
    assert "You have no e-safety or safeguarding training on record." in head


def test_governors_and_it_see_no_lead_panel(cast, login, staff):
    for role in ("governor", "it", "teacher"):
        assert "members of staff overdue" not in page(login(cast.a.users[role]).get(HOME))


# --- Reminders ----------------------------------------------------------------------------------------------------


def titles(user):
    return list(Notification.objects.filter(recipient=user).order_by("pk").values_list("title", flat=True))


def test_those_overdue_or_due_within_a_fortnight_are_reminded_once(cast, staff, django_capture_on_commit_callbacks):
    mail.outbox.clear()
    with time_machine.travel(at(TODAY), tick=False):
        with django_capture_on_commit_callbacks(execute=True):
            assert training_reminders_send(cast.a.school) == 5
        # The same morning again: nothing twice.
        assert training_reminders_send(cast.a.school) == 0
    assert titles(staff["late"].user) == [
        "Your e-safety and safeguarding induction training is overdue: it was due by 1 Dec 2026"
    ]
    assert titles(staff["soon"].user) == ["Your e-safety and safeguarding training expires on 25 Jan 2027: a refresher is due"]
    assert titles(staff["expired"].user) == [
        "Your e-safety and safeguarding training expired on 1 Dec 2026: a refresher is overdue"
    ]
    assert titles(staff["prevent"].user) == ["You have no e-safety or safeguarding training on record"]
    # The cast's head teacher has a staff record and no training either.
    assert titles(cast.a.users["head"])[-1] == "You have no e-safety or safeguarding training on record"
    # Due in 20 days: not yet. Up to date, left, or with no login: never.
    for name in ("new", "inducted", "long", "leaver"):
        assert titles(staff[name].user) == []
    assert not TrainingReminder.objects.filter(staff_member__in=[staff["never"], staff["before"]]).exists()
    assert sorted(m.to[0] for m in mail.outbox) == sorted(
        [cast.a.users["head"].email] + [staff[name].user.email for name in ("late", "soon", "expired", "prevent")]
    )
    reminder = TrainingReminder.objects.get(staff_member=staff["late"])
    assert (reminder.about, reminder.due_on, reminder.sent_on) == ("induction", date(2026, 12, 1), TODAY)
    notification = Notification.objects.get(recipient=staff["late"].user)
    assert notification.link == MINE and "give them your certificate" in notification.body


def test_reminders_come_at_most_weekly_and_stop_once_the_training_is_recorded(cast, staff):
    with time_machine.travel(at(TODAY), tick=False):
        training_reminders_send(cast.a.school)
    with time_machine.travel(at(TODAY + timedelta(days=3)), tick=False):
        assert training_reminders_send(cast.a.school) == 0
    # Six days on, the new starter's deadline (4 Feb) is within a fortnight: their first reminder.
    with time_machine.travel(at(TODAY + timedelta(days=6)), tick=False):
        assert training_reminders_send(cast.a.school) == 1
        assert titles(staff["new"].user) == ["Your e-safety and safeguarding induction training is due by 4 Feb 2027"]
    trained(cast, staff["late"], TODAY + timedelta(days=5), Kind.INDUCTION)
    with time_machine.travel(at(TODAY + timedelta(days=7)), tick=False):
        # A week after the first: the others again, not the one now trained, not the new starter (a day ago).
        assert training_reminders_send(cast.a.school) == 4
    assert len(titles(staff["late"].user)) == 1 and len(titles(staff["expired"].user)) == 2


def test_the_daily_job_sends_each_schools_own_reminders(cast, staff):
    with scope(school=cast.b.school):
        outsider = f.make_staff(cast.b.school, "Bo", "Bravo", mis_id="BB1", user=f.make_user("bo@b.example", "Bo"))
    with time_machine.travel(at(TODAY), tick=False):
        result = policies_daily(cast.a.school.pk)
    assert result["training"] == 5
    assert titles(outsider.user) == []
