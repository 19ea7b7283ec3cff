"""The home-page panels of the register of policies (`esafety.home`)."""

from django.utils import timezone

from esafety.home import home_panel
from esafety.roles import Capability
from policies.selectors import policies as selectors

SHOWN = 5


@home_panel(order=80)
def policy_reviews_due(request):
    """
    For those who keep the register (the e-safety lead, the head teacher): the reviews overdue, and those due within
    a month, the most overdue first. One query.
    """
    access = request.access
    if not access.can(Capability.MANAGE_POLICIES):
        return None
    today = timezone.localdate()
    due = selectors.reviews_due(access.school, today)
    if not due:
        return None
    overdue = [policy for policy in due if policy.next_review_on < today]
    return {
        "template": "policies/panels/_policies_reviews.html",
        "policies": due[:SHOWN],
        "more": len(due) > SHOWN,
        "overdue": len(overdue),
        "soon": len(due) - len(overdue),
        "today": today,
    }


@home_panel(order=81)
def policies_to_read(request):
    """For a member of staff in post: how many policies they are asked to read and acknowledge. One query."""
    access = request.access
    if not access.can(Capability.READ_POLICIES):
        return None
    count = selectors.acknowledgements_due(request.user, access.school).count()
    if not count:
        return None
    return {"template": "policies/panels/_policies_to_read.html", "count": count}
