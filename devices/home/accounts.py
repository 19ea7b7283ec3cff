"""The home-page panel of the register of internet accounts, for IT, who keep it."""

from django.utils import timezone

from devices.selectors import accounts as selectors
from esafety.home import home_panel
from esafety.roles import Capability


@home_panel(order=78)
def access_review_due(request):
    """
    When the yearly review of access rights is due, or that it is overdue, and how many leavers' accounts have ended
    by themselves since the last review (to be closed on the school's systems). Three queries: the last review, the
    school's device settings and the count of leavers' accounts.
    """
    access = request.access
    if not access.can(Capability.KEEP_ACCESS_REGISTER):
        return None
    today = timezone.localdate()
    due = selectors.access_review_due(access.school, today=today)
    since = due.last.signed_at if due.last else None
    return {
        "template": "devices/panels/_accounts_review.html",
        "due": due,
        "leavers": selectors.leavers_ended_since(access.school, since, today).count(),
    }
