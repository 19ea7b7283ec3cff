"""
A pupil's page shows, below the core details, a section from each app that keeps something about the pupil
(e.g. the phone register's recent days). An app registers a function with `@pupil_section(order=...)`; it gets
the request and the pupil and returns the section's context (with a `template`) or None when it has nothing
for this reader. A section costs a fixed number of queries.
"""

from collections.abc import Callable

_SECTIONS: list[tuple[int, Callable]] = []


def pupil_section(order: int):
    def register(func):
        _SECTIONS.append((order, func))
        _SECTIONS.sort(key=lambda item: item[0])
        return func

    return register


def sections_for(request, pupil) -> list[dict]:
    return [section for _, func in _SECTIONS if (section := func(request, pupil))]
