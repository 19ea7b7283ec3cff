"""The devices entries of the menus (`esafety.menu`)."""

from esafety.menu import menu_entry, section_entry
from esafety.roles import Capability

C = Capability

menu_entry("Devices", "devices:phone_forms", needs=[C.RECORD_PHONES], order=70, active_in=["devices"])

section_entry("devices", "Phone register", "devices:phone_forms", needs=[C.RECORD_PHONES], order=10)
section_entry("devices", "Not collected", "devices:phone_not_collected", needs=[C.RECORD_PHONES], order=20)
section_entry("devices", "Phone exceptions", "devices:phone_exception_list", needs=[C.RECORD_PHONES], order=30)
section_entry("devices", "Confiscations", "devices:confiscation_list", needs=[C.CONFISCATE_DEVICE], order=40)
section_entry("devices", "School devices", "devices:device_list", needs=[C.LEND_DEVICES], order=50)
section_entry("devices", "My devices", "devices:my_devices", needs=[C.ASK_PERSONAL_EQUIPMENT], order=55)
section_entry(
    "devices",
    "Personal equipment",
    "devices:equipment_list",
    needs=[C.ASK_PERSONAL_EQUIPMENT, C.DECIDE_PERSONAL_EQUIPMENT],
    order=60,
)
section_entry("devices", "Internet accounts", "devices:account_list", needs=[C.READ_ACCESS_REGISTER], order=70)
section_entry("devices", "Settings", "devices:settings", needs=[C.SET_UP_DEVICES], order=90)
