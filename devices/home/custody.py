"""
Confiscated devices on the home page (for those who hold them: how many are held, and how many longer than the
school's limit; for the DSL and the head teacher, how many held are flagged as evidence) and on a pupil's page.
"""

from django.db.models import Count, Q

from devices.models import Confiscation
from devices.selectors.custody import confiscations_for, hold_limit
from esafety.home import home_panel
from esafety.pupil_page import pupil_section
from esafety.roles import Capability

C = Capability
Status = Confiscation.Status
# The pupil's page lists this many of their confiscations, the newest first; the register has the rest.
PUPIL_SHOWN = 10


@home_panel(order=45)
def confiscations_held(request):
    """Four queries for those who hold devices (settings, terms, closures, one count of each); one for the others."""
    access = request.access
    holds, searches = access.can(C.HOLD_CONFISCATIONS), access.can(C.SEARCH_DEVICES)
    if not (holds or searches):
        return None
    limit = hold_limit(access.school) if holds else None
    held = Q(status=Status.HELD)
    wanted = {}
    if holds:
        wanted["held"] = Count("pk", filter=held)
        wanted["too_long"] = Count("pk", filter=held & Q(taken_at__lt=limit.taken_before))
    if searches:
        wanted["evidence"] = Count("pk", filter=held & Q(is_evidence=True))
    counts = confiscations_for(access).aggregate(**wanted)
    return {
        "template": "devices/panels/_custody.html",
        "held": counts.get("held"),
        "too_long": counts.get("too_long"),
        "evidence": counts.get("evidence"),
        "limit": limit,
    }


@pupil_section(order=40)
def pupil_confiscations(request, pupil):
    """The pupil's confiscated devices, for those who hold them: one query."""
    access = request.access
    if not access.can(C.HOLD_CONFISCATIONS):
        return None
    rows = list(
        confiscations_for(access).select_related(None).filter(pupil=pupil).order_by("-taken_at", "-number")[: PUPIL_SHOWN + 1]
    )
    return {
        "template": "devices/panels/_custody_pupil.html",
        "confiscations": rows[:PUPIL_SHOWN],
        "more": len(rows) > PUPIL_SHOWN,
        "pupil": pupil,
    }
