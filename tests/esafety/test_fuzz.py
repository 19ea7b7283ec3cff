"""
Bad input never gives a 500 (OWASP ASVS V5.1: input is validated, and refused
with a reason, never a crash).

One generic walk over every URL of the access matrix
(tests/esafety/test_access_matrix.py), so that a new view is fuzzed as soon as
it has its row there. For each URL, as one user of school A whom the row lets in:

- a page (GET): the page is fetched with the row's query; every form on it is
  sent again as it stands, then with one field at a time replaced by each
  hostile value while the others keep the values the page gave them (GET forms
  as a query string to their action, POST forms as a POST); htmx requests
  named on the page (`hx-get`, `hx-post`) are sent the same way; and the page
  is fetched again with each parameter of its query and of its GET forms set
  to each hostile value, and with a list's `page`, `sort` and `q` (together,
  where nothing on the page names them, and with a parameter nothing reads);
- a POST-only URL: the row's data, as it stands and with each field replaced
  by each hostile value.

Every answer must be below 500. All failures of a URL are collected into one
message: the request, the field, the value and the status.

Nothing is skipped, but nothing is walked twice (each request renders a page,
and the walk should stay within a couple of minutes): the forms of base.html
(log out, the school switch) are walked on home only; a form repeated on a
page for the same view (a checklist's steps) once; a field repeated for each
row of a form (`owner_<id>`) once; a field that a POST-only URL's row names,
in that URL's own walk. Log out and the school switch are sent like any form,
and the walk then signs the same user back in at the same school.
"""

import re
import time
from collections import Counter
from dataclasses import dataclass, field
from html.parser import HTMLParser
from urllib.parse import parse_qsl, urlencode, urljoin, urlsplit

import pytest
from django.db import transaction
from django.urls import Resolver404, resolve, reverse

from esafety.access import SESSION_KEY
from tests.esafety.test_access_matrix import APP_URLS, MATRIX

NOTHING = "00000000-0000-4000-8000-000000000000"  # a well-formed UUID of no record
HOSTILE = [
    # Dates and times out of range or impossible: a filter that adds a day to the last one overflows.
    "9999-12-31",
    "0000-00-00",
    "31/02/2026",
    "1-1-1",
    "9999-12-31T23:59",
    "a\x00b",  # PostgreSQL refuses NUL in text and in JSON
    "x" * 100_000,
    # Not numbers; too big for a float or a 64-bit integer; negative.
    "abc",
    "1.5e309",
    "-1",
    "99999999999999999999",
    "not-a-choice",
    NOTHING,
    "",
    ["1", "2"],  # two values for a single field
]
PAGE_PARAMETERS = ["page", "sort", "q"]
UNKNOWN_PARAMETER = "not-a-parameter"  # that no view reads, but one might copy, e.g. into the access log
# The test client does not check CSRF tokens, so a hostile token reaches no code (in production the
# middleware refuses it with a 403 before any view runs).
NOT_FUZZED = {"csrfmiddlewaretoken"}
# An empty password stops a login form before it checks anything: browsers send what was typed, so a
# made-up password lets a hostile user name reach the authentication backends (and the lockout's records).
MADE_UP_PASSWORD = "not-the-password"
# The role whose user walks a URL: the first of these the row lets in, so that handlers see the handling forms.
PREFERRED_ROLES = ["dsl", "head", "office", "lead", "teacher", "it", "trust", "governor", "chair"]

REQUESTS = Counter()  # requests made in this process, by URL name, for the summary at the end
# An id in a field's name: the same field repeated for each row of a form (`owner_<action>`, `p<pupil>_t<type>`).
AN_ID = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}|\d+")


def _show(value) -> str:
    if isinstance(value, list):
        return f"two values {value!r}"
    if len(value) > 40:
        return f"{value[:10]!r}… ({len(value):,} characters)"
    return repr(value)


# --- The forms of a page -----------------------------------------------------------------


@dataclass
class Target:
    """Where a browser (or htmx) sends a form or a field: a method, a URL, and what it sends as it stands."""

    method: str
    url: str
    fields: list = field(default_factory=list)  # (name, value) pairs, in document order, names repeated
    names: list = field(default_factory=list)  # every field's name, sent or not (unticked boxes, buttons)
    htmx: bool = False

    def signature(self):
        """The same form sent to the same view, e.g. one for each step of a checklist: walked once."""
        path = urlsplit(self.url).path
        try:
            view = resolve(path).view_name
        except Resolver404:
            view = path
        return (self.method, view, tuple(self.names))


@dataclass
class _Form:
    targets: list
    fields: list = field(default_factory=list)
    names: list = field(default_factory=list)


class FormParser(HTMLParser):
    """Every <form> of a page with what a browser would send, and every element that makes an htmx request."""

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.forms: list[_Form] = []
        self.htmx: list[Target] = []
        self._form = None
        self._select = None  # [name, multiple, options]
        self._option = None  # [value or None, selected, text]
        self._textarea = None  # [name, text]

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        name = attrs.get("name")
        requests = [(method, attrs[f"hx-{method}"]) for method in ("post", "get") if attrs.get(f"hx-{method}")]
        if tag == "form":
            method = (attrs.get("method") or "get").lower()
            self._form = _Form(targets=[(method, attrs.get("action") or "", False)] + [(m, u, True) for m, u in requests])
            self.forms.append(self._form)
            return
        for method, url in requests:
            # A field or button with its own htmx request sends its own value (hx-include="this").
            sent = [(name, attrs.get("value") or "")] if name else []
            self.htmx.append(Target(method, url, sent, [name] if name else [], htmx=True))
        if self._form is None:
            return  # a field outside any form is sent only by a script, as an htmx request above
        if not name and tag != "option":
            return
        if tag == "input":
            kind = (attrs.get("type") or "text").lower()
            self._form.names.append(name)
            if kind in ("checkbox", "radio"):
                if "checked" in attrs:
                    self._form.fields.append((name, attrs.get("value") or "on"))
            elif kind == "password":
                self._form.fields.append((name, attrs.get("value") or MADE_UP_PASSWORD))
            elif kind not in ("submit", "image", "button", "reset"):  # buttons are sent only when clicked
                self._form.fields.append((name, attrs.get("value") or ""))
        elif tag == "button":
            self._form.names.append(name)
        elif tag == "select":
            self._select = [name, "multiple" in attrs, []]
        elif tag == "option" and self._select is not None:
            self._option = [attrs.get("value"), "selected" in attrs, ""]
            self._select[2].append(self._option)
        elif tag == "textarea":
            self._textarea = [name, ""]

    def handle_data(self, data):
        if self._textarea is not None:
            self._textarea[1] += data
        elif self._option is not None:
            self._option[2] += data

    def handle_endtag(self, tag):
        if tag == "form":
            self._form = None
        elif tag == "option":
            self._option = None
        elif tag == "select" and self._select is not None:
            name, multiple, options = self._select
            values = [value if value is not None else text.strip() for value, _, text in options]
            chosen = [v for v, (_, selected, _) in zip(values, options, strict=True) if selected]
            if not chosen and not multiple:
                chosen = values[:1]  # a single select sends its first option when none is selected
            self._form.names.append(name)
            self._form.fields.extend((name, value) for value in chosen)
            self._select = self._option = None
        elif tag == "textarea" and self._textarea is not None:
            name, text = self._textarea
            self._form.names.append(name)
            self._form.fields.append((name, text.removeprefix("\n")))  # as a browser reads it
            self._textarea = None

    def targets(self, page_url: str) -> list[Target]:
        """Each form once per place it is sent to, and each htmx request, with URLs made absolute."""
        out = []
        for form in self.forms:
            for method, action, htmx in form.targets:
                out.append(Target(method, urljoin(page_url, action), list(form.fields), list(form.names), htmx))
        for target in self.htmx:
            url = urljoin(page_url, target.url)
            if target.method == "get" and "?" in url:
                # e.g. a button that adds a pupil: `people/row/?person=pupil:<id>`, whose parameters are fuzzed too
                url, query = url.split("?", 1)
                given = parse_qsl(query, keep_blank_values=True)
                target = Target("get", url, given + target.fields, [n for n, _ in given] + target.names, htmx=True)
            target.url = url
            out.append(target)
        return out


def targets_on(page_url: str, response) -> list[Target]:
    if not response.get("Content-Type", "").startswith("text/html"):
        return []
    parser = FormParser()
    parser.feed(response.content.decode())
    targets = {}
    for target in parser.targets(page_url):
        if not urlsplit(target.url).netloc:  # one with a host is another site's
            targets.setdefault(target.signature(), target)
    return list(targets.values())


# --- Sending -----------------------------------------------------------------------------


def _replaced(pairs: list, name: str, value) -> list:
    """The pairs with every value of `name` replaced by `value` (added if the name was not sent)."""
    values = value if isinstance(value, list) else [value]
    positions = [i for i, (n, _) in enumerate(pairs) if n == name]
    at = positions[0] if positions else len(pairs)
    kept = [pair for pair in pairs if pair[0] != name]
    return kept[:at] + [(name, v) for v in values] + kept[at:]


def _as_post_data(pairs: list) -> dict:
    data = {}
    for name, value in pairs:
        data.setdefault(name, []).append(value)
    return data


class Walk:
    """One user's requests to one URL and the forms on it, with every answer of 500 or more kept."""

    def __init__(self, row, cast, user, client, login):
        self.row, self.cast, self.user, self.login = row, cast, user, login
        # An exception in a view becomes the 500 a user would get, to report with the rest.
        client.raise_request_exception = False
        self.client = login(user)
        self.session = self._session_state()
        self.failures: list[str] = []
        self.sent = set()
        self.count = 0

    def _session_state(self):
        session = self.client.session
        return session.session_key, session.get("_auth_user_id"), session.get(SESSION_KEY)

    def _restore_session(self):
        # Log out and the school switch are walked like any form; afterwards the walk goes on as the
        # same user at the same school rather than leaving them out of it.
        if self._session_state() == self.session:
            return
        school = self.session[2]
        self.login(self.user)
        session = self.client.session
        if school is None:
            session.pop(SESSION_KEY, None)
        else:
            session[SESSION_KEY] = school
        session.save()
        self.session = self._session_state()

    def send(self, method: str, url: str, pairs: list, what: str = "as it stands", htmx: bool = False):
        if method == "get":
            # A GET form replaces the action's query with its fields.
            path = url.split("?", 1)[0]
            url = f"{path}?{urlencode(pairs)}" if pairs else path
        key = (method, url, tuple(pairs) if method == "post" else ())
        if key in self.sent:
            return None
        self.sent.add(key)
        if self.row.reset is not None:
            self.row.reset(self.cast)
        headers = {"HX-Request": "true"} if htmx else {}
        # A savepoint, so that a request that broke the database's transaction does not fail every later one.
        with transaction.atomic():
            if method == "post":
                response = self.client.post(url, _as_post_data(pairs), headers=headers)
            else:
                response = self.client.get(url, headers=headers)
            if response.status_code >= 500:
                transaction.set_rollback(True)
        self.count += 1
        if response.status_code >= 500:
            shown = url if len(url) < 150 else f"{url[:150]}…"
            self.failures.append(f"{method.upper()} {shown} {what}: {response.status_code}")
        self._restore_session()
        return response

    def fuzz(self, method: str, url: str, pairs: list, names, htmx: bool = False, together: bool = False):
        """
        As it stands, then each name replaced by each hostile value, the rest as they stand; or, `together`,
        every name replaced by the same value at once.
        """
        self.send(method, url, pairs, htmx=htmx)
        kinds = {}
        for name in names:
            if name not in NOT_FUZZED:
                kinds.setdefault(AN_ID.sub("#", name), name)  # the first of a field repeated for each row
        names = list(kinds.values())
        for group in [names] if together else [[name] for name in names]:
            for value in HOSTILE:
                changed = pairs
                for name in group:
                    changed = _replaced(changed, name, value)
                self.send(method, url, changed, f"with {', '.join(group)}={_show(value)}", htmx)


def _walker(row, cast):
    """One user of school A who gets the row's ordinary answer (not one whose role or record makes it differ)."""
    candidates = [r for r in row.allowed if r in cast.a.users and r not in row.statuses and f"a.{r}" not in row.statuses]
    candidates.sort(key=lambda r: (PREFERRED_ROLES.index(r) if r in PREFERRED_ROLES else len(PREFERRED_ROLES), r))
    return candidates[0] if candidates else None


_CHROME = {}  # role -> signatures of the forms on every page, found once per process


def _chrome(walk, role) -> set:
    """
    The forms of the home page. Those of base.html (log out, the school switch) are on every page: they are
    walked once, on home, rather than again on each of the other pages.
    """
    if role not in _CHROME:
        url = reverse("home")
        _CHROME[role] = {t.signature() for t in targets_on(url, walk.client.get(url))}
    return _CHROME[role]


def _fuzzed_by_its_own_walk(target, page_name, cast) -> set:
    """
    The fields of a form that another URL's walk fuzzes already: a form on this page that posts to a POST-only
    URL (the case page's handling forms) sends its row's data there, with each field replaced. Here, only the
    fields the row does not name (e.g. where to go back to) are fuzzed.
    """
    try:
        name = resolve(urlsplit(target.url).path).view_name
    except Resolver404:
        return set()
    row = MATRIX.get(name)
    if name == page_name or row is None or row.method != "post":
        return set()
    return set(row.data(cast))


@pytest.mark.parametrize("name", APP_URLS)
def test_hostile_input_never_gives_a_500(name, cast, client, login):
    # The test client and its login are the cast's (tests/conftest.py), as in the access matrix.
    assert name in MATRIX, f"{name} has no row in the access matrix, so the walk does not know who may use it"
    row = MATRIX[name]
    role = _walker(row, cast)
    assert role is not None, f"{name}: no user of school A gets the row's answer, so nothing can walk it"
    walk = Walk(row, cast, cast.a.users[role], client, login)
    url = reverse(name, kwargs=row.kwargs(cast))
    started = time.monotonic()

    if row.method == "post":
        data = row.data(cast)
        pairs = [(k, str(v)) for k, values in data.items() for v in (values if isinstance(values, list) else [values])]
        walk.fuzz("post", url, pairs, data)
    else:
        query = row.query(cast) if callable(row.query) else row.query
        own = parse_qsl(query.lstrip("?"), keep_blank_values=True)
        page = walk.send("get", url, own)
        if page.status_code != row.ok:
            walk.failures.append(f"GET {url}{query} answered {page.status_code}, not {row.ok}: the walk cannot see its forms")
        chrome = _chrome(walk, role) if name != "home" else set()
        targets = [t for t in targets_on(url + query, page) if t.signature() not in chrome]
        for target in targets:
            elsewhere = _fuzzed_by_its_own_walk(target, name, cast)
            walk.fuzz(target.method, target.url, target.fields, [n for n in target.names if n not in elsewhere], target.htmx)
        # The page itself, with each parameter of its query and of its GET forms set to each hostile value;
        # but not again those a GET form of the page has just sent here.
        done_here = {n for t in targets if t.method == "get" and urlsplit(t.url).path == url for n in t.names}
        named = [n for n, _ in own] + [n for t in targets if t.method == "get" for n in t.names]
        walk.fuzz("get", url, own, [n for n in named if n not in done_here])
        # A list's `page`, `sort` and `q` where nothing on the page names them (pages, PDFs, exports), and a
        # parameter nobody reads: few views read a parameter that nothing sends, so they go together, one
        # request for each hostile value.
        unnamed = [n for n in PAGE_PARAMETERS if n not in named] + [UNKNOWN_PARAMETER]
        walk.fuzz("get", url, own, unnamed, together=True)

    REQUESTS[name] += walk.count
    seconds = time.monotonic() - started
    assert walk.failures == [], (
        f"{name} as {role} of school A: {len(walk.failures)} failures in {walk.count} requests ({seconds:.1f}s):\n"
        + "\n".join(walk.failures)
    )


def test_the_walk_reports_how_many_requests_it_made(capsys):
    # Runs after the walk in the same process (with xdist, each worker reports its share).
    with capsys.disabled():
        print(f"\nFuzz walk: {sum(REQUESTS.values())} requests to {len(REQUESTS)} URLs in this process; the most:")
        for name, count in REQUESTS.most_common(5):
            print(f"  {count:5} {name}")
