"""The filtering entries of the menus (`esafety.menu`)."""

from esafety.menu import menu_entry, section_entry
from esafety.roles import Capability

C = Capability

menu_entry("Web filter", "filtering:request_list", needs=[C.REQUEST_FILTER_EXCEPTION], order=60, active_in=["filtering"])
# Governors read the yearly review alone.
menu_entry(
    "Filtering review",
    "filtering:annual_review_list",
    needs=[C.READ_FILTERING_REVIEW],
    order=61,
    active_in=["filtering"],
    key="Web filter",
)

section_entry("filtering", "Requests", "filtering:request_list", needs=[C.REQUEST_FILTER_EXCEPTION], order=10)
section_entry("filtering", "Waiting for me", "filtering:head_queue", needs=[C.SIGN_OFF_FILTER_EXCEPTION], order=20)
section_entry("filtering", "Waiting for IT", "filtering:it_queue", needs=[C.RUN_WEB_FILTER], order=21)
section_entry("filtering", "Site reports", "filtering:report_list", needs=[C.REPORT_UNSUITABLE_SITE], order=30)
section_entry("filtering", "Change log", "filtering:change_list", needs=[C.REVIEW_FILTERING, C.RUN_WEB_FILTER], order=40)
section_entry("filtering", "Log reviews", "filtering:log_review_list", needs=[C.REVIEW_FILTERING], order=50)
section_entry("filtering", "Yearly review", "filtering:annual_review_list", needs=[C.READ_FILTERING_REVIEW], order=60)
section_entry("filtering", "Feed", "filtering:feed_settings", needs=[C.RUN_WEB_FILTER], order=70)
section_entry("filtering", "Settings", "filtering:settings", needs=[C.RUN_WEB_FILTER, C.SIGN_OFF_FILTER_EXCEPTION], order=80)
