"""
The append-only access log: views of restricted records and exports of personal data.

Every row is written from a request by `access_log_write`. What a reader of
the log sees is decided here too (`access_log_visible`), because the log must
not become a way round the rules it records: an entry about a record shows
only to those who may see that record now (after a re-triage too), and an
entry about many records (an export) shows only to those who hold every
capability its `reader_needs` names. Apps say which of their records a user
may see with `access_log_records(Model, selector)`; an entry about a record
of a model nobody registered is shown to no one.
"""

from collections.abc import Callable, Iterable

from axes.helpers import get_client_ip_address
from django.contrib.contenttypes.models import ContentType
from django.db.models import Func, Model, Q, QuerySet, Subquery, TextField
from django.db.models.functions import Cast

from esafety.models import AccessLogEntry, School, User

# Model -> selector(access, user) returning the rows of that model the user may see.
_RECORD_SELECTORS: dict[type[Model], Callable] = {}


def access_log_records(model: type[Model], selector: Callable) -> None:
    """Register which records of `model` a reader may see, so that entries about the others stay hidden from them."""
    _RECORD_SELECTORS[model] = selector


def _needs_text(capabilities: Iterable[str]) -> str:
    capabilities = sorted(set(capabilities))
    return f",{','.join(capabilities)}," if capabilities else ""


def access_log_add(
    *,
    actor: User,
    school: School | None,
    kind: str,
    summary: str,
    obj: Model | None = None,
    reader_needs: Iterable[str] = (),
    ip_address: str | None = None,
) -> AccessLogEntry:
    """Add one row to the access log (a service may call this; a view calls `access_log_write`)."""
    return AccessLogEntry.objects.create(
        **_entry_fields(actor, school, kind, summary, obj, reader_needs, ip_address),
    )


def access_log_write(
    request,
    *,
    kind: str,
    summary: str,
    obj: Model | None = None,
    reader_needs: Iterable[str] = (),
) -> AccessLogEntry:
    """
    Write one access-log row for what the request's user is being shown or given.

    `summary` is read by the school's auditors: name a record only through
    `obj` (so that the entry follows that record's visibility), and pass in
    `reader_needs` the capabilities needed to see the restricted records an
    export of many contains.
    """
    return access_log_add(
        actor=request.user,
        school=request.access.school,
        kind=kind,
        summary=summary,
        obj=obj,
        reader_needs=reader_needs,
        ip_address=client_ip(request),
    )


def access_log_write_each(request, *, kind: str, records: list[tuple[Model, str]]) -> int:
    """One access-log row for each (record, summary), in one INSERT: e.g. the restricted cases in an export."""
    school, ip_address = request.access.school, client_ip(request)
    rows = [AccessLogEntry(**_entry_fields(request.user, school, kind, summary, obj, (), ip_address)) for obj, summary in records]
    AccessLogEntry.objects.bulk_create(rows, batch_size=500)
    return len(rows)


def _entry_fields(actor, school, kind, summary, obj, reader_needs, ip_address) -> dict:
    return {
        "actor": actor,
        "school": school,
        "kind": kind,
        "summary": summary[:300],
        "content_type": ContentType.objects.get_for_model(obj) if obj is not None else None,
        "object_id": str(obj.pk) if obj is not None else "",
        "reader_needs": _needs_text(reader_needs),
        "ip_address": ip_address,
    }


def client_ip(request) -> str | None:
    """The client's address, read from proxy headers the same way as the login lockout (TRUSTED_PROXY_COUNT)."""
    return get_client_ip_address(request)


def filters_summary(query, *, free_text: Iterable[str] = ("q",)) -> str:
    """The filters of an export, for its log entry: names and chosen values, but never the words searched for."""
    parts = []
    for key in sorted(query):
        if key == "page":
            continue
        values = [v for v in query.getlist(key) if v]
        if not values:
            continue
        parts.append(f"{key}: search words" if key in free_text else f"{key}={','.join(values)}")
    return "; ".join(parts) or "no filters"


class _StoredKey(Func):
    """`object_id` spelled as the database casts a primary key to text (SQLite keeps UUIDs without dashes)."""

    template = "%(expressions)s"
    output_field = TextField()

    def as_sqlite(self, compiler, connection, **extra_context):
        return self.as_sql(compiler, connection, template="REPLACE(%(expressions)s, '-', '')", **extra_context)


def access_log_visible(entries: QuerySet[AccessLogEntry], access, user) -> QuerySet[AccessLogEntry]:
    """The entries of `entries` this reader may see (see the module's docstring)."""
    visible = Q(content_type__isnull=True)
    for model, selector in _RECORD_SELECTORS.items():
        keys = selector(access, user).order_by().annotate(_key=Cast("pk", TextField())).values("_key")
        visible |= Q(content_type=ContentType.objects.get_for_model(model), _stored_key__in=Subquery(keys))
    for capability in _all_capabilities() - set(access.capabilities):
        visible &= ~Q(reader_needs__contains=f",{capability},")
    return entries.alias(_stored_key=_StoredKey("object_id")).filter(visible)


def _all_capabilities() -> set[str]:
    from esafety.roles import Capability

    return set(Capability.values)


def access_log_for(obj) -> QuerySet[AccessLogEntry]:
    """Who has looked at or exported this record, newest first. Only for a page that shows the record itself."""
    return AccessLogEntry.objects.filter(
        content_type=ContentType.objects.get_for_model(obj), object_id=str(obj.pk)
    ).select_related("actor")
