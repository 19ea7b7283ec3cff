"""
`manage.py grant_app_role <role>`: give the PostgreSQL role the app runs as what the app needs, and no more.

Run it as the role that owns the database and runs `migrate`, after every `migrate` (it is idempotent). The
app's role may then read and write every table, and the tables later migrations create, but only read and
add to the access log: it cannot change, delete or truncate an entry, nor disable the trigger that refuses
changes, since all of that needs the table's owner. See docs/deployment.md, "Database roles".
"""

from django.core.management.base import BaseCommand, CommandError
from django.db import connection, transaction

ACCESS_LOG = "esafety_accesslogentry"
# Refused to the app's role whatever it was granted before, directly or through PUBLIC or another role.
ACCESS_LOG_REFUSED = ("UPDATE", "DELETE", "TRUNCATE", "TRIGGER", "REFERENCES")


def _quote(identifier: str) -> str:
    return '"' + identifier.replace('"', '""') + '"'


class Command(BaseCommand):
    help = "PostgreSQL only: grant the app's database role what the app needs; the access log stays read-and-add only."

    def add_arguments(self, parser):
        parser.add_argument("role", help="The role in the app's DATABASE_URL, e.g. esafety_app.")

    def handle(self, *args, role, **options):
        if connection.vendor != "postgresql":
            raise CommandError(
                f"grant_app_role is for PostgreSQL; this database is {connection.vendor}, which has no roles: "
                "there the app and the owner are the same, and the access log is guarded by triggers alone."
            )
        with transaction.atomic(), connection.cursor() as cursor:
            self._check_role(cursor, role)
            app = _quote(role)
            cursor.execute("SELECT pg_get_serial_sequence(%s, 'id')", [ACCESS_LOG])
            (access_log_sequence,) = cursor.fetchone()
            statements = [
                f"GRANT USAGE ON SCHEMA public TO {app}",
                f"GRANT SELECT, INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA public TO {app}",
                f"GRANT USAGE, SELECT ON ALL SEQUENCES IN SCHEMA public TO {app}",
                # Tables and sequences that later migrations create (run, like this, as the owner) get the same grants.
                f"ALTER DEFAULT PRIVILEGES IN SCHEMA public GRANT SELECT, INSERT, UPDATE, DELETE ON TABLES TO {app}",
                f"ALTER DEFAULT PRIVILEGES IN SCHEMA public GRANT USAGE, SELECT ON SEQUENCES TO {app}",
                # The access log: read and add only. REVOKE ALL also undoes an earlier GRANT ALL by hand.
                f"REVOKE ALL ON TABLE {ACCESS_LOG} FROM {app}",
                f"GRANT SELECT, INSERT ON TABLE {ACCESS_LOG} TO {app}",
                # Its id is an identity column, which needs no privilege on the sequence; USAGE (nextval) is
                # kept for a database whose id is still a serial column. Never UPDATE (setval).
                f"REVOKE ALL ON SEQUENCE {access_log_sequence} FROM {app}",
                f"GRANT USAGE ON SEQUENCE {access_log_sequence} TO {app}",
            ]
            for sql in statements:
                cursor.execute(sql)
            self._check_access_log_refused(cursor, role)
        self.stdout.write(self.style.SUCCESS(f"Granted {role} the app's privileges; on {ACCESS_LOG} only SELECT and INSERT."))

    def _check_role(self, cursor, role: str) -> None:
        cursor.execute(
            """
            SELECT r.rolsuper, r.rolcreaterole, t.tableowner,
                   r.rolname = current_user OR pg_has_role(r.oid, t.tableowner, 'MEMBER'),
                   pg_has_role(r.oid, n.nspowner, 'MEMBER')
            FROM pg_roles r
            LEFT JOIN pg_tables t ON t.schemaname = 'public' AND t.tablename = %s
            LEFT JOIN pg_namespace n ON n.nspname = 'public'
            WHERE r.rolname = %s
            """,
            [ACCESS_LOG, role],
        )
        row = cursor.fetchone()
        if row is None:
            raise CommandError(f"There is no role {role!r}: create it first (docs/deployment.md, 'Database roles').")
        superuser, createrole, owner, is_owner, owns_schema = row
        if owner is None:
            raise CommandError(f"There is no table {ACCESS_LOG}: run `manage.py migrate` first.")
        if superuser:
            raise CommandError(f"{role} is a superuser, which no privilege binds: the app must run as an ordinary role.")
        if is_owner:
            raise CommandError(
                f"{role} is, or is a member of, {owner}, the role that owns the tables: an owner can change the "
                "access log whatever it is granted. Run this as the owner and name the app's own role."
            )
        if owns_schema:
            raise CommandError(f"{role} owns the database or its schema public, and so could drop the access log.")
        if createrole:
            raise CommandError(f"{role} has CREATEROLE, with which it could make itself a member of {owner}.")

    def _check_access_log_refused(self, cursor, role: str) -> None:
        held = []
        for privilege in ACCESS_LOG_REFUSED:
            cursor.execute("SELECT has_table_privilege(%s, %s, %s)", [role, ACCESS_LOG, privilege])
            if cursor.fetchone()[0]:
                held.append(privilege)
        if held:
            raise CommandError(
                f"{role} still holds {', '.join(held)} on {ACCESS_LOG} through PUBLIC or another role it belongs to: "
                "revoke it there, then run this again."
            )
