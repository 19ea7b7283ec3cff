"""
Access rules of the incidents URLs, merged into the matrix of tests/esafety/test_access_matrix.py.

The rows use the cast's ordinary incident (cyberbullying, logged by the
teacher, an action owned by IT). Restricted, staff and head-teacher incidents
are walked role by role in tests/incidents/test_visibility.py.
"""

from datetime import timedelta

from django.utils import timezone

from incidents.models import Incident
from tests.access_rules import SAFEGUARDING, STAFF, Row
from tests.incidents.incident_factory import actions_data

SET_UP = frozenset({"dsl", "head", "lead"})
HANDLERS = frozenset({"dsl", "head", "chair"})
EXPORTERS_OF_INCIDENTS = frozenset({"dsl", "head"})
# Staff who may log incidents but neither logged this one, own a task on it, nor handle it.
NOT_INVOLVED = {"office": 404, "lead": 404, "chair": 404}


def _incident(cast):
    return {"incident_id": cast.a.incident.pk}


def _reopen(cast):
    Incident.objects.filter(pk=cast.a.incident.pk).update(status=Incident.Status.OPEN, closed_at=None)


def _close(cast):
    Incident.objects.filter(pk=cast.a.incident.pk).update(status=Incident.Status.CLOSED, closed_at=timezone.now())


def _handling(**extra):
    # Handling needs a handler's capability; the chair has one, but not for this incident.
    return Row(SAFEGUARDING, kwargs=_incident, method="post", ok=302, record_of_a=True, statuses={"chair": 404}, **extra)


ROWS = {
    "incidents:incident_log": Row(STAFF),
    "incidents:incident_draft": Row(STAFF, method="post", data=lambda c: {"description": "Started typing"}),
    "incidents:incident_draft_discard": Row(STAFF, method="post", ok=302),
    "incidents:people_search": Row(STAFF, query="?q=Aa"),
    "incidents:people_row": Row(STAFF, query=lambda c: f"?person=pupil:{c.a.pupil.pk}", record_of_a=True),
    "incidents:my_reports": Row(STAFF),
    "incidents:incident_logged": Row(
        frozenset({"teacher"}), kwargs=_incident, record_of_a=True, statuses={r: 404 for r in STAFF - {"teacher"}}
    ),
    "incidents:incident_detail": Row(
        frozenset({"teacher", "dsl", "head", "it"}), kwargs=_incident, record_of_a=True, statuses=NOT_INVOLVED
    ),
    "incidents:incident_assign": _handling(data=lambda c: {"assignee": c.a.users["dsl"].pk}),
    "incidents:incident_triage": _handling(
        data=lambda c: {
            "severity": "high",
            "category": c.a.incident.category_id,
            "matrix_row": "",
            "reason": "Worse than thought",
        }
    ),
    "incidents:incident_note": _handling(data=lambda c: {"text": "Spoke to the form tutor"}),
    "incidents:incident_agency": _handling(data=lambda c: {"agency": "Police", "agency_reference": "P1", "waiting": "on"}),
    "incidents:incident_close": _handling(data=lambda c: {"outcome": "Apology and support"}, reset=_reopen),
    "incidents:incident_reopen": _handling(data=lambda c: {"reason": "It happened again"}, reset=_close),
    "incidents:incident_actions_add": _handling(
        data=lambda c: actions_data(other=("Call home", c.a.users["dsl"], (timezone.localdate() + timedelta(days=2)).isoformat()))
    ),
    "incidents:evidence_add": _handling(
        data=lambda c: {
            "description": "Screenshots",
            "location": "DSL's locked drawer",
            "held_by": "DSL",
            "secured_at": timezone.localtime().strftime("%Y-%m-%dT%H:%M"),
        }
    ),
    "incidents:action_done": Row(
        frozenset({"it", "dsl", "head"}),
        kwargs=lambda c: {"action_id": c.a.action.pk},
        method="post",
        ok=302,
        record_of_a=True,
        # The teacher logged the incident, so sees it, but the task is IT's.
        statuses={**NOT_INVOLVED, "a.teacher": 403, "b.teacher": 404},
    ),
    "incidents:checklist_done": Row(
        SAFEGUARDING, kwargs=lambda c: {"step_id": c.a.step.pk}, method="post", ok=302, record_of_a=True, statuses={"chair": 404}
    ),
    "incidents:setup": Row(SET_UP),
    "incidents:category_add": Row(SET_UP),
    "incidents:category_edit": Row(SET_UP, kwargs=lambda c: {"category_id": c.a.incident.category_id}, record_of_a=True),
    "incidents:matrix_edit": Row(SET_UP, kwargs=lambda c: {"matrix": "pupils"}),
    # The dashboard and the list: those who handle incidents (the chair sees only allegations about the head).
    "incidents:dashboard": Row(HANDLERS),
    "incidents:dashboard_trends": Row(HANDLERS),
    # A dashboard row's handling forms: those who handle this incident (the chair handles only allegations about the head).
    "incidents:dashboard_row_tools": Row(SAFEGUARDING, kwargs=_incident, record_of_a=True, statuses={"chair": 404}),
    "incidents:incident_list": Row(HANDLERS, query="?q=Alice&severity=medium&sort=-when"),
    # With the date filters: the CSV has no form that names them, and tests/esafety/test_fuzz.py fuzzes the query it is given.
    "incidents:incident_export": Row(EXPORTERS_OF_INCIDENTS, query="?q=Alice&since=2020-01-01&until=31/12/2030"),
    "incidents:incident_pdf": Row(EXPORTERS_OF_INCIDENTS, kwargs=_incident, record_of_a=True),
}
