"""
The menus: the main menu along the top of every page, and each section's own sub-navigation.

Each app adds its entries from its `menu.py` (imported in its `AppConfig.ready`), the way it adds home
panels from `home.py`; `base.html` and the section base templates loop over what this module gives them
and name no app. An entry is shown to those whose roles at the active school give one of its capabilities.

    menu_entry("Consents", "consents:round_list", needs=[Capability.RECORD_CONSENT], order=50, section="consents")
    section_entry("consents", "Collection rounds", "consents:round_list", needs=[Capability.RECORD_CONSENT])

Entries with the same `key` are alternatives: the first one the user may see wins (the DSL's "Incidents" opens
the dashboard, a teacher's their own reports).
"""

from collections.abc import Iterable
from dataclasses import dataclass

from django.urls import reverse

from esafety.access import SchoolAccess
from esafety.roles import Capability

MAIN = "main"
ACTIONS = "actions"


@dataclass(frozen=True)
class MenuEntry:
    label: str
    url_name: str
    needs: tuple[str, ...]
    order: int
    key: str
    # The section (URL namespace) or URL-name prefixes in which this entry shows as where the user is.
    active_in: tuple[str, ...]
    icon: str = ""

    def visible_to(self, access: SchoolAccess) -> bool:
        return any(access.can(capability) for capability in self.needs)


_MENUS: dict[str, list[MenuEntry]] = {}


def _register(menu: str, entry: MenuEntry) -> None:
    entries = _MENUS.setdefault(menu, [])
    if entry not in entries:
        entries.append(entry)
        entries.sort(key=lambda e: e.order)


def menu_entry(
    label: str,
    url_name: str,
    *,
    needs: Iterable[str],
    order: int,
    key: str | None = None,
    active_in: Iterable[str] = (),
) -> None:
    """An entry of the main menu. `active_in`: URL namespaces or URL-name prefixes that count as this entry."""
    _register(MAIN, MenuEntry(label, url_name, tuple(needs), order, key or label, tuple(active_in) or (url_name,)))


def action_entry(label: str, url_name: str, *, needs: Iterable[str], order: int, icon: str = "") -> None:
    """A button beside the main menu for the day's most common task (e.g. "Log an incident")."""
    _register(ACTIONS, MenuEntry(label, url_name, tuple(needs), order, label, (url_name,), icon))


def section_entry(section: str, label: str, url_name: str, *, needs: Iterable[str], order: int = 0) -> None:
    """An entry of a section's own sub-navigation (shown by the section's base template)."""
    _register(f"section:{section}", MenuEntry(label, url_name, tuple(needs), order, label, (url_name,)))


@dataclass(frozen=True)
class MenuLink:
    label: str
    url: str
    active: bool  # the user is in this part of the app
    current: bool  # the user is on this very page
    icon: str = ""


def _links(menu: str, request) -> list[MenuLink]:
    match = getattr(request, "resolver_match", None)
    here = f"{match.namespace}:{match.url_name}" if match and match.namespace else (match.url_name if match else "")
    namespace = match.namespace if match else ""
    links, seen = [], set()
    for entry in _MENUS.get(menu, []):
        if entry.key in seen or not entry.visible_to(request.access):
            continue
        seen.add(entry.key)
        active = any(here.startswith(prefix) or namespace == prefix for prefix in entry.active_in)
        links.append(MenuLink(entry.label, reverse(entry.url_name), active, here == entry.url_name, entry.icon))
    return links


def main_menu(request) -> list[MenuLink]:
    return _links(MAIN, request)


def action_menu(request) -> list[MenuLink]:
    return _links(ACTIONS, request)


def section_menu(request, section: str) -> list[MenuLink]:
    return _links(f"section:{section}", request)


# The core's own entries: the school's people, the MIS import and the access log.
menu_entry("Pupils", "pupil_list", needs=[Capability.VIEW_PUPILS], order=30, active_in=["pupil"])
menu_entry("Forms", "form_list", needs=[Capability.VIEW_PUPILS], order=31, active_in=["form"])
menu_entry("Staff", "staff_list", needs=[Capability.VIEW_STAFF], order=32, active_in=["staff"])
menu_entry("MIS import", "import_list", needs=[Capability.IMPORT_MIS], order=80, active_in=["import"])
menu_entry("Access log", "access_log", needs=[Capability.VIEW_ACCESS_LOG], order=90)
