"""
Confiscated devices: anyone on the staff records a device taken from a pupil (or found), also from an incident's
page in one step; the office holds it; the DSL and the head teacher search it, hand it to the police and flag it as
evidence; the office returns it to the pupil or one of the pupil's own parents, or disposes of it. Every step is one
custody entry that is never changed, and two people acting at once never both return a device.
"""

import threading
from datetime import timedelta

import pytest
import time_machine
from django.contrib.contenttypes.models import ContentType
from django.core.exceptions import ValidationError
from django.db import IntegrityError, connection, transaction
from django.urls import get_resolver, reverse
from django.utils import timezone

from devices.models import Confiscation, CustodyEntry
from devices.services import custody as services
from esafety.models import AccessLogEntry, Notification, PupilContact, StaffMember
from esafety.scoping import scope
from filtering.services.changes import AlreadyDone
from tests import factories as f

pytestmark = pytest.mark.django_db

Status = Confiscation.Status
Kind = CustodyEntry.Kind
LIST = reverse("devices:confiscation_list")
NEW = reverse("devices:confiscation_new")


def url(name, confiscation):
    return reverse(f"devices:confiscation_{name}", args=[confiscation.pk])


def when(hours_ago=1):
    return (timezone.localtime() - timedelta(hours=hours_ago)).strftime("%Y-%m-%dT%H:%M")


def form_data(cast, **extra):
    data = {
        "kind": "phone",
        "description": "Silver phone, cracked screen",
        "source": "taken",
        "pupil": str(cast.a.pupil.pk),
        "taken_at": when(),
        "reason": "Filming other pupils in the corridor",
        "stored_at": "School office",
    }
    data.update(extra)
    return data


def newest(cast):
    return Confiscation.objects.filter(school=cast.a.school).order_by("-number").first()


def record(cast, actor=None, *, pupil="cast", hours_ago=1, **extra):
    """A device recorded through the service, as the form would."""
    return services.confiscation_record(
        school=cast.a.school,
        actor=actor or cast.a.users["teacher"],
        kind=extra.pop("kind", Confiscation.Kind.PHONE),
        description=extra.pop("description", "Blue phone"),
        pupil=cast.a.pupil if pupil == "cast" else pupil,
        taken_at=extra.pop("taken_at", timezone.now() - timedelta(hours=hours_ago)),
        reason=extra.pop("reason", "On it in a lesson"),
        stored_at=extra.pop("stored_at", "School office"),
        **extra,
    )


def chain(confiscation):
    return list(CustodyEntry.objects.filter(confiscation=confiscation).order_by("at", "pk"))


def tomorrow_at(hour, minute):
    """A moment after everything in the cast (its device was taken an hour ago)."""
    return (timezone.localtime() + timedelta(days=1)).replace(hour=hour, minute=minute, second=0, microsecond=0)


def when_words(moment):
    """How a moment not today is told: "15:40 on 27 Nov 2026"."""
    local = timezone.localtime(moment)
    return f"{local:%H:%M} on {local.day} {local:%b %Y}"


def head_staff(cast):
    return StaffMember.objects.get(school=cast.a.school, user=cast.a.users["head"])


# --- Recording ----------------------------------------------------------------------------------------------------


def test_a_teacher_records_a_phone_taken_from_a_pupil_and_the_office_is_told(cast, login):
    client = login(cast.a.users["teacher"])
    taken_at = when(2)
    response = client.post(NEW, form_data(cast, taken_at=taken_at), follow=True)
    confiscation = newest(cast)
    assert confiscation.number == 2 and confiscation.reference == "CF-00002"
    assert confiscation.pupil == cast.a.pupil and confiscation.taken_by == cast.a.users["teacher"]
    assert confiscation.status == Status.HELD and not confiscation.is_evidence and confiscation.incident is None
    assert timezone.localtime(confiscation.taken_at).strftime("%Y-%m-%dT%H:%M") == taken_at
    [entry] = chain(confiscation)
    assert entry.kind == Kind.TAKEN and entry.recorded_by == cast.a.users["teacher"] and entry.at == confiscation.taken_at
    assert entry.stored_at == "School office"
    assert confiscation.history.get().history_change_reason == "Recorded"
    page = response.content.decode()
    assert "CF-00002 has been recorded, and the office told that a device is to be held." in page
    assert "Alice Aardvark" in page and "Silver phone, cracked screen" in page
    told = Notification.objects.filter(link=url("detail", confiscation))
    assert [n.recipient for n in told] == [cast.a.users["office"]]
    [notification] = told
    assert notification.title == "CF-00002: a confiscated device to hold"
    assert "Aardvark" not in notification.title + notification.body and "Alice" not in notification.body
    assert "kept at: School office" in notification.body


def test_a_found_device_has_no_pupil_and_starts_its_chain_as_found(cast, login):
    response = login(cast.a.users["it"]).post(
        NEW, form_data(cast, source="found", pupil=str(cast.a.pupil.pk), kind="storage", description="Red USB stick")
    )
    confiscation = newest(cast)
    assert response.status_code == 302
    assert confiscation.pupil is None and confiscation.kind == Confiscation.Kind.STORAGE
    assert [e.kind for e in chain(confiscation)] == [Kind.FOUND]
    assert confiscation.history.get().history_change_reason == "Recorded as found"
    page = login(cast.a.users["it"]).get(url("detail", confiscation)).content.decode()
    assert "Nobody: it was found" in page and "Found by" in page


def test_a_device_flagged_as_evidence_when_recorded_tells_the_dsl_too(cast, login):
    login(cast.a.users["teacher"]).post(NEW, form_data(cast, is_evidence="on"))
    confiscation = newest(cast)
    assert confiscation.is_evidence
    assert [e.kind for e in chain(confiscation)] == [Kind.TAKEN, Kind.FLAGGED]
    dsl_told = Notification.objects.get(recipient=cast.a.users["dsl"], link=url("detail", confiscation))
    assert dsl_told.title == "CF-00002: a confiscated device flagged as evidence"
    office_told = Notification.objects.get(recipient=cast.a.users["office"], link=url("detail", confiscation))
    assert "It is flagged as evidence: do not return it." in office_told.body


@pytest.mark.parametrize(
    ("extra", "message"),
    [
        ({"pupil": ""}, "Choose the pupil the device was taken from."),
        ({"taken_at": (timezone.localtime() + timedelta(hours=3)).strftime("%Y-%m-%dT%H:%M")}, "This is in the future."),
        ({"kind": ""}, "This field is required."),
        ({"stored_at": ""}, "This field is required."),
        ({"source": ""}, "Say whether the device was taken from a pupil or found."),
    ],
)
def test_bad_input_is_shown_beside_the_field_and_nothing_is_recorded(cast, login, extra, message):
    response = login(cast.a.users["teacher"]).post(NEW, form_data(cast, **extra))
    assert response.status_code == 400
    page = response.content.decode()
    assert message in page
    assert "Filming other pupils in the corridor" in page  # what was typed is kept
    assert newest(cast).number == 1
    assert not Notification.objects.filter(title__contains="CF-00002").exists()


def test_the_form_offers_the_schools_pupils_on_roll_only(cast, login):
    page = login(cast.a.users["teacher"]).get(NEW).content.decode()
    assert "Aardvark, Alice (7A)" in page
    assert "LeaverA" not in page and "Badger" not in page
    response = login(cast.a.users["teacher"]).post(NEW, form_data(cast, pupil=str(cast.b.pupil.pk)))
    assert response.status_code == 400 and "Select a valid choice" in response.content.decode()
    assert newest(cast).number == 1


def test_the_service_refuses_another_schools_pupil(cast):
    with pytest.raises(ValidationError, match="Choose a pupil of your school"):
        record(cast, pupil=cast.b.pupil)


# --- From an incident, in one step ----------------------------------------------------------------------------------


def test_a_device_is_recorded_from_an_incident_in_one_step(cast, login):
    incident = cast.a.incident
    client = login(cast.a.users["teacher"])
    incident_page = client.get(reverse("incidents:incident_detail", args=[incident.pk])).content.decode()
    new_from_incident = f"{NEW}?incident={incident.pk}"
    assert f'href="{new_from_incident}"' in incident_page and "Record a confiscated device" in incident_page
    assert "You have recorded no devices from this incident." in incident_page

    page = client.get(new_from_incident).content.decode()
    assert f"It will be linked to incident {incident.reference}." in page
    assert f'<option value="{cast.a.pupil.pk}" selected>' in page
    assert timezone.localtime(incident.occurred_at).strftime("%Y-%m-%dT%H:%M") in page
    assert f"Incident {incident.reference}: Cyberbullying" in page

    data = form_data(cast, reason=f"Incident {incident.reference}: messages sent in class")
    response = client.post(new_from_incident, data)
    confiscation = newest(cast)
    assert response.status_code == 302 and response["Location"] == url("detail", confiscation)
    assert confiscation.incident == incident and confiscation.pupil == cast.a.pupil

    incident_page = client.get(reverse("incidents:incident_detail", args=[incident.pk])).content.decode()
    assert f'<a href="{url("detail", confiscation)}">CF-00002</a>: Mobile phone' in incident_page
    detail = client.get(url("detail", confiscation)).content.decode()
    assert f'href="{reverse("incidents:incident_detail", args=[incident.pk])}"' in detail


def test_the_incident_page_lists_only_the_devices_the_reader_may_open(cast, login):
    incident = cast.a.incident
    mine = record(cast, cast.a.users["teacher"], incident=incident)
    theirs = record(cast, cast.a.users["dsl"], incident=incident, description="Tablet")
    page = login(cast.a.users["teacher"]).get(reverse("incidents:incident_detail", args=[incident.pk])).content.decode()
    assert mine.reference in page and theirs.reference not in page
    page = login(cast.a.users["dsl"]).get(reverse("incidents:incident_detail", args=[incident.pk])).content.decode()
    assert mine.reference in page and theirs.reference in page


@pytest.mark.parametrize("which", ["restricted", "other school", "not an id", "no such incident"])
def test_an_incident_the_user_may_not_see_is_a_404(cast, login, which):
    incident_id = {
        "restricted": lambda: cast.a.restricted.pk,  # the teacher logged it, yet only the DSL team may see it
        "other school": lambda: cast.b.incident.pk,
        "not an id": lambda: "INC-00001",
        "no such incident": lambda: "6f1d2c0e-0000-4000-8000-000000000000",
    }[which]()
    client = login(cast.a.users["teacher"])
    assert client.get(f"{NEW}?incident={incident_id}").status_code == 404
    assert client.post(f"{NEW}?incident={incident_id}", form_data(cast)).status_code == 404
    assert newest(cast).number == 1


def test_a_device_from_a_restricted_incident_says_nothing_of_it_to_the_office(cast, login):
    restricted = cast.a.restricted
    dsl = login(cast.a.users["dsl"])
    page = dsl.get(f"{NEW}?incident={restricted.pk}").content.decode()
    neutral = f"Taken in connection with a safeguarding matter, incident {restricted.reference}: see the DSL."
    assert neutral in page and "Sharing" not in page.split("<h1", 1)[1]
    dsl.post(f"{NEW}?incident={restricted.pk}", form_data(cast, reason="A safeguarding matter: see the DSL."))
    confiscation = newest(cast)
    assert confiscation.incident == restricted

    # The DSL sees the incident on the device's page.
    page = dsl.get(url("detail", confiscation)).content.decode()
    assert f'href="{reverse("incidents:incident_detail", args=[restricted.pk])}"' in page
    # The office holds the device, but the incident does not exist for them: not on the page, nor in its history.
    office_page = login(cast.a.users["office"]).get(url("detail", confiscation)).content.decode()
    assert restricted.reference not in office_page and str(restricted.pk) not in office_page
    assert "Incident" not in office_page.split("Chain of custody")[0].split("The device", 1)[1]
    [told] = Notification.objects.filter(recipient=cast.a.users["office"], link=url("detail", confiscation))
    assert restricted.reference not in told.title + told.body and "Sharing" not in told.title + told.body


# --- The chain of custody ----------------------------------------------------------------------------------------------


def test_every_step_is_recorded_in_order_with_who_and_when(cast, login):
    confiscation = cast.a.confiscation
    office, dsl, head = cast.a.users["office"], cast.a.users["dsl"], cast.a.users["head"]
    steps = [
        (office, "move", {"move-stored_at": "Office safe"}, "CF-00001: the new place is recorded."),
        (
            dsl,
            "search",
            {
                "search-searched_by": str(head_staff(cast).pk),
                "search-consent_from": "Alice and her mother, by phone",
                "search-witnessed_by": str(cast.a.staff_member.pk),
                "search-found": "Messages threatening another pupil",
            },
            "CF-00001: the search is recorded.",
        ),
        (dsl, "to_police", {"police-officer": "PC Jones 1234", "police-police_reference": "CR/55/26"}, "handed to the police"),
        (head, "back_from_police", {"back-stored_at": "Head's office safe"}, "back from the police"),
        (dsl, "flag", {"flag-note": "May be needed by the police again"}, "flagged as evidence"),
        (dsl, "lift_flag", {"lift-reason": "The police have closed the case"}, "the evidence flag is lifted"),
        (office, "note", {"note-note": "Mother rang: she will collect it after school."}, "the note is added"),
        (
            office,
            "return",
            {"return-returned_to": "contact", "return-contact_link": str(PupilContact.objects.get(contact=cast.a.parent).pk)},
            "recorded as returned",
        ),
    ]
    start = tomorrow_at(9, 0)
    for minute, (user, name, data, message) in enumerate(steps):
        with time_machine.travel(start + timedelta(minutes=minute), tick=False):
            response = login(user).post(url(name, confiscation), data, follow=True)
        assert response.status_code == 200, name
        assert message in response.content.decode(), name

    entries = chain(confiscation)
    assert [e.kind for e in entries] == [
        Kind.TAKEN,
        Kind.STORED,
        Kind.SEARCHED,
        Kind.TO_POLICE,
        Kind.BACK_FROM_POLICE,
        Kind.FLAGGED,
        Kind.FLAG_LIFTED,
        Kind.NOTE,
        Kind.RETURNED,
    ]
    assert [e.recorded_by for e in entries[1:]] == [user for user, *_ in steps]
    assert [timezone.localtime(e.at).strftime("%H:%M") for e in entries[1:]] == [f"09:0{i}" for i in range(8)]
    searched = entries[2]
    assert searched.searched_by == head_staff(cast) and searched.witnessed_by == cast.a.staff_member
    assert searched.consent_from == "Alice and her mother, by phone" and searched.found == "Messages threatening another pupil"
    assert entries[3].officer == "PC Jones 1234" and entries[3].police_reference == "CR/55/26"
    assert entries[8].returned_to == CustodyEntry.ReturnedTo.CONTACT and entries[8].contact == cast.a.parent

    confiscation.refresh_from_db()
    assert confiscation.status == Status.RETURNED and not confiscation.is_evidence
    assert confiscation.closed_at == entries[8].at
    assert confiscation.stored_at == "Head's office safe"
    reasons = list(confiscation.history.order_by("history_date", "history_id").values_list("history_change_reason", flat=True))
    assert reasons[1:] == [
        "Moved",
        "Searched",
        "Handed to the police",
        "Back from the police",
        "Flagged as evidence",
        "Evidence flag lifted",
        "Note added",
        "Returned",
    ]

    # The page shows the whole chain in order, who recorded each step and when; the search's findings only to the
    # DSL and the head teacher.
    page = login(office).get(url("detail", confiscation)).content.decode()
    chain_html = page.split('id="custody-chain"')[1].split("</ol>")[0]
    labels = ["Taken", "Moved", "Searched", "Handed to the police", "Back from the police", "Flagged as evidence"]
    labels += ["Evidence flag lifted", "Note", "Returned"]
    positions = [chain_html.index(f"<strong>{label}</strong>") for label in labels]
    assert positions == sorted(positions)
    assert "Recorded by Dsl A" in chain_html and f"{start:%-d %b %Y} 09:02" in chain_html
    assert "Given back to: Parent Aardvark, parent or carer" in chain_html
    assert "Searched by Head TeacherA, witnessed by Tutor TeacherA" in chain_html
    assert "Messages threatening another pupil" not in chain_html
    assert "What was found is for the DSL and the head teacher." in chain_html
    assert "Messages threatening another pupil" in login(dsl).get(url("detail", confiscation)).content.decode()
    assert "Record what happens next" not in page  # closed: no more steps


def test_a_device_flagged_as_evidence_cannot_be_returned_or_disposed_of(cast, login):
    confiscation = cast.a.confiscation
    services.confiscation_flag(confiscation=confiscation, actor=cast.a.users["dsl"], note="Police may want it")
    office = login(cast.a.users["office"])
    page = office.get(url("detail", confiscation)).content.decode()
    assert "it cannot be returned or disposed of until the DSL lifts the flag" in page
    assert url("return", confiscation) not in page and url("dispose", confiscation) not in page
    response = office.post(url("return", confiscation), {"return-returned_to": "pupil"})
    assert response.status_code == 400
    assert "CF-00001 is flagged as evidence: it cannot be returned until the DSL lifts the flag." in response.content.decode()
    response = office.post(url("dispose", confiscation), {"dispose-how": "Recycled", "dispose-why": "Unclaimed"})
    assert response.status_code == 400
    assert "CF-00001 is flagged as evidence: it cannot be disposed of until the DSL lifts the flag." in response.content.decode()
    confiscation.refresh_from_db()
    assert confiscation.status == Status.HELD and confiscation.closed_at is None
    assert [e.kind for e in chain(confiscation)] == [Kind.TAKEN, Kind.FLAGGED]
    # The database refuses too.
    with pytest.raises(IntegrityError), transaction.atomic():
        Confiscation.objects.filter(pk=confiscation.pk).update(status=Status.RETURNED, closed_at=timezone.now())


def test_the_office_cannot_lift_the_flag_nor_search(cast, login):
    confiscation = cast.a.confiscation
    services.confiscation_flag(confiscation=confiscation, actor=cast.a.users["dsl"], note="Police may want it")
    office = login(cast.a.users["office"])
    assert office.post(url("lift_flag", confiscation), {"lift-reason": "Not needed"}).status_code == 403
    assert office.post(url("search", confiscation), {}).status_code == 403
    page = office.get(url("detail", confiscation)).content.decode()
    assert url("lift_flag", confiscation) not in page and url("search", confiscation) not in page
    confiscation.refresh_from_db()
    assert confiscation.is_evidence


def test_only_the_dsl_lifts_the_flag_the_head_teacher_may_flag_but_not_lift(cast, login):
    confiscation = cast.a.confiscation
    head = login(cast.a.users["head"])
    assert head.post(url("flag", confiscation), {"flag-note": "Threats sent from it"}).status_code == 302
    page = head.get(url("detail", confiscation)).content.decode()
    assert url("lift_flag", confiscation) not in page
    assert head.post(url("lift_flag", confiscation), {"lift-reason": "Not needed"}).status_code == 403
    confiscation.refresh_from_db()
    assert confiscation.is_evidence
    dsl = login(cast.a.users["dsl"])
    assert url("lift_flag", confiscation) in dsl.get(url("detail", confiscation)).content.decode()


def test_the_flag_lifted_it_goes_back_to_a_parent_of_the_pupil_and_never_another_pupils(cast, login):
    confiscation = cast.a.confiscation
    services.confiscation_flag(confiscation=confiscation, actor=cast.a.users["dsl"], note="Police may want it")
    login(cast.a.users["dsl"]).post(url("lift_flag", confiscation), {"lift-reason": "The police do not need it"})
    confiscation.refresh_from_db()
    assert not confiscation.is_evidence

    other_pupil = f.make_pupil(cast.a.school, "Carl", "Cheetah", form=cast.a.form, mis_id="a003")
    other_parent = f.make_parent(other_pupil, "Dora", "Cheetah", mis_id="Ca003")
    other_link = PupilContact.objects.get(contact=other_parent)
    office = login(cast.a.users["office"])
    page = office.get(url("detail", confiscation)).content.decode()
    assert "Parent Aardvark (mother)" in page and "Dora Cheetah" not in page
    response = office.post(
        url("return", confiscation), {"return-returned_to": "contact", "return-contact_link": str(other_link.pk)}
    )
    assert response.status_code == 400 and "Select a valid choice" in response.content.decode()
    with pytest.raises(ValidationError, match="Choose one of the pupil's own parents or carers"):
        services.confiscation_return(
            confiscation=confiscation, actor=cast.a.users["office"], returned_to="contact", contact_link=other_link
        )
    response = office.post(url("return", confiscation), {"return-returned_to": "contact"})
    assert response.status_code == 400 and "Choose the parent or carer the device was given to." in response.content.decode()
    confiscation.refresh_from_db()
    assert confiscation.status == Status.HELD

    link = PupilContact.objects.get(contact=cast.a.parent)
    response = office.post(url("return", confiscation), {"return-returned_to": "contact", "return-contact_link": str(link.pk)})
    assert response.status_code == 302
    confiscation.refresh_from_db()
    assert confiscation.status == Status.RETURNED and confiscation.closed_at is not None
    returned = chain(confiscation)[-1]
    assert returned.kind == Kind.RETURNED and returned.contact == cast.a.parent and returned.recorded_by == cast.a.users["office"]


def test_a_found_device_goes_back_to_whoever_the_note_names(cast, login):
    found = record(cast, cast.a.users["office"], pupil=None)
    office = login(cast.a.users["office"])
    response = office.post(url("return", found), {"return-returned_to": "pupil"})
    assert response.status_code == 400 and "This field is required." in response.content.decode()
    office.post(url("return", found), {"return-returned_to": "pupil", "return-note": "Claimed by Dan Dingo, 8B"})
    found.refresh_from_db()
    assert found.status == Status.RETURNED
    assert chain(found)[-1].note == "Claimed by Dan Dingo, 8B"
    assert "Given back to: its owner" in office.get(url("detail", found)).content.decode()


def test_a_device_with_the_police_is_not_returned_nor_moved(cast, login):
    confiscation = cast.a.confiscation
    services.confiscation_to_police(confiscation=confiscation, actor=cast.a.users["dsl"], officer="PC Jones")
    office = login(cast.a.users["office"])
    response = office.post(url("move", confiscation), {"move-stored_at": "Safe"})
    assert response.status_code == 400
    assert "CF-00001 is with the police: record it back from the police before moving it." in response.content.decode()
    with pytest.raises(ValidationError, match="record it back from the police before returning it"):
        services.confiscation_return(confiscation=confiscation, actor=cast.a.users["office"], returned_to="pupil")
    assert [e.kind for e in chain(confiscation)] == [Kind.TAKEN, Kind.TO_POLICE]


def test_the_search_needs_a_witness_other_than_the_searcher(cast, login):
    data = {
        "search-searched_by": str(head_staff(cast).pk),
        "search-consent_from": "Alice",
        "search-witnessed_by": str(head_staff(cast).pk),
        "search-found": "Nothing of concern",
    }
    response = login(cast.a.users["dsl"]).post(url("search", cast.a.confiscation), data)
    assert response.status_code == 400
    page = response.content.decode()
    assert "The witness must be someone other than the person who searched the device." in page
    assert "Do not view, copy, forward or upload any images" in page
    assert [e.kind for e in chain(cast.a.confiscation)] == [Kind.TAKEN]


def test_the_search_form_warns_never_to_view_copy_or_send_images(cast, login):
    page = login(cast.a.users["dsl"]).get(url("detail", cast.a.confiscation)).content.decode()
    search = page.split("<summary>Searched</summary>")[1].split("</details>")[0]
    assert "Do not view, copy, forward or upload any images" in search
    assert "flag it as evidence and hand it to the police" in search


def test_a_closed_device_takes_no_more_steps(cast, login):
    confiscation = cast.a.confiscation
    returned_at = tomorrow_at(15, 40)
    with time_machine.travel(returned_at, tick=False):
        services.confiscation_return(confiscation=confiscation, actor=cast.a.users["office"], returned_to="pupil")
    response = login(cast.a.users["head"]).post(url("move", confiscation), {"move-stored_at": "Safe"}, follow=True)
    page = response.content.decode()
    expected = f"CF-00001 was already returned to the pupil by Office A at {when_words(returned_at)}: nothing was recorded."
    assert expected in page
    response = login(cast.a.users["teacher"]).post(url("note", confiscation), {"note-note": "Late note"}, follow=True)
    assert "was already returned to the pupil by Office A" in response.content.decode()
    with pytest.raises(AlreadyDone):
        services.confiscation_flag(confiscation=confiscation, actor=cast.a.users["dsl"], note="Too late")
    assert [e.kind for e in chain(confiscation)] == [Kind.TAKEN, Kind.RETURNED]


def test_custody_entries_can_never_be_changed_or_deleted(cast):
    entry = chain(cast.a.confiscation)[0]
    with pytest.raises(PermissionError):
        CustodyEntry.objects.filter(pk=entry.pk).update(stored_at="Somewhere else")
    with pytest.raises(PermissionError):
        CustodyEntry.objects.filter(pk=entry.pk).delete()
    entry.stored_at = "Somewhere else"
    with pytest.raises(PermissionError):
        entry.save()
    with pytest.raises(PermissionError):
        entry.delete()
    assert CustodyEntry.objects.get(pk=entry.pk).stored_at == "School office"
    # No page changes or deletes an entry: every URL of the area adds to the chain or reads it.
    devices_urls = get_resolver().namespace_dict["devices"][1].reverse_dict
    custody_names = {name for name in devices_urls if isinstance(name, str) and name.startswith("confiscation")}
    assert custody_names == {
        "confiscation_list",
        "confiscation_new",
        "confiscation_detail",
        "confiscation_move",
        "confiscation_search",
        "confiscation_to_police",
        "confiscation_back_from_police",
        "confiscation_flag",
        "confiscation_lift_flag",
        "confiscation_return",
        "confiscation_dispose",
        "confiscation_note",
    }


def test_the_second_of_two_returning_the_same_device_is_told(cast, login):
    confiscation = cast.a.confiscation
    link = PupilContact.objects.get(contact=cast.a.parent)
    with time_machine.travel(tomorrow_at(15, 35), tick=False):
        login(cast.a.users["office"]).post(
            url("return", confiscation), {"return-returned_to": "contact", "return-contact_link": str(link.pk)}
        )
        response = login(cast.a.users["head"]).post(url("return", confiscation), {"return-returned_to": "pupil"}, follow=True)
    # The same day: the time alone.
    assert (
        "CF-00001 was already returned to Parent Aardvark by Office A at 15:35: nothing was recorded."
        in response.content.decode()
    )
    assert [e.kind for e in chain(confiscation)] == [Kind.TAKEN, Kind.RETURNED]
    assert confiscation.history.count() == 2  # recorded, returned: nothing from the second


def test_two_returning_at_the_same_moment_one_wins_and_the_other_is_told(transactional_db, cast):
    confiscation = cast.a.confiscation
    returners = [cast.a.users["office"], cast.a.users["head"]]
    outcomes = []
    if connection.vendor == "postgresql":
        # Two connections at once: the row lock makes the second wait for the first, then read its return.
        start = threading.Barrier(2)

        def run(user):
            try:
                with scope(school=cast.a.school):
                    start.wait()
                    services.confiscation_return(confiscation=confiscation, actor=user, returned_to="pupil")
                outcomes.append(("returned", user))
            except AlreadyDone as error:
                outcomes.append(("told", error.messages[0]))
            finally:
                connection.close()

        threads = [threading.Thread(target=run, args=[user]) for user in returners]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(timeout=30)
    else:
        # SQLite takes one writer at a time: the second comes after, with the device as it read it before.
        stale = Confiscation.objects.get(pk=confiscation.pk)
        for user in returners:
            try:
                services.confiscation_return(confiscation=stale, actor=user, returned_to="pupil")
                outcomes.append(("returned", user))
            except AlreadyDone as error:
                outcomes.append(("told", error.messages[0]))
    assert sorted(kind for kind, _ in outcomes) == ["returned", "told"]
    winner = next(who for kind, who in outcomes if kind == "returned")
    told = next(words for kind, words in outcomes if kind == "told")
    assert told.startswith(f"CF-00001 was already returned to the pupil by {winner} at ")
    with scope(school=cast.a.school):
        assert [e.kind for e in chain(confiscation)] == [Kind.TAKEN, Kind.RETURNED]
        assert chain(confiscation)[-1].recorded_by == winner


def test_a_disposal_says_how_and_why_and_closes_the_record(cast, login):
    confiscation = record(cast, cast.a.users["office"], pupil=None)
    login(cast.a.users["head"]).post(url("dispose", confiscation), {"dispose-how": "Recycled by IT", "dispose-why": "Unclaimed"})
    confiscation.refresh_from_db()
    assert confiscation.status == Status.DISPOSED and confiscation.closed_at is not None
    disposed = chain(confiscation)[-1]
    assert disposed.kind == Kind.DISPOSED and disposed.note == "How: Recycled by IT\nWhy: Unclaimed"


# --- Who sees what ------------------------------------------------------------------------------------------------------


def test_a_teacher_sees_the_devices_they_took_and_the_office_sees_all(cast, login):
    theirs = record(cast, cast.a.users["lead"], description="Grey laptop")
    teacher = login(cast.a.users["teacher"])
    page = teacher.get(LIST).content.decode()
    assert "CF-00001" in page and theirs.reference not in page
    assert "The devices you have taken or found" in page
    assert teacher.get(url("detail", theirs)).status_code == 404
    assert teacher.post(url("note", theirs), {"note-note": "Hello"}).status_code == 404
    page = login(cast.a.users["office"]).get(LIST).content.decode()
    assert "CF-00001" in page and theirs.reference in page and "Lead A" in page


def test_another_schools_device_does_not_exist(cast, login):
    with scope(school=cast.b.school):
        theirs = Confiscation.objects.get(school=cast.b.school)
    office = login(cast.a.users["office"])
    assert office.get(url("detail", theirs)).status_code == 404
    assert office.post(url("move", theirs), {"move-stored_at": "Safe"}).status_code == 404
    assert "Badger" not in office.get(LIST).content.decode()
    page = login(cast.b.users["office"]).get(LIST).content.decode()
    assert "Bob Badger" in page and "Aardvark" not in page


def test_the_list_puts_held_devices_first_and_finds_by_reference_or_pupil(cast, login):
    returned = record(cast, cast.a.users["teacher"], hours_ago=0)
    services.confiscation_return(confiscation=returned, actor=cast.a.users["office"], returned_to="pupil")
    bob = f.make_pupil(cast.a.school, "Bobby", "Zebra", form=cast.a.form, mis_id="a009")
    zebra = record(cast, cast.a.users["teacher"], pupil=bob, hours_ago=3)
    office = login(cast.a.users["office"])
    page = office.get(LIST).content.decode()
    assert page.index("CF-00001") < page.index(zebra.reference) < page.index(returned.reference)
    page = office.get(LIST, {"q": "cf-3"}).content.decode()
    assert zebra.reference in page and "CF-00001" not in page
    page = office.get(LIST, {"q": "bobby zeb"}).content.decode()
    assert zebra.reference in page and "CF-00001" not in page
    page = office.get(LIST, {"status": "returned"}).content.decode()
    assert returned.reference in page and zebra.reference not in page
    assert office.get(LIST, {"status": "lost"}).status_code == 400


def test_each_view_of_a_device_is_in_the_access_log(cast, login):
    confiscation = cast.a.confiscation
    login(cast.a.users["office"]).get(url("detail", confiscation))
    login(cast.a.users["teacher"]).get(url("detail", confiscation))
    entries = AccessLogEntry.objects.filter(
        content_type=ContentType.objects.get_for_model(Confiscation), object_id=str(confiscation.pk)
    ).order_by("pk")
    assert [(e.actor, e.kind, e.summary) for e in entries] == [
        (cast.a.users["office"], AccessLogEntry.Kind.VIEW, "Viewed confiscated device CF-00001"),
        (cast.a.users["teacher"], AccessLogEntry.Kind.VIEW, "Viewed confiscated device CF-00001"),
    ]
    # The DSL, who may see the device, reads the entries in the school's access log.
    page = login(cast.a.users["dsl"]).get(reverse("access_log")).content.decode()
    assert page.count("Viewed confiscated device CF-00001") == 2


def test_the_history_panel_names_who_did_each_step(cast, login):
    confiscation = cast.a.confiscation
    services.confiscation_move(confiscation=confiscation, actor=cast.a.users["office"], stored_at="Office safe")
    page = login(cast.a.users["office"]).get(url("detail", confiscation)).content.decode()
    history = page.split('class="card mt-4 history-panel"')[1]
    assert "<strong>Changed</strong> by Office A" in history and "(Moved)" in history
    assert "Where it is kept: School office → Office safe" in history


def test_the_pupils_page_lists_their_devices_for_those_who_hold_them(cast, login):
    pupil_page = reverse("pupil_detail", args=[cast.a.pupil.pk])
    page = login(cast.a.users["office"]).get(pupil_page).content.decode()
    section = page.split('id="pupil-confiscations-heading"')[1].split("</section>")[0]
    assert "CF-00001" in section and "Mobile phone" in section and "Held by the school" in section
    assert "pupil-confiscations-heading" not in login(cast.a.users["teacher"]).get(pupil_page).content.decode()
    page = login(cast.a.users["office"]).get(reverse("pupil_detail", args=[cast.a.leaver.pk])).content.decode()
    assert "No devices have been taken from Left LeaverA." in page
