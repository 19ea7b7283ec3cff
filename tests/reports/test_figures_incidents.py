"""
The incidents section of the governors' report: true counts of the year and the year before, by category,
half-term and year group, referrals and outcomes; restricted incidents counted and never described; a fixed
number of queries whatever the years of data.
"""

import dataclasses
import json
from datetime import date, datetime
from types import SimpleNamespace

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from esafety.models import AcademicYear
from esafety.scoping import scope
from incidents.models import Incident
from reports.figures import incidents as figures
from reports.figures.base import Count, Measure, Row, report_context, section_builders
from tests.reports.figures_data_incidents import (
    LONDON,
    PHONE,
    RESTRICTED_AGENCY,
    RESTRICTED_DESCRIPTION,
    SHARING,
    STAFF_CONDUCT,
    at,
    incident,
    make_years_of_incidents,
)

# Five grouped queries: by category and half-term; outcomes and referrals; days to closing; year groups of the
# incidents; the school's year groups.
QUERIES = 5


@pytest.fixture
def autumn_2025(time_machine):
    """15 October 2025, in 2025/26: the report is of 2024/25, beside 2023/24."""
    time_machine.move_to(datetime(2025, 10, 15, 10, 0, tzinfo=LONDON), tick=False)


def year_2024():
    return AcademicYear.objects.for_date(date(2024, 9, 1))


def table(section, key):
    return next(t for t in section.tables if t.key == key)


def rows(section, key) -> list[tuple]:
    """A table's rows as (label, [cells]) and, for a total row, (label, [cells], "total")."""
    return [(row.label, row.cells, "total") if row.total else (row.label, row.cells) for row in table(section, key).rows]


def counts(*values):
    return [Count(v) for v in values]


@pytest.fixture
def section(autumn_2025, cast):
    make_years_of_incidents(cast)
    return figures.build(report_context(cast.a.school, year_2024()))


def test_the_section_is_registered_first_with_the_year_and_the_year_before(section):
    assert section_builders()[0] is figures.build
    assert (section.key, section.title) == ("incidents", "Incidents")
    assert [t.key for t in section.tables] == ["by_category", "by_half_term", "by_year_group", "referrals", "outcomes"]
    assert all(t.columns == ["2024/25", "2023/24"] for t in section.tables)
    assert [t.chart for t in section.tables] == ["hbar", "line", "bar", "hbar", None]


def test_incidents_by_category_count_each_years_the_restricted_one_included(section):
    assert rows(section, "by_category") == [
        ("Cyberbullying", counts(4, 2)),  # 1 September 2025 is the next year's; 31 August 2024 last year's
        (SHARING, counts(1, 0)),
        (PHONE, counts(0, 1)),
        (STAFF_CONDUCT, counts(1, 0)),
        ("All incidents", counts(6, 3), "total"),
    ]


def test_a_holiday_counts_in_the_half_term_before_it(section):
    # The October break ends on Friday 1 November 2024 and Autumn 2 starts on Monday 4 November: the incidents of
    # the last day of the break and of Sunday 3 November at 23:30 are Autumn 1's, that of midnight on the 4th
    # Autumn 2's. Last year follows the usual pattern: Spring 2 from 26 February 2024.
    table_ = table(section, "by_half_term")
    assert rows(section, "by_half_term") == [
        ("Autumn 1", counts(3, 1)),
        ("Autumn 2", counts(1, 0)),
        ("Spring 1", counts(0, 0)),
        ("Spring 2", counts(1, 1)),
        ("Summer 1", counts(0, 0)),
        ("Summer 2", counts(1, 1)),
        ("All incidents", counts(6, 3), "total"),
    ]
    assert "the usual pattern" in table_.note  # 2023/24 has no dates of the school's own


def test_incidents_count_under_the_year_group_their_pupils_were_in_then(section):
    # Nina is in Year 9 now: Year 8 in 2024/25 and Year 7 the year before; Owen (Year 8 now) was in Year 7;
    # Zeb left in July 2025 from Year 11, so was in Year 10 the year before (a year group the school does not
    # have in its list: it shows because it has incidents).
    assert rows(section, "by_year_group") == [
        ("Year 7", counts(1, 2)),
        ("Year 8", counts(1, 0)),
        ("Year 9", counts(0, 0)),
        ("Year 10", counts(0, 1)),
        ("Year 11", counts(1, 0)),
        ("More than one year group", counts(1, 0)),  # Nina and Owen together
        ("About a member of staff", counts(1, 0)),
        ("No pupil named", counts(1, 0)),  # a visitor only
        ("All incidents", counts(6, 3), "total"),
    ]
    assert "less the years since" in table(section, "by_year_group").note


def test_referrals_count_each_incident_once_by_the_agency_named(section):
    assert rows(section, "referrals") == [
        ("Police", counts(1, 0)),
        ("Children's social care", counts(0, 0)),
        ("Local authority designated officer (LADO)", counts(1, 0)),
        ("CEOP (National Crime Agency)", counts(0, 1)),
        ("Prevent", counts(0, 0)),
        ("Another agency", counts(1, 0)),  # the Internet Watch Foundation
        ("More than one of these agencies", counts(1, 0)),  # the police and children's social care
        ("All referrals", counts(4, 1), "total"),
    ]


def test_outcomes_are_counted_at_the_end_of_each_year_with_the_median_days_to_close(section):
    # 2024/25: closed in 10 days, 0 days (the same day) and 2 days; one closed only after 31 August 2025.
    # 2023/24: closed in 3 days and 1 day.
    assert rows(section, "outcomes") == [
        ("Closed by the end of the year", counts(3, 2)),
        ("Still open at the end of the year", counts(3, 1)),
        ("All incidents", counts(6, 3), "total"),
        (
            "Median time from logging to closing",
            [Measure("2 days", base=3, empty="none closed", number=2), Measure("2 days", base=2, empty="none closed", number=2)],
        ),
    ]


def test_a_year_with_nothing_closed_has_no_median(autumn_2025, cast):
    incident(cast, "Cyberbullying", at(2024, 10, 1), pupils=[cast.a.pupil])

    section = figures.build(report_context(cast.a.school, year_2024()))

    median = table(section, "outcomes").rows[-1]
    assert median.cells == [
        Measure("none closed", base=0, empty="none closed"),
        Measure("none closed", base=0, empty="none closed"),
    ]
    assert rows(section, "by_category")[-1] == ("All incidents", counts(1, 0), "total")


def test_days_are_said_as_a_governor_would():
    assert [figures.days_words(d) for d in (None, 0, 1, 2, 2.5, 12)] == [
        "none closed",
        "the same day",
        "1 day",
        "2 days",
        "2.5 days",
        "12 days",
    ]


def test_nothing_of_a_restricted_incident_is_in_the_section_but_its_counts(autumn_2025, cast):
    data = make_years_of_incidents(cast)
    restricted = Incident.objects.get(pk=data.restricted.pk)
    assert restricted.is_restricted and restricted.agency == RESTRICTED_AGENCY

    section = figures.build(report_context(cast.a.school, year_2024()))

    text = repr(section) + json.dumps(dataclasses.asdict(section))
    for secret in [
        RESTRICTED_DESCRIPTION,
        "bus stop",
        restricted.agency,
        "Marlowe",
        "Sandra Pike",
        str(restricted.pk),
        restricted.pk.hex,
        restricted.reference,
        data.zeb.first_name,
        data.zeb.last_name,
        cast.a.staff_member.last_name,
        "A visitor to the library",
        "Internet Watch",
    ]:
        assert secret not in text, secret
    assert "restricted" not in text.lower() and "child protection" not in text.lower()
    assert rows(section, "by_category")[1] == (SHARING, counts(1, 0))  # counted, like any other


def build_counting_queries(school) -> int:
    ctx = report_context(school, year_2024())
    with CaptureQueriesContext(connection) as queries:
        figures.build(ctx)
    return len(queries.captured_queries)


def test_the_section_costs_the_same_queries_for_one_year_of_data_as_for_three(autumn_2025, cast):
    incident(cast, "Cyberbullying", at(2024, 10, 1), pupils=[cast.a.pupil], closed=at(2024, 10, 2), agency="Police")
    one_year = build_counting_queries(cast.a.school)

    make_years_of_incidents(cast)
    incident(cast, PHONE, at(2022, 10, 1), pupils=[cast.a.pupil], closed=at(2022, 10, 9), agency="Social care")
    three_years = build_counting_queries(cast.a.school)

    assert one_year == three_years == QUERIES


def test_another_schools_incidents_are_not_counted(autumn_2025, cast):
    with scope(school=cast.b.school):
        incident_b = incident(SimpleNamespace(a=cast.b), "Cyberbullying", at(2024, 10, 1), pupils=[cast.b.pupil])
    assert incident_b.school == cast.b.school

    section = figures.build(report_context(cast.a.school, year_2024()))

    assert rows(section, "by_category") == [("All incidents", counts(0, 0), "total")]
    assert table(section, "by_year_group").rows[-1] == Row("All incidents", counts(0, 0), total=True)
