"""
Scoping that fails closed: a school-owned record cannot be queried without a school.

Every school-owned model's default manager is `SchoolScopedManager` (django-scopes). It adds
"of the school in scope" to every query, and a query made when no school is in scope raises
`ScopeError` instead of returning every school's rows. Who opens the scope:

- a request: `SchoolScopeMiddleware`, with the school the user is working in (`request.access.school`);
- a task: `esafety.school_tasks.school_task` runs the task inside its school's scope, and every other
  task starts with none (`SchoolScopedTask`), so that a task never borrows the scope of whatever queued it;
- a management command or a set-up step across schools: `with scope(school=school):` for each school
  (seeding the demo, setting schools up); the admin site, which really concerns every school,
  `scopes_disabled()`.

Rows reached from a record already in hand (`incident.pupil`, `pupil.form`) go through the base
manager and need no scope; querysets (`Incident.objects…`, `pupil.consent_answers.all()`) do.
"""

from contextlib import contextmanager
from functools import cache

from celery import Task
from django.db import models
from django.urls import reverse
from django_scopes import ScopedManager, ScopeError, scope, scopes_disabled
from django_scopes.manager import DisabledQuerySet
from django_scopes.state import state

__all__ = [
    "ScopeError",
    "SchoolScopedManager",
    "SchoolScopedTask",
    "SchoolScopeMiddleware",
    "no_scope",
    "scope",
    "scopes_disabled",
]


def SchoolScopedManager(queryset_class=models.QuerySet, path: str = "school"):  # noqa: N802 (a manager factory)
    """
    The default manager of a school-owned model: `objects = SchoolScopedManager(IncidentQuerySet)`.

    `path` is how the model reaches its school (`"incident__school"` for a row that belongs to an incident).
    Outside a school scope every read raises ScopeError, the queryset's own methods included.
    """
    base = ScopedManager(_manager_class=models.Manager.from_queryset(queryset_class), school=path).__class__
    refusing = _refusing_queryset_class(queryset_class)

    class Manager(base):
        def get_queryset(self):
            queryset = super().get_queryset()
            if isinstance(queryset, DisabledQuerySet):
                return refusing(model=self.model, using=self._db, hints=self._hints)
            return queryset

    Manager.__name__ = f"SchoolScoped{queryset_class.__name__}Manager"
    return Manager()


# What reads the database. A queryset made outside a scope can still be built on (a form field's queryset is
# made when the form class is defined) but raises as soon as it would read, or be used inside another query.
# Creating a row with its school named stays allowed: an access-log entry written while signing in, for one.
_READS = (
    "_fetch_all",
    "iterator",
    "count",
    "exists",
    "contains",
    "aggregate",
    "explain",
    "update",
    "_update",
    "delete",
    "_raw_delete",
    "resolve_expression",
)


def _refusing_queryset_class(queryset_class):
    def refuse(self, *args, **kwargs):
        raise ScopeError(f"{self.model.__name__} belongs to a school: query it inside `scope(school=...)` (esafety.scoping).")

    return type(f"ScopeRequired{queryset_class.__name__}", (queryset_class,), dict.fromkeys(_READS, refuse))


@contextmanager
def no_scope():
    """No school in scope, scopes enforced: any query of a school-owned model raises."""
    token = state.set({"_enabled": True})
    try:
        yield
    finally:
        state.reset(token)


class SchoolScopeMiddleware:
    """
    Runs each request inside the scope of the school the user is working in. A request without one
    (signing in, a user with no school yet) has no scope, so a school-owned query there raises.
    The admin site, for superusers only, sees every school.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if request.user.is_authenticated and request.user.is_superuser and request.path.startswith(_admin_root()):
            # The set-up site lists every school's look-up rows; only superusers may use it (esafety/urls.py).
            with scopes_disabled():
                return self.get_response(request)
        school = request.access.school if request.user.is_authenticated else None
        if school is None:
            with no_scope():
                return self.get_response(request)
        with scope(school=school):
            return self.get_response(request)


@cache
def _admin_root() -> str:
    return reverse("admin:index")


class SchoolScopedTask(Task):
    """Every task starts with no school in scope, even when run in-process by the code that queued it."""

    def __call__(self, *args, **kwargs):
        with no_scope():
            return super().__call__(*args, **kwargs)
