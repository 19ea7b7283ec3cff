"""Celery tasks of web filtering: thin adapters that call a service in their school's scope; each safe to run twice."""

from celery import shared_task

from esafety.school_tasks import school_task, schools_fan_out
from filtering import reminders


@shared_task
def filtering_daily_all() -> int:
    return schools_fan_out("filtering.tasks.filtering_daily")


@school_task()
def filtering_daily(school) -> dict[str, int]:
    return reminders.filtering_reminders_send(school)
