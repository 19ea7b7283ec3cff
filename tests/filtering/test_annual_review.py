"""
The yearly filtering and monitoring review: pre-filled with the year's figures and the profiles in place, edited as
a draft with its actions, signed off once complete, and read by the governors, on the page and as a PDF with no
pupil's name in it.
"""

import io
import re
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from pypdf import PdfReader

from esafety.models import Notification
from filtering.models import AnnualReview, AnnualReviewAction, FilterChange, FilterExceptionRequest, LogReview, SiteReport
from tests.filtering.cast_reviews import make_change, make_report, make_request
from tests.filtering.test_reviews import text_of

pytestmark = pytest.mark.django_db

LONDON = ZoneInfo("Europe/London")
NEW = reverse("filtering:annual_review_new")
LIST = reverse("filtering:annual_review_list")
Status = FilterExceptionRequest.Status


def at(y, m, d, hour=9):
    return datetime(y, m, d, hour, 0, tzinfo=LONDON)


def detail(review):
    return reverse("filtering:annual_review_detail", kwargs={"review_id": review.pk})


def pdf_url(review):
    return reverse("filtering:annual_review_pdf", kwargs={"review_id": review.pk})


def pdf_text(content: bytes) -> str:
    reader = PdfReader(io.BytesIO(content))
    return " ".join(" ".join((page.extract_text() or "").split()) for page in reader.pages)


@pytest.fixture
def june_2032(time_machine):
    """15 June 2032: the summer of 2031/32, long after the cast's own records."""
    time_machine.move_to(at(2032, 6, 15, 10), tick=False)


@pytest.fixture
def the_year(cast, june_2032):
    """A year of records with known dates and outcomes, and a few from the year before that must not count."""
    # Nine requests in the year: hours from asking to the final decision 24, 48, 72, 12, 96 and 36 (median 42).
    make_request(
        cast,
        101,
        created=at(2031, 10, 1),
        status=Status.ACTIVE,
        head_decided_at=at(2031, 10, 1, 12),
        it_decided_at=at(2031, 10, 2),
    )
    make_request(cast, 102, created=at(2031, 10, 2), status=Status.REMOVED, it_decided_at=at(2031, 10, 4))
    make_request(cast, 103, created=at(2031, 10, 3), status=Status.IT_APPROVED, it_decided_at=at(2031, 10, 6), is_late=True)
    make_request(cast, 104, created=at(2031, 10, 4), status=Status.HEAD_DECLINED, head_decided_at=at(2031, 10, 4, 21))
    make_request(cast, 105, created=at(2031, 10, 5), status=Status.IT_DECLINED, it_decided_at=at(2031, 10, 9), is_late=True)
    make_request(cast, 106, created=at(2031, 10, 6), status=Status.WITHDRAWN)
    make_request(cast, 107, created=at(2031, 10, 7), status=Status.REVOKED, it_decided_at=at(2031, 10, 8, 21))
    make_request(cast, 108, created=at(2031, 10, 8), status=Status.SUBMITTED)
    make_request(cast, 109, created=at(2031, 10, 9), status=Status.HEAD_APPROVED, head_decided_at=at(2031, 10, 9, 12))
    make_request(cast, 110, created=at(2031, 8, 20), status=Status.ACTIVE, it_decided_at=at(2031, 8, 21))
    # Five sites reported; the escalated one names the pupil who saw it.
    make_report(cast, 101, reported=at(2031, 11, 1), status=SiteReport.Status.BLOCKED)
    make_report(cast, 102, reported=at(2031, 11, 2), status=SiteReport.Status.TO_BLOCK)
    escalated = make_report(
        cast,
        103,
        reported=at(2031, 11, 3),
        status=SiteReport.Status.ESCALATED,
        suspected_illegal=True,
        found_by="Alice Aardvark",
        where="Library, Alice Aardvark's laptop",
    )
    escalated.pupils.add(cast.a.pupil)
    make_report(cast, 104, reported=at(2031, 11, 4), status=SiteReport.Status.NO_ACTION)
    make_report(cast, 105, reported=at(2031, 11, 5))
    make_report(cast, 106, reported=at(2031, 8, 30))
    # Three changes: one made in an emergency and one agreed.
    make_change(cast, "one.example.com", made=at(2031, 12, 1), agreement=FilterChange.Agreement.EMERGENCY)
    make_change(cast, "two.example.com", made=at(2031, 12, 2), agreed=at(2031, 12, 2))
    make_change(cast, "A supply teacher", made=at(2031, 12, 3), kind=FilterChange.Kind.SWITCHED_OFF_USER)
    make_change(cast, "old.example.com", made=at(2031, 8, 1), agreed=at(2031, 8, 1))
    # Two reviews of the logs, one on time and one late.
    for signed, due in ((at(2031, 10, 20), at(2031, 10, 24)), (at(2032, 1, 5), at(2031, 12, 19))):
        LogReview.objects.create(
            school=cast.a.school,
            covers_to=signed,
            findings="Looked",
            reviewed_by=cast.a.users["dsl"],
            signed_at=signed,
            was_due_on=due.date(),
        )
    return cast


EXPECTED = {
    "requests": {
        "total": 9,
        "late": 2,
        "approved": 3,
        "head_declined": 1,
        "it_declined": 1,
        "withdrawn": 1,
        "revoked": 1,
        "waiting": 2,
        "decided": 6,
        "median_decision_hours": 42.0,
    },
    "site_reports": {"total": 5, "blocked": 2, "escalated": 1, "no_action": 1, "waiting": 1, "suspected_illegal": 1},
    "changes": {"total": 3, "emergency": 1, "awaiting_agreement": 2, "switched_off": 1},
    "log_reviews": {"done": 2, "on_time": 1},
}

FIGURE_LINES = [
    "Requests made in the year 9",
    "Approved and opened 3",
    "Declined by the head teacher 1",
    "Declined by IT 1",
    "Withdrawn by whoever asked 1",
    "Revoked early 1",
    "Still waiting for a decision 2",
    "Asked with less notice than the school asks for 2",
    "Median time from the request to the final decision 42 hours",
    "Sites reported 5",
    "Blocked, or to be blocked 2",
    "Escalated to an incident 1",
    "Changes made 3",
    "Made in an emergency, before the head teacher agreed 1",
    "Still waiting for the head teacher's agreement 2",
    "Filtering switched off for a user 1",
    "Reviews signed off 2",
    "Of which on time 1",
]

COMPLETE = {
    "senior_leader": "Deputy head (pastoral), Sam Senior",
    "dsl": "Dee Safe, DSL",
    "it_lead": "Network manager, Ian Tee",
    "governor": "Gill Governor, safeguarding governor",
    "others": "Trust IT adviser",
    "checks": "SWGfL test-filtering checks on KS3 and staff profiles: all four categories blocked.",
    "pupil_profiles": "KS3 pupils (pupils-ks3)",
    "staff_profiles": "Staff (staff)",
    "monitoring": "Alerts on the school's laptops go to the DSL daily.",
    "findings": "Filtering blocks what it should; two requests were asked for late.",
    "next_review_on": "2033-06-01",
    "early_triggers": "A new generative AI tool in lessons.",
}


def _start(client, **changes):
    return client.post(NEW, {**COMPLETE, **changes})


def _edit(review, actions=(), **changes):
    """What the draft's page posts: the review's fields and its actions, the existing ones first."""
    existing = list(review.actions.all())
    data = {**COMPLETE, **changes}
    rows = [
        {"id": a.pk, "text": a.text, "owner": a.owner, "due_on": a.due_on.isoformat(), "done_on": a.done_on or ""}
        for a in existing
    ] + list(actions)
    for index, row in enumerate(rows):
        for key, value in row.items():
            data[f"actions-{index}-{key}"] = value
    data.update(
        {
            "actions-TOTAL_FORMS": len(rows),
            "actions-INITIAL_FORMS": len(existing),
            "actions-MIN_NUM_FORMS": 0,
            "actions-MAX_NUM_FORMS": 1000,
        }
    )
    return data


def _this_years(cast):
    return AnnualReview.objects.get(school=cast.a.school, start_year=2031)


# --- Starting the review ------------------------------------------------------------------


def test_the_review_is_prefilled_with_the_years_figures_and_keeps_them(the_year, login):
    cast = the_year
    client = login(cast.a.users["dsl"])
    page = text_of(client.get(NEW))
    assert "Start the filtering and monitoring review of 2031/32 (1 Sep 2031 to 31 Aug 2032)" in page
    for line in FIGURE_LINES:
        assert line in page

    response = _start(client)
    review = _this_years(cast)
    assert response["Location"] == detail(review)
    figures = {key: value for key, value in review.figures.items() if key in EXPECTED}
    assert figures == EXPECTED
    assert review.status == AnnualReview.Status.DRAFT and review.created_by == cast.a.users["dsl"]


def test_the_profiles_in_place_the_next_review_and_what_brings_it_forward_are_filled_in(the_year, login):
    page = login(the_year.a.users["it"]).get(NEW).content.decode()
    pupils = re.search(r'name="pupil_profiles"[^>]*>(.*?)</textarea>', page, re.S).group(1)
    staff = re.search(r'name="staff_profiles"[^>]*>(.*?)</textarea>', page, re.S).group(1)
    assert "KS3 pupils (on the filter: pupils-ks3)" in pupils and "Sixth form" in pupils
    assert "Staff" not in pupils and "Guests" not in pupils
    assert staff.strip() == "Staff (on the filter: staff)"
    assert 'name="next_review_on" value="2033-06-15"' in page
    assert "generative AI included" in page


def test_the_years_review_is_started_once(the_year, login):
    client = login(the_year.a.users["dsl"])
    _start(client)
    response = client.get(NEW)
    assert response["Location"] == detail(_this_years(the_year))
    assert "Start the review of" not in client.get(LIST).content.decode()


def test_a_governor_sees_no_button_to_start_a_review(the_year, login):
    assert "Start the review of 2031/32" in login(the_year.a.users["head"]).get(LIST).content.decode()
    assert "Start the review of" not in login(the_year.a.users["governor"]).get(LIST).content.decode()


# --- Editing the draft --------------------------------------------------------------------


def test_the_draft_and_its_actions_are_saved_together(the_year, login):
    cast = the_year
    client = login(cast.a.users["dsl"])
    _start(client, findings="")
    review = _this_years(cast)

    data = _edit(
        review,
        [
            {"text": "Add the new AI tool to the blocked list", "owner": "Network manager", "due_on": "2032-07-01"},
            {"text": "Train staff on reporting sites", "owner": "DSL", "due_on": "2032-09-10"},
            {"text": "", "owner": "", "due_on": ""},  # a blank row is left out
        ],
        findings="Two late requests; the AI tool is open to KS3.",
    )
    response = client.post(detail(review), data)
    assert response.status_code == 302
    review.refresh_from_db()
    assert review.findings == "Two late requests; the AI tool is open to KS3."
    assert list(review.actions.values_list("text", "owner")) == [
        ("Add the new AI tool to the blocked list", "Network manager"),
        ("Train staff on reporting sites", "DSL"),
    ]

    # One done, one taken out.
    first, second = review.actions.all()
    data = _edit(review)
    data["actions-0-done_on"] = "2032-06-14"
    data["actions-1-DELETE"] = "on"
    assert client.post(detail(review), data).status_code == 302
    assert list(review.actions.values_list("text", "done_on")) == [(first.text, at(2032, 6, 14).date())]
    assert AnnualReviewAction.history.filter(id=second.pk, history_type="-", history_user=cast.a.users["dsl"]).exists()


def test_an_action_owned_by_a_pupil_is_refused_and_nothing_is_saved(the_year, login):
    cast = the_year
    client = login(cast.a.users["dsl"])
    _start(client)
    review = _this_years(cast)
    data = _edit(
        review,
        [
            {"text": "Speak to the class", "owner": "Head of year", "due_on": "2032-07-01"},
            {"text": "Stop using the VPN", "owner": "alice  AARDVARK", "due_on": "2032-07-01"},
        ],
        findings="Changed findings that must not be saved",
    )
    response = client.post(detail(review), data)
    assert response.status_code == 400
    page = response.content.decode()
    assert "The owner is a role or a member of staff, not a pupil: “Alice Aardvark” is a pupil&#x27;s name." in page
    # What was typed is still there.
    assert "Changed findings that must not be saved" in page and 'value="Speak to the class"' in page
    review.refresh_from_db()
    assert review.findings == COMPLETE["findings"]
    assert not review.actions.exists()


def test_bad_input_keeps_what_was_typed_and_saves_nothing(the_year, login):
    cast = the_year
    client = login(cast.a.users["dsl"])
    _start(client)
    review = _this_years(cast)
    response = client.post(detail(review), _edit(review, next_review_on="2034-01-01", findings="Typed, not saved"))
    assert response.status_code == 400
    page = response.content.decode()
    assert "The DfE standard asks for a review at least once a year: choose a date by 15 Jun 2033." in page
    assert "Typed, not saved" in page
    review.refresh_from_db()
    assert review.findings == COMPLETE["findings"]


def test_the_figures_can_be_worked_out_again_while_a_draft(the_year, login):
    cast = the_year
    client = login(cast.a.users["dsl"])
    _start(client)
    review = _this_years(cast)
    make_report(cast, 107, reported=at(2032, 6, 1))
    client.post(detail(review), {"refresh_figures": "1"})
    review.refresh_from_db()
    assert review.figures["site_reports"]["total"] == 6
    assert review.history.first().history_change_reason == "Figures worked out again"


# --- Signing off --------------------------------------------------------------------------


def test_signing_off_is_refused_until_the_review_is_complete(the_year, login):
    cast = the_year
    client = login(cast.a.users["head"])
    _start(client, governor="", findings="", checks="")
    review = _this_years(cast)
    sign = reverse("filtering:annual_review_sign", kwargs={"review_id": review.pk})

    response = client.post(sign, follow=True)
    assert "It cannot be signed off yet: write the governor, what was checked and tested and the findings first." in text_of(
        response
    )
    review.refresh_from_db()
    assert review.status == AnnualReview.Status.DRAFT and review.signed_at is None

    client.post(detail(review), _edit(review))
    client.post(sign)
    review.refresh_from_db()
    assert review.status == AnnualReview.Status.SIGNED
    assert review.signed_by == cast.a.users["head"] and review.signed_at == at(2032, 6, 15, 10)
    # The governors are told.
    assert Notification.objects.filter(recipient=cast.a.users["governor"], link=detail(review)).exists()

    # Read-only from now on.
    page = client.get(detail(review)).content.decode()
    assert "Signed off on 15 Jun 2032 by Head A." in page and "<textarea" not in page
    response = client.post(detail(review), _edit(review, findings="Rewritten after signing"), follow=True)
    assert "it can no longer be changed" in text_of(response)
    review.refresh_from_db()
    assert review.findings == COMPLETE["findings"]

    history = text_of(client.get(detail(review)))
    assert "Created by Head A on 15/06/2032 10:00 (Started)" in history
    assert "Changed by Head A on 15/06/2032 10:00 (Edited)" in history
    assert "Changed by Head A on 15/06/2032 10:00 (Signed off)" in history


# --- The governors ------------------------------------------------------------------------


def test_a_governor_reads_signed_reviews_only_and_their_pdf(the_year, login):
    cast = the_year
    _start(login(cast.a.users["dsl"]))
    review = _this_years(cast)
    governor = login(cast.a.users["governor"])
    assert governor.get(detail(review)).status_code == 404
    assert governor.get(pdf_url(review)).status_code == 404
    listing = governor.get(LIST).content.decode()
    assert "2031/32" not in listing and str(cast.a.annual_review) in listing  # the cast's, signed

    login(cast.a.users["dsl"]).post(reverse("filtering:annual_review_sign", kwargs={"review_id": review.pk}))
    governor = login(cast.a.users["governor"])
    page = governor.get(detail(review)).content.decode()
    assert "Dee Safe, DSL" in page and "<textarea" not in page and "Sign off the review" not in page
    response = governor.get(pdf_url(review))
    assert response.status_code == 200 and response["Content-Type"] == "application/pdf"


def test_the_pdf_states_the_review_with_no_pupil_names_and_no_requesters(the_year, login):
    cast = the_year
    client = login(cast.a.users["dsl"])
    _start(client)
    review = _this_years(cast)
    client.post(
        detail(review),
        _edit(review, [{"text": "Block the new AI tool for KS3", "owner": "Network manager", "due_on": "2032-07-01"}]),
    )
    client.post(reverse("filtering:annual_review_sign", kwargs={"review_id": review.pk}))

    response = login(cast.a.users["governor"]).get(pdf_url(review))
    text = pdf_text(response.content)
    for expected in (
        "School A",
        "Academic year 2031/32",
        "Deputy head (pastoral), Sam Senior",
        "Gill Governor, safeguarding governor",
        "SWGfL test-filtering checks",
        "KS3 pupils (pupils-ks3)",
        "Approved and opened 3",
        "Median time from the request to the final decision 42 hours",
        "Sites reported 5",
        "Escalated to an incident 1",
        "Block the new AI tool for KS3 Network manager 1 Jul 2032",
        "By 1 Jun 2033",
        "A new generative AI tool in lessons.",
        "Signed off on 15 Jun 2032.",
    ):
        assert expected in text, expected
    # The pupil named in the year's site report, the staff who asked for sites or reported them, and, for a governor,
    # who signed it off.
    for absent in ("Aardvark", "Alice", "Teacher A", "It A", "Dsl A"):
        assert absent not in text, absent


# --- Queries ------------------------------------------------------------------------------


def _count(client, url) -> int:
    with CaptureQueriesContext(connection) as queries:
        assert client.get(url).status_code == 200
    return len(queries)


def test_the_yearly_review_pages_run_a_fixed_number_of_queries(the_year, login):
    cast = the_year
    client = login(cast.a.users["dsl"])
    _start(client)
    review = _this_years(cast)
    client.post(detail(review), _edit(review, [{"text": "First", "owner": "DSL", "due_on": "2032-07-01"}]))
    urls = [LIST, detail(review), pdf_url(review)]
    small = {}
    for url in urls:
        _count(client, url)
        small[url] = _count(client, url)
    for i in range(30):
        AnnualReviewAction.objects.create(review=review, text=f"Action {i}", owner="IT", due_on=at(2032, 7, 1).date())
        make_request(
            cast, 300 + i, created=at(2031, 10, 1) + timedelta(hours=i), status=Status.ACTIVE, it_decided_at=at(2031, 10, 3)
        )
    client.post(detail(review), _edit(review, findings="Edited again"))
    for url in urls:
        assert _count(client, url) == small[url], url
    # Starting one is as cheap with a long year as with a short one.
    review.delete()
    before = _count(client, NEW)
    for i in range(30):
        make_report(cast, 300 + i, reported=at(2031, 12, 1) + timedelta(hours=i))
    assert _count(client, NEW) == before
