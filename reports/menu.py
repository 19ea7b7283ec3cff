"""The governors' report entries of the menus (`esafety.menu`)."""

from esafety.menu import menu_entry, section_entry
from esafety.roles import Capability

C = Capability

menu_entry("Governors' report", "reports:report_list", needs=[C.READ_GOVERNORS_REPORT], order=80, active_in=["reports"])

section_entry("reports", "Reports", "reports:report_list", needs=[C.READ_GOVERNORS_REPORT], order=10)
section_entry("reports", "Compare years", "reports:report_compare", needs=[C.WRITE_GOVERNORS_REPORT], order=20)
section_entry("reports", "Trust report", "reports:trust_report_list", needs=[C.READ_TRUST_REPORT], order=60)
section_entry("reports", "Settings", "reports:report_settings", needs=[C.WRITE_GOVERNORS_REPORT], order=90)
