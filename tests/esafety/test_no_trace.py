"""
A record outside a user's reach leaves no trace anywhere they can look.

One generic test per restricted audience (safeguarding, staff, head). It works
in two worlds that differ only by the restricted incidents of that audience:

1. The background, in both worlds: the cast, plus people made for the test
   whose surnames are markers (a pupil, a member of staff), and an ordinary
   incident about the same pupil that outsiders may see (so that a "repeat"
   banner or a proposal that counts restricted incidents has somewhere to show).
2. A savepoint. Then the world *with*: restricted incidents whose reference,
   id, description, outside witness, tasks, notes, referral, evidence and
   triage reason all carry markers, worked by their audience through the real
   views (opened, chronology, PDF, CSV export searched by name, assigned, tasks
   added, re-triaged, ...), and the daily reminders run with a travelled clock.
   For safeguarding, also an ordinary incident with tasks for the teacher and
   IT that the DSL then re-triages into child protection: the teacher and IT
   become outsiders of a record they once saw.
3. Every user outside the audience (`incidents.selectors.may_see`), of both
   schools, and an anonymous visitor, GETs every URL of the URLconf (the
   access matrix's row gives each its arguments and query), again with each
   planted record in place of the cast's record of the same kind, and runs
   every search box (text box of a GET form, or htmx search) of every page
   they reach for a marked name and a reference.
4. Back to the savepoint: the world *without*. The same requests again
   (refusals, 403/404/405, excepted: they are checked for markers alone).

A response (HTML, fragment, CSV, PDF text, redirect) leaks when a marker
occurs more often in the world with than without (a marked pupil's name is
fine on the pupil list; one more mention of it is not), or when it differs
at all: a count, a banner or a history entry needs no marker to be a trace.
Notifications and e-mails of each outsider are compared the same way. A new
URL, a new panel or a new kind of summary is walked without anyone adding to
this file (a URL needs only its access-matrix row); a URL that names a record
is walked for the planted records when its row names the cast's record of the
same kind (`Planted.substitutes`).

The test prints, and records as the `no_trace_checks` property, how many
URL × user × marker checks it made; on failure it lists each marker seen (by
whom, where, in what words) and each other difference from the world without.
"""

import difflib
import html
import io
import os
import re
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import timedelta
from html.parser import HTMLParser
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

import pytest
import time_machine
from django.core import mail
from django.db import transaction
from django.test import Client
from django.urls import reverse
from django.utils import timezone
from pypdf import PdfReader

from esafety.access import school_access_for
from esafety.models import AcademicYear, Membership, Notification, Pupil, StaffMember
from esafety.outbox import outbox_drain
from esafety.roles import Capability, Role
from incidents import selectors, services
from incidents.models import Incident, IncidentAction, IncidentCategory, IncidentChecklistStep, IncidentPerson, IncidentSettings
from incidents.tasks import overdue_actions_remind_all
from tests import factories as f
from tests.esafety.test_access_matrix import ALL_URLS, APP_URLS, MATRIX
from tests.incidents.incident_factory import actions_data

pytestmark = pytest.mark.django_db

Part = IncidentPerson.Part
# Far above the cast's own incidents (INC-00001...), so that a reference is a marker of its own.
FIRST_NUMBER = 86420


@dataclass(frozen=True)
class Marker:
    text: str
    what: str  # e.g. "description of INC-86421"


@dataclass
class Planted:
    """What one audience's test adds in the world with, and what betrays it."""

    incidents: list = field(default_factory=list)
    markers: list = field(default_factory=list)
    # Records in URLs: the cast's record's id → the planted records of the same kind.
    substitutes: dict = field(default_factory=dict)
    search_terms: list = field(default_factory=list)
    workers: list = field(default_factory=list)  # who worked the cases, signed in


# --- The background: in both worlds -----------------------------------------------------


def _category(school, starts_with: str) -> IncidentCategory:
    return IncidentCategory.objects.for_school(school).get(name__startswith=starts_with)


@dataclass
class Background:
    t0: object
    pupil: object  # the marked pupil: alleged in the restricted incident and in the companion
    staff: object  # the marked member of staff (allegations about staff), or None
    companion: Incident  # an ordinary incident about the same pupil, later than the restricted one
    reporter: object  # logs the incident when no one in the audience may (the chair): keeps a receipt


def _background(cast, code: str, t0) -> Background:
    a = cast.a
    selectors.settings_for(a.school)
    IncidentSettings.objects.filter(school=a.school).update(last_number=FIRST_NUMBER)
    pupil = f.make_pupil(a.school, "Zed", f"Qx{code}pupil", form=a.form, mis_id=f"QX{code.upper()}1")
    staff = None
    if code == "st":
        staff = f.make_staff(a.school, "Sam", f"Qx{code}staff", mis_id=f"QX{code.upper()}S", line_manager=a.staff_member)
    if code == "sg":
        # The pupil of the ordinary incident that the DSL will re-triage into child protection.
        f.make_pupil(a.school, "Yan", "Qxrtpupil", form=a.form, mis_id="QXRT1")
    reporter = f.make_user("reporter@a.example", "Reporter A")
    Membership.objects.create(user=reporter, school=a.school, role=Role.STAFF)
    companion = services.incident_log(
        school=a.school,
        actor=a.users["teacher"],
        occurred_at=t0 - timedelta(days=1),
        location=Incident.Location.ONLINE,
        category=_category(a.school, "Cyberbullying"),
        description="Unkind messages in a group chat.",
        people=[services.Involved(Part.ALLEGED, pupil=pupil)],
    )
    return Background(t0=t0, pupil=pupil, staff=staff, companion=companion, reporter=reporter)


def _run_daily_jobs(day):
    """The reminders of `day` (a travelled clock), and every e-mail still in the outbox."""
    with time_machine.travel(day, tick=False):
        overdue_actions_remind_all.delay()
        outbox_drain()


# --- The world with: restricted incidents, worked by their audience --------------------------

AUDIENCES = {
    # code, the category it is logged in, the one it is re-triaged to, who logs it
    Incident.Audience.SAFEGUARDING: ("sg", "Sharing nudes", "Online sexual abuse", "dsl"),
    Incident.Audience.STAFF: ("st", "Staff online conduct", "Data protection breach", "head"),
    Incident.Audience.HEAD: ("hd", "Staff online conduct", "Data protection breach", "reporter"),
}


class Worker:
    """Someone working a case through the views, like a user."""

    def __init__(self, user, planted: Planted):
        self.user = user
        self.client = Client()
        self.client.force_login(user)
        planted.workers.append(self)

    def get(self, name, *args, query=""):
        response = self.client.get(reverse(name, args=args) + query)
        assert response.status_code == 200, f"{self.user} could not open {name}: {response.status_code}"
        return response

    def post(self, name, *args, **data):
        response = self.client.post(reverse(name, args=args), data)
        assert response.status_code == 302, f"{self.user} could not {name}: {response.status_code}\n{_text(response)[:3000]}"
        return response


def _work(incident, workers, owner, pupil, code: str, retriage_to, t0) -> None:
    """Everything an audience does with a case: each step a real request."""
    lead = workers[0]
    due = (t0 + timedelta(days=1)).date().isoformat()
    for worker in workers:
        worker.get("incidents:incident_detail", incident.pk)
        access = school_access_for(worker.user)
        if access.can(Capability.VIEW_PUPILS):
            worker.get("pupil_chronology", pupil.pk)
        if access.can(Capability.EXPORT_INCIDENTS):
            worker.get("incidents:incident_pdf", incident.pk)
            worker.get("incidents:incident_export", query=f"?q={pupil.last_name}")
            worker.get("incidents:incident_export", query=f"?q={incident.reference}")
    lead.post("incidents:incident_assign", incident.pk, assignee=owner.pk)
    lead.post("incidents:incident_actions_add", incident.pk, **actions_data(other=(f"Qx{code}task call home", owner, due)))
    # One of the matrix's proposals, as the page offers it.
    incident = Incident.objects.get(pk=incident.pk)
    proposals = selectors.proposed_actions(incident, lead.user)
    if proposals:
        lead.post("incidents:incident_actions_add", incident.pk, **actions_data([(proposals[0].action, owner, due)]))
    lead.post("incidents:incident_note", incident.pk, text=f"Qx{code}note spoke to the family")
    lead.post("incidents:incident_agency", incident.pk, agency="Police", agency_reference=f"Qx{code}agency", waiting="on")
    lead.post(
        "incidents:evidence_add",
        incident.pk,
        description=f"Qx{code}evidence screenshots",
        location="Locked drawer",
        held_by=str(lead.user),
        secured_at=timezone.localtime(t0 - timedelta(hours=1)).strftime("%Y-%m-%dT%H:%M"),
    )
    step = IncidentChecklistStep.objects.filter(incident=incident).first()
    if step is not None:
        lead.post("incidents:checklist_done", step.pk, note=f"Qx{code}step referral made")
    lead.post(
        "incidents:incident_triage",
        incident.pk,
        severity=Incident.Severity.IMMEDIATE,
        category=_category(incident.school, retriage_to).pk,
        matrix_row="",
        reason=f"Qx{code}reason worse than thought",
    )


def _plant(cast, audience, background: Background) -> Planted:
    code, category, retriage_to, logger = AUDIENCES[audience]
    a, t0 = cast.a, background.t0
    pupil = background.pupil
    people = [
        services.Involved(Part.ALLEGED, pupil=pupil),
        services.Involved(Part.WITNESS, outsider=f"Una Qx{code}outsider"),
    ]
    if audience == Incident.Audience.STAFF:
        people.append(services.Involved(Part.ALLEGED, staff=background.staff))
    if audience == Incident.Audience.HEAD:
        people.append(services.Involved(Part.ALLEGED, staff=StaffMember.objects.get(school=a.school, user=a.users["head"])))
    reporter = background.reporter if logger == "reporter" else a.users[logger]
    incident = services.incident_log(
        school=a.school,
        actor=reporter,
        occurred_at=t0 - timedelta(days=10),
        location=Incident.Location.ONLINE,
        category=_category(a.school, category),
        description=f"Qx{code}what happened, in the words of the pupil.",
        people=people,
        severity=Incident.Severity.HIGH,
    )
    assert incident.audience == audience
    planted = Planted(incidents=[incident])
    insiders = [u for _, u in cast.everyone() if selectors.may_see(u, incident)]
    workers = [Worker(u, planted) for u in insiders]
    _work(incident, workers, insiders[-1], pupil, code, retriage_to, t0)
    if audience == Incident.Audience.SAFEGUARDING:
        # The DSL flags the pupil: the flag and its note are the safeguarding team's alone.
        workers[0].post("pupil_flag", pupil.pk, additional_needs="on", additional_needs_note=f"Qx{code}flag known to social care")

    planted.markers += [
        Marker(incident.reference, f"reference of {incident.reference}"),
        Marker(str(incident.pk), f"id of {incident.reference}"),
        Marker(pupil.last_name, f"surname of the pupil alleged in {incident.reference}"),
    ]
    planted.markers += [
        Marker(f"Qx{code}{word}", f"{word} of {incident.reference}")
        for word in ("what", "outsider", "task", "note", "agency", "evidence", "step", "reason")
    ]
    if audience == Incident.Audience.SAFEGUARDING:
        planted.markers.append(Marker(f"Qx{code}flag", f"note of {pupil.last_name}'s additional-needs flag"))
        _plant_retriaged(cast, background, planted, workers[0])
    if background.staff is not None:
        planted.markers.append(
            Marker(background.staff.last_name, f"surname of the member of staff alleged in {incident.reference}")
        )
    # What a curious outsider would type: a name, a reference. (The description is found by the same search.)
    planted.search_terms = [pupil.last_name, incident.reference]
    if background.staff is not None:
        planted.search_terms.append(background.staff.last_name)

    planted.substitutes = {
        a.pupil.pk: [pupil],
        a.incident.pk: [*planted.incidents, background.companion],
        a.action.pk: list(IncidentAction.objects.filter(incident__in=planted.incidents)),
        a.step.pk: list(IncidentChecklistStep.objects.filter(incident__in=planted.incidents)[:1]),
    }
    if background.staff is not None:
        planted.substitutes[a.staff_member.pk] = [background.staff]
    return planted


def _plant_retriaged(cast, background: Background, planted: Planted, dsl: Worker) -> None:
    """An ordinary incident with tasks for the teacher and IT, re-triaged into child protection by the DSL."""
    a, t0 = cast.a, background.t0
    pupil = Pupil.objects.get(school=a.school, mis_id="QXRT1")
    incident = services.incident_log(
        school=a.school,
        actor=dsl.user,
        occurred_at=t0 - timedelta(days=2),
        location=Incident.Location.ONLINE,
        category=_category(a.school, "Cyberbullying"),
        description="Qxrtwhat nasty comments under a photo.",
        people=[services.Involved(Part.ALLEGED, pupil=pupil)],
    )
    assert incident.audience == Incident.Audience.GENERAL
    due = (t0 + timedelta(days=1)).date().isoformat()
    for role in ("teacher", "it"):
        dsl.post(
            "incidents:incident_actions_add",
            incident.pk,
            **actions_data(other=(f"Qxrt{role}task check the photo", a.users[role], due)),
        )
    # While it was ordinary, the teacher opened it: they had a task on it.
    Worker(a.users["teacher"], planted).get("incidents:incident_detail", incident.pk)
    dsl.get("incidents:incident_detail", incident.pk)
    dsl.post(
        "incidents:incident_triage",
        incident.pk,
        severity=Incident.Severity.HIGH,
        category=_category(a.school, "Sharing nudes").pk,
        matrix_row="",
        reason="Qxrtreason an image was shared",
    )
    incident.refresh_from_db()
    assert incident.audience == Incident.Audience.SAFEGUARDING
    assert not selectors.may_see(a.users["teacher"], incident)
    dsl.get("incidents:incident_detail", incident.pk)
    planted.incidents.append(incident)
    planted.markers += [
        Marker(incident.reference, f"reference of {incident.reference} (re-triaged)"),
        Marker(str(incident.pk), f"id of {incident.reference} (re-triaged)"),
        Marker(pupil.last_name, f"surname of the pupil alleged in {incident.reference} (re-triaged)"),
        Marker("Qxrtwhat", f"description of {incident.reference} (re-triaged)"),
        Marker("Qxrtteachertask", f"the teacher's task on {incident.reference} (re-triaged)"),
        Marker("Qxrtittask", f"IT's task on {incident.reference} (re-triaged)"),
        Marker("Qxrtreason", f"triage reason of {incident.reference} (re-triaged)"),
    ]


# --- The walk ------------------------------------------------------------------------------


def _text(response) -> str:
    """What a user can read in a response: its body (a PDF's text) and where a redirect sends them."""
    content = b"".join(response.streaming_content) if response.streaming else response.content
    if response.get("Content-Type", "").startswith("application/pdf"):
        body = "\n".join(page.extract_text() for page in PdfReader(io.BytesIO(content)).pages)
    else:
        body = content.decode("utf-8", errors="replace")
    head = [f"[{response.status_code}]"] + [f"{h}: {response[h]}" for h in ("Location", "Content-Disposition") if h in response]
    return "\n".join(head) + "\n" + body


# What is random by design, made afresh in each world: CSRF tokens, the secret (as text and as a QR code)
# of an authenticator app being set up, the codes of consent slips made when first printed.
_VOLATILE = [
    (re.compile(r'(name="csrfmiddlewaretoken" value=")[^"]+'), r"\1…"),
    (re.compile(r'("X-CSRFToken": ")[^"]+'), r"\1…"),
    (re.compile(r'(id="secret">)[^<]+'), r"\1…"),
    (re.compile(r"<svg\b.*?</svg>", re.DOTALL), "<svg>…</svg>"),
    (re.compile(r"\b[A-Z0-9]{4}-[A-Z0-9]{4}\b"), "XXXX-XXXX"),
]


def _normalised(text: str) -> str:
    for pattern, repl in _VOLATILE:
        text = pattern.sub(repl, text)
    return text


def _with_query(url: str, **params) -> str:
    parts = urlsplit(url)
    query = dict(parse_qsl(parts.query, keep_blank_values=True))
    query.update(params)
    return urlunsplit(parts._replace(query=urlencode(query)))


def _base_urls(cast, planted: Planted) -> tuple[list[str], list[str]]:
    """Every URL of the URLconf as the access matrix calls it, and again with each planted record in place of the cast's."""
    urls, unwalked = [], []
    for name in APP_URLS:
        row = MATRIX.get(name)
        if row is None:
            # A URL newer than its access rule (tests/esafety/test_access_matrix.py fails for it): walk it
            # if it takes no arguments, and say so if it does.
            if ALL_URLS[name].pattern.regex.groups:
                unwalked.append(name)
            else:
                urls.append(reverse(name))
            continue
        kwargs = row.kwargs(cast)
        query = row.query(cast) if callable(row.query) else row.query
        urls.append(reverse(name, kwargs=kwargs) + query)
        if row.method == "post":
            continue  # a GET of a POST-only URL is a 405 whatever its arguments
        for key, value in kwargs.items():
            for record in _substitutes_for(key, value, planted):
                urls.append(reverse(name, kwargs={**kwargs, key: record.pk}) + query)
        for cast_pk, records in planted.substitutes.items():
            if isinstance(cast_pk, int) or str(cast_pk) not in query:
                continue
            for record in records:
                urls.append(reverse(name, kwargs=kwargs) + query.replace(str(cast_pk), str(record.pk)))
    return list(dict.fromkeys(urls)), unwalked


def _substitutes_for(key: str, value, planted: Planted) -> list:
    # A UUID names one record whatever the argument is called; a number only with the argument's
    # name, e.g. `action_id` for an IncidentAction and `step_id` for an IncidentChecklistStep.
    records = planted.substitutes.get(value, [])
    if records and isinstance(value, int):
        kind = key.removesuffix("_id")
        records = [r for r in records if kind in type(r).__name__.lower()]
    return records


class _SearchForms(HTMLParser):
    """The text boxes of a page's GET forms (its searches and filters): (action, box names) of each form."""

    def __init__(self):
        super().__init__()
        self.forms, self._current = [], None

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag == "form" and (attrs.get("method") or "get").lower() == "get":
            self._current = (attrs.get("action") or "", [])
            self.forms.append(self._current)
        elif (
            tag == "input"
            and attrs.get("name")
            and (attrs.get("type") or "text").lower() in ("text", "search")
            and "date" not in (attrs.get("class") or "")  # a date box reads no words
        ):
            if attrs.get("hx-get"):  # a box that asks a fragment as one types
                self.forms.append((attrs["hx-get"], [attrs["name"]]))
            elif self._current is not None:
                self._current[1].append(attrs["name"])

    def handle_endtag(self, tag):
        if tag == "form":
            self._current = None


def _searches(url: str, text: str, terms) -> list[str]:
    """The page's searches, each run for each term: every text box of every GET form on the page."""
    parser = _SearchForms()
    parser.feed(text)
    searches = []
    for action, boxes in parser.forms:
        target = urlsplit(html.unescape(action)).path or urlsplit(url).path
        for box in boxes:
            searches += [_with_query(target, **{box: term}) for term in terms]
    return searches


REFUSALS = (403, 404, 405)


@dataclass
class Seen:
    texts: dict = field(default_factory=dict)  # (label, url) → normalised text
    status: dict = field(default_factory=dict)  # (label, url) → status code
    notes: dict = field(default_factory=dict)  # label → [notification text]
    mails: dict = field(default_factory=dict)  # label → [e-mail text]
    clients: dict = field(default_factory=dict)  # label → the walker's signed-in client


def _walk(walkers, base_urls, planted: Planted, plan: dict | None, replay=lambda label, url: True) -> tuple[Seen, dict]:
    """
    GET every URL as every walker. `plan` (label → URLs) replays an earlier walk, in the same order, the
    requests for which `replay(label, url)` is true. Without it, the walk runs each page's searches for each
    search term, leaves out URLs that answered the first walker 405 (a POST-only view refuses a GET before it
    reads anything), and returns what it did as the plan.
    """
    seen = Seen()
    made_plan, post_only = {}, set()
    for label, user in walkers:
        client = Client(raise_request_exception=False)
        if user is not None:
            client.force_login(user)
            # A first request, alike in both worlds: a session stores where it is used from on its first answer.
            client.get(reverse("home"))
        seen.clients[label] = client
        urls = list(plan[label]) if plan is not None else [u for u in base_urls if u not in post_only]
        if plan is not None:
            urls = [u for u in urls if replay(label, u)]
        done = set()
        index = 0
        while index < len(urls):
            url = urls[index]
            index += 1
            # A redirect is followed, as the browser would: a message it leaves (e.g. "This version has no file") shows on
            # the page it leads to, not on whichever URL the walk asks for next, which differs between the worlds.
            response = client.get(url, follow=True)
            text = _normalised(_text(response))
            seen.texts[(label, url)] = text
            seen.status[(label, url)] = response.status_code
            if plan is None and response.status_code == 405 and user is not None:
                post_only.add(url)
            if plan is None and response.status_code == 200 and response.get("Content-Type", "").startswith("text/html"):
                done.add(url)
                urls += [u for u in _searches(url, text, planted.search_terms) if u not in done and u not in urls]
        made_plan[label] = urls
    return seen, made_plan


def _volatile(seen: Seen, label: str, url: str) -> bool:
    """Whether a page differs from itself, asked twice in a row (e.g. a new secret on each showing)."""
    client = seen.clients[label]
    return _normalised(_text(client.get(url))) != _normalised(_text(client.get(url)))


def _inbox(seen: Seen, walkers, mail_from: int) -> None:
    for label, user in walkers:
        if user is None:
            continue
        seen.notes[label] = sorted(
            f"{n.title} | {n.body} | {n.link}" for n in Notification.objects.filter(recipient=user).order_by("pk")
        )
        seen.mails[label] = sorted(
            "\n".join([m.subject, m.body, *(content for content, _ in getattr(m, "alternatives", []))])
            for m in mail.outbox[mail_from:]
            if user.email in [*m.to, *m.cc, *m.bcc]
        )


# --- What the walk found ---------------------------------------------------------------------


def _readable(text: str, limit: int | None = 220) -> str:
    text = html.unescape(re.sub(r"<[^>]+>", " ", text))
    text = re.sub(r"\s+", " ", text).strip()
    return text if limit is None or len(text) <= limit else text[: limit - 1] + "…"


def _hunks(before: str, after: str) -> list[tuple[str, str]]:
    """What changed, as (removed, added) readable text of each differing run of lines, from where they part."""
    old, new = before.splitlines(), after.splitlines()
    hunks = []
    for op, i1, i2, j1, j2 in difflib.SequenceMatcher(None, old, new, autojunk=False).get_opcodes():
        if op == "equal":
            continue
        removed, added = _readable(" ".join(old[i1:i2]), None), _readable(" ".join(new[j1:j2]), None)
        same = len(os.path.commonprefix([removed, added]))
        start = max(0, same - 40)
        hunks.append(tuple(("…" if start else "") + _readable(text[start:]) for text in (removed, added)))
    return hunks


def _context(text: str, marker: str, before: str) -> str:
    """A snippet around an occurrence of the marker that the world without does not have."""
    lowered, needle = text.lower(), marker.lower()
    start = lowered.find(needle)
    first = start
    while start != -1:
        window = text[max(0, start - 60) : start + len(marker) + 60]
        if window not in before:
            break
        start = lowered.find(needle, start + 1)
    start = first if start == -1 else start
    return _readable(text[max(0, start - 200) : start + len(marker) + 200], 300)


class Findings:
    """Leaks grouped by what leaked, each with who saw it where."""

    def __init__(self):
        self.by_marker = defaultdict(lambda: {"users": set(), "urls": set(), "context": ""})
        self.by_change = defaultdict(lambda: {"users": set(), "urls": set()})
        self.checks = 0
        self.comparisons = 0
        self.volatile = set()  # pages that differ from themselves: checked for markers only

    def compare(self, label, where, after: str, before: str, markers, volatile=lambda: False, whole=True) -> None:
        """Markers more often in `after` than in `before`; with `whole`, any other difference too."""
        self.comparisons += 1
        after_lower, before_lower = after.lower(), before.lower()
        for marker in markers:
            self.checks += 1
            needle = marker.text.lower()
            if after_lower.count(needle) > before_lower.count(needle):
                found = self.by_marker[(marker.what, marker.text)]
                found["users"].add(label)
                found["urls"].add(where)
                found["context"] = found["context"] or _context(after, marker.text, before)
        if whole and after != before:
            if volatile():
                self.volatile.add(where)
                return
            for hunk in _hunks(before, after):
                found = self.by_change[hunk]
                found["users"].add(label)
                found["urls"].add(where)

    def report(self) -> str:
        lines = []
        if self.by_marker:
            lines.append(f"MARKERS SEEN BY OUTSIDERS ({len(self.by_marker)}):")
            for (what, text), found in sorted(self.by_marker.items()):
                lines.append(f"- {text!r} ({what})")
                lines.append(f"    by {_listed(found['users'])}")
                lines.append(f"    at {_listed(found['urls'], 8)}")
                lines.append(f"    …{found['context']}…")
        if self.by_change:
            lines.append(f"OTHER DIFFERENCES FROM THE WORLD WITHOUT THE RECORD ({len(self.by_change)}):")
            for (removed, added), found in sorted(self.by_change.items(), key=lambda item: sorted(item[1]["urls"])[0]):
                lines.append(f"- by {_listed(found['users'])} at {_listed(found['urls'], 6)}")
                lines.append(f"    without: {removed or '(nothing)'}")
                lines.append(f"    with:    {added or '(nothing)'}")
        return "\n".join(lines)


def _listed(items, limit=20) -> str:
    items = sorted(items)
    return ", ".join(items[:limit]) + (f" and {len(items) - limit} more" if len(items) > limit else "")


# --- The test --------------------------------------------------------------------------------


@pytest.mark.parametrize("audience", list(AUDIENCES), ids=[a.value for a in AUDIENCES])
def test_a_restricted_incident_leaves_no_trace_outside_its_audience(cast, audience, record_property, capsys):
    t0 = timezone.localtime().replace(microsecond=0)
    reminders_day = t0 + timedelta(days=5)
    walk_time = reminders_day + timedelta(hours=1)
    code = AUDIENCES[audience][0]

    with time_machine.travel(t0, tick=False):
        background = _background(cast, code, t0)
        # Everyone has signed in before, in both worlds alike (a first sign-in may enrol a second factor).
        for _, user in [*cast.everyone(), ("reporter", background.reporter)]:
            client = Client()
            client.force_login(user)
            client.logout()
    # The cast's own overdue tasks are reminded in both worlds alike.
    _run_daily_jobs(reminders_day)
    # School years are made on first use (the new-round form offers next year's). Made here, in both worlds alike:
    # made during the walk, PostgreSQL would number them anew after the rollback (its sequences do not roll
    # back), and their ids in the form would differ between the worlds.
    for day in (t0, walk_time, walk_time + timedelta(days=366)):
        AcademicYear.objects.for_date(day.date())

    # Some access rows make the record their URL names (a signed review of access rights, a lost device): made
    # here, in both worlds alike.
    for name in APP_URLS:
        if (row := MATRIX.get(name)) is not None:
            row.kwargs(cast)

    savepoint = transaction.savepoint()
    mail_from = len(mail.outbox)
    with time_machine.travel(t0, tick=False):
        planted = _plant(cast, audience, background)
        # A user sees their own sessions ("where you are signed in"): the teacher, who opened the
        # re-triaged incident while it was ordinary, is a walker too.
        for worker in planted.workers:
            worker.client.logout()
    _run_daily_jobs(reminders_day)

    # Everyone outside every planted incident: both schools' users and an anonymous visitor. The reporter
    # made for the test is not walked: who logged an incident keeps a receipt of it.
    walkers = [("anonymous", None)] + [
        (label, user) for label, user in cast.everyone() if not any(selectors.may_see(user, i) for i in planted.incidents)
    ]
    base_urls, unwalked = _base_urls(cast, planted)
    with time_machine.travel(walk_time, tick=False):
        with_record, plan = _walk(walkers, base_urls, planted, plan=None)
    _inbox(with_record, walkers, mail_from)
    del mail.outbox[mail_from:]  # the outbox is no database: the world without starts with none of these

    transaction.savepoint_rollback(savepoint)
    assert not Incident.objects.filter(number__gt=FIRST_NUMBER + 1).exists(), "the world without still has the planted incidents"

    with time_machine.travel(walk_time, tick=False):
        # A refusal is the same page whatever the data, bar the page's frame, which the user's other pages
        # show: it is checked for markers alone, and not asked again.
        without_record, _ = _walk(
            walkers, base_urls, planted, plan=plan, replay=lambda label, url: with_record.status[(label, url)] not in REFUSALS
        )
    _inbox(without_record, walkers, mail_from)

    findings = Findings()
    errors = sorted(f"{label} GET {url}: {status}" for (label, url), status in with_record.status.items() if status >= 500)
    errors += [f"not walked: {name} takes arguments and has no row in the access matrix" for name in unwalked]
    with time_machine.travel(walk_time, tick=False):
        for key, after in with_record.texts.items():
            if key not in without_record.texts:
                findings.compare(key[0], key[1], after, "", planted.markers, whole=False)
                continue
            findings.compare(
                key[0], key[1], after, without_record.texts[key], planted.markers, lambda key=key: _volatile(without_record, *key)
            )
    for label, _ in walkers[1:]:
        findings.compare(
            label, "(notifications)", "\n".join(with_record.notes[label]), "\n".join(without_record.notes[label]), planted.markers
        )
        findings.compare(
            label, "(e-mails)", "\n".join(with_record.mails[label]), "\n".join(without_record.mails[label]), planted.markers
        )

    summary = (
        f"{audience.label}: {len(walkers)} walkers × {len(base_urls)} URLs (and their searches) = {len(with_record.texts)} "
        f"responses compared with the world without the record; {findings.checks} URL × user × marker checks "
        f"of {len(planted.markers)} markers"
        + (
            f"; pages that differ from themselves, checked for markers only: {_listed(findings.volatile, 6)}"
            if findings.volatile
            else ""
        )
    )
    record_property("no_trace_checks", findings.checks)
    record_property("no_trace_responses", len(with_record.texts))
    with capsys.disabled():
        print(f"\n{summary}")
    report = findings.report()
    assert not errors and not report, f"{summary}\n" + "\n".join(errors) + ("\n" if errors else "") + report
