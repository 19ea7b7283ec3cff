"""The home-page panels of staff training: who is due or overdue, for the lead; each person's own training due."""

from django.utils import timezone

from esafety.home import home_panel
from esafety.roles import Capability
from policies.selectors import training as selectors


@home_panel(order=86)
def training_due_counts(request):
    """For those who keep the training register (the e-safety lead, the DSL, the head): how many are due or overdue."""
    access = request.access
    if not access.can(Capability.MANAGE_TRAINING):
        return None
    counts = selectors.training_due_counts(access, timezone.localdate())
    return {"template": "policies/panels/_training_due.html", "counts": counts}


@home_panel(order=87)
def my_training_due(request):
    """For every member of staff: their own training, when it is due or overdue."""
    access = request.access
    if not access.can(Capability.VIEW_OWN_TRAINING):
        return None
    today = timezone.localdate()
    due = selectors.my_training_due(access, today)
    if due is None:
        return None
    return {"template": "policies/panels/_training_mine.html", "due": due, "today": today}
