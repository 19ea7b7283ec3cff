"""
The demo's devices give a user something to try on every page: the phone register of Years 5 and 6 over the last
fortnight of school days (today's partly taken, phones left in the office yesterday), the pupils allowed to keep
their phone, confiscations with their custody, the school's devices and loans, requests to use personal equipment
and the internet-access register with last year's review. Register entries fall on school days only, and seeding
again adds nothing.
"""

import random
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from bench.devices import register_form
from devices.demo import PhoneRegisterMaker, demo_people, phone_register_add_days, school_days, seed_demo_devices
from devices.models import (
    AccessReview,
    Confiscation,
    CustodyEntry,
    DeviceLoan,
    DeviceLoss,
    DeviceSettings,
    EquipmentPermission,
    InternetAccount,
    PhoneException,
    PhoneRecord,
    SchoolDevice,
)
from esafety.calendar import academic_year_start
from esafety.demo import PARTNER, SMALL, build_school
from esafety.models import FormGroup, Pupil, PupilContact
from esafety.scoping import scope
from esafety.terms.selectors import school_calendar

pytestmark = pytest.mark.django_db

LONDON = ZoneInfo("Europe/London")
# A Thursday afternoon in term, before the end of the day (15:30).
NOW = datetime(2026, 11, 26, 14, 0, tzinfo=LONDON)
YESTERDAY = date(2026, 11, 25)
Status = PhoneRecord.Status
MODELS = (
    PhoneRecord,
    PhoneException,
    Confiscation,
    CustodyEntry,
    SchoolDevice,
    DeviceLoan,
    DeviceLoss,
    EquipmentPermission,
    InternetAccount,
    AccessReview,
)


def _seeded(time_machine, now, plan=SMALL):
    time_machine.move_to(now, tick=False)
    school, logins = build_school(plan, trust=None)
    with scope(school=school):
        seed_demo_devices(school=school, logins=logins, rng=random.Random(2026), size="normal")
    return school, logins


@pytest.fixture
def school(time_machine):
    school, logins = _seeded(time_machine, NOW)
    with scope(school=school):
        yield school, logins


def _on_school_days_only(school):
    days = set(PhoneRecord.objects.filter(school=school).values_list("day", flat=True))
    calendar = school_calendar(school, 2024, 2027)
    assert days
    assert [day for day in sorted(days) if not calendar.is_school_day(day)] == []
    return days


@pytest.mark.parametrize(
    "now",
    [
        NOW,
        datetime(2026, 11, 26, 21, 0, tzinfo=LONDON),
        datetime(2027, 3, 8, 7, 30, tzinfo=LONDON),
        datetime(2027, 8, 12, 11, 0, tzinfo=LONDON),
    ],
    ids=["thursday-afternoon", "thursday-evening", "monday-before-school", "summer-holiday"],
)
def test_register_entries_fall_on_the_last_school_days_only(time_machine, now):
    school, _ = _seeded(time_machine, now)
    with scope(school=school):
        days = _on_school_days_only(school)
        today = timezone.localdate()
        calendar = school_calendar(school, 2025, 2026)
        expected = [day for day in school_days(calendar, date(2025, 9, 1), today - timedelta(days=1))][-10:]
        # Today's register is taken only once the school day has begun.
        assert sorted(days) == expected + ([today] if now.date() == NOW.date() else [])
        assert not PhoneRecord.objects.filter(school=school, recorded_at__gt=timezone.now()).exists()
        assert not PhoneRecord.objects.filter(school=school, collected_at__gt=timezone.now()).exists()
        # Once the day has ended, today's phones have been collected.
        collected_today = PhoneRecord.objects.filter(school=school, day=today, collected_at__isnull=False).exists()
        assert collected_today == (now.hour >= 16)


def test_the_register_covers_years_5_and_6_with_today_partly_taken(school):
    school, logins = school
    settings = DeviceSettings.objects.get(school=school)
    records = PhoneRecord.objects.filter(school=school)

    assert sorted(year.ncy for year in settings.register_year_groups.all()) == [5, 6]
    assert set(records.values_list("form__name", flat=True)) == {"5A", "5B", "6A", "6B"}
    assert set(records.filter(day=NOW.date()).values_list("form__name", flat=True)) == {"5A", "6A"}
    # Before the end of the day, today's phones are still in their pouches.
    assert not records.filter(day=NOW.date(), collected_at__isnull=False).exists()
    handed_in = records.filter(day=YESTERDAY, status=Status.HANDED_IN)
    assert handed_in.count() > 80
    assert handed_in.exclude(storage="").count() == handed_in.count()
    assert set(records.values_list("status", flat=True)) == set(Status.values)
    assert settings.not_collected_listed_on == YESTERDAY
    created, change = settings.history.order_by("history_date", "history_id")
    assert created.history_type == "+"
    assert change.history_user == demo_people(school, logins).head
    assert change.history_change_reason == "Changed year groups on the phone register: Year 5, Year 6"


def test_some_phones_were_not_collected_yesterday_and_one_was_kept_overnight_before(school):
    school, logins = school
    office = demo_people(school, logins).office
    held = PhoneRecord.objects.filter(school=school).not_collected()

    assert held.filter(day=YESTERDAY).count() == 3
    assert not held.filter(day__lt=YESTERDAY).exists()
    overnight = PhoneRecord.objects.get(school=school, collected_by=office)
    assert overnight.day < YESTERDAY
    assert timezone.localdate(overnight.collected_at) == YESTERDAY


def test_each_register_entry_has_its_history_from_the_morning_it_was_taken(school):
    school, _ = school
    record = PhoneRecord.objects.filter(school=school, day=YESTERDAY).select_related("form__tutor").first()

    entry = record.history.get()
    assert entry.history_date == record.recorded_at
    assert entry.history_user == record.recorded_by
    assert PhoneRecord.history.filter(school=school).count() == PhoneRecord.objects.filter(school=school).count()


def test_a_young_carer_and_a_pupil_with_a_medical_need_keep_their_phones(school):
    school, _ = school
    exceptions = PhoneException.objects.filter(school=school)
    in_force = exceptions.in_force(NOW.date())

    assert {e.reason for e in in_force} == {PhoneException.Reason.YOUNG_CARER, PhoneException.Reason.MEDICAL}
    assert exceptions.filter(ended_on__lt=NOW.date()).count() == 1
    for exception in in_force:
        statuses = set(PhoneRecord.objects.filter(pupil=exception.pupil).values_list("status", flat=True))
        assert statuses == {Status.KEEPS}
    # The young carer's review is due within the week.
    carer = in_force.get(reason=PhoneException.Reason.YOUNG_CARER)
    assert NOW.date() < carer.review_on <= NOW.date() + timedelta(days=7)


def test_confiscations_held_kept_as_evidence_and_returned_to_a_parent_with_their_custody(school):
    school, _ = school
    confiscations = {c.number: c for c in Confiscation.objects.filter(school=school).prefetch_related("custody")}
    kinds = {number: [entry.kind for entry in c.custody.all()] for number, c in confiscations.items()}
    Kind = CustodyEntry.Kind

    assert sorted(confiscations) == [1, 2, 3]
    assert DeviceSettings.objects.get(school=school).last_confiscation_number == 3
    returned, evidence, held = confiscations[1], confiscations[2], confiscations[3]
    assert returned.status == Confiscation.Status.RETURNED and returned.closed_at is not None
    assert kinds[1] == [Kind.TAKEN, Kind.RETURNED]
    handed_to = returned.custody.get(kind=Kind.RETURNED)
    assert handed_to.returned_to == CustodyEntry.ReturnedTo.CONTACT
    assert PupilContact.objects.filter(pupil=returned.pupil, contact=handed_to.contact).exists()
    assert evidence.status == Confiscation.Status.HELD and evidence.is_evidence
    assert kinds[2] == [Kind.TAKEN, Kind.STORED, Kind.SEARCHED, Kind.FLAGGED]
    search = evidence.custody.get(kind=Kind.SEARCHED)
    assert search.searched_by and search.witnessed_by and search.found
    assert held.status == Confiscation.Status.HELD and not held.is_evidence
    assert timezone.localdate(held.taken_at) == NOW.date()
    assert kinds[3] == [Kind.TAKEN]
    assert {c.custody.all()[0].stored_at for c in confiscations.values()} == {"Office safe"}
    for confiscation in confiscations.values():
        assert confiscation.history.get().history_date == confiscation.taken_at
        for entry in confiscation.custody.all():
            assert confiscation.taken_at <= entry.at <= entry.recorded_at <= timezone.now()


def test_school_devices_with_loans_one_overdue_and_one_lost_that_may_be_a_breach(school):
    school, logins = school
    teacher = demo_people(school, logins).teacher
    devices = SchoolDevice.objects.filter(school=school)
    open_loans = DeviceLoan.objects.filter(school=school).out()

    assert devices.filter(kind=SchoolDevice.Kind.LAPTOP).count() >= 10
    trolley = devices.filter(device_set="Tablet trolley A")
    assert trolley.count() == 16
    # Every device on loan has one loan out, and only those.
    assert set(open_loans.values_list("device_id", flat=True)) == set(
        devices.filter(status=SchoolDevice.Status.ON_LOAN).values_list("pk", flat=True)
    )
    assert set(open_loans.filter(device__in=trolley).values_list("borrower__user", flat=True)) == {teacher.pk}
    assert open_loans.filter(due_on__lt=NOW.date()).count() == 1
    assert DeviceLoan.objects.filter(school=school, returned_at__isnull=False).count() == 3
    loss = DeviceLoss.objects.get(school=school)
    assert loss.device.status == SchoolDevice.Status.LOST
    assert loss.possible_breach and loss.breach_assessed_at is None
    assert timezone.now() - loss.reported_at < timedelta(hours=72)


def test_a_request_waits_for_the_head_and_a_past_trips_images_are_not_yet_confirmed(school):
    school, _ = school
    permissions = EquipmentPermission.objects.filter(school=school)
    waiting = permissions.get(status=EquipmentPermission.Status.REQUESTED)
    approved = permissions.get(status=EquipmentPermission.Status.APPROVED)

    assert permissions.count() == 2
    assert waiting.starts_on > NOW.date() and waiting.decided_at is None
    assert approved.ends_on < NOW.date() and approved.images_confirmed_at is None
    assert approved.images_due_at < timezone.now()
    assert approved.requested_at < approved.decided_at < timezone.now()
    assert approved.pupils.count() > 20 and waiting.pupils.count() > 20


def test_internet_accounts_of_every_kind_and_last_years_review(school):
    school, _ = school
    accounts = InternetAccount.objects.filter(school=school)
    holders = set(accounts.values_list("holder", flat=True))

    assert holders == set(InternetAccount.Holder.values)
    assert accounts.filter(holder=InternetAccount.Holder.STAFF).count() == SMALL.staff
    assert accounts.filter(holder__in=["visitor", "community"], agreement_signed_on__isnull=True).count() == 0
    assert accounts.current(NOW.date()).filter(holder=InternetAccount.Holder.VISITOR).count() == 1
    review = AccessReview.objects.get(school=school)
    assert review.signed_at.year == NOW.year - 1
    assert review.accounts_in_use > 0 and review.findings
    assert review.accounts_in_use + review.ended == review.granted


def test_seeding_again_adds_nothing(school):
    school, logins = school
    before = {model: model.objects.filter(**_of(model, school)).count() for model in MODELS}
    history_before = PhoneRecord.history.filter(school=school).count()

    seed_demo_devices(school=school, logins=logins, rng=random.Random(2026), size="normal")

    assert {model: model.objects.filter(**_of(model, school)).count() for model in MODELS} == before
    assert PhoneRecord.history.filter(school=school).count() == history_before
    assert DeviceSettings.objects.get(school=school).last_confiscation_number == 3


def _of(model, school):
    return {"confiscation__school": school} if model is CustodyEntry else {"school": school}


def test_an_infant_school_without_years_5_and_6_has_no_register_but_the_rest(time_machine):
    school, _ = _seeded(time_machine, NOW, PARTNER)
    with scope(school=school):
        assert not DeviceSettings.objects.get(school=school).register_year_groups.exists()
        assert not PhoneRecord.objects.filter(school=school).exists()
        assert Confiscation.objects.filter(school=school).count() == 3
        assert SchoolDevice.objects.filter(school=school).exists()
        assert EquipmentPermission.objects.filter(school=school).count() == 2


def test_making_register_days_costs_no_query_a_day(school):
    school, logins = school
    maker = PhoneRegisterMaker(school, demo_people(school, logins), random.Random(1))
    calendar = school_calendar(school, 2021, 2026)
    days = list(school_days(calendar, date(2021, 9, 1), date(2026, 7, 22)))

    with CaptureQueriesContext(connection) as queries:
        rows = [row for day in days for row in maker.day_rows(day)]

    assert len(queries) == 0
    assert len(days) > 900
    # Pupils are on the register in the years they were in Years 5 and 6, in a form of that year, while on roll:
    # up to July 2026, only this year's Year 6 were ever in Year 5 or 6 at this school (it keeps no leavers).
    forms = {form.pk: form for form in FormGroup.objects.filter(school=school).select_related("year_group")}
    pupils = {pupil.pk: pupil for pupil in Pupil.objects.filter(school=school).select_related("year_group")}
    assert len(rows) > 50 * 150
    assert {academic_year_start(row.day) for row in rows} == {2025}
    assert {forms[row.form_id].year_group.ncy for row in rows} == {5}
    assert {pupils[row.pupil_id].year_group.ncy for row in rows} == {6}
    assert all(pupils[row.pupil_id].admission_date <= row.day for row in rows)


def test_years_of_register_are_added_on_school_days_without_entries_and_without_history(school):
    school, logins = school
    people = demo_people(school, logins)
    demo_days = set(PhoneRecord.objects.filter(school=school).values_list("day", flat=True))
    history = PhoneRecord.history.filter(school=school).count()

    added = phone_register_add_days(school, people, first=date(2025, 9, 1), last=NOW.date(), rng=random.Random(3))

    records = PhoneRecord.objects.filter(school=school)
    assert added == records.count() - history
    assert added > 10_000
    days = _on_school_days_only(school)
    assert min(days) > date(2025, 9, 1) and max(days) == NOW.date()
    # The demo's days keep their entries; the others have every phone collected, and no history.
    assert records.filter(day__in=demo_days).count() == history
    assert not records.exclude(day__in=demo_days).not_collected().exists()
    assert PhoneRecord.history.filter(school=school).count() == history
    assert phone_register_add_days(school, people, first=date(2025, 9, 1), last=NOW.date(), rng=random.Random(3)) == 0


def test_the_bench_sends_a_form_back_as_a_browser_would():
    html = """
    <form method="get"><input name="day" value="2026-11-26"><button>Show</button></form>
    <form method="post" action="">
      <input type="hidden" name="csrfmiddlewaretoken" value="t">
      <input type="checkbox" name="form-0-handed_in" checked><input type="checkbox" name="form-1-handed_in">
      <input type="radio" name="form-0-status" value="absent"><input type="radio" name="form-0-status" value="keeps" checked>
      <input name="form-0-storage" value="12" disabled><input name="form-1-storage" value="7">
      <select name="form-0-where"><option value="pouch">Pouch<option value="locker" selected>Locker</select>
      <select name="form-1-where"><option>Pouch</option><option>Locker</option></select>
      <textarea name="note">
    Late</textarea>
      <button type="submit" name="action" value="all">Everyone present handed in</button>
      <button type="submit" name="action" value="save">Save the register</button>
    </form>"""

    form = register_form(html)

    assert form.save_button() == ("action", "save", "Save the register")
    assert form.data(form.save_button()) == {
        "csrfmiddlewaretoken": ["t"],
        "form-0-handed_in": ["on"],
        "form-0-status": ["keeps"],
        "form-1-storage": ["7"],
        "form-0-where": ["locker"],
        "form-1-where": ["Pouch"],
        "note": ["    Late"],
        "action": ["save"],
    }
