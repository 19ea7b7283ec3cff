"""Celery tasks of policies and training: thin adapters that call a service in their school's scope; each safe to run twice."""

from celery import shared_task

from esafety.school_tasks import school_task, schools_fan_out
from policies.services.policies import policy_review_reminders_send
from policies.services.training import training_reminders_send


@shared_task
def policies_daily_all() -> int:
    return schools_fan_out("policies.tasks.policies_daily")


@school_task()
def policies_daily(school) -> dict[str, int]:
    return {"reviews": policy_review_reminders_send(school), "training": training_reminders_send(school)}
