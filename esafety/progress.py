"""
How far a long background job has got (an MIS import, a whole round's consent slips), for the page
that polls it every second.

The count is kept in the cache, not the database: an import runs in one transaction that no one
else can see into. A cache that is down costs the progress bar, never the job: recording is
skipped with a warning, and the bar reads 0 %.
"""

import logging
from collections.abc import Callable
from dataclasses import dataclass

from django.core.cache import cache
from django.db.models import Model
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

logger = logging.getLogger(__name__)

# What a job reports its progress to: (done, total), e.g. `Progress.for_job(job).set`.
ProgressCallback = Callable[[int, int], None]

# Longer than any job takes; a job that stops reporting leaves nothing behind for long.
TIMEOUT_SECONDS = 3600


@dataclass(frozen=True)
class Progress:
    """The progress of one job, as `done` out of `total`."""

    key: str

    @classmethod
    def for_job(cls, job: Model) -> "Progress":
        """The progress of a job saved as a row (an `ImportJob`, a `SlipBatch`)."""
        return cls(f"progress:{job._meta.label_lower}:{job.pk}")

    def set(self, done: int, total: int) -> None:
        """Record how far the job has got. Its signature is that of the jobs' progress callbacks."""
        try:
            cache.set(self.key, (done, total), timeout=TIMEOUT_SECONDS)
        except Exception:  # noqa: BLE001 - a progress bar is not worth failing a job for
            logger.warning("Could not record the progress of %s", self.key)

    def percent(self, *, finished: bool = False) -> int:
        """How far the job has got, in per cent: 100 once `finished`, 0 when the cache cannot say."""
        if finished:
            return 100
        try:
            done, total = cache.get(self.key, (0, 1))
        except Exception:  # noqa: BLE001 - the page must still show when the cache is down
            return 0
        return int(100 * done / max(total, 1))


def progress_response(request: HttpRequest, *, percent: int, label: str, running: bool) -> HttpResponse:
    """
    The progress bar alone (`esafety/_progress.html`), which htmx fetches again from the same URL while
    the job is `running`. Once it has finished, htmx reloads the page, so that the result shows.
    """
    context = {"progress": percent, "progress_label": label, "poll_url": request.path, "running": running}
    response = render(request, "esafety/_progress.html", context)
    if not running and request.htmx:
        response["HX-Refresh"] = "true"
    return response
