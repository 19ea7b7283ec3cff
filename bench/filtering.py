"""
Web filtering's measurements on the large school: the register, the head teacher's and IT's queues, the feed
and settings pages, first with the demo's register (or one of a normal school's size, when the demo made none)
and then with five years more of the large school's requests and 500 exceptions open today (query counts must
not change between the two); and the allowlist
feed's requests per second with those 500 exceptions, with and without If-None-Match.

The feed is timed through Django's WSGI handler in-process, as a gunicorn worker calls it (every middleware,
the connection handling of a real request), without the network: what one worker process can answer.
"""

import io
import json
import random
import statistics
import sys
import time
from collections import Counter
from datetime import date, timedelta

from django.core.handlers.wsgi import WSGIHandler
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from bench.core import _shorten, login
from bench.measure import BenchRun, QueryCounter, Section, percentile, query_shape
from esafety.calendar import academic_year_start
from esafety.demo import DemoLogin
from esafety.roles import Role
from filtering.demo import demo_people, generate_requests
from filtering.models import FilterExceptionRequest, FilterGroup, FilterSettings

YEARS = 5
NORMAL = 400  # the demo's requests at a school of normal size (filtering.demo.COUNTS)
LARGE = 3000  # the large school's over five years
OPEN_TODAY = 500
FEED_GROUP = "pupils-ks3"
# An appliance's address: a poll from it is recorded (once a minute), as in production.
APPLIANCE_IP = "10.20.30.40"


def _people(run: BenchRun):
    return demo_people([DemoLogin(role, login(role), "") for role in Role if role != Role.TRUST])


def _pages(run: BenchRun) -> list[tuple[str, str, str]]:
    """(name, url, user's e-mail) of each page measured."""
    head, it, teacher = login(Role.HEAD), login(Role.IT), login(Role.STAFF)
    register = reverse("filtering:request_list")
    return [
        ("filtering: register (IT)", register, it),
        ("filtering: register, search a domain", f"{register}?q=archive.org", it),
        ("filtering: register, removed, by first day", f"{register}?status=removed&sort=-starts_on", head),
        ("filtering: a teacher's own requests", register, teacher),
        ("filtering: head teacher's queue", reverse("filtering:head_queue"), head),
        ("filtering: IT's queue", reverse("filtering:it_queue"), it),
        ("filtering: feed page (IT)", reverse("filtering:feed_settings"), it),
        ("filtering: settings (head)", reverse("filtering:settings"), head),
    ]


def _queries(run: BenchRun, url: str, email: str) -> tuple[int, Counter]:
    """The page's status and the shapes of its queries, on a request after a warm-up one."""
    client = run.client_for(email)
    client.get(url)  # a session's first request, or its first in a minute, saves the session as well
    with CaptureQueriesContext(connection) as captured:
        status = client.get(url).status_code
    return status, Counter(query_shape(q["sql"]) for q in captured.captured_queries)


def _vacuum() -> None:
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("VACUUM ANALYZE")  # as after the demo (bench/__main__.py)


def requests_and_pages(run: BenchRun) -> None:
    school = run.school
    people = _people(run)
    today = timezone.localdate()
    first = date(academic_year_start(today) - YEARS + 1, 9, 1)
    rng = random.Random(2031)
    lines, ok = [], people is not None
    if people is None:
        run.report.sections.append(
            Section("Web filtering", ["PROBLEM: the demo school has no head teacher or IT login."], ok=False)
        )
        return

    # The register as the demo left it, or one of normal size when it made none, for the query counts to
    # compare with.
    before = FilterExceptionRequest.objects.filter(school=school).count()
    words = "the demo's" if before >= NORMAL else "a normal school's"
    if before < NORMAL:
        generate_requests(
            school, people, count=NORMAL - before, first=first, last=today + timedelta(days=21), rng=rng, recent_share=0.1
        )
    normal = FilterExceptionRequest.objects.filter(school=school).count()
    _vacuum()
    baseline = {name: _queries(run, url, email) for name, url, email in _pages(run)}

    # Then the large school's five years, and 500 exceptions open today for one group.
    started = time.perf_counter()
    more = max(LARGE - normal, 2000)
    generate_requests(school, people, count=more, first=first, last=today + timedelta(days=21), rng=rng, recent_share=0.05)
    group = FilterGroup.objects.get(school=school, appliance_name=FEED_GROUP)
    generate_requests(school, people, count=OPEN_TODAY, first=today, last=today, rng=rng, open_now=True, group=group)
    seconds = time.perf_counter() - started
    _vacuum()
    requests = FilterExceptionRequest.objects.filter(school=school)
    total = requests.count()
    open_today = requests.open_on(today).count()
    waiting = requests.waiting().count()
    lines.append(
        f"{more + OPEN_TODAY:,} requests added in {seconds:.1f} s (bulk, with their sites, groups and history): "
        f"{total:,} in all from {first:%d/%m/%Y}, {open_today:,} open today, {waiting:,} waiting for a decision."
    )
    run.report.facts.append(("Filter requests", f"{total:,} in {school.name} over {YEARS} years, {open_today:,} open today"))

    changed = []
    for name, url, email in _pages(run):
        run.page(name, url, as_user=email)
        (status, before_shapes), (status_now, shapes) = baseline[name], _queries(run, url, email)
        # The count is what must not grow; the statements themselves may differ in their values (a page of other
        # rows, the name of a server-side cursor).
        if status_now != status or sum(shapes.values()) != sum(before_shapes.values()):
            changed.append(
                f"{name}: {sum(before_shapes.values())} queries with {normal:,} requests ({words}), {sum(shapes.values())} with "
                f"{total:,} ({url}; answered {status}, then {status_now})"
            )
            changed += [f"  + {_shorten(shape)}" for shape in (shapes - before_shapes).elements()]
            changed += [f"  - {_shorten(shape)}" for shape in (before_shapes - shapes).elements()]
    if changed:
        lines += ["PROBLEM: pages whose query count grew with the register:", *changed]
    else:
        lines.append(f"Every page runs the same number of queries with {normal:,} requests ({words}) as with {total:,}.")
    run.report.sections.append(
        Section(f"Web filtering: {YEARS} years of requests in {school.name}", lines, ok=ok and not changed)
    )


# --- The feed ---------------------------------------------------------------------------------------


def _environ(path: str, etag: str | None) -> dict:
    environ = {
        "REQUEST_METHOD": "GET",
        "PATH_INFO": path,
        "QUERY_STRING": "",
        "SERVER_NAME": "127.0.0.1",
        "SERVER_PORT": "80",
        "SERVER_PROTOCOL": "HTTP/1.1",
        "HTTP_HOST": "127.0.0.1",
        "HTTP_USER_AGENT": "filter-appliance/1.0",
        "REMOTE_ADDR": APPLIANCE_IP,
        "wsgi.version": (1, 0),
        "wsgi.url_scheme": "http",
        "wsgi.input": io.BytesIO(b""),
        "wsgi.errors": sys.stderr,
        "wsgi.multithread": False,
        "wsgi.multiprocess": True,
        "wsgi.run_once": False,
    }
    if etag:
        environ["HTTP_IF_NONE_MATCH"] = etag
    return environ


def _call(handler: WSGIHandler, path: str, etag: str | None = None) -> tuple[int, dict, bytes]:
    answer = {}

    def start_response(status, headers, exc_info=None):
        answer["status"], answer["headers"] = int(status[:3]), dict(headers)

    body = handler(_environ(path, etag), start_response)
    try:
        content = b"".join(body)
    finally:
        body.close()
    return answer["status"], answer["headers"], content


def _rate(handler: WSGIHandler, path: str, etag: str | None, seconds: float) -> dict:
    """Requests one after another for `seconds`: how many a second, their latency, and one request's queries."""
    for _ in range(3):
        _call(handler, path, etag)
    # Counted by a wrapper on the connection: a request's start clears the list CaptureQueriesContext reads.
    with QueryCounter() as counted:
        status, _, content = _call(handler, path, etag)
    statuses, samples = {}, []
    deadline = time.perf_counter() + seconds
    while time.perf_counter() < deadline:
        started = time.perf_counter()
        answered, _, _ = _call(handler, path, etag)
        samples.append((time.perf_counter() - started) * 1000)
        statuses[answered] = statuses.get(answered, 0) + 1
    return {
        "status": status,
        "statuses": statuses,
        "per_second": len(samples) / sum(samples) * 1000,
        "median": statistics.median(samples),
        "p95": percentile(samples, 95),
        "queries": counted.total,
        "bytes": len(content),
    }


def feed_throughput(run: BenchRun) -> None:
    school = run.school
    today = timezone.localdate()
    settings = FilterSettings.objects.get(school=school)
    group = FilterGroup.objects.get(school=school, appliance_name=FEED_GROUP)
    listed = FilterExceptionRequest.objects.filter(school=school, groups=group).open_on(today).count()
    kwargs = {"token": settings.feed_token, "group": FEED_GROUP}
    text, as_json = reverse("filtering:feed_text", kwargs=kwargs), reverse("filtering:feed_json", kwargs=kwargs)
    handler = WSGIHandler()
    status, headers, content = _call(handler, text)
    etag = headers.get("ETag")
    entries = len(content.splitlines())
    _, _, json_content = _call(handler, as_json)
    exceptions = len(json.loads(json_content)["exceptions"]) if json_content.startswith(b"{") else 0
    seconds = run.options.http_seconds
    rates = [
        ("plain text, full list", _rate(handler, text, None, seconds), 200),
        ("JSON, full list", _rate(handler, as_json, None, seconds), 200),
        ("plain text, If-None-Match (304)", _rate(handler, text, etag, seconds), 304),
    ]
    lines = [
        f"{FEED_GROUP}: {listed} exceptions open today, {exceptions} in the JSON, {entries:,} lines in the plain text "
        f"({len(content) / 1024:.0f} kB).",
        f"One process, requests one after another for {seconds:g} s each, through Django's WSGI handler (every "
        "middleware, no network); no session, as an appliance asks."
        + (
            " On SQLite every request opens the database file again (no persistent connections)."
            if connection.vendor == "sqlite"
            else ""
        ),
        "",
        f"{'request':34} {'req/s':>8} {'median ms':>9} {'p95 ms':>7} {'queries':>7} {'kB':>6}  answers",
    ]
    ok = status == 200 and bool(etag) and listed >= OPEN_TODAY
    for name, rate, expected in rates:
        answers = ", ".join(f"{n} × {s}" for s, n in sorted(rate["statuses"].items()))
        lines.append(
            f"{name:34} {rate['per_second']:8.0f} {rate['median']:9.2f} {rate['p95']:7.2f} {rate['queries']:7} "
            f"{rate['bytes'] / 1024:6.1f}  {answers}"
        )
        ok &= set(rate["statuses"]) == {expected}
    polls = rates[2][1]["per_second"] * 60
    lines += [
        "",
        f"Polled every minute with If-None-Match, one worker process answers the feeds of about {polls:,.0f} schools "
        f"({rates[2][1]['per_second']:.0f} a second); a trust of 50 schools polling every minute makes under one request a second.",
    ]
    if not ok:
        lines.append(f"PROBLEM: the feed answered {status} (ETag {etag!r}), or a poll answered other than expected.")
    run.report.sections.append(Section(f"Allowlist feed: {listed} exceptions open today in {school.name}", lines, ok=ok))


BENCHES = [requests_and_pages, feed_throughput]
