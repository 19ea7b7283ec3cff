"""The home-page panels of school devices lent to staff."""

from django.utils import timezone

from devices.selectors import loans as selectors
from esafety.home import home_panel
from esafety.roles import Capability

# Leavers listed by name on the panel; the register lists them all.
LEAVERS_SHOWN = 10


@home_panel(order=74)
def school_devices_out(request):
    """For IT and the office: loans overdue, and leavers (or staff about to leave) still holding a school device."""
    access = request.access
    if not access.can(Capability.LEND_DEVICES):
        return None
    today = timezone.localdate()
    leavers = list(selectors.leavers_holding_devices(access, today)[: LEAVERS_SHOWN + 1])
    return {
        "template": "devices/panels/_loans.html",
        "overdue": selectors.loans_out_for(access).filter(due_on__lt=today).count(),
        "leavers": leavers[:LEAVERS_SHOWN],
        "more_leavers": len(leavers) > LEAVERS_SHOWN,
        "today": today,
    }


@home_panel(order=75)
def school_devices_breaches(request):
    """For the DSL and the head teacher: lost devices that may be a personal-data breach, not yet assessed."""
    access = request.access
    if not access.can(Capability.ASSESS_DATA_BREACH):
        return None
    losses = list(selectors.breaches_to_assess(access))
    if not losses:
        return None
    return {
        "template": "devices/panels/_loans_breaches.html",
        "losses": [(loss, selectors.breach_clock(loss)) for loss in losses],
    }
