"""The daily reminders of the incident log: overdue actions, and drafts nobody came back to."""

from datetime import timedelta

from django.db import transaction
from django.urls import reverse
from django.utils import timezone

from esafety.notifications import notify
from incidents import selectors
from incidents.models import IncidentAction, IncidentDraft

DRAFT_RETENTION_DAYS = 30


def overdue_actions_remind(school_id: int) -> int:
    """Tell each owner of an overdue action about it, once a day however often this runs. Returns how many were told."""
    today = timezone.localdate()
    told = 0
    with transaction.atomic():
        overdue = (
            IncidentAction.objects.select_for_update(of=("self",))
            .filter(incident__school_id=school_id, done_at=None, due_on__lt=today)
            .exclude(reminded_on=today)
            .exclude(incident__status="closed")
            .select_related("incident__school", "owner")
        )
        for action in overdue:
            if not selectors.may_see(action.owner, action.incident):
                # Its owner lost sight of it (a change of role): a reminder would name an incident they may not see.
                continue
            notify(
                recipients=[action.owner],
                school=action.incident.school,
                title=f"Overdue: “{action.title}” on {action.incident.reference} was due {action.due_on:%d/%m/%Y}",
                link=reverse("incidents:incident_detail", args=[action.incident_id]),
            )
            action.reminded_on = today
            action.save(update_fields=["reminded_on"])
            told += 1
    return told


def drafts_purge() -> int:
    """Remove log-form drafts left untouched for a month: what staff typed is personal data."""
    cutoff = timezone.now() - timedelta(days=DRAFT_RETENTION_DAYS)
    deleted, _ = IncidentDraft.objects.filter(updated_at__lt=cutoff).delete()
    return deleted
