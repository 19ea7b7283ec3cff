"""
A pupil's chronology: one timeline to which every app contributes.

An app registers a source with `@timeline_source`; a source gets the
viewer's `SchoolAccess` (the viewer is `access.user`) and the pupil and returns `TimelineEntry` items the
viewer may see (a source that filters nothing would leak restricted
records: each source applies its own app's visibility rules). The core sorts
the entries newest first and renders them on the chronology page.
"""

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import date, datetime

from django.utils import timezone

from esafety.access import SchoolAccess

_SOURCES: list[Callable] = []


@dataclass(frozen=True)
class TimelineEntry:
    when: datetime | date
    kind: str  # what sort of record, e.g. "Incident", "Consent"
    title: str
    detail: str = ""  # e.g. the pupil's part in an incident
    url: str = ""
    icon: str = "circle"  # a Bootstrap Icons name
    restricted: bool = False  # shown with a "restricted" badge; its showing is written to the access log
    record: object = None  # the model instance, for the access log

    @property
    def sort_key(self) -> datetime:
        if isinstance(self.when, datetime):
            return self.when
        return timezone.make_aware(datetime(self.when.year, self.when.month, self.when.day))


def timeline_source(func: Callable[[SchoolAccess, object], Iterable[TimelineEntry]]):
    """Register a function (access, pupil) -> entries that the viewer may see."""
    _SOURCES.append(func)
    return func


def timeline_for(access: SchoolAccess, pupil) -> list[TimelineEntry]:
    entries: list[TimelineEntry] = []
    for source in _SOURCES:
        entries.extend(source(access, pupil))
    return sorted(entries, key=lambda entry: entry.sort_key, reverse=True)
