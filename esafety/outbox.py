"""
Queueing background work so that saving a record never waits on Redis.

`outbox_enqueue` writes an `OutboxMessage` in the caller's transaction and
asks for it to be sent to Celery after commit. If the broker is down the
message simply stays pending; `outbox_drain` (every minute, from beat) sends
what is left. Every task queued this way must be idempotent.
"""

import logging

from django.db import transaction
from django.utils import timezone

from esafety.celery import app
from esafety.models import OutboxMessage

logger = logging.getLogger(__name__)


def outbox_enqueue(task_name: str, **kwargs) -> OutboxMessage:
    message = OutboxMessage.objects.create(task_name=task_name, kwargs=kwargs)
    transaction.on_commit(lambda: outbox_dispatch(message.pk))
    return message


def outbox_dispatch(message_id: int) -> bool:
    """Hand one pending message to the broker (or, with no broker, run it). False if that failed: it stays pending."""
    if app.conf.task_always_eager:
        return _run_in_process(message_id)
    with transaction.atomic():
        message = OutboxMessage.objects.select_for_update().filter(pk=message_id, dispatched_at__isnull=True).first()
        if message is None:
            return True
        message.attempts += 1
        try:
            # A fresh connection, and retry=False: fail at once when Redis is down
            # (instead of blocking the request), and recover as soon as it is back.
            with app.connection_for_write() as connection:
                app.send_task(message.task_name, kwargs=message.kwargs, connection=connection, retry=False)
        except Exception as exc:  # noqa: BLE001 - any broker error leaves the message for the drain
            logger.warning("Broker unavailable, message %s stays in the outbox: %s", message.pk, exc)
            message.last_error = str(exc)[:1000]
            message.save(update_fields=["attempts", "last_error"])
            return False
        message.dispatched_at = timezone.now()
        message.last_error = ""
        message.save(update_fields=["attempts", "dispatched_at", "last_error"])
    return True


def _run_in_process(message_id: int) -> bool:
    # No broker (a laptop, the tests): run the task now. It is marked sent only once it has
    # succeeded, so a failure stays pending for the next drain instead of being lost.
    message = OutboxMessage.objects.filter(pk=message_id, dispatched_at__isnull=True).first()
    if message is None:
        return True
    message.attempts += 1
    try:
        app.tasks[message.task_name].apply(kwargs=message.kwargs, throw=True)
    except Exception as exc:
        message.last_error = str(exc)[:1000]
        message.save(update_fields=["attempts", "last_error"])
        if app.conf.task_eager_propagates:
            raise
        logger.exception("Task %s failed in-process; it stays in the outbox", message.task_name)
        return False
    message.dispatched_at = timezone.now()
    message.last_error = ""
    message.save(update_fields=["attempts", "dispatched_at", "last_error"])
    return True


def outbox_purge(*, sent_before) -> int:
    """Remove messages handed to the broker before the given time."""
    deleted, _ = OutboxMessage.objects.filter(dispatched_at__lt=sent_before).delete()
    return deleted


def outbox_drain(limit: int = 500) -> int:
    """Send pending messages, oldest first. Returns how many were sent."""
    sent = 0
    for message_id in OutboxMessage.objects.filter(dispatched_at__isnull=True).values_list("pk", flat=True)[:limit]:
        if not outbox_dispatch(message_id):
            break  # the broker is still down: try again at the next drain
        sent += 1
    return sent
