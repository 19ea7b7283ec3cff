"""The filtering entries of the menus (`esafety.menu`)."""

from esafety.menu import menu_entry, section_entry
from esafety.roles import Capability

menu_entry("Web filter", "filtering:request_list", needs=[Capability.REQUEST_FILTER_EXCEPTION], order=60, active_in=["filtering"])
section_entry("filtering", "Requests", "filtering:request_list", needs=[Capability.REQUEST_FILTER_EXCEPTION])
