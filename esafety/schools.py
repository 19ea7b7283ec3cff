"""
Creating a school, and giving it what each app starts it with.

Apps register a set-up function with `@school_setup`; `school_create` (used
by the admin, the demo and the tests) runs them all after saving the school.
Each set-up function must be safe to run twice: `school_set_up` can be run
again for a school that is missing something (e.g. after an app is added).
"""

from collections.abc import Callable

from django.db import transaction

from esafety.models import School
from esafety.scoping import scope

_SET_UP: list[Callable[[School], None]] = []


def school_setup(func: Callable[[School], None]):
    if func not in _SET_UP:
        _SET_UP.append(func)
    return func


def school_set_up(school: School) -> None:
    with scope(school=school):
        for set_up in _SET_UP:
            set_up(school)


def schools_set_up_all(*, using: str = "default", **signal_kwargs) -> None:
    """
    Set up every school again (each step does nothing where it has already been done): after `migrate`, once the
    database is at the latest migration of every app (not after a partial or backwards migrate).
    """
    from django.db import connections
    from django.db.migrations.executor import MigrationExecutor

    executor = MigrationExecutor(connections[using])
    if executor.migration_plan(executor.loader.graph.leaf_nodes()):
        return
    for school in School.objects.using(using):
        school_set_up(school)


@transaction.atomic
def school_create(**fields) -> School:
    school = School.objects.create(**fields)
    school_set_up(school)
    return school
