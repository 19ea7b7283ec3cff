"""
What each user may see of devices, one module per area (`devices.selectors.phones`, …): another school's
records, or one outside the user's role, are a 404. Reads only; every write is in `devices.services`.
"""

from devices.models import DeviceSettings
from esafety.models import School


def device_settings_for(school: School) -> DeviceSettings:
    """The school's device settings (made with the school: devices.defaults)."""
    return DeviceSettings.objects.get(school=school)
