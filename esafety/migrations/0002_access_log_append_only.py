"""The access log is append-only: on PostgreSQL the database itself refuses UPDATE and DELETE.

TRUNCATE is left alone so that a test database can still be emptied between tests;
on SQLite the model and its queryset refuse instead.
"""

from django.db import migrations

FORWARD = """
CREATE OR REPLACE FUNCTION esafety_accesslog_refuse_change() RETURNS trigger AS $$
BEGIN
    RAISE EXCEPTION 'The access log is append-only: % is not allowed', TG_OP;
END;
$$ LANGUAGE plpgsql;

CREATE TRIGGER esafety_accesslog_append_only
    BEFORE UPDATE OR DELETE ON esafety_accesslogentry
    FOR EACH ROW EXECUTE FUNCTION esafety_accesslog_refuse_change();
"""

BACKWARD = """
DROP TRIGGER IF EXISTS esafety_accesslog_append_only ON esafety_accesslogentry;
DROP FUNCTION IF EXISTS esafety_accesslog_refuse_change();
"""


def forward(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(FORWARD, params=None)


def backward(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(BACKWARD, params=None)


class Migration(migrations.Migration):
    dependencies = [("esafety", "0001_initial")]

    operations = [migrations.RunPython(forward, backward)]
