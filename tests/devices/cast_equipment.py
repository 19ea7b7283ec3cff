"""
The personal-equipment records of each school's cast (tests/devices/cast.py): the teacher has asked to use their
phone's camera on the Year 7 residential trip, from a week today for three days, naming the school's pupil (Alice
at school A, Bob at B). It waits for the head teacher's decision; no one has been notified of it.
"""

from datetime import timedelta

from django.utils import timezone

from devices.models import EquipmentPermission
from esafety.history import save_with_history


def extend(cast, letter):
    teacher = cast.users["teacher"]
    starts_on = timezone.localdate() + timedelta(days=7)
    cast.equipment_permission = EquipmentPermission(
        school=cast.school,
        requested_by=teacher,
        equipment="My phone's camera",
        purpose=f"Year 7 residential trip {letter.upper()}: photos of the activities for the display",
        starts_on=starts_on,
        ends_on=starts_on + timedelta(days=2),
    )
    save_with_history(cast.equipment_permission, actor=teacher, reason="Asked")
    cast.equipment_permission.pupils.set([cast.pupil])
