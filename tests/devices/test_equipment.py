"""
Personal equipment used with pupils: a member of staff asks; the head teacher, after the photo check of the chosen
pupils, approves or declines; afterwards the member of staff confirms the images are on school systems and deleted
from the device, by the deadline the school's settings give.
"""

from datetime import date, datetime, time, timedelta

import pytest
import time_machine
from django.core.exceptions import ValidationError
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from consents.models import PhotoCheckLookup
from devices.models import DeviceSettings, EquipmentPermission
from devices.services import equipment as services
from esafety.models import AccessLogEntry, Membership, Notification
from esafety.roles import Role
from esafety.scoping import scope
from filtering.services.changes import AlreadyDone
from tests import factories as f

pytestmark = pytest.mark.django_db

Status = EquipmentPermission.Status
LIST = reverse("devices:equipment_list")
NEW = reverse("devices:equipment_new")


def detail(permission):
    return reverse("devices:equipment_detail", args=[permission.pk])


def decide(permission):
    return reverse("devices:equipment_decide", args=[permission.pk])


def withdraw(permission):
    return reverse("devices:equipment_withdraw", args=[permission.pk])


def confirm(permission):
    return reverse("devices:equipment_confirm", args=[permission.pk])


def local(day, hour=0, minute=0):
    return timezone.make_aware(datetime.combine(day, time(hour, minute)))


def ask(cast, user=None, pupils=None, starts_in=3, days=2, equipment="My tablet"):
    starts_on = timezone.localdate() + timedelta(days=starts_in)
    return services.equipment_permission_request(
        school=cast.a.school,
        actor=user or cast.a.users["teacher"],
        equipment=equipment,
        purpose="Science fieldwork at the river",
        starts_on=starts_on,
        ends_on=starts_on + timedelta(days=days),
        pupils=pupils if pupils is not None else [cast.a.pupil],
    )


def form_data(**extra):
    starts_on = timezone.localdate() + timedelta(days=10)
    data = {
        "equipment": "My phone's camera",
        "purpose": "Year 7 camp: photos of the climbing wall for the display",
        "starts_on": starts_on.isoformat(),
        "ends_on": (starts_on + timedelta(days=2)).isoformat(),
    }
    data.update(extra)
    return data


def carys(cast):
    """A second pupil of 7A, with no answer to any consent: she may not be photographed."""
    return f.make_pupil(cast.a.school, "Carys", "Crane", form=cast.a.form, mis_id="a003")


def newest(cast):
    return EquipmentPermission.objects.order_by("-requested_at").first()


def second_head(cast):
    user = f.make_user("head2@a.example", "Deputy Head A")
    Membership.objects.create(user=user, school=cast.a.school, role=Role.HEAD)
    return user


# --- Asking -----------------------------------------------------------------------------------------------------


def test_a_teacher_asks_by_form_and_by_pupil_and_the_head_is_told(cast, login):
    other_form = f.make_form(cast.a.school, "7Z", cast.a.year7)
    zak = f.make_pupil(cast.a.school, "Zak", "Zebra", form=other_form, mis_id="a010")
    crane = carys(cast)
    client = login(cast.a.users["teacher"])
    page = client.get(NEW).content.decode()
    assert "Aardvark, Alice (7A)" in page and "Zebra, Zak (7Z)" in page
    assert "7A (2 pupils)" in page  # the leaver is not counted
    assert "LeaverA" not in page and "Badger" not in page
    response = client.post(NEW, form_data(form_groups=[str(cast.a.form.pk)], pupils=[str(zak.pk)]), follow=True)
    permission = newest(cast)
    assert permission.requested_by == cast.a.users["teacher"] and permission.status == Status.REQUESTED
    assert set(permission.pupils.all()) == {cast.a.pupil, crane, zak}
    assert "Your request has been sent to the head teacher" in response.content.decode()
    told = Notification.objects.get(link=detail(permission))
    assert told.recipient == cast.a.users["head"] and told.send_email
    assert told.title == "Teacher A asks to use personal equipment with pupils"
    assert "Crane" not in told.title + told.body  # no pupil is named in an e-mail


def test_the_request_and_its_pupils_are_one_entry_of_the_history(cast, login):
    crane = carys(cast)
    permission = ask(cast, pupils=[cast.a.pupil, crane])
    records = list(permission.history.order_by("history_date", "history_id"))
    # The pupils are kept in the history too: the last entry names both.
    assert {row.pupil_id for row in records[-1].pupils.all()} == {cast.a.pupil.pk, crane.pk}
    page = login(cast.a.users["teacher"]).get(detail(permission)).content.decode()
    history = page.split('id="history-heading"', 1)[1]
    assert history.count("<strong>Created</strong>") == 1 and "<strong>Changed</strong>" not in history
    assert "Pupils: – → Alice Aardvark, Carys Crane" in history
    assert "(Asked)" in history


def test_a_later_change_of_pupils_shows_in_the_history(cast, login):
    permission = ask(cast)
    crane = carys(cast)
    permission._history_user = cast.a.users["teacher"]
    permission.pupils.add(crane)
    page = login(cast.a.users["head"]).get(detail(permission)).content.decode()
    assert "Pupils: Alice Aardvark → Alice Aardvark, Carys Crane" in page


@pytest.mark.parametrize(
    ("extra", "field_message"),
    [
        (
            {"starts_on": "2020-09-01", "ends_on": "2020-09-02"},
            "This day has passed: permission is asked before the equipment is used.",
        ),
        ({"ends_on": "yesterday"}, "Enter a valid date."),
        ({}, "Choose the pupils, by form or one by one."),
    ],
)
def test_bad_answers_are_refused_beside_the_field_and_what_was_typed_is_kept(cast, login, extra, field_message):
    response = login(cast.a.users["teacher"]).post(NEW, form_data(**extra))
    page = response.content.decode()
    assert response.status_code == 400
    assert field_message in page
    assert "Year 7 camp: photos of the climbing wall for the display" in page
    assert EquipmentPermission.objects.count() == 1  # the cast's


def test_the_last_day_cannot_come_before_the_first(cast, login):
    starts_on = timezone.localdate() + timedelta(days=5)
    data = form_data(starts_on=starts_on.isoformat(), ends_on=(starts_on - timedelta(days=1)).isoformat())
    response = login(cast.a.users["teacher"]).post(NEW, {**data, "pupils": [str(cast.a.pupil.pk)]})
    assert response.status_code == 400
    assert "The last day cannot be before the first." in response.content.decode()
    # The same day for both is one day's use.
    same = form_data(starts_on=starts_on.isoformat(), ends_on=starts_on.isoformat())
    assert login(cast.a.users["teacher"]).post(NEW, {**same, "pupils": [str(cast.a.pupil.pk)]}).status_code == 302


def test_only_pupils_on_roll_at_the_school_can_be_chosen(cast, login):
    client = login(cast.a.users["teacher"])
    for pupil in (cast.b.pupil, cast.a.leaver):
        response = client.post(NEW, form_data(pupils=[str(pupil.pk)]))
        assert response.status_code == 400
        assert "Select a valid choice" in response.content.decode()
    with pytest.raises(ValidationError, match="Choose pupils on roll at your school."):
        ask(cast, pupils=[cast.a.leaver])
    assert EquipmentPermission.objects.count() == 1


# --- The head teacher's photo check and decision ----------------------------------------------------------------


def test_the_head_sees_the_pupils_without_photo_consent_approves_and_the_deadline_comes_from_the_settings(cast, login):
    crane = carys(cast)
    permission = ask(cast, pupils=[cast.a.pupil, crane])
    DeviceSettings.objects.filter(school=cast.a.school).update(images_deadline_hours=36)
    head = cast.a.users["head"]
    client = login(head)
    page = client.get(detail(permission)).content.decode()
    no_consent = page.split('id="no-photo-consent"', 1)[1].split("</ul>", 1)[0]
    assert "Carys Crane (7A)" in no_consent and "Aardvark" not in no_consent  # Alice: yes to photos on the website
    assert "1 of the 2 pupils has no consent for photos" in page
    assert "within 36 hours of the end of the last day" in page
    # Looked up in the photo check: a later withdrawal of consent warns the head.
    assert set(PhotoCheckLookup.objects.filter(user=head).values_list("pupil", flat=True)) == {cast.a.pupil.pk, crane.pk}
    assert AccessLogEntry.objects.filter(actor=head, object_id=str(permission.pk), kind=AccessLogEntry.Kind.VIEW).exists()

    response = client.post(decide(permission), {"decision": "approve", "note": "Do not photograph Carys."}, follow=True)
    permission.refresh_from_db()
    assert permission.status == Status.APPROVED and permission.decided_by == head
    assert permission.decision_note == "Do not photograph Carys."
    # Midnight at the end of the last day, and 36 hours more.
    assert permission.images_due_at == local(permission.ends_on + timedelta(days=1)) + timedelta(hours=36)
    due = timezone.localtime(permission.images_due_at)
    assert f"must confirm the images are moved and deleted by {due:%H:%M} on {due.day} {due:%b %Y}" in response.content.decode()
    told = Notification.objects.get(recipient=cast.a.users["teacher"], link=detail(permission))
    assert told.title == "Your use of My tablet with pupils is approved"
    assert f"by {due:%H:%M} on {due.day} {due:%b %Y}" in told.body
    assert permission.history.first().history_change_reason == "Approved by the head teacher"
    # Decided: the head's page no longer offers the decision nor repeats the check.
    page = client.get(detail(permission)).content.decode()
    assert "Save the decision" not in page and 'id="no-photo-consent"' not in page
    assert "Status: Waiting for the head teacher → Approved" in page


def test_the_deadline_counts_real_hours_when_the_clocks_change(cast):
    # The clocks go forward at 01:00 on 28 March 2027: 24 hours from that midnight is 01:00 on the 29th.
    assert services.images_due_at_for(date(2027, 3, 27), 24) == local(date(2027, 3, 29), 1)
    assert services.images_due_at_for(date(2027, 2, 1), 24) == local(date(2027, 2, 3))


def test_the_requester_sees_the_pupils_not_to_photograph_once_approved(cast, login):
    crane = carys(cast)
    permission = ask(cast, pupils=[cast.a.pupil, crane])
    services.equipment_permission_decide(permission=permission, actor=cast.a.users["head"], approve=True)
    page = login(cast.a.users["teacher"]).get(detail(permission)).content.decode()
    assert "do not photograph this pupil" in page and "Carys Crane (7A)" in page
    assert set(PhotoCheckLookup.objects.filter(user=cast.a.users["teacher"]).values_list("pupil", flat=True)) == {
        cast.a.pupil.pk,
        crane.pk,
    }


def test_the_head_declines_with_a_note_and_the_requester_is_told(cast, login):
    permission = cast.a.equipment_permission
    client = login(cast.a.users["head"])
    response = client.post(decide(permission), {"decision": "decline", "note": ""})
    assert response.status_code == 400
    assert "Say why it is declined." in response.content.decode()
    client.post(decide(permission), {"decision": "decline", "note": "Use the school's camera: it is free that week."})
    permission.refresh_from_db()
    assert permission.status == Status.DECLINED and permission.images_due_at is None
    told = Notification.objects.get(recipient=cast.a.users["teacher"], link=detail(permission))
    assert told.title == "Your use of My phone's camera with pupils is declined"
    page = login(cast.a.users["teacher"]).get(detail(permission)).content.decode()
    assert "Declined by Head A" in page and "Use the school&#x27;s camera: it is free that week." in page
    assert "Confirm the images" not in page


def test_the_head_cannot_decide_their_own_request(cast, login):
    head = cast.a.users["head"]
    permission = ask(cast, user=head)
    assert not Notification.objects.filter(link=detail(permission)).exists()  # no other head to tell
    client = login(head)
    page = client.get(detail(permission)).content.decode()
    assert "Save the decision" not in page
    assert "Waiting for another head teacher: you cannot decide your own request." in page
    response = client.post(decide(permission), {"decision": "approve", "note": ""}, follow=True)
    assert "you asked for this yourself, so another head teacher must decide it" in response.content.decode()
    permission.refresh_from_db()
    assert permission.status == Status.REQUESTED
    with pytest.raises(ValidationError, match="another head teacher must decide it"):
        services.equipment_permission_decide(permission=permission, actor=head, approve=True)
    # Another head teacher can.
    services.equipment_permission_decide(permission=permission, actor=second_head(cast), approve=True)
    permission.refresh_from_db()
    assert permission.status == Status.APPROVED


def test_the_second_of_two_heads_deciding_is_told_what_the_first_decided(cast, login):
    permission = cast.a.equipment_permission
    deputy = second_head(cast)
    tomorrow = timezone.localdate() + timedelta(days=1)
    with time_machine.travel(local(tomorrow, 9, 41), tick=False):
        login(cast.a.users["head"]).post(decide(permission), {"decision": "approve", "note": ""})
        response = login(deputy).post(decide(permission), {"decision": "decline", "note": "No"}, follow=True)
        assert "Already decided by Head A at 09:41: Approved." in response.content.decode()
        # A page read before the first decision, saved after it: the lock reads it again.
        stale = EquipmentPermission.objects.get(pk=permission.pk)
        stale.status = Status.REQUESTED
        with pytest.raises(AlreadyDone, match=r"Already decided by Head A at 09:41: Approved\."):
            services.equipment_permission_decide(permission=stale, actor=deputy, approve=False, note="No")
    permission.refresh_from_db()
    assert permission.status == Status.APPROVED and permission.decided_by == cast.a.users["head"]
    assert permission.history.count() == 3  # asked, its pupils, approved: nothing from the second head


def test_a_request_whose_dates_have_passed_can_only_be_declined(cast):
    permission = cast.a.equipment_permission
    with time_machine.travel(local(permission.ends_on + timedelta(days=1), 9), tick=False):
        with pytest.raises(ValidationError, match="it can only be declined"):
            services.equipment_permission_decide(permission=permission, actor=cast.a.users["head"], approve=True)
        services.equipment_permission_decide(permission=permission, actor=cast.a.users["head"], approve=False, note="Too late")
    permission.refresh_from_db()
    assert permission.status == Status.DECLINED


# --- Withdrawing --------------------------------------------------------------------------------------------------


def test_the_requester_withdraws_and_the_head_can_no_longer_decide(cast, login):
    permission = cast.a.equipment_permission
    response = login(cast.a.users["head"]).post(withdraw(permission), follow=True)
    assert "Only Teacher A, who asked, can withdraw this request." in response.content.decode()
    client = login(cast.a.users["teacher"])
    assert "Withdraw this request" in client.get(detail(permission)).content.decode()
    response = client.post(withdraw(permission), follow=True)
    assert "Your request has been withdrawn." in response.content.decode()
    permission.refresh_from_db()
    assert permission.status == Status.WITHDRAWN
    assert permission.history.first().history_change_reason == "Withdrawn"
    again = client.post(withdraw(permission), follow=True)
    assert "Teacher A has withdrawn this request." in again.content.decode()
    decided = login(cast.a.users["head"]).post(decide(permission), {"decision": "approve", "note": ""}, follow=True)
    assert "Teacher A has withdrawn this request." in decided.content.decode()
    permission.refresh_from_db()
    assert permission.status == Status.WITHDRAWN and permission.decided_by is None


# --- The images afterwards ----------------------------------------------------------------------------------------


def test_the_requester_confirms_the_images_once_the_period_has_started(cast, login):
    permission = cast.a.equipment_permission
    services.equipment_permission_decide(permission=permission, actor=cast.a.users["head"], approve=True)
    data = {"where": "Staff shared drive, Trips 2026, Year 7 camp", "deleted": "on"}
    early = login(cast.a.users["teacher"]).post(confirm(permission), data, follow=True)
    assert "confirm once the images have been taken" in early.content.decode()
    assert "You can confirm it here once the period has started." in early.content.decode()
    with time_machine.travel(local(permission.ends_on, 20), tick=False):
        client = login(cast.a.users["teacher"])
        page = client.get(detail(permission)).content.decode()
        assert "Confirm the images are moved and deleted" in page
        unticked = client.post(confirm(permission), {"where": "Shared drive"})
        assert unticked.status_code == 400
        assert "Delete the images from the device, then tick this box." in unticked.content.decode()
        assert login(cast.a.users["head"]).post(confirm(permission), data).status_code == 302
        permission.refresh_from_db()
        assert permission.status == Status.APPROVED  # the head cannot confirm for the teacher
        response = login(cast.a.users["teacher"]).post(confirm(permission), data, follow=True)
        assert "the images are recorded as moved to school systems and deleted" in response.content.decode()
        permission.refresh_from_db()
        assert permission.status == Status.DONE and permission.images_note == data["where"]
        assert permission.images_confirmed_at == timezone.now()
        again = client.post(confirm(permission), data, follow=True)
        assert "Already confirmed at 20:00." in again.content.decode()
    page = login(cast.a.users["teacher"]).get(detail(permission)).content.decode()
    assert "Where they are now:</strong> Staff shared drive, Trips 2026, Year 7 camp" in page
    assert permission.history.count() == 4


def test_declined_or_waiting_requests_have_no_images_to_confirm(cast):
    permission = cast.a.equipment_permission
    with pytest.raises(ValidationError, match="this one is: waiting for the head teacher"):
        services.equipment_images_confirm(permission=permission, actor=cast.a.users["teacher"], where="Drive")


# --- Who sees what ------------------------------------------------------------------------------------------------


def test_staff_see_their_own_requests_and_the_head_every_request_waiting_first(cast, login):
    dsl = cast.a.users["dsl"]
    theirs = ask(cast, user=dsl, equipment="DSL's camera", starts_in=1)
    decided = ask(cast, user=dsl, equipment="DSL's old tablet", starts_in=0)
    services.equipment_permission_decide(permission=decided, actor=cast.a.users["head"], approve=True)
    teacher_page = login(cast.a.users["teacher"]).get(LIST).content.decode()
    assert "My phone&#x27;s camera" in teacher_page and "DSL&#x27;s camera" not in teacher_page
    head_page = login(cast.a.users["head"]).get(LIST).content.decode()
    order = [head_page.index(text) for text in ("DSL&#x27;s camera", "My phone&#x27;s camera", "DSL&#x27;s old tablet")]
    assert order == sorted(order)  # the waiting ones first, the soonest first
    waiting = login(cast.a.users["head"]).get(LIST, {"status": "requested"}).content.decode()
    assert "DSL&#x27;s old tablet" not in waiting
    assert login(cast.a.users["dsl"]).get(detail(theirs)).status_code == 200


def test_others_cannot_open_a_request(cast, login):
    permission = cast.a.equipment_permission
    for user in (cast.a.users["dsl"], cast.a.users["it"], cast.b.users["head"], cast.b.users["teacher"]):
        assert login(user).get(detail(permission)).status_code == 404
        assert login(user).post(withdraw(permission)).status_code == 404
    assert login(cast.b.users["head"]).post(decide(permission), {"decision": "approve"}).status_code == 404
    for role in ("governor", "trust", "chair"):
        assert login(cast.a.users[role]).get(detail(permission)).status_code == 403
        assert login(cast.a.users[role]).get(LIST).status_code == 403
    assert login(cast.a.users["dsl"]).post(decide(permission), {"decision": "approve"}).status_code == 403
    permission.refresh_from_db()
    assert permission.status == Status.REQUESTED
    # School B's head sees their own school's request alone.
    page = login(cast.b.users["head"]).get(LIST).content.decode()
    with scope(school=cast.b.school):
        assert reverse("devices:equipment_detail", args=[cast.b.equipment_permission.pk]) in page
    assert detail(permission) not in page


# --- Home panels -------------------------------------------------------------------------------------------------


def _panel_request(user):
    from types import SimpleNamespace

    from esafety.access import school_access_for

    return SimpleNamespace(user=user, access=school_access_for(user))


def test_the_heads_panel_counts_requests_to_decide_and_images_overdue_in_one_query(cast, login, django_assert_num_queries):
    from devices.home.equipment import equipment_to_decide

    head = cast.a.users["head"]
    ask(cast, user=head)  # their own: not theirs to decide
    request = _panel_request(head)
    with django_assert_num_queries(1):
        panel = equipment_to_decide(request)
    assert panel["waiting"] == 1 and panel["overdue"] == 0
    page = login(head).get(reverse("home")).content.decode()
    assert "1 request to use personal equipment with pupils waits for your decision." in page
    permission = services.equipment_permission_decide(permission=cast.a.equipment_permission, actor=head, approve=True)
    with time_machine.travel(permission.images_due_at + timedelta(hours=8), tick=False):
        services.equipment_images_remind(school=cast.a.school, now=timezone.now())
        with django_assert_num_queries(1):
            panel = equipment_to_decide(request)
        assert panel["waiting"] == 0 and panel["overdue"] == 1
        assert "The images from 1 use of personal equipment are overdue" in login(head).get(reverse("home")).content.decode()
    assert equipment_to_decide(_panel_request(cast.a.users["dsl"])) is None


def test_the_requesters_panel_lists_images_due_with_the_deadline_in_one_query(cast, login, django_assert_num_queries):
    from devices.home.equipment import equipment_images_due

    teacher = cast.a.users["teacher"]
    permission = services.equipment_permission_decide(
        permission=cast.a.equipment_permission, actor=cast.a.users["head"], approve=True
    )
    request = _panel_request(teacher)
    assert equipment_images_due(request) is None  # the trip has not started
    with time_machine.travel(local(permission.starts_on, 9), tick=False):
        with django_assert_num_queries(1):
            panel = equipment_images_due(request)
        assert panel["permissions"] == [permission]
        page = login(teacher).get(reverse("home")).content.decode()
        due = timezone.localtime(permission.images_due_at)
        assert f"My phone&#x27;s camera, {permission.starts_on.day} {permission.starts_on:%b %Y}" in page
        assert f"by {due.day} {due:%b %Y} {due:%H:%M}" in page
    assert equipment_images_due(_panel_request(cast.a.users["dsl"])) is None


# --- Query counts -------------------------------------------------------------------------------------------------


def _queries(client, url) -> int:
    with CaptureQueriesContext(connection) as queries:
        assert client.get(url).status_code == 200
    return len(queries)


@pytest.mark.parametrize("role", ["head", "teacher"])
def test_the_list_runs_the_same_queries_however_many_requests(cast, login, role, django_assert_num_queries):
    client = login(cast.a.users[role])
    _queries(client, LIST)
    few = _queries(client, LIST)
    pupils = [f.make_pupil(cast.a.school, f"More{i}", "Pupil", form=cast.a.form, mis_id=f"m{i}") for i in range(5)]
    for i in range(12):
        permission = ask(cast, pupils=pupils, equipment=f"Camera {i}")
        if i % 2:
            services.equipment_permission_decide(permission=permission, actor=cast.a.users["head"], approve=True)
    with django_assert_num_queries(few):
        page = client.get(LIST).content.decode()
    assert "Camera 11" in page


@pytest.mark.parametrize("role", ["head", "teacher"])
def test_the_request_page_runs_the_same_queries_however_many_pupils(cast, login, role, django_assert_num_queries):
    permission = cast.a.equipment_permission
    if role == "teacher":
        services.equipment_permission_decide(permission=permission, actor=cast.a.users["head"], approve=True)
    client = login(cast.a.users[role])
    _queries(client, detail(permission))  # the photo check notes the pupils looked up: once a day
    few = _queries(client, detail(permission))
    for i in range(8):
        permission.pupils.add(f.make_pupil(cast.a.school, f"More{i}", "Pupil", form=cast.a.form, mis_id=f"m{i}"))
    _queries(client, detail(permission))
    with django_assert_num_queries(few):
        page = client.get(detail(permission)).content.decode()
    assert "More7 Pupil (7A)" in page
