"""
Trigram indexes for the incident list's search, on PostgreSQL only.

The search matches a word anywhere in what happened and in the names of people from outside the
school (`incidents.filters.IncidentFilter.search`, Django's `icontains`, which PostgreSQL runs as
`UPPER(column::text) LIKE UPPER('%word%')`). Without an index every search reads every incident;
a GIN index of trigrams on the same expression answers it from the index. SQLite has no such index
and needs none at a school's size, so the migration does nothing there.

`pg_trgm` ships with PostgreSQL and is a trusted extension (13 and later): the owner of the database
may add it. Where the app's database user may not, the migration says so and goes on without the
indexes; the search still works, only slower on a large school.
"""

import logging

from django.db import DatabaseError, migrations, transaction

logger = logging.getLogger(__name__)

INDEXES = [
    ("incident_description_trgm_idx", "incidents_incident", "description"),
    ("incident_person_outsider_trgm_idx", "incidents_incidentperson", "outsider"),
]


def create(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    try:
        with transaction.atomic(using=schema_editor.connection.alias):
            schema_editor.execute("CREATE EXTENSION IF NOT EXISTS pg_trgm")
    except DatabaseError as error:
        logger.warning("Incident search will not be indexed: the pg_trgm extension could not be added (%s)", error)
        return
    for name, table, column in INDEXES:
        schema_editor.execute(
            f'CREATE INDEX IF NOT EXISTS "{name}" ON "{table}" USING gin ((UPPER("{column}"::text)) gin_trgm_ops)'
        )


def drop(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    for name, _, _ in INDEXES:
        schema_editor.execute(f'DROP INDEX IF EXISTS "{name}"')


class Migration(migrations.Migration):
    dependencies = [
        ("incidents", "0002_incident_newest_first_index"),
    ]

    operations = [migrations.RunPython(create, drop, elidable=False)]
