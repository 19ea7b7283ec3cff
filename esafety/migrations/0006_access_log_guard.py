"""
The access log is append-only on SQLite too: triggers refuse every UPDATE and DELETE of its rows.

Migration 0002 does this on PostgreSQL; there, in production, the app also runs as a role that owns nothing
and may only SELECT and INSERT the log (`manage.py grant_app_role`), so it can neither TRUNCATE the table nor
disable the trigger. SQLite has no roles: whoever can write the file can also DROP TRIGGER. These triggers
stop every route the app's code could take by mistake or through a query: the ORM past the model's guard
(`_base_manager.update()`/`.delete()`, `save()` of an instance with an existing primary key) and raw UPDATE
and DELETE, with or without WHERE. They have no exception built in: a WHEN clause reading some marker would
be a switch that the app could flip as easily as a test.

Test databases must still be emptied between transactional tests. On PostgreSQL Django's flush is a TRUNCATE,
which row triggers do not see. On SQLite it is `DELETE FROM` each table, which these triggers refuse as soon as
a transactional test has written an entry (the browser test that prints consent slips does). The answer is in
`esafety/management/commands/flush.py`, not here: Django's flush, except that on the test database (NAME equal
to TEST["NAME"], never the database the app runs on) it drops the triggers, empties the tables and re-creates
the triggers in one transaction. The web app never runs flush, and on any other database flush stays refused.

On SQLite a later migration that alters esafety_accesslogentry rebuilds the table and loses these triggers:
such a migration must create them again.
"""

from django.db import migrations

SQLITE_FORWARD = [
    """
    CREATE TRIGGER esafety_accesslog_no_update BEFORE UPDATE ON esafety_accesslogentry
    BEGIN
        SELECT RAISE(ABORT, 'The access log is append-only: UPDATE is not allowed');
    END
    """,
    """
    CREATE TRIGGER esafety_accesslog_no_delete BEFORE DELETE ON esafety_accesslogentry
    BEGIN
        SELECT RAISE(ABORT, 'The access log is append-only: DELETE is not allowed');
    END
    """,
]

SQLITE_BACKWARD = [
    "DROP TRIGGER IF EXISTS esafety_accesslog_no_update",
    "DROP TRIGGER IF EXISTS esafety_accesslog_no_delete",
]


def forward(apps, schema_editor):
    if schema_editor.connection.vendor == "sqlite":
        for sql in SQLITE_FORWARD:
            schema_editor.execute(sql, params=None)


def backward(apps, schema_editor):
    if schema_editor.connection.vendor == "sqlite":
        for sql in SQLITE_BACKWARD:
            schema_editor.execute(sql, params=None)


class Migration(migrations.Migration):
    dependencies = [("esafety", "0005_access_log_reader_needs")]

    operations = [migrations.RunPython(forward, backward)]
