"""
Every change to staff training (docs/adding-an-app.md, step 3): a course recorded by hand or imported from a CSV
file, a record corrected, the school's policy and training settings, and the reminders of training due.

Every member of staff has e-safety and safeguarding training at induction and regular refreshers (Keeping Children
Safe in Education): the e-safety lead keeps the record of who has had what, and each person is reminded when theirs
falls due.
"""

import uuid
from datetime import date, timedelta
from pathlib import PurePath

from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import UploadedFile
from django.db import IntegrityError, transaction
from django.urls import reverse
from django.utils import timezone
from simple_history.utils import bulk_create_with_history

from esafety.history import save_with_history
from esafety.mis_import.parsing import ImportFileError
from esafety.models import School, StaffMember, User
from esafety.notifications import notify
from policies import training_import
from policies.models import PolicySettings, TrainingRecord, TrainingReminder
from policies.selectors.training import Due, TrainingDue, staff_training_due

IMPORT_REASON = "Imported from a CSV file"
# Reminders go to those whose training is overdue or due within this many days, at most once a week each.
REMIND_DAYS_AHEAD = 14
REMIND_EVERY_DAYS = 7
SETTINGS_FIELDS = ("review_months", "induction_days", "refresher_months")


def _day(day: date) -> str:
    return f"{day.day} {day:%b %Y}"


def _check(*, school: School, staff_member: StaffMember, completed_on: date, expires_on: date | None) -> None:
    errors = {}
    if staff_member.school_id != school.pk:
        errors["staff_member"] = "Choose a member of your school's staff."
    if completed_on > timezone.localdate():
        errors["completed_on"] = "This date is in the future: give the day the course was completed."
    if expires_on is not None and expires_on <= completed_on:
        errors["expires_on"] = "A course expires after the day it was completed."
    if errors:
        raise ValidationError(errors)


def _require_in_post(staff_member: StaffMember) -> None:
    leaving = staff_member.leaving_date
    if leaving is not None and leaving <= timezone.localdate():
        raise ValidationError({"staff_member": f"{staff_member} has left the school: choose a member of staff in post."})


def _attach(record: TrainingRecord, certificate: UploadedFile) -> None:
    """The certificate stored under a name of its own, which says nothing of whose it is."""
    certificate.name = f"{uuid.uuid4().hex}{PurePath(certificate.name).suffix.lower()}"
    record.certificate = certificate


def _delete_after_commit(name: str, storage) -> None:
    if name:
        transaction.on_commit(lambda: storage.delete(name))


@transaction.atomic
def training_record_add(
    *,
    school: School,
    actor: User,
    staff_member: StaffMember,
    kind: str,
    course: str,
    completed_on: date,
    provider: str = "",
    expires_on: date | None = None,
    notes: str = "",
    certificate: UploadedFile | None = None,
) -> TrainingRecord:
    """Record a course a member of staff in post has completed (not in the future), with its certificate if given."""
    _check(school=school, staff_member=staff_member, completed_on=completed_on, expires_on=expires_on)
    _require_in_post(staff_member)
    record = TrainingRecord(
        school=school,
        staff_member=staff_member,
        kind=kind,
        course=course.strip(),
        provider=provider.strip(),
        completed_on=completed_on,
        expires_on=expires_on,
        notes=notes.strip(),
        recorded_by=actor,
    )
    if certificate is not None:
        _attach(record, certificate)
    save_with_history(record, actor=actor, reason="Recorded")
    return record


@transaction.atomic
def training_record_change(
    *,
    record: TrainingRecord,
    actor: User,
    staff_member: StaffMember,
    kind: str,
    course: str,
    completed_on: date,
    provider: str = "",
    expires_on: date | None = None,
    notes: str = "",
    certificate: UploadedFile | None = None,
    remove_certificate: bool = False,
) -> TrainingRecord:
    """
    Correct a record. Another member of staff may be named only if they are in post; a new certificate replaces the
    one before, and the file replaced or removed is deleted once the change is saved.
    """
    record = TrainingRecord.objects.select_for_update().get(pk=record.pk)
    _check(school=record.school, staff_member=staff_member, completed_on=completed_on, expires_on=expires_on)
    if staff_member.pk != record.staff_member_id:
        _require_in_post(staff_member)
    old_file = record.certificate.name
    record.staff_member = staff_member
    record.kind = kind
    record.course = course.strip()
    record.provider = provider.strip()
    record.completed_on = completed_on
    record.expires_on = expires_on
    record.notes = notes.strip()
    if certificate is not None:
        _attach(record, certificate)
    elif remove_certificate:
        record.certificate = ""
    save_with_history(record, actor=actor, reason="Details changed")
    if old_file and record.certificate.name != old_file:
        _delete_after_commit(old_file, record.certificate.storage)
    return record


# --- Importing past records ------------------------------------------------------------------------------------------


@transaction.atomic
def training_records_import(*, school: School, actor: User, text: str) -> training_import.CheckedFile:
    """
    Add the file's courses to the register: every row, or none. The file is checked again here, against the staff
    and the records as they are now; rows already recorded (the same person, kind, course and day) are left out, so
    that importing a file twice adds nothing the second time.
    """
    try:
        checked = training_import.check_file(school, text, lock=True)
    except ImportFileError as error:
        raise ValidationError(str(error)) from error
    if checked.errors:
        raise ValidationError(
            f"Nothing was imported: {checked.error_lines} row{'' if checked.error_lines == 1 else 's'} of the file "
            f"{'has' if checked.error_lines == 1 else 'have'} errors. Correct them and upload the file again."
        )
    records = [
        TrainingRecord(school=school, staff_member=row.staff_member, recorded_by=actor, **row.data)
        for row in checked.rows
        if not row.already
    ]
    for record in records:
        record.full_clean()
    bulk_create_with_history(records, TrainingRecord, default_user=actor, default_change_reason=IMPORT_REASON)
    return checked


# --- Settings -------------------------------------------------------------------------------------------------------


@transaction.atomic
def policy_settings_save(*, school: School, actor: User, review_months: int, induction_days: int, refresher_months: int) -> bool:
    """The school's policy and training settings; returns whether anything changed (nothing saved when not)."""
    settings = PolicySettings.objects.select_for_update().filter(school=school).first() or PolicySettings(school=school)
    values = {"review_months": review_months, "induction_days": induction_days, "refresher_months": refresher_months}
    if settings.pk and all(getattr(settings, name) == value for name, value in values.items()):
        return False
    for name, value in values.items():
        setattr(settings, name, value)
    save_with_history(settings, actor=actor, reason="Settings changed")
    return True


# --- Reminders ------------------------------------------------------------------------------------------------------


def _reminder_words(due: TrainingDue) -> tuple[str, str]:
    when = _day(due.due_on)
    if due.what == Due.INDUCTION:
        title = (
            f"Your e-safety and safeguarding induction training is overdue: it was due by {when}"
            if due.overdue
            else f"Your e-safety and safeguarding induction training is due by {when}"
        )
        body = "New staff complete it within their first weeks. Ask the e-safety lead or the DSL how to do it."
    elif due.what == Due.NEVER:
        title = "You have no e-safety or safeguarding training on record"
        body = "Every member of staff is trained, and refreshed regularly. Ask the e-safety lead which course to do."
    else:
        title = (
            f"Your e-safety and safeguarding training expired on {when}: a refresher is overdue"
            if due.overdue
            else f"Your e-safety and safeguarding training expires on {when}: a refresher is due"
        )
        body = "Ask the e-safety lead which course to do next."
    return title, body + " Once you have done it, give them your certificate so that it can be recorded."


def _remind(school: School, due: TrainingDue, today: date) -> bool:
    member = due.staff_member
    title, body = _reminder_words(due)
    try:
        with transaction.atomic():
            # One reminder a person, a subject and a day is also a constraint: the last word when two runs overlap.
            TrainingReminder.objects.create(school=school, staff_member=member, about=due.about, due_on=due.due_on, sent_on=today)
            notify(
                recipients=[member.user], school=school, title=title, body=body, link=reverse("policies:my_training"), email=True
            )
    except IntegrityError:
        return False
    return True


def training_reminders_send(school: School) -> int:
    """
    Remind each member of staff with a login whose training is overdue, or due within REMIND_DAYS_AHEAD days, at
    most once every REMIND_EVERY_DAYS days about each subject (induction, refresher). Returns how many were sent;
    a second run on the same day sends none.
    """
    today = timezone.localdate()
    ahead = today + timedelta(days=REMIND_DAYS_AHEAD)
    recent = set(
        TrainingReminder.objects.for_school(school)
        .filter(sent_on__gt=today - timedelta(days=REMIND_EVERY_DAYS))
        .values_list("staff_member_id", "about")
    )
    sent = 0
    for due in staff_training_due(school, today):
        user = due.staff_member.user
        if user is None or not user.is_active or due.due_on > ahead:
            continue
        if (due.staff_member.pk, due.about) in recent:
            continue
        sent += _remind(school, due, today)
    return sent
