"""
Who may see which requests to use personal equipment with pupils: the head teacher (who decides) sees every
request of the school, anyone else on the staff the requests they made. Reads only; writes are in
devices.services.equipment.
"""

from dataclasses import dataclass
from datetime import datetime, timedelta

from django.db.models import Case, Count, F, IntegerField, Prefetch, Q, QuerySet, Value, When
from django.shortcuts import get_object_or_404
from django.utils import timezone
from django.utils.text import capfirst

from consents.models import ConsentType
from consents.selectors import photo_consent_for
from devices.models import EquipmentPermission
from esafety.access import SchoolAccess
from esafety.history import FieldChange, HistoryEntry
from esafety.models import Pupil, User
from esafety.roles import Capability

C = Capability
Status = EquipmentPermission.Status
# The consents that allow a pupil to be photographed at all: publication of their work is not one of them.
PHOTO_USES = [ConsentType.Kind.PHOTO_IN_SCHOOL, ConsentType.Kind.PHOTO_PRINT, ConsentType.Kind.PHOTO_WEB]
# A change of pupils saved this soon after the request itself is part of making it, shown as one entry.
SAME_STEP = timedelta(seconds=5)


def equipment_for(access: SchoolAccess, user=None) -> QuerySet[EquipmentPermission]:
    """The head teacher sees every request of the school; anyone else on the staff the requests they made."""
    if access.school is None:
        return EquipmentPermission.objects.none()
    permissions = EquipmentPermission.objects.for_school(access.school).select_related("requested_by", "decided_by")
    if access.can(C.DECIDE_PERSONAL_EQUIPMENT):
        return permissions
    if access.can(C.ASK_PERSONAL_EQUIPMENT):
        return permissions.filter(requested_by=user or access.user)
    return EquipmentPermission.objects.none()


def equipment_register(access: SchoolAccess, status: str = "") -> QuerySet[EquipmentPermission]:
    """
    The list page: for the head teacher, the requests waiting for a decision first (the soonest first), then
    the rest, newest first; each with how many pupils it names.
    """
    permissions = equipment_for(access)
    if status:
        permissions = permissions.filter(status=status)
    waiting_first = Case(When(status=Status.REQUESTED, then=Value(0)), default=Value(1), output_field=IntegerField())
    soonest = Case(When(status=Status.REQUESTED, then=F("starts_on")), default=None)
    return permissions.annotate(pupil_count=Count("pupils", distinct=True), queue_rank=waiting_first).order_by(
        "queue_rank", soonest.asc(nulls_last=True), "-starts_on", "-requested_at"
    )


def get_equipment_or_404(access: SchoolAccess, permission_id) -> EquipmentPermission:
    pupils = Pupil.objects.select_related("form").order_by("last_name", "first_name")
    return get_object_or_404(equipment_for(access).prefetch_related(Prefetch("pupils", queryset=pupils)), pk=permission_id)


def equipment_waiting_counts(access: SchoolAccess) -> dict[str, int]:
    """The head teacher's home panel: requests of others waiting for a decision, and images overdue. One query."""
    if not access.can(C.DECIDE_PERSONAL_EQUIPMENT):
        return {"waiting": 0, "overdue": 0}
    return equipment_for(access).aggregate(
        waiting=Count("pk", filter=Q(status=Status.REQUESTED) & ~Q(requested_by=access.user)),
        overdue=Count("pk", filter=Q(status=Status.APPROVED, images_confirmed_at=None, escalated_at__isnull=False)),
    )


def images_due_for(access: SchoolAccess, limit: int = 5) -> list[EquipmentPermission]:
    """
    A member of staff's own approvals whose period has started and whose images are not yet confirmed moved and
    deleted, the earliest deadline first: at most `limit` + 1 (one more says there are more). One query.
    """
    if not access.can(C.ASK_PERSONAL_EQUIPMENT):
        return []
    today = timezone.localdate()
    mine = EquipmentPermission.objects.for_school(access.school).filter(requested_by=access.user)
    return list(mine.images_outstanding().filter(starts_on__lte=today).order_by("images_due_at", "pk")[: limit + 1])


# --- The photo check before deciding ---------------------------------------------------------------------------


@dataclass(frozen=True)
class PhotoCheck:
    """The chosen pupils who may not be photographed: no parent or carer has said yes to any use of photos."""

    without_consent: list
    checked: int

    @property
    def with_consent(self) -> int:
        return self.checked - len(self.without_consent)


def photo_check_for(pupils: list[Pupil]) -> PhotoCheck:
    """The consents photo check (consents.selectors.photo_consent_for) on the pupils of a request."""
    consent = photo_consent_for(pupils)
    without = [pupil for pupil in pupils if not any(consent[pupil.pk].may(use) for use in PHOTO_USES)]
    return PhotoCheck(without_consent=without, checked=len(pupils))


# --- The history panel, with the pupils named ------------------------------------------------------------------


def _shown(model_field, value, related_names) -> str:
    """A value as the history panel shows it (as esafety.history does)."""
    if value is None or value == "":
        return "–"
    if model_field.is_relation:
        return related_names.get(value, "(removed)")
    if model_field.choices:
        return str(dict(model_field.flatchoices).get(value, value))
    if hasattr(value, "strftime"):
        return value.strftime("%d/%m/%Y %H:%M" if isinstance(value, datetime) else "%d/%m/%Y")
    return str(value)


def _names(pupil_ids, names) -> str:
    shown = sorted(names[pk] for pk in pupil_ids if pk in names)
    return ", ".join(shown) if shown else "–"


def equipment_history(permission: EquipmentPermission, limit: int = 50) -> list[HistoryEntry]:
    """
    The history panel, as esafety.history.history_for gives it, with the changes of the pupils named; the request
    and its pupils, saved one after the other, are one entry. Four queries however long the history and however many
    pupils: the records, their pupils, the pupils' names, the people named in changed fields.
    """
    records = list(permission.history.select_related("history_user").order_by("-history_date", "-history_id")[: limit + 1])
    fields = {f.name: f for f in EquipmentPermission._meta.concrete_fields}
    through = permission.history.model._meta.get_field("historicalequipmentpermission_pupils").related_model
    chosen: dict[int, set] = {record.history_id: set() for record in records}
    for history_id, pupil_id in through.objects.filter(history_id__in=list(chosen)).values_list("history_id", "pupil_id"):
        chosen[history_id].add(pupil_id)
    every_pupil = set().union(*chosen.values()) if chosen else set()
    names = {pupil.pk: pupil.full_name for pupil in Pupil.objects.filter(pk__in=every_pupil)} if every_pupil else {}

    steps = []
    people = set()
    for index, record in enumerate(records[:limit]):
        older = records[index + 1] if index + 1 < len(records) else None
        deltas = []
        if older is not None and record.history_type == "~":
            # The pupils are compared here from the rows read above: simple_history would read them for each record.
            deltas = [c for c in record.diff_against(older, excluded_fields=["pupils"]).changes if c.field in fields]
            people.update(v for c in deltas if fields[c.field].is_relation for v in (c.old, c.new) if v)
        before = chosen[older.history_id] if older is not None and record.history_type != "+" else set()
        steps.append((record, deltas, before))
    related_names = {user.pk: str(user) for user in User.objects.filter(pk__in=people)} if people else {}

    entries = []
    for record, deltas, before in steps:
        changes = [
            FieldChange(
                label=capfirst(fields[c.field].verbose_name),
                old=_shown(fields[c.field], c.old, related_names),
                new=_shown(fields[c.field], c.new, related_names),
            )
            for c in deltas
        ]
        if chosen[record.history_id] != before:
            changes.append(FieldChange(label="Pupils", old=_names(before, names), new=_names(chosen[record.history_id], names)))
        entries.append(
            HistoryEntry(
                when=record.history_date,
                who=str(record.history_user) if record.history_user else "System",
                action={"+": "Created", "-": "Deleted"}.get(record.history_type, "Changed"),
                reason=record.history_change_reason or "",
                changes=changes,
            )
        )
    # Pupils are set just after the request is saved: that change belongs to the "Created" entry below it.
    folded = []
    for index, entry in enumerate(entries):
        older = entries[index + 1] if index + 1 < len(entries) else None
        if (
            older is not None
            and older.action == "Created"
            and entry.action == "Changed"
            and [change.label for change in entry.changes] == ["Pupils"]
            and (entry.who, entry.reason) == (older.who, older.reason)
            and entry.when - older.when <= SAME_STEP
        ):
            older.changes.extend(entry.changes)
            continue
        folded.append(entry)
    return folded
