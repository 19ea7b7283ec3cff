"""
Confiscated devices on the home page and in the register: devices held longer than the school's limit, counted in
school days from its term dates; and the register, the device's page, the home panel and the pupil's section each
run the same queries however many devices and custody entries there are.
"""

from datetime import datetime, timedelta

import pytest
import time_machine
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from devices.models import Confiscation, DeviceSettings
from devices.services import custody as services
from tests import factories as f

pytestmark = pytest.mark.django_db

LIST = reverse("devices:confiscation_list")
HOME = reverse("home")
# A week of the spring term of 2027 in the usual term dates (esafety.terms.calendar.default_year).
FRIDAY = datetime(2027, 1, 15, 10, 0, tzinfo=timezone.get_current_timezone())
MONDAY, TUESDAY = FRIDAY + timedelta(days=3), FRIDAY + timedelta(days=4)


def detail(confiscation):
    return reverse("devices:confiscation_detail", args=[confiscation.pk])


def record(cast, actor, *, pupil=None, taken_at=None, **extra):
    return services.confiscation_record(
        school=cast.a.school,
        actor=actor,
        kind=Confiscation.Kind.PHONE,
        description="Blue phone",
        pupil=pupil,
        taken_at=taken_at or timezone.now(),
        reason="On it in a lesson",
        stored_at="School office",
        **extra,
    )


def panel(page):
    return page.split('id="panel-confiscations"')[1].split("</section>")[0]


def queries(client, url) -> int:
    with CaptureQueriesContext(connection) as captured:
        assert client.get(url).status_code == 200
    return len(captured)


def test_a_phone_taken_on_friday_is_held_too_long_on_tuesday_not_monday(cast, login):
    # The cast's device goes home, so that the panel counts this one alone.
    services.confiscation_return(confiscation=cast.a.confiscation, actor=cast.a.users["office"], returned_to="pupil")
    with time_machine.travel(FRIDAY, tick=False):
        phone = record(cast, cast.a.users["teacher"], pupil=cast.a.pupil)
    with time_machine.travel(MONDAY, tick=False):
        page = login(cast.a.users["office"]).get(HOME).content.decode()
        assert "1 device is held by the school." in panel(page)
        assert "held longer" not in panel(page)
        assert phone.reference not in login(cast.a.users["office"]).get(LIST, {"too_long": "on"}).content.decode()
    with time_machine.travel(TUESDAY, tick=False):
        office = login(cast.a.users["office"])
        page = office.get(HOME).content.decode()
        assert "1 device is held by the school." in panel(page)
        assert "1 has been held longer than 1 school day." in panel(page)
        assert f'href="{LIST}?too_long=on"' in panel(page)
        register = office.get(LIST, {"too_long": "on"}).content.decode()
        assert phone.reference in register and "Held longer than 1 school day" in register
        assert "Held longer than 1 school day" in office.get(detail(phone)).content.decode()
        # With a limit of two school days, Tuesday is still within it.
        DeviceSettings.objects.filter(school=cast.a.school).update(confiscation_limit_days=2)
        page = office.get(HOME).content.decode()
        assert "held longer" not in panel(page)
        assert phone.reference not in office.get(LIST, {"too_long": "on"}).content.decode()


def test_devices_returned_or_with_the_police_are_not_held_too_long(cast, login):
    with time_machine.travel(FRIDAY, tick=False):
        with_police = record(cast, cast.a.users["teacher"], pupil=cast.a.pupil)
        services.confiscation_to_police(confiscation=with_police, actor=cast.a.users["dsl"], officer="PC Jones")
    with time_machine.travel(TUESDAY, tick=False):
        page = login(cast.a.users["office"]).get(HOME).content.decode()
        # The cast's device, taken in November 2026, is the one held too long; the one with the police is not held.
        assert "1 device is held by the school." in panel(page)
        assert "1 has been held longer than 1 school day." in panel(page)


def test_the_dsl_sees_the_devices_held_as_evidence_and_a_teacher_no_panel(cast, login):
    record(cast, cast.a.users["teacher"], pupil=cast.a.pupil, is_evidence=True)
    page = login(cast.a.users["dsl"]).get(HOME).content.decode()
    assert "2 devices are held by the school." in panel(page)
    assert "1 device held is flagged as evidence." in panel(page)
    office_panel = panel(login(cast.a.users["office"]).get(HOME).content.decode())
    assert "flagged as evidence" not in office_panel
    for role in ("teacher", "it", "governor"):
        assert 'id="panel-confiscations"' not in login(cast.a.users[role]).get(HOME).content.decode()


def test_another_schools_devices_are_not_counted(cast, login):
    page = login(cast.b.users["office"]).get(HOME).content.decode()
    assert "1 device is held by the school." in panel(page)
    record(cast, cast.a.users["teacher"], pupil=cast.a.pupil)
    page = login(cast.b.users["office"]).get(HOME).content.decode()
    assert "1 device is held by the school." in panel(page)


def _more_devices(cast, n):
    """More devices of every kind of story: taken and found, moved, searched, with the police, returned."""
    head = f.make_staff(cast.a.school, "Head", "Searcher", mis_id=f"HS{n}")
    for i in range(n):
        pupil = f.make_pupil(cast.a.school, f"More{i}", f"Pupil{n}", form=cast.a.form, mis_id=f"more{n}-{i}")
        f.make_parent(pupil, "Parent", f"More{i}", mis_id=f"PM{n}-{i}")
        actor = cast.a.users["teacher"] if i % 2 else cast.a.users["lead"]
        device = record(cast, actor, pupil=pupil if i % 3 else None, taken_at=timezone.now() - timedelta(days=i))
        services.confiscation_move(confiscation=device, actor=cast.a.users["office"], stored_at=f"Drawer {i}")
        if i % 4 == 1:
            services.confiscation_to_police(confiscation=device, actor=cast.a.users["dsl"], officer="PC Jones")
        elif i % 4 == 2:
            services.confiscation_return(
                confiscation=device, actor=cast.a.users["office"], returned_to="pupil", note="Given back"
            )
        elif i % 4 == 3:
            services.confiscation_search(
                confiscation=device,
                actor=cast.a.users["dsl"],
                searched_by=head,
                consent_from="The pupil",
                witnessed_by=cast.a.staff_member,
                found="Nothing",
            )


@pytest.mark.parametrize("role", ["office", "teacher", "dsl"])
def test_the_register_runs_the_same_queries_however_many_devices(cast, login, role, django_assert_num_queries):
    client = login(cast.a.users[role])
    queries(client, LIST)  # content types and the like, read once
    few = queries(client, LIST)
    _more_devices(cast, 12)
    with django_assert_num_queries(few):
        page = client.get(LIST).content.decode()
    assert "More1 Pupil12" in page


@pytest.mark.parametrize("role", ["office", "dsl", "teacher"])
def test_the_device_page_runs_the_same_queries_however_long_its_chain(cast, login, role, django_assert_num_queries):
    confiscation = cast.a.confiscation
    head = f.make_staff(cast.a.school, "Head", "Searcher", mis_id="HS")
    client = login(cast.a.users[role])
    queries(client, detail(confiscation))
    few = queries(client, detail(confiscation))
    for i in range(6):
        services.confiscation_move(confiscation=confiscation, actor=cast.a.users["office"], stored_at=f"Drawer {i}")
        services.confiscation_add_note(confiscation=confiscation, actor=cast.a.users["teacher"], note=f"Note {i}")
        services.confiscation_search(
            confiscation=confiscation,
            actor=cast.a.users["dsl"],
            searched_by=head,
            consent_from="Alice",
            witnessed_by=cast.a.staff_member,
            found=f"Finding {i}",
        )
    f.make_parent(cast.a.pupil, "Another", "Carer", mis_id="AC1", relationship="carer")
    with django_assert_num_queries(few):
        page = client.get(detail(confiscation)).content.decode()
    assert "Drawer 5" in page and "Note 5" in page


@pytest.mark.parametrize(("role", "url"), [("office", "home"), ("dsl", "home"), ("office", "pupil")])
def test_the_home_panel_and_the_pupil_section_run_the_same_queries_however_many_devices(cast, login, role, url):
    target = HOME if url == "home" else reverse("pupil_detail", args=[cast.a.pupil.pk])
    client = login(cast.a.users[role])
    queries(client, target)
    few = queries(client, target)
    _more_devices(cast, 12)
    for _ in range(12):
        record(cast, cast.a.users["teacher"], pupil=cast.a.pupil, taken_at=timezone.now() - timedelta(days=3))
    assert queries(client, target) == few
