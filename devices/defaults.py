"""
What a school starts with for devices: its settings. The phone register covers no form until the school chooses
which; the day ends at 15:30; a confiscated device is held for at most one school day. The school edits them.
"""

from devices.models import DeviceSettings
from esafety.models import School


def devices_defaults_install(school: School) -> None:
    """The settings of a school that has none; nothing the second time."""
    DeviceSettings.objects.get_or_create(school=school)
