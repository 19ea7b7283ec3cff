"""
Demo devices, for a user to try every page: the phone register of the older pupils (Years 7 to 11 at a
secondary school, Years 5 and 6 at a primary) over the last fortnight of school days, today's partly taken and
yesterday's with phones still in the office; pupils allowed to keep their phone; devices confiscated, with their
chain of custody; the school's laptops and a trolley of tablets, some lent to staff, one overdue and one lost;
staff's requests to use their own equipment on trips; and the register of internet accounts with last year's
review. Registered in `esafety.demo.DEMO_EXTENSIONS` by `DevicesConfig.ready()`.

Everything is bulk-created from a fixed random seed, with one history entry a record (its creation, at the time
it happened): the past is invented, its steps are in the record's fields. Register entries fall on the school's
school days only (its term dates, `esafety.terms`). Each part is made once: seeding again adds nothing.
`make bench` adds five years of register entries for the large school with `phone_register_add_days`, without
history.
"""

import random
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta

from django.db import connection, models, transaction
from django.db.models import F, Q
from django.utils import timezone
from simple_history.utils import bulk_create_with_history

from devices.defaults import devices_defaults_install
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
from esafety.models import FormGroup, Pupil, PupilContact, School, StaffMember, User, YearGroup
from esafety.roles import Role
from esafety.terms.calendar import SchoolCalendar
from esafety.terms.selectors import school_calendar

Status = PhoneRecord.Status
# The register's entries as plain values, in this order (`PhoneRegisterMaker.day_values`).
VALUE_FIELDS = (
    "school_id",
    "pupil_id",
    "day",
    "form_id",
    "status",
    "storage",
    "recorded_by_id",
    "recorded_at",
    "collected_at",
    "collected_by_id",
)
HANDED_IN, NOT_HANDED_IN, ABSENT, KEEPS = (
    str(s.value) for s in (Status.HANDED_IN, Status.NOT_HANDED_IN, Status.ABSENT, Status.KEEPS)
)
# The days of register before today, and the phones left in the office at the end of the last one.
RECENT_SCHOOL_DAYS = 10
NOT_COLLECTED = {"normal": 3, "large": 6}
# Devices in the school's register, by the size of the demo.
LAPTOPS = {"normal": 12, "large": 40}
LAPTOPS_LENT = {"normal": 6, "large": 25}
TABLETS = {"normal": 16, "large": 30}
TROLLEY = "Tablet trolley A"


@dataclass
class DemoPeople:
    head: User
    dsl: User
    it: User
    office: User
    lead: User
    teacher: User
    # The staff record of each of them, by user id.
    staff_of: dict[int, StaffMember]

    def staff(self, user: User) -> StaffMember:
        return self.staff_of[user.pk]


def demo_people(school: School, logins) -> DemoPeople | None:
    """The demo's users of the school by role, with their staff records; None when a role is missing."""
    users = {u.email: u for u in User.objects.filter(email__in=[login.email for login in logins])}
    by_role = {login.role: users[login.email] for login in logins if login.email in users}
    roles = (Role.HEAD, Role.DSL, Role.IT, Role.OFFICE, Role.LEAD, Role.STAFF)
    if any(role not in by_role for role in roles):
        return None
    staff_of = {m.user_id: m for m in StaffMember.objects.filter(school=school, user__in=[by_role[r] for r in roles])}
    if len(staff_of) < len(roles):
        return None
    return DemoPeople(
        head=by_role[Role.HEAD],
        dsl=by_role[Role.DSL],
        it=by_role[Role.IT],
        office=by_role[Role.OFFICE],
        lead=by_role[Role.LEAD],
        teacher=by_role[Role.STAFF],
        staff_of=staff_of,
    )


def _at(day: date, hour: int, minute: int = 0) -> datetime:
    return timezone.make_aware(datetime.combine(day, time(hour, minute)))


def _school_days_before(calendar: SchoolCalendar, day: date, count: int) -> list[date]:
    """The `count` school days before `day` (not `day` itself), oldest first; fewer at the start of the calendar."""
    found = []
    current = day
    while len(found) < count:
        current -= timedelta(days=1)
        if current < calendar.first_day:
            break
        if calendar.is_school_day(current):
            found.append(current)
    return found[::-1]


def _latest_school_moment(calendar: SchoolCalendar, hour: int, minute: int = 0) -> datetime:
    """The time `hour:minute` on the latest school day on which it has already passed."""
    now = timezone.now()
    today = timezone.localdate()
    if calendar.is_school_day(today) and _at(today, hour, minute) <= now:
        return _at(today, hour, minute)
    return _at(_school_days_before(calendar, today, 1)[0], hour, minute)


def register_year_groups_for(school: School) -> list[YearGroup]:
    """The year groups a school of the demo puts on the phone register: Years 7 to 11, or Years 5 and 6."""
    years = list(YearGroup.objects.filter(school=school))
    wanted = range(7, 12) if any(year.ncy >= 7 for year in years) else (5, 6)
    return [year for year in years if year.ncy in wanted]


# --- The phone register ------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class _Place:
    """A pupil on the register in one academic year: their form then, their pouch, and the days they were on roll."""

    pupil_id: object
    form_id: int
    storage: str
    admitted: date | None
    left: date | None
    has_phone: bool


class PhoneRegisterMaker:
    """
    Register entries, a school day at a time, as the school's tutors would have taken them: every pupil of the
    register's year groups (and forms) on roll that day, in the form they were in that year, handed in to their
    pouch, absent, without a phone, or keeping it under an exception in force. Every phone handed in is collected
    at the end of its day; the demo leaves some in the office. Built with a few queries, then none a day.

    With `from_admission=False` a pupil is on the register in every year they were in its year groups, whatever
    their admission date: the demo draws admission dates over a pupil's whole schooling (a Year 11 pupil admitted
    in Year 4, to a secondary school), where a real secondary school admits nearly everyone in Year 7.
    """

    def __init__(self, school: School, people: DemoPeople, rng: random.Random, *, from_admission: bool = True):
        self.school = school
        self.rng = rng
        self.from_admission = from_admission
        self.today = timezone.localdate()
        self.this_year = academic_year_start(self.today)
        settings = DeviceSettings.objects.get(school=school)
        self.end_of_day = settings.collection_time
        self.register_ncys = set(settings.register_year_groups.values_list("ncy", flat=True))
        self.register_forms = set(settings.register_forms.values_list("pk", flat=True))
        forms = FormGroup.objects.filter(school=school, is_active=True).select_related("year_group", "tutor")
        self.forms_by_year: dict[int, list[FormGroup]] = {}
        for form in sorted(forms, key=lambda f: (f.year_group.ncy, f.name)):
            self.forms_by_year.setdefault(form.year_group.ncy, []).append(form)
        self._place_of_form = {
            form.pk: index for year_forms in self.forms_by_year.values() for index, form in enumerate(year_forms)
        }
        # Each form's register is taken by its tutor when they have a login, else by the demo's teacher.
        self.recorder = {
            form.pk: (form.tutor.user_id if form.tutor and form.tutor.user_id else people.teacher.pk)
            for year_forms in self.forms_by_year.values()
            for form in year_forms
        }
        self.users = {user.pk: user for user in User.objects.filter(pk__in=set(self.recorder.values()))}
        self._pupils = list(
            Pupil.objects.filter(school=school)
            .order_by("mis_id", "pk")
            .values("pk", "form_id", "year_group__ncy", "admission_date", "leaving_date", "last_name", "first_name")
        )
        # What stays the same for a pupil from day to day: whether they have a phone at all, and their place
        # among their year's forms (a leaver's drawn at random).
        for pupil in self._pupils:
            pupil["has_phone"] = rng.random() >= 0.08
            pupil["place"] = self._place_of_form.get(pupil["form_id"], rng.randrange(8))
        self._exceptions: dict[object, list[tuple[date, date | None]]] = {}
        for pupil_id, starts_on, ended_on in PhoneException.objects.filter(school=school).values_list(
            "pupil_id", "starts_on", "ended_on"
        ):
            self._exceptions.setdefault(pupil_id, []).append((starts_on, ended_on))
        self._places: dict[int, list[_Place]] = {}

    def _places_in(self, start_year: int) -> list[_Place]:
        """The pupils on the register in the academic year, in the forms they were in then, with pouch numbers."""
        if start_year in self._places:
            return self._places[start_year]
        by_form: dict[int, list[dict]] = {}
        for pupil in self._pupils:
            left = pupil["leaving_date"]
            # A pupil's year group is the one they are in now, or were in when they left.
            reference = self.this_year if left is None or left > self.today else academic_year_start(left)
            ncy = pupil["year_group__ncy"] - (reference - start_year)
            year_forms = self.forms_by_year.get(ncy)
            if not year_forms:
                continue
            form = year_forms[pupil["place"] % len(year_forms)]
            if ncy in self.register_ncys or form.pk in self.register_forms:
                by_form.setdefault(form.pk, []).append(pupil)
        places = []
        for form_id, pupils in by_form.items():
            pupils.sort(key=lambda p: (p["last_name"], p["first_name"]))
            for pouch, pupil in enumerate(pupils, start=1):
                places.append(
                    _Place(pupil["pk"], form_id, str(pouch), pupil["admission_date"], pupil["leaving_date"], pupil["has_phone"])
                )
        self._places[start_year] = places
        return places

    def _keeps_phone(self, pupil_id, day: date) -> bool:
        return any(
            starts_on <= day and (ended_on is None or ended_on > day)
            for starts_on, ended_on in self._exceptions.get(pupil_id, ())
        )

    def day_values(self, day: date, *, forms: set[int] | None = None) -> list[tuple]:
        """
        The day's entries (of those forms alone, if given) as tuples of `VALUE_FIELDS`, every phone handed in
        collected at the end of the day.
        """
        rng = self.rng
        taken, handed_back = {}, {}
        values = []
        school_id, from_admission = self.school.pk, self.from_admission
        for place in self._places_in(academic_year_start(day)):
            if forms is not None and place.form_id not in forms:
                continue
            if (from_admission and place.admitted and place.admitted > day) or (place.left and place.left <= day):
                continue
            form_id = place.form_id
            if form_id not in taken:
                # A form's register is saved at once in the morning, and its phones handed back together.
                taken[form_id] = _at(day, 8, 40) + timedelta(minutes=rng.randint(0, 15))
                handed_back[form_id] = _at(day, self.end_of_day.hour, self.end_of_day.minute) - timedelta(
                    minutes=rng.randint(5, 25)
                )
            draw = rng.random()
            recorder = self.recorder[form_id]
            if place.pupil_id in self._exceptions and self._keeps_phone(place.pupil_id, day):
                status = KEEPS
            elif draw < 0.05:
                status = ABSENT
            elif not place.has_phone or draw < 0.07:
                status = NOT_HANDED_IN
            else:
                values.append(
                    (school_id, place.pupil_id, day, form_id, HANDED_IN, place.storage)
                    + (recorder, taken[form_id], handed_back[form_id], recorder)
                )
                continue
            values.append((school_id, place.pupil_id, day, form_id, status, "", recorder, taken[form_id], None, None))
        return values

    def day_rows(self, day: date, *, forms: set[int] | None = None) -> list[PhoneRecord]:
        """The day's entries as unsaved records (see `day_values`)."""
        return [PhoneRecord(**dict(zip(VALUE_FIELDS, values, strict=True))) for values in self.day_values(day, forms=forms)]

    def first_forms(self) -> set[int]:
        """The first half of each register year's forms (7A to 7D of eight): those that have taken today's register."""
        firsts = set()
        for year_forms in self.forms_by_year.values():
            firsts.update(form.pk for form in year_forms[: (len(year_forms) + 1) // 2])
        return firsts


def _register_settings(school: School, people: DemoPeople) -> DeviceSettings:
    """The register's year groups, chosen by the head teacher when the school has chosen none yet."""
    settings = DeviceSettings.objects.get(school=school)
    if not settings.register_year_groups.exists() and not settings.register_forms.exists():
        years = register_year_groups_for(school)
        if years:
            # One history entry, by the head teacher, that says what changed (as devices.services.phones saves it).
            settings.skip_history_when_saving = True
            try:
                settings.register_year_groups.set(years)
            finally:
                del settings.skip_history_when_saving
            settings._history_user = people.head
            settings._change_reason = "Changed year groups on the phone register: " + ", ".join(str(y) for y in years)
            settings.save()
    return settings


def _phone_exceptions(school: School, people: DemoPeople, rng: random.Random, pupils: list[Pupil]) -> None:
    """A young carer and a pupil with a medical need keep their phones; an exception of last year has ended."""
    if PhoneException.objects.filter(school=school).exists() or len(pupils) < 3:
        return
    today = timezone.localdate()
    this_year = academic_year_start(today)
    carer, medical, ended = rng.sample(pupils, 3)
    plans = [
        (
            carer,
            PhoneException.Reason.YOUNG_CARER,
            "Cares for a parent with multiple sclerosis; keeps the phone to answer calls from home. Uses it at break "
            "and lunch, or in the office, never in lessons.",
            people.staff(people.head),
            date(this_year, 9, 1),
            today + timedelta(days=4),
            None,
            None,
        ),
        (
            medical,
            PhoneException.Reason.MEDICAL,
            "Type 1 diabetes: the phone reads the glucose sensor and alarms when levels are low. Agreed in the "
            "individual healthcare plan.",
            people.staff(people.dsl),
            date(this_year - 1, 9, 10),
            date(this_year + 1, 3, 31),
            None,
            min(_at(date(this_year, 9, 8), 10), timezone.now()),
        ),
        (
            ended,
            PhoneException.Reason.OTHER,
            "Travelled alone between two homes last autumn; kept the phone to arrange lifts.",
            people.staff(people.dsl),
            date(this_year - 1, 9, 5),
            date(this_year - 1, 12, 12),
            date(this_year - 1, 12, 19),
            _at(date(this_year - 1, 12, 12), 12, 30),
        ),
    ]
    exceptions = []
    for pupil, reason, detail, agreed_by, starts_on, review_on, ended_on, reviewed_at in plans:
        exception = PhoneException(
            school=school,
            pupil=pupil,
            reason=reason,
            detail=detail,
            agreed_by=agreed_by,
            starts_on=starts_on,
            review_on=max(review_on, starts_on),
            ended_on=ended_on,
            reviewed_at=reviewed_at,
            created_by=people.dsl,
        )
        exception._history_date = min(_at(starts_on, 9, 15), timezone.now())
        exception._history_user = people.dsl
        exceptions.append(exception)
    bulk_create_with_history(exceptions, PhoneException)


def _phone_register(school: School, people: DemoPeople, rng: random.Random, calendar: SchoolCalendar, size: str) -> None:
    """
    The last fortnight of school days, every form; today's morning for half the forms once it has begun (their
    phones collected once the day has ended); a few phones still in the office since the last school day, and
    one kept overnight before it that was collected the next morning.
    """
    if PhoneRecord.objects.filter(school=school).exists():
        return
    maker = PhoneRegisterMaker(school, people, rng)
    now, today = timezone.now(), timezone.localdate()
    days = _school_days_before(calendar, today, RECENT_SCHOOL_DAYS)
    rows_by_day = {day: maker.day_rows(day) for day in days}
    if calendar.is_school_day(today) and now >= _at(today, 8, 55):
        rows = maker.day_rows(today, forms=maker.first_forms())
        ended = now >= _at(today, maker.end_of_day.hour, maker.end_of_day.minute)
        for row in rows:
            if not ended:
                row.collected_at = row.collected_by_id = None
            elif row.collected_at:
                row.collected_at = min(row.collected_at, now)
        rows_by_day[today] = rows
    if len(days) >= 2:
        handed_in = [row for row in rows_by_day[days[-1]] if row.status == Status.HANDED_IN]
        for row in rng.sample(handed_in, min(NOT_COLLECTED.get(size, 3), len(handed_in))):
            row.collected_at = row.collected_by_id = None
        # One phone left in the office two school days ago, collected from the office the next morning.
        overnight = next((row for row in rows_by_day[days[-2]] if row.status == Status.HANDED_IN), None)
        if overnight:
            overnight.collected_at, overnight.collected_by_id = _at(days[-1], 8, 25), people.office.pk
    rows = [row for day_rows in rows_by_day.values() for row in day_rows]
    for row in rows:
        row._history_date, row._history_user = row.recorded_at, maker.users[row.recorded_by_id]
    bulk_create_with_history(rows, PhoneRecord, batch_size=1000)
    if days:
        # The end-of-day list of the last school day was made (devices.tasks.phones_end_of_day).
        DeviceSettings.objects.filter(school=school).update(not_collected_listed_on=days[-1])


# --- Confiscations --------------------------------------------------------------------------------------------


def _put_back(model, rows: list, field: str, values: list) -> None:
    """A time set on insert (`auto_now_add`) back to the invented one: the demo's past did not all happen now."""
    for row, value in zip(rows, values, strict=True):
        setattr(row, field, value)
    model.objects.bulk_update(rows, [field], batch_size=500)


def _confiscations(school: School, people: DemoPeople, rng: random.Random, calendar: SchoolCalendar, pupils: list[Pupil]) -> None:
    """
    Three devices taken from pupils: a phone returned to a parent the next day, a phone moved to the DSL's cabinet,
    searched and kept as evidence, and a smart watch taken today and held in the office. Each with its custody
    entries.
    """
    if Confiscation.objects.filter(school=school).exists() or len(pupils) < 3:
        return
    settings = DeviceSettings.objects.select_for_update().get(school=school)
    today = timezone.localdate()
    before = _school_days_before(calendar, today, 6)
    returned_pupil, evidence_pupil, held_pupil = rng.sample(pupils, 3)
    contact = PupilContact.objects.filter(pupil=returned_pupil).select_related("contact").order_by("priority").first()
    teacher, office, dsl = people.teacher, people.office, people.dsl
    plans = []  # (confiscation, [(entry, when it was recorded)])

    taken = _at(before[0], 10, 20)
    returned = Confiscation(
        kind=Confiscation.Kind.PHONE,
        description="Black phone in a blue case with a cracked corner",
        pupil=returned_pupil,
        taken_by=teacher,
        taken_at=taken,
        reason="Phone out in a science lesson after two reminders; the pupil had not handed it in that morning.",
        stored_at="Office safe",
        status=Confiscation.Status.RETURNED if contact else Confiscation.Status.HELD,
        closed_at=_at(before[1], 15, 40) if contact else None,
    )
    entries = [CustodyEntry(kind=CustodyEntry.Kind.TAKEN, at=taken, recorded_by=teacher, stored_at="Office safe")]
    if contact:
        entries.append(
            CustodyEntry(
                kind=CustodyEntry.Kind.RETURNED,
                at=_at(before[1], 15, 40),
                recorded_by=office,
                returned_to=CustodyEntry.ReturnedTo.CONTACT,
                contact=contact.contact,
                note="Collected from the office; signed for it.",
            )
        )
    plans.append((returned, entries))

    taken = _at(before[-2], 11, 5)
    evidence = Confiscation(
        kind=Confiscation.Kind.PHONE,
        description="White phone, clear case with stickers",
        pupil=evidence_pupil,
        taken_by=teacher,
        taken_at=taken,
        reason="Another pupil reported threatening messages sent from this phone at lunchtime.",
        stored_at="DSL's locked cabinet",
        is_evidence=True,
    )
    searched = taken + timedelta(hours=2, minutes=10)
    entries = [
        CustodyEntry(kind=CustodyEntry.Kind.TAKEN, at=taken, recorded_by=teacher, stored_at="Office safe"),
        CustodyEntry(
            kind=CustodyEntry.Kind.STORED,
            at=taken + timedelta(minutes=40),
            recorded_by=dsl,
            stored_at="DSL's locked cabinet",
            note="Switched off and sealed in an envelope.",
        ),
        CustodyEntry(
            kind=CustodyEntry.Kind.SEARCHED,
            at=searched,
            recorded_by=dsl,
            searched_by=people.staff(dsl),
            consent_from="The pupil, with a parent on the phone",
            witnessed_by=people.staff(people.head),
            found="Messages to the other pupil that match the report. No images were opened or copied.",
        ),
        CustodyEntry(
            kind=CustodyEntry.Kind.FLAGGED,
            at=searched + timedelta(minutes=15),
            recorded_by=dsl,
            note="Kept as evidence while the DSL speaks to the police.",
        ),
    ]
    plans.append((evidence, entries))

    taken = _latest_school_moment(calendar, 13, 50)
    held = Confiscation(
        kind=Confiscation.Kind.WATCH,
        description="Smart watch with a black strap",
        pupil=held_pupil,
        taken_by=teacher,
        taken_at=taken,
        reason="Used to send messages during a test.",
        stored_at="Office safe",
    )
    entries = [CustodyEntry(kind=CustodyEntry.Kind.TAKEN, at=taken, recorded_by=teacher, stored_at="Office safe")]
    plans.append((held, entries))

    now = timezone.now()
    plans.sort(key=lambda plan: plan[0].taken_at)
    confiscations = []
    for number, (confiscation, entries) in enumerate(plans, start=settings.last_confiscation_number + 1):
        confiscation.school, confiscation.number = school, number
        confiscation._history_date, confiscation._history_user = confiscation.taken_at, confiscation.taken_by
        for entry in entries:
            entry.confiscation, entry.at = confiscation, min(entry.at, now)
        confiscations.append(confiscation)
    bulk_create_with_history(confiscations, Confiscation)
    entries = [entry for _, plan_entries in plans for entry in plan_entries]
    CustodyEntry.objects.bulk_create(entries)
    # Each entry was recorded when it happened. Custody entries refuse to be changed through their manager; the
    # demo invents their past once, straight after making them.
    for entry in entries:
        models.QuerySet(CustodyEntry).filter(pk=entry.pk).update(recorded_at=min(entry.at + timedelta(minutes=3), now))
    DeviceSettings.objects.filter(pk=settings.pk).update(last_confiscation_number=F("last_confiscation_number") + len(plans))


# --- School devices lent to staff ------------------------------------------------------------------------------


def _serial(rng: random.Random, prefix: str) -> str:
    return prefix + "".join(rng.choice("0123456789ABCDEFGHJKLMNPQRSTUVWXYZ") for _ in range(8))


def _school_devices(school: School, people: DemoPeople, rng: random.Random, calendar: SchoolCalendar, size: str) -> None:
    """
    Staff laptops (most lent for the year, one overdue, one lost on a trip: it held pupils' data unencrypted),
    a trolley of tablets lent to a teacher this week, and a camera; a few loans of last year returned.
    """
    if SchoolDevice.objects.filter(school=school).exists():
        return
    now, today = timezone.now(), timezone.localdate()
    this_year = academic_year_start(today)
    staff = list(StaffMember.objects.filter(school=school).current().order_by("mis_id"))
    borrowers = [member for member in staff if member.pk != people.staff(people.teacher).pk]
    devices = []
    for number in range(1, LAPTOPS.get(size, 12) + 1):
        devices.append(
            SchoolDevice(
                school=school,
                asset_tag=f"LT-{number:03d}",
                kind=SchoolDevice.Kind.LAPTOP,
                make="Dell",
                model="Latitude 3440",
                serial_number=_serial(rng, "5CD"),
                is_encrypted=True,
                encryption="BitLocker",
                holds_pupil_data=True,
            )
        )
    # An older laptop kept for trips: never encrypted, and it held the trip's list of pupils with medical needs.
    trips_laptop = SchoolDevice(
        school=school,
        asset_tag="LT-TRIPS",
        kind=SchoolDevice.Kind.LAPTOP,
        make="Lenovo",
        model="ThinkPad E14",
        serial_number=_serial(rng, "PF"),
        holds_pupil_data=True,
        status=SchoolDevice.Status.LOST,
        notes="Kept in the office for trips and visits.",
    )
    devices.append(trips_laptop)
    tablets = [
        SchoolDevice(
            school=school,
            asset_tag=f"TB-{number:02d}",
            kind=SchoolDevice.Kind.TABLET,
            make="Apple",
            model="iPad (10th generation)",
            serial_number=_serial(rng, "DMP"),
            device_set=TROLLEY,
            is_encrypted=True,
            encryption="iPadOS data protection (passcode)",
        )
        for number in range(1, TABLETS.get(size, 16) + 1)
    ]
    devices += tablets
    devices.append(
        SchoolDevice(
            school=school,
            asset_tag="CAM-01",
            kind=SchoolDevice.Kind.CAMERA,
            make="Canon",
            model="PowerShot SX740",
            serial_number=_serial(rng, "CN"),
            holds_pupil_data=True,
            notes="Photos are copied to the staff shared drive and deleted from the card after each event.",
        )
    )
    devices.append(
        SchoolDevice(
            school=school,
            asset_tag="LT-OLD-07",
            kind=SchoolDevice.Kind.LAPTOP,
            make="HP",
            model="ProBook 450 G5",
            serial_number=_serial(rng, "5CG"),
            is_encrypted=True,
            encryption="BitLocker",
            status=SchoolDevice.Status.RETIRED,
            notes="Retired: the battery failed. Its drive was wiped and the certificate kept.",
        )
    )

    laptops = [d for d in devices if d.asset_tag.startswith("LT-") and d.asset_tag[3:].isdigit()]
    first_day = calendar.add_school_days(date(this_year, 8, 31), 1) or date(this_year, 9, 1)
    year_end = calendar.year(this_year).terms[-1].ends_on
    loans = []

    def lend(device, borrower, lent_at, due_on, returned_at=None, condition=""):
        loan = DeviceLoan(
            school=school,
            device=device,
            borrower=borrower,
            lent_by=people.it,
            lent_at=min(lent_at, now),
            due_on=due_on,
            returned_at=returned_at,
            returned_to=people.it if returned_at else None,
            condition_note=condition,
        )
        loan._history_date, loan._history_user = loan.lent_at, people.it
        loans.append(loan)
        if returned_at is None:
            device.status = SchoolDevice.Status.ON_LOAN

    lent = LAPTOPS_LENT.get(size, 6)
    for device, borrower in zip(laptops[:lent], borrowers, strict=False):
        lend(device, borrower, _at(first_day, 8, 30), year_end)
    # Lent for a course and not brought back.
    overdue = laptops[lent]
    lend(overdue, borrowers[lent % len(borrowers)], now - timedelta(days=19), today - timedelta(days=5))
    # Last year's loans, returned.
    last_year = academic_year_start(today) - 1
    for device, borrower in zip(laptops[lent + 1 : lent + 4], borrowers[lent + 1 :], strict=False):
        lend(
            device,
            borrower,
            _at(date(last_year, 9, 8), 9),
            date(last_year + 1, 7, 17),
            returned_at=_at(date(last_year + 1, 7, 15), 15, 10),
            condition="Returned in good order, with its charger.",
        )
    # The trolley of tablets, lent to the demo's teacher for the week.
    trolley_lent = _latest_school_moment(calendar, 8, 30)
    due = calendar.add_school_days(trolley_lent.date(), 3) or trolley_lent.date()
    for tablet in tablets:
        lend(tablet, people.staff(people.teacher), trolley_lent, due)

    for device in devices:
        device._history_date, device._history_user = _at(date(last_year, 9, 1), 9), people.it
    bulk_create_with_history(devices, SchoolDevice)
    bulk_create_with_history(loans, DeviceLoan)

    reported = now - timedelta(hours=20)
    loss = DeviceLoss(
        school=school,
        device=trips_laptop,
        kind=DeviceLoss.Kind.LOST,
        reported_by=people.teacher,
        reported_at=reported,
        circumstances="Last seen on the coach back from the museum trip; the coach company has searched and not found it.",
        possible_breach=trips_laptop.possible_breach,
    )
    loss._history_date, loss._history_user = reported, people.teacher
    bulk_create_with_history([loss], DeviceLoss)


# --- Personal equipment ----------------------------------------------------------------------------------------


def _equipment(school: School, people: DemoPeople, rng: random.Random, calendar: SchoolCalendar, forms: list[FormGroup]) -> None:
    """A request waiting for the head teacher, and one approved for a trip last week whose images are not yet confirmed."""
    if EquipmentPermission.objects.filter(school=school).exists() or not forms:
        return
    settings = DeviceSettings.objects.get(school=school)
    now, today = timezone.now(), timezone.localdate()
    trip_day = _school_days_before(calendar, today, 4)[0]
    next_trip = calendar.add_school_days(today, 12) or today + timedelta(days=14)
    trip_form, next_form = forms[0], forms[-1]
    approved_at = min(_at(trip_day - timedelta(days=9), 12, 15), now)
    approved = EquipmentPermission(
        school=school,
        requested_by=people.lead,
        equipment="My phone's camera",
        purpose=f"{trip_form.name}'s trip to the Natural History Museum: photos for the class blog. The school camera "
        "is booked by another class that day.",
        starts_on=trip_day,
        ends_on=trip_day,
        status=EquipmentPermission.Status.APPROVED,
        decided_by=people.head,
        decided_at=approved_at,
        decision_note="Agreed. Check the photo consents before anything goes on the blog.",
        images_due_at=_at(trip_day + timedelta(days=1), 0) + timedelta(hours=settings.images_deadline_hours),
    )
    asked_approved = approved_at - timedelta(days=2, hours=3)
    waiting = EquipmentPermission(
        school=school,
        requested_by=people.teacher,
        equipment="My tablet",
        purpose=f"{next_form.name}'s residential trip: filming the orienteering for the parents' evening. The school's "
        "tablets stay in school on the trolley.",
        starts_on=next_trip,
        ends_on=next_trip + timedelta(days=2),
    )
    asked_waiting = now - timedelta(hours=26)
    approved._history_date, approved._history_user = asked_approved, people.lead
    waiting._history_date, waiting._history_user = asked_waiting, people.teacher
    permissions = [approved, waiting]
    bulk_create_with_history(permissions, EquipmentPermission)
    _put_back(EquipmentPermission, permissions, "requested_at", [asked_approved, asked_waiting])
    through = EquipmentPermission.pupils.through
    links = []
    for permission, form in ((approved, trip_form), (waiting, next_form)):
        for pupil_id in Pupil.objects.filter(school=school, form=form).current().values_list("pk", flat=True):
            links.append(through(equipmentpermission_id=permission.pk, pupil_id=pupil_id))
    through.objects.bulk_create(links, batch_size=1000)


# --- The internet-access register ------------------------------------------------------------------------------


def _accounts(school: School, people: DemoPeople, rng: random.Random) -> None:
    """
    An account for every member of staff and every pupil (from Year 1 at a primary), a visitor and a community
    user with signed agreements; leavers' accounts ended, but for the last three, which IT has yet to close; and
    the review of access rights signed about thirteen months ago, so that the next one is due.
    """
    if InternetAccount.objects.filter(school=school).exists():
        return
    now, today = timezone.now(), timezone.localdate()
    this_year = academic_year_start(today)
    it = people.it
    accounts = []

    def add(granted_on: date, **fields) -> InternetAccount:
        account = InternetAccount(school=school, granted_on=min(granted_on, today), granted_by=it, **fields)
        account._history_date, account._history_user = min(_at(account.granted_on, 9), now), it
        accounts.append(account)
        return account

    for member in StaffMember.objects.filter(school=school).current().order_by("mis_id"):
        username = (member.email.split("@")[0] if member.email else member.mis_id).lower()
        add(
            member.start_date or date(this_year, 9, 1),
            holder=InternetAccount.Holder.STAFF,
            staff=member,
            username=username,
            access="Network, e-mail and staff Wi-Fi",
        )
    pupils = list(Pupil.objects.filter(school=school, year_group__ncy__gte=1).order_by("mis_id").select_related("year_group"))
    leavers = [pupil for pupil in pupils if pupil.leaving_date and pupil.leaving_date <= today]
    still_open = {pupil.pk for pupil in sorted(leavers, key=lambda p: (p.leaving_date, p.mis_id))[-3:]}
    for pupil in pupils:
        left = pupil.leaving_date if pupil.leaving_date and pupil.leaving_date <= today else None
        ended = left is not None and pupil.pk not in still_open
        add(
            pupil.admission_date or date(this_year, 9, 1),
            holder=InternetAccount.Holder.PUPIL,
            pupil=pupil,
            username=f"{pupil.last_name.lower()}{pupil.first_name[0].lower()}{pupil.mis_id[-4:]}",
            access="Network and pupil Wi-Fi" if pupil.year_group.ncy >= 7 else "Class login: network and learning platform",
            ended_on=left + timedelta(days=3) if ended else None,
            end_reason="Left the school" if ended else "",
        )
    visitor_from = today - timedelta(days=12)
    add(
        visitor_from,
        holder=InternetAccount.Holder.VISITOR,
        name="Amira Hassan",
        organisation="Local authority online safety adviser",
        username="visitor-ahassan",
        access="Guest Wi-Fi",
        agreement_signed_on=visitor_from,
    )
    community_from = date(this_year, 9, 16)
    add(
        community_from,
        holder=InternetAccount.Holder.COMMUNITY,
        name="Keith Morgan",
        organisation="Tuesday evening computer club for adults",
        username="community-kmorgan",
        access="ICT suite computers and guest Wi-Fi, Tuesday evenings",
        agreement_signed_on=community_from,
    )
    supply_from = date(this_year - 1, 1, 8)
    add(
        supply_from,
        holder=InternetAccount.Holder.VISITOR,
        name="Daniel Reid",
        organisation="Supply teacher (agency)",
        username="visitor-dreid",
        access="Guest Wi-Fi and the supply teacher's network login",
        agreement_signed_on=supply_from,
        ended_on=date(this_year - 1, 3, 28),
        end_reason="Placement ended",
    )
    bulk_create_with_history(accounts, InternetAccount, batch_size=500)

    if AccessReview.objects.filter(school=school).exists():
        return
    signed_on = today - timedelta(days=395)
    signed_on -= timedelta(days=max(signed_on.weekday() - 4, 0))  # a weekday
    signed = _at(signed_on, 14, 0)

    def holder_left(account) -> date | None:
        return account.pupil.leaving_date if account.pupil else account.staff.leaving_date if account.staff else None

    # The first review's figures, as devices.selectors.accounts counts them: every account on the register then,
    # and of those the ones ended (or whose holder had left) and the ones still in use.
    on_register = [a for a in accounts if a.granted_on <= signed_on]
    ended = [
        a
        for a in on_register
        if (a.ended_on and a.ended_on <= signed_on) or ((left := holder_left(a)) is not None and left <= signed_on)
    ]
    review = AccessReview(
        school=school,
        reviewed_by=it,
        signed_at=signed,
        accounts_in_use=len(on_register) - len(ended),
        granted=len(on_register),
        ended=len(ended),
        findings="Checked every account against the MIS and the staff list. Closed the accounts of the summer's "
        "leavers, removed two shared logins from the ICT suite, and changed the guest Wi-Fi password. Visitors now "
        "sign the agreement before they are given the password.",
    )
    review._history_date, review._history_user = signed, it
    bulk_create_with_history([review], AccessReview)


# --- Putting it together ----------------------------------------------------------------------------------------


def _register_pupils(school: School, settings: DeviceSettings) -> tuple[list[Pupil], list[FormGroup]]:
    """The pupils on roll in the register's forms (or, when none, in the oldest year group), and those forms."""
    forms = list(
        FormGroup.objects.filter(school=school, is_active=True)
        .filter(Q(year_group__in=settings.register_year_groups.all()) | Q(pk__in=settings.register_forms.all()))
        .order_by("year_group__ncy", "name")
    )
    if not forms:
        oldest = YearGroup.objects.filter(school=school).order_by("-ncy").first()
        forms = list(FormGroup.objects.filter(school=school, is_active=True, year_group=oldest).order_by("name"))
    pupils = list(Pupil.objects.filter(school=school, form__in=forms).current().order_by("mis_id"))
    return pupils, forms


def seed_demo_devices(*, school, logins, rng, size) -> None:
    """The demo's devices: the phone register and its exceptions, confiscations, school devices, equipment, accounts."""
    devices_defaults_install(school)
    people = demo_people(school, logins)
    if people is None:
        return
    this_year = academic_year_start(timezone.localdate())
    calendar = school_calendar(school, this_year - 1, this_year)
    with transaction.atomic():
        settings = _register_settings(school, people)
        pupils, forms = _register_pupils(school, settings)
        if settings.register_year_groups.exists() or settings.register_forms.exists():
            _phone_exceptions(school, people, rng, pupils)
            _phone_register(school, people, rng, calendar, size)
        _confiscations(school, people, rng, calendar, pupils)
        _school_devices(school, people, rng, calendar, size)
        _equipment(school, people, rng, calendar, forms)
        _accounts(school, people, rng)


def phone_register_add_days(
    school: School,
    people: DemoPeople,
    *,
    first: date,
    last: date,
    rng: random.Random,
    from_admission: bool = True,
    batch_size: int = 20000,
) -> int:
    """
    Register entries for every school day from `first` to `last` that has none yet, every phone collected: the
    years of register a school would have, without history entries (`make bench` adds five years, about 900,000
    entries, to the large school). Written in batches: with PostgreSQL's COPY, else with `bulk_create`. Returns
    how many it added.
    """
    calendar = school_calendar(school, academic_year_start(first), academic_year_start(last))
    taken = set(PhoneRecord.objects.filter(school=school, day__range=(first, last)).values_list("day", flat=True).distinct())
    maker = PhoneRegisterMaker(school, people, rng, from_admission=from_admission)
    added, pending = 0, []
    with transaction.atomic():
        for day in school_days(calendar, first, last):
            if day in taken:
                continue
            pending += maker.day_values(day)
            if len(pending) >= batch_size:
                _insert_values(pending)
                added, pending = added + len(pending), []
        _insert_values(pending)
    return added + len(pending)


def _insert_values(values: list[tuple]) -> None:
    """Insert register entries given as tuples of `VALUE_FIELDS`; no history, no signals."""
    if not values:
        return
    with connection.cursor() as cursor:
        raw = cursor.cursor
        if connection.vendor == "postgresql" and hasattr(raw, "copy"):
            meta = PhoneRecord._meta
            columns = ", ".join(connection.ops.quote_name(meta.get_field(name).column) for name in VALUE_FIELDS)
            with raw.copy(f"COPY {connection.ops.quote_name(meta.db_table)} ({columns}) FROM STDIN") as copy:
                for row in values:
                    copy.write_row(row)
            return
    PhoneRecord.objects.bulk_create([PhoneRecord(**dict(zip(VALUE_FIELDS, row, strict=True))) for row in values], batch_size=2000)


def school_days(calendar: SchoolCalendar, first: date, last: date) -> Iterable[date]:
    """The school days from `first` to `last`, both included."""
    day = first
    while day <= last:
        if calendar.is_school_day(day):
            yield day
        day += timedelta(days=1)
