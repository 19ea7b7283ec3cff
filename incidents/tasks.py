"""Celery tasks of the incident log: thin adapters that call a service in their school's scope; each safe to run twice."""

from celery import shared_task

from esafety.school_tasks import school_task, schools_fan_out
from incidents import reminders


@shared_task
def overdue_actions_remind_all() -> int:
    return schools_fan_out("incidents.tasks.overdue_actions_remind")


@school_task()
def overdue_actions_remind(school) -> int:
    return reminders.overdue_actions_remind(school.pk)


@shared_task
def drafts_purge_all() -> int:
    return schools_fan_out("incidents.tasks.drafts_purge")


@school_task()
def drafts_purge(school) -> int:
    return reminders.drafts_purge()
