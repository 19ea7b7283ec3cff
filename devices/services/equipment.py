"""
Personal equipment used with pupils (a member of staff's own camera on a residential trip): only with the head
teacher's permission, and its images are moved to school systems and deleted from the device afterwards, within
the school's deadline (DeviceSettings.images_deadline_hours after the last day).
"""

from datetime import UTC, date, datetime, time, timedelta

from django.core.exceptions import ValidationError
from django.db import transaction
from django.urls import reverse
from django.utils import timezone

from devices.models import EquipmentPermission
from devices.selectors import device_settings_for
from esafety.history import save_with_history
from esafety.models import Pupil, School, User
from esafety.notifications import notify
from esafety.roles import Role
from filtering.services.changes import AlreadyDone, staff_with_roles, when_words

Status = EquipmentPermission.Status


def _link(permission: EquipmentPermission) -> str:
    return reverse("devices:equipment_detail", args=[permission.pk])


def _day(value: date) -> str:
    return f"{value.day} {value:%b %Y}"


def _moment(value: datetime) -> str:
    local = timezone.localtime(value)
    return f"{local:%H:%M} on {local.day} {local:%b %Y}"


def _lock(permission: EquipmentPermission) -> EquipmentPermission:
    """The request read again under a row lock: of two people acting at once, the second waits and sees the first's step."""
    return EquipmentPermission.objects.select_for_update().get(pk=permission.pk)


def settled_words(permission: EquipmentPermission) -> str:
    """What someone is told who acts on a request that is no longer waiting (a page left open)."""
    if permission.status == Status.WITHDRAWN:
        return f"{permission.requested_by} has withdrawn this request."
    when = when_words(permission.decided_at or permission.requested_at)
    return f"Already decided by {permission.decided_by or 'someone else'} at {when}: {permission.get_status_display()}."


def images_due_at_for(ends_on: date, hours: int) -> datetime:
    """The images' deadline: the end of the last day (local midnight after it) and then the school's hours, as they pass."""
    midnight = timezone.make_aware(datetime.combine(ends_on + timedelta(days=1), time.min))
    return (midnight.astimezone(UTC) + timedelta(hours=hours)).astimezone(midnight.tzinfo)


def _heads(school: School):
    return staff_with_roles(school, [Role.HEAD])


@transaction.atomic
def equipment_permission_request(
    *,
    school: School,
    actor: User,
    equipment: str,
    purpose: str,
    starts_on: date,
    ends_on: date,
    pupils: list[Pupil],
) -> EquipmentPermission:
    """Ask the head teacher to use personal equipment with pupils; the head teachers are told."""
    errors = {}
    if not equipment.strip():
        errors["equipment"] = "Say which equipment you will use, e.g. my phone's camera."
    if not purpose.strip():
        errors["purpose"] = "Say what it is for: the trip or activity, and why school equipment will not do."
    if starts_on < timezone.localdate():
        errors["starts_on"] = "This day has passed: permission is asked before the equipment is used."
    if ends_on < starts_on:
        errors["ends_on"] = "The last day cannot be before the first."
    today = timezone.localdate()
    if not pupils:
        errors["pupils"] = "Choose the pupils, by form or one by one."
    else:
        wanted = {pupil.pk for pupil in pupils}
        on_roll = Pupil.objects.for_school(school).current(today).filter(pk__in=wanted).count()
        if any(pupil.school_id != school.pk for pupil in pupils) or on_roll != len(wanted):
            errors["pupils"] = "Choose pupils on roll at your school."
    if errors:
        raise ValidationError(errors)
    permission = EquipmentPermission(
        school=school,
        requested_by=actor,
        equipment=equipment.strip(),
        purpose=purpose.strip(),
        starts_on=starts_on,
        ends_on=ends_on,
    )
    save_with_history(permission, actor=actor, reason="Asked")
    permission.pupils.set(pupils)
    notify(
        recipients=_heads(school).exclude(pk=actor.pk),
        school=school,
        title=f"{actor} asks to use personal equipment with pupils",
        body=f"{permission.equipment}, {_day(starts_on)} to {_day(ends_on)}. Open the app to check photo consents and decide.",
        link=_link(permission),
        email=True,
    )
    return permission


@transaction.atomic
def equipment_permission_decide(
    *, permission: EquipmentPermission, actor: User, approve: bool, note: str = ""
) -> EquipmentPermission:
    """
    The head teacher approves or declines a request waiting for a decision, not their own, and only once. Approval
    sets the images' deadline; the requester is told.
    """
    if not approve and not note.strip():
        raise ValidationError({"note": "Say why it is declined."})
    permission = _lock(permission)
    if permission.status != Status.REQUESTED:
        raise AlreadyDone(settled_words(permission))
    if permission.requested_by_id == actor.pk:
        raise ValidationError("You asked for this yourself, so another head teacher must decide it.")
    if approve and permission.ends_on < timezone.localdate():
        raise ValidationError("The dates of this request have passed: it can only be declined.")
    permission.decided_by = actor
    permission.decided_at = timezone.now()
    permission.decision_note = note.strip()
    if approve:
        hours = device_settings_for(permission.school).images_deadline_hours
        permission.status = Status.APPROVED
        permission.images_due_at = images_due_at_for(permission.ends_on, hours)
        save_with_history(permission, actor=actor, reason="Approved by the head teacher")
        title = f"Your use of {permission.equipment} with pupils is approved"
        body = (
            f"Move the images to school systems and delete them from the device by {_moment(permission.images_due_at)}, "
            "then confirm it in the app."
        )
    else:
        permission.status = Status.DECLINED
        save_with_history(permission, actor=actor, reason="Declined by the head teacher")
        title = f"Your use of {permission.equipment} with pupils is declined"
        body = "Use school equipment instead. The head teacher's note is in the app."
    notify(
        recipients=[permission.requested_by], school=permission.school, title=title, body=body, link=_link(permission), email=True
    )
    return permission


@transaction.atomic
def equipment_permission_withdraw(*, permission: EquipmentPermission, actor: User) -> EquipmentPermission:
    """Whoever asked withdraws the request while it waits for the head teacher."""
    permission = _lock(permission)
    if permission.requested_by_id != actor.pk:
        raise ValidationError(f"Only {permission.requested_by}, who asked, can withdraw this request.")
    if permission.status != Status.REQUESTED:
        raise AlreadyDone(settled_words(permission))
    permission.status = Status.WITHDRAWN
    save_with_history(permission, actor=actor, reason="Withdrawn")
    return permission


def images_confirm_refusal(permission: EquipmentPermission, actor: User) -> ValidationError | None:
    """Why `actor` cannot confirm this request's images now, or None when they can."""
    if permission.requested_by_id != actor.pk:
        return ValidationError(f"Only {permission.requested_by}, who used the equipment, can confirm this.")
    if permission.status == Status.DONE:
        return AlreadyDone(f"Already confirmed at {when_words(permission.images_confirmed_at)}.")
    if permission.status != Status.APPROVED:
        return ValidationError(
            f"Only an approved use of equipment has images to confirm; this one is: {permission.get_status_display().lower()}."
        )
    if permission.starts_on > timezone.localdate():
        return ValidationError(f"The period starts on {_day(permission.starts_on)}: confirm once the images have been taken.")
    return None


@transaction.atomic
def equipment_images_confirm(*, permission: EquipmentPermission, actor: User, where: str) -> EquipmentPermission:
    """
    Whoever used the equipment confirms that its images are moved to school systems (where) and deleted from the
    device, once the period has started. The head teachers are told if it had been escalated to them.
    """
    if not where.strip():
        raise ValidationError({"where": "Say where on the school's systems the images are now."})
    permission = _lock(permission)
    if (refusal := images_confirm_refusal(permission, actor)) is not None:
        raise refusal
    permission.status = Status.DONE
    permission.images_confirmed_at = timezone.now()
    permission.images_note = where.strip()
    save_with_history(permission, actor=actor, reason="Images moved and deleted")
    if permission.escalated_at is not None:
        notify(
            recipients=_heads(permission.school).exclude(pk=actor.pk),
            school=permission.school,
            title=f"{actor} has now moved and deleted the images from {permission.equipment}",
            link=_link(permission),
        )
    return permission


# --- The daily reminder --------------------------------------------------------------------------------------


@transaction.atomic
def _escalate(permission: EquipmentPermission, now: datetime) -> int:
    """Tell the head teachers, once: a locked re-read, so that two runs at once escalate once."""
    permission = _lock(permission)
    if permission.escalated_at is not None or permission.status != Status.APPROVED or permission.images_confirmed_at:
        return 0
    permission.escalated_at = now
    save_with_history(permission, actor=None, reason="Images overdue: escalated to the head teacher")
    sent = notify(
        recipients=_heads(permission.school).exclude(pk=permission.requested_by_id),
        school=permission.school,
        title=f"Images not yet deleted: {permission.requested_by}'s {permission.equipment}",
        body=f"They were due to be moved to school systems and deleted from the device by {_moment(permission.images_due_at)}.",
        link=_link(permission),
        email=True,
    )
    return len(sent)


@transaction.atomic
def _remind(permission: EquipmentPermission, now: datetime, today: date) -> int:
    """Remind whoever used the equipment, once a day: the day is stamped first, with a condition."""
    stamped = (
        EquipmentPermission.objects.filter(pk=permission.pk, status=Status.APPROVED, images_confirmed_at=None)
        .exclude(reminded_on=today)
        .update(reminded_on=today)
    )
    if not stamped:
        return 0
    due = _moment(permission.images_due_at)
    if now >= permission.images_due_at:
        title = f"Overdue: move the images from {permission.equipment} to school systems and delete them"
        body = f"They were due by {due}, and the head teacher has been told. Do it now, then confirm it in the app."
    else:
        title = f"Move the images from {permission.equipment} to school systems and delete them by {due}"
        body = "Then confirm it in the app, with where the images are now."
    sent = notify(
        recipients=[permission.requested_by], school=permission.school, title=title, body=body, link=_link(permission), email=True
    )
    return len(sent)


def equipment_images_remind(*, school: School, now: datetime) -> int:
    """
    Approved uses of personal equipment whose last day has passed and whose images are not confirmed moved and
    deleted: whoever used it is reminded once a day; past the deadline the head teachers are told, once. Returns how
    many notifications were sent; a second run the same day sends none.
    """
    today = timezone.localdate(now)
    sent = 0
    outstanding = (
        EquipmentPermission.objects.for_school(school)
        .images_outstanding()
        .filter(ends_on__lt=today)
        .select_related("requested_by", "school")
        .order_by("images_due_at", "pk")
    )
    for permission in outstanding:
        if now >= permission.images_due_at and permission.escalated_at is None:
            sent += _escalate(permission, now)
        sent += _remind(permission, now, today)
    return sent
