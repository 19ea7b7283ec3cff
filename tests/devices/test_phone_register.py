"""
The morning's phone register of a form, kept by its tutor on one screen: who handed a phone in (and in which
pouch), who is absent, who keeps their phone under an exception; saved all together or not at all, and again to
correct it. Only on a school day that has come, and only for a form the school put on the register.

The school week of Mon 23 to Fri 27 Nov 2026 is in the autumn term of the default calendar (no term dates are
entered), and Sat 28 Nov a weekend.
"""

from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from django.core.exceptions import ValidationError
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from devices.models import DeviceSettings, PhoneRecord
from devices.services.phones import RegisterRow, phone_register_record
from esafety.models import AcademicYear, SchoolClosure
from esafety.scoping import scope
from tests import factories as f

pytestmark = pytest.mark.django_db

LONDON = ZoneInfo("Europe/London")
Status = PhoneRecord.Status
TUESDAY, WEDNESDAY, SATURDAY = date(2026, 11, 24), date(2026, 11, 25), date(2026, 11, 28)


def at(day: date, hour: int, minute: int = 0) -> datetime:
    return datetime(day.year, day.month, day.day, hour, minute, tzinfo=LONDON)


def register_url(form, day: date | None = None) -> str:
    url = reverse("devices:phone_register", args=[form.pk])
    return f"{url}?day={day.isoformat()}" if day else url


def collect_url(form, day: date | None = None) -> str:
    url = reverse("devices:phone_collect", args=[form.pk])
    return f"{url}?day={day.isoformat()}" if day else url


def form_pupils(cast):
    """Three more pupils in 7A, beside Alice (who keeps her phone): Ben Birch, Cara Cole and Dan Dale."""
    school, form = cast.a.school, cast.a.form
    return {
        "ben": f.make_pupil(school, "Ben", "Birch", form=form, mis_id="ph1"),
        "cara": f.make_pupil(school, "Cara", "Cole", form=form, mis_id="ph2"),
        "dan": f.make_pupil(school, "Dan", "Dale", form=form, mis_id="ph3"),
    }


def rows_of(page) -> list[str]:
    """The pupils' ids in the order of the register's rows, read from the page's hidden fields."""
    return [form["pupil"].value() for form in page.context["formset"].forms]


def register_post(response, changes: dict[str, dict], **extra) -> dict:
    """
    The register form as the page gave it, with the boxes of some pupils changed: `changes` maps a pupil's id to
    {"handed_in": bool, "absent": bool, "storage": str}.
    """
    formset = response.context["formset"]
    data = {
        "pupils-TOTAL_FORMS": str(formset.total_form_count()),
        "pupils-INITIAL_FORMS": str(formset.initial_form_count()),
        "pupils-MIN_NUM_FORMS": "0",
        "pupils-MAX_NUM_FORMS": "300",
        "register-seen": response.context["seen_form"]["seen"].value() or "",
        "save": "1",
    }
    for index, form in enumerate(formset.forms):
        pupil = form["pupil"].value()
        values = {name: form[name].value() for name in ("handed_in", "absent", "storage") if name in form.fields}
        values.update(changes.get(pupil, {}))
        data[f"pupils-{index}-pupil"] = pupil
        for name, value in values.items():
            if name == "storage":
                data[f"pupils-{index}-storage"] = value or ""
            elif value:
                data[f"pupils-{index}-{name}"] = "on"
    data.update(extra)
    return data


def record_of(pupil, day) -> PhoneRecord | None:
    return PhoneRecord.objects.filter(pupil=pupil, day=day).first()


@pytest.fixture
def wednesday_morning(time_machine):
    time_machine.move_to(at(WEDNESDAY, 8, 40), tick=False)


@pytest.fixture
def tutor(cast, login):
    return login(cast.a.users["teacher"])


def later(time_machine, client, user, when: datetime):
    """The clock moved on, and the user signed in again (a session ends after half an hour idle)."""
    time_machine.move_to(when, tick=False)
    client.force_login(user)


# --- The register's day, end to end -----------------------------------------------------------------------------


def test_the_tutor_keeps_the_morning_register_and_hands_the_phones_back(cast, tutor, time_machine, wednesday_morning):
    pupils = form_pupils(cast)
    ben, cara, dan, alice = pupils["ben"], pupils["cara"], pupils["dan"], cast.a.pupil

    # Today's forms: their own form first, the morning not done.
    forms_page = tutor.get(reverse("devices:phone_forms"))
    text = forms_page.content.decode()
    assert "Your form" in text and "7A" in text and "Not done" in text
    assert "4 pupils on roll" in text  # the leaver is not

    page = tutor.get(register_url(cast.a.form))
    assert page.status_code == 200
    text = page.content.decode()
    assert "Wednesday 25 November 2026" in text and "Not saved yet." in text
    assert "Keeps their phone: young carer" in text
    assert "Leaver" not in text
    # By surname: Aardvark (Alice), Birch, Cole, Dale.
    assert rows_of(page) == [str(p.pk) for p in (alice, ben, cara, dan)]

    # "Everyone present handed in" without JavaScript: everyone present is ticked, nothing saved.
    ticked = tutor.post(register_url(cast.a.form), register_post(page, {str(cara.pk): {"absent": True}}, everyone_present="1"))
    assert ticked.status_code == 200
    assert "Everyone present is ticked as handed in." in ticked.content.decode()
    boxes = {form["pupil"].value(): form for form in ticked.context["formset"].forms}
    assert boxes[str(ben.pk)]["handed_in"].value() and boxes[str(dan.pk)]["handed_in"].value()
    assert not boxes[str(cara.pk)]["handed_in"].value() and boxes[str(cara.pk)]["absent"].value()
    assert "handed_in" not in boxes[str(alice.pk)].fields  # she keeps hers: nothing to tick
    assert not PhoneRecord.objects.filter(day=WEDNESDAY).exists()

    # Dan is unticked (he has no phone today), Ben's pouch typed, and the register saved.
    saved = tutor.post(
        register_url(cast.a.form),
        register_post(ticked, {str(dan.pk): {"handed_in": False}, str(ben.pk): {"storage": " 12 "}}),
        follow=True,
    )
    assert (
        "7A, Wed 25 Nov 2026: the register is saved. 1 phone handed in, 1 with no phone handed in, 1 absent, 1 keeps their phone."
        in (saved.content.decode())
    )
    assert record_of(ben, WEDNESDAY).status == Status.HANDED_IN and record_of(ben, WEDNESDAY).storage == "12"
    assert record_of(cara, WEDNESDAY).status == Status.ABSENT
    assert record_of(dan, WEDNESDAY).status == Status.NOT_HANDED_IN
    assert record_of(alice, WEDNESDAY).status == Status.KEEPS
    for pupil in (alice, ben, cara, dan):
        record = record_of(pupil, WEDNESDAY)
        assert record.form == cast.a.form and record.recorded_by == cast.a.users["teacher"]
        assert record.recorded_at == at(WEDNESDAY, 8, 40)
        history = list(record.history.all())
        assert [(h.history_type, h.history_change_reason, h.history_user) for h in history] == [
            ("+", "Morning register", cast.a.users["teacher"])
        ]
    assert "Saved by Teacher A at 08:40." in saved.content.decode()

    # Later, Dan hands one in after all: saved again, only his record changes.
    time_machine.move_to(at(WEDNESDAY, 9, 5), tick=False)
    again = tutor.post(register_url(cast.a.form), register_post(saved, {str(dan.pk): {"handed_in": True, "storage": "7"}}))
    assert again.status_code == 302
    dan_record = record_of(dan, WEDNESDAY)
    assert (dan_record.status, dan_record.storage, dan_record.recorded_at) == (Status.HANDED_IN, "7", at(WEDNESDAY, 9, 5))
    assert [h.history_change_reason for h in dan_record.history.order_by("history_id")] == [
        "Morning register",
        "Morning register changed",
    ]
    assert record_of(ben, WEDNESDAY).history.count() == 1
    assert PhoneRecord.objects.filter(day=WEDNESDAY).count() == 4

    # The afternoon: Ben's and Dan's phones, handed back; Dan's first, then "All collected" for the rest.
    later(time_machine, tutor, cast.a.users["teacher"], at(WEDNESDAY, 15, 20))
    afternoon = tutor.get(collect_url(cast.a.form))
    assert afternoon.status_code == 200
    text = afternoon.content.decode()
    assert "Pouch or locker 12" in text and "Pouch or locker 7" in text
    lines = [form["record"].value() for form in afternoon.context["formset"].forms]
    assert lines == [str(record_of(ben, WEDNESDAY).pk), str(dan_record.pk)]
    data = {
        "phones-TOTAL_FORMS": "2",
        "phones-INITIAL_FORMS": "2",
        "phones-0-record": lines[0],
        "phones-1-record": lines[1],
        "phones-1-collected": "on",
        "save": "1",
    }
    done = tutor.post(collect_url(cast.a.form), data, follow=True)
    assert "7A, Wed 25 Nov 2026: 1 phone handed back." in done.content.decode()
    assert record_of(dan, WEDNESDAY).collected_at == at(WEDNESDAY, 15, 20)
    assert record_of(dan, WEDNESDAY).collected_by == cast.a.users["teacher"]
    assert record_of(ben, WEDNESDAY).collected_at is None
    assert "handed back at 15:20 by Teacher A" in done.content.decode()

    everyone = tutor.post(
        collect_url(cast.a.form),
        {"phones-TOTAL_FORMS": "1", "phones-INITIAL_FORMS": "1", "phones-0-record": lines[0], "everyone": "1"},
    )
    assert "Every phone is ticked as handed back." in everyone.content.decode()
    assert record_of(ben, WEDNESDAY).collected_at is None  # ticked, not yet saved
    tutor.post(
        collect_url(cast.a.form),
        {"phones-TOTAL_FORMS": "1", "phones-INITIAL_FORMS": "1", "phones-0-record": lines[0], "phones-0-collected": "on"},
    )
    assert record_of(ben, WEDNESDAY).collected_at == at(WEDNESDAY, 15, 20)
    assert record_of(ben, WEDNESDAY).history.order_by("-history_id").first().history_change_reason == "Handed back"

    forms_page = tutor.get(reverse("devices:phone_forms")).content.decode()
    assert 'Afternoon: <span class="badge text-bg-success">Done</span> all handed back' in forms_page


def test_the_pouch_is_filled_in_with_the_last_one_used_and_a_phone_kept_overnight_shows(cast, tutor, time_machine):
    pupils = form_pupils(cast)
    ben, cara = pupils["ben"], pupils["cara"]
    later(time_machine, tutor, cast.a.users["teacher"], at(TUESDAY, 8, 40))
    page = tutor.get(register_url(cast.a.form))
    tutor.post(
        register_url(cast.a.form),
        register_post(
            page, {str(ben.pk): {"handed_in": True, "storage": "B12"}, str(cara.pk): {"handed_in": True, "storage": "C3"}}
        ),
    )
    # Cara's phone goes back; Ben's stays in the pouch overnight.
    record = record_of(cara, TUESDAY)
    record.collected_at = at(TUESDAY, 15, 20)
    record.collected_by = cast.a.users["teacher"]
    record.save()

    later(time_machine, tutor, cast.a.users["teacher"], at(WEDNESDAY, 8, 35))
    page = tutor.get(register_url(cast.a.form))
    text = page.content.decode()
    assert "Phone from Tue 24 Nov still held" in text
    assert text.count("still held") == 1
    assert "1 pupil still has a phone held from an earlier day." in text
    boxes = {form["pupil"].value(): form for form in page.context["formset"].forms}
    assert boxes[str(ben.pk)]["storage"].value() == "B12"
    assert boxes[str(cara.pk)]["storage"].value() == "C3"
    assert not boxes[str(ben.pk)]["handed_in"].value()  # a new day starts unticked

    # The afternoon lists Tuesday's phone beside today's, and hands it back.
    afternoon = tutor.get(collect_url(cast.a.form))
    assert "Phone from Tue 24 Nov" in afternoon.content.decode()
    tuesday = record_of(ben, TUESDAY)
    tutor.post(
        collect_url(cast.a.form),
        {"phones-TOTAL_FORMS": "1", "phones-INITIAL_FORMS": "1", "phones-0-record": str(tuesday.pk), "phones-0-collected": "on"},
    )
    tuesday.refresh_from_db()
    assert tuesday.collected_at == at(WEDNESDAY, 8, 35)
    assert "still held" not in tutor.get(register_url(cast.a.form)).content.decode()


# --- All or none ----------------------------------------------------------------------------------------------------


def test_a_bad_row_saves_nothing_and_the_page_keeps_what_was_typed(cast, tutor, wednesday_morning):
    pupils = form_pupils(cast)
    ben, cara = pupils["ben"], pupils["cara"]
    page = tutor.get(register_url(cast.a.form))
    data = register_post(
        page,
        {
            str(ben.pk): {"handed_in": True, "absent": True, "storage": "B1"},
            str(cara.pk): {"handed_in": True, "storage": "C" * 21},
        },
    )
    response = tutor.post(register_url(cast.a.form), data)
    assert response.status_code == 400
    text = response.content.decode()
    assert "Nothing was saved: see the messages beside the pupils below." in text
    assert "Tick handed in or absent, not both." in text
    assert "A pouch or locker number has at most 20 characters." in text
    assert 'value="B1"' in text and f'value="{"C" * 21}"' in text
    assert not PhoneRecord.objects.filter(day=WEDNESDAY).exists()


def test_a_pupil_no_longer_in_the_form_saves_nothing(cast, tutor, wednesday_morning):
    pupils = form_pupils(cast)
    page = tutor.get(register_url(cast.a.form))
    data = register_post(page, {str(pupils["ben"].pk): {"handed_in": True}})
    # Dan moved to another form while the register was open.
    dan = pupils["dan"]
    dan.form = f.make_form(cast.a.school, "7Z", cast.a.year7)
    dan.save()
    response = tutor.post(register_url(cast.a.form), data)
    assert response.status_code == 400
    assert "This pupil is no longer in the form on this day: reload the register." in response.content.decode()
    assert not PhoneRecord.objects.filter(day=WEDNESDAY).exists()


def test_the_service_checks_every_row_before_saving_any(cast, wednesday_morning):
    pupils = form_pupils(cast)
    rows = [
        RegisterRow(pupil=pupils["ben"], status=Status.HANDED_IN, storage="B1"),
        # Cara has no exception, Alice has one: neither is recorded as asked.
        RegisterRow(pupil=pupils["cara"], status=Status.KEEPS),
        RegisterRow(pupil=cast.a.pupil, status=Status.HANDED_IN),
        RegisterRow(pupil=cast.a.leaver, status=Status.ABSENT),
    ]
    with pytest.raises(ValidationError) as raised:
        phone_register_record(form=cast.a.form, day=WEDNESDAY, rows=rows, actor=cast.a.users["teacher"])
    problems = raised.value.message_dict
    assert problems[str(pupils["cara"].pk)] == [
        "Cara Cole has no phone exception on this day: tick handed in, or leave it unticked."
    ]
    assert problems[str(cast.a.pupil.pk)] == [
        "Alice Aardvark keeps their phone (young carer): they are recorded as keeping it, or as absent."
    ]
    assert "is not on roll in this form" in problems[str(cast.a.leaver.pk)][0]
    assert str(pupils["ben"].pk) not in problems
    assert not PhoneRecord.objects.filter(day=WEDNESDAY).exists()


def test_someone_else_saving_the_register_meanwhile_is_told_and_not_overwritten(cast, login, time_machine, wednesday_morning):
    pupils = form_pupils(cast)
    ben = pupils["ben"]
    teacher = login(cast.a.users["teacher"])
    page = teacher.get(register_url(cast.a.form))
    mine = register_post(page, {str(ben.pk): {"handed_in": False, "absent": True}})
    # The head teacher, covering, saves the same register first.
    rows = [RegisterRow(pupil=p, status=Status.HANDED_IN, storage="H") for p in pupils.values()]
    rows.append(RegisterRow(pupil=cast.a.pupil, status=Status.KEEPS))
    time_machine.move_to(at(WEDNESDAY, 8, 42), tick=False)
    phone_register_record(form=cast.a.form, day=WEDNESDAY, rows=rows, actor=cast.a.users["head"])

    response = teacher.post(register_url(cast.a.form), mine)
    assert response.status_code == 409
    text = response.content.decode()
    assert "Head A saved this register at 08:42, while you had it open. Nothing of yours was saved" in text
    assert "Saved: handed in, pouch or locker H" in text
    assert record_of(ben, WEDNESDAY).status == Status.HANDED_IN
    # The teacher's ticks are still on the page; saved again, they replace the head's.
    boxes = {form["pupil"].value(): form for form in response.context["formset"].forms}
    assert boxes[str(ben.pk)]["absent"].value()
    again = teacher.post(register_url(cast.a.form), register_post(response, {}))
    assert again.status_code == 302
    assert record_of(ben, WEDNESDAY).status == Status.ABSENT


# --- Which days, which forms -------------------------------------------------------------------------------------


def test_there_is_no_register_on_a_day_the_school_is_closed(cast, tutor, time_machine):
    pupils = form_pupils(cast)
    later(time_machine, tutor, cast.a.users["teacher"], at(SATURDAY, 10))
    forms_page = tutor.get(reverse("devices:phone_forms")).content.decode()
    assert "There is no phone register today, Saturday 28 November 2026: it is not a school day (weekend)." in forms_page
    assert "The next school day is Monday 30 November 2026." in forms_page

    page = tutor.get(register_url(cast.a.form))
    assert page.status_code == 400
    assert "There is no phone register on Sat 28 Nov 2026: it is not a school day (weekend)." in page.content.decode()
    assert "The next school day is Monday 30 November 2026." in page.content.decode()
    data = {
        "pupils-TOTAL_FORMS": "1",
        "pupils-INITIAL_FORMS": "1",
        "pupils-0-pupil": str(pupils["ben"].pk),
        "pupils-0-handed_in": "on",
    }
    assert tutor.post(register_url(cast.a.form), data).status_code == 400
    assert tutor.get(collect_url(cast.a.form)).status_code == 400

    # An INSET day in term time too, named as the school entered it.
    later(time_machine, tutor, cast.a.users["teacher"], at(WEDNESDAY, 8, 30))
    SchoolClosure.objects.create(
        school=cast.a.school,
        academic_year=AcademicYear.objects.for_date(TUESDAY),
        kind=SchoolClosure.Kind.INSET,
        starts_on=TUESDAY,
        ends_on=TUESDAY,
        description="Safeguarding training",
    )
    closed = tutor.get(register_url(cast.a.form, TUESDAY))
    assert closed.status_code == 400
    assert "it is not a school day (inset day (safeguarding training))" in closed.content.decode().lower()
    assert tutor.post(register_url(cast.a.form, TUESDAY), data).status_code == 400
    assert not PhoneRecord.objects.filter(pupil=pupils["ben"]).exists()


def test_a_day_to_come_is_refused(cast, tutor, wednesday_morning):
    pupils = form_pupils(cast)
    thursday = WEDNESDAY + timedelta(days=1)
    page = tutor.get(register_url(cast.a.form, thursday))
    assert page.status_code == 400
    assert "Thu 26 Nov 2026 has not come yet: the register is kept on the day itself." in page.content.decode()
    with pytest.raises(ValidationError, match="has not come yet"):
        phone_register_record(
            form=cast.a.form,
            day=thursday,
            rows=[RegisterRow(pupil=pupils["ben"], status=Status.HANDED_IN)],
            actor=cast.a.users["teacher"],
        )
    assert tutor.get(register_url(cast.a.form) + "?day=not-a-day").status_code == 400
    assert tutor.get(register_url(cast.a.form) + "?day=0001-01-01").status_code == 400
    assert not PhoneRecord.objects.filter(day__gte=WEDNESDAY).exists()


def test_a_past_school_day_can_be_opened_and_corrected(cast, tutor, wednesday_morning):
    pupils = form_pupils(cast)
    page = tutor.get(register_url(cast.a.form, TUESDAY))
    assert page.status_code == 200
    assert "Tuesday 24 November 2026" in page.content.decode()
    assert page.context["previous_day"] == date(2026, 11, 23) and page.context["next_day"] == WEDNESDAY
    response = tutor.post(register_url(cast.a.form, TUESDAY), register_post(page, {str(pupils["ben"].pk): {"handed_in": True}}))
    assert response["Location"] == register_url(cast.a.form, TUESDAY)
    assert record_of(pupils["ben"], TUESDAY).status == Status.HANDED_IN


def test_another_schools_form_and_a_form_not_on_the_register_are_not_found(cast, tutor, wednesday_morning):
    year9 = f.make_year_group(cast.a.school, 9)
    not_on = f.make_form(cast.a.school, "9A", year9, tutor=cast.a.staff_member)
    gone = f.make_form(cast.a.school, "7Old", cast.a.year7)
    gone.is_active = False
    gone.save()
    for form in (cast.b.form, not_on, gone):
        assert tutor.get(register_url(form)).status_code == 404
        assert tutor.get(collect_url(form)).status_code == 404
        assert tutor.post(register_url(form), {"pupils-TOTAL_FORMS": "0", "pupils-INITIAL_FORMS": "0"}).status_code == 404
    with scope(school=cast.b.school):
        assert not PhoneRecord.objects.filter(day=WEDNESDAY).exists()
    # 9A on the register as one of the "other forms": found.
    DeviceSettings.objects.get(school=cast.a.school).register_forms.add(not_on)
    assert tutor.get(register_url(not_on)).status_code == 200


def test_the_form_list_says_when_the_school_has_chosen_no_forms(cast, login, wednesday_morning):
    DeviceSettings.objects.get(school=cast.a.school).register_year_groups.clear()
    teacher = login(cast.a.users["teacher"]).get(reverse("devices:phone_forms")).content.decode()
    assert "The school has not chosen which forms hand their phones in" in teacher
    assert reverse("devices:settings") not in teacher.split("</nav>")[-1]
    head = login(cast.a.users["head"]).get(reverse("devices:phone_forms")).content.decode()
    assert "Choose the year groups and forms" in head


# --- Query counts ------------------------------------------------------------------------------------------------------


def _grow(cast, start: int, count: int, days: int):
    """More pupils in 7A, each with a register day on each of the `days` school days before Wednesday."""
    school, form, teacher = cast.a.school, cast.a.form, cast.a.users["teacher"]
    day, school_days = WEDNESDAY, []
    while len(school_days) < days:
        day -= timedelta(days=1)
        if day.weekday() < 5 and not date(2026, 10, 26) <= day <= date(2026, 10, 30):
            school_days.append(day)
    for i in range(start, start + count):
        pupil = f.make_pupil(school, f"Grown{i}", f"Pupil{i:03d}", form=form, mis_id=f"grow{i}")
        PhoneRecord.objects.bulk_create(
            PhoneRecord(
                school=school,
                pupil=pupil,
                day=d,
                form=form,
                status=Status.HANDED_IN,
                storage=f"P{i}",
                recorded_by=teacher,
                recorded_at=at(d, 8, 40),
                collected_at=at(d, 15, 20) if i % 3 else None,
                collected_by=teacher if i % 3 else None,
            )
            for d in school_days
        )


def _queries(run) -> int:
    with CaptureQueriesContext(connection) as queries:
        response = run()
    assert response.status_code in (200, 302), response.status_code
    return len(queries)


def test_the_register_runs_a_fixed_number_of_queries(cast, tutor, wednesday_morning):
    form_pupils(cast)
    _grow(cast, 0, 2, days=3)
    url = register_url(cast.a.form)

    def get():
        return tutor.get(url)

    def post():
        page = tutor.get(url)
        data = register_post(page, {form["pupil"].value(): {"handed_in": True} for form in page.context["formset"].forms})
        with CaptureQueriesContext(connection) as queries:
            response = tutor.post(url, data)
        assert response.status_code == 302
        PhoneRecord.objects.filter(day=WEDNESDAY).delete()
        return len(queries)

    get()  # warm
    small_get, small_post = _queries(get), post()
    _grow(cast, 2, 25, days=15)
    large_get, large_post = _queries(get), post()
    assert small_get == large_get, f"the register ran {small_get} queries for 6 pupils and {large_get} for 31"
    assert small_post == large_post, f"saving it ran {small_post} queries for 6 pupils and {large_post} for 31"
    # The page's shell (7), the form, the calendar (2), the pupils with their last pouch, the day's records,
    # the exceptions, the phones still held.
    assert large_get <= 7 + 1 + 2 + 4
    # The shell, the form, the calendar, the day's four reads, then the lock, the calendar again, the last saved
    # record, the pupils, the exceptions, the records, and the records and their history written.
    assert large_post <= 7 + 1 + 2 + 4 + 1 + 2 + 1 + 3 + 1 + 2


def test_the_afternoon_and_the_list_of_forms_run_a_fixed_number_of_queries(cast, tutor, wednesday_morning):
    form_pupils(cast)
    _grow(cast, 0, 2, days=3)
    urls = [collect_url(cast.a.form), reverse("devices:phone_forms")]
    for url in urls:
        tutor.get(url)
    small = [_queries(lambda u=url: tutor.get(u)) for url in urls]
    _grow(cast, 2, 25, days=15)
    for index in range(8):
        f.make_form(cast.a.school, f"7X{index}", cast.a.year7)
    large = [_queries(lambda u=url: tutor.get(u)) for url in urls]
    assert small == large
