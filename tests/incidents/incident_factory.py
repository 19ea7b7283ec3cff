"""Incidents for the dashboard, list and export tests, logged through the service as staff would."""

from datetime import timedelta

from django.utils import timezone

from incidents import services
from incidents.models import Incident, IncidentCategory, IncidentPerson

Part = IncidentPerson.Part


def category(school, starts_with: str) -> IncidentCategory:
    return IncidentCategory.objects.for_school(school).get(name__startswith=starts_with)


def log_incident(
    school_cast,
    *,
    kind="Cyberbullying",
    pupils=None,
    people=None,
    severity=Incident.Severity.MEDIUM,
    when=None,
    location=Incident.Location.ONLINE,
    reporter="teacher",
    description="A pupil showed their tutor unkind messages.",
) -> Incident:
    """Log one incident at a cast's school; `pupils` are (pupil, part) pairs, Alice as the one alleged by default."""
    involved = list(people or [])
    for pupil, part in pupils if pupils is not None else [(school_cast.pupil, Part.ALLEGED)]:
        involved.append(services.Involved(part, pupil=pupil))
    return services.incident_log(
        school=school_cast.school,
        actor=school_cast.users[reporter],
        occurred_at=when or timezone.now() - timedelta(hours=2),
        location=location,
        category=category(school_cast.school, kind),
        description=description,
        people=involved,
        severity=severity,
    )


def reload(incident: Incident) -> Incident:
    return Incident.objects.get(pk=incident.pk)


def actions_data(ticked=(), *, other=None) -> dict:
    """
    What a case's actions card sends: the proposals `ticked`, as (sanction action, owner, due date) in the
    order the page offers them, and `other`, an action of the handler's own as (title, owner, due date).
    """
    data = {"actions-TOTAL_FORMS": len(ticked), "actions-INITIAL_FORMS": len(ticked)}
    for i, (action, owner, due) in enumerate(ticked):
        data.update(
            {
                f"actions-{i}-sanction_action": action.pk,
                f"actions-{i}-take": "on",
                f"actions-{i}-owner": owner.pk if owner else "",
                f"actions-{i}-due_on": due,
            }
        )
    if other is not None:
        title, owner, due = other
        data.update({"other-title": title, "other-owner": owner.pk, "other-due_on": due})
    return data
