"""
Django's `flush`, which on an SQLite test database can also empty the append-only access log.

Transactional tests (`django_db(transaction=True)`) are cleaned up with `flush`. On PostgreSQL that is a
TRUNCATE, which the access log's row trigger lets through (and which the app's own role may not run, see
`grant_app_role`). On SQLite it is a `DELETE FROM` per table, which the triggers of migration 0006 refuse
as soon as a test has written an entry. So, on the test database only, this lifts the database's triggers,
empties the tables and puts the triggers back, all in one transaction: no other connection ever sees the
triggers gone, and if anything fails they stay. Any other database, including the one the app runs on, gets
Django's flush unchanged, which the triggers then refuse once the log holds an entry.
"""

from django.core.management.commands import flush
from django.db import connections, transaction


def _is_sqlite_test_database(connection) -> bool:
    # While tests run, Django points NAME at TEST["NAME"], a file of its own (esafety/settings.py); the
    # database the app runs on has a different name.
    settings_dict = connection.settings_dict
    test_name = settings_dict.get("TEST", {}).get("NAME")
    return connection.vendor == "sqlite" and bool(test_name) and settings_dict["NAME"] == test_name


class Command(flush.Command):
    def handle(self, **options):
        connection = connections[options["database"]]
        if not _is_sqlite_test_database(connection):
            return super().handle(**options)
        with transaction.atomic(using=connection.alias):
            with connection.cursor() as cursor:
                cursor.execute("SELECT name, sql FROM sqlite_master WHERE type = 'trigger'")
                triggers = cursor.fetchall()
                for name, _ in triggers:
                    cursor.execute(f"DROP TRIGGER {connection.ops.quote_name(name)}")
            super().handle(**options)
            with connection.cursor() as cursor:
                for _, sql in triggers:
                    cursor.execute(sql)
