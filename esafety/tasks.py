"""
Celery tasks of the shared core. Each is a thin adapter: it takes ids, loads
what it needs and calls a service; each is safe to run twice. A task about a
school's records is a `school_task` (it runs in that school's scope); a daily
job over school records fans out to one such task per school.
"""

from datetime import timedelta

from celery import shared_task
from django.conf import settings
from django.core import management
from django.utils import timezone

from esafety import notifications, outbox
from esafety.mis_import import services as mis_import
from esafety.school_tasks import school_task, schools_fan_out


@shared_task(autoretry_for=(OSError,), retry_backoff=True, max_retries=5)
def notification_send_email(notification_id: int) -> bool:
    return notifications.notification_send_email(notification_id)


@shared_task
def outbox_drain() -> int:
    return outbox.outbox_drain()


@shared_task
def outbox_purge() -> int:
    return outbox.outbox_purge(sent_before=timezone.now() - timedelta(days=settings.OUTBOX_RETENTION_DAYS))


@school_task(acks_late=True)
def import_check(school, job_id: str) -> None:
    mis_import.import_check(job_id)


@school_task(acks_late=True)
def import_apply(school, job_id: str) -> None:
    mis_import.import_apply(job_id)


@shared_task
def imports_purge_files_all() -> int:
    return schools_fan_out("esafety.tasks.imports_purge_files")


@school_task()
def imports_purge_files(school) -> int:
    cutoff = timezone.now() - timedelta(days=settings.IMPORT_FILE_RETENTION_DAYS)
    return mis_import.imports_purge_files(finished_before=cutoff)


@shared_task
def sessions_clear() -> None:
    management.call_command("clearsessions")
