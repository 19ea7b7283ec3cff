"""The regular review of the filtering logs: when it is due, what the reviewer sees, signing it off, the home panel."""

import html
import re
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from esafety.models import AcademicYear, SchoolTerm
from filtering.models import FilterChange, FilterExceptionRequest, FilterSettings, LogReview, SiteReport
from tests.filtering.cast_reviews import make_change as _change
from tests.filtering.cast_reviews import make_report as _report
from tests.filtering.cast_reviews import make_request as _request

pytestmark = pytest.mark.django_db

LONDON = ZoneInfo("Europe/London")
LIST = reverse("filtering:log_review_list")
NEW = reverse("filtering:log_review_new")
Status = FilterExceptionRequest.Status


def at(y, m, d, hour=10):
    return datetime(y, m, d, hour, 0, tzinfo=LONDON)


def text_of(response) -> str:
    """The page's words, without its markup."""
    return " ".join(html.unescape(re.sub(r"<[^>]+>", " ", response.content.decode())).split())


def _sign(client, findings="All in order."):
    return client.post(NEW, {"findings": findings})


@pytest.fixture
def no_reviews(cast):
    LogReview.objects.filter(school=cast.a.school).delete()


# --- When the next review is due ------------------------------------------------------------


@pytest.mark.parametrize(
    "interval,due",
    [
        # Signed in Autumn 1 (to 23 Oct 2026): due by the end of Autumn 2.
        (FilterSettings.ReviewInterval.HALF_TERM, "18 Dec 2026"),
        # Signed in the autumn term: due by the end of the spring term (Easter 2027 is 28 March).
        (FilterSettings.ReviewInterval.TERM, "19 Mar 2027"),
        (FilterSettings.ReviewInterval.MONTH, "30 Nov 2026"),
    ],
)
def test_the_next_review_is_due_by_the_end_of_the_period_after_the_last_one(cast, login, no_reviews, time_machine, interval, due):
    FilterSettings.objects.filter(school=cast.a.school).update(review_interval=interval)
    time_machine.move_to(at(2026, 10, 7), tick=False)
    assert _sign(login(cast.a.users["it"])).status_code == 302

    time_machine.move_to(at(2026, 11, 16), tick=False)
    page = text_of(login(cast.a.users["it"]).get(LIST))
    assert f"The next review is due by {due}" in page
    assert "Overdue since" not in page


def test_the_schools_own_term_dates_set_when_a_half_term_ends(cast, login, no_reviews, time_machine):
    """With its own dates entered, the school's Autumn 1 ends on 17 Oct 2031, a week before the default pattern's."""
    year = AcademicYear.objects.for_date(at(2031, 10, 1).date())
    SchoolTerm.objects.create(
        school=cast.a.school,
        academic_year=year,
        name=SchoolTerm.Name.AUTUMN,
        starts_on=at(2031, 9, 3).date(),
        ends_on=at(2031, 12, 17).date(),
        half_term_starts_on=at(2031, 10, 20).date(),
        half_term_ends_on=at(2031, 10, 24).date(),
    )
    time_machine.move_to(at(2031, 10, 8), tick=False)
    client = login(cast.a.users["head"])
    assert "The next review is due by 17 Oct 2031" in text_of(client.get(LIST))

    _sign(client)
    assert LogReview.objects.get(school=cast.a.school).was_due_on.isoformat() == "2031-10-17"
    assert "The next review is due by 17 Dec 2031" in text_of(client.get(LIST))


# --- The home page ------------------------------------------------------------------------


def test_it_and_the_head_see_when_the_next_review_is_due_and_when_it_is_overdue(cast, login, no_reviews, time_machine):
    time_machine.move_to(at(2026, 10, 7), tick=False)
    _sign(login(cast.a.users["dsl"]))

    time_machine.move_to(at(2026, 11, 16), tick=False)
    for role in ("it", "head"):
        page = login(cast.a.users[role]).get("/").content.decode()
        assert "Next review of the filtering logs due by <strong>18 Dec 2026</strong>." in page
        assert "Overdue since" not in page

    time_machine.move_to(at(2026, 12, 21), tick=False)
    for role in ("it", "head"):
        page = login(cast.a.users[role]).get("/").content.decode()
        # In red, and in words for those who cannot tell the colour.
        assert re.search(
            r'<p class="text-danger fw-bold[^"]*">.*Overdue since 19 Dec 2026: the next review of the filtering logs was due by 18 Dec 2026\.',
            page,
        )


def test_the_panel_is_not_shown_to_a_teacher_nor_to_a_dsl_who_neither_decides_nor_runs_the_filter(cast, login):
    for role in ("teacher", "dsl", "governor"):
        assert "Review of the filtering logs" not in login(cast.a.users[role]).get("/").content.decode()


# --- What the reviewer sees -----------------------------------------------------------------


def test_the_reviewer_sees_everything_since_the_last_review_and_nothing_before(cast, login, no_reviews, time_machine):
    FilterExceptionRequest.objects.filter(pk=cast.a.filter_request.pk).delete()
    time_machine.move_to(at(2026, 10, 1), tick=False)
    _sign(login(cast.a.users["head"]))
    last = LogReview.objects.get(school=cast.a.school)

    # Before the last review: asked for and decided on.
    _request(cast, 901, created=at(2026, 9, 20), status=Status.HEAD_DECLINED, head_decided_at=at(2026, 9, 21))
    _change(cast, "old-site.example.com", made=at(2026, 9, 22), agreed=at(2026, 9, 22))
    _report(cast, 801, reported=at(2026, 9, 23))
    # Asked for before it, decided on since: in this review.
    _request(
        cast,
        902,
        created=at(2026, 9, 25),
        status=Status.IT_APPROVED,
        head_decided_at=at(2026, 9, 26),
        it_decided_at=at(2026, 10, 5),
    )
    # Asked for since, late.
    _request(cast, 903, created=at(2026, 10, 6), is_late=True)
    _change(cast, "new-site.example.com", made=at(2026, 10, 7), agreement=FilterChange.Agreement.EMERGENCY)
    _report(cast, 802, reported=at(2026, 10, 8), status=SiteReport.Status.ESCALATED, suspected_illegal=True)

    time_machine.move_to(at(2026, 10, 12), tick=False)
    response = login(cast.a.users["head"]).get(NEW)
    page = text_of(response)
    assert f"Everything since the last review, signed off on {last.signed_at:%-d %b %Y}" in page
    assert "FR-00902" in page and "FR-00903" in page and "FR-00901" not in page
    assert "2 requests asked for or acted on: 1 asked for (1 with less notice than the school asks for)" in page
    assert "new-site.example.com" in page and "old-site.example.com" not in page
    assert "1 change made or logged: 1 made in an emergency, 1 still waiting for the head teacher's agreement" in page
    assert "SR-00802" in page and "SR-00801" not in page
    assert (
        "1 site reported: 0 still waiting for a decision, 0 blocked or to be blocked, 1 escalated to an incident, 1 with suspected illegal material"
        in page
    )
    # Each links to its own page.
    body = response.content.decode()
    assert reverse("filtering:request_detail", kwargs={"request_id": FilterExceptionRequest.objects.get(number=903).pk}) in body
    assert (
        reverse("filtering:change_detail", kwargs={"change_id": FilterChange.objects.get(applies_to="new-site.example.com").pk})
        in body
    )
    assert reverse("filtering:report_detail", kwargs={"report_id": SiteReport.objects.get(number=802).pk}) in body


def test_signing_off_covers_exactly_the_period_since_the_last_review(cast, login, no_reviews, time_machine):
    time_machine.move_to(at(2026, 10, 7), tick=False)
    response = _sign(login(cast.a.users["it"]), "First look: every request had a lesson behind it.")
    first = LogReview.objects.get(school=cast.a.school)
    assert response["Location"] == reverse("filtering:log_review_detail", kwargs={"review_id": first.pk})
    assert first.covers_from is None
    assert first.covers_to == first.signed_at == at(2026, 10, 7)
    assert first.reviewed_by == cast.a.users["it"]
    assert first.was_due_on.isoformat() == "2026-10-23"  # the end of Autumn 1

    time_machine.move_to(at(2026, 12, 21, 9), tick=False)
    client = login(cast.a.users["it"])
    _sign(client, "Second look: two late requests, both for good reasons.")
    second = LogReview.objects.filter(school=cast.a.school).latest("signed_at")
    assert second.covers_from == first.covers_to
    assert second.covers_to == at(2026, 12, 21, 9)
    assert second.was_due_on.isoformat() == "2026-12-18"
    assert not second.on_time

    page = text_of(client.get(reverse("filtering:log_review_detail", kwargs={"review_id": second.pk})))
    assert "7 Oct 2026 10:00 to 21 Dec 2026 09:00" in page
    assert "Second look: two late requests" in page
    assert "(late)" in page
    assert "Created by It A on 21/12/2026 09:00 (Signed off)" in page

    listing = text_of(client.get(LIST))
    assert "No: it was due by 18 Dec 2026" in listing
    assert "The start of the logs to 7 Oct 2026" in listing


def test_findings_are_required_and_nothing_is_signed_without_them(cast, login, no_reviews):
    response = login(cast.a.users["lead"]).post(NEW, {"findings": "   "})
    assert response.status_code == 400
    assert "Write what you found, even if everything was in order." in response.content.decode()
    assert not LogReview.objects.filter(school=cast.a.school).exists()


def test_another_schools_review_is_not_found(cast, login):
    from esafety.scoping import scope

    with scope(school=cast.b.school):
        theirs = LogReview.objects.get(school=cast.b.school)
    response = login(cast.a.users["dsl"]).get(reverse("filtering:log_review_detail", kwargs={"review_id": theirs.pk}))
    assert response.status_code == 404


# --- Queries ------------------------------------------------------------------------------


def _count(client, url) -> int:
    with CaptureQueriesContext(connection) as queries:
        assert client.get(url).status_code == 200
    return len(queries)


def _grow(cast, start, n):
    for i in range(start, start + n):
        _request(
            cast, 1000 + i, created=at(2026, 11, 2) + timedelta(minutes=i), status=Status.ACTIVE, it_decided_at=at(2026, 11, 3)
        )
        _change(cast, f"grown-{i}.example.com", made=at(2026, 11, 2) + timedelta(minutes=i))
        _report(cast, 1000 + i, reported=at(2026, 11, 2) + timedelta(minutes=i))


def test_the_review_pages_run_a_fixed_number_of_queries_however_long_the_logs(cast, login, time_machine):
    time_machine.move_to(at(2026, 11, 16), tick=False)
    client = login(cast.a.users["head"])
    LogReview.objects.filter(pk=cast.a.log_review.pk).update(covers_to=at(2026, 10, 30), signed_at=at(2026, 10, 30))
    # An earlier review that covered the whole of the logs, up to yesterday.
    wide = LogReview.objects.create(
        school=cast.a.school,
        covers_to=at(2026, 11, 15),
        findings="Everything",
        reviewed_by=cast.a.users["dsl"],
        signed_at=at(2026, 10, 1),
    )
    urls = [NEW, LIST, reverse("filtering:log_review_detail", kwargs={"review_id": wide.pk}), "/"]
    _grow(cast, 0, 2)
    small = {}
    for url in urls:
        _count(client, url)  # warm
        small[url] = _count(client, url)
    _grow(cast, 2, 60)  # more than a list shows
    for url in urls:
        assert _count(client, url) == small[url], url
    page = text_of(client.get(NEW))
    assert "62 requests asked for or acted on" in page
    assert "The newest 50 of 62 are listed" in page
