"""Celery tasks of devices: thin adapters that call a service in their school's scope; each safe to run twice."""

from celery import shared_task

from devices import reminders
from esafety.school_tasks import school_task, schools_fan_out


@shared_task
def phones_end_of_day_all() -> int:
    return schools_fan_out("devices.tasks.phones_end_of_day")


@school_task()
def phones_end_of_day(school) -> int:
    return reminders.phones_not_collected_send(school)


@shared_task
def devices_daily_all() -> int:
    return schools_fan_out("devices.tasks.devices_daily")


@school_task()
def devices_daily(school) -> dict[str, int]:
    return reminders.devices_reminders_send(school)
