"""Celery tasks of the incident log: thin adapters that take ids and call a service; each safe to run twice."""

from celery import shared_task

from esafety.models import School
from incidents import reminders


@shared_task
def overdue_actions_remind_all() -> int:
    """Fan out: one reminder task per school."""
    for school_id in School.objects.values_list("pk", flat=True):
        overdue_actions_remind.delay(school_id)
    return School.objects.count()


@shared_task
def overdue_actions_remind(school_id: int) -> int:
    return reminders.overdue_actions_remind(school_id)


@shared_task
def drafts_purge() -> int:
    return reminders.drafts_purge()
