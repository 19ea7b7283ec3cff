"""
The school's own devices lent to staff: the register (by hand or from a CSV file), lending, returning (one device
or a whole set at once), devices lost or stolen with the possible personal-data breach, and the reminders of
loans overdue.

A school device is for its borrower's use alone; only school devices may hold pupils' personal data, and they are
encrypted before they leave the site. A lost or stolen device that holds pupils' data and is not encrypted may be a
personal-data breach: the DSL and the head teacher are told at once, because a reportable breach goes to the ICO
within 72 hours of the school becoming aware of it.
"""

from datetime import date, timedelta

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.urls import reverse
from django.utils import timezone
from simple_history.utils import bulk_create_with_history, bulk_update_with_history

from devices import device_import
from devices.models import DeviceLoan, DeviceLoss, SchoolDevice
from devices.selectors.loans import BREACH_HOURS
from esafety.history import save_with_history
from esafety.mis_import.parsing import ImportFileError
from esafety.models import School, StaffMember, User
from esafety.notifications import notify
from esafety.roles import Role
from filtering.services.changes import staff_with_roles

Status = SchoolDevice.Status
# What a device's form may set: the rest is changed by lending, returning and losing it.
DEVICE_FIELDS = (
    "asset_tag",
    "kind",
    "make",
    "model",
    "serial_number",
    "device_set",
    "is_encrypted",
    "encryption",
    "holds_pupil_data",
    "notes",
)
IMPORT_REASON = "Imported from a CSV file"


class AlreadyDone(ValidationError):
    """Someone else got there first: the message says who, when and what they did."""


def _when(moment) -> str:
    local = timezone.localtime(moment)
    if local.date() == timezone.localdate():
        return f"{local:%H:%M}"
    return f"{local:%H:%M} on {local.day} {local:%b %Y}"


def _day(day: date) -> str:
    return f"{day.day} {day:%b %Y}"


def _lock(device: SchoolDevice) -> SchoolDevice:
    """The device read again under a row lock: of two people acting on it at once, the second waits and sees the first's change."""
    return SchoolDevice.objects.select_for_update().get(pk=device.pk)


def _open_loan(device: SchoolDevice) -> DeviceLoan | None:
    return DeviceLoan.objects.out().filter(device=device).select_related("borrower", "lent_by").first()


def _out_words(loan: DeviceLoan) -> str:
    return f"Already lent to {loan.borrower} by {loan.lent_by} at {_when(loan.lent_at)}, to be returned by {_day(loan.due_on)}."


def _not_available_words(device: SchoolDevice) -> str:
    return f"{device.asset_tag} cannot be lent: it is {device.get_status_display().lower()}."


def _device_link(device: SchoolDevice) -> str:
    return reverse("devices:device_detail", args=[device.pk])


def _clean_fields(data: dict) -> dict:
    values = {name: data[name] for name in DEVICE_FIELDS if name in data}
    for name, value in values.items():
        if isinstance(value, str):
            values[name] = value.strip()
    if not values.get("is_encrypted"):
        values["encryption"] = ""
    elif not values.get("encryption"):
        raise ValidationError({"encryption": "Say how it is encrypted, e.g. BitLocker or FileVault."})
    return values


def _require_tag_free(school: School, asset_tag: str, device: SchoolDevice | None = None) -> None:
    others = SchoolDevice.objects.for_school(school).filter(asset_tag__iexact=asset_tag)
    if device is not None:
        others = others.exclude(pk=device.pk)
    if others.exists():
        raise ValidationError({"asset_tag": f"Another device already has the asset tag {asset_tag}."})


# --- The register ---------------------------------------------------------------------------------------------


@transaction.atomic
def school_device_add(*, school: School, actor: User, **data) -> SchoolDevice:
    """Add a device to the register; it starts as available."""
    values = _clean_fields(data)
    _require_tag_free(school, values["asset_tag"])
    device = SchoolDevice(school=school, status=Status.AVAILABLE, **values)
    save_with_history(device, actor=actor, reason="Added to the register")
    return device


@transaction.atomic
def school_device_change(*, device: SchoolDevice, actor: User, status: str | None = None, **data) -> SchoolDevice:
    """
    Change a device's details. Its status changes only between available and retired (a device found again after
    it was reported lost is made available): lending, returning and losing it have their own steps.
    """
    values = _clean_fields(data)
    device = _lock(device)
    _require_tag_free(device.school, values["asset_tag"], device)
    if status is not None and status != device.status:
        if status not in (Status.AVAILABLE, Status.RETIRED):
            raise ValidationError({"status": "A device is lent, returned or reported lost from its own page, not here."})
        if device.status == Status.ON_LOAN:
            raise ValidationError({"status": "The device is on loan: take it back before retiring it."})
        device.status = status
    for name, value in values.items():
        setattr(device, name, value)
    save_with_history(device, actor=actor, reason="Details changed")
    return device


# --- Lending and taking back -------------------------------------------------------------------------------------


@transaction.atomic
def device_lend(*, device: SchoolDevice, borrower: StaffMember, due_on: date, actor: User) -> DeviceLoan:
    """
    Lend an available device to one member of staff on roll, until `due_on`; they are told. A device out, lost,
    stolen or retired cannot be lent; of two people lending it at once, the second is told who has it.
    """
    today = timezone.localdate()
    if due_on < today:
        raise ValidationError({"due_on": "This date has passed: give the day it is to be returned by."})
    if borrower.school_id != device.school_id:
        raise ValidationError({"borrower": "Choose a member of your school's staff."})
    if borrower.leaving_date is not None and borrower.leaving_date <= today:
        raise ValidationError({"borrower": f"{borrower} has left the school."})
    device = _lock(device)
    out = _open_loan(device)
    if out is not None:
        raise AlreadyDone(_out_words(out))
    if device.status != Status.AVAILABLE:
        raise ValidationError(_not_available_words(device))
    loan = DeviceLoan(
        school=device.school, device=device, borrower=borrower, lent_by=actor, lent_at=timezone.now(), due_on=due_on
    )
    try:
        # The one open loan of a device is also a constraint of the database: the last word on a race.
        with transaction.atomic():
            save_with_history(loan, actor=actor, reason="Lent")
    except IntegrityError as error:
        raise AlreadyDone(f"{device.asset_tag} has just been lent by someone else.") from error
    device.status = Status.ON_LOAN
    save_with_history(device, actor=actor, reason=f"Lent to {borrower}")
    if borrower.user_id and borrower.user.is_active:
        notify(
            recipients=[borrower.user],
            school=device.school,
            title=f"You have been lent {device}: return it by {_day(due_on)}",
            body="It is for your use alone. Keep it with you or locked away, and keep pupils' data only on an encrypted "
            "school device. If it is lost or stolen, report it at once from My devices.",
            link=reverse("devices:my_devices"),
        )
    return loan


def _close(loan: DeviceLoan, *, actor: User, at, note: str) -> None:
    loan.returned_at = at
    loan.returned_to = actor
    loan.condition_note = note


@transaction.atomic
def device_return(*, device: SchoolDevice, actor: User, condition_note: str = "") -> DeviceLoan:
    """Take a device back, with a note of its condition: it is available again."""
    device = _lock(device)
    loan = _open_loan(device)
    if loan is None:
        last = DeviceLoan.objects.filter(device=device).exclude(returned_at=None).select_related("returned_to").first()
        if device.status in (Status.LOST, Status.STOLEN):
            raise AlreadyDone(f"{device.asset_tag} has been reported {device.get_status_display().lower()}.")
        if last is not None:
            raise AlreadyDone(f"Already returned: taken back by {last.returned_to} at {_when(last.returned_at)}.")
        raise ValidationError(f"{device.asset_tag} is not on loan.")
    _close(loan, actor=actor, at=timezone.now(), note=condition_note.strip())
    save_with_history(loan, actor=actor, reason="Returned")
    device.status = Status.AVAILABLE
    save_with_history(device, actor=actor, reason=f"Returned by {loan.borrower}")
    return loan


@transaction.atomic
def devices_bulk_return(
    *, school: School, devices: list[SchoolDevice], actor: User, condition_note: str = ""
) -> list[DeviceLoan]:
    """
    Take back many devices at once (a trolley at the end of the day), one note for all of them: every device is
    returned, or none is (a device taken back by someone else meanwhile is named).
    """
    if not devices:
        raise ValidationError("Choose the devices to take back.")
    if any(device.school_id != school.pk for device in devices):
        raise ValidationError("Choose devices of your school's register.")
    ids = sorted({device.pk for device in devices})
    locked = list(SchoolDevice.objects.for_school(school).select_for_update().filter(pk__in=ids).order_by("pk"))
    loans = {loan.device_id: loan for loan in DeviceLoan.objects.out().filter(device__in=ids).select_related("device")}
    not_out = sorted(device.asset_tag for device in locked if device.pk not in loans)
    if not_out:
        raise AlreadyDone(
            f"Nothing was taken back: {', '.join(not_out)} {'is' if len(not_out) == 1 else 'are'} no longer on loan "
            "(taken back or reported lost by someone else meanwhile). Choose again."
        )
    now, note = timezone.now(), condition_note.strip()
    for loan in loans.values():
        _close(loan, actor=actor, at=now, note=note)
    for device in locked:
        device.status = Status.AVAILABLE
    bulk_update_with_history(
        list(loans.values()),
        DeviceLoan,
        ["returned_at", "returned_to", "condition_note"],
        default_user=actor,
        default_change_reason="Returned with others",
    )
    bulk_update_with_history(locked, SchoolDevice, ["status"], default_user=actor, default_change_reason="Returned with others")
    return sorted(loans.values(), key=lambda loan: loan.device.asset_tag)


# --- Lost or stolen ----------------------------------------------------------------------------------------------


def breach_deadline_words(loss: DeviceLoss) -> str:
    deadline = timezone.localtime(loss.reported_at + timedelta(hours=BREACH_HOURS))
    return f"{deadline:%H:%M} on {deadline.day} {deadline:%b %Y}"


@transaction.atomic
def device_report_loss(
    *, device: SchoolDevice, actor: User, kind: str, circumstances: str, police_reference: str = "", as_borrower: bool = False
) -> DeviceLoss:
    """
    A device lost or stolen, in one step: its status says so, the loan out is closed with a note, and if it holds
    pupils' data unencrypted (a possible personal-data breach) the DSL and the head teacher are told at once, by
    e-mail too, to assess it within 72 hours. `as_borrower`: reported by its borrower, whose loan it must still be.
    """
    if kind not in DeviceLoss.Kind.values:
        raise ValidationError({"kind": "Say whether it was lost or stolen."})
    if not circumstances.strip():
        raise ValidationError({"circumstances": "Say what happened: where and when it was last seen."})
    device = _lock(device)
    if device.status in (Status.LOST, Status.STOLEN):
        earlier = DeviceLoss.objects.filter(device=device).select_related("reported_by").first()
        who = f" by {earlier.reported_by} at {_when(earlier.reported_at)}" if earlier else ""
        raise AlreadyDone(f"Already reported {device.get_status_display().lower()}{who}.")
    loan = _open_loan(device)
    if as_borrower and (loan is None or loan.borrower.user_id != actor.pk):
        raise ValidationError("This device is no longer lent to you: ask IT or the office.")
    now = timezone.now()
    kind_words = DeviceLoss.Kind(kind).label.lower()
    loss = DeviceLoss(
        school=device.school,
        device=device,
        kind=kind,
        reported_by=actor,
        reported_at=now,
        circumstances=circumstances.strip(),
        police_reference=police_reference.strip(),
        possible_breach=device.possible_breach,
    )
    save_with_history(loss, actor=actor, reason=f"Reported {kind_words}")
    if loan is not None:
        _close(loan, actor=actor, at=now, note=f"Not returned: reported {kind_words} on {timezone.localtime(now):%d/%m/%Y}.")
        save_with_history(loan, actor=actor, reason=f"Closed: reported {kind_words}")
    device.status = Status.LOST if kind == DeviceLoss.Kind.LOST else Status.STOLEN
    save_with_history(device, actor=actor, reason=f"Reported {kind_words}")
    link = reverse("devices:loss_detail", args=[loss.pk])
    if loss.possible_breach:
        notify(
            recipients=staff_with_roles(device.school, [Role.DSL, Role.HEAD]),
            school=device.school,
            title=f"Possible personal-data breach: school device {device.asset_tag} {kind_words}",
            body=f"A {device.get_kind_display().lower()} that holds pupils' personal data and is not encrypted has been "
            f"reported {kind_words}. Assess now whether it is a personal-data breach: a reportable breach must be "
            f"reported to the ICO within 72 hours, by {breach_deadline_words(loss)}. Record the assessment in the app.",
            link=link,
            email=True,
        )
    # Those who keep the register hear of a loss they did not record themselves.
    notify(
        recipients=staff_with_roles(device.school, [Role.IT, Role.OFFICE]).exclude(pk=actor.pk),
        school=device.school,
        title=f"School device {device.asset_tag} reported {kind_words} by {actor}",
        link=link,
    )
    return loss


@transaction.atomic
def device_loss_assess(*, loss: DeviceLoss, actor: User, assessment: str, reported_to_ico: bool, ico_detail: str) -> DeviceLoss:
    """The DSL's or head teacher's assessment of a possible breach: what they found, and the ICO reported to or why not."""
    if not assessment.strip():
        raise ValidationError({"assessment": "Write what you found: what data was on it and who could read it."})
    if not ico_detail.strip():
        message = "Give the ICO's reference." if reported_to_ico else "Say why it was not reported to the ICO."
        raise ValidationError({"ico_detail": message})
    loss = DeviceLoss.objects.select_for_update().get(pk=loss.pk)
    if not loss.possible_breach:
        raise ValidationError("This device was encrypted or held no pupils' data when it was lost: there is no breach to assess.")
    if loss.breach_assessed_at is not None:
        assessor = User.objects.filter(pk=loss.breach_assessed_by_id).first()
        raise AlreadyDone(f"Already assessed by {assessor or 'someone else'} at {_when(loss.breach_assessed_at)}.")
    loss.breach_outcome = assessment.strip()
    loss.reported_to_ico = reported_to_ico
    loss.ico_note = ico_detail.strip()
    loss.breach_assessed_at = timezone.now()
    loss.breach_assessed_by = actor
    save_with_history(loss, actor=actor, reason="Breach assessed")
    return loss


# --- The daily reminder of loans overdue ---------------------------------------------------------------------------


def loans_overdue_remind(*, school: School, today: date) -> int:
    """
    Loans out past their return date: the borrower (if they log in) is reminded of each, and IT told how many are
    overdue. Each loan once a day at most, however often this runs (the day is stamped on the loan first).
    Returns how many loans were reminded.
    """
    overdue = (
        DeviceLoan.objects.for_school(school)
        .out()
        .filter(due_on__lt=today)
        .exclude(reminded_on=today)
        .select_related("device", "borrower__user")
        .order_by("due_on", "pk")
    )
    reminded = 0
    for loan in overdue:
        reminded += _remind(school, loan, today)
    if reminded:
        notify(
            recipients=staff_with_roles(school, [Role.IT]),
            school=school,
            title=f"{reminded} school device loan{'' if reminded == 1 else 's'} overdue: their borrowers have been reminded",
            link=reverse("devices:device_list") + "?overdue=on",
        )
    return reminded


@transaction.atomic
def _remind(school: School, loan: DeviceLoan, today: date) -> bool:
    # Stamp first, with a condition, in the notification's transaction: two runs on the same day remind once.
    if not DeviceLoan.objects.filter(pk=loan.pk, returned_at=None).exclude(reminded_on=today).update(reminded_on=today):
        return False
    user = loan.borrower.user
    if user is not None and user.is_active:
        days = (today - loan.due_on).days
        notify(
            recipients=[user],
            school=school,
            title=f"Please return {loan.device}: it was due back on {_day(loan.due_on)}",
            body=f"It is {days} day{'' if days == 1 else 's'} overdue. Bring it back to IT or the office, or ask them for "
            "more time. If it is lost or stolen, report it at once from My devices.",
            link=reverse("devices:my_devices"),
            email=True,
        )
    return True


# --- Importing the register -----------------------------------------------------------------------------------------


@transaction.atomic
def school_devices_import(*, school: School, actor: User, text: str) -> device_import.CheckedFile:
    """
    Add the file's new devices to the register and update those it has by asset tag: every row, or none. The file
    is checked again here, against the register as it is now, and nothing is saved if any row has an error.
    """
    try:
        checked = device_import.check_file(school, text, lock=True)
    except ImportFileError as error:
        raise ValidationError(str(error)) from error
    if checked.errors:
        raise ValidationError(
            f"Nothing was imported: {checked.error_lines} row{'' if checked.error_lines == 1 else 's'} of the file "
            f"{'has' if checked.error_lines == 1 else 'have'} errors. Correct them and upload the file again."
        )
    new = [SchoolDevice(school=school, status=Status.AVAILABLE, **row.data) for row in checked.rows if row.outcome == "new"]
    changed, fields = [], set()
    for row in checked.rows:
        if row.outcome != "update":
            continue
        for name, value in row.data.items():
            if getattr(row.device, name) != value:
                setattr(row.device, name, value)
                fields.add(name)
        changed.append(row.device)
    try:
        with transaction.atomic():
            if new:
                bulk_create_with_history(new, SchoolDevice, default_user=actor, default_change_reason=IMPORT_REASON)
            if changed:
                bulk_update_with_history(
                    changed, SchoolDevice, sorted(fields), default_user=actor, default_change_reason=IMPORT_REASON
                )
    except IntegrityError as error:
        raise ValidationError(
            "Nothing was imported: a device of the file was added to the register by someone else meanwhile. "
            "Upload the file again."
        ) from error
    return checked
