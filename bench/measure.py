"""
How the bench measures: pages through Django's test client, SQL queries, and memory.

A bench function gets a `BenchRun`: `run.page(name, url, as_user=email)` times
a page and counts its queries; `run.report` collects everything printed at
the end. Imported after `django.setup()`.
"""

import contextlib
import ctypes
import gc
import re
import statistics
import threading
import time
from collections import Counter
from dataclasses import dataclass, field
from html.parser import HTMLParser

from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

# A query shape seen this often on one page is reported as a likely N+1.
REPEAT_THRESHOLD = 3
# The goal for every page: 95 requests in 100 answered within this time. Reported, not asserted.
P95_GOAL_MS = 100
# A PDF laid out by WeasyPrint when it is asked for (an incident's record) is a document, not a page: its goal
# is the one for a class's consent slips, a PDF of the same kind.
DOCUMENT_GOAL_MS = 1000


@dataclass(frozen=True)
class Options:
    runs: int  # timed requests per page
    warmup: int  # untimed requests first (template loading, caches)
    import_rows: int
    http_seconds: float  # how long each page is requested under gunicorn (bench.throughput)


@dataclass
class PageTiming:
    name: str
    url: str
    user: str
    status: int
    median_ms: float
    p95_ms: float
    queries: int
    # (times, shape) of each query shape repeated REPEAT_THRESHOLD times or more in one request
    repeated: list[tuple[int, str]] = field(default_factory=list)
    size_bytes: int = 0  # the answer's body, as sent (uncompressed)
    goal_ms: int = P95_GOAL_MS  # for its 95th percentile

    @property
    def ok(self) -> bool:
        return self.status == 200

    @property
    def meets_goal(self) -> bool:
        return self.p95_ms <= self.goal_ms


@dataclass
class Section:
    """A block of the report other than the page table, e.g. the import figures."""

    title: str
    lines: list[str]
    ok: bool = True


@dataclass
class Report:
    facts: list[tuple[str, str]] = field(default_factory=list)  # (label, value), printed first
    pages: list[PageTiming] = field(default_factory=list)
    sections: list[Section] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return all(p.ok for p in self.pages) and all(s.ok for s in self.sections)


class BenchRun:
    """What a bench function works with: the options, the demo school, logged-in clients and the report."""

    def __init__(self, options: Options, school, report: Report):
        self.options = options
        self.school = school
        self.report = report
        self._clients: dict[str, Client] = {}

    def client_for(self, email: str) -> Client:
        if email not in self._clients:
            self._clients[email] = signed_in_client(email)
        return self._clients[email]

    def page(self, name: str, url: str, *, as_user: str, goal_ms: int = P95_GOAL_MS) -> PageTiming:
        """Time `url` for the user and add it to the report's page table."""
        client = self.client_for(as_user)
        timing = time_page(client, url, runs=self.options.runs, warmup=self.options.warmup, name=name, user=as_user)
        timing.goal_ms = goal_ms
        self.report.pages.append(timing)
        return timing

    def recount_pages(self) -> list[tuple[PageTiming, int]]:
        """Count the queries of every page measured so far again: (page, count now) where it changed."""
        changed = []
        for timing in self.report.pages:
            _, queries = _request(self.client_for(timing.user), timing.url, capture=True)
            if len(queries) != timing.queries:
                changed.append((timing, len(queries)))
        return changed


def signed_in_client(email: str) -> Client:
    """A test client signed in as the user, with a session of its own (its cookie also works over HTTP)."""
    from esafety.models import User
    from esafety.second_factor import session_signed_in_with_second_factor

    client = Client()
    user = User.objects.get(email=email)
    client.force_login(user)
    # The privileged roles sign in with a second factor: the bench times the pages, not the sign-in.
    session_signed_in_with_second_factor(client.session, user)
    return client


def _request(client: Client, url: str, *, capture: bool) -> tuple[int, list[str]]:
    status, queries, _ = _request_measured(client, url, capture=capture)
    return status, queries


def _request_measured(client: Client, url: str, *, capture: bool) -> tuple[int, list[str], int]:
    """The answer's status, its queries (when captured) and the size of its body."""
    if not capture:
        response = client.get(url)
        return response.status_code, [], len(response.content)
    with CaptureQueriesContext(connection) as captured:
        response = client.get(url)
    return response.status_code, [q["sql"] for q in captured.captured_queries], len(response.content)


def time_page(client: Client, url: str, *, runs: int, warmup: int, name: str = "", user: str = "") -> PageTiming:
    """
    Median and 95th percentile wall time of `runs` requests after `warmup` untimed ones.

    Queries are counted on one extra request of their own, so that capturing
    them does not slow the timed ones.
    """
    for _ in range(warmup):
        status, _ = _request(client, url, capture=False)
    status, queries, size = _request_measured(client, url, capture=True)
    # The garbage the bench made before (millions of rows generated in bulk, the page before) is collected
    # now, not in the middle of this page's timings: a worker serving the page would not have it.
    gc.collect()
    samples = []
    for _ in range(runs):
        started = time.perf_counter()
        status, _ = _request(client, url, capture=False)
        samples.append((time.perf_counter() - started) * 1000)
    return PageTiming(
        name=name or url,
        url=url,
        user=user,
        status=status,
        median_ms=statistics.median(samples),
        p95_ms=percentile(samples, 95),
        queries=len(queries),
        repeated=repeated_shapes(queries),
        size_bytes=size,
    )


def table_rows(html: str) -> int:
    """How many rows the first table body of the page has: the rows a list page shows."""
    parser = _TableRows()
    parser.feed(html)
    return parser.rows


class _TableRows(HTMLParser):
    def __init__(self):
        super().__init__()
        self.rows = 0
        self._state = "before"  # before, inside or after the first <tbody>

    def handle_starttag(self, tag, attrs):
        if tag == "tbody" and self._state == "before":
            self._state = "inside"
        elif tag == "tr" and self._state == "inside":
            self.rows += 1

    def handle_endtag(self, tag):
        if tag == "tbody" and self._state == "inside":
            self._state = "after"


def percentile(samples: list[float], pct: int) -> float:
    if len(samples) < 2:
        return samples[0]
    return statistics.quantiles(samples, n=100, method="inclusive")[pct - 1]


_STRING = re.compile(r"'(?:[^']|'')*'")
_NUMBER = re.compile(r"\b\d+(?:\.\d+)?\b")
_LIST = re.compile(r"\((?:\?, )+\?\)")
_SAVEPOINT_NAME = re.compile(r'"s\d+_x\d+"')


# A server-side cursor's name (PostgreSQL, `.iterator()`): one per statement, so not part of its shape.
_CURSOR = re.compile(r"_django_curs_\w+")


def query_shape(sql: str) -> str:
    """The SQL with its values taken out, so that the same query for another row looks the same."""
    shape = _NUMBER.sub("?", _STRING.sub("?", _CURSOR.sub("_django_curs_?", sql)))
    return _LIST.sub("(?, …)", shape)


def repeated_shapes(queries: list[str], threshold: int = REPEAT_THRESHOLD) -> list[tuple[int, str]]:
    counts = Counter(query_shape(q) for q in queries)
    return [(n, shape) for shape, n in counts.most_common() if n >= threshold]


class QueryCounter:
    """
    Counts the statements run inside the block, by shape, without keeping them.

    Lighter than `CaptureQueriesContext` for the thousands of queries of an
    import; Django hands the wrapper the SQL with placeholders, which is the shape.
    """

    def __init__(self):
        self.shapes: Counter[str] = Counter()

    @property
    def total(self) -> int:
        return sum(self.shapes.values())

    def __enter__(self):
        self._wrapper = connection.execute_wrapper(self._count)
        self._wrapper.__enter__()
        return self

    def __exit__(self, *exc):
        return self._wrapper.__exit__(*exc)

    def _count(self, execute, sql, params, many, context):
        # A savepoint has a fresh name each time: they are counted together, and each still runs with its own name
        # (a rollback to it must find it).
        self.shapes[_SAVEPOINT_NAME.sub('"…"', sql) if "SAVEPOINT" in sql[:25] else sql] += 1
        return execute(sql, params, many, context)


class PeakMemory:
    """
    The process's peak resident memory (RSS) inside the block, in MB, and where it started.

    On Linux the kernel's high-water mark is reset at the start of the block
    (/proc/self/clear_refs), so the peak is this block's own. Elsewhere it is
    `ru_maxrss`, the peak since the process started, and `since_start` says so.
    Not tracemalloc: it made the import about seven times slower.
    """

    def __enter__(self):
        # Hand memory freed by earlier work back to the OS first, so that the growth is this block's.
        gc.collect()
        _malloc_trim()
        self.since_start = not _reset_peak_rss()
        self.start_mb = _rss_mb("VmRSS")
        return self

    def __exit__(self, *exc):
        self.peak_mb = _rss_mb("VmHWM")
        return False


class ProcessTreeMemory:
    """
    The peak of the resident memory (RSS) of this process and all its children together inside the block, in MB:
    what a job that lays out PDFs in processes of its own takes of the machine at once. Sampled by a thread every
    50 ms (psutil), so a shorter peak may be missed.
    """

    INTERVAL = 0.05

    def __enter__(self):
        self.peak_mb = _tree_rss_mb()
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._sample, name="bench-memory", daemon=True)
        self._thread.start()
        return self

    def _sample(self) -> None:
        while not self._stop.wait(self.INTERVAL):
            self.peak_mb = max(self.peak_mb, _tree_rss_mb())

    def __exit__(self, *exc):
        self._stop.set()
        self._thread.join()
        self.peak_mb = max(self.peak_mb, _tree_rss_mb())
        return False


def _tree_rss_mb() -> float:
    """The RSS of this process and its descendants; a child that ends while it is read counts for nothing."""
    import psutil

    me = psutil.Process()
    total = me.memory_info().rss
    for child in me.children(recursive=True):
        with contextlib.suppress(psutil.NoSuchProcess, psutil.AccessDenied):
            total += child.memory_info().rss
    return total / (1024 * 1024)


def _malloc_trim() -> None:
    try:
        ctypes.CDLL("libc.so.6").malloc_trim(0)
    except (OSError, AttributeError):
        pass  # not glibc: the growth may then be understated


def _reset_peak_rss() -> bool:
    try:
        with open("/proc/self/clear_refs", "w") as f:
            f.write("5")
        return True
    except OSError:
        return False


def _rss_mb(key: str) -> float:
    # Linux reports the current and peak resident size; elsewhere only the peak, through getrusage.
    with contextlib.suppress(OSError), open("/proc/self/status") as f:
        for line in f:
            if line.startswith(key + ":"):
                return int(line.split()[1]) / 1024
    import resource
    import sys

    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return peak / (1024 * 1024) if sys.platform == "darwin" else peak / 1024
