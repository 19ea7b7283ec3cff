"""The filtering panels of the home page (`esafety.home`)."""

from datetime import timedelta

from esafety.home import home_panel
from esafety.roles import Capability
from filtering import selectors
from filtering.models import SiteReport


@home_panel(order=35)
def filter_requests_waiting(request):
    """For the head teacher and IT: the requests waiting on them."""
    access = request.access
    head, it = access.can(Capability.SIGN_OFF_FILTER_EXCEPTION), access.can(Capability.RUN_WEB_FILTER)
    if not (head or it):
        return None
    return {
        "template": "filtering/panels/_waiting.html",
        "for_head": selectors.head_queue(access).count() if head else None,
        "for_it": selectors.it_queue(access).count() if it else None,
    }


@home_panel(order=36)
def filtering_reports_and_changes(request):
    """Site reports waiting for a decision (DSL, e-safety lead, head) or a block (IT); changes for the head to agree."""
    access = request.access
    handle, block = access.can(Capability.HANDLE_SITE_REPORTS), access.can(Capability.RUN_WEB_FILTER)
    agree = access.can(Capability.SIGN_OFF_FILTER_EXCEPTION)
    if not (handle or block or agree):
        return None
    reports = selectors.site_reports_for(access)
    return {
        "template": "filtering/panels/_reports_and_changes.html",
        "to_decide": reports.filter(status=SiteReport.Status.NEW).count() if handle else None,
        "to_block": reports.filter(status=SiteReport.Status.TO_BLOCK).count() if block else None,
        "to_agree": selectors.changes_to_agree(access).count() if agree else None,
    }


@home_panel(order=37)
def filtering_log_review_due(request):
    """For IT and the head teacher, who keep the logs under review: when the next review is due, or that it is late."""
    access = request.access
    if not access.can(Capability.REVIEW_FILTERING) or not (
        access.can(Capability.RUN_WEB_FILTER) or access.can(Capability.SIGN_OFF_FILTER_EXCEPTION)
    ):
        return None
    due = selectors.log_review_due(access.school)
    overdue_since = due.due_on + timedelta(days=1) if due.overdue else None
    return {"template": "filtering/panels/_review_due.html", "due": due, "overdue_since": overdue_since}
