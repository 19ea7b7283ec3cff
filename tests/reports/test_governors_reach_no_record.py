"""
Governors see reports, never records: every page that shows or changes a record answers 403 or 404 to a governor,
and the few pages a governor may open name no pupil and no member of staff. docs/permissions.md ("What governors
see") says which answer is which, and why.

The URLs and their arguments come from the access matrix (tests/esafety/test_access_matrix.py), which fills each
URL from the rows each app keeps in tests/<app>/access_rows.py.
"""

import io
import re
from datetime import date

import pytest
from django.urls import reverse
from django.utils import timezone
from pypdf import PdfReader

from esafety.calendar import academic_year_start
from esafety.models import AcademicYear
from esafety.roles import permissions_table_markdown
from filtering.models import AnnualReview
from reports.models import ReportStatus, SchoolReport
from tests.esafety.test_access_matrix import APP_URLS, MATRIX, _request

# The pages with no one's name on them that a governor may open: nothing else.
OPEN_TO_EVERYONE = {  # signed in or not
    "login",
    "healthz",
    "password_reset",
    "password_reset_done",
    "password_reset_confirm",
    "password_reset_complete",
    # The filter appliance's list of sites opened, read with its secret token: sites, no people.
    "filtering:feed_text",
    "filtering:feed_json",
}
THEIR_OWN = {
    "home",
    "school_switch",
    "notification_list",
    "notification_open",  # their own notifications only: anyone else's is not found
    "notifications_read_all",
    "logout",
    "password_change",
    "password_change_done",
    "account_security",
    "second_factor_verify",
    "second_factor_setup",
    "backup_codes_renew",
    "session_end",
    "sessions_end_others",
    # The staff agreement waiting for them to accept: a governor is not asked to.
    "consents:staff_agreement_accept",
}
GOVERNORS_READ = {
    "reports:report_list",
    "reports:report_detail",
    "reports:report_pdf",
    "reports:report_progress",  # a published report's state in words: "Published", 100 %
    "filtering:annual_review_list",
    "filtering:annual_review_detail",
    "filtering:annual_review_pdf",
    "consents:coverage",
    "consents:staff_agreement_list",
}
ALLOWED = OPEN_TO_EVERYONE | THEIR_OWN | GOVERNORS_READ


def _as_governor(client, cast):
    client.force_login(cast.a.users["governor"])
    return client


def _text(response) -> str:
    content = b"".join(response.streaming_content) if response.streaming else response.content
    if response.get("Content-Type", "").startswith("application/pdf"):
        return " ".join(page.extract_text() or "" for page in PdfReader(io.BytesIO(content)).pages)
    return content.decode(errors="replace")


def _names(cast) -> list[str]:
    """Everyone of both schools a governor of school A must not read about: not their own name."""
    governor = cast.a.users["governor"]
    names = set()
    for school in (cast.a, cast.b):
        # A trust's central team are named after their trust in the cast, and a page may name the school's trust.
        names |= {user.full_name for role, user in school.users.items() if user != governor and role != "trust"}
        names |= {school.pupil.first_name, school.pupil.last_name, school.leaver.last_name, school.staff_member.last_name}
        names.add(school.parent.first_name + " " + school.parent.last_name)
    return sorted(names)


def _names_on(body: str, names: list[str]) -> list[str]:
    return [name for name in names if re.search(rf"\b{re.escape(name)}\b", body)]


def test_every_url_of_the_app_is_sorted_into_allowed_or_not():
    assert sorted(ALLOWED - set(APP_URLS)) == [], "these allowed pages are no longer URLs of the app"
    assert sorted(set(APP_URLS) - set(MATRIX)) == [], "these URLs have no access row: add it to tests/<app>/access_rows.py"


# Each URL with a cast of its own, as in the matrix: some rows make the record they name (e.g. a policy's draft).
@pytest.mark.parametrize("name", sorted(set(APP_URLS) - ALLOWED))
def test_a_governor_gets_403_or_404_for_every_page_that_shows_or_changes_a_record(cast, client, name):
    row = MATRIX[name]
    url = reverse(name, kwargs=row.kwargs(cast))
    response = _request(_as_governor(client, cast), row, url, row.data(cast), cast)
    assert response.status_code in (403, 404), f"a governor reaches {url}"


@pytest.mark.parametrize(
    "name",
    sorted(GOVERNORS_READ | THEIR_OWN - {"logout"}),
)
def test_the_pages_a_governor_may_open_name_no_one(cast, client, name):
    row = MATRIX[name]
    url = reverse(name, kwargs=row.kwargs(cast))
    response = _request(_as_governor(client, cast), row, url, row.data(cast), cast)
    assert response.status_code in (200, 302, 404), f"{name}: {response.status_code}"
    if response.status_code == 200:
        assert _names_on(_text(response), _names(cast)) == []


def test_records_of_a_kind_governors_read_but_outside_their_reach_are_not_found(cast, client):
    client = _as_governor(client, cast)
    this_year = academic_year_start(timezone.localdate())
    draft_review = AnnualReview.objects.create(
        school=cast.a.school,
        start_year=this_year,
        figures={},
        next_review_on=timezone.localdate(),
        created_by=cast.a.users["head"],
    )
    draft_report = SchoolReport.objects.create(
        school=cast.a.school,
        academic_year=AcademicYear.objects.for_date(date(this_year, 9, 1)),
        version=9,
        status=ReportStatus.DRAFT,
        requested_by=cast.a.users["head"],
    )
    not_found = [
        reverse("filtering:annual_review_detail", kwargs={"review_id": draft_review.pk}),
        reverse("filtering:annual_review_pdf", kwargs={"review_id": draft_review.pk}),
        reverse("filtering:annual_review_detail", kwargs={"review_id": cast.b.annual_review.pk}),
        reverse("reports:report_detail", kwargs={"report_id": draft_report.pk}),
        reverse("reports:report_pdf", kwargs={"report_id": draft_report.pk}),
    ]
    answers = {url: client.get(url).status_code for url in not_found}
    # Someone else's notification: the office's.
    answers["notification_open"] = client.post(
        reverse("notification_open", kwargs={"notification_id": cast.a.notification.pk})
    ).status_code
    assert answers == dict.fromkeys(answers, 404)


def test_a_page_of_a_kind_governors_may_not_use_is_forbidden_whether_its_record_exists_or_not(cast, client):
    client = _as_governor(client, cast)
    existing = reverse("pupil_detail", kwargs={"pupil_id": cast.a.pupil.pk})
    other_school = reverse("pupil_detail", kwargs={"pupil_id": cast.b.pupil.pk})
    assert [client.get(existing).status_code, client.get(other_school).status_code] == [403, 403]


def test_the_permissions_page_says_which_pages_governors_may_open_and_why_the_rest_are_403_or_404():
    doc = permissions_table_markdown()
    section = doc[doc.index("## What governors see") :]
    assert [name for name in sorted(GOVERNORS_READ) if f"`{name}`" not in section] == []
    assert "**403 (forbidden)**" in section and "the capability is missing" in section.replace("\n", " ").lower()
    assert "**404 (not found)**" in section and "its existence is not revealed" in section.replace("\n", " ")
