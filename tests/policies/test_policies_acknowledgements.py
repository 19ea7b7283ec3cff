"""
Reading and acknowledging policies: a member of staff in post is sent, at their next login, to the policies they must
read (policies.middleware, checked once per session and school), acknowledges each, and carries on where they were
going; the e-safety lead sees who has and who has not. The home page's panels: reviews due for the lead and the head
teacher, policies to read for staff.
"""

import html
from datetime import date, timedelta

import pytest
from django.db import connection
from django.test import RequestFactory
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone
from django.utils.html import strip_tags

from consents import services as consents
from consents.models import ConsentType
from esafety.access import school_access_for
from policies.home import policies as panels
from policies.models import Policy, PolicyAcknowledgement, PolicyVersion
from policies.services import policies as services
from tests import factories as f

pytestmark = pytest.mark.django_db

Kind = Policy.Kind
TO_READ = reverse("policies:policies_to_read")
HOME = reverse("home")
ACKNOWLEDGEMENT_MIDDLEWARE = "policies.middleware.PolicyAcknowledgementMiddleware"


@pytest.fixture(autouse=True)
def _acknowledgements_asked(settings, tmp_path):
    # The middleware as settings will have it, after the staff agreement's; uploads kept out of the project.
    if ACKNOWLEDGEMENT_MIDDLEWARE not in settings.MIDDLEWARE:
        middleware = list(settings.MIDDLEWARE)
        middleware.insert(middleware.index("consents.middleware.StaffAgreementMiddleware") + 1, ACKNOWLEDGEMENT_MIDDLEWARE)
        settings.MIDDLEWARE = middleware
    settings.MEDIA_ROOT = tmp_path / "media"


def page_of(response) -> str:
    return " ".join(html.unescape(strip_tags(response.content.decode())).split())


def new_version(cast, policy, label, text="The new text.", changes=""):
    draft = services.policy_version_create(
        policy=policy, actor=cast.a.users["lead"], version=label, document=None, text=text, changes=changes
    )
    return services.policy_version_approve(
        version=draft,
        actor=cast.a.users["lead"],
        approved_by="Full governing body",
        approved_at_meeting="",
        approved_on=timezone.localdate(),
    )


def acknowledge_url(version):
    return reverse("policies:policy_acknowledge", args=[version.pk])


@pytest.fixture
def version_2(cast):
    """Version 2.0 of the online-safety policy, approved today: nobody has acknowledged it yet."""
    return new_version(
        cast, cast.a.policy, "2.0", text="Generative AI tools are used only as the school allows.", changes="AI tools."
    )


# --- Sent to read at login -----------------------------------------------------------------------------------------


def test_a_member_of_staff_is_sent_to_read_a_new_version_and_then_carries_on(cast, login, version_2):
    client = login(cast.a.users["teacher"])
    pupils = reverse("pupil_list")
    response = client.get(pupils)
    assert response.status_code == 302
    assert response["Location"] == f"{TO_READ}?next=%2Fpupils%2F"
    page = page_of(client.get(response["Location"]))
    assert "Online-safety policy, version 2.0" in page
    assert "Generative AI tools are used only as the school allows." in page and "What changed: AI tools." in page
    # Every other page sends them back here until they have acknowledged it.
    assert client.get(HOME)["Location"].startswith(TO_READ)
    response = client.post(acknowledge_url(version_2), {"next": pupils})
    assert response["Location"] == pupils
    acknowledgement = PolicyAcknowledgement.objects.get(version=version_2, staff_member=cast.a.staff_member)
    assert acknowledgement.history.get().history_change_reason == "Read and acknowledged"
    response = client.get(pupils)
    assert response.status_code == 200
    assert "Thank you: you have acknowledged Online-safety policy, version 2.0." in page_of(response)


def test_several_policies_are_acknowledged_one_after_the_other(cast, login, version_2):
    phones = services.policy_create(
        school=cast.a.school,
        actor=cast.a.users["lead"],
        title="Mobile phones and devices policy",
        kind=Kind.MOBILE_PHONES,
        owner=None,
        staff_must_acknowledge=True,
    )
    phones_1 = new_version(cast, phones, "1.0", text="Phones are handed in at registration.")
    client = login(cast.a.users["head"])
    page = page_of(client.get(TO_READ))
    assert page.index("Mobile phones and devices policy, version 1.0") < page.index("Online-safety policy, version 2.0")
    response = client.post(acknowledge_url(phones_1), {"next": "/pupils/"})
    assert response["Location"] == f"{TO_READ}?next=%2Fpupils%2F"
    page = page_of(client.get(response["Location"]))
    assert "Thank you: you have acknowledged Mobile phones and devices policy, version 1.0." in page
    assert (
        "please read the school's policy below" in page and "Mobile phones and devices policy, version 1.0 Approved" not in page
    )
    assert client.post(acknowledge_url(version_2), {"next": "/pupils/"})["Location"] == "/pupils/"
    assert client.get(HOME).status_code == 200


def test_the_next_page_is_on_this_site_only(cast, login, version_2):
    client = login(cast.a.users["teacher"])
    response = client.post(acknowledge_url(version_2), {"next": "https://evil.example/"})
    assert response["Location"] == HOME


def test_acknowledging_twice_keeps_the_first(cast, login):
    client = login(cast.a.users["teacher"])
    first = PolicyAcknowledgement.objects.get(version=cast.a.policy_version, staff_member=cast.a.staff_member)
    response = client.post(acknowledge_url(cast.a.policy_version), follow=True)
    assert response.status_code == 200
    assert PolicyAcknowledgement.objects.get(version=cast.a.policy_version, staff_member=cast.a.staff_member) == first


def test_the_check_is_made_once_a_session_and_costs_other_pages_no_query(cast, login):
    client = login(cast.a.users["teacher"])
    assert client.get(HOME).status_code == 200
    with CaptureQueriesContext(connection) as queries:
        assert client.get(reverse("pupil_list")).status_code == 200
    assert not [q for q in queries if "policyacknowledgement" in q["sql"]]
    # A version approved meanwhile is asked for at the next login, not in the middle of the day's work.
    version_2 = new_version(cast, cast.a.policy, "2.0")
    assert client.get(reverse("pupil_list")).status_code == 200
    client.logout()
    client = login(cast.a.users["teacher"])
    assert client.get(HOME)["Location"].startswith(TO_READ)
    assert version_2.pk in [v.pk for v in client.get(TO_READ).context["due"]]


def test_only_staff_in_post_with_a_login_at_the_school_are_asked(cast, login, version_2):
    # The DSL, IT, the office and the lead have no staff record in the cast; governors and the trust are not staff.
    for role in ("dsl", "it", "office", "lead", "governor", "trust"):
        client = login(cast.a.users[role])
        assert client.get(HOME).status_code == 200, role
        client.logout()
    # A member of staff who has left is not asked.
    cast.a.staff_member.leaving_date = timezone.localdate() - timedelta(days=1)
    cast.a.staff_member.save()
    client = login(cast.a.users["teacher"])
    assert client.get(HOME).status_code == 200


def test_a_policy_not_marked_for_it_or_retired_is_not_asked(cast, login, version_2):
    services.policy_update(
        policy=cast.a.policy,
        actor=cast.a.users["lead"],
        title=cast.a.policy.title,
        kind=cast.a.policy.kind,
        owner=None,
        staff_must_acknowledge=False,
    )
    client = login(cast.a.users["teacher"])
    assert client.get(HOME).status_code == 200
    client.logout()
    cast.a.policy.refresh_from_db()
    services.policy_update(
        policy=cast.a.policy,
        actor=cast.a.users["lead"],
        title=cast.a.policy.title,
        kind=cast.a.policy.kind,
        owner=None,
        staff_must_acknowledge=True,
    )
    services.policy_retire(policy=cast.a.policy, actor=cast.a.users["lead"], retired_on=timezone.localdate())
    client = login(cast.a.users["teacher"])
    assert client.get(HOME).status_code == 200
    assert "You have nothing to read" in page_of(client.get(TO_READ))
    response = client.post(acknowledge_url(version_2), follow=True)
    assert response.status_code == 404


def test_the_staff_agreement_comes_first_then_the_policies(cast, login, version_2):
    staff_aup = cast.a.consent_types[ConsentType.Kind.STAFF_AUP]
    staff_aup.is_active = True
    staff_aup.save()
    agreement = reverse("consents:staff_agreement_accept")
    client = login(cast.a.users["teacher"])
    response = client.get(HOME)
    assert response["Location"].startswith(agreement)
    assert client.get(response["Location"]).status_code == 200
    consents.staff_agreement_accept(staff_member=cast.a.staff_member, consent_type=staff_aup, actor=cast.a.users["teacher"])
    client.logout()
    client = login(cast.a.users["teacher"])
    assert client.get(HOME)["Location"].startswith(TO_READ)


def test_the_document_and_logging_out_stay_reachable_while_policies_are_due(cast, login, version_2):
    client = login(cast.a.users["teacher"])
    assert client.get(reverse("policies:version_document", args=[version_2.pk]))["Location"] == reverse(
        "policies:version_detail", args=[version_2.pk]
    )
    assert client.post(reverse("logout")).status_code == 302


def test_someone_not_on_the_staff_list_is_not_offered_to_acknowledge_and_is_told_so(cast, login, version_2):
    client = login(cast.a.users["dsl"])
    page = page_of(client.get(reverse("policies:policy_detail", args=[cast.a.policy.pk])))
    assert "Generative AI tools" in page and "I have read and understood it" not in page
    teacher = login(cast.a.users["teacher"])
    page = page_of(teacher.get(reverse("policies:version_detail", args=[version_2.pk]), follow=True))
    assert "I have read and understood it" in page
    client = login(cast.a.users["dsl"])
    response = client.post(acknowledge_url(version_2), follow=True)
    assert "Only members of the school's staff acknowledge its policies" in page_of(response)
    assert "You have nothing to read" in page_of(response)


# --- Who has and who has not -----------------------------------------------------------------------------------------


def test_the_lead_sees_who_has_and_who_has_not_acknowledged(cast, login, version_2):
    f.make_staff(cast.a.school, "Pat", "Paper", mis_id="PP1", job_title="Cleaner")
    f.make_staff(cast.a.school, "Old", "Leaver", mis_id="OL1", leaving_date=date(2020, 7, 31))
    services.policy_acknowledge(version=version_2, staff_member=cast.a.staff_member, actor=cast.a.users["teacher"])
    client = login(cast.a.users["lead"])
    page = page_of(client.get(reverse("policies:version_acknowledgements", args=[version_2.pk])))
    assert "1 of the 3 members of staff in post has acknowledged it; 2 have not yet." in page
    not_yet, done = page.split("Not yet (2)")[1].split("Acknowledged (1)")
    assert "TeacherA, Head" in not_yet and "Paper, Pat (Cleaner) No login to this app" in not_yet
    assert f"TeacherA, Tutor on {timezone.localdate():%-d %b %Y}" in done
    assert "Leaver" not in page
    assert "Read and acknowledged by 1 of the 3 members of staff in post." in page_of(
        client.get(reverse("policies:policy_detail", args=[cast.a.policy.pk]))
    )
    # The version before stays as it was: both in post acknowledged it.
    page = page_of(client.get(reverse("policies:version_acknowledgements", args=[cast.a.policy_version.pk])))
    assert "2 of the 3 members of staff in post have acknowledged it" in page
    assert "This version has been superseded" in page


def test_staff_do_not_see_who_has_acknowledged(cast, login):
    client = login(cast.a.users["teacher"])
    assert client.get(reverse("policies:version_acknowledgements", args=[cast.a.policy_version.pk])).status_code == 403
    assert "Who has and who has not" not in page_of(client.get(reverse("policies:policy_detail", args=[cast.a.policy.pk])))


# --- Home-page panels ------------------------------------------------------------------------------------------------


def _panel(func, user, school):
    request = RequestFactory().get("/")
    request.user = user
    request.access = school_access_for(user, school.pk)
    with CaptureQueriesContext(connection) as queries:
        panel = func(request)
    return panel, len(queries)


def _policy_due(cast, title, review_on):
    policy = services.policy_create(
        school=cast.a.school, actor=cast.a.users["lead"], title=title, kind=Kind.OTHER, owner=None, staff_must_acknowledge=False
    )
    Policy.objects.filter(pk=policy.pk).update(next_review_on=review_on)
    return policy


def test_the_lead_and_the_head_see_reviews_overdue_and_due_within_a_month(cast, login):
    today = timezone.localdate()
    _policy_due(cast, "Images policy", today - timedelta(days=10))
    _policy_due(cast, "Staff acceptable-use agreement", today + timedelta(days=20))
    _policy_due(cast, "Pupil acceptable-use agreement", today + timedelta(days=60))
    retired = _policy_due(cast, "Old policy", today - timedelta(days=100))
    Policy.objects.filter(pk=retired.pk).update(retired_on=today)
    for role in ("lead", "head"):
        client = login(cast.a.users[role])
        page = page_of(client.get(HOME))
        assert "Policy reviews 1 review overdue; 1 due within a month." in page
        assert f"Images policy: was due on {today - timedelta(days=10):%-d %b %Y} Overdue" in page
        assert f"Staff acceptable-use agreement: due on {today + timedelta(days=20):%-d %b %Y}" in page
        assert "Pupil acceptable-use" not in page and "Old policy" not in page
        client.logout()
    assert "Policy reviews" not in page_of(login(cast.a.users["dsl"]).get(HOME))


def test_staff_see_how_many_policies_they_have_to_read(cast, login):
    client = login(cast.a.users["teacher"])
    assert "Policies to read" not in page_of(client.get(HOME))
    # A version approved during the day: the home page says so until the next login asks for it.
    new_version(cast, cast.a.policy, "2.0")
    page = page_of(client.get(HOME))
    assert "You have 1 policy to read and acknowledge. Read it now" in page


def test_each_panel_runs_one_query_whatever_the_data(cast):
    lead, teacher = cast.a.users["lead"], cast.a.users["teacher"]
    assert _panel(panels.policy_reviews_due, lead, cast.a.school) == (None, 1)
    assert _panel(panels.policies_to_read, teacher, cast.a.school) == (None, 1)
    today = timezone.localdate()
    for i in range(8):
        _policy_due(cast, f"Policy {i}", today - timedelta(days=i))
        new_version(cast, Policy.objects.get(title=f"Policy {i}"), "1")
        Policy.objects.filter(title=f"Policy {i}").update(
            staff_must_acknowledge=True, next_review_on=today - timedelta(days=i + 1)
        )
    panel, queries = _panel(panels.policy_reviews_due, lead, cast.a.school)
    assert queries == 1 and panel["overdue"] == 8 and len(panel["policies"]) == 5 and panel["more"]
    panel, queries = _panel(panels.policies_to_read, teacher, cast.a.school)
    assert (queries, panel["count"]) == (1, 8)
    assert _panel(panels.policies_to_read, cast.a.users["governor"], cast.a.school) == (None, 0)
    assert PolicyVersion.objects.count() == 9
