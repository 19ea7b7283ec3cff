"""The personal-equipment panels of the home page (`esafety.home`)."""

from django.utils import timezone

from devices.selectors import equipment as selectors
from esafety.home import home_panel
from esafety.roles import Capability

SHOWN = 5


@home_panel(order=62)
def equipment_to_decide(request):
    """For the head teacher: requests waiting for a decision, and images overdue (escalated to them). One query."""
    if not request.access.can(Capability.DECIDE_PERSONAL_EQUIPMENT):
        return None
    counts = selectors.equipment_waiting_counts(request.access)
    if not (counts["waiting"] or counts["overdue"]):
        return None
    return {"template": "devices/panels/_equipment_to_decide.html", **counts}


@home_panel(order=63)
def equipment_images_due(request):
    """For whoever has permission to use their own equipment: the images to move and delete, with the deadline. One query."""
    due = selectors.images_due_for(request.access, limit=SHOWN)
    if not due:
        return None
    return {
        "template": "devices/panels/_equipment_images_due.html",
        "permissions": due[:SHOWN],
        "more": len(due) > SHOWN,
        "now": timezone.now(),
    }
