"""
Tasks about one school, and the daily jobs that fan out to them.

Beat runs a job once; a job over schools' records only queues one task per school through the outbox
(`schools_fan_out`), and each of those runs inside its school's scope (`school_task`, esafety.scoping).
"""

from functools import wraps

from celery import shared_task

from esafety.models import School
from esafety.outbox import outbox_enqueue
from esafety.scoping import scope


def school_task(**options):
    """
    A task about one school: called with `school_id` first, it runs `func(school, ...)` inside that
    school's scope, and does nothing if the school has gone. `school_task(acks_late=True)` passes
    options on to Celery.
    """

    def decorator(func):
        @shared_task(name=f"{func.__module__}.{func.__name__}", **options)
        @wraps(func)
        def task(school_id: int, *args, **kwargs):
            school = School.objects.filter(pk=school_id).first()
            if school is None:
                return None
            with scope(school=school):
                return func(school, *args, **kwargs)

        return task

    return decorator


def schools_fan_out(task_name: str) -> int:
    """Queue one `school_task` per school through the outbox (e.g. a daily job beat runs once)."""
    school_ids = list(School.objects.values_list("pk", flat=True))
    for school_id in school_ids:
        outbox_enqueue(task_name, school_id=school_id)
    return len(school_ids)
