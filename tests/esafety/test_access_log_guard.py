"""
The access log cannot be changed or deleted by the app, on SQLite or PostgreSQL.

The model and its queryset refuse first (tests/esafety/test_people.py); these tests take every route past
them and check that the database refuses too, and that the entry reads back unchanged. On PostgreSQL the app
runs as a role that owns nothing (`manage.py grant_app_role`): as such a role, even TRUNCATE and disabling the
trigger are refused.
"""

import io
from contextlib import contextmanager

import pytest
from django.core.management import CommandError, call_command
from django.db import DatabaseError, connection, transaction

from esafety.models import AccessLogEntry
from esafety.scoping import scope
from tests import factories as f

APP_ROLE = "esafety_test_app"


@pytest.fixture
def entry(db):
    actor = f.make_user("dsl@a.example", "Dsl A")
    school = f.make_school()
    with scope(school=school):
        yield AccessLogEntry.objects.create(actor=actor, school=school, kind=AccessLogEntry.Kind.VIEW, summary="Looked")


def assert_unchanged(entry):
    assert list(AccessLogEntry.objects.values_list("pk", "summary")) == [(entry.pk, "Looked")]


@contextmanager
def refused(match="append-only"):
    # A savepoint, so that on PostgreSQL the test's transaction carries on after the error.
    with pytest.raises(DatabaseError, match=match), transaction.atomic():
        yield


def run_sql(sql, params=()):
    with connection.cursor() as cursor:
        cursor.execute(sql, params)


def make_role(name, options="NOLOGIN"):
    # Roles belong to the whole cluster, but CREATE ROLE is transactional: the test's rollback removes it.
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1 FROM pg_roles WHERE rolname = %s", [name])
        if cursor.fetchone() is None:
            cursor.execute(f'CREATE ROLE "{name}" {options}')


@contextmanager
def as_role(name):
    """Run the block's queries as `name`, in a savepoint that an error rolls back (and with it SET LOCAL)."""
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(f'SET LOCAL ROLE "{name}"')
        yield
        cursor.execute("RESET ROLE")


def test_a_queryset_update_through_the_base_manager_is_refused(entry):
    with refused():
        AccessLogEntry._base_manager.filter(pk=entry.pk).update(summary="Never looked")
    assert_unchanged(entry)


def test_a_queryset_delete_through_the_base_manager_is_refused(entry):
    with refused():
        AccessLogEntry._base_manager.filter(pk=entry.pk).delete()
    assert_unchanged(entry)


def test_saving_a_new_instance_with_an_existing_primary_key_is_refused(entry):
    # The model lets a new instance save; with a primary key set, Django tries an UPDATE first.
    forged = AccessLogEntry(pk=entry.pk, actor=entry.actor, school=entry.school, kind=entry.kind, summary="Never looked")
    with refused():
        forged.save()
    assert_unchanged(entry)


@pytest.mark.parametrize(
    "sql",
    [
        "UPDATE esafety_accesslogentry SET summary = 'Never looked' WHERE id = %s",
        "DELETE FROM esafety_accesslogentry WHERE id = %s",
        "UPDATE esafety_accesslogentry SET summary = 'Never looked'",
        # SQLite's TRUNCATE: without a WHERE (and without triggers) it empties the table in one go.
        "DELETE FROM esafety_accesslogentry",
    ],
)
def test_raw_sql_cannot_change_or_delete_an_entry(entry, sql):
    with refused():
        run_sql(sql, [entry.pk] if "%s" in sql else [])
    assert_unchanged(entry)


def test_the_app_role_can_add_to_and_read_the_log_but_not_change_empty_or_unguard_it(entry):
    if connection.vendor == "sqlite":
        # No roles: emptying the table (SQLite has no TRUNCATE) and dropping the triggers are one and the
        # same to whoever holds the file. The emptying, at least, is refused.
        with refused():
            run_sql("DELETE FROM esafety_accesslogentry")
        assert_unchanged(entry)
        return

    make_role(APP_ROLE)
    call_command("grant_app_role", APP_ROLE, stdout=io.StringIO())
    with as_role(APP_ROLE):
        added = AccessLogEntry.objects.create(actor=entry.actor, school=entry.school, kind="export", summary="Exported")
        assert AccessLogEntry.objects.filter(pk=entry.pk).get().summary == "Looked"
    for sql in (
        "UPDATE esafety_accesslogentry SET summary = 'Never looked'",
        "DELETE FROM esafety_accesslogentry",
        "TRUNCATE esafety_accesslogentry",
        "ALTER TABLE esafety_accesslogentry DISABLE TRIGGER esafety_accesslog_append_only",
        "ALTER TABLE esafety_accesslogentry DISABLE TRIGGER ALL",
        "DROP TRIGGER esafety_accesslog_append_only ON esafety_accesslogentry",
    ):
        with refused(match="permission denied|must be owner"), as_role(APP_ROLE):
            run_sql(sql)
    with refused(match="permission denied"), as_role(APP_ROLE):
        AccessLogEntry._base_manager.filter(pk=entry.pk).update(summary="Never looked")
    assert list(AccessLogEntry.objects.order_by("pk").values_list("summary", flat=True)) == ["Looked", "Exported"]
    assert added.pk != entry.pk
    with connection.cursor() as cursor:
        cursor.execute("SELECT current_user")
        assert cursor.fetchone()[0] != APP_ROLE, "as_role() must hand the connection back"


def test_the_grant_refuses_a_database_without_roles_or_a_role_that_could_get_round_it(db):
    if connection.vendor == "sqlite":
        with pytest.raises(CommandError, match="for PostgreSQL"):
            call_command("grant_app_role", APP_ROLE)
        return

    make_role("esafety_test_superuser", "SUPERUSER NOLOGIN")
    with pytest.raises(CommandError, match="superuser"):
        call_command("grant_app_role", "esafety_test_superuser")
    # A member of the owning role can SET ROLE to it.
    make_role("esafety_test_owners_friend")
    with connection.cursor() as cursor:
        cursor.execute("SELECT tableowner FROM pg_tables WHERE tablename = 'esafety_accesslogentry'")
        cursor.execute(f'GRANT "{cursor.fetchone()[0]}" TO "esafety_test_owners_friend"')
    with pytest.raises(CommandError, match="owns the tables"):
        call_command("grant_app_role", "esafety_test_owners_friend")
    with pytest.raises(CommandError, match="no role"):
        call_command("grant_app_role", "esafety_test_nobody")
