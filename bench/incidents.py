"""
The incidents' measurements on the large school with 25,000 more incidents
over five years: the DSL's dashboard, the incident list with filters, a
pupil's chronology, logging an incident (a POST, as a teacher would) and the
PDF of one incident.
"""

import random
import statistics
import time
from datetime import date, timedelta

from django.db import connection
from django.db.models import Count
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from bench.core import login
from bench.measure import DOCUMENT_GOAL_MS, BenchRun, PageTiming, Section, percentile, repeated_shapes
from esafety.calendar import academic_year_start
from esafety.demo import DemoLogin
from esafety.models import Pupil, YearGroup
from esafety.roles import Role
from incidents.demo import generate_incidents, school_people
from incidents.models import Incident, IncidentCategory, IncidentPerson

INCIDENTS = 25_000
YEARS = 5


def add_incidents(run: BenchRun) -> None:
    school = run.school
    logins = [DemoLogin(role, login(role), "") for role in Role if role != Role.TRUST]
    people = school_people(school, logins)
    today = timezone.localdate()
    first = date(academic_year_start(today) - YEARS + 1, 9, 1)
    started = time.perf_counter()
    made = generate_incidents(school, people, count=INCIDENTS, first=first, last=today - timedelta(days=1), rng=random.Random(25))
    seconds = time.perf_counter() - started
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("VACUUM ANALYZE")  # as after the demo (bench/__main__.py)
    total = Incident.objects.filter(school=school).count()
    parts = IncidentPerson.objects.filter(incident__school=school).count()
    open_ = Incident.objects.filter(school=school).open().count()
    restricted = Incident.objects.filter(school=school).restricted().count()
    lines = [
        f"{made:,} incidents from {first:%d/%m/%Y} added in {seconds:.1f} s (bulk, with their history).",
        f"{total:,} incidents in all: {open_:,} open, {restricted:,} restricted; {parts:,} people linked.",
    ]
    run.report.sections.append(Section(f"Incidents: {INCIDENTS:,} more in {school.name}", lines, ok=made == INCIDENTS))
    run.report.facts.append(("Incidents", f"{total:,} in {school.name} over {YEARS} years"))


def incident_pages(run: BenchRun) -> None:
    school = run.school
    dsl, teacher = login(Role.DSL), login(Role.STAFF)
    cyberbullying = IncidentCategory.objects.for_school(school).get(name="Cyberbullying")
    year9 = YearGroup.objects.get(school=school, ncy=9)
    since = date(academic_year_start(timezone.localdate()) - 1, 9, 1)
    incidents = reverse("incidents:incident_list")
    run.page("incidents: dashboard (dsl)", reverse("incidents:dashboard"), as_user=dsl)
    run.page("incidents: dashboard's trends (dsl)", reverse("incidents:dashboard_trends"), as_user=dsl)
    run.page("incidents: list", incidents, as_user=dsl)
    run.page(
        "incidents: list, filtered",
        f"{incidents}?category={cyberbullying.pk}&year_group={year9.pk}&since={since:%Y-%m-%d}&sort=severity",
        as_user=dsl,
    )
    run.page("incidents: list, search a name", f"{incidents}?q=smith&status=closed", as_user=dsl)
    busiest = (
        Pupil.objects.for_school(school)
        .annotate(n=Count("incident_parts"))
        .order_by("-n", "mis_id")
        .values_list("pk", "n")
        .first()
    )
    run.page(f"pupil chronology ({busiest[1]} incidents)", reverse("pupil_chronology", args=[busiest[0]]), as_user=dsl)
    case = (
        Incident.objects.filter(school=school, audience=Incident.Audience.GENERAL)
        .annotate(steps=Count("checklist", distinct=True), tasks=Count("actions", distinct=True))
        .filter(steps__gt=0, tasks__gt=0)
        .order_by("-number")
        .first()
    )
    run.page("incident case page (dsl)", reverse("incidents:incident_detail", args=[case.pk]), as_user=dsl)
    run.page(
        "dashboard row's forms (opened)",
        reverse("incidents:dashboard_row_tools", args=[case.pk]),
        as_user=dsl,
    )
    run.page("incident PDF", reverse("incidents:incident_pdf", args=[case.pk]), as_user=dsl, goal_ms=DOCUMENT_GOAL_MS)
    _log_incidents(run, teacher, cyberbullying)


def _log_incidents(run: BenchRun, email: str, category) -> None:
    """A teacher logs a cyberbullying incident: the form's POST, timed like a page (it answers with a redirect)."""
    client = run.client_for(email)
    pupil = Pupil.objects.for_school(run.school).current().order_by("mis_id").first()
    url = reverse("incidents:incident_log")
    data = {
        "occurred_at": timezone.localtime().strftime("%Y-%m-%dT%H:%M"),
        "location": Incident.Location.ONLINE,
        "category": category.pk,
        "description": "A pupil showed me messages in a group chat calling them names.",
        "severity": Incident.Severity.MEDIUM,
        "person": [f"pupil:{pupil.pk}"],
        "part": [IncidentPerson.Part.AFFECTED],
    }
    statuses = []
    for _ in range(run.options.warmup):
        statuses.append(client.post(url, data).status_code)
    samples = []
    for _ in range(run.options.runs):
        started = time.perf_counter()
        statuses.append(client.post(url, data).status_code)
        samples.append((time.perf_counter() - started) * 1000)
    with CaptureQueriesContext(connection) as captured:
        statuses.append(client.post(url, data).status_code)
    queries = [q["sql"] for q in captured.captured_queries]
    ok = all(status == 302 for status in statuses)
    run.report.pages.append(
        PageTiming(
            name="log an incident (POST)",
            url=url,
            user=email,
            # Shown as 200 when every POST was accepted (a redirect to the receipt), else the first other answer.
            status=200 if ok else next(s for s in statuses if s != 302),
            median_ms=statistics.median(samples),
            p95_ms=percentile(samples, 95),
            queries=len(queries),
            repeated=repeated_shapes(queries),
        )
    )


BENCHES = [add_incidents, incident_pages]
