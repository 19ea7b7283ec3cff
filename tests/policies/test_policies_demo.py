"""
The demo's register of policies gives a user something to try on every page: policies in force, superseded
versions, a draft waiting for approval, one never approved, one review overdue and one due within a month, and the
staff's acknowledgements, with the class teacher's login still to read what staff must. Seeding again adds nothing.
"""

import random
from datetime import datetime
from zoneinfo import ZoneInfo

import pytest
from django.urls import reverse

from esafety.demo import SMALL, DemoLogin, build_school
from esafety.models import StaffMember, User
from esafety.roles import Role
from esafety.scoping import scope
from policies.demo import seed_demo_policies
from policies.models import Policy, PolicyAcknowledgement, PolicyVersion
from policies.selectors.policies import acknowledgements_due, reviews_due

pytestmark = pytest.mark.django_db

NOW = datetime(2026, 11, 26, 14, 0, tzinfo=ZoneInfo("Europe/London"))
Status = PolicyVersion.Status


@pytest.fixture
def seeded(time_machine):
    time_machine.move_to(NOW, tick=False)
    school, logins = build_school(SMALL, trust=None)
    with scope(school=school):
        seed_demo_policies(school=school, logins=logins, rng=random.Random(2026), size="normal")
        yield school, {login.role: User.objects.get(email=login.email) for login in logins}


def test_the_demo_has_a_register_to_try(seeded):
    school, users = seeded
    policies = {p.title: p for p in Policy.objects.for_school(school)}
    assert len(policies) == 6
    online = policies["Online-safety policy"]
    assert list(PolicyVersion.objects.filter(policy=online).order_by("approved_on").values_list("version", "status")) == [
        ("1.0", Status.SUPERSEDED),
        ("2.0", Status.SUPERSEDED),
        ("3.0", Status.APPROVED),
    ]
    assert PolicyVersion.objects.filter(policy=policies["Images and video policy"], status=Status.DRAFT).exists()
    assert not PolicyVersion.objects.filter(policy=policies["Filtering and monitoring statement"]).exclude(status=Status.DRAFT)
    due = reviews_due(school, NOW.date())
    assert [(p.title, p.next_review_on < NOW.date()) for p in due] == [
        ("Mobile phones and devices policy", True),
        ("Staff acceptable-use agreement", False),
    ]
    assert online.owner.user == users[Role.LEAD]


def test_everyone_but_the_class_teacher_and_a_few_colleagues_has_acknowledged(seeded):
    school, users = seeded
    assert {v.policy.title for v in acknowledgements_due(users[Role.STAFF], school)} == {
        "Online-safety policy",
        "Staff acceptable-use agreement",
        "Mobile phones and devices policy",
    }
    for role in (Role.HEAD, Role.DSL, Role.IT, Role.OFFICE, Role.LEAD):
        assert not acknowledgements_due(users[role], school).exists(), role
    in_post = StaffMember.objects.for_school(school).current().count()
    acknowledged = PolicyAcknowledgement.objects.filter(version__policy__title="Online-safety policy").count()
    assert in_post * 0.7 < acknowledged < in_post - 1


def test_seeding_again_adds_nothing(seeded):
    school, _ = seeded
    counts = (Policy.objects.count(), PolicyVersion.objects.count(), PolicyAcknowledgement.objects.count())
    logins = [DemoLogin(role, user.email, user.full_name) for role, user in seeded[1].items()]
    seed_demo_policies(school=school, logins=logins, rng=random.Random(2026), size="normal")
    assert (Policy.objects.count(), PolicyVersion.objects.count(), PolicyAcknowledgement.objects.count()) == counts


def test_the_teacher_is_asked_to_read_at_their_first_login(seeded, client, settings):
    school, users = seeded
    middleware = "policies.middleware.PolicyAcknowledgementMiddleware"
    if middleware not in settings.MIDDLEWARE:
        settings.MIDDLEWARE = [*settings.MIDDLEWARE, middleware]
    client.force_login(users[Role.STAFF])
    assert client.get(reverse("home"))["Location"].startswith(reverse("policies:policies_to_read"))
    client.force_login(users[Role.LEAD])
    assert client.get(reverse("home")).status_code == 200
