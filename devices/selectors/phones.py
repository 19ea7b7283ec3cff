"""
What each user may see of the phone register: the forms on it, one form's day, the phones still held, and the
pupils allowed to keep their phone. Another school's form, or a form the school has not put on the register,
is a 404.
"""

from dataclasses import dataclass, field
from datetime import date, datetime, timedelta

from django.db.models import Count, OuterRef, Q, QuerySet, Subquery
from django.shortcuts import get_object_or_404
from django.utils import timezone

from devices.models import DeviceSettings, PhoneException, PhoneRecord
from devices.selectors import device_settings_for
from esafety.access import SchoolAccess
from esafety.calendar import academic_year_start
from esafety.models import FormGroup, Pupil, School
from esafety.roles import Capability
from esafety.selectors import pupils_for
from esafety.terms.calendar import SchoolCalendar
from esafety.terms.selectors import school_calendar

C = Capability
Status = PhoneRecord.Status
# The days a register may be opened for: older dates, or dates beyond the calendar, are refused before any lookup.
FIRST_DAY = date(2000, 1, 1)
# An exception whose review falls within this many days is "due soon".
REVIEW_SOON_DAYS = 7


# --- The forms on the register ---------------------------------------------------------------------------------


def on_register(school: School) -> Q:
    """Forms of the year groups the school chose, and the other forms it chose: a filter of FormGroup."""
    years = DeviceSettings.register_year_groups.through.objects.filter(devicesettings__school=school).values("yeargroup_id")
    forms = DeviceSettings.register_forms.through.objects.filter(devicesettings__school=school).values("formgroup_id")
    return Q(year_group__in=years) | Q(pk__in=forms)


def register_forms_for(access: SchoolAccess) -> QuerySet[FormGroup]:
    """The active forms on the school's phone register, for those who keep it."""
    if not access.can(C.RECORD_PHONES):
        return FormGroup.objects.none()
    return (
        FormGroup.objects.for_school(access.school)
        .active()
        .filter(on_register(access.school))
        .select_related("year_group", "tutor")
        .order_by("year_group__ncy", "name")
    )


def get_register_form_or_404(access: SchoolAccess, form_id) -> FormGroup:
    return get_object_or_404(register_forms_for(access), pk=form_id)


def is_own_form(form: FormGroup, user) -> bool:
    return form.tutor is not None and form.tutor.user_id == user.pk


def calendar_around(school: School, day: date) -> SchoolCalendar:
    """The school's calendar from the academic year before `day`'s to the one after (two queries)."""
    year = academic_year_start(day)
    return school_calendar(school, year - 1, year + 1)


def previous_school_day(calendar: SchoolCalendar, day: date) -> date | None:
    """The last school day before `day`, within the calendar's years."""
    current = day - timedelta(days=1)
    first = calendar.years[0].starts_on
    while current >= first:
        if calendar.is_school_day(current):
            return current
        current -= timedelta(days=1)
    return None


@dataclass
class FormDay:
    """A form on the register on one day, as the list of today's forms shows it."""

    form: FormGroup
    own: bool
    pupils: int = 0
    counts: dict = field(default_factory=dict)
    collected: int = 0

    @property
    def recorded(self) -> int:
        return sum(self.counts.values())

    @property
    def morning_done(self) -> bool:
        return self.recorded > 0

    @property
    def handed_in(self) -> int:
        return self.counts.get(Status.HANDED_IN, 0)

    @property
    def still_held(self) -> int:
        return self.handed_in - self.collected

    @property
    def afternoon_done(self) -> bool:
        return self.morning_done and self.still_held == 0


def register_days(access: SchoolAccess, day: date) -> list[FormDay]:
    """
    The forms on the register with their day's counts, the user's own forms first: three queries whatever the
    number of forms (the forms, their pupils on roll, their records of the day).
    """
    forms = list(register_forms_for(access))
    rows = {form.pk: FormDay(form=form, own=is_own_form(form, access.user)) for form in forms}
    if not rows:
        return []
    on_roll = pupils_for(access).current(day).filter(form__in=rows.keys()).order_by().values("form_id")
    for row in on_roll.annotate(n=Count("pk")):
        rows[row["form_id"]].pupils = row["n"]
    records = PhoneRecord.objects.filter(form__in=rows.keys(), day=day).order_by().values("form_id", "status")
    for row in records.annotate(n=Count("pk"), back=Count("pk", filter=Q(collected_at__isnull=False))):
        form_day = rows[row["form_id"]]
        form_day.counts[row["status"]] = row["n"]
        form_day.collected += row["back"]
    return sorted(rows.values(), key=lambda r: (not r.own, r.form.year_group.ncy, r.form.name))


# --- One form's register for a day ----------------------------------------------------------------------------


@dataclass
class RegisterPupil:
    """A pupil's line on the register: what was saved for the day, their exception, and any phone still held."""

    pupil: Pupil
    record: PhoneRecord | None
    exception: PhoneException | None
    last_storage: str
    held: list[PhoneRecord]

    @property
    def keeps_phone(self) -> bool:
        return self.exception is not None

    @property
    def storage(self) -> str:
        """The pouch or locker to show: the day's own, or the one the pupil used last."""
        if self.record is not None and self.record.storage:
            return self.record.storage
        return self.last_storage


def form_pupils(access: SchoolAccess, form: FormGroup, day: date) -> QuerySet[Pupil]:
    """The form's pupils on roll on `day`, each with the pouch or locker they used last before it."""
    last_storage = (
        PhoneRecord.objects.filter(pupil=OuterRef("pk"), day__lte=day).exclude(storage="").order_by("-day").values("storage")[:1]
    )
    return (
        pupils_for(access)
        .current(day)
        .filter(form=form)
        .annotate(last_storage=Subquery(last_storage))
        .order_by("last_name", "first_name", "pk")
    )


@dataclass
class Register:
    """A form's register for a day: a line per pupil, and who saved it last, when (None: not saved yet)."""

    lines: list[RegisterPupil]
    saved: PhoneRecord | None

    @property
    def saved_at(self) -> datetime | None:
        return self.saved.recorded_at if self.saved else None


def register_of(access: SchoolAccess, form: FormGroup, day: date) -> Register:
    """
    The register of a form for a day, a line per pupil on roll: four queries whatever the size of the form or of
    the school's history (the pupils with their last pouch, the day's records of the form, the exceptions in force,
    the phones of earlier days still held).
    """
    pupils = list(form_pupils(access, form, day))
    ids = [pupil.pk for pupil in pupils]
    day_records = list(PhoneRecord.objects.filter(form=form, day=day).select_related("recorded_by", "collected_by"))
    records = {r.pupil_id: r for r in day_records}
    exceptions = {}
    for exception in PhoneException.objects.in_force(day).filter(pupil__in=ids).order_by("starts_on"):
        exceptions.setdefault(exception.pupil_id, exception)
    held: dict = {}
    for record in held_before(access.school, day).filter(pupil__in=ids).order_by("day"):
        held.setdefault(record.pupil_id, []).append(record)
    lines = [
        RegisterPupil(
            pupil=pupil,
            record=records.get(pupil.pk),
            exception=exceptions.get(pupil.pk),
            last_storage=pupil.last_storage or "",
            held=held.get(pupil.pk, []),
        )
        for pupil in pupils
    ]
    return Register(lines=lines, saved=max(day_records, key=lambda r: r.recorded_at, default=None))


def held_before(school: School, day: date) -> QuerySet[PhoneRecord]:
    """Phones handed in before `day` and still held (the partial index of phones held)."""
    return PhoneRecord.objects.for_school(school).not_collected().filter(day__lt=day)


def latest_recorded(form: FormGroup, day: date) -> PhoneRecord | None:
    """The form's record of the day saved last, for telling who saved the register while someone else had it open."""
    return PhoneRecord.objects.filter(form=form, day=day).select_related("recorded_by").order_by("-recorded_at").first()


def collection_of(access: SchoolAccess, form: FormGroup, day: date) -> list[PhoneRecord]:
    """
    The phones a form hands back on a day: those handed in that morning, and those of its pupils still held from
    earlier days; two queries.
    """
    today = PhoneRecord.objects.filter(form=form, day=day, status=Status.HANDED_IN).select_related("pupil", "collected_by")
    pupils = pupils_for(access).current(day).filter(form=form).values("pk")
    earlier = held_before(access.school, day).filter(pupil__in=pupils).select_related("pupil", "collected_by")
    rows = list(earlier.order_by("day")) + list(today)
    return sorted(rows, key=lambda r: (r.pupil.last_name, r.pupil.first_name, str(r.pupil.pk), r.day))


# --- Phones not collected -------------------------------------------------------------------------------------


def not_collected_cutoff(settings: DeviceSettings, now: datetime) -> date:
    """The last day whose phones count as not collected: today once the day has ended, yesterday before."""
    local = timezone.localtime(now)
    today = local.date()
    return today if local.time() >= settings.collection_time else today - timedelta(days=1)


def phones_not_collected_for(access: SchoolAccess, now: datetime | None = None) -> QuerySet[PhoneRecord]:
    """Phones handed in and still held, from days that have ended, oldest first, by form and name."""
    if not access.can(C.RECORD_PHONES):
        return PhoneRecord.objects.none()
    cutoff = not_collected_cutoff(device_settings_for(access.school), now or timezone.now())
    return (
        PhoneRecord.objects.for_school(access.school)
        .not_collected()
        .filter(day__lte=cutoff)
        .select_related("pupil", "form", "recorded_by")
        .order_by("day", "form__name", "pupil__last_name", "pupil__first_name", "pk")
    )


def get_held_record_or_404(access: SchoolAccess, record_id) -> PhoneRecord:
    """A phone handed in, for handing it back: of the user's school, collected or not (the service says which)."""
    if not access.can(C.RECORD_PHONES):
        return get_object_or_404(PhoneRecord.objects.none(), pk=record_id)
    records = PhoneRecord.objects.for_school(access.school).filter(status=Status.HANDED_IN).select_related("pupil", "form")
    return get_object_or_404(records, pk=record_id)


# --- Exceptions -------------------------------------------------------------------------------------------------


def phone_exceptions_for(access: SchoolAccess) -> QuerySet[PhoneException]:
    """Every member of staff who keeps the register knows who keeps their phone; the DSL and head manage them."""
    if not (access.can(C.RECORD_PHONES) or access.can(C.MANAGE_PHONE_EXCEPTIONS)):
        return PhoneException.objects.none()
    return PhoneException.objects.for_school(access.school).select_related("pupil", "pupil__form", "agreed_by")


def get_phone_exception_or_404(access: SchoolAccess, exception_id) -> PhoneException:
    return get_object_or_404(phone_exceptions_for(access).select_related("created_by"), pk=exception_id)


def open_exceptions(school: School) -> QuerySet[PhoneException]:
    """Exceptions not ended, of pupils still on roll (the partial index of open exceptions)."""
    today = timezone.localdate()
    return (
        PhoneException.objects.for_school(school)
        .filter(ended_on=None)
        .filter(Q(pupil__leaving_date__isnull=True) | Q(pupil__leaving_date__gt=today))
    )


def reviews_due(school: School, today: date) -> QuerySet[PhoneException]:
    """Open exceptions whose review is overdue or falls within the week."""
    return open_exceptions(school).filter(review_on__lte=today + timedelta(days=REVIEW_SOON_DAYS))


def pupil_phone_days(pupil: Pupil, limit: int = 10) -> list[PhoneRecord]:
    """The pupil's last register days, newest first (the unique index of pupil and day)."""
    return list(PhoneRecord.objects.filter(pupil=pupil).select_related("form").order_by("-day")[:limit])


def pupil_exception(pupil: Pupil, day: date) -> PhoneException | None:
    return PhoneException.objects.in_force(day).filter(pupil=pupil).select_related("agreed_by").order_by("starts_on").first()
