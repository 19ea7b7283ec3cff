"""
Access rules of the filtering request URLs (tests/filtering/access_rows.py). The rows use the cast's request,
made by the teacher and waiting for the head teacher; a row that moves it on puts it back first (`reset`).
"""

from datetime import timedelta

from django.utils import timezone

from filtering.models import FilterExceptionRequest
from tests.access_rules import STAFF, Row

Status = FilterExceptionRequest.Status
HEAD = frozenset({"head"})
IT = frozenset({"it"})
DECIDERS = HEAD | IT
# Those who see the whole register: the deciders, and the DSL and e-safety lead, who review the logs.
REGISTER = DECIDERS | {"dsl", "lead"}
# Staff who may ask for sites, but did not ask for this one and do not see the register.
NOT_THEIRS = {"office": 404}


def _request(cast):
    return {"request_id": cast.a.filter_request.pk}


def _put_back(status, **fields):
    def reset(cast):
        FilterExceptionRequest.objects.filter(pk=cast.a.filter_request.pk).update(
            status=status, removed_at=None, removed_by=None, **fields
        )

    return reset


def _step(allowed, reset, data=lambda cast: {}, **extra):
    return Row(allowed, kwargs=_request, method="post", ok=302, record_of_a=True, reset=reset, data=data, **extra)


def _ended(cast):
    today = timezone.localdate()
    FilterExceptionRequest.objects.filter(pk=cast.a.filter_request.pk).update(
        status=Status.EXPIRED,
        starts_on=today - timedelta(days=5),
        ends_on=today - timedelta(days=1),
        applied_at=timezone.now(),
        removed_at=None,
        removed_by=None,
    )


ROWS = {
    "filtering:request_list": Row(STAFF),
    "filtering:request_export": Row(REGISTER),
    "filtering:request_new": Row(STAFF),
    "filtering:request_detail": Row(frozenset({"teacher"}) | REGISTER, kwargs=_request, record_of_a=True, statuses=NOT_THEIRS),
    "filtering:request_head_decide": _step(
        HEAD, _put_back(Status.SUBMITTED), data=lambda c: {"decision": "approve", "late_reason": "Agreed in person"}
    ),
    "filtering:request_it_decide": _step(IT, _put_back(Status.HEAD_APPROVED), data=lambda c: {"decision": "approve"}),
    "filtering:request_apply": _step(IT, _put_back(Status.IT_APPROVED)),
    # Only the teacher who asked may withdraw it; those who see the register are told so on the page.
    "filtering:request_withdraw": _step(frozenset({"teacher"}) | REGISTER, _put_back(Status.SUBMITTED), statuses=NOT_THEIRS),
    "filtering:request_revoke": _step(DECIDERS, _put_back(Status.ACTIVE), data=lambda c: {"reason": "Not needed"}),
    "filtering:request_confirm_removal": _step(IT, _ended),
    "filtering:head_queue": Row(HEAD),
    "filtering:it_queue": Row(IT),
}
