"""
A confiscated phone in the browser, from one person to the next: a teacher opens the incident they logged and
records, from it in one step, the phone they took from the pupil; the office, told of it, finds it on the home page,
records it moved to the safe and, at the end of the day, gives it back to the pupil's mother, named from the
pupil's contacts. Every page on the way passes axe-core and fits a phone (tests/e2e/conftest.py measures each page
at 375 px).
"""

import pytest
from django.urls import reverse
from playwright.sync_api import expect

from devices.models import Confiscation, CustodyEntry
from tests.e2e.conftest import assert_accessible, log_in

Kind = CustodyEntry.Kind


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_a_phone_taken_in_an_incident_is_held_by_the_office_and_returned_to_a_parent(cast, live_server, new_context):
    incident = cast.a.incident

    # The teacher opens the incident they logged, and records the phone from it.
    teacher = new_context().new_page()
    log_in(teacher, live_server, cast.a.users["teacher"])
    teacher.goto(f"{live_server.url}{reverse('incidents:incident_detail', args=[incident.pk])}")
    expect(teacher.get_by_role("heading", level=1)).to_contain_text(incident.reference)
    devices = teacher.locator("section#confiscations")
    expect(devices).to_contain_text("You have recorded no devices from this incident.")
    assert_accessible(teacher)
    devices.get_by_role("link", name="Record a confiscated device").click()
    expect(teacher.get_by_role("heading", level=1)).to_have_text("Record a confiscated device")
    expect(teacher.get_by_text(f"It will be linked to incident {incident.reference}.")).to_be_visible()
    expect(teacher.get_by_label("Pupil", exact=True)).to_have_value(str(cast.a.pupil.pk))
    expect(teacher.get_by_label("Why")).to_have_value(f"Incident {incident.reference}: {incident.category}.")
    assert_accessible(teacher)
    teacher.get_by_label("What kind of device").select_option(label="Mobile phone")
    teacher.get_by_label("Description").fill("Black phone, cracked screen, red case")
    teacher.get_by_label("Where it is kept now").fill("School office, confiscation tray")
    teacher.get_by_role("button", name="Record the device").click()
    expect(teacher.get_by_role("heading", level=1)).to_have_text("Confiscated device CF-00002")
    expect(teacher.get_by_role("status").first).to_contain_text("CF-00002 has been recorded")
    expect(teacher.get_by_role("link", name=incident.reference)).to_be_visible()
    assert_accessible(teacher)
    confiscation = Confiscation.objects.get(school=cast.a.school, number=2)
    assert confiscation.incident == incident and confiscation.pupil == cast.a.pupil

    # The office: the home page counts the devices held; the register leads to the new one.
    office = new_context().new_page()
    log_in(office, live_server, cast.a.users["office"])
    held = office.locator("section", has=office.get_by_role("heading", name="Confiscated devices"))
    expect(held).to_contain_text("2 devices are held by the school.")
    assert_accessible(office)
    held.get_by_role("link", name="See them").click()
    expect(office.get_by_role("heading", level=1)).to_have_text("Confiscated devices")
    assert_accessible(office)
    office.get_by_role("link", name="CF-00002").click()
    expect(office.get_by_role("heading", level=1)).to_have_text("Confiscated device CF-00002")
    # The incident is the teacher's: the office, who may not open it, is not shown it.
    expect(office.get_by_role("link", name=incident.reference)).to_have_count(0)
    assert_accessible(office)

    # Moved to the safe.
    office.get_by_text("Moved somewhere else").click()
    office.get_by_label("Where it is kept now").fill("Office safe")
    office.get_by_role("button", name="Record the move").click()
    expect(office.get_by_role("status").first).to_contain_text("CF-00002: the new place is recorded.")
    expect(office.locator("#custody-chain")).to_contain_text("Kept at: Office safe")
    assert_accessible(office)

    # Given back to the pupil's mother, chosen from the pupil's contacts.
    office.get_by_text("Returned", exact=True).click()
    office.get_by_label("A parent or carer of the pupil").check()
    office.get_by_label("Which parent or carer").select_option(label="Parent Aardvark (mother)")
    office.get_by_role("button", name="Record the return").click()
    expect(office.get_by_role("status").first).to_contain_text("CF-00002: recorded as returned.")
    expect(office.locator("#custody-chain")).to_contain_text("Given back to: Parent Aardvark, parent or carer")
    expect(office.get_by_role("heading", name="Record what happens next")).to_have_count(0)
    assert_accessible(office)

    confiscation.refresh_from_db()
    assert confiscation.status == Confiscation.Status.RETURNED and confiscation.stored_at == "Office safe"
    entries = list(CustodyEntry.objects.filter(confiscation=confiscation).order_by("at", "pk"))
    assert [e.kind for e in entries] == [Kind.TAKEN, Kind.STORED, Kind.RETURNED]
    assert [e.recorded_by for e in entries] == [cast.a.users["teacher"], cast.a.users["office"], cast.a.users["office"]]
    assert entries[-1].contact == cast.a.parent
