"""
Celery tasks of consents: thin adapters that call a service in their school's scope.
The daily jobs fan out: beat runs one task that queues one per school.
"""

from datetime import timedelta

from celery import shared_task
from django.utils import timezone

from consents import services
from esafety.school_tasks import school_task, schools_fan_out


@school_task(acks_late=True)
def slip_batch_build(school, batch_id: str) -> None:
    services.slip_batch_build(batch_id)


@shared_task
def consent_renewal_all() -> int:
    """Queue the renewal of every school; each does nothing before its own renewal date, or a second time."""
    return schools_fan_out("consents.tasks.consent_renewal")


@school_task(acks_late=True)
def consent_renewal(school) -> None:
    services.consent_renewal_run(school=school)


@shared_task
def consent_retention_all() -> int:
    """Queue the removal of leavers' consent records at every school, and of old photo-check look-ups."""
    return schools_fan_out("consents.tasks.consent_retention")


@school_task(acks_late=True)
def consent_retention(school) -> None:
    services.photo_lookups_purge(before=timezone.now() - timedelta(days=services.LOOKUP_WARNING_DAYS))
    services.consent_retention_run(school=school)
