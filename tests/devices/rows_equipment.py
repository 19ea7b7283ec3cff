"""
Access rules of the personal-equipment URLs (tests/devices/access_rows.py), on the cast's request: the teacher's,
naming the school's pupil, waiting for the head teacher. Every member of staff may ask and sees their own requests;
the head teacher sees every request and decides. Governors, the trust and the chair of governors have no part.
"""

from datetime import timedelta

from django.utils import timezone

from devices.models import EquipmentPermission
from devices.services.equipment import images_due_at_for
from tests.access_rules import STAFF, Row

Status = EquipmentPermission.Status
# Those on the staff who may open the cast's request: the teacher asked, the head decides.
READERS = frozenset({"teacher", "head"})
# The rest of the staff may ask too, but the teacher's request is not theirs to see.
NOT_THEIRS = dict.fromkeys(STAFF - READERS, 404)


def _permission(cast):
    return {"permission_id": cast.a.equipment_permission.pk}


def _waiting(cast):
    starts_on = timezone.localdate() + timedelta(days=7)
    EquipmentPermission.objects.filter(pk=cast.a.equipment_permission.pk).update(
        status=Status.REQUESTED,
        starts_on=starts_on,
        ends_on=starts_on + timedelta(days=2),
        decided_by=None,
        decided_at=None,
        decision_note="",
        images_due_at=None,
        images_confirmed_at=None,
        images_note="",
    )


def _under_way(cast):
    """Approved, and its period has started: the images can be confirmed."""
    today = timezone.localdate()
    EquipmentPermission.objects.filter(pk=cast.a.equipment_permission.pk).update(
        status=Status.APPROVED,
        starts_on=today,
        ends_on=today,
        decided_by=cast.a.users["head"],
        decided_at=timezone.now(),
        images_due_at=images_due_at_for(today, 24),
        images_confirmed_at=None,
        images_note="",
    )


ROWS = {
    "devices:equipment_list": Row(STAFF, query="?status=requested"),
    "devices:equipment_new": Row(STAFF),
    "devices:equipment_detail": Row(READERS, kwargs=_permission, record_of_a=True, statuses=NOT_THEIRS),
    # The head teacher decides, on a request put back to waiting before each try.
    "devices:equipment_decide": Row(
        frozenset({"head"}),
        kwargs=_permission,
        method="post",
        data=lambda c: {"decision": "approve", "note": ""},
        ok=302,
        record_of_a=True,
        reset=_waiting,
    ),
    # The teacher withdraws their request; the head is told only the teacher can, and the rest cannot see it.
    "devices:equipment_withdraw": Row(
        READERS, kwargs=_permission, method="post", ok=302, record_of_a=True, reset=_waiting, statuses=NOT_THEIRS
    ),
    # On an approved use under way: the teacher confirms the images; the head is told only the teacher can.
    "devices:equipment_confirm": Row(
        READERS,
        kwargs=_permission,
        method="post",
        data=lambda c: {"where": "Trips folder on the staff shared drive", "deleted": "on"},
        ok=302,
        record_of_a=True,
        reset=_under_way,
        statuses=NOT_THEIRS,
    ),
}
