"""
The shared core's measurements: the home page of every role, the pupil,
form and staff pages, and an MIS import of a generated pupils file, first
as new pupils and then again unchanged.
"""

import csv
import io
import random
import time
from dataclasses import dataclass, field
from datetime import date, timedelta

from django.urls import reverse
from django.utils import timezone

from bench.measure import BenchRun, PeakMemory, QueryCounter, Section
from esafety.calendar import academic_year_start
from esafety.demo import FIRST_NAMES, LARGE, LAST_NAMES
from esafety.mis_import.kinds import PupilsFile
from esafety.mis_import.services import import_confirm, import_start
from esafety.models import FormGroup, ImportJob, Pupil, StaffMember, User, YearGroup
from esafety.roles import Role

DOMAIN = LARGE.domain
# A statement run this often in one import phase is listed under it: it runs once per row (or so).
PER_ROW_THRESHOLD = 100


def login(role: str) -> str:
    return f"{role}@{DOMAIN}"


def home_pages(run: BenchRun) -> None:
    for role in Role:
        run.page(f"home ({role})", reverse("home"), as_user=login(role))


def people_pages(run: BenchRun) -> None:
    school = run.school
    teacher, dsl = login(Role.STAFF), login(Role.DSL)
    year9 = YearGroup.objects.get(school=school, ncy=9)
    # A pupil on roll with two parents: the page lists both and the history.
    pupil = (
        Pupil.objects.for_school(school)
        .current()
        .filter(contact_links__priority=2)
        .order_by("last_name", "first_name", "mis_id")
        .first()
    )
    form = FormGroup.objects.for_school(school).get(name="9C")
    member = StaffMember.objects.for_school(school).filter(line_manager__isnull=False).order_by("mis_id").first()

    pupils = reverse("pupil_list")
    run.page("pupil list", pupils, as_user=teacher)
    run.page("pupil list, search 'smith'", f"{pupils}?q=smith", as_user=teacher)
    run.page("pupil list, Year 9", f"{pupils}?year_group={year9.pk}", as_user=teacher)
    run.page("pupil list, with leavers", f"{pupils}?leavers=on&sort=-year", as_user=teacher)
    run.page("pupil page (dsl)", reverse("pupil_detail", args=[pupil.pk]), as_user=dsl)
    run.page("forms list", reverse("form_list"), as_user=teacher)
    run.page("form page (9C)", reverse("form_detail", args=[form.pk]), as_user=teacher)
    run.page("staff list", reverse("staff_list"), as_user=teacher)
    run.page("staff member page", reverse("staff_detail", args=[member.pk]), as_user=teacher)


# --- MIS import ---------------------------------------------------------------


def pupils_csv(rows: int, *, year_start: int, seed: int = 2026) -> str:
    """
    A pupils export as SIMS writes it: Years 7 to 13, forms like 7A, dates as dd/mm/yyyy.

    Admission numbers start at 700001, clear of the demo school's, so every
    row is a new pupil the first time. One pupil in a hundred has a leaving
    date at the end of this school year.
    """
    rng = random.Random(seed)
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow([column.header for column in PupilsFile.columns])
    for index in range(rows):
        ncy = 7 + index % 7
        first = rng.choice(FIRST_NAMES)
        born = date(year_start - ncy - 5, 9, 1) + timedelta(days=rng.randrange(365))
        admitted = date(year_start - rng.randint(0, ncy - 7), 9, 3)
        leaving = f"{date(year_start + 1, 7, 20):%d/%m/%Y}" if rng.random() < 0.01 else ""
        writer.writerow(
            [
                f"{700001 + index}",
                f"B{100000000000 + index}",
                rng.choice(LAST_NAMES),
                first,
                first[:3] if rng.random() < 0.05 else "",
                f"{born:%d/%m/%Y}",
                str(ncy),
                f"{ncy}{'ABCDEFGH'[rng.randrange(8)]}",
                f"{admitted:%d/%m/%Y}",
                leaving,
            ]
        )
    return out.getvalue()


@dataclass
class Phase:
    name: str  # check or apply
    seconds: float
    queries: QueryCounter
    memory: PeakMemory
    error: Exception | None = None


def _measure(name: str, action) -> tuple[object, Phase]:
    """Run `action`, timing it and counting its queries; an exception is kept for the report, not raised."""
    result, error = None, None
    with PeakMemory() as memory, QueryCounter() as queries:
        started = time.perf_counter()
        try:
            result = action()
        except Exception as exc:  # noqa: BLE001 - reported with the figures; the bench goes on
            error = exc
        seconds = time.perf_counter() - started
    return result, Phase(name, seconds, queries, memory, error)


@dataclass
class ImportRound:
    label: str
    expect: str  # what every row should be: create or unchanged
    phases: list[Phase] = field(default_factory=list)
    preview: dict = field(default_factory=dict)
    result: dict = field(default_factory=dict)
    added: int = 0  # pupils in the school after the round, less before
    problems: list[str] = field(default_factory=list)


def _import_round(label: str, *, school, office: User, text: str, rows: int, expect: str) -> ImportRound:
    """
    Upload the file (import_start runs the check, in-process) and confirm it
    (import_confirm runs the import), as the office would; then compare what
    the job reports, and what is in the database, with `expect` for every row.
    """
    round_ = ImportRound(label, expect)
    before = Pupil.objects.for_school(school).count()
    job, check = _measure(
        "check",
        lambda: import_start(school=school, kind=ImportJob.Kind.PUPILS, file_name=f"pupils-{rows}.csv", text=text, actor=office),
    )
    round_.phases.append(check)
    job = job or ImportJob.objects.for_school(school).order_by("-created_at").first()
    job.refresh_from_db()
    round_.preview = job.preview
    if check.error or job.status != ImportJob.Status.READY or job.error_count:
        round_.problems.append(
            f"after the check the job is {job.status} with {job.error_count} rows in error: {job.row_errors[:3]}"
        )
    else:
        if job.preview.get(expect) != rows:
            round_.problems.append(f"the preview should show all {rows} rows as {expect}: {job.preview}")
        _, apply = _measure(
            "apply", lambda: import_confirm(job=job, accept=ImportJob.Accept.ALL, mark_missing_as_left=False, actor=office)
        )
        round_.phases.append(apply)
        job.refresh_from_db()
        round_.result = job.result
        if job.status != ImportJob.Status.DONE:
            round_.problems.append(f"after the import the job is {job.status}: {job.failure}")
        elif job.result.get(expect) != rows:
            round_.problems.append(f"the import should report all {rows} rows as {expect}: {job.result}")
    for phase in round_.phases:
        if phase.error:
            round_.problems.append(f"the {phase.name} raised {type(phase.error).__name__}: {phase.error}".strip())
    round_.added = Pupil.objects.for_school(school).count() - before
    if round_.added != (rows if expect == "create" else 0):
        round_.problems.append(f"{round_.added} pupils were added to the school")
    return round_


def mis_import(run: BenchRun) -> None:
    rows = run.options.import_rows
    school = run.school
    office = User.objects.get(email=login(Role.OFFICE))
    text = pupils_csv(rows, year_start=academic_year_start(timezone.localdate()))
    rounds = [
        _import_round("first import (new)", school=school, office=office, text=text, rows=rows, expect="create"),
        _import_round("same file again", school=school, office=office, text=text, rows=rows, expect="unchanged"),
    ]

    lines = [f"{'':19} {'phase':5} {'time s':>7} {'rows/s':>7} {'queries':>8} {'q/row':>6} {'peak RSS MB':>11}  outcome"]
    frequent = []
    for r in rounds:
        for phase in r.phases:
            if phase.error:
                outcome = f"raised {type(phase.error).__name__}"
            elif phase.name == "check":
                outcome = ", ".join(f"{r.preview.get(k, 0)} {word}" for k, word in _PREVIEW_WORDS)
            else:
                outcome = ", ".join(f"{r.result.get(k, 0)} {word}" for k, word in _RESULT_WORDS)
            peak = f"{phase.memory.peak_mb:.0f} (+{phase.memory.peak_mb - phase.memory.start_mb:.0f})"
            peak += "*" if phase.memory.since_start else ""
            lines.append(
                f"{r.label:19} {phase.name:5} {phase.seconds:7.2f} {rows / phase.seconds:7,.0f} {phase.queries.total:8,} "
                f"{phase.queries.total / rows:6.2f} {peak:>11}  {outcome}"
            )
            for sql, times in phase.queries.shapes.most_common():
                if times >= PER_ROW_THRESHOLD:
                    frequent.append(f"  {r.label}, {phase.name}: {times:,} × {_shorten(sql)}")
        lines.append(f"{'':19} pupils added to the school: {r.added:,}")
        for problem in r.problems:
            lines.append(f"  PROBLEM ({r.label}): {problem}")
    lines.append("")
    lines.append(
        "check = import_start (upload and the check task); apply = import_confirm (the import task and its notification)."
    )
    lines.append("Peak RSS: the whole process's resident memory during the phase (+ its growth over the start of the phase).")
    if any(p.memory.since_start for r in rounds for p in r.phases):
        lines.append("* This system cannot reset the peak: it is the peak since the bench started.")
    if frequent:
        lines.append(f"Statements run {PER_ROW_THRESHOLD} times or more in one phase:")
        lines.extend(frequent)
    title = f"MIS import: a {rows:,}-row pupils CSV into {school.name}, tasks run in-process"
    run.report.sections.append(Section(title, lines, ok=not any(r.problems for r in rounds)))
    on_roll = Pupil.objects.for_school(school).current().count()
    run.report.facts.append(("After the import", f"{on_roll:,} pupils on roll"))


_PREVIEW_WORDS = (("create", "new"), ("update", "changed"), ("unchanged", "unchanged"))
_RESULT_WORDS = (("create", "added"), ("update", "updated"), ("unchanged", "unchanged"))


def _shorten(sql: str, width: int = 150) -> str:
    sql = " ".join(sql.split())
    return sql if len(sql) <= width else sql[: width - 1] + "…"


def query_counts_with_more_pupils(run: BenchRun) -> None:
    """The pages again, once each, with the imported pupils: a page whose count grew has an N+1."""
    changed = run.recount_pages()
    if not changed:
        lines = ["Every page runs the same number of queries as before the import."]
    else:
        lines = [f"{t.name}: {t.queries} queries before, {now} now ({t.url})" for t, now in changed]
    run.report.sections.append(Section("Query counts after the import added pupils", lines, ok=not changed))


def repeated_queries(run: BenchRun) -> None:
    """Any page that runs the same query shape several times in one request (a likely N+1)."""
    lines = []
    for timing in run.report.pages:
        for times, shape in timing.repeated:
            lines.append(f"{timing.name}: {times} × {_shorten(shape)}")
    run.report.sections.append(Section("Queries repeated within one request", lines or ["None."], ok=not lines))


BENCHES = [home_pages, people_pages, repeated_queries, mis_import, query_counts_with_more_pupils]
