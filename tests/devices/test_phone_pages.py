"""
The phone register beyond its own pages: the home page's panels (a tutor's register today, the office's phones
not collected, the reviews due for those who manage exceptions) and the section of a pupil's page; each costs a
fixed number of queries.
"""

from datetime import date, timedelta

import pytest
from django.db import connection
from django.test import RequestFactory
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from devices.home import phones as panels
from devices.models import PhoneException, PhoneRecord
from esafety.access import school_access_for
from tests import factories as f
from tests.devices.test_phone_register import SATURDAY, TUESDAY, WEDNESDAY, at, later

pytestmark = pytest.mark.django_db

Status = PhoneRecord.Status
HOME = reverse("home")


def record(cast, pupil, day, status=Status.HANDED_IN, *, storage="", collected=False):
    return PhoneRecord.objects.create(
        school=cast.a.school,
        pupil=pupil,
        day=day,
        form=pupil.form,
        status=status,
        storage=storage,
        recorded_by=cast.a.users["teacher"],
        recorded_at=at(day, 8, 40),
        collected_at=at(day, 15, 20) if collected else None,
        collected_by=cast.a.users["teacher"] if collected else None,
    )


def panel_text(response, heading: str) -> str:
    text = response.content.decode()
    start = text.index(f">{heading}</h3>")
    return text[start : text.index("</section>", start)]


def test_the_tutor_sees_today_s_register_of_their_form(cast, login, time_machine):
    teacher = cast.a.users["teacher"]
    client = login(teacher)
    later(time_machine, client, teacher, at(WEDNESDAY, 8, 20))
    assert "morning register not done" in panel_text(client.get(HOME), "Phone register")
    ben = f.make_pupil(cast.a.school, "Ben", "Birch", form=cast.a.form, mis_id="hp1")
    record(cast, ben, WEDNESDAY, storage="B1")
    record(cast, cast.a.pupil, WEDNESDAY, Status.KEEPS)
    panel = panel_text(client.get(HOME), "Phone register")
    assert "morning done (1 phone handed in); <strong>1 still to hand back</strong>" in panel
    PhoneRecord.objects.filter(pupil=ben).update(collected_at=at(WEDNESDAY, 15), collected_by=teacher)
    assert "all handed back" in panel_text(client.get(HOME), "Phone register")

    later(time_machine, client, teacher, at(SATURDAY, 9))
    assert "No phone register today: it is not a school day (weekend)." in panel_text(client.get(HOME), "Phone register")
    # A member of staff who tutors no form on the register has no panel.
    assert "Phone register</h3>" not in login(cast.a.users["it"]).get(HOME).content.decode()


def test_the_office_sees_the_phones_not_collected_once_the_day_has_ended(cast, login, time_machine):
    office = cast.a.users["office"]
    client = login(office)
    ben = f.make_pupil(cast.a.school, "Ben", "Birch", form=cast.a.form, mis_id="hp2")
    record(cast, ben, TUESDAY, storage="B1")
    record(cast, cast.a.pupil, WEDNESDAY, storage="A1")
    later(time_machine, client, office, at(WEDNESDAY, 15))
    assert "1 phone handed in has not been collected." in panel_text(client.get(HOME), "Phones not collected")
    later(time_machine, client, office, at(WEDNESDAY, 15, 35))
    assert "2 phones handed in have not been collected." in panel_text(client.get(HOME), "Phones not collected")
    assert "Phones not collected</h3>" not in login(cast.a.users["teacher"]).get(HOME).content.decode()


def test_those_who_manage_exceptions_see_the_reviews_due(cast, login, time_machine):
    dsl = cast.a.users["dsl"]
    client = login(dsl)
    later(time_machine, client, dsl, at(WEDNESDAY, 9))
    assert "No reviews of phone exceptions are due this week." in panel_text(client.get(HOME), "Phone exceptions")
    PhoneException.objects.filter(pk=cast.a.phone_exception.pk).update(review_on=date(2026, 11, 20))
    ben = f.make_pupil(cast.a.school, "Ben", "Birch", form=cast.a.form, mis_id="hp3")
    PhoneException.objects.create(
        school=cast.a.school,
        pupil=ben,
        reason=PhoneException.Reason.MEDICAL,
        detail="Asthma",
        agreed_by=cast.a.staff_member,
        starts_on=date(2026, 9, 1),
        review_on=date(2026, 11, 30),
        created_by=dsl,
    )
    panel = panel_text(client.get(HOME), "Phone exceptions")
    assert "1 review overdue." in panel and "1 review due within a week." in panel
    assert "Phone exceptions</h3>" not in login(cast.a.users["teacher"]).get(HOME).content.decode()


def test_a_pupil_s_page_shows_their_last_ten_register_days(cast, login, time_machine):
    client = login(cast.a.users["teacher"])
    later(time_machine, client, cast.a.users["teacher"], at(WEDNESDAY, 9))
    days = [WEDNESDAY - timedelta(days=n) for n in range(0, 16) if (WEDNESDAY - timedelta(days=n)).weekday() < 5]
    for day in days[1:]:
        record(cast, cast.a.pupil, day, storage="A7", collected=day != TUESDAY)
    record(cast, cast.a.pupil, WEDNESDAY, Status.KEEPS)
    page = client.get(reverse("pupil_detail", args=[cast.a.pupil.pk])).content.decode()
    section = page[page.index('id="phones-heading"') : page.index("</section>", page.index('id="phones-heading"'))]
    assert "Keeps their phone: young carer" in section
    assert section.count("<tr>") == 11  # the header and ten days
    assert "Wed 25 Nov 2026" in section and "Keeps their phone (exception)" in section
    assert "Still held" in section  # Tuesday's
    assert days[10].strftime("%-d %b %Y") not in section  # the eleventh day back is not shown
    # The trust's central team see pupils, but keep no register.
    trust = login(cast.a.users["trust"]).get(reverse("pupil_detail", args=[cast.a.pupil.pk])).content.decode()
    assert 'id="phones-heading"' not in trust


def _queries(func, *args) -> int:
    with CaptureQueriesContext(connection) as queries:
        func(*args)
    return len(queries)


def test_each_panel_and_the_pupil_section_run_a_fixed_number_of_queries(cast, time_machine):
    time_machine.move_to(at(WEDNESDAY, 16), tick=False)

    def request_of(label):
        request = RequestFactory().get(HOME)
        request.user = cast.a.users[label]
        request.access = school_access_for(request.user, cast.a.school.pk)
        return request

    teacher, office, dsl = request_of("teacher"), request_of("office"), request_of("dsl")

    def measure():
        return (
            _queries(panels.phone_register_today, teacher),
            _queries(panels.phones_not_collected, office),
            _queries(panels.phone_exception_reviews, dsl),
            _queries(panels.pupil_phone_days, dsl, cast.a.pupil),
            _queries(panels.phone_register_today, office),
        )

    small = measure()
    for i in range(20):
        pupil = f.make_pupil(cast.a.school, f"Many{i}", "Pupil", form=cast.a.form, mis_id=f"hq{i}")
        for n in range(1, 15):
            record(cast, pupil, WEDNESDAY - timedelta(days=n), collected=n % 2 == 0)
        record(cast, cast.a.pupil, WEDNESDAY - timedelta(days=i + 1)) if i < 14 else None
    large = measure()
    assert small == large
    # The tutor's: their forms, the calendar (2), the day's counts; the office's: the settings and the count; the
    # managers': one count; the pupil's section: their days and their exception; anyone who tutors no form: one.
    assert large == (4, 2, 1, 2, 1)
