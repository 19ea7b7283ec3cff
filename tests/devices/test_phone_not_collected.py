"""
Phones not collected: the list of phones handed in and not handed back (today's once the school's day has ended,
and any kept overnight until someone hands them back), and the end-of-day notice to the office and the tutors,
sent once a school day after the end of the day.
"""

from datetime import time, timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from devices.models import DeviceSettings, PhoneRecord
from devices.services.phones import phones_not_collected_notify
from esafety.models import Notification
from esafety.scoping import scope
from policies.services.policies import policy_acknowledge
from tests import factories as f
from tests.devices.test_phone_register import SATURDAY, TUESDAY, WEDNESDAY, at, later

pytestmark = pytest.mark.django_db

Status = PhoneRecord.Status
LIST = reverse("devices:phone_not_collected")


def handed_in(cast, pupil, day, *, form=None, storage="", school=None):
    form = form or pupil.form
    return PhoneRecord.objects.create(
        school=school or cast.a.school,
        pupil=pupil,
        day=day,
        form=form,
        status=Status.HANDED_IN,
        storage=storage,
        recorded_by=cast.a.users["teacher"] if school is None else cast.b.users["teacher"],
        recorded_at=at(day, 8, 40),
    )


@pytest.fixture
def phones(cast):
    """Ben (7A) handed his in on Tuesday and Wednesday; Eve, of 8E (another tutor), on Wednesday; Cara's went home."""
    school = cast.a.school
    year8 = f.make_year_group(school, 8)
    DeviceSettings.objects.get(school=school).register_year_groups.add(year8)
    other_tutor = f.make_staff(school, "Other", "Tutor", mis_id="OT1", user=cast.a.users["lead"])
    # Read already, so that the lead's pages are not the policies to read (policies.middleware).
    policy_acknowledge(version=cast.a.policy_version, staff_member=other_tutor, actor=cast.a.users["lead"])
    form8 = f.make_form(school, "8E", year8, tutor=other_tutor)
    ben = f.make_pupil(school, "Ben", "Birch", form=cast.a.form, mis_id="nc1")
    cara = f.make_pupil(school, "Cara", "Cole", form=cast.a.form, mis_id="nc2")
    eve = f.make_pupil(school, "Eve", "Elm", form=form8, mis_id="nc3")
    records = {
        "ben_tuesday": handed_in(cast, ben, TUESDAY, storage="B1"),
        "ben": handed_in(cast, ben, WEDNESDAY, storage="B2"),
        "eve": handed_in(cast, eve, WEDNESDAY, storage="E1"),
        "cara": handed_in(cast, cara, WEDNESDAY, storage="C1"),
    }
    records["cara"].collected_at = at(WEDNESDAY, 15, 10)
    records["cara"].collected_by = cast.a.users["teacher"]
    records["cara"].save()
    return records


def listed(client) -> list[tuple[str, str]]:
    page = client.get(LIST).context["page"]
    return [(r.pupil.first_name, r.day.isoformat()) for r in page.object_list]


def test_today_s_phones_are_listed_once_the_day_has_ended_and_one_kept_overnight_until_collected(
    cast, login, time_machine, phones
):
    office = cast.a.users["office"]
    client = login(office)
    later(time_machine, client, office, at(WEDNESDAY, 15, 29))
    # Before the end of the day: only the phone kept overnight from Tuesday.
    assert listed(client) == [("Ben", "2026-11-24")]
    page = client.get(LIST).content.decode()
    assert "Kept overnight" in page and "B1" in page

    later(time_machine, client, office, at(WEDNESDAY, 15, 30))
    assert listed(client) == [("Ben", "2026-11-24"), ("Ben", "2026-11-25"), ("Eve", "2026-11-25")]
    # One form's.
    form8 = phones["eve"].form
    assert [r.pupil.first_name for r in client.get(f"{LIST}?form={form8.pk}").context["page"].object_list] == ["Eve"]

    # The next morning, Wednesday's phones are still listed until someone hands them back.
    later(time_machine, client, office, at(WEDNESDAY + timedelta(days=1), 8, 30))
    assert listed(client) == [("Ben", "2026-11-24"), ("Ben", "2026-11-25"), ("Eve", "2026-11-25")]
    response = client.post(
        reverse("devices:phone_mark_collected", args=[phones["ben_tuesday"].pk]), {"back": f"form={form8.pk}&page=1&x=1"}
    )
    assert response["Location"] == f"{LIST}?form={form8.pk}&page=1"
    record = PhoneRecord.objects.get(pk=phones["ben_tuesday"].pk)
    assert record.collected_by == office and record.collected_at == at(WEDNESDAY + timedelta(days=1), 8, 30)
    assert record.history.order_by("-history_id").first().history_change_reason == "Handed back"
    assert listed(client) == [("Ben", "2026-11-25"), ("Eve", "2026-11-25")]

    # Handed back twice (two people at once, or a page left open): the second is told who did it.
    again = client.post(reverse("devices:phone_mark_collected", args=[phones["ben_tuesday"].pk]), follow=True)
    assert "Ben Birch&#x27;s phone was already handed back by Office A at 08:30." in again.content.decode()
    assert record.history.count() == 2


def test_another_school_s_phone_is_not_found(cast, login, phones):
    with scope(school=cast.b.school):
        theirs = handed_in(cast, cast.b.pupil, TUESDAY, school=cast.b.school)
    client = login(cast.a.users["office"])
    assert client.post(reverse("devices:phone_mark_collected", args=[theirs.pk])).status_code == 404
    assert "Badger" not in client.get(LIST).content.decode()
    with scope(school=cast.b.school):
        assert PhoneRecord.objects.get(pk=theirs.pk).collected_at is None


def test_the_list_runs_a_fixed_number_of_queries(cast, login, time_machine, phones):
    client = login(cast.a.users["office"])
    later(time_machine, client, cast.a.users["office"], at(WEDNESDAY, 16))

    def count():
        with CaptureQueriesContext(connection) as queries:
            assert client.get(LIST).status_code == 200
        return len(queries)

    count()
    small = count()
    for i in range(40):
        pupil = f.make_pupil(cast.a.school, f"Many{i}", f"Pupil{i:02d}", form=cast.a.form, mis_id=f"many{i}")
        for days_back in range(1, 4):
            handed_in(cast, pupil, WEDNESDAY - timedelta(days=days_back), storage=f"M{i}")
    large = count()
    assert small == large
    # The shell (7), the forms to choose from, the settings, the count and the page.
    assert large <= 7 + 4


# --- The end-of-day notice --------------------------------------------------------------------------------------


def told(user) -> list[str]:
    return list(Notification.objects.filter(recipient=user).order_by("pk").values_list("title", flat=True))


def test_the_office_and_tutors_are_told_once_after_the_end_of_the_day(cast, time_machine, phones):
    school = cast.a.school
    office, teacher, lead = cast.a.users["office"], cast.a.users["teacher"], cast.a.users["lead"]
    before = {u.pk: told(u) for u in (office, teacher, lead)}

    time_machine.move_to(at(WEDNESDAY, 15, 29), tick=False)
    assert phones_not_collected_notify(school=school, now=at(WEDNESDAY, 15, 29)) == 0
    assert DeviceSettings.objects.get(school=school).not_collected_listed_on is None

    time_machine.move_to(at(WEDNESDAY, 15, 45), tick=False)
    assert phones_not_collected_notify(school=school, now=at(WEDNESDAY, 15, 45)) == 3
    assert told(office)[len(before[office.pk]) :] == ["3 phones not collected at the end of the day"]
    # Each tutor hears of their own form's alone: Ben's two phones (7A), Eve's one (8E).
    assert told(teacher)[len(before[teacher.pk]) :] == ["7A: 2 phones not collected at the end of the day"]
    assert told(lead)[len(before[lead.pk]) :] == ["8E: 1 phone not collected at the end of the day"]
    notice = Notification.objects.filter(recipient=lead).latest("pk")
    assert notice.link == f"{LIST}?form={phones['eve'].form_id}"
    assert "Ben" not in notice.title + notice.body
    assert DeviceSettings.objects.get(school=school).not_collected_listed_on == WEDNESDAY

    # Run again the same day: nothing more.
    assert phones_not_collected_notify(school=school, now=at(WEDNESDAY, 17)) == 0
    assert len(told(office)) == len(before[office.pk]) + 1

    # Next day, before the end of it: nothing; after it, Wednesday's phones still held are counted again.
    thursday = WEDNESDAY + timedelta(days=1)
    assert phones_not_collected_notify(school=school, now=at(thursday, 9)) == 0
    PhoneRecord.objects.filter(pk=phones["eve"].pk).update(collected_at=at(thursday, 9), collected_by=office)
    assert phones_not_collected_notify(school=school, now=at(thursday, 15, 31)) == 2
    assert told(office)[-1] == "2 phones not collected at the end of the day"
    assert told(teacher)[-1] == "7A: 2 phones not collected at the end of the day"
    assert len(told(lead)) == len(before[lead.pk]) + 1


def test_nothing_is_sent_on_a_day_the_school_is_closed_or_when_every_phone_is_back(cast, time_machine, phones):
    school = cast.a.school
    time_machine.move_to(at(SATURDAY, 16), tick=False)
    assert phones_not_collected_notify(school=school, now=at(SATURDAY, 16)) == 0
    assert DeviceSettings.objects.get(school=school).not_collected_listed_on is None

    PhoneRecord.objects.filter(pk__in=[r.pk for r in phones.values()]).update(
        collected_at=at(WEDNESDAY, 15), collected_by=cast.a.users["office"]
    )
    count = Notification.objects.count()
    assert phones_not_collected_notify(school=school, now=at(WEDNESDAY, 15, 45)) == 0
    assert Notification.objects.count() == count


def test_the_school_s_own_end_of_the_day_is_used(cast, phones):
    school = cast.a.school
    DeviceSettings.objects.filter(school=school).update(collection_time=time(16, 30))
    assert phones_not_collected_notify(school=school, now=at(WEDNESDAY, 16, 0)) == 0
    assert phones_not_collected_notify(school=school, now=at(WEDNESDAY, 16, 30)) == 3


def test_the_notice_goes_only_to_the_school_s_own_people(cast, phones):
    with scope(school=cast.b.school):
        handed_in(cast, cast.b.pupil, WEDNESDAY, school=cast.b.school)
        assert phones_not_collected_notify(school=cast.b.school, now=at(WEDNESDAY, 15, 45)) == 2
    titles = {n.recipient.email: n.title for n in Notification.objects.filter(title__contains="not collected")}
    assert titles == {
        "office@b.example": "1 phone not collected at the end of the day",
        "teacher@b.example": "7B: 1 phone not collected at the end of the day",
    }
