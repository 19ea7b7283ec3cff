"""
Celery tasks of consents: thin adapters that take ids and call a service.
The yearly jobs fan out: beat runs one task that queues one per school.
"""

from datetime import timedelta

from celery import shared_task
from django.utils import timezone

from consents import services
from esafety.models import School
from esafety.outbox import outbox_enqueue


@shared_task(acks_late=True)
def slip_batch_build(batch_id: str) -> None:
    services.slip_batch_build(batch_id)


@shared_task
def consent_renewal_all() -> int:
    """Queue the renewal of every school; each does nothing before its own renewal date, or a second time."""
    for school_id in School.objects.values_list("pk", flat=True):
        outbox_enqueue("consents.tasks.consent_renewal", school_id=school_id)
    return School.objects.count()


@shared_task(acks_late=True)
def consent_renewal(school_id: int) -> None:
    school = School.objects.filter(pk=school_id).first()
    if school is not None:
        services.consent_renewal_run(school=school)


@shared_task
def consent_retention_all() -> int:
    """Queue the removal of leavers' consent records at every school, and forget old photo-check look-ups."""
    services.photo_lookups_purge(before=timezone.now() - timedelta(days=services.LOOKUP_WARNING_DAYS))
    for school_id in School.objects.values_list("pk", flat=True):
        outbox_enqueue("consents.tasks.consent_retention", school_id=school_id)
    return School.objects.count()


@shared_task(acks_late=True)
def consent_retention(school_id: int) -> None:
    school = School.objects.filter(pk=school_id).first()
    if school is not None:
        services.consent_retention_run(school=school)
