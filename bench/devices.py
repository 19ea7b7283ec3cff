"""
Devices' measurements on the large school: a form's phone register for the day (opening it, and saving it as the
page renders it) and the list of phones not collected, first with the demo's fortnight of register and then with
five years of it (about 900,000 entries, written without history); the query counts must not change between the
two.

The register is saved the way a browser would: the page's form is read from its HTML (every input, ticked box
and selected option as rendered) and sent back with the button that saves it, so that the bench follows the page
whatever its fields are called.
"""

import random
import statistics
import time
from collections import Counter
from contextlib import nullcontext
from dataclasses import dataclass, field
from datetime import date, timedelta
from html.parser import HTMLParser
from urllib.parse import urlsplit

from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from bench.core import _shorten, login
from bench.measure import BenchRun, Section, percentile, query_shape
from devices.demo import demo_people, phone_register_add_days
from devices.models import DeviceSettings, PhoneRecord
from esafety.calendar import academic_year_start
from esafety.demo import DemoLogin
from esafety.models import FormGroup
from esafety.roles import Role
from esafety.terms.selectors import school_calendar

YEARS = 5


# --- Reading a form from the page ---------------------------------------------------------------------------------


@dataclass
class PageForm:
    """A <form method="post"> as a browser would send it: its action, its fields' values and its submit buttons."""

    action: str
    fields: list[tuple[str, str]] = field(default_factory=list)
    # (name, value, label) of each submit button; a button without a name sends nothing of itself.
    buttons: list[tuple[str, str, str]] = field(default_factory=list)

    def data(self, button: tuple[str, str, str] | None) -> dict[str, list[str]]:
        sent: dict[str, list[str]] = {}
        for name, value in self.fields:
            sent.setdefault(name, []).append(value)
        if button and button[0]:
            sent.setdefault(button[0], []).append(button[1])
        return sent

    def save_button(self) -> tuple[str, str, str] | None:
        """The button that saves: the first whose words say so, else the first."""
        for button in self.buttons:
            if "save" in f"{button[1]} {button[2]}".lower():
                return button
        return self.buttons[0] if self.buttons else None


class _Forms(HTMLParser):
    """The POST forms of a page, with what a browser would send from each."""

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.forms: list[PageForm] = []
        self._form: PageForm | None = None
        self._select: dict | None = None
        self._option: dict | None = None
        self._textarea: dict | None = None
        self._button: dict | None = None

    def handle_starttag(self, tag, attrs):
        a = {name: (value if value is not None else "") for name, value in attrs}
        if tag == "form":
            is_post = a.get("method", "get").lower() == "post"
            self._form = PageForm(a.get("action", "")) if is_post else None
            if self._form:
                self.forms.append(self._form)
            return
        if self._form is None or "disabled" in a:
            return
        name = a.get("name", "")
        if tag == "input":
            kind = a.get("type", "text").lower()
            if kind in ("submit", "image"):
                self._form.buttons.append((name, a.get("value", ""), a.get("value", "")))
            elif kind in ("checkbox", "radio"):
                if "checked" in a and name:
                    self._form.fields.append((name, a.get("value", "on")))
            elif kind not in ("button", "reset", "file") and name:
                self._form.fields.append((name, a.get("value", "")))
        elif tag == "button" and a.get("type", "submit").lower() == "submit":
            self._button = {"name": name, "value": a.get("value", ""), "label": ""}
        elif tag == "select" and name:
            self._select = {"name": name, "multiple": "multiple" in a, "options": []}
        elif tag == "option" and self._select is not None:
            self._end_option()
            self._option = {"value": a.get("value"), "selected": "selected" in a, "text": ""}
        elif tag == "textarea" and name:
            self._textarea = {"name": name, "text": ""}

    def handle_data(self, data):
        for open_element in (self._option, self._textarea, self._button):
            if open_element is not None:
                open_element["text" if "text" in open_element else "label"] += data

    def _end_option(self):
        if self._option is not None and self._select is not None:
            option = self._option
            value = option["value"] if option["value"] is not None else option["text"].strip()
            self._select["options"].append((value, option["selected"]))
        self._option = None

    def handle_endtag(self, tag):
        if tag == "option":
            self._end_option()
        elif tag == "select" and self._select is not None:
            self._end_option()
            options = self._select["options"]
            chosen = [value for value, selected in options if selected]
            if not chosen and options and not self._select["multiple"]:
                chosen = [options[0][0]]  # a browser sends the first option of a list with none selected
            if self._form is not None:
                self._form.fields += [(self._select["name"], value) for value in chosen]
            self._select = None
        elif tag == "textarea" and self._textarea is not None:
            if self._form is not None:
                # A browser drops the one newline that may follow the opening tag.
                self._form.fields.append((self._textarea["name"], self._textarea["text"].removeprefix("\n")))
            self._textarea = None
        elif tag == "button" and self._button is not None:
            if self._form is not None:
                self._form.buttons.append((self._button["name"], self._button["value"], self._button["label"].strip()))
            self._button = None
        elif tag == "form":
            self._form = None


def register_form(html: str) -> PageForm | None:
    """The page's form that saves: of its POST forms with a button, the one with the most fields."""
    parser = _Forms()
    parser.feed(html)
    forms = [form for form in parser.forms if form.buttons]
    return max(forms, key=lambda form: len(form.fields), default=None)


# --- The measurements ------------------------------------------------------------------------------------------


def _register_day(school) -> date:
    """Today if it is a school day, else the latest school day before it."""
    today = timezone.localdate()
    calendar = school_calendar(school, academic_year_start(today) - 1, academic_year_start(today))
    day = today
    while not calendar.is_school_day(day):
        day -= timedelta(days=1)
    return day


def _register_form_and_tutor(school, people) -> tuple[FormGroup | None, str]:
    """The teacher's own form if it is on the register (7A), else the register's first form; and who keeps it."""
    settings = DeviceSettings.objects.get(school=school)
    forms = list(
        FormGroup.objects.filter(school=school, is_active=True, year_group__in=settings.register_year_groups.all())
        .select_related("tutor__user")
        .order_by("year_group__ncy", "name")
    )
    teacher_staff = people.staff(people.teacher) if people else None
    own = next((form for form in forms if teacher_staff and form.tutor_id == teacher_staff.pk), None)
    form = own or (forms[0] if forms else None)
    tutor = form.tutor.user.email if form and form.tutor and form.tutor.user else login(Role.STAFF)
    return form, tutor


def _queries(run: BenchRun, url: str, email: str) -> tuple[int, Counter]:
    """The page's status and the shapes of its queries, on a request after a warm-up one."""
    client = run.client_for(email)
    client.get(url)
    with CaptureQueriesContext(connection) as captured:
        status = client.get(url).status_code
    return status, Counter(query_shape(q["sql"]) for q in captured.captured_queries)


@dataclass
class SaveResult:
    status: int
    queries: Counter
    button: str
    fields: int
    problem: str = ""


def _save_once(run: BenchRun, url: str, email: str, *, capture: bool = False) -> tuple[SaveResult, float]:
    """Open the register, then send its form back as rendered: the answer, and the POST's own time in ms."""
    client = run.client_for(email)
    page = client.get(url)
    form = register_form(page.content.decode()) if page.status_code == 200 else None
    if form is None:
        return SaveResult(page.status_code, Counter(), "", 0, f"the register answered {page.status_code} with no form to save"), 0
    button = form.save_button()
    path = urlsplit(url)
    action = form.action or url
    if action.startswith("?"):
        action = path.path + action
    data = form.data(button)
    with CaptureQueriesContext(connection) if capture else nullcontext() as captured:
        started = time.perf_counter()
        response = client.post(action, data)
        seconds = time.perf_counter() - started
    queries = Counter(query_shape(q["sql"]) for q in captured.captured_queries) if capture else Counter()
    label = (button[2] or button[1]) if button else "(no button)"
    problem = "" if response.status_code == 302 else f"saving answered {response.status_code}, not a redirect"
    return SaveResult(response.status_code, queries, label, len(form.fields), problem), seconds * 1000


def _vacuum() -> None:
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute(f"VACUUM ANALYZE {connection.ops.quote_name(PhoneRecord._meta.db_table)}")


def phone_register(run: BenchRun) -> None:
    school = run.school
    people = demo_people(school, [DemoLogin(role, login(role), "") for role in Role if role != Role.TRUST])
    title = f"Devices: {YEARS} years of the phone register in {school.name}"
    form, tutor = _register_form_and_tutor(school, people)
    if people is None or form is None:
        problem = "the demo school has no devices logins" if people is None else "no form is on the phone register"
        run.report.sections.append(Section(title, [f"PROBLEM: {problem}."], ok=False))
        return
    day = _register_day(school)
    office = login(Role.OFFICE)
    register = f"{reverse('devices:phone_register', kwargs={'form_id': form.pk})}?day={day.isoformat()}"
    not_collected = reverse("devices:phone_not_collected")
    pages = [
        (f"devices: phone register ({form.name}, {day:%d/%m})", register, tutor),
        ("devices: phones not collected (office)", not_collected, office),
    ]
    records = PhoneRecord.objects.filter(school=school)

    # With the demo's fortnight of register: the baseline query counts. The first save makes the form's entries
    # for the day if the demo had not; the second is counted.
    demo_count = records.count()
    baseline = {name: _queries(run, url, email) for name, url, email in pages}
    _save_once(run, register, tutor)
    saved_before, _ = _save_once(run, register, tutor, capture=True)

    # Five years of register, every school day.
    today = timezone.localdate()
    first = date(academic_year_start(today) - YEARS + 1, 9, 1)
    started = time.perf_counter()
    added = phone_register_add_days(school, people, first=first, last=today, rng=random.Random(2031), from_admission=False)
    seconds = time.perf_counter() - started
    started = time.perf_counter()
    _vacuum()
    vacuum_seconds = time.perf_counter() - started
    total = records.count()
    lines = [
        f"{added:,} register entries added in {seconds:.1f} s (no history; then VACUUM ANALYZE of the table in "
        f"{vacuum_seconds:.1f} s): {total:,} in all from {first:%d/%m/%Y}, "
        f"{records.filter(day=day, form=form).count()} for {form.name} on {day:%d/%m/%Y}, "
        f"{records.not_collected().count()} phones not collected."
    ]
    run.report.facts.append(("Phone register", f"{total:,} entries in {school.name} over {YEARS} years"))

    changed = []
    for name, url, email in pages:
        run.page(name, url, as_user=email)
        (status, before_shapes), (status_now, shapes) = baseline[name], _queries(run, url, email)
        if status_now != status or sum(shapes.values()) != sum(before_shapes.values()):
            changed.append(
                f"{name}: {sum(before_shapes.values())} queries with {demo_count:,} entries, {sum(shapes.values())} "
                f"with {total:,} ({url}; answered {status}, then {status_now})"
            )
            changed += [f"  + {_shorten(shape)}" for shape in (shapes - before_shapes).elements()]
            changed += [f"  - {_shorten(shape)}" for shape in (before_shapes - shapes).elements()]

    # Saving the register: each time opened first (not timed), then sent back as the page rendered it.
    for _ in range(run.options.warmup):
        _save_once(run, register, tutor)
    saved, _ = _save_once(run, register, tutor, capture=True)
    samples = []
    problems = {saved.problem, saved_before.problem} - {""}
    for _ in range(run.options.runs):
        result, ms = _save_once(run, register, tutor)
        samples.append(ms)
        if result.problem:
            problems.add(result.problem)
    before_total, total_now = sum(saved_before.queries.values()), sum(saved.queries.values())
    if samples:
        lines.append(
            f"saving {form.name}'s register (POST of the form as rendered, {saved.fields} fields, button "
            f"“{saved.button}”): median {statistics.median(samples):.1f} ms, p95 {percentile(samples, 95):.1f} ms "
            f"over {len(samples)} saves, {total_now} queries ({before_total} with the demo's register); answered "
            f"{saved.status}"
        )
    if total_now != before_total:
        changed.append(f"saving the register: {before_total} queries with {demo_count:,} entries, {total_now} with {total:,}")
        changed += [f"  + {_shorten(shape)}" for shape in (saved.queries - saved_before.queries).elements()]
        changed += [f"  - {_shorten(shape)}" for shape in (saved_before.queries - saved.queries).elements()]
    if changed:
        lines += ["PROBLEM: query counts that grew with the register:", *changed]
    else:
        lines.append(
            f"The register, saving it and the not-collected list run the same number of queries with {demo_count:,} "
            f"entries (the demo's) as with {total:,}."
        )
    lines += [f"PROBLEM: {problem}" for problem in sorted(problems)]
    run.report.sections.append(Section(title, lines, ok=not changed and not problems))


BENCHES = [phone_register]
