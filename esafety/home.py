"""
The home page is "what is waiting for me": a column of panels, each offered
by the app that owns the work. An app registers a panel function with
`@home_panel(order=...)`; it gets the request and returns the panel's
context (with a `template`) or None when it has nothing for this user.
"""

from collections.abc import Callable

from django.db.models import Count
from django.utils import timezone

from esafety.models import ImportJob, School
from esafety.roles import Capability, Role
from esafety.selectors import access_log_for_school, import_jobs_for, notifications_for, on_roll_filter, pupils_for, staff_for

_PANELS: list[tuple[int, Callable]] = []


def home_panel(order: int):
    def register(func):
        _PANELS.append((order, func))
        _PANELS.sort(key=lambda item: item[0])
        return func

    return register


def panels_for(request) -> list[dict]:
    return [panel for _, func in _PANELS if (panel := func(request))]


@home_panel(order=10)
def unread_notifications(request):
    unread = list(notifications_for(request.access, request.user).unread()[:5])
    return {"template": "esafety/panels/_notifications.html", "notifications": unread}


@home_panel(order=20)
def imports_waiting(request):
    if not request.access.can(Capability.IMPORT_MIS):
        return None
    jobs = list(
        import_jobs_for(request.access).filter(
            status__in=[ImportJob.Status.CHECKING, ImportJob.Status.READY, ImportJob.Status.IMPORTING]
        )[:10]
    )
    return {"template": "esafety/panels/_imports.html", "jobs": jobs}


@home_panel(order=30)
def additional_needs(request):
    if not request.access.can(Capability.FLAG_VULNERABLE):
        return None
    flagged = pupils_for(request.access).current().filter(additional_needs=True)
    return {"template": "esafety/panels/_additional_needs.html", "count": flagged.count()}


@home_panel(order=40)
def school_at_a_glance(request):
    if not request.access.can(Capability.VIEW_PUPILS):
        return None
    today = timezone.localdate()
    return {
        "template": "esafety/panels/_school.html",
        "pupils": pupils_for(request.access).current(today).count(),
        "staff": staff_for(request.access).current(today).count(),
    }


@home_panel(order=50)
def recent_access(request):
    if not request.access.can(Capability.VIEW_ACCESS_LOG):
        return None
    return {"template": "esafety/panels/_access_log.html", "entries": list(access_log_for_school(request.access)[:5])}


@home_panel(order=60)
def trust_schools(request):
    if not request.access.has_role(Role.TRUST):
        return None
    schools = (
        School.objects.filter(pk__in=[s.pk for s in request.access.schools])
        .annotate(pupil_count=Count("pupils", filter=on_roll_filter("pupils__")))
        .order_by("name")
    )
    return {"template": "esafety/panels/_trust.html", "schools": schools}
