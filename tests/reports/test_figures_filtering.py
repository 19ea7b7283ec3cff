"""
The web filtering section of the governors' report: requests, sites reported, changes to the filter, reviews of
the logs and the yearly review, for the year and the year before; nothing written by staff; a fixed number of
queries whatever the years of data.
"""

import dataclasses
import json
from datetime import date, datetime

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from esafety.models import AcademicYear
from esafety.terms.selectors import school_calendar
from filtering.models import FilterSettings
from reports.figures import filtering as figures
from reports.figures.base import Count, Measure, Text, report_context, section_builders
from tests.filtering.cast_reviews import make_request
from tests.reports.figures_data_filtering import LONDON, SECRET_WORDS, at, make_years_of_filtering

# The school's filtering settings; its terms (reviews due); requests by outcome; decision times; sites reported;
# changes; reviews of the logs; the yearly reviews with their actions.
QUERIES = 8


@pytest.fixture
def autumn_2025(time_machine):
    """15 October 2025, in 2025/26: the report is of 2024/25, beside 2023/24."""
    time_machine.move_to(datetime(2025, 10, 15, 10, 0, tzinfo=LONDON), tick=False)


def year_2024():
    return AcademicYear.objects.for_date(date(2024, 9, 1))


def rows(section, key) -> list[tuple]:
    """A table's rows as (label, [cells]) and, for a total row, (label, [cells], "total")."""
    table = next(t for t in section.tables if t.key == key)
    return [(row.label, row.cells, "total") if row.total else (row.label, row.cells) for row in table.rows]


def counts(*values):
    return [Count(v) for v in values]


def texts(*values):
    return [Text(v) for v in values]


@pytest.fixture
def section(autumn_2025, cast):
    make_years_of_filtering(cast)
    return figures.build(report_context(cast.a.school, year_2024()))


def test_the_section_follows_incidents_with_the_year_and_the_year_before(section):
    assert section_builders().index(figures.build) == 1
    assert (section.key, section.title) == ("filtering", "Web filtering")
    assert [t.key for t in section.tables] == [
        "requests",
        "request_timing",
        "site_reports",
        "changes",
        "log_reviews",
        "yearly_review",
    ]
    assert all(t.columns == ["2024/25", "2023/24"] for t in section.tables)


def test_requests_by_what_came_of_them(section):
    assert rows(section, "requests") == [
        ("Approved and opened", counts(2, 1)),
        ("Declined by the head teacher", counts(1, 0)),
        ("Declined by IT", counts(1, 0)),
        ("Withdrawn by whoever asked", counts(1, 0)),
        ("Revoked early", counts(1, 0)),
        ("Still waiting for a decision", counts(1, 1)),  # 31 August 2025 at 23:00 is still 2024/25
        ("All requests", counts(7, 2), "total"),
    ]


def test_late_requests_and_the_median_time_to_the_final_decision(section):
    assert rows(section, "request_timing") == [
        ("Asked with less notice than the school asks for", counts(2, 1)),
        (
            "Median time from asking to the final decision",
            [
                Measure("6 hours", base=5, empty="no decisions", number=6.0),
                Measure("24 hours", base=1, empty="no decisions", number=24.0),
            ],
        ),
    ]
    note = next(t for t in section.tables if t.key == "request_timing").note
    assert "less than 3 school days before the lesson" in note


def test_sites_reported_by_what_came_of_them(section):
    assert rows(section, "site_reports") == [
        ("Blocked", counts(2, 0)),  # one at ten past midnight on 1 September 2024
        ("To be blocked by IT", counts(1, 0)),
        ("Escalated to an incident", counts(1, 0)),
        ("No action needed", counts(1, 1)),
        ("Waiting for a decision", counts(1, 0)),
        ("All sites reported", counts(6, 1), "total"),
    ]


def test_changes_to_the_filter_by_the_head_teachers_agreement(section):
    assert rows(section, "changes") == [
        ("Agreed by the head teacher before it was made", counts(1, 1)),
        ("Made in an emergency and agreed afterwards", counts(1, 0)),
        ("Not yet agreed by the head teacher in the app", counts(2, 0)),
        ("All changes logged", counts(4, 1), "total"),
    ]


def test_reviews_of_the_logs_due_on_time_late_and_missed(section):
    # 2023/24 counts from the first review ever (1 February 2024): Spring 1 to Summer 2. A review signed at 00:30
    # on 26 October 2024 is late for 25 October, whatever the hour in UTC.
    assert rows(section, "log_reviews") == [
        ("Due (one each half-term)", texts("6", "4")),
        ("Signed off on time", texts("3", "1")),
        ("Signed off late", texts("2", "1")),
        ("Not signed off", texts("1", "2")),
    ]


def test_the_yearly_review_is_given_by_its_dates_and_the_state_of_its_actions(section):
    # Today is 15 October 2025: the action due today is not yet due.
    assert rows(section, "yearly_review") == [
        ("Status", texts("Signed off", "Draft")),
        ("Signed off on", texts("15/09/2025", "not signed off")),
        ("Next review by", texts("14/12/2025", "01/07/2024")),
        ("Findings", texts("written in the review", "none written")),
        ("Actions agreed", texts("5", "0")),
        ("Actions done by their due date", texts("1", "0")),
        ("Actions done late", texts("1", "0")),
        ("Actions not done, past their due date", texts("1", "0")),
        ("Actions not done, not yet due", texts("2", "0")),
    ]


def test_nothing_staff_wrote_is_in_the_section(section):
    text = repr(section) + json.dumps(dataclasses.asdict(section))
    for words in SECRET_WORDS:
        assert words not in text, words


def test_a_year_with_nothing_recorded(autumn_2025, cast):
    section = figures.build(report_context(cast.a.school, AcademicYear.objects.for_date(date(2021, 9, 1))))

    assert rows(section, "requests")[-1] == ("All requests", counts(0, 0), "total")
    assert rows(section, "request_timing")[1][1] == [Measure("no decisions yet", base=0, empty="no decisions")] * 2
    assert rows(section, "log_reviews")[0] == ("Due (one each half-term)", texts("0", "0"))  # before the first review
    assert rows(section, "yearly_review")[:2] == [
        ("Status", texts("none recorded", "none recorded")),
        ("Signed off on", texts("not signed off", "not signed off")),
    ]


def test_with_no_review_of_the_logs_ever_every_period_that_has_ended_is_due(autumn_2025, cast):
    from filtering.models import LogReview

    LogReview.objects.filter(school=cast.a.school).delete()
    FilterSettings.objects.filter(school=cast.a.school).update(review_interval=FilterSettings.ReviewInterval.TERM)

    this_year = figures.build(report_context(cast.a.school, AcademicYear.objects.for_date(date(2025, 9, 1))))
    last_year = figures.build(report_context(cast.a.school, year_2024()))

    # 15 October 2025: no term of 2025/26 has ended yet; all three of 2024/25 had.
    assert rows(this_year, "log_reviews")[0] == ("Due (one each term)", texts("0", "3"))
    assert rows(last_year, "log_reviews")[-1] == ("Not signed off", texts("3", "3"))


def test_the_periods_reviews_are_due_by(autumn_2025, cast):
    calendar = school_calendar(cast.a.school, 2024, closures=False)

    months = figures.review_period_ends(calendar, 2024, FilterSettings.ReviewInterval.MONTH)

    assert (len(months), months[0], months[5], months[-1]) == (12, date(2024, 9, 30), date(2025, 2, 28), date(2025, 8, 31))


def build_counting_queries(school) -> int:
    ctx = report_context(school, year_2024())
    with CaptureQueriesContext(connection) as queries:
        figures.build(ctx)
    return len(queries.captured_queries)


def test_the_section_costs_the_same_queries_for_one_year_of_data_as_for_three(autumn_2025, cast):
    from filtering.models import FilterExceptionRequest

    make_request(cast, 301, created=at(2024, 10, 1), status=FilterExceptionRequest.Status.ACTIVE, it_decided_at=at(2024, 10, 2))
    one_year = build_counting_queries(cast.a.school)

    make_years_of_filtering(cast)
    make_request(cast, 302, created=at(2022, 10, 1), status=FilterExceptionRequest.Status.REMOVED, it_decided_at=at(2022, 10, 2))
    three_years = build_counting_queries(cast.a.school)

    assert one_year == three_years == QUERIES
