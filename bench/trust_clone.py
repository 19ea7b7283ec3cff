"""
Copies of a school made in bulk on PostgreSQL, for measuring a trust of many large schools.

Building another large demo school takes minutes; copying one takes seconds. `clone_plan()` works out, from the
models alone, which tables belong to a school and how: a table with a `school` foreign key, or one reached through
its parent (an incident's people through the incident, a round's slips through the round), and the many-to-many
tables between them. `schools_clone()` then copies every such table's rows of the school with one
`INSERT … SELECT` each, in dependency order, for each copy:

- the school becomes the copy (a new `School` row in the same trust);
- a primary key is mapped so that each copy's rows have keys of their own, and the same row always gets the same
  key: a UUID through `md5(id || copy number)`, an integer by adding the copy number times a fixed offset (above
  the table's largest key); a foreign key to another of the school's rows is mapped the same way, so that the copy's
  incidents point at the copy's pupils;
- a foreign key to a row that is no one school's (a user, an academic year, a trust) is kept;
- a value unique across every school (a slip's code, a feed's token) is replaced by a hash of it and the copy.

History tables are not copied, nor records that only say what someone did on a page (drafts, lookups, imports),
nor the reports themselves. A table can be copied only in part (`only`): the phone register for the years a
report reads, say. Sequences are moved past the copies afterwards.
"""

from dataclasses import dataclass, field

from django.apps import apps
from django.core.management.color import no_style
from django.db import connection, models

from esafety.models import School

# School-owned records that say what someone did, not what happened at the school; no report reads them.
NOT_COPIED = {
    "esafety.ImportJob": "MIS imports",
    "incidents.IncidentDraft": "half-written incidents",
    "consents.PhotoCheckLookup": "photo-check look-ups",
    "consents.SlipBatch": "printed slips",
    "reports.SchoolReport": "the reports themselves",
}


@dataclass
class ClonedTable:
    model: type[models.Model]
    # The foreign keys from the model to School, through its parents: [incident, school] for an incident's people.
    path: list[models.ForeignKey]
    # An extra condition on the source rows (alias `src`) and its parameters; the table is then copied in part.
    only: tuple[str, dict] | None = None
    # The columns set to NULL because they point at a school-owned table that is not copied.
    emptied: list[str] = field(default_factory=list)

    @property
    def label(self) -> str:
        return self.model._meta.label


@dataclass
class ClonePlan:
    tables: list[ClonedTable]
    # Integer-keyed tables: what each copy adds to a key (copy k: key + k * offset).
    offsets: dict[str, int]
    # (label, why) of the school-owned tables that are not copied.
    skipped: list[tuple[str, str]]

    def describe(self) -> str:
        partly = [table.label for table in self.tables if table.only]
        words = f"{len(self.tables)} tables copied"
        if partly:
            words += f" ({', '.join(partly)} in part)"
        if self.skipped:
            words += "; not copied: " + ", ".join(f"{label} ({why})" for label, why in self.skipped)
        return words


def _is_history(model) -> bool:
    return model.__name__.startswith("Historical") and hasattr(model, "instance_type")


def _foreign_keys(model) -> list[models.ForeignKey]:
    return [f for f in model._meta.concrete_fields if isinstance(f, models.ForeignKey)]


def clone_plan(*, only: dict[str, tuple[str, dict]] | None = None, skip: dict[str, str] | None = None) -> ClonePlan:
    """
    Which tables belong to a school, how each reaches it, and in which order to copy them.

    `only` maps a model's label to a condition on its source rows (alias `src`) with its named parameters, e.g.
    `("src.day >= %(since)s", {"since": day})` for the phone register's recent days; `skip` adds tables not to
    copy, with why.
    """
    only = only or {}
    not_copied = {**NOT_COPIED, **(skip or {})}
    candidates = [
        model
        for model in apps.get_models(include_auto_created=True)
        if model._meta.managed and not model._meta.proxy and not _is_history(model) and model is not School
    ]

    # How each model reaches a school: a required foreign key to School, else a required one to a school-owned model.
    paths: dict[type, list[models.ForeignKey]] = {}
    changed = True
    while changed:
        changed = False
        for model in candidates:
            if model in paths:
                continue
            fks = [f for f in _foreign_keys(model) if not f.null]
            direct = [f for f in fks if f.related_model is School]
            if direct:
                paths[model] = [min(direct, key=lambda f: f.name != "school")]
                changed = True
                continue
            parent = next((f for f in fks if f.related_model in paths and f.related_model is not model), None)
            if parent is not None:
                paths[model] = [parent, *paths[parent.related_model]]
                changed = True

    # Tables not copied, and those that need one of them: a required link to a table not copied cannot be kept.
    skipped = {model: not_copied[model._meta.label] for model in paths if model._meta.label in not_copied}
    changed = True
    while changed:
        changed = False
        for model in paths:
            if model in skipped:
                continue
            missing = [f for f in _foreign_keys(model) if not f.null and f.related_model in skipped]
            if missing:
                skipped[model] = f"needs {missing[0].related_model._meta.label}"
                changed = True

    copied = [model for model in paths if model not in skipped]
    tables = [
        ClonedTable(
            model=model,
            path=paths[model],
            only=only.get(model._meta.label),
            emptied=[f.column for f in _foreign_keys(model) if f.null and f.related_model in skipped],
        )
        for model in _dependency_order(copied)
    ]
    for table in tables:
        pk = table.model._meta.pk
        if isinstance(pk, models.ForeignKey):
            raise ValueError(f"{table.label}: a primary key that is a foreign key cannot be copied")
    offsets = {}
    with connection.cursor() as cursor:
        for table in tables:
            if not _has_uuid_key(table.model):
                meta = table.model._meta
                cursor.execute(f"SELECT COALESCE(MAX({_q(meta.pk.column)}), 0) FROM {_q(meta.db_table)}")  # noqa: S608
                offsets[table.label] = cursor.fetchone()[0] + 1
    return ClonePlan(tables, offsets, sorted((model._meta.label, why) for model, why in skipped.items()))


def _dependency_order(models_: list[type]) -> list[type]:
    """Parents before the rows that point at them; a cycle (a type and its current wording) is broken anywhere."""
    ordered, placed = [], set()
    remaining = list(models_)
    while remaining:
        for model in remaining:
            needs = {
                f.related_model for f in _foreign_keys(model) if f.related_model in remaining and f.related_model is not model
            }
            if not needs - placed:
                break
        else:
            model = remaining[0]  # a cycle: the database checks foreign keys at commit (deferred constraints)
        ordered.append(model)
        placed.add(model)
        remaining.remove(model)
    return ordered


def _q(name: str) -> str:
    return connection.ops.quote_name(name)


def _has_uuid_key(model) -> bool:
    return isinstance(model._meta.pk, models.UUIDField)


def _mapped_key(plan: ClonePlan, model, expression: str, copy: int) -> str:
    """The SQL for the copy's key of a row of `model` whose key is `expression`."""
    if _has_uuid_key(model):
        return f"md5({expression}::text || '#{copy}')::uuid"
    return f"{expression} + {plan.offsets[model._meta.label] * copy}"


def _insert_sql(plan: ClonePlan, table: ClonedTable, copy: int) -> str:
    """INSERT … SELECT of one table's rows of the school (%s: the copy's id, then the school's id, then `only`'s)."""
    copied = {t.model for t in plan.tables}
    meta = table.model._meta
    columns, values = [], []
    for f in meta.concrete_fields:
        source = f"src.{_q(f.column)}"
        if f.primary_key:
            value = _mapped_key(plan, table.model, source, copy)
        elif isinstance(f, models.ForeignKey) and f.related_model is School:
            value = f"CASE WHEN {source} IS NULL THEN NULL ELSE %(copy)s END"
        elif f.column in table.emptied:
            value = "NULL"
        elif isinstance(f, models.ForeignKey) and f.related_model in copied:
            value = _mapped_key(plan, f.related_model, source, copy)
        elif f.unique and not isinstance(f, models.ForeignKey):
            # Unique across every school: a value of the copy's own.
            if not isinstance(f, models.CharField | models.TextField):
                raise ValueError(f"{meta.label}.{f.name}: a unique value of this kind cannot be copied")
            length = f"{f.max_length}" if f.max_length else "32"
            value = f"CASE WHEN {source} IS NULL THEN NULL ELSE left(upper(md5({source} || '#{copy}')), {length}) END"
        else:
            value = source
        columns.append(_q(f.column))
        values.append(value)

    joins, alias = [], "src"
    for number, fk in enumerate(table.path[:-1], start=1):
        parent = fk.related_model._meta
        joins.append(f"JOIN {_q(parent.db_table)} p{number} ON p{number}.{_q(parent.pk.column)} = {alias}.{_q(fk.column)}")
        alias = f"p{number}"
    where = f"{alias}.{_q(table.path[-1].column)} = %(school)s"
    if table.only:
        where += f" AND ({table.only[0]})"
    return (
        f"INSERT INTO {_q(meta.db_table)} ({', '.join(columns)}) "  # noqa: S608 - names from the models, values as parameters
        f"SELECT {', '.join(values)} FROM {_q(meta.db_table)} src {' '.join(joins)} WHERE {where}"
    )


def _only_params(table: ClonedTable) -> dict:
    return dict(table.only[1]) if table.only else {}


def schools_clone(school: School, copies: range, *, plan: ClonePlan, progress=None) -> tuple[list[School], int]:
    """
    Copies of the school, one for each number of `copies` (from 1: the numbers keep each copy's keys apart, so a
    later call can add more copies with the same plan), in the school's trust. Returns them and the rows copied.
    PostgreSQL only (md5 keys, INSERT … SELECT).
    """
    if connection.vendor != "postgresql":
        raise RuntimeError("Schools are copied in bulk on PostgreSQL only.")
    if 0 in copies:
        raise ValueError("Copy numbers start at 1: copy 0 would have the school's own keys.")
    made, rows = [], 0
    with connection.cursor() as cursor:
        for copy in copies:
            clone = School.objects.create(
                name=f"{school.name} ({copy + 1})",
                urn=f"C{copy:03d}{school.pk:04d}"[-8:],
                phase=school.phase,
                trust_id=school.trust_id,
                email=school.email,
            )
            for table in plan.tables:
                cursor.execute(_insert_sql(plan, table, copy), {"copy": clone.pk, "school": school.pk, **_only_params(table)})
                rows += max(cursor.rowcount, 0)
            made.append(clone)
            if progress:
                progress(copy, clone)
        # New rows made later (a report's own rows, say) get keys past the copies'.
        for sql in connection.ops.sequence_reset_sql(no_style(), [t.model for t in plan.tables if not _has_uuid_key(t.model)]):
            cursor.execute(sql)
    return made, rows
