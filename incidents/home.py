"""The incidents panels of the home page (`esafety.home`)."""

from django.db.models import Count, Q
from django.utils import timezone

from esafety.home import home_panel
from esafety.roles import Capability
from incidents import selectors
from incidents.dashboard import HANDLING, queue_filters
from incidents.models import Incident


@home_panel(order=15)
def incidents_to_triage(request):
    """For those who handle incidents: what is new and what is late."""
    if not any(request.access.can(c) for c in HANDLING):
        return None
    visible = selectors.incidents_for(request.access, request.user)
    waiting = visible.aggregate(
        new=Count("pk", filter=queue_filters()["new"]),
        immediate=Count("pk", filter=~Q(status=Incident.Status.CLOSED) & Q(severity=Incident.Severity.IMMEDIATE)),
    )
    overdue = selectors.overdue_actions_for(request.access, request.user).count()
    return {"template": "incidents/panels/_triage.html", "overdue": overdue, **waiting}


@home_panel(order=16)
def log_an_incident(request):
    """For every member of staff: log an incident, and the tasks they own."""
    if not request.access.can(Capability.LOG_INCIDENT):
        return None
    tasks = selectors.my_open_actions(request.access, request.user)
    today = timezone.localdate()
    counts = tasks.aggregate(open=Count("pk"), overdue=Count("pk", filter=Q(due_on__lt=today)))
    return {"template": "incidents/panels/_log.html", **counts}
