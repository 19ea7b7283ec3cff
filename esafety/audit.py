"""The append-only access log: views of restricted records and exports of personal data."""

from axes.helpers import get_client_ip_address
from django.contrib.contenttypes.models import ContentType

from esafety.models import AccessLogEntry


def _client_ip(request) -> str | None:
    # The same reading of proxy headers as the login lockout (TRUSTED_PROXY_COUNT).
    return get_client_ip_address(request) if request is not None else None


def access_log_record(*, actor, school, kind: str, summary: str, obj=None, request=None) -> AccessLogEntry:
    """Write one access-log row. Call it inside the view that shows or exports the data."""
    return AccessLogEntry.objects.create(
        actor=actor,
        school=school,
        kind=kind,
        summary=summary[:300],
        content_type=ContentType.objects.get_for_model(obj) if obj is not None else None,
        object_id=str(obj.pk) if obj is not None else "",
        ip_address=_client_ip(request),
    )


def access_log_for(obj):
    """Who has looked at or exported this record, newest first."""
    return AccessLogEntry.objects.filter(
        content_type=ContentType.objects.get_for_model(obj), object_id=str(obj.pk)
    ).select_related("actor")
