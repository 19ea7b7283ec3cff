"""
The app's incident and pupil lists beside Django's admin changelists of the same models, on the same
data in the same run: each list and its changelist are timed one after the other, once the other
modules have added their incidents and imported pupils.

The admin is the superuser's (with the second factor passed, as `BenchRun.client_for` does for every
privileged user) and lists every school's rows with no school scope; the app's lists are the DSL's
incidents (those the DSL may see) and the teacher's pupils. See `bench.admin_urls` for the changelists.
"""

from dataclasses import dataclass

from django.test.utils import override_settings
from django.urls import reverse

from bench.admin_urls import APP_REGISTERS
from bench.core import login
from bench.measure import BenchRun, PageTiming, Section, table_rows, time_page
from esafety.listing import PAGE_SIZE
from esafety.models import Pupil
from esafety.roles import Role
from incidents.models import Incident

ADMIN_URLCONF = "bench.admin_urls"
SUPERUSER = login("admin")  # the demo's set-up administrator


@dataclass
class Listed:
    timing: PageTiming
    rows: int  # rows on the first page


def _listed(run: BenchRun, name: str, url: str, email: str) -> Listed:
    client = run.client_for(email)
    timing = time_page(client, url, runs=run.options.runs, warmup=run.options.warmup, name=name, user=email)
    response = client.get(url)
    return Listed(timing, table_rows(response.content.decode()) if response.status_code == 200 else 0)


def lists_beside_the_admin(run: BenchRun) -> None:
    pairs = [
        ("incidents: list (dsl)", reverse("incidents:incident_list"), login(Role.DSL), Incident),
        ("pupil list (teacher)", reverse("pupil_list"), login(Role.STAFF), Pupil),
    ]
    results = []
    for name, url, email, model in pairs:
        page = _listed(run, name, url, email)
        with override_settings(ROOT_URLCONF=ADMIN_URLCONF):
            admin_url = reverse(f"admin:{model._meta.app_label}_{model._meta.model_name}_changelist")
            admin = _listed(run, admin_url, admin_url, SUPERUSER)
        results.append((page, admin))

    width = max(len(page.timing.name) for page, _ in results)
    lines = [
        f"{'page':{width}}  {'rows':>4}  {'median ms':>9}  {'p95 ms':>7}  {'queries':>7}   "
        f"{'admin changelist':27}  {'rows':>4}  {'median ms':>9}  {'p95 ms':>7}  {'queries':>7}   {'ratio':>5}  {'per row':>7}"
    ]
    problems = []
    for page, admin in results:
        p, a = page.timing, admin.timing
        ratio = p.median_ms / a.median_ms
        per_row = (p.median_ms / page.rows) / (a.median_ms / admin.rows) if page.rows and admin.rows else float("nan")
        lines.append(
            f"{p.name:{width}}  {page.rows:4}  {p.median_ms:9.1f}  {p.p95_ms:7.1f}  {p.queries:7}   "
            f"{a.url:27}  {admin.rows:4}  {a.median_ms:9.1f}  {a.p95_ms:7.1f}  {a.queries:7}   {ratio:5.2f}  {per_row:7.2f}"
        )
        problems += [f"PROBLEM: {t.url} answered {t.status} (expected 200)" for t in (p, a) if not t.ok]
    registered = [model._meta.verbose_name for model, yes in APP_REGISTERS.items() if yes]
    lines += [
        "",
        "ratio: the page's median over the changelist's; below 1 the app's page is faster. per row: the same, per row shown.",
        f"Rows a page: the app's lists show {PAGE_SIZE} (esafety.listing.PAGE_SIZE); Django's changelist shows 100 (list_per_page).",
        "The changelists show the list's own columns of the model, with list_select_related; the incident changelist",
        "has no 'people involved' column. The admin sees every school's rows, with no school scope.",
        (
            f"The app's admin registers: {', '.join(registered)}; the others are registered by bench/admin_urls.py."
            if registered
            else "The app's admin registers neither model: bench/admin_urls.py serves them at the same /admin/ addresses."
        ),
        *problems,
    ]
    title = "The app's lists beside Django's admin changelists (same data, same run)"
    run.report.sections.append(Section(title, lines, ok=not problems))


BENCHES = [lists_beside_the_admin]
