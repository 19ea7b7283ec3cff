"""
Access rules of the trust report URLs (tests/reports/access_rows.py). Only the trust's central team reads and builds
its trust's report; school B's is another trust, whose reports are not found.
"""

from django.utils import timezone

from esafety.calendar import academic_year_start
from reports.models import ReportStatus, TrustReport
from tests.access_rules import Row

TRUST = frozenset({"trust"})


def _report(cast):
    return {"report_id": cast.a.trust_report.pk}


def _back_to_draft(cast):
    TrustReport.objects.filter(pk=cast.a.trust_report.pk).update(status=ReportStatus.DRAFT, published_by=None, published_at=None)


ROWS = {
    # School B's central team gets its own trust's list, with none of school A's.
    "reports:trust_report_list": Row(TRUST),
    "reports:trust_report_build": Row(
        TRUST, method="post", data=lambda c: {"start_year": academic_year_start(timezone.localdate()) - 1}, ok=302
    ),
    "reports:trust_report_detail": Row(TRUST, kwargs=_report, record_of_a=True),
    "reports:trust_report_progress": Row(TRUST, kwargs=_report, record_of_a=True),
    # The cast's report keeps no file: the PDF page sends its readers back to the report (the PDF itself is read back
    # in tests/reports/test_trust_report.py).
    "reports:trust_report_pdf": Row(TRUST, kwargs=_report, ok=302, record_of_a=True),
    "reports:trust_report_publish": Row(TRUST, kwargs=_report, method="post", ok=302, record_of_a=True, reset=_back_to_draft),
}
