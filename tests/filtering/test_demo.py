"""
The demo's web filtering reads like a school's: five years of requests in every status, each one's steps in
order and none later than now, numbered in the order they were asked for; some open today, and in the feed.
"""

import random
from datetime import date, datetime
from zoneinfo import ZoneInfo

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from esafety.calendar import academic_year_start
from esafety.demo import SMALL, build_school
from esafety.scoping import scope
from filtering.demo import demo_people, generate_requests, seed_demo_filtering
from filtering.models import FilterExceptionRequest, FilterSettings, LogReview, SiteReport

pytestmark = pytest.mark.django_db

Status = FilterExceptionRequest.Status
LONDON = ZoneInfo("Europe/London")
# A Thursday afternoon in term.
NOW = datetime(2026, 11, 26, 14, 0, tzinfo=LONDON)


def _seeded(time_machine, now):
    time_machine.move_to(now, tick=False)
    school, logins = build_school(SMALL, trust=None)
    with scope(school=school):
        seed_demo_filtering(school=school, logins=logins, rng=random.Random(2026), size="normal")
    return school, logins


@pytest.fixture
def school(time_machine):
    school, logins = _seeded(time_machine, NOW)
    with scope(school=school):
        yield school, logins


@pytest.mark.parametrize(
    "now",
    [NOW, datetime(2027, 3, 8, 7, 30, tzinfo=LONDON), datetime(2027, 8, 12, 11, 0, tzinfo=LONDON)],
    ids=["thursday-afternoon", "monday-before-school", "summer-holiday"],
)
def test_five_years_of_requests_each_step_in_order(time_machine, now):
    school, _ = _seeded(time_machine, now)
    with scope(school=school):
        _assert_every_request_tells_a_schools_story(school, in_term=now.month != 8)


def _assert_every_request_tells_a_schools_story(school, *, in_term: bool):
    now, today = timezone.now(), timezone.localdate()
    requests = list(FilterExceptionRequest.objects.filter(school=school).prefetch_related("sites", "groups"))

    assert len(requests) == 400
    statuses = {r.status for r in requests}
    # Every status, except in the summer holiday: nothing is running, nor ended lately.
    assert set(Status.values) - statuses <= (set() if in_term else {Status.EXPIRED})
    assert min(r.created_at for r in requests).date() < date(academic_year_start(today) - 4, 11, 1)
    assert sum(r.is_late for r in requests) > 20
    for r in requests:
        where = f"{r.reference} {r.status} {r.starts_on}–{r.ends_on}"
        steps = [r.created_at, r.head_decided_at, r.it_decided_at, r.applied_at, r.removed_at]
        done = [moment for moment in steps if moment is not None]
        assert done == sorted(done) and done[-1] <= now, where
        assert r.ended_at is None or r.created_at <= r.ended_at <= now, where
        assert r.sites.all() and r.groups.all(), where
        assert r.history.get().history_date == r.created_at, where
        if r.status in (Status.ACTIVE, Status.SUBMITTED, Status.HEAD_APPROVED, Status.IT_APPROVED):
            assert r.ends_on >= today and r.removed_at is None, where
        if r.status in (Status.REMOVED, Status.EXPIRED):
            assert r.ends_on < today and r.applied_at is not None, where
        if r.status == Status.HEAD_DECLINED:
            assert r.head_note and r.it_decided_at is None, where
        if r.status == Status.WITHDRAWN:
            assert r.ended_by == r.requested_by and r.applied_at is None, where
        if r.is_late and r.head_decided_at and r.status != Status.HEAD_DECLINED:
            assert r.late_reason, where


def test_requests_are_numbered_in_the_order_they_were_asked_for(school):
    school, _ = school
    numbers = list(
        FilterExceptionRequest.objects.filter(school=school).order_by("created_at", "number").values_list("number", flat=True)
    )

    assert numbers == list(range(1, 401))
    assert FilterSettings.objects.get(school=school).last_number == 400


def test_exceptions_open_today_are_in_the_feed(school, client):
    school, _ = school
    today = timezone.localdate()
    open_today = FilterExceptionRequest.objects.filter(school=school).open_on(today).prefetch_related("groups", "sites")
    assert open_today.count() >= 3
    request = open_today.first()
    group = request.groups.get()
    token = FilterSettings.objects.get(school=school).feed_token

    feed = client.get(reverse("filtering:feed_text", kwargs={"token": token, "group": group.appliance_name}))

    lines = feed.content.decode().splitlines()
    for site in request.sites.all():
        assert site.value.split("://")[-1] in lines


def test_reports_and_reviews_of_the_logs_come_with_it(school):
    school, _ = school
    reports = SiteReport.objects.filter(school=school)

    assert reports.count() == 12
    assert sorted(reports.values_list("number", flat=True)) == list(range(1, 13))
    assert FilterSettings.objects.get(school=school).last_report_number == 12
    assert all(report.reported_at <= timezone.now() for report in reports)
    assert reports.filter(status=SiteReport.Status.BLOCKED, changes__isnull=False).exists()
    reviews = LogReview.objects.filter(school=school)
    assert reviews.count() >= 5 * 5
    assert all(review.signed_at <= timezone.now() for review in reviews)


def test_generating_more_requests_costs_the_same_queries_however_many(school):
    school, logins = school
    people = demo_people(logins)
    counts = []
    for count in (20, 300):
        with CaptureQueriesContext(connection) as queries:
            made = generate_requests(
                school, people, count=count, first=date(2026, 1, 5), last=date(2026, 12, 18), rng=random.Random(count)
            )
        assert len(made) == count
        counts.append(len(queries))
    # Inserted in batches, never a query a row.
    assert counts[1] - counts[0] < (300 - 20) // 10


def test_the_bench_can_open_hundreds_today(school):
    school, logins = school
    today = timezone.localdate()
    before = FilterExceptionRequest.objects.filter(school=school).open_on(today).count()

    generate_requests(school, demo_people(logins), count=200, first=today, last=today, rng=random.Random(5), open_now=True)

    assert FilterExceptionRequest.objects.filter(school=school).open_on(today).count() == before + 200
    assert FilterExceptionRequest.objects.filter(school=school, applied_at__gt=timezone.now()).count() == 0
