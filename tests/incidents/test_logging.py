"""A member of staff logs an incident: the form, its errors, its draft, and what happens next."""

import re
from datetime import timedelta

import pytest
from django.core import mail
from django.urls import reverse
from django.utils import timezone

from esafety.models import Notification
from esafety.scoping import scope
from incidents.models import Incident, IncidentCategory, IncidentDraft

pytestmark = pytest.mark.django_db

LOG = reverse("incidents:incident_log")


def category(cast, starts_with, school="a"):
    return IncidentCategory.objects.get(school=getattr(cast, school).school, name__startswith=starts_with)


def form_data(cast, starts_with="Cyberbullying", **extra):
    data = {
        "occurred_at": (timezone.localtime() - timedelta(hours=1)).strftime("%Y-%m-%dT%H:%M"),
        "location": "online",
        "category": category(cast, starts_with).pk,
        "description": "Alice said a group chat is sharing mean messages about her.",
        "immediate_action": "Reassured her and kept her phone screen as it was.",
        "severity": "medium",
        "person": [f"pupil:{cast.a.pupil.pk}", "outsider:A cousin at another school"],
        "part": ["affected", "alleged"],
    }
    data.update(extra)
    return data


def test_a_teacher_logs_an_incident_with_its_people_and_checklist(cast, login):
    client = login(cast.a.users["teacher"])
    response = client.post(LOG, form_data(cast))
    incident = Incident.objects.exclude(pk__in=[cast.a.incident.pk]).filter(school=cast.a.school).latest("reported_at")
    assert response.status_code == 302
    assert response["Location"] == reverse("incidents:incident_logged", args=[incident.pk])
    assert incident.audience == Incident.Audience.GENERAL and incident.status == Incident.Status.NEW
    assert sorted((p.name, p.part) for p in incident.people.all()) == [
        ("A cousin at another school", "alleged"),
        ("Alice Aardvark", "affected"),
    ]
    assert incident.checklist.count() == 6  # the cyberbullying response steps, copied
    assert incident.history.first().history_user == cast.a.users["teacher"]
    assert incident.events.first().summary.startswith("Logged as Cyberbullying")
    page = client.get(response["Location"]).content.decode()
    assert f"{incident.reference} has been logged" in page
    assert "Open the incident" in page


def test_incidents_are_numbered_per_school(cast, login):
    login(cast.a.users["teacher"]).post(LOG, form_data(cast))
    numbers = list(Incident.objects.filter(school=cast.a.school).order_by("number").values_list("number", flat=True))
    assert numbers == list(range(1, len(numbers) + 1))
    with scope(school=cast.b.school):
        assert Incident.objects.order_by("number").first().number == 1


def test_bad_input_keeps_what_was_typed_and_saves_nothing(cast, login):
    client = login(cast.a.users["teacher"])
    before = Incident.objects.count()
    data = form_data(cast, description="", person=[], part=[], occurred_at="31/02/2026 10:00")
    data["immediate_action"] = "Took the tablet to the office"
    response = client.post(LOG, data)
    page = response.content.decode()
    assert response.status_code == 400
    assert "Add at least one person involved" in page
    assert "This field is required" in page  # the description
    assert "Enter a valid date/time" in page
    assert "Took the tablet to the office" in page
    assert Incident.objects.count() == before
    # …and the draft holds it, should the next thing be a lost session.
    assert IncidentDraft.objects.get(user=cast.a.users["teacher"]).data["immediate_action"] == ["Took the tablet to the office"]


def test_a_pupil_of_another_school_cannot_be_named(cast, login):
    client = login(cast.a.users["teacher"])
    response = client.post(LOG, form_data(cast, person=[f"pupil:{cast.b.pupil.pk}"], part=["affected"]))
    assert response.status_code == 400
    assert "Bob Badger" not in response.content.decode()


def test_a_future_time_is_refused(cast, login):
    client = login(cast.a.users["teacher"])
    future = (timezone.localtime() + timedelta(days=2)).strftime("%Y-%m-%dT%H:%M")
    response = client.post(LOG, form_data(cast, occurred_at=future))
    assert response.status_code == 400
    assert "This is in the future" in response.content.decode()


def test_the_draft_survives_a_session_timeout(cast, client):
    teacher = cast.a.users["teacher"]
    client.force_login(teacher)
    client.post(reverse("incidents:incident_draft"), form_data(cast, description="Half-typed account of the chat"))
    client.logout()  # the session ends
    # Posting the form now only finds the login page…
    response = client.post(LOG, form_data(cast))
    assert response.status_code == 302 and "/accounts/login/" in response["Location"]
    # …but after logging in again, the form comes back as it was.
    client.force_login(teacher)
    page = client.get(LOG).content.decode()
    assert "Half-typed account of the chat" in page
    assert "Alice Aardvark" in page and "A cousin at another school" in page
    assert "We kept what you typed" in page
    # Logging it clears the draft.
    client.post(LOG, form_data(cast))
    assert not IncidentDraft.objects.filter(user=teacher).exists()


def test_the_form_takes_no_uploads_and_warns_about_images(cast, login):
    page = login(cast.a.users["teacher"]).get(LOG).content.decode()
    assert 'type="file"' not in page and "multipart" not in page
    assert "Do not view, copy, forward or upload any images" in page
    nudes = category(cast, "Sharing nudes")
    assert str(nudes.pk) in page.split('data-image-categories="')[1].split('"')[0]


def test_people_search_finds_pupils_and_staff_of_the_school_only(cast, login):
    client = login(cast.a.users["teacher"])
    page = client.get(reverse("incidents:people_search"), {"q": "Aard"}).content.decode()
    assert "Alice Aardvark" in page
    assert "Badger" not in client.get(reverse("incidents:people_search"), {"q": "Badg"}).content.decode()
    assert "Tutor TeacherA" in client.get(reverse("incidents:people_search"), {"q": "TeacherA"}).content.decode()


def test_immediate_risk_tells_the_dsl_team_at_once_and_the_reporter_to_find_a_dsl(
    cast, login, django_capture_on_commit_callbacks
):
    client = login(cast.a.users["teacher"])
    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(LOG, form_data(cast, severity="immediate"), follow=True)
    page = response.content.decode()
    assert "Speak to a DSL in person now" in page
    dsl_note = Notification.objects.filter(recipient=cast.a.users["dsl"], title__startswith="Act now").get()
    assert dsl_note.link.startswith("/incidents/")
    assert [m.to for m in mail.outbox] == [[cast.a.users["dsl"].email]]
    # The e-mail names the incident, not what happened.
    assert "group chat" not in mail.outbox[0].body
    assert not Notification.objects.filter(recipient=cast.a.users["teacher"], title__startswith="Act now").exists()


def test_illegal_material_is_urgent_whatever_the_severity(cast, login, django_capture_on_commit_callbacks):
    client = login(cast.a.users["teacher"])
    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        client.post(LOG, form_data(cast, "Indecent images", severity="low"))
    recipients = sorted(m.to[0] for m in mail.outbox)
    assert recipients == sorted([cast.a.users["dsl"].email, cast.a.users["head"].email])


def test_a_child_protection_incident_gives_the_reporter_a_receipt_not_the_case(cast, login):
    client = login(cast.a.users["teacher"])
    response = client.post(LOG, form_data(cast, "Online sexual abuse"))
    incident = Incident.objects.get(pk=response["Location"].split("/")[2])
    assert incident.audience == Incident.Audience.SAFEGUARDING
    receipt = client.get(response["Location"]).content.decode()
    assert incident.reference in receipt
    assert "Open the incident" not in receipt
    assert "group chat" not in receipt
    assert client.get(reverse("incidents:incident_detail", args=[incident.pk])).status_code == 404
    mine = client.get(reverse("incidents:my_reports")).content.decode()
    assert incident.reference in mine and "Received by the people who handle it" in mine


def test_an_allegation_about_staff_goes_to_the_head_and_about_the_head_to_the_chair(cast, login):
    client = login(cast.a.users["dsl"])
    data = form_data(cast, person=[f"staff:{cast.a.staff_member.pk}"], part=["alleged"])
    response = client.post(LOG, data)
    about_tutor = Incident.objects.get(pk=response["Location"].split("/")[2])
    assert about_tutor.audience == Incident.Audience.STAFF
    assert about_tutor.matrix_row.matrix == "staff"  # the staff matrix applies
    assert client.get(reverse("incidents:incident_detail", args=[about_tutor.pk])).status_code == 404
    head_record = cast.a.head_incident.people.get().staff
    response = client.post(LOG, form_data(cast, person=[f"staff:{head_record.pk}"], part=["alleged"]))
    about_head = Incident.objects.get(pk=response["Location"].split("/")[2])
    assert about_head.audience == Incident.Audience.HEAD


def test_an_urgent_incident_logged_while_redis_is_down_is_saved_and_the_dsl_told_when_it_is_back(
    cast, login, django_capture_on_commit_callbacks, monkeypatch
):
    from esafety.celery import app
    from esafety.models import OutboxMessage
    from esafety.outbox import outbox_drain

    # A broker nobody answers on: publishing fails at once, as when Redis is down.
    monkeypatch.setitem(app.conf, "broker_url", "redis://127.0.0.1:9/0")
    monkeypatch.setitem(app.conf, "broker_write_url", None)
    app.conf.task_always_eager = False  # the autouse fixture sets it back for the next test
    mail.outbox.clear()
    client = login(cast.a.users["teacher"])
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(LOG, form_data(cast, severity="immediate"), follow=True)
    assert "Speak to a DSL in person now" in response.content.decode()
    incident = Incident.objects.filter(school=cast.a.school, severity="immediate").get()
    pending = OutboxMessage.objects.filter(dispatched_at__isnull=True)
    assert pending.count() == 1 and pending.get().last_error
    assert mail.outbox == []
    # Redis is back: the next drain sends the e-mail, once.
    app.conf.task_always_eager = True
    outbox_drain()
    outbox_drain()
    assert [m.to for m in mail.outbox] == [[cast.a.users["dsl"].email]]
    assert incident.reference in mail.outbox[0].subject


# --- Bad input: refused with a reason, never a 500 -------------------------------------------


def test_a_nul_character_is_refused_with_a_reason_and_the_draft_keeps_the_rest(cast, login):
    client = login(cast.a.users["teacher"])
    response = client.post(LOG, form_data(cast, description="Pasted from a chat:\x00 mean messages"))
    assert response.status_code == 400
    assert "Null characters are not allowed." in response.content.decode()
    assert not Incident.objects.filter(description__startswith="Pasted").exists()
    # PostgreSQL cannot store NUL in the draft's JSON: it is kept without it.
    draft = IncidentDraft.objects.get(user=cast.a.users["teacher"])
    assert draft.data["description"] == ["Pasted from a chat: mean messages"]


def test_the_draft_is_saved_as_typed_without_nul_characters(cast, login):
    client = login(cast.a.users["teacher"])
    response = client.post(reverse("incidents:incident_draft"), {"description": "Started\x00 typing", "location\x00": "online"})
    assert response.status_code == 200
    assert response.content.decode().startswith("Draft saved at")
    assert IncidentDraft.objects.get(user=cast.a.users["teacher"]).data == {
        "description": ["Started typing"],
        "location": ["online"],
    }


def test_an_outsiders_name_with_a_nul_character_is_refused_and_shown_again_without_it(cast, login):
    client = login(cast.a.users["teacher"])
    before = Incident.objects.count()
    people = [f"pupil:{cast.a.pupil.pk}", "outsider:A cousin at\x00 another school"]
    response = client.post(LOG, form_data(cast, person=people))
    page = response.content.decode()
    assert response.status_code == 400
    assert "A name of someone involved had a character that is not allowed (NUL): check the people listed." in page
    assert 'value="outsider:A cousin at another school"' in page
    assert Incident.objects.count() == before
    # Sent again as it is now shown, the incident is logged.
    assert client.post(LOG, form_data(cast)).status_code == 302


@pytest.mark.parametrize(
    "q,reason",
    [
        ("Ali\x00", "Null characters are not allowed."),  # PostgreSQL cannot compare NUL
        ("x" * 100_000, "Ensure this value has at most 200 characters (it has 100000)."),  # SQLite gave a 500
    ],
)
def test_the_people_search_refuses_what_is_no_name_with_a_plain_reason(cast, login, q, reason):
    response = login(cast.a.users["teacher"]).get(reverse("incidents:people_search"), {"q": q})
    assert response.status_code == 400
    assert response["Content-Type"].startswith("text/plain")
    assert response.content.decode() == reason


def test_the_reporter_chooses_the_kind_and_the_seriousness_themselves(cast, login):
    client = login(cast.a.users["teacher"])
    page = client.get(LOG).content.decode()
    assert "Choose the kind of incident" in page and "---------" not in page
    assert re.search(r'<input[^>]*name="severity"', page) and not re.search(r'<input[^>]*name="severity"[^>]*checked', page)

    data = form_data(cast)
    del data["severity"]
    response = client.post(LOG, data)

    assert response.status_code == 400
    assert "Choose how serious it is." in response.content.decode()
    assert not Incident.objects.filter(description=data["description"]).exists()
