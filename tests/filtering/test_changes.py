"""
The filter change log: IT logs each change made to the filter with its reason, risk assessment and the head
teacher's agreement (beforehand, or in an emergency straight after, saying why); the head agrees it in the app.
"""

from datetime import datetime, timedelta

import pytest
import time_machine
from django.core import mail
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from esafety.history import save_with_history
from esafety.models import Membership, Notification
from esafety.roles import Role
from esafety.scoping import scope
from filtering.models import FilterChange, SiteReport
from filtering.services import changes as services
from tests import factories as f

pytestmark = pytest.mark.django_db

Kind = FilterChange.Kind
LIST = reverse("filtering:change_list")
NEW = reverse("filtering:change_new")


def detail(change):
    return reverse("filtering:change_detail", args=[change.pk])


def agree(change):
    return reverse("filtering:change_agree", args=[change.pk])


def form_data(cast, **extra):
    data = {
        "kind": Kind.SWITCHED_OFF_USER,
        "applies_to": "Mr Patel (supply), laptop 3",
        "group": "",
        "description": "Filtering switched off for one afternoon",
        "reason": "Testing the new interactive whiteboard software, which the filter broke.",
        "risk_assessment": "The laptop stays in the staff room; it is used by Mr Patel alone.",
        "made_at": (timezone.localtime() - timedelta(minutes=30)).strftime("%Y-%m-%dT%H:%M"),
        "ends_on": timezone.localdate().isoformat(),
        "agreement": "before",
        "emergency_reason": "",
    }
    data.update(extra)
    return data


def newest():
    return FilterChange.objects.order_by("-logged_at").first()


def log(cast, *, actor=None, made_at=None, kind=Kind.POLICY, agreement="before", emergency_reason="", site_report=None):
    return services.filter_change_log(
        school=cast.a.school,
        actor=actor or cast.a.users["it"],
        kind=kind,
        applies_to="All pupils",
        description="Safe search enforced",
        reason="Policy review",
        risk_assessment="None",
        made_at=made_at or timezone.now() - timedelta(hours=1),
        agreement=agreement,
        emergency_reason=emergency_reason,
        site_report=site_report,
    )


# --- Logging a change -----------------------------------------------------------------------


def test_it_logs_a_change_and_the_head_is_asked_to_agree_it_in_the_app(cast, login, django_capture_on_commit_callbacks):
    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        response = login(cast.a.users["it"]).post(NEW, form_data(cast), follow=True)
    change = newest()
    assert change.kind == Kind.SWITCHED_OFF_USER and change.applies_to == "Mr Patel (supply), laptop 3"
    assert change.made_by == cast.a.users["it"] and change.ends_on == timezone.localdate()
    assert change.agreement == FilterChange.Agreement.BEFORE and change.agreed_at is None
    assert change.history.get().history_change_reason == "Logged"
    page = response.content.decode()
    assert "The change has been logged, and the head teacher asked to agree it." in page
    assert "Waiting for the head teacher's agreement" in page
    note = Notification.objects.get(link=detail(change))
    assert note.recipient == cast.a.users["head"]
    assert note.title == "A change to the web filter waits for your agreement"
    assert "Patel" not in note.title + note.body  # the kind of change only
    assert mail.outbox == []  # agreed beforehand: the app is enough


def test_an_emergency_change_says_why_it_could_not_wait_and_e_mails_the_head(cast, login, django_capture_on_commit_callbacks):
    client = login(cast.a.users["it"])
    response = client.post(NEW, form_data(cast, agreement="emergency", emergency_reason=""))
    assert response.status_code == 400
    assert "Say why the change could not wait for the head teacher&#x27;s agreement." in response.content.decode()
    assert FilterChange.objects.count() == 1  # the cast's
    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        client.post(NEW, form_data(cast, agreement="emergency", emergency_reason="Exams software failed at 9am"))
    change = newest()
    assert change.emergency_reason == "Exams software failed at 9am"
    assert [m.to for m in mail.outbox] == [[cast.a.users["head"].email]]
    assert "An emergency change to the web filter needs your agreement now" in mail.outbox[0].subject
    assert "Patel" not in mail.outbox[0].subject + mail.outbox[0].body


def test_a_reason_typed_for_an_emergency_is_dropped_when_agreed_beforehand(cast, login):
    login(cast.a.users["it"]).post(NEW, form_data(cast, emergency_reason="Typed, then changed my mind"))
    assert newest().emergency_reason == ""


@pytest.mark.parametrize(
    ("extra", "message"),
    [
        ({"made_at": (timezone.localtime() + timedelta(days=1)).strftime("%Y-%m-%dT%H:%M")}, "This is in the future."),
        ({"ends_on": (timezone.localdate() - timedelta(days=3)).isoformat()}, "This is before the change was made."),
        ({"kind": Kind.CHANGED_GROUP}, "Choose the filter group that was changed."),
        ({"applies_to": ""}, "Say who or what the change is for"),
        ({"agreement": ""}, "Say when the head teacher agreed the change."),
        ({"reason": "", "risk_assessment": ""}, "This field is required."),
        ({"made_at": "31/02/2026 10:00"}, "Enter a valid date/time."),
    ],
)
def test_bad_input_is_refused_beside_the_field_and_keeps_what_was_typed(cast, login, extra, message):
    response = login(cast.a.users["it"]).post(NEW, form_data(cast, **extra))
    page = response.content.decode()
    assert response.status_code == 400
    assert message in page
    assert "The change has not been logged yet" in page
    assert "Testing the new interactive whiteboard software" in page or extra.get("reason") == ""
    assert FilterChange.objects.count() == 1


def test_a_change_to_a_group_is_for_that_group_unless_it_says_otherwise(cast, login):
    ks2 = cast.a.filter_groups["pupils-ks2"]
    login(cast.a.users["it"]).post(NEW, form_data(cast, kind=Kind.CHANGED_GROUP, group=ks2.pk, applies_to=""))
    change = newest()
    assert change.group == ks2 and change.applies_to == "KS2 pupils"


def test_only_the_schools_groups_are_offered(cast, login):
    page = login(cast.a.users["it"]).get(NEW).content.decode()
    assert "KS3 pupils" in page
    with scope(school=cast.b.school):
        b_group = cast.b.filter_groups["pupils-ks2"]
    response = login(cast.a.users["it"]).post(NEW, form_data(cast, kind=Kind.CHANGED_GROUP, group=b_group.pk))
    assert response.status_code == 400 and "Select a valid choice" in response.content.decode()


@pytest.mark.parametrize("role", ["head", "dsl", "lead", "teacher"])
def test_only_it_logs_changes(cast, login, role):
    assert login(cast.a.users[role]).post(NEW, form_data(cast)).status_code == 403
    assert FilterChange.objects.count() == 1


# --- The head teacher's agreement -----------------------------------------------------------------


def test_the_head_agrees_a_change_and_whoever_made_it_is_told(cast, login):
    change = cast.a.filter_change
    client = login(cast.a.users["head"])
    assert "I agree this change" in client.get(detail(change)).content.decode()
    response = client.post(agree(change), follow=True)
    change.refresh_from_db()
    assert change.agreed_by == cast.a.users["head"] and change.agreed_at is not None
    assert change.history.first().history_change_reason == "Agreed by the head teacher"
    page = response.content.decode()
    assert "You have agreed the change." in page
    assert "By Head A on" in page and "I agree this change" not in page
    assert Notification.objects.filter(
        recipient=cast.a.users["it"], title="Head A has agreed your change to the web filter", link=detail(change)
    ).exists()


def test_agreeing_twice_says_who_agreed_first(cast, login):
    second_head = f.make_user("deputy@a.example", "Deputy Head A")
    Membership.objects.create(user=second_head, school=cast.a.school, role=Role.HEAD)
    change = cast.a.filter_change
    with time_machine.travel(datetime(2026, 5, 4, 16, 20, tzinfo=timezone.get_current_timezone()), tick=False):
        login(cast.a.users["head"]).post(agree(change))
        response = login(second_head).post(agree(change), follow=True)
    assert "Already agreed by Head A at 16:20." in response.content.decode()
    change.refresh_from_db()
    assert change.agreed_by == cast.a.users["head"]
    assert change.history.count() == 2


def test_nobody_agrees_a_change_they_made_themselves(cast, login):
    # A head teacher who also runs the filter.
    head = cast.a.users["head"]
    Membership.objects.create(user=head, school=cast.a.school, role=Role.IT)
    change = log(cast, actor=head)
    client = login(head)
    page = client.get(detail(change)).content.decode()
    assert "You made this change yourself, so another head teacher must agree it." in page
    assert "I agree this change" not in page
    response = client.post(agree(change), follow=True)
    assert "You made this change yourself, so someone else must agree it: another head teacher." in response.content.decode()
    change.refresh_from_db()
    assert change.agreed_at is None and change.history.count() == 1
    # Nor is the maker asked to agree their own change.
    assert not Notification.objects.filter(recipient=head, link=detail(change)).exists()


@pytest.mark.parametrize("role", ["it", "dsl", "lead", "teacher"])
def test_only_the_head_teacher_agrees(cast, login, role):
    assert login(cast.a.users[role]).post(agree(cast.a.filter_change)).status_code == 403
    cast.a.filter_change.refresh_from_db()
    assert cast.a.filter_change.agreed_at is None


# --- The log ---------------------------------------------------------------------------------


def test_the_log_is_newest_first_and_filters_by_kind_and_by_waiting(cast, login):
    older = log(cast, kind=Kind.CATEGORY_ALLOWED, made_at=timezone.now() - timedelta(days=20))
    FilterChange.objects.filter(pk=older.pk).update(
        applies_to="Older: games category", agreed_at=timezone.now(), agreed_by=cast.a.users["head"]
    )
    newer = log(cast, kind=Kind.CATEGORY_BLOCKED, made_at=timezone.now() - timedelta(minutes=5))
    FilterChange.objects.filter(pk=newer.pk).update(applies_to="Newer: proxies category")
    client = login(cast.a.users["dsl"])
    page = client.get(LIST).content.decode()
    assert page.index("Newer: proxies") < page.index("KS3 pupils") < page.index("Older: games")
    assert "3 in all." in page
    allowed = client.get(LIST, {"kind": Kind.CATEGORY_ALLOWED}).content.decode()
    assert "Older: games" in allowed and "Newer: proxies" not in allowed
    waiting = client.get(LIST, {"waiting": "on"}).content.decode()
    assert "Newer: proxies" in waiting and "KS3 pupils" in waiting and "Older: games" not in waiting
    assert "(B)" not in page


def test_the_head_sees_how_many_changes_wait_for_their_agreement(cast, login):
    log(cast)
    assert "2 changes are waiting for your agreement." in login(cast.a.users["head"]).get(LIST).content.decode()
    assert "waiting for your agreement" not in login(cast.a.users["it"]).get(LIST).content.decode()


@pytest.mark.parametrize("role", ["teacher", "office", "governor"])
def test_the_log_is_for_reviewers_and_it(cast, login, role):
    client = login(cast.a.users[role])
    assert client.get(LIST).status_code == 403
    assert client.get(detail(cast.a.filter_change)).status_code == 403


def test_another_schools_change_is_a_404(cast, login):
    for role in ("head", "it", "dsl"):
        assert login(cast.a.users[role]).get(detail(cast.b.filter_change)).status_code == 404
    assert login(cast.a.users["head"]).post(agree(cast.b.filter_change)).status_code == 404
    with scope(school=cast.b.school):
        cast.b.filter_change.refresh_from_db()
        assert cast.b.filter_change.agreed_at is None


def test_a_block_links_to_its_report_for_those_who_may_open_it(cast, login):
    change = log(cast, kind=Kind.SITE_BLOCKED, site_report=cast.a.site_report)
    link = reverse("filtering:report_detail", args=[cast.a.site_report.pk])
    assert link in login(cast.a.users["head"]).get(detail(change)).content.decode()
    assert link in login(cast.a.users["it"]).get(detail(change)).content.decode()


def test_the_change_page_shows_its_history(cast, login):
    services.filter_change_agree(change=cast.a.filter_change, actor=cast.a.users["head"])
    page = login(cast.a.users["lead"]).get(detail(cast.a.filter_change)).content.decode()
    assert "(Agreed by the head teacher)" in page
    assert "Agreed: – → " in page


# --- Query counts ---------------------------------------------------------------------------------


def _queries(client, url) -> int:
    with CaptureQueriesContext(connection) as queries:
        assert client.get(url).status_code == 200
    return len(queries)


@pytest.mark.parametrize("role", ["head", "it"])
def test_the_log_runs_the_same_queries_however_many_changes(cast, login, role, django_assert_num_queries):
    client = login(cast.a.users[role])
    _queries(client, LIST)
    few = _queries(client, LIST)
    report = SiteReport.objects.get(pk=cast.a.site_report.pk)
    for i in range(12):
        change = log(cast, kind=Kind.SITE_BLOCKED if i % 2 else Kind.CHANGED_GROUP, site_report=report if i % 2 else None)
        if i % 3 == 0:
            services.filter_change_agree(change=change, actor=cast.a.users["head"])
    with django_assert_num_queries(few):
        assert client.get(LIST).status_code == 200


@pytest.mark.parametrize("role", ["head", "it", "dsl"])
def test_the_change_page_runs_the_same_queries_however_long_its_history(cast, login, role, django_assert_num_queries):
    change = log(cast, kind=Kind.SITE_BLOCKED, site_report=cast.a.site_report)
    client = login(cast.a.users[role])
    _queries(client, detail(change))
    few = _queries(client, detail(change))
    for i in range(5):
        change.reason = f"Reason, version {i}"
        save_with_history(change, actor=cast.a.users["it"], reason="Corrected")
    with django_assert_num_queries(few):
        assert client.get(detail(change)).status_code == 200
