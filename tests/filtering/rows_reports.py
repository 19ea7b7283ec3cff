"""
Access rules of the unsuitable-site report URLs (tests/filtering/access_rows.py), on the cast's report: made by
the teacher, naming Alice, waiting for a decision.
"""

from filtering.models import SiteReport
from tests.access_rules import STAFF, Row

Status = SiteReport.Status
# Those who decide on reports and may log incidents (escalating makes one).
HANDLERS = frozenset({"dsl", "head", "lead"})
# The teacher reported it; the rest see every report. The office may report sites, but not read the teacher's.
READERS = HANDLERS | {"teacher", "it"}


def _report(cast):
    return {"report_id": cast.a.site_report.pk}


def _waiting(cast):
    SiteReport.objects.filter(pk=cast.a.site_report.pk).update(
        status=Status.NEW, decided_by=None, decided_at=None, decision_note="", incident=None
    )


def _to_block(cast):
    SiteReport.objects.filter(pk=cast.a.site_report.pk).update(status=Status.TO_BLOCK, blocked_by=None, blocked_at=None)


def _posted(**extra):
    return Row(HANDLERS, kwargs=_report, method="post", ok=302, record_of_a=True, reset=_waiting, **extra)


ROWS = {
    "filtering:report_list": Row(STAFF, query="?status=new&q=casino"),
    "filtering:report_new": Row(STAFF),
    "filtering:report_detail": Row(READERS, kwargs=_report, record_of_a=True, statuses={"office": 404}),
    "filtering:report_decide": _posted(data=lambda c: {"decision": "block", "note": ""}),
    # The cast's report is not of suspected illegal material: the page says there is no referral to record.
    "filtering:report_referral": _posted(data=lambda c: {"reported_to_iwf_police": "IWF, report 1"}),
    "filtering:report_escalate": _posted(),
    "filtering:report_blocked": Row(
        frozenset({"it"}), kwargs=_report, method="post", ok=302, record_of_a=True, reset=_to_block, data=lambda c: {}
    ),
}
