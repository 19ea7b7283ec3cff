"""
What each user may see of the school's own devices lent to staff: IT and the office keep the register; every member
of staff sees the devices lent to them; the DSL and the head teacher see the devices reported lost or stolen, to
assess whether the loss is a personal-data breach. Another school's record, or one outside the user's reach, is a 404.
"""

from dataclasses import dataclass
from datetime import date, datetime, timedelta

from django.db.models import Exists, OuterRef, Prefetch, Q, QuerySet
from django.shortcuts import get_object_or_404
from django.utils import timezone

from devices.models import DeviceLoan, DeviceLoss, SchoolDevice
from esafety.access import SchoolAccess
from esafety.roles import Capability

C = Capability
# The ICO must be told of a reportable personal-data breach within 72 hours of the school becoming aware of it.
BREACH_HOURS = 72
# Leavers show on IT's home page from this many days before their last day.
LEAVING_SOON_DAYS = 14


def devices_for(access: SchoolAccess) -> QuerySet[SchoolDevice]:
    """The register of the school's devices: for those who keep it (IT, the office)."""
    if not access.can(C.LEND_DEVICES):
        return SchoolDevice.objects.none()
    return SchoolDevice.objects.for_school(access.school)


def _open_loans() -> Prefetch:
    """Each device's loan still out (at most one), with its borrower, as `device.open_loans`."""
    return Prefetch("loans", queryset=DeviceLoan.objects.out().select_related("borrower"), to_attr="open_loans")


def device_register(access: SchoolAccess) -> QuerySet[SchoolDevice]:
    """The register's rows: each device with who has it and until when."""
    return devices_for(access).prefetch_related(_open_loans())


def overdue_filter(today: date) -> Exists:
    return Exists(DeviceLoan.objects.out().filter(device=OuterRef("pk"), due_on__lt=today))


def leavers_filter(today: date) -> Exists:
    """A device lent to someone who has left, or leaves within LEAVING_SOON_DAYS days."""
    return Exists(
        DeviceLoan.objects.out().filter(
            device=OuterRef("pk"), borrower__leaving_date__lte=today + timedelta(days=LEAVING_SOON_DAYS)
        )
    )


def device_sets(access: SchoolAccess) -> list[str]:
    """The names of the school's trolleys and sets, for the filter and the bulk return."""
    return list(devices_for(access).exclude(device_set="").order_by("device_set").values_list("device_set", flat=True).distinct())


def get_device_or_404(access: SchoolAccess, device_id) -> SchoolDevice:
    return get_object_or_404(device_register(access), pk=device_id)


def device_loans(device: SchoolDevice) -> QuerySet[DeviceLoan]:
    """A device's loans, newest first, with the people named on them."""
    return DeviceLoan.objects.filter(device=device).select_related("borrower", "lent_by", "returned_to").order_by("-lent_at")


def device_losses(device: SchoolDevice) -> QuerySet[DeviceLoss]:
    return DeviceLoss.objects.filter(device=device).select_related("reported_by").order_by("-reported_at")


def loans_out_for(access: SchoolAccess) -> QuerySet[DeviceLoan]:
    """The loans still out, for those who keep the register."""
    if not access.can(C.LEND_DEVICES):
        return DeviceLoan.objects.none()
    return DeviceLoan.objects.for_school(access.school).out().select_related("device", "borrower")


def my_loans(access: SchoolAccess, user=None) -> QuerySet[DeviceLoan]:
    """The school devices lent to the user (through their staff record at the active school), soonest due first."""
    if not access.can(C.ASK_PERSONAL_EQUIPMENT):
        return DeviceLoan.objects.none()
    user = user or access.user
    return (
        DeviceLoan.objects.for_school(access.school)
        .out()
        .filter(borrower__user=user)
        .select_related("device", "borrower")
        .order_by("due_on", "device__asset_tag")
    )


def get_device_to_report_or_404(access: SchoolAccess, device_id, user=None) -> SchoolDevice:
    """
    A device that may be reported lost or stolen by this user: any of the register for those who keep it, and
    otherwise only one lent to them now.
    """
    if access.can(C.LEND_DEVICES):
        return get_device_or_404(access, device_id)
    if not access.can(C.ASK_PERSONAL_EQUIPMENT):
        return get_object_or_404(SchoolDevice.objects.none(), pk=device_id)
    mine = my_loans(access, user).filter(device=OuterRef("pk"))
    devices = SchoolDevice.objects.for_school(access.school).filter(Exists(mine)).prefetch_related(_open_loans())
    return get_object_or_404(devices, pk=device_id)


def losses_for(access: SchoolAccess, user=None) -> QuerySet[DeviceLoss]:
    """Those who keep the register and those who assess breaches see every loss; anyone else the losses they reported."""
    if access.school is None:
        return DeviceLoss.objects.none()
    losses = DeviceLoss.objects.for_school(access.school).select_related("device", "reported_by", "breach_assessed_by")
    if access.can(C.LEND_DEVICES) or access.can(C.ASSESS_DATA_BREACH):
        return losses
    if access.can(C.ASK_PERSONAL_EQUIPMENT):
        return losses.filter(reported_by=user or access.user)
    return DeviceLoss.objects.none()


def get_loss_or_404(access: SchoolAccess, loss_id) -> DeviceLoss:
    return get_object_or_404(losses_for(access), pk=loss_id)


def breaches_to_assess(access: SchoolAccess) -> QuerySet[DeviceLoss]:
    """Losses that may be a personal-data breach and wait for an assessment, the nearest deadline first."""
    if not access.can(C.ASSESS_DATA_BREACH):
        return DeviceLoss.objects.none()
    return losses_for(access).filter(possible_breach=True, breach_assessed_at=None).order_by("reported_at")


def leavers_holding_devices(access: SchoolAccess, today: date) -> QuerySet[DeviceLoan]:
    """Loans out to staff who have left, or leave within LEAVING_SOON_DAYS days: the device should come back first."""
    return (
        loans_out_for(access)
        .filter(borrower__leaving_date__lte=today + timedelta(days=LEAVING_SOON_DAYS))
        .order_by("borrower__leaving_date", "borrower__last_name", "device__asset_tag")
    )


# --- The 72-hour clock of a possible breach ----------------------------------------------------------------------


def _plural(count: int, word: str) -> str:
    return f"{count} {word}{'' if count == 1 else 's'}"


def duration_words(length: timedelta) -> str:
    """A length of time as a person says it: "2 days 5 hours", "3 hours 10 minutes", "25 minutes"."""
    minutes = max(0, int(length.total_seconds() // 60))
    days, minutes = divmod(minutes, 24 * 60)
    hours, minutes = divmod(minutes, 60)
    if days:
        return _plural(days, "day") + (f" {_plural(hours, 'hour')}" if hours else "")
    if hours:
        return _plural(hours, "hour") + (f" {_plural(minutes, 'minute')}" if minutes else "")
    return _plural(minutes, "minute")


@dataclass(frozen=True)
class BreachClock:
    """The 72 hours the school has to decide whether to report a lost device to the ICO."""

    reported_at: datetime
    deadline: datetime
    assessed_at: datetime | None
    now: datetime

    @property
    def overdue(self) -> bool:
        return (self.assessed_at or self.now) > self.deadline

    @property
    def words(self) -> str:
        if self.assessed_at is not None:
            taken = duration_words(self.assessed_at - self.reported_at)
            return f"Assessed {taken} after it was reported" + (
                ", after the 72 hours had run out." if self.overdue else ", within the 72 hours."
            )
        if self.overdue:
            return f"The 72 hours ran out {duration_words(self.now - self.deadline)} ago."
        return f"{duration_words(self.deadline - self.now)} left."


def breach_clock(loss: DeviceLoss, now: datetime | None = None) -> BreachClock:
    return BreachClock(
        reported_at=loss.reported_at,
        deadline=loss.reported_at + timedelta(hours=BREACH_HOURS),
        assessed_at=loss.breach_assessed_at,
        now=now or timezone.now(),
    )


def search_filter(text: str) -> Q:
    """The register's search: asset tag, serial number, make or model, each word somewhere."""
    q = Q()
    for word in text.split():
        q &= Q(asset_tag__icontains=word) | Q(serial_number__icontains=word) | Q(model__icontains=word) | Q(make__icontains=word)
    return q


def devices_out(access: SchoolAccess) -> QuerySet[SchoolDevice]:
    """The devices on loan now, with who has them: what the bulk return offers."""
    out = DeviceLoan.objects.out().filter(device=OuterRef("pk"))
    return device_register(access).filter(Exists(out)).order_by("device_set", "asset_tag")


def sets_out(access: SchoolAccess) -> list[str]:
    """The trolleys and sets with a device on loan now."""
    out = DeviceLoan.objects.out().filter(device=OuterRef("pk"))
    return list(
        devices_for(access)
        .filter(Exists(out))
        .exclude(device_set="")
        .order_by("device_set")
        .values_list("device_set", flat=True)
        .distinct()
    )
