"""
The dashboard, the incident list and the home page's incident panels run a
fixed number of queries, however many incidents the school has: measured
with the cast's incidents, then again after adding many more (with people,
tasks, checklists and timelines, over two years, some restricted and some
overdue), and held to the budget written here.
"""

import random
from datetime import date, timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from esafety.calendar import academic_year_start
from esafety.models import Pupil
from esafety.roles import Role
from incidents import services
from incidents.dashboard import QUEUE_SIZE
from incidents.demo import SchoolPeople, generate_incidents
from incidents.models import Incident, IncidentAction
from tests import factories as f
from tests.incidents.incident_factory import Part, log_incident

# Every page runs 7 queries of its own shell (tests/esafety/test_query_counts.py). The budgets are those 7 plus:
DASHBOARD = 7 + 8
# queue totals (1); four queues, each a page of incidents, and the people of them all (5); overdue tasks and their
# count (2). The trends come in a request of their own once the queues are shown (TRENDS), and a row's forms
# when it is opened (ROW_TOOLS).
TRENDS = 7 + 7
# the school's terms, for the half-terms (1); by category and half-term, year group and location (3); the
# school's incident settings (1); pupils over the threshold, counted and then fetched (2).
ROW_TOOLS = 7 + 4  # the incident and its people (2); its audience's handlers (1); the categories (1)
LIST = 7 + 5  # categories and year groups for the filters (2); count; page; people of the page
PAGES = [
    ("dsl", "incidents:dashboard", "", DASHBOARD),
    ("head", "incidents:dashboard", "", DASHBOARD),
    ("chair", "incidents:dashboard", "", DASHBOARD),
    ("dsl", "incidents:dashboard_trends", "", TRENDS),
    ("chair", "incidents:dashboard_trends", "", TRENDS),
    ("dsl", "incidents:incident_list", "", LIST),
    ("dsl", "incidents:incident_list", "?q=Aardvark&severity=medium&status=open&sort=severity", LIST),
    ("head", "incidents:incident_list", "?since=2024-09-01&location=online&sort=-when&page=2", LIST),
]


def grow(cast, n):
    """n more incidents at school A: most made in bulk as the demo does, a few logged and handled through the services."""
    school, users = cast.a.school, cast.a.users
    rng = random.Random(n)
    form = cast.a.form
    pupils = [f.make_pupil(school, f"Grown{n}x{i}", "Pupil", form=form, mis_id=f"g{n}x{i}") for i in range(5)]
    people = SchoolPeople(
        users={Role.DSL: users["dsl"], Role.HEAD: users["head"], Role.STAFF: users["teacher"], Role.IT: users["it"]},
        pupils=list(Pupil.objects.for_school(school).values_list("pk", "admission_date", "leaving_date")),
        staff_without_login=[],
    )
    today = timezone.localdate()
    generate_incidents(school, people, count=n, first=date(academic_year_start(today) - 1, 9, 1), last=today, rng=rng)
    for i, pupil in enumerate(pupils):
        incident = log_incident(cast.a, pupils=[(pupil, Part.ALLEGED), (cast.a.pupil, Part.AFFECTED)])
        services.incident_assign(incident=incident, assignee=users["dsl"], actor=users["dsl"])
        IncidentAction.objects.create(
            incident=incident, title=f"Task {i}", owner=users["it"], due_on=today - timedelta(days=i + 1)
        )
        if i == 1:
            services.incident_set_agency(incident=incident, actor=users["dsl"], agency="Police", reference=f"P{n}", waiting=True)
        elif i == 2:
            services.incident_close(incident=incident, actor=users["dsl"], outcome="Sorted")
        log_incident(
            cast.a,
            kind="Staff",
            pupils=[(pupil, Part.WITNESS)],
            people=[services.Involved(Part.ALLEGED, staff=cast.a.staff_member)],
            reporter="lead",
        )


def count_queries(client, url) -> int:
    with CaptureQueriesContext(connection) as queries:
        response = client.get(url)
    assert response.status_code == 200, url
    return len(queries)


@pytest.mark.parametrize("role,name,query,budget", PAGES, ids=[f"{p[0]}-{p[1]}{p[2]}" for p in PAGES])
def test_the_page_runs_a_fixed_number_of_queries(cast, client, role, name, query, budget):
    url = reverse(name) + query
    client.force_login(cast.a.users[role])
    grow(cast, 3)  # something in every queue and every trend
    count_queries(client, url)  # warm: content types and the like are cached after the first request
    small = count_queries(client, url)
    grow(cast, 120)
    assert Incident.objects.filter(school=cast.a.school).count() > 130
    large = count_queries(client, url)
    assert small == large, f"{url} ran {small} queries with a few incidents and {large} with many"
    assert large <= budget, f"{url} ran {large} queries, over its budget of {budget}"


def test_the_dashboard_stays_small_with_full_queues_and_a_row_fetches_its_forms(cast, client):
    client.force_login(cast.a.users["dsl"])
    grow(cast, 130)
    # Fill every queue: 30 incidents in each state (most of the grown ones are long closed).
    incidents = Incident.objects.filter(school=cast.a.school, audience=Incident.Audience.GENERAL)
    pks = list(incidents.order_by("-number").values_list("pk", flat=True)[:120])
    Status, dsl, now = Incident.Status, cast.a.users["dsl"], timezone.now()
    incidents.filter(pk__in=pks[0:30]).update(status=Status.NEW, assigned_to=None, closed_at=None)
    incidents.filter(pk__in=pks[30:60]).update(status=Status.OPEN, assigned_to=dsl, closed_at=None)
    incidents.filter(pk__in=pks[60:90]).update(status=Status.WAITING, assigned_to=dsl, agency="Police", closed_at=None)
    incidents.filter(pk__in=pks[90:120]).update(status=Status.CLOSED, assigned_to=dsl, closed_at=now)
    page = client.get(reverse("incidents:dashboard"))
    rows = page.content.decode().count('id="row-')
    assert rows == 4 * QUEUE_SIZE, f"{rows} rows: every queue should show its first {QUEUE_SIZE}"
    # Every row's forms inline made it half a megabyte; each row now fetches its own when opened.
    assert len(page.content) < 150_000, f"the dashboard is {len(page.content) // 1024} kB with {rows} rows"
    incident = incidents.filter(status=Incident.Status.NEW).order_by("-number").first()
    url = reverse("incidents:dashboard_row_tools", args=[incident.pk])
    count_queries(client, url)
    assert count_queries(client, url) <= ROW_TOOLS
    assert reverse("incidents:incident_assign", args=[incident.pk]) in client.get(url).content.decode()


HOME = [
    ("teacher", 1),  # the "log an incident" panel: their open tasks
    ("dsl", 1 + 2),  # … and the triage panel: new or unassigned with immediate risk, overdue tasks
    ("chair", 2),  # the triage panel alone: the chair does not log incidents
]


@pytest.mark.parametrize("role,added", HOME, ids=[h[0] for h in HOME])
def test_the_home_page_panels_add_a_fixed_number_of_queries(cast, client, role, added, settings):
    from esafety import home

    url = reverse("home")
    client.force_login(cast.a.users[role])
    grow(cast, 3)
    count_queries(client, url)
    panels = [p for p in home._PANELS if p[1].__module__ == "incidents.home"]
    small_total = count_queries(client, url)
    # The incident panels' share: the same page without them.
    others = [p for p in home._PANELS if p not in panels]
    saved = list(home._PANELS)
    home._PANELS[:] = others
    try:
        without = count_queries(client, url)
    finally:
        home._PANELS[:] = saved
    grow(cast, 60)
    assert count_queries(client, url) == small_total
    assert small_total - without == added
