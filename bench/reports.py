"""
The governors' report on the large school with five years of every record, and a trust's report for twenty such
schools.

The school's report for the latest complete academic year is built in this process, as the background job builds
it (`reports.build.report_build`, not through Celery): the time to count each section's figures, then to draw the
charts and lay out the PDF, the peak memory, the PDF's size and pages, and the queries. The report for the
earliest year with data is built too: the two builds must run the same number of queries, however much history
lies behind the year (the run fails if not). Then the report's page (as the lead, and as a governor once
published), the comparison of the two years and the PDF download go into the page table.

The trust: the large school is copied 19 times on PostgreSQL (`bench.trust_clone`, a few seconds a copy instead of
minutes for another demo school), inside a transaction rolled back at the end, so that the benches after this one
see the large school alone. The trust's report is built with 2 schools and with 20: its queries must grow by a
fixed number a school, shape by shape. Skipped on SQLite.
"""

import io
import statistics
import tempfile
import time
from collections import Counter
from contextlib import nullcontext
from datetime import date

from django.db import connection, transaction
from django.test.utils import CaptureQueriesContext, override_settings
from django.urls import NoReverseMatch, reverse
from django.utils import timezone

from bench.core import _shorten, login
from bench.measure import (
    BenchRun,
    PageTiming,
    PeakMemory,
    QueryCounter,
    Section,
    percentile,
    query_shape,
    repeated_shapes,
)
from esafety.calendar import academic_year_start
from esafety.models import AcademicYear, School, User
from esafety.roles import Role

TRUST_SCHOOLS = 20
# The phone register is the one table of a million rows a school (five years, every pupil, every day): copying
# it 19 times would take longer than the rest of the bench. The copies have none; the report reads it with one
# grouped query a school, timed on the large school's own report. Whatever is left out is printed with the figures.
# The incidents' timelines and checklists are the next largest, and no figure reads them.
NOT_COPIED_FOR_TRUST = {
    "devices.PhoneRecord": "the phone register, a million entries a school",
    "incidents.IncidentEvent": "incidents' timelines",
    "incidents.IncidentChecklistStep": "incidents' checklists",
}


def _missing(*names: str) -> list[str]:
    """Which of the report's modules or functions ("module:function") are not there yet."""
    import importlib

    missing = []
    for name in names:
        module_name, _, attribute = name.partition(":")
        try:
            module = importlib.import_module(module_name)
        except ImportError:
            missing.append(module_name)
            continue
        if attribute and not hasattr(module, attribute):
            missing.append(f"{module_name}.{attribute}")
    return missing


def _url(name: str, **kwargs) -> str | None:
    try:
        return reverse(name, kwargs=kwargs)
    except NoReverseMatch:
        return None


def latest_complete_year() -> AcademicYear:
    return AcademicYear.objects.for_date(date(academic_year_start(timezone.localdate()) - 1, 9, 1))


def earliest_year_with_data(school: School) -> AcademicYear:
    """The academic year of the school's first incident or phone register entry: the least history behind it."""
    from devices.models import PhoneRecord
    from incidents.models import Incident

    firsts = [
        Incident.objects.for_school(school).order_by("occurred_at").values_list("occurred_at", flat=True).first(),
        PhoneRecord.objects.for_school(school).order_by("day").values_list("day", flat=True).first(),
    ]
    days = [timezone.localdate(first) if hasattr(first, "hour") else first for first in firsts if first is not None]
    return AcademicYear.objects.for_date(min(days, default=timezone.localdate()))


def pdf_pages(data: bytes) -> int:
    from pypdf import PdfReader

    return len(PdfReader(io.BytesIO(data)).pages)


def _peak(memory: PeakMemory) -> str:
    return f"{memory.peak_mb:.0f} MB (+{memory.peak_mb - memory.start_mb:.0f}){'*' if memory.since_start else ''}"


def _shape_changes(before: Counter, after: Counter) -> list[str]:
    return [
        *(f"  + {n} × {_shorten(shape)}" for shape, n in (after - before).items()),
        *(f"  - {n} × {_shorten(shape)}" for shape, n in (before - after).items()),
    ]


def _download(client, url: str, *, capture: bool = False) -> tuple[int, int, list[str]]:
    """A file download (a streamed answer) read to its end: status, bytes and, when captured, its queries."""
    with CaptureQueriesContext(connection) if capture else nullcontext() as captured:
        response = client.get(url)
        # Read to its end, the test client closes the answer as a server would (and keeps the connection open).
        size = sum(len(chunk) for chunk in response.streaming_content) if response.streaming else len(response.content)
    return response.status_code, size, [q["sql"] for q in captured.captured_queries] if capture else []


def time_download(run: BenchRun, name: str, url: str, *, as_user: str) -> PageTiming:
    """As `run.page`, for a PDF download, whose answer is streamed from storage: added to the page table."""
    client = run.client_for(as_user)
    for _ in range(run.options.warmup):
        _download(client, url)
    status, size, queries = _download(client, url, capture=True)
    samples = []
    for _ in range(run.options.runs):
        started = time.perf_counter()
        status, _, _ = _download(client, url)
        samples.append((time.perf_counter() - started) * 1000)
    timing = PageTiming(
        name=name,
        url=url,
        user=as_user,
        status=status,
        median_ms=statistics.median(samples),
        p95_ms=percentile(samples, 95),
        queries=len(queries),
        repeated=repeated_shapes(queries),
        size_bytes=size,
    )
    run.report.pages.append(timing)
    return timing


# --- One school's report ----------------------------------------------------------------------------------------


class SchoolBuild:
    """One build of a school's report, measured: its times, memory, queries and PDF."""

    def __init__(self, school: School, year: AcademicYear, actor: User):
        from django.db.models import Max

        from reports.models import ReportSettings, ReportStatus, SchoolReport

        # The report as `reports.services.report_request_build` leaves it, without queueing the job: the bench
        # calls the build itself, in this process.
        latest = SchoolReport.objects.filter(school=school, academic_year=year).aggregate(latest=Max("version"))["latest"]
        settings, _ = ReportSettings.objects.get_or_create(school=school)
        self.report = SchoolReport.objects.create(
            school=school,
            academic_year=year,
            version=(latest or 0) + 1,
            status=ReportStatus.BUILDING,
            threshold=settings.threshold,
            requested_by=actor,
        )
        self.marks: list[float] = []

    def run(self) -> "SchoolBuild":
        from reports.build import report_build
        from reports.figures.base import section_builders

        self.builders = len(section_builders())
        with PeakMemory() as self.memory, QueryCounter() as self.queries:
            self.started = time.perf_counter()
            report_build(self.report, lambda done, total: self.marks.append(time.perf_counter()))
            self.ended = time.perf_counter()
        self.report.refresh_from_db()
        self.pdf = self.report.pdf.read() if self.report.pdf else b""
        if self.report.pdf:
            self.report.pdf.close()
        return self

    @property
    def ok(self) -> bool:
        from reports.models import ReportStatus

        return self.report.status == ReportStatus.DRAFT and bool(self.pdf)

    def describe(self, label: str) -> list[str]:
        seconds = self.ended - self.started
        if not self.ok:
            return [f"PROBLEM: {label}: the build ended as {self.report.status}: {self.report.error or 'no PDF'}"]
        counted = self.builders
        lines = [f"{label}: {seconds:.1f} s in all, {self.queries.total} queries, peak {_peak(self.memory)}"]
        if len(self.marks) > counted:
            # The build reports its progress after each section and after the PDF.
            figures = self.marks[counted - 1] - self.started
            steps = [self.started, *self.marks[:counted]]
            names = [section.get("key", "?") for section in self.report.data.get("sections", [])]
            each = ", ".join(f"{name} {b - a:.2f}" for name, a, b in zip(names, steps, steps[1:], strict=False))
            lines.append(
                f"  figures counted in {figures:.1f} s ({each}); charts and PDF in {self.ended - self.marks[counted - 1]:.1f} s"
            )
        lines.append(f"  PDF: {pdf_pages(self.pdf)} pages, {len(self.pdf) / 1024:.0f} KB")
        return lines


def school_report(run: BenchRun) -> None:
    title = f"Governors' report: {run.school.name}, five years of records"
    missing = _missing("reports.build:report_build", "reports.services:report_publish")
    if missing:
        print(f"    skipped: the governors' report has no {', '.join(missing)} yet")
        run.report.sections.append(Section(title, [f"Not measured: {', '.join(missing)} is missing."]))
        return
    from reports.services import report_publish

    lead = User.objects.get(email=login(Role.LEAD))
    latest, earliest = latest_complete_year(), earliest_year_with_data(run.school)
    with tempfile.TemporaryDirectory() as media, override_settings(MEDIA_ROOT=media):
        built = SchoolBuild(run.school, latest, lead).run()
        lines = built.describe(f"{latest} (the latest complete year)")
        first = SchoolBuild(run.school, earliest, lead).run()
        lines += first.describe(f"{earliest} (the earliest year with records)")
        ok = built.ok and first.ok
        same = built.queries.total == first.queries.total
        lines.append(
            f"Queries of the build: {built.queries.total} for {latest}, {first.queries.total} for {earliest}: "
            + ("same" if same else "GROWS")
        )
        if not same:
            lines += [
                "PROBLEM: the build's queries depend on the year:",
                *_shape_changes(first.queries.shapes, built.queries.shapes),
            ]
        if built.memory.since_start:
            lines.append("* This system cannot reset the peak: it is the peak since the bench started.")
        run.report.facts.append(
            ("Governors' report", f"{latest}: built in {built.ended - built.started:.1f} s, {built.queries.total} queries")
        )
        run.report.sections.append(Section(title, lines, ok=ok and same))
        if not built.ok:
            return

        report = built.report
        lead_email, governor_email = login(Role.LEAD), login(Role.GOVERNOR)
        detail, pdf = _url("reports:report_detail", report_id=report.pk), _url("reports:report_pdf", report_id=report.pk)
        compare = _url("reports:report_compare")
        if detail is None or pdf is None:
            print("    skipped: the report's pages (reports:report_detail, reports:report_pdf) are not there yet")
            return
        run.page("governors' report (lead, draft)", detail, as_user=lead_email)
        time_download(run, "governors' report PDF (lead)", pdf, as_user=lead_email)
        if compare and first.ok:
            run.page(
                "governors' report, two years compared",
                f"{compare}?first={report.pk}&second={first.report.pk}",
                as_user=lead_email,
            )
        report_publish(report=report, actor=lead)
        run.page("governors' report (governor)", detail, as_user=governor_email)
        time_download(run, "governors' report PDF (governor)", pdf, as_user=governor_email)


# --- A trust of twenty such schools ------------------------------------------------------------------------------


class TrustBuild:
    def __init__(self, trust, year: AcademicYear, actor: User):
        from reports.trust_services import trust_report_request_build

        # Inside the bench's transaction: the job it queues after commit is never sent (the transaction is rolled
        # back); the bench builds the report itself.
        self.report = trust_report_request_build(trust=trust, year=year, actor=actor)

    def run(self) -> "TrustBuild":
        from reports.trust_services import trust_report_build

        self.failure = ""
        with PeakMemory() as self.memory, QueryCounter() as self.queries:
            started = time.perf_counter()
            try:
                # A savepoint: an error leaves the bench's transaction usable, to report it and roll back.
                with transaction.atomic():
                    trust_report_build(self.report.pk)
            except Exception as exc:  # noqa: BLE001 - reported as a problem of the run, not raised
                self.failure = f"{type(exc).__name__}: {exc}"
            self.seconds = time.perf_counter() - started
        self.report.refresh_from_db()
        self.pdf = self.report.pdf.read() if self.report.pdf else b""
        if self.report.pdf:
            self.report.pdf.close()
        return self

    @property
    def ok(self) -> bool:
        from reports.models import ReportStatus

        return not self.failure and self.report.status == ReportStatus.DRAFT and bool(self.pdf)

    def describe(self, schools: int) -> str:
        if not self.ok:
            why = self.failure or self.report.error or "no PDF"
            return f"PROBLEM: {schools} schools: the build ended as {self.report.status}: {why}"
        return (
            f"{schools} schools: {self.seconds:.1f} s, {self.queries.total} queries, peak {_peak(self.memory)}; "
            f"PDF {pdf_pages(self.pdf)} pages, {len(self.pdf) / 1024:.0f} KB"
        )


def _analyze(plan, *, vacuum: bool = False) -> None:
    # The copies' rows are new to the planner; as after the demo, it gets their statistics before the timings.
    tables = ", ".join(connection.ops.quote_name(table.model._meta.db_table) for table in plan.tables)
    with connection.cursor() as cursor:
        cursor.execute(f"{'VACUUM ' if vacuum else ''}ANALYZE {tables}")


def trust_report(run: BenchRun) -> None:
    title = f"Trust report for {latest_complete_year()}: {run.school.name} and {TRUST_SCHOOLS - 1} copies of it"
    if connection.vendor != "postgresql":
        print("    skipped: the trust's schools are copied on PostgreSQL only (DATABASE_URL is unset)")
        run.report.sections.append(Section(title, ["Not measured on SQLite: the schools are copied on PostgreSQL only."]))
        return
    missing = _missing("reports.trust_services:trust_report_request_build", "reports.trust_services:trust_report_build")
    if missing:
        print(f"    skipped: the trust report has no {', '.join(missing)} yet")
        run.report.sections.append(Section(title, [f"Not measured: {', '.join(missing)} is missing."]))
        return
    from bench.trust_clone import clone_plan

    school = School.objects.select_related("trust").get(pk=run.school.pk)
    if school.trust is None:
        run.report.sections.append(Section(title, [f"PROBLEM: {school.name} is in no trust."], ok=False))
        return
    trust_user = User.objects.get(email=login(Role.TRUST))
    year = latest_complete_year()
    # Signed in before the transaction, so that the session outlives the rollback.
    run.client_for(login(Role.TRUST))
    try:
        _trust_report_of_copies(run, school, trust_user, year, title)
    finally:
        # The rolled-back copies leave millions of dead rows in the tables they went into. A live server's
        # autovacuum would clear them; they are cleared now, so that the benches after this one (the lists beside
        # the admin's) do not read through them.
        _analyze(clone_plan(skip=NOT_COPIED_FOR_TRUST), vacuum=True)


def _trust_report_of_copies(run: BenchRun, school, trust_user, year, title) -> None:
    from bench.trust_clone import clone_plan, schools_clone

    lines, ok = [], True
    with tempfile.TemporaryDirectory() as media, override_settings(MEDIA_ROOT=media), transaction.atomic():
        started = time.perf_counter()
        plan = clone_plan(skip=NOT_COPIED_FOR_TRUST)
        _, rows = schools_clone(school, range(1, 2), plan=plan)
        _analyze(plan)
        copying = time.perf_counter() - started
        two = TrustBuild(school.trust, year, trust_user).run()
        started = time.perf_counter()
        _, more_rows = schools_clone(school, range(2, TRUST_SCHOOLS), plan=plan)
        _analyze(plan)
        copying += time.perf_counter() - started
        rows += more_rows
        schools = School.objects.filter(trust=school.trust).count()
        lines.append(f"{schools - 1} copies made in {copying:.0f} s ({rows:,} rows, then ANALYZE); {plan.describe()}.")
        twenty = TrustBuild(school.trust, year, trust_user).run()
        lines += [two.describe(2), twenty.describe(schools)]
        ok = two.ok and twenty.ok
        if not ok:
            transaction.set_rollback(True)
            run.report.sections.append(Section(title, lines, ok=False))
            return

        added = schools - 2
        # By shape, values taken out: a query may name a school's own rows (its consent types, say) in its SQL.
        growth = Counter()
        for sign, queries in ((1, twenty.queries), (-1, two.queries)):
            for sql, n in queries.shapes.items():
                growth[query_shape(sql)] += sign * n
        uneven = {shape: n for shape, n in growth.items() if n % added}
        total_growth = twenty.queries.total - two.queries.total
        if uneven or total_growth < 0:
            lines += [
                f"PROBLEM: queries grew unevenly from 2 to {schools} schools ({two.queries.total} → {twenty.queries.total}):"
            ]
            lines += [f"  {n:+} × {_shorten(shape)}" for shape, n in uneven.items()]
            ok = False
        else:
            per_school = total_growth // added
            lines.append(
                f"Queries: {two.queries.total} with 2 schools, {twenty.queries.total} with {schools}: {per_school} a school, "
                f"each query shape growing by a whole number a school"
            )
            run.report.facts.append(
                ("Trust report", f"{schools} schools: built in {twenty.seconds:.0f} s, {per_school} queries a school")
            )
        if twenty.memory.since_start:
            lines.append("* This system cannot reset the peak: it is the peak since the bench started.")
        if twenty.ok:
            url = _url("reports:trust_report_detail", report_id=twenty.report.pk)
            if url:
                run.page(f"trust report ({schools} schools)", url, as_user=login(Role.TRUST))
            pdf_url = _url("reports:trust_report_pdf", report_id=twenty.report.pk)
            if pdf_url:
                time_download(run, f"trust report PDF ({schools} schools)", pdf_url, as_user=login(Role.TRUST))
        # The copies go: the benches after this one measure the large school alone.
        transaction.set_rollback(True)
    lines.append("The copies were rolled back afterwards.")
    run.report.sections.append(Section(title, lines, ok=ok))


BENCHES = [school_report, trust_report]
