"""
The daily phone register: the morning's register of a form, the afternoon's handing back, the end-of-day list
of phones not collected, the pupils allowed to keep their phone (the DfE guidance's young carers and medical
needs) and their reviews; and the school's device settings.
"""

from collections import Counter
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Count, Q
from django.urls import reverse
from django.utils import timezone
from simple_history.utils import bulk_create_with_history, bulk_update_with_history

from devices.models import DeviceSettings, PhoneException, PhoneRecord
from devices.selectors.phones import (
    FIRST_DAY,
    calendar_around,
    latest_recorded,
    on_register,
    reviews_due,
)
from esafety.history import save_with_history
from esafety.models import FormGroup, Pupil, School, StaffMember, User, YearGroup
from esafety.notifications import notify
from esafety.roles import Capability, Role, capabilities_for
from esafety.terms.calendar import SchoolCalendar

Status = PhoneRecord.Status
# The longest a pouch or locker number may be (PhoneRecord.storage).
STORAGE_LENGTH = PhoneRecord._meta.get_field("storage").max_length


class AlreadyDone(ValidationError):
    """Someone else got there first: the message says who, when and what they did."""


def day_words(day: date) -> str:
    """A day inside a sentence: "Tue 24 Nov 2026"."""
    return f"{day:%a} {day.day} {day:%b %Y}"


def time_words(moment: datetime) -> str:
    local = timezone.localtime(moment)
    if local.date() == timezone.localdate():
        return f"{local:%H:%M}"
    return f"{local:%H:%M} on {day_words(local.date())}"


def register_day_refusal(calendar: SchoolCalendar | None, day: date, today: date) -> str | None:
    """Why there can be no register on `day` (a day to come, a day the school is closed), or None."""
    if day < FIRST_DAY:
        return f"Choose a day from {day_words(FIRST_DAY)}."
    if day > today:
        return f"{day_words(day)} has not come yet: the register is kept on the day itself."
    reason = calendar.day_off_reason(day) if calendar is not None else None
    if reason:
        return f"There is no phone register on {day_words(day)}: it is not a school day ({reason.lower()})."
    return None


def _require_register_day(school: School, day: date) -> None:
    today = timezone.localdate()
    calendar = calendar_around(school, day) if FIRST_DAY <= day <= today else None
    if refusal := register_day_refusal(calendar, day, today):
        raise ValidationError(refusal)


def _lock_register_form(form: FormGroup) -> FormGroup:
    """
    The form read again under a row lock, on the register: two people saving one form's day at once are taken in
    turn, so that the second finds the first's records instead of making them again.
    """
    school = form.school
    locked = FormGroup.objects.select_for_update().filter(pk=form.pk, is_active=True).filter(on_register(school)).first()
    if locked is None:
        raise ValidationError(f"{form.name} is not on the phone register.")
    locked.school = school
    return locked


# --- The morning's register ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class RegisterRow:
    """One pupil's line as recorded: handed in (with where it is kept), no phone, absent, or keeps it (exception)."""

    pupil: Pupil
    status: str
    storage: str = ""


@dataclass
class RegisterSaved:
    counts: Counter = field(default_factory=Counter)
    created: int = 0
    changed: int = 0

    @property
    def summary(self) -> str:
        handed_in = self.counts[Status.HANDED_IN]
        parts = [f"{handed_in} phone{'s' if handed_in != 1 else ''} handed in"]
        if self.counts[Status.NOT_HANDED_IN]:
            parts.append(f"{self.counts[Status.NOT_HANDED_IN]} with no phone handed in")
        if self.counts[Status.ABSENT]:
            parts.append(f"{self.counts[Status.ABSENT]} absent")
        if self.counts[Status.KEEPS]:
            keeps = self.counts[Status.KEEPS]
            parts.append(f"{keeps} {'keeps their phone' if keeps == 1 else 'keep their phones'}")
        return ", ".join(parts)


class RegisterChanged(AlreadyDone):
    """Someone else saved the register while the page was open: nothing was saved, and this says who and when."""

    def __init__(self, message: str, latest: datetime):
        super().__init__(message)
        self.latest = latest


def _row_problems(rows, pupils, exceptions) -> dict[str, list[str]]:
    problems: dict[str, list[str]] = {}
    seen = set()

    def problem(pupil, message):
        problems.setdefault(str(pupil.pk), []).append(message)

    for row in rows:
        pupil = row.pupil
        if pupil.pk not in pupils:
            problem(pupil, f"{pupil.full_name} is not on roll in this form on this day: reload the register.")
            continue
        if pupil.pk in seen:
            problem(pupil, f"{pupil.full_name} is on the register twice.")
        seen.add(pupil.pk)
        if row.status not in Status.values:
            problem(pupil, f"Choose handed in, absent or no phone for {pupil.full_name}.")
            continue
        exception = exceptions.get(pupil.pk)
        if exception is not None and row.status not in (Status.KEEPS, Status.ABSENT):
            problem(
                pupil,
                f"{pupil.full_name} keeps their phone ({exception.get_reason_display().lower()}): "
                "they are recorded as keeping it, or as absent.",
            )
        if exception is None and row.status == Status.KEEPS:
            problem(pupil, f"{pupil.full_name} has no phone exception on this day: tick handed in, or leave it unticked.")
        if len(row.storage.strip()) > STORAGE_LENGTH:
            problem(pupil, f"A pouch or locker number has at most {STORAGE_LENGTH} characters.")
    return problems


@transaction.atomic
def phone_register_record(
    *,
    form: FormGroup,
    day: date,
    rows: list[RegisterRow],
    actor: User,
    seen: datetime | None = None,
) -> RegisterSaved:
    """
    A form's morning register for a day, from one screen: every row is checked first, then all are saved with
    their history, or none (a ValidationError keyed by pupil id says what is wrong with each row). Saving the day
    again changes the records that differ, and leaves the others alone. Refused on a day to come or a day the
    school is closed.

    `seen` is when the register shown was saved last (None: it had not been): if someone else has saved it since,
    nothing is saved and RegisterChanged says who, so that their ticks are not overwritten unseen.
    """
    form = _lock_register_form(form)
    school = form.school
    _require_register_day(school, day)
    now = timezone.now()
    latest = latest_recorded(form, day)
    if latest is not None and latest.recorded_by_id != actor.pk and (seen is None or latest.recorded_at > seen):
        raise RegisterChanged(
            f"{latest.recorded_by} saved this register at {time_words(latest.recorded_at)}, while you had it open. "
            "Nothing of yours was saved: what they saved is shown beside each pupil. Check your ticks and save again.",
            latest.recorded_at,
        )
    ids = [row.pupil.pk for row in rows]
    pupils = set(Pupil.objects.for_school(school).current(day).filter(form=form, pk__in=ids).values_list("pk", flat=True))
    exceptions = {e.pupil_id: e for e in PhoneException.objects.in_force(day).filter(pupil__in=ids).order_by("-starts_on")}
    if problems := _row_problems(rows, pupils, exceptions):
        raise ValidationError(problems)

    existing = {r.pupil_id: r for r in PhoneRecord.objects.select_for_update().filter(day=day, pupil__in=ids)}
    saved = RegisterSaved()
    new, changed = [], []
    for row in rows:
        storage = row.storage.strip() if row.status == Status.HANDED_IN else ""
        saved.counts[row.status] += 1
        record = existing.get(row.pupil.pk)
        if record is None:
            new.append(
                PhoneRecord(
                    school=school,
                    pupil=row.pupil,
                    day=day,
                    form=form,
                    status=row.status,
                    storage=storage,
                    recorded_by=actor,
                    recorded_at=now,
                )
            )
            continue
        if (record.status, record.storage, record.form_id) == (row.status, storage, form.pk):
            continue
        if row.status != Status.HANDED_IN:
            # Corrected to absent or no phone: there was nothing to hand back.
            record.collected_at, record.collected_by = None, None
        record.status, record.storage, record.form = row.status, storage, form
        record.recorded_by, record.recorded_at = actor, now
        changed.append(record)
    if new:
        bulk_create_with_history(new, PhoneRecord, default_user=actor, default_change_reason="Morning register")
    if changed:
        bulk_update_with_history(
            changed,
            PhoneRecord,
            fields=["status", "storage", "form", "recorded_by", "recorded_at", "collected_at", "collected_by"],
            default_user=actor,
            default_change_reason="Morning register changed",
        )
    saved.created, saved.changed = len(new), len(changed)
    return saved


# --- Handing phones back ---------------------------------------------------------------------------------------


@dataclass
class Collected:
    handed_back: int = 0
    already: list[PhoneRecord] = field(default_factory=list)

    @property
    def summary(self) -> str:
        words = f"{self.handed_back} phone{'s' if self.handed_back != 1 else ''} handed back"
        if self.already:
            names = ", ".join(f"{r.pupil.full_name} (by {r.collected_by} at {time_words(r.collected_at)})" for r in self.already)
            words += f"; already handed back: {names}"
        return words


@transaction.atomic
def phone_register_collect(*, form: FormGroup, day: date, records: list[int], actor: User) -> Collected:
    """
    The afternoon: the phones of a form handed back, from one screen. Each must be a phone handed in by the form
    that day, or by one of its pupils on an earlier day and still held; all are recorded, or none. A phone someone
    else handed back meanwhile is left as they recorded it, and named in the result.
    """
    form = _lock_register_form(form)
    school = form.school
    _require_register_day(school, day)
    wanted = set(records)
    found = {
        r.pk: r
        for r in PhoneRecord.objects.select_for_update(of=("self",))
        .filter(pk__in=wanted, status=Status.HANDED_IN)
        .select_related("pupil", "collected_by")
    }
    problems = []
    for pk in sorted(wanted):
        record = found.get(pk)
        ours = record is not None and (
            (record.form_id == form.pk and record.day == day) or (record.day < day and record.pupil.form_id == form.pk)
        )
        if not ours:
            problems.append("One of these phones is not one of this form's to hand back: reload the page.")
            break
    if problems:
        raise ValidationError(problems)
    result = Collected()
    now = timezone.now()
    to_save = []
    for record in found.values():
        if record.collected_at is not None:
            result.already.append(record)
            continue
        record.collected_at, record.collected_by = now, actor
        to_save.append(record)
    if to_save:
        bulk_update_with_history(
            to_save, PhoneRecord, fields=["collected_at", "collected_by"], default_user=actor, default_change_reason="Handed back"
        )
    result.handed_back = len(to_save)
    result.already.sort(key=lambda r: (r.pupil.last_name, r.pupil.first_name))
    return result


@transaction.atomic
def phone_record_collect(*, record: PhoneRecord, actor: User) -> PhoneRecord:
    """One phone handed back (from the list of phones not collected); only once."""
    record = PhoneRecord.objects.select_for_update(of=("self",)).select_related("pupil").get(pk=record.pk)
    if record.status != Status.HANDED_IN:
        raise ValidationError(f"{record.pupil.full_name} did not hand a phone in on {day_words(record.day)}.")
    if record.collected_at is not None:
        raise AlreadyDone(
            f"{record.pupil.full_name}'s phone was already handed back by {record.collected_by} at "
            f"{time_words(record.collected_at)}."
        )
    record.collected_at, record.collected_by = timezone.now(), actor
    save_with_history(record, actor=actor, reason="Handed back")
    return record


# --- The end of the day -----------------------------------------------------------------------------------------


def _users_with_roles(school: School, roles) -> list[User]:
    return list(
        User.objects.filter(is_active=True, memberships__school=school, memberships__role__in=roles)
        .distinct()
        .order_by("full_name")
    )


@transaction.atomic
def phones_not_collected_notify(*, school: School, now: datetime) -> int:
    """
    Once a school day, after the school's end of the day: the office hears how many phones are still held (today's
    and any from earlier days), and each tutor how many of their own form's. The day is stamped with a conditional
    UPDATE first, so that two runs, even at once, send it once. Returns how many notifications were sent.
    """
    local = timezone.localtime(now)
    today = local.date()
    settings = DeviceSettings.objects.get(school=school)
    if local.time() < settings.collection_time:
        return 0
    if not calendar_around(school, today).is_school_day(today):
        return 0
    stamped = DeviceSettings.objects.filter(pk=settings.pk).exclude(not_collected_listed_on=today)
    if not stamped.update(not_collected_listed_on=today):
        return 0
    held = PhoneRecord.objects.for_school(school).not_collected().filter(day__lte=today)
    by_form = {row["form_id"]: row["n"] for row in held.order_by().values("form_id").annotate(n=Count("pk"))}
    total = sum(by_form.values())
    if not total:
        return 0
    link = reverse("devices:phone_not_collected")
    sent = notify(
        recipients=_users_with_roles(school, [Role.OFFICE]),
        school=school,
        title=f"{total} phone{'s' if total != 1 else ''} not collected at the end of the day",
        body="Phones handed in and not yet handed back. Open the list to see whose, and mark them as collected.",
        link=link,
    )
    forms = list(
        FormGroup.objects.for_school(school)
        .filter(pk__in=[pk for pk in by_form if pk], tutor__user__isnull=False)
        .filter(Q(tutor__leaving_date=None) | Q(tutor__leaving_date__gt=today))
        .select_related("tutor")
    )
    # Tutors who still work at the school (a login of theirs may have moved on).
    tutors = User.objects.filter(is_active=True, memberships__school=school).in_bulk({form.tutor.user_id for form in forms})
    for form in forms:
        tutor = tutors.get(form.tutor.user_id)
        if tutor is None:
            continue
        count = by_form[form.pk]
        sent += notify(
            recipients=[tutor],
            school=school,
            title=f"{form.name}: {count} phone{'s' if count != 1 else ''} not collected at the end of the day",
            body="Phones your form handed in and has not had back.",
            link=f"{link}?form={form.pk}",
        )
    return len(sent)


# --- Pupils who keep their phone ------------------------------------------------------------------------------


def _check_exception(exception: PhoneException, today: date) -> None:
    school = exception.school
    problems: dict[str, str] = {}
    pupil = exception.pupil
    if pupil.school_id != school.pk or (pupil.leaving_date is not None and pupil.leaving_date <= today):
        problems["pupil"] = "Choose a pupil on roll at your school."
    agreed_by = exception.agreed_by
    if agreed_by.school_id != school.pk or (agreed_by.leaving_date is not None and agreed_by.leaving_date <= today):
        problems["agreed_by"] = "Choose a member of staff at your school."
    if exception.review_on < exception.starts_on:
        problems["review_on"] = "The review must be on or after the day the exception starts."
    elif exception.review_on < today and exception.ended_on is None:
        problems["review_on"] = "The review date has passed: give a date from today."
    if not exception.detail.strip():
        problems["detail"] = "Say why, and what the phone is for."
    if "pupil" not in problems:
        others = PhoneException.objects.filter(pupil=pupil, ended_on=None).exclude(pk=exception.pk).first()
        if others is not None:
            problems["pupil"] = (
                f"{pupil.full_name} already keeps their phone ({others.get_reason_display().lower()}, from "
                f"{day_words(others.starts_on)}): change or end that exception instead."
            )
    if problems:
        raise ValidationError(problems)


@transaction.atomic
def phone_exception_agree(
    *,
    school: School,
    pupil: Pupil,
    reason: str,
    detail: str,
    agreed_by: StaffMember,
    starts_on: date,
    review_on: date,
    actor: User,
) -> PhoneException:
    """A pupil allowed to keep their phone during the day, who agreed it, and when it is next reviewed."""
    # One pupil's exceptions are agreed one at a time: the check for another one open holds.
    Pupil.objects.select_for_update().filter(pk=pupil.pk).first()
    exception = PhoneException(
        school=school,
        pupil=pupil,
        reason=reason,
        detail=detail.strip(),
        agreed_by=agreed_by,
        starts_on=starts_on,
        review_on=review_on,
        created_by=actor,
    )
    _check_exception(exception, timezone.localdate())
    save_with_history(exception, actor=actor, reason="Agreed")
    return exception


def _lock_exception(exception: PhoneException) -> PhoneException:
    return PhoneException.objects.select_for_update(of=("self",)).select_related("pupil", "agreed_by").get(pk=exception.pk)


def _require_open(exception: PhoneException) -> None:
    if exception.ended_on is not None:
        raise AlreadyDone(f"This exception ended on {day_words(exception.ended_on)}: agree a new one if it is needed again.")


@transaction.atomic
def phone_exception_change(
    *,
    exception: PhoneException,
    reason: str,
    detail: str,
    agreed_by: StaffMember,
    starts_on: date,
    review_on: date,
    actor: User,
) -> PhoneException:
    """Correct or update an exception still open: its reason, details, who agreed it, its dates."""
    exception = _lock_exception(exception)
    _require_open(exception)
    exception.reason, exception.detail, exception.agreed_by = reason, detail.strip(), agreed_by
    exception.starts_on, exception.review_on = starts_on, review_on
    _check_exception(exception, timezone.localdate())
    save_with_history(exception, actor=actor, reason="Changed")
    return exception


@transaction.atomic
def phone_exception_review(*, exception: PhoneException, review_on: date, note: str = "", actor: User) -> PhoneException:
    """The exception reviewed and kept, with the date of its next review (its reminders start again from it)."""
    exception = _lock_exception(exception)
    _require_open(exception)
    today = timezone.localdate()
    if review_on <= today:
        raise ValidationError({"review_on": "The next review must be after today."})
    if review_on > today + timedelta(days=366):
        raise ValidationError({"review_on": "Review it at least once a year: give a date within a year."})
    exception.review_on = review_on
    exception.reviewed_at = timezone.now()
    exception.reminded_on = None
    note = note.strip()
    save_with_history(exception, actor=actor, reason=f"Reviewed: {note}" if note else "Reviewed")
    return exception


@transaction.atomic
def phone_exception_end(*, exception: PhoneException, ended_on: date, note: str = "", actor: User) -> PhoneException:
    """The pupil hands their phone in again from `ended_on`."""
    exception = _lock_exception(exception)
    _require_open(exception)
    if ended_on > timezone.localdate():
        raise ValidationError({"ended_on": "Give today or a day that has passed: end it on the day it stops."})
    if ended_on < exception.starts_on:
        raise ValidationError({"ended_on": f"It cannot end before it started ({day_words(exception.starts_on)})."})
    exception.ended_on = ended_on
    note = note.strip()
    save_with_history(exception, actor=actor, reason=f"Ended: {note}" if note else "Ended")
    return exception


def _managers(school: School) -> list[User]:
    roles = [role for role in Role if Capability.MANAGE_PHONE_EXCEPTIONS in capabilities_for([role])]
    return _users_with_roles(school, roles)


def phone_exception_reviews_remind(*, school: School, today: date) -> int:
    """
    Exceptions whose review is overdue or due within a week: the DSL and the head teacher are reminded, at most once
    a week for each (the day is stamped on it with a conditional UPDATE, in the reminder's transaction). Returns how
    many exceptions they were reminded of.
    """
    week_ago = today - timedelta(days=7)
    due = (
        reviews_due(school, today)
        .filter(Q(reminded_on=None) | Q(reminded_on__lte=week_ago))
        .select_related("pupil")
        .order_by("review_on", "pk")
    )
    managers = _managers(school)
    reminded = 0
    for exception in due:
        reminded += _remind(school, exception, managers, today, week_ago)
    return reminded


@transaction.atomic
def _remind(school: School, exception: PhoneException, managers: list[User], today: date, week_ago: date) -> bool:
    not_lately = Q(reminded_on=None) | Q(reminded_on__lte=week_ago)
    if not PhoneException.objects.filter(not_lately, pk=exception.pk).update(reminded_on=today):
        return False
    when = "was due" if exception.review_on < today else "is due"
    notify(
        recipients=managers,
        school=school,
        title=f"The phone exception of {exception.pupil.full_name} {when} for review on {day_words(exception.review_on)}",
        body="Review it with the pupil and their parents or carers, then record the review or end the exception.",
        link=reverse("devices:phone_exception_detail", args=[exception.pk]),
        email=True,
    )
    return True


# --- The school's device settings -------------------------------------------------------------------------------

EARLIEST_END, LATEST_END = time(11, 0), time(20, 0)


def _names(rows) -> str:
    return ", ".join(str(row) for row in rows) or "none"


@transaction.atomic
def device_settings_save(
    *,
    school: School,
    register_year_groups: list[YearGroup],
    register_forms: list[FormGroup],
    collection_time: time,
    confiscation_limit_days: int,
    images_deadline_hours: int,
    access_review_months: int,
    actor: User,
) -> bool:
    """The school's choices for devices, with one history entry that says what changed. Returns whether anything did."""
    settings = DeviceSettings.objects.select_for_update().get(school=school)
    problems = {}
    if any(year.school_id != school.pk for year in register_year_groups):
        problems["register_year_groups"] = "Choose year groups of your school."
    if any(form.school_id != school.pk or not form.is_active for form in register_forms):
        problems["register_forms"] = "Choose forms of your school that are in use."
    if not EARLIEST_END <= collection_time <= LATEST_END:
        problems["collection_time"] = f"Give a time between {EARLIEST_END:%H:%M} and {LATEST_END:%H:%M}."
    if not 1 <= confiscation_limit_days <= 30:
        problems["confiscation_limit_days"] = "Give a number of school days from 1 to 30."
    if not 1 <= images_deadline_hours <= 168:
        problems["images_deadline_hours"] = "Give a number of hours from 1 to 168 (a week)."
    if not 1 <= access_review_months <= 12:
        problems["access_review_months"] = "Review access rights at least once a year: give 1 to 12 months."
    if problems:
        raise ValidationError(problems)

    years_before = set(settings.register_year_groups.values_list("pk", flat=True))
    forms_before = set(settings.register_forms.values_list("pk", flat=True))
    years_after = {year.pk for year in register_year_groups}
    forms_after = {form.pk for form in register_forms}
    values = {
        "collection_time": collection_time,
        "confiscation_limit_days": confiscation_limit_days,
        "images_deadline_hours": images_deadline_hours,
        "access_review_months": access_review_months,
    }
    fields_changed = any(getattr(settings, name) != value for name, value in values.items())
    if not fields_changed and years_before == years_after and forms_before == forms_after:
        return False
    said = []
    if years_before != years_after:
        chosen = sorted(register_year_groups, key=lambda y: y.ncy)
        said.append(f"year groups on the phone register: {_names(chosen)}")
    if forms_before != forms_after:
        said.append(f"other forms on the phone register: {_names(sorted(register_forms, key=lambda f: f.name))}")
    # The lists are set without history rows of their own: the one entry below holds them.
    settings.skip_history_when_saving = True
    try:
        settings.register_year_groups.set(register_year_groups)
        settings.register_forms.set(register_forms)
    finally:
        del settings.skip_history_when_saving
    for name, value in values.items():
        setattr(settings, name, value)
    save_with_history(settings, actor=actor, reason=("Changed " + "; ".join(said)) if said else "Settings changed")
    return True
