"""
Requests per second under gunicorn with production settings, over real HTTP.

`gunicorn esafety.wsgi` as production runs it (Procfile, docs/deployment.md): 2 sync workers, DEBUG off,
access log on, static files collected into a temporary STATIC_ROOT with hashed names (MANIFEST_STATIC),
on a free port of the loopback, with the bench database. Each user's session is made in the bench process
(as `BenchRun.client_for` makes them, second factor passed) and its cookie sent with every request.
CLIENT_THREADS threads ask for one page at once for `http_seconds`, after a short warm-up; every answer
must be 200. The client threads, gunicorn and the database share the machine.

The app has no bare view behind the login: /healthz/ needs none. The lightest page that needs one stands in
for it: the incident log's people search with nothing typed, an htmx fragment that reads nothing itself.
"""

import contextlib
import ctypes
import http.client
import os
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
from collections import Counter
from dataclasses import dataclass
from pathlib import Path

from django.conf import settings
from django.core.management import call_command
from django.db import connection
from django.test.utils import CaptureQueriesContext, override_settings
from django.urls import reverse

from bench.consents import open_round
from bench.core import login
from bench.measure import BenchRun, Section, signed_in_client
from esafety.roles import Role

WORKERS = 2
CLIENT_THREADS = 3
WARMUP_SECONDS = 1.0
START_TIMEOUT_SECONDS = 60
STOP_TIMEOUT_SECONDS = 20
PR_SET_PDEATHSIG = 1  # linux/prctl.h


@dataclass
class Rate:
    name: str
    url: str
    user: str
    requests: int
    seconds: float
    statuses: Counter

    @property
    def per_second(self) -> float:
        return self.requests / self.seconds

    @property
    def ok(self) -> bool:
        return set(self.statuses) == {200}


def _pages(school) -> list[tuple[str, str, str]]:
    """(name, url, user's e-mail) of each page, the bare view first."""
    dsl = login(Role.DSL)
    return [
        ("bare view: people search, nothing typed", f"{reverse('incidents:people_search')}?q=", dsl),
        ("DSL dashboard", reverse("incidents:dashboard"), dsl),
        ("incident list", reverse("incidents:incident_list"), dsl),
        ("pupil list", reverse("pupil_list"), login(Role.STAFF)),
        ("consent chasing list", reverse("consents:round_chasing", args=[open_round(school).pk]), login(Role.OFFICE)),
    ]


def requests_per_second(run: BenchRun) -> None:
    pages = _pages(run.school)
    with CaptureQueriesContext(connection) as bare_queries:
        run.client_for(pages[0][2]).get(pages[0][1])
    cookies = {email: signed_in_client(email).cookies[settings.SESSION_COOKIE_NAME].value for _, _, email in pages}
    rates: list[Rate] = []
    problem = None
    with tempfile.TemporaryDirectory(prefix="esafety-bench-gunicorn-") as work:
        static_root, log = Path(work) / "static", Path(work) / "gunicorn.log"
        started = time.perf_counter()
        _collect_static(static_root)
        collected = time.perf_counter() - started
        try:
            with _gunicorn(static_root, log) as port:
                for name, url, email in pages:
                    _load(port, url, cookies[email], WARMUP_SECONDS)
                    requests, seconds, statuses = _load(port, url, cookies[email], run.options.http_seconds)
                    rates.append(Rate(name, url, email, requests, seconds, statuses))
        except GunicornFailed as exc:
            problem = [f"PROBLEM: {exc}", "gunicorn's log ends:", *(f"  {line}" for line in _tail(log))]

    lines = [
        f"gunicorn esafety.wsgi: {WORKERS} sync workers, DEBUG off, access log on, static files collected with hashed "
        f"names ({collected:.1f} s);",
        f"{CLIENT_THREADS} client threads (http.client) for {run.options.http_seconds:g} s a page after a "
        f"{WARMUP_SECONDS:g} s warm-up; the session cookie of each user made in the bench process.",
        "",
    ]
    if rates:
        bare = rates[0].per_second
        width = max(len(r.name) for r in rates)
        lines.append(f"{'page':{width}}  {'user':28}  {'requests':>8}  {'req/s':>7}  {'× bare view':>11}  answers")
        for rate in rates:
            answers = ", ".join(f"{n} × {status}" for status, n in sorted(rate.statuses.items()))
            lines.append(
                f"{rate.name:{width}}  {rate.user:28}  {rate.requests:8}  {rate.per_second:7.1f}  "
                f"{rate.per_second / bare:11.2f}  {answers}"
            )
        lines += [
            "",
            f"The bare view is {rates[0].url}: the app has no view behind the login lighter than that (/healthz/ needs none).",
            f"It runs {len(bare_queries)} queries a request (test client), none of them its own: the session, the user, the middleware.",
        ]
        lines += [f"PROBLEM: {r.name} ({r.url}) answered other than 200: {dict(r.statuses)}" for r in rates if not r.ok]
    lines += problem or []
    ok = problem is None and all(r.ok for r in rates)
    title = f"Throughput under gunicorn with production settings ({WORKERS} workers, real HTTP)"
    run.report.sections.append(Section(title, lines, ok=ok))


def _collect_static(static_root: Path) -> None:
    """
    collectstatic into `static_root`, with hashed names and the manifest that production's storage reads.
    Without the compressed copies (WhiteNoise's storage makes them): they take half a minute and only
    matter to requests for static files, which the bench does not time.
    """
    storages = {**settings.STORAGES, "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.ManifestStaticFilesStorage"}}
    with override_settings(STATIC_ROOT=static_root, STORAGES=storages):
        call_command("collectstatic", interactive=False, verbosity=0)


class GunicornFailed(Exception):
    """gunicorn stopped, or did not answer, before the bench could measure it."""


@contextlib.contextmanager
def _gunicorn(static_root: Path, log: Path):
    """gunicorn serving the bench database on a free loopback port (yielded), stopped afterwards whatever happens."""
    port = _free_port()
    # The bench's environment (bench.database.configure_environment): its database, secret key and settings.
    env = {**os.environ, "STATIC_ROOT": str(static_root), "MANIFEST_STATIC": "true", "DEBUG": "false"}
    command = [
        sys.executable,
        "-m",
        "gunicorn",
        "esafety.wsgi",
        "--bind",
        f"127.0.0.1:{port}",
        "--workers",
        str(WORKERS),
        "--access-logfile",
        "-",
    ]
    with open(log, "wb") as out:
        # A session of its own, so that stopping it stops its workers too.
        process = subprocess.Popen(
            command,
            cwd=settings.BASE_DIR,
            env=env,
            stdout=out,
            stderr=subprocess.STDOUT,
            start_new_session=True,
            preexec_fn=_stop_with_the_bench,  # safe: the bench runs no threads of its own yet
        )
    try:
        _wait_until_up(process, port)
        yield port
    finally:
        _stop(process)


def _stop_with_the_bench() -> None:
    """In gunicorn's process, before it starts: on Linux, ask for SIGTERM should the bench be killed outright."""
    with contextlib.suppress(OSError, AttributeError):
        ctypes.CDLL("libc.so.6", use_errno=True).prctl(PR_SET_PDEATHSIG, signal.SIGTERM)


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _wait_until_up(process: subprocess.Popen, port: int) -> None:
    deadline = time.monotonic() + START_TIMEOUT_SECONDS
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise GunicornFailed(f"gunicorn stopped with status {process.returncode} before it answered.")
        with contextlib.suppress(OSError):  # not listening yet
            if _get(port, reverse("healthz"), cookie=None)[0] == 200:
                return
        time.sleep(0.2)
    raise GunicornFailed(f"gunicorn did not answer {reverse('healthz')} within {START_TIMEOUT_SECONDS} s.")


def _stop(process: subprocess.Popen) -> None:
    """SIGTERM to gunicorn's process group (the master and its workers), then SIGKILL if it lingers."""
    for sig, wait in ((signal.SIGTERM, STOP_TIMEOUT_SECONDS), (signal.SIGKILL, STOP_TIMEOUT_SECONDS)):
        try:
            os.killpg(process.pid, sig)
        except ProcessLookupError:
            break
        try:
            process.wait(timeout=wait)
            break
        except subprocess.TimeoutExpired:
            continue


def _get(port: int, url: str, *, cookie: str | None, connection: http.client.HTTPConnection | None = None) -> tuple[int, int]:
    """(status, bytes) of one GET. A given connection is reused (it reconnects when gunicorn has closed it)."""
    conn = connection or http.client.HTTPConnection("127.0.0.1", port, timeout=60)
    headers = {"Cookie": f"{settings.SESSION_COOKIE_NAME}={cookie}"} if cookie else {}
    try:
        conn.request("GET", url, headers=headers)
        response = conn.getresponse()
        return response.status, len(response.read())
    finally:
        if connection is None:
            conn.close()


def _load(port: int, url: str, cookie: str, seconds: float) -> tuple[int, float, Counter]:
    """CLIENT_THREADS threads ask for `url` until `seconds` have passed: (requests, seconds taken, statuses)."""
    counters = [Counter() for _ in range(CLIENT_THREADS)]
    failures: list[BaseException] = []

    def client(statuses: Counter, deadline: float) -> None:
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
        try:
            while time.perf_counter() < deadline:
                statuses[_get(port, url, cookie=cookie, connection=conn)[0]] += 1
        except (OSError, http.client.HTTPException) as exc:
            failures.append(exc)
        finally:
            conn.close()

    started = time.perf_counter()
    threads = [threading.Thread(target=client, args=(c, started + seconds)) for c in counters]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    taken = time.perf_counter() - started
    if failures:
        raise GunicornFailed(f"{url}: {type(failures[0]).__name__}: {failures[0]}")
    statuses = sum(counters, Counter())
    return sum(statuses.values()), taken, statuses


def _tail(log: Path, lines: int = 20) -> list[str]:
    try:
        return log.read_text(errors="replace").splitlines()[-lines:]
    except OSError:
        return []


BENCHES = [requests_per_second]
