"""
Reading django-simple-history for the history panel on detail pages:
who changed what, when, from what to what, in words a school would use.
"""

from dataclasses import dataclass, field
from datetime import datetime, time

from django.db import models
from django.utils.text import capfirst


@dataclass
class FieldChange:
    label: str
    old: str
    new: str


@dataclass
class HistoryEntry:
    when: datetime
    who: str
    action: str
    reason: str = ""
    changes: list[FieldChange] = field(default_factory=list)


_ACTIONS = {"+": "Created", "~": "Changed", "-": "Deleted"}


def _display(model_field, value, related_names) -> str:
    if value is None or value == "":
        return "–"
    if model_field.is_relation:
        return related_names.get((model_field.name, value), "(removed)")
    if model_field.choices:
        return str(dict(model_field.flatchoices).get(value, value))
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, time):
        return value.strftime("%H:%M")
    if hasattr(value, "strftime"):
        return value.strftime("%d/%m/%Y %H:%M" if isinstance(value, datetime) else "%d/%m/%Y")
    return str(value)


def history_for(obj, *, hidden_fields=(), limit: int = 50) -> list[HistoryEntry]:
    """
    The newest `limit` changes of `obj`, each with its changed fields.

    `hidden_fields` are left out of the panel (e.g. the vulnerable flag for
    those who may not see it). A fixed number of queries whatever the length
    of the history: one for the records, one per foreign key that changed.
    """
    records = list(obj.history.select_related("history_user").order_by("-history_date", "-history_id")[: limit + 1])
    model = type(obj)
    fields = {f.name: f for f in model._meta.concrete_fields}
    skip = {"id", *hidden_fields}

    pairs = []
    wanted_related: dict[str, set] = {}
    for index, record in enumerate(records[:limit]):
        older = records[index + 1] if index + 1 < len(records) else None
        deltas = []
        reason = record.history_change_reason or ""
        if older is not None and record.history_type == "~":
            # Concrete fields only: comparing many-to-many fields would read them again for every entry.
            m2m = [f.name for f in older._history_m2m_fields]
            changed = [
                c for c in record.diff_against(older, excluded_fields=m2m).changes if c.field in fields and c.field != "id"
            ]
            deltas = [c for c in changed if c.field not in skip]
            if hidden_fields and len(deltas) < len(changed):
                if not deltas:
                    # A change of hidden fields alone: for this reader it did not happen.
                    continue
                # The reason was written for those who see every field, and may name a hidden one.
                reason = ""
            for change in deltas:
                if fields[change.field].is_relation:
                    wanted_related.setdefault(change.field, set()).update(v for v in (change.old, change.new) if v)
        pairs.append((record, deltas, reason))

    related_names = {}
    for name, ids in wanted_related.items():
        related_model = fields[name].related_model
        for pk, related in related_model._base_manager.in_bulk(list(ids)).items():
            related_names[(name, pk)] = str(related)

    entries = []
    for record, deltas, reason in pairs:
        user = record.history_user
        entries.append(
            HistoryEntry(
                when=record.history_date,
                who=str(user) if user else "System",
                action=_ACTIONS.get(record.history_type, "Changed"),
                reason=reason,
                changes=[
                    FieldChange(
                        label=capfirst(fields[c.field].verbose_name),
                        old=_display(fields[c.field], c.old, related_names),
                        new=_display(fields[c.field], c.new, related_names),
                    )
                    for c in deltas
                ],
            )
        )
    return entries


def save_with_history(obj: models.Model, *, actor, reason: str = "") -> None:
    """Validate and save, recording who made the change (also outside a request, e.g. in a task)."""
    obj.full_clean()
    obj._history_user = actor
    if reason:
        # The history's reason is a short line (100 characters in django-simple-history): a longer one is cut.
        longest = obj.history.model._meta.get_field("history_change_reason").max_length
        obj._change_reason = reason if longest is None or len(reason) <= longest else reason[: longest - 1] + "…"
    obj.save()
