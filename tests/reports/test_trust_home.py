"""
The trust's central team's home page: the trust's schools at a glance (open incidents, counted and never described,
small counts hidden; policy reviews overdue; filter exceptions open today) and the latest trust report.
"""

import itertools
import re
from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from esafety.access import school_access_for
from esafety.scoping import scope
from filtering.models import FilterExceptionRequest
from incidents.models import Incident, IncidentCategory
from policies.models import Policy
from reports.home_trust import trust_at_a_glance
from reports.models import ReportStatus, TrustReport
from tests import factories as f

HOME = "/"
REQUEST_NUMBERS = itertools.count(500)


def _incidents(school, reporter, count, *, status=Incident.Status.OPEN, first=100, audience=Incident.Audience.GENERAL):
    with scope(school=school):
        category = IncidentCategory.objects.first()
        for number in range(first, first + count):
            Incident.objects.create(
                school=school,
                number=number,
                occurred_at=timezone.now() - timedelta(days=1),
                location=Incident.Location.ONLINE,
                category=category,
                description=f"Unkind messages number {number}",
                reported_by=reporter,
                status=status,
                audience=audience,
                closed_at=timezone.now() if status == Incident.Status.CLOSED else None,
            )


def _overdue_policies(school, count, *, retired=False):
    with scope(school=school):
        for number in range(count):
            Policy.objects.create(
                school=school,
                title=f"Overdue policy {number}{' (retired)' if retired else ''}",
                next_review_on=timezone.localdate() - timedelta(days=3),
                retired_on=timezone.localdate() - timedelta(days=1) if retired else None,
            )


def _open_exceptions(school, requester, count, *, status=FilterExceptionRequest.Status.ACTIVE, starts_in=0):
    today = timezone.localdate()
    with scope(school=school):
        for number in range(count):
            FilterExceptionRequest.objects.create(
                school=school,
                number=next(REQUEST_NUMBERS),
                requested_by=requester,
                purpose=f"A lesson on rivers {number}",
                starts_on=today + timedelta(days=starts_in),
                ends_on=today + timedelta(days=starts_in + 2),
                status=status,
            )


@pytest.fixture
def school_c(cast):
    return f.make_school(name="School C", urn="900099", trust=cast.a.trust)


def _panel_request(rf, user):
    request = rf.get(HOME)
    request.user = user
    request.access = school_access_for(user)
    return request


def _rows(panel) -> dict[str, list[str]]:
    return {row["label"]: [cell["text"] for cell in row["cells"]] for row in panel["table"]["rows"]}


def test_the_trust_sees_each_school_at_a_glance_with_small_counts_hidden(cast, school_c, rf):
    trust_user = cast.a.users["trust"]
    # The cast's own incidents are closed: school A has only these 3 open.
    Incident.objects.open().update(status=Incident.Status.CLOSED, closed_at=timezone.now())
    _incidents(cast.a.school, cast.a.users["teacher"], 3)
    _incidents(cast.a.school, cast.a.users["teacher"], 4, status=Incident.Status.CLOSED, first=200)
    _incidents(school_c, trust_user, 7)
    # Restricted ones are not counted: the central team may not see them, and the count would tell of them.
    _incidents(school_c, trust_user, 2, first=300, audience=Incident.Audience.SAFEGUARDING)
    _overdue_policies(cast.a.school, 2)
    _overdue_policies(cast.a.school, 1, retired=True)
    _open_exceptions(school_c, trust_user, 1)
    _open_exceptions(school_c, trust_user, 2, starts_in=5)  # not open yet
    _open_exceptions(school_c, trust_user, 1, status=FilterExceptionRequest.Status.SUBMITTED)

    panel = trust_at_a_glance(_panel_request(rf, trust_user))

    assert panel["table"]["columns"] == [
        "Open incidents (not restricted)",
        "Policy reviews overdue",
        "Filter exceptions open today",
    ]
    # School A's 3 open incidents are hidden, and so is the trust's total, which would give them away.
    assert _rows(panel) == {
        "School A": ["fewer than 5", "2", "0"],
        "School C": ["7", "0", "1"],
        "Trust total": ["not shown", "2", "1"],
    }
    assert panel["latest"] == cast.a.trust_report


def test_the_home_page_shows_the_panel_with_the_latest_report_and_no_incident_described(cast, school_c, login):
    _incidents(school_c, cast.a.users["trust"], 6)
    newer = TrustReport.objects.create(
        trust=cast.a.trust, academic_year=cast.a.trust_report.academic_year, version=2, status=ReportStatus.DRAFT
    )
    TrustReport.objects.create(trust=cast.a.trust, academic_year=cast.a.trust_report.academic_year, version=3)  # being built
    page = login(cast.a.users["trust"]).get(reverse("home")).content.decode()
    assert "The trust at a glance" in page
    assert re.search(r"<th scope=\"row\">School C</th><td class=\"text-end\">6</td>", page)
    assert reverse("reports:trust_report_detail", kwargs={"report_id": newer.pk}) in page
    assert "version 2, draft" in page
    assert "Unkind messages" not in page


def test_no_report_yet_links_to_the_list(cast, login):
    TrustReport.objects.filter(trust=cast.a.trust).delete()
    page = login(cast.a.users["trust"]).get(reverse("home")).content.decode()
    assert "The trust report: none built yet" in page and reverse("reports:trust_report_list") in page


@pytest.mark.parametrize("role", ["head", "dsl", "governor", "lead"])
def test_only_the_trusts_central_team_has_the_panel(cast, rf, role):
    assert trust_at_a_glance(_panel_request(rf, cast.a.users[role])) is None


def test_the_panel_costs_the_same_queries_however_many_schools(cast, rf, django_assert_num_queries):
    request = _panel_request(rf, cast.a.users["trust"])
    # The trust's threshold, open incidents, overdue reviews, open exceptions (each grouped by school), the latest report.
    with django_assert_num_queries(5):
        trust_at_a_glance(request)
    for number in range(4):
        school = f.make_school(name=f"School {number}", urn=f"90010{number}", trust=cast.a.trust)
        _incidents(school, cast.a.users["trust"], number + 5)
        _overdue_policies(school, 1)
    request = _panel_request(rf, cast.a.users["trust"])
    with django_assert_num_queries(5):
        panel = trust_at_a_glance(request)
    assert len(panel["table"]["rows"]) == 6
