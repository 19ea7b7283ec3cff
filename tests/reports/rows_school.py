"""
Access rules of a school's governors' report URLs (tests/reports/access_rows.py), on the cast's reports of last year:
version 1 published (`cast.a.report`), version 2 a draft (`cast.a.report_draft`). Governors, the DSL and the trust read
the published version; the head teacher and the e-safety lead write the report and see every version.
"""

from django.utils import timezone

from reports.models import ReportStatus, SchoolReport
from reports.selectors import last_academic_year
from tests.access_rules import Row

WRITERS = frozenset({"head", "lead"})
READERS = WRITERS | {"governor", "dsl", "trust"}


def _published(cast):
    return {"report_id": cast.a.report.pk}


def _draft(cast):
    return {"report_id": cast.a.report_draft.pk}


def _as_cast(cast):
    """The draft back to a draft and version 1 published again, after someone published the draft."""
    SchoolReport.objects.filter(pk=cast.a.report_draft.pk).update(status=ReportStatus.DRAFT, published_at=None, published_by=None)
    SchoolReport.objects.filter(pk=cast.a.report.pk).update(status=ReportStatus.PUBLISHED, published_at=timezone.now())


def _no_build_under_way(cast):
    # The outbox runs the build after commit, which never comes in the matrix's transaction: the version asked for
    # stays "being built", and would refuse the next writer's build of the same year.
    SchoolReport.objects.filter(status=ReportStatus.BUILDING).delete()


ROWS = {
    "reports:report_list": Row(READERS),
    # School B's writers build their own school's report for the same year.
    "reports:report_build": Row(
        WRITERS, method="post", data=lambda c: {"year": last_academic_year().pk}, ok=302, reset=_no_build_under_way
    ),
    "reports:report_detail": Row(READERS, kwargs=_published, record_of_a=True),
    "reports:report_progress": Row(READERS, kwargs=_published, record_of_a=True),
    "reports:report_narrative": Row(WRITERS, kwargs=_draft, record_of_a=True),
    "reports:report_publish": Row(WRITERS, kwargs=_draft, method="post", ok=302, record_of_a=True, reset=_as_cast),
    # The cast's reports have no stored PDF: readers are sent back to the report's page, told so.
    "reports:report_pdf": Row(READERS, kwargs=_published, ok=302, record_of_a=True),
    # Two of school A's versions named in the address: at school B they do not exist.
    "reports:report_compare": Row(
        WRITERS, query=lambda c: f"?first={c.a.report.pk}&second={c.a.report_draft.pk}", record_of_a=True
    ),
    "reports:report_settings": Row(WRITERS),
}
