"""The filtering panel of the home page (`esafety.home`)."""

from esafety.home import home_panel
from esafety.roles import Capability
from filtering import selectors


@home_panel(order=35)
def filter_requests_waiting(request):
    """For the head teacher and IT: the requests waiting on a decision."""
    if not request.access.can(Capability.DECIDE_FILTER_EXCEPTION):
        return None
    waiting = selectors.requests_for(request.access).waiting().count()
    return {"template": "filtering/panels/_waiting.html", "waiting": waiting}
