"""
Reminders of policy reviews (policies.services.policies.policy_review_reminders_send, run each morning by
policies.tasks): the owner is reminded two months, one month and one week before the review is due, and on the day,
each once; without an owner in post, the e-safety lead is. A new review date starts again; a retired policy, or one
without a review date, gets none.
"""

from datetime import date, datetime, time

import pytest
import time_machine
from django.core import mail
from django.urls import reverse
from django.utils import timezone

from esafety.models import Membership, Notification
from esafety.roles import Role
from esafety.scoping import scope
from policies.models import Policy
from policies.services import policies as services
from policies.tasks import policies_daily
from tests import factories as f

pytestmark = pytest.mark.django_db

REVIEW = date(2030, 6, 15)


def morning(day: date) -> datetime:
    return timezone.make_aware(datetime.combine(day, time(7, 15)))


def send_on(cast, day: date) -> int:
    with time_machine.travel(morning(day), tick=False):
        return services.policy_review_reminders_send(cast.a.school)


def titles(user, policy) -> list[str]:
    link = reverse("policies:policy_detail", args=[policy.pk])
    return list(Notification.objects.filter(recipient=user, link=link).order_by("pk").values_list("title", flat=True))


def make_policy(cast, title="Mobile phones and devices policy", *, owner=None, review_on=REVIEW):
    lead = cast.a.users["lead"]
    policy = services.policy_create(
        school=cast.a.school, actor=lead, title=title, kind=Policy.Kind.MOBILE_PHONES, owner=owner, staff_must_acknowledge=False
    )
    draft = services.policy_version_create(policy=policy, actor=lead, version="1.0", document=None, text="Text", changes="")
    services.policy_version_approve(
        version=draft,
        actor=lead,
        approved_by="Head teacher",
        approved_at_meeting="",
        approved_on=date(2026, 6, 1),
        next_review_on=review_on,
    )
    policy.refresh_from_db()
    return policy


@pytest.fixture
def phones(cast):
    """The mobile-phone policy, owned by the teacher (Tutor TeacherA), its review due on 15 June 2030."""
    # The cast's own policy is reviewed long before: out of the way of these dates.
    Policy.objects.filter(pk=cast.a.policy.pk).update(next_review_on=None)
    return make_policy(cast, owner=cast.a.staff_member)


def test_the_owner_is_reminded_two_months_one_month_one_week_before_and_on_the_day_each_once(
    cast, phones, django_capture_on_commit_callbacks
):
    teacher = cast.a.users["teacher"]
    expected = {
        date(2030, 4, 15): "The review of Mobile phones and devices policy is due in two months, on 15 Jun 2030",
        date(2030, 5, 15): "The review of Mobile phones and devices policy is due in a month, on 15 Jun 2030",
        date(2030, 6, 8): "The review of Mobile phones and devices policy is due in a week, on 15 Jun 2030",
        date(2030, 6, 15): "The review of Mobile phones and devices policy is due today",
    }
    quiet = [date(2030, 4, 14), date(2030, 5, 14), date(2030, 6, 7), date(2030, 6, 14), date(2030, 6, 16), date(2030, 9, 1)]
    for day in sorted([*expected, *quiet]):
        mail.outbox.clear()
        with django_capture_on_commit_callbacks(execute=True):
            sent = send_on(cast, day)
        assert sent == (1 if day in expected else 0), day
        assert send_on(cast, day) == 0, f"sent again on {day}"
        if day in expected:
            assert titles(teacher, phones)[-1] == expected[day]
            assert [m.to for m in mail.outbox] == [[teacher.email]]
    assert titles(teacher, phones) == list(expected.values())
    assert not Notification.objects.filter(recipient=cast.a.users["lead"], link__contains="/policies/").exists()
    phones.refresh_from_db()
    assert (phones.reminded_for, phones.reminder_stage) == (REVIEW, 4)
    # The job's records are not changes anybody made: nothing in the policy's history.
    assert phones.history.count() == 2


def test_a_reminder_missed_is_sent_late_and_only_the_latest(cast, phones):
    assert send_on(cast, date(2030, 6, 10)) == 1
    assert titles(cast.a.users["teacher"], phones) == [
        "The review of Mobile phones and devices policy is due in 5 days, on 15 Jun 2030"
    ]
    assert send_on(cast, date(2030, 6, 12)) == 0
    # A review long overdue when first noticed: one reminder, then nothing more.
    assert send_on(cast, date(2030, 7, 1)) == 1
    assert titles(cast.a.users["teacher"], phones)[-1] == (
        "The review of Mobile phones and devices policy is overdue: it was due on 15 Jun 2030"
    )
    assert send_on(cast, date(2030, 7, 2)) == 0


def test_a_new_review_date_starts_the_reminders_again(cast, phones):
    assert send_on(cast, date(2030, 4, 15)) == 1
    services.policy_update(
        policy=phones,
        actor=cast.a.users["lead"],
        title=phones.title,
        kind=phones.kind,
        owner=phones.owner,
        staff_must_acknowledge=False,
        next_review_on=date(2030, 9, 1),
    )
    assert send_on(cast, date(2030, 6, 30)) == 0
    assert send_on(cast, date(2030, 7, 1)) == 1
    assert titles(cast.a.users["teacher"], phones)[-1] == (
        "The review of Mobile phones and devices policy is due in two months, on 1 Sep 2030"
    )


def test_without_an_owner_in_post_the_leads_are_reminded(cast, phones):
    second_lead = f.make_user("lead2@a.example", "Second Lead")
    Membership.objects.create(user=second_lead, school=cast.a.school, role=Role.LEAD)
    cast.a.staff_member.leaving_date = date(2029, 12, 31)
    cast.a.staff_member.save()
    unowned = make_policy(cast, "Images and video policy", review_on=date(2030, 6, 20))
    assert send_on(cast, date(2030, 4, 20)) == 4
    for lead in (cast.a.users["lead"], second_lead):
        assert len(titles(lead, phones)) == 1 and len(titles(lead, unowned)) == 1
    assert titles(cast.a.users["teacher"], phones) == []


def test_a_retired_policy_or_one_without_a_review_date_gets_none(cast, phones):
    make_policy(cast, "Images and video policy", review_on=date(2030, 6, 15))
    Policy.objects.filter(title="Images and video policy").update(next_review_on=None)
    services.policy_retire(policy=phones, actor=cast.a.users["lead"], retired_on=timezone.localdate())
    for day in (date(2030, 4, 15), date(2030, 6, 15), date(2030, 7, 1)):
        assert send_on(cast, day) == 0
    assert not Notification.objects.filter(link__startswith="/policies/").exists()


def test_the_daily_job_reminds_each_school_of_its_own_policies(cast, phones):
    with scope(school=cast.b.school):
        Policy.objects.filter(pk=cast.b.policy.pk).update(next_review_on=REVIEW)
    with time_machine.travel(morning(date(2030, 4, 15)), tick=False):
        assert policies_daily(cast.a.school.pk)["reviews"] == 1
        assert policies_daily(cast.b.school.pk)["reviews"] == 1
    assert titles(cast.b.users["lead"], cast.b.policy) == [
        "The review of Online-safety policy is due in two months, on 15 Jun 2030"
    ]
    assert titles(cast.a.users["lead"], cast.b.policy) == []
