"""
Browser tests: Playwright drives Debian's Chromium against the app served by
pytest-django's `live_server`, with the fixed cast of `tests/conftest.py`.

Tests here mark themselves `browser` and `django_db(transaction=True)`: the
live server runs in another thread, so the cast must be committed for it to
see the rows. Tasks run eagerly (in-process), so a check or an import is done
by the time the page that started it has loaded.

    log_in(page, live_server, cast.a.users["dsl"])
    assert_accessible(page)       # axe-core, WCAG 2.2 A/AA

Every page runs under the app's Content-Security-Policy, and a test fails (at
teardown) if anything on any of its pages broke the policy: an inline script,
style or event handler, or a file from elsewhere (see `new_context` below).

Every page a test loads must also fit a phone: it is measured 375 px wide, as
it was served to the test, and a test fails (at teardown) with each page that
scrolls sideways and the element that sticks out furthest.
"""

import base64
import hashlib
import os
import re
import time
from dataclasses import dataclass
from pathlib import Path
from typing import ClassVar
from urllib.parse import urlsplit

import pytest
from playwright.sync_api import Browser, BrowserContext, ConsoleMessage, Error, Page, Response, expect

CHROMIUM = "/usr/bin/chromium"
AXE_JS = Path(__file__).parent / "node_modules" / "axe-core" / "axe.min.js"
AXE_TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22aa"]
# The cast's users all have this password (tests/factories.py, make_user).
PASSWORD = "a-test-password"


@pytest.fixture(scope="session")
def browser_type_launch_args(browser_type_launch_args, tmp_path_factory):
    # Chromium keeps its settings and caches under the XDG folders: point them at a
    # throw-away folder so that a test run writes nothing into the home directory.
    chromium_home = tmp_path_factory.mktemp("chromium-home")
    return {
        **browser_type_launch_args,
        # Never the browser Playwright would download (no downloads here): Debian's.
        "executable_path": CHROMIUM,
        "args": [
            "--disable-gpu",
            "--no-sandbox",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
            "--no-first-run",
        ],
        "env": {
            **os.environ,
            "XDG_CONFIG_HOME": str(chromium_home / "config"),
            "XDG_CACHE_HOME": str(chromium_home / "cache"),
        },
    }


# Runs in every page before the page's own scripts: notes each refusal by the Content-Security-Policy, in
# the page (for the end of the test) and on the console (which outlives the page when the browser moves on).
CSP_VIOLATION_RECORDER = """
window.__cspViolations = [];
document.addEventListener("securitypolicyviolation", (event) => {
  const text = `Content Security Policy violation on ${document.URL}: ${event.effectiveDirective} refused `
    + `${event.blockedURI || "inline"} at ${event.sourceFile || "the page"}:${event.lineNumber}`
    + (event.sample ? ` (${event.sample})` : "");
  window.__cspViolations.push(text);
  console.error(text);
});
"""


PHONE_WIDTH = 375
# Run in a page 375 px wide: nothing, or how far the page scrolls sideways and the element that sticks out furthest
# (the innermost of those that reach as far), named by a selector. An element inside a box that scrolls or clips
# on its own (a `.table-responsive`) does not make the page scroll, so it is not the one to blame.
SIDEWAYS_SCROLL_MEASURE = """
() => {
  const width = window.innerWidth;
  const scrollWidth = document.documentElement.scrollWidth;
  if (scrollWidth <= width) return null;
  // Whether a box that scrolls or clips holds the element: one on its chain of containing blocks (an absolutely
  // positioned element escapes every box up to its nearest positioned ancestor; a fixed one, the whole page).
  const contained = (element) => {
    let position = getComputedStyle(element).position;
    if (position === "fixed") return true;
    for (let up = element.parentElement; up && up !== document.body; up = up.parentElement) {
      const style = getComputedStyle(up);
      if (position === "absolute" && style.position === "static" && style.transform === "none") continue;
      if (style.overflowX !== "visible") return true;
      position = style.position;
      if (position === "fixed") return true;
    }
    return false;
  };
  let culprit = null, right = width + 0.5;
  for (const element of document.body.querySelectorAll("*")) {
    const edge = element.getBoundingClientRect().right;
    const further = edge > right + 0.5, asFarInside = culprit && Math.abs(edge - right) <= 0.5 && culprit.contains(element);
    if ((further || asFarInside) && !contained(element)) { culprit = element; right = edge; }
  }
  const name = (element) => {
    const parts = [];
    for (let e = element; e && e !== document.body && parts.length < 7; e = e.parentElement) {
      if (e.id) { parts.unshift(`${e.localName}#${e.id}`); break; }
      parts.unshift(e.localName + [...e.classList].slice(0, 3).map((c) => "." + c).join(""));
    }
    return parts.join(" > ");
  };
  return {
    scrollWidth,
    culprit: culprit ? name(culprit) : "(none found)",
    right: Math.round(right),
    text: culprit ? culprit.textContent.trim().replace(/\\s+/g, " ").slice(0, 60) : "",
  };
}
"""
# Replayed as the page was served, without these: the body is handed over decoded and whole, and the cookies are set.
NOT_REPLAYED = {"content-encoding", "content-length", "transfer-encoding", "set-cookie"}
# Django's masked CSRF token: different in every answer, so left out when telling whether a page is one measured before.
CSRF_TOKEN = re.compile(rb"\b[A-Za-z0-9]{64}\b")


@dataclass
class ServedPage:
    """A page as the server answered the test's browser, and the cookies its context had then."""

    url: str
    status: int
    headers: list[dict[str, str]]
    body: bytes
    cookies: list

    @property
    def path(self) -> str:
        return urlsplit(self.url).path

    @property
    def digest(self) -> str:
        return hashlib.sha256(CSRF_TOKEN.sub(b"", self.body)).hexdigest()


class PhoneForMeasuring:
    """
    A page 375 × 800 wide that is given a document the test's browser was served, as it was served, through
    Chromium's Fetch domain (which, unlike Playwright's routes, leaves the cache on), with the cookies its
    context had then: so nothing is asked of the server twice (a set-up page that makes a new key, a view of a
    restricted record that is logged, a form answered after a POST). Its style sheets, scripts and htmx run as
    usual. One for the whole run, in a context of its own, so that the static files come from its cache.
    """

    def __init__(self, browser: Browser):
        self.page = browser.new_context(viewport={"width": PHONE_WIDTH, "height": 800}).new_page()
        self._serving: ServedPage | None = None
        self._cdp = self.page.context.new_cdp_session(self.page)
        self._cdp.on("Fetch.requestPaused", self._replay)
        self._cdp.send("Fetch.enable", {"patterns": [{"urlPattern": "*", "resourceType": "Document"}]})

    def measure(self, served: ServedPage) -> dict | None:
        """Nothing, or how far the page scrolls sideways and the element that sticks out furthest."""
        context = self.page.context
        context.clear_cookies()
        context.add_cookies(served.cookies)
        self._serving = served
        try:
            self.page.goto(served.url, wait_until="load")
            return self.page.evaluate(SIDEWAYS_SCROLL_MEASURE)
        finally:
            self._serving = None

    def rest(self) -> None:
        """Leave the last page measured: its scripts stop, and nothing of theirs reaches the server in the next test."""
        self.page.goto("about:blank")

    def _replay(self, event: dict) -> None:
        served = self._serving
        if served and event["request"]["url"] == served.url:
            fulfilled = {"responseCode": served.status, "responseHeaders": served.headers}
            self._cdp.send(
                "Fetch.fulfillRequest",
                {"requestId": event["requestId"], **fulfilled, "body": base64.b64encode(served.body).decode()},
            )
        else:
            self._cdp.send("Fetch.continueRequest", {"requestId": event["requestId"]})


@pytest.fixture(scope="session")
def phone_for_measuring(browser):
    phone = PhoneForMeasuring(browser)
    yield phone
    phone.page.context.close()


class SidewaysScrollWatch:
    """
    Keeps each page that the watched contexts load, each path once per context (once per person, in a test
    with several), and at the end of the test measures them on the phone (`PhoneForMeasuring`), one after the
    other, so that the test's own pages are left alone while it runs. A document measured before (the login
    page, in every test) is not measured again.
    """

    # The same document measures the same in any test.
    measured: ClassVar[dict[str, dict | None]] = {}

    def __init__(self, phone: PhoneForMeasuring):
        self.scrolling: list[str] = []
        self.errors: list[str] = []
        self._phone = phone
        self._seen: set[tuple[BrowserContext, str]] = set()
        self._served: list[ServedPage] = []
        self._reading = 0

    def watch(self, context: BrowserContext) -> None:
        context.on("page", lambda page: page.on("response", lambda response: self._keep(page, response)))

    def _keep(self, page: Page, response: Response) -> None:
        """A page's document, as it arrives: read at once, as the test may move on and the browser let it go."""
        if not response.request.is_navigation_request() or response.frame.parent_frame:
            return
        html = response.headers.get("content-type", "").startswith("text/html")
        key = (page.context, urlsplit(response.url).path)
        if not html or not 200 <= response.status < 300 or key in self._seen:
            return
        self._seen.add(key)
        self._reading += 1
        try:
            headers = [h for h in response.headers_array() if h["name"].lower() not in NOT_REPLAYED]
            self._served.append(ServedPage(response.url, response.status, headers, response.body(), page.context.cookies()))
        except Error:
            self._seen.discard(key)  # left before it had arrived: not a page the test saw
        finally:
            self._reading -= 1

    def measure(self) -> None:
        # The browser hands over the documents only while the test waits on it: let the last ones arrive.
        deadline = time.monotonic() + 10
        while self._reading and time.monotonic() < deadline:
            self._phone.page.wait_for_timeout(20)
        new = [served for served in self._served if served.digest not in self.measured]
        for served in new:
            try:
                self.measured[served.digest] = self._phone.measure(served)
            except Error as error:
                self.errors.append(f"{served.path} could not be measured at {PHONE_WIDTH} px: {error}")
        if new:
            self._phone.rest()
        for served in self._served:
            found = self.measured.get(served.digest)
            if found:
                self.scrolling.append(
                    f"{served.path} is {found['scrollWidth']} px wide at {PHONE_WIDTH} px: {found['culprit']} reaches "
                    f"{found['right']} px" + (f" (“{found['text']}”)" if found["text"] else "")
                )


@pytest.fixture
def new_context(new_context, phone_for_measuring):
    """
    pytest-playwright's `new_context`, and so its `context` and `page`, with every context watched:
    - for Content-Security-Policy violations: the browser's own console errors about the policy and the
      pages' `securitypolicyviolation` events;
    - for pages that scroll sideways on a phone (`SidewaysScrollWatch`).
    Either fails the test at teardown, with each violation and each page that scrolls.
    """
    violations: list[str] = []
    contexts = []
    sideways = SidewaysScrollWatch(phone_for_measuring)

    def on_console(message: ConsoleMessage) -> None:
        if message.type == "error" and "Content Security Policy" in message.text:
            where = f" (on {message.page.url})" if message.page and message.page.url not in message.text else ""
            violations.append(message.text + where)

    def watched_context(**kwargs):
        context = new_context(**kwargs)
        context.add_init_script(CSP_VIOLATION_RECORDER)
        context.on("console", on_console)
        sideways.watch(context)
        contexts.append(context)
        return context

    yield watched_context

    sideways.measure()
    for context in contexts:
        for page in context.pages:
            try:
                violations.extend(page.evaluate("window.__cspViolations || []"))
            except Error:
                pass  # closed, or on its way to another page: the console has reported what it saw
    failures = []
    if violations:
        lines = list(dict.fromkeys(violations))  # each once, in order
        failures.append(f"{len(lines)} Content-Security-Policy violation(s):\n- " + "\n- ".join(lines))
    if sideways.scrolling:
        lines = list(dict.fromkeys(sideways.scrolling))
        failures.append(f"{len(lines)} page(s) scroll sideways on a phone:\n- " + "\n- ".join(lines))
    if sideways.errors:
        failures.append("Pages not measured on a phone:\n- " + "\n- ".join(sideways.errors))
    if failures:
        pytest.fail("\n".join(failures), pytrace=False)


def authenticator_code(user) -> str:
    """What the user's authenticator app shows now: a code not used yet (django-otp refuses a code twice,
    so a second sign-in within the same 30 seconds takes the next one, which it also accepts)."""
    from django_otp.oath import TOTP
    from django_otp.plugins.otp_totp.models import TOTPDevice

    device = TOTPDevice.objects.get(user=user, confirmed=True)
    totp = TOTP(device.bin_key, device.step, device.t0, device.digits, device.drift)
    totp.time = time.time()
    if totp.t() <= device.last_t:
        totp.time += device.step * (device.last_t + 1 - totp.t())
    return f"{totp.token():0{device.digits}d}"


def log_in(page: Page, live_server, user, password: str = PASSWORD) -> None:
    """Log in through the real login form, as a person would, and land on the home page: with a code from
    their authenticator app when their role needs one (set up here, as at their first sign-in)."""
    from django_otp.plugins.otp_totp.models import TOTPDevice

    from esafety.models import Membership
    from esafety.second_factor import second_factor_required

    roles = Membership.objects.filter(user=user).values_list("role", flat=True)
    if second_factor_required(user, roles) and not TOTPDevice.objects.filter(user=user, confirmed=True).exists():
        TOTPDevice.objects.create(user=user, name="Authenticator app", confirmed=True)
    page.goto(f"{live_server.url}/accounts/login/")
    page.get_by_label("E-mail address").fill(user.email)
    page.get_by_label("Password").fill(password)
    page.get_by_role("button", name="Log in").click()
    # Past the password: on the home page, or asked for the code (wait for either before looking).
    expect(page).not_to_have_url(re.compile(r"/accounts/login/"))
    if "/accounts/two-factor/" in page.url:
        page.get_by_label("Code").fill(authenticator_code(user))
        page.get_by_role("button", name="Sign in").click()
    expect(page).to_have_url(f"{live_server.url}/")


def assert_accessible(page: Page) -> None:
    """Run axe-core on the page as it is now; fail with each WCAG 2.2 A/AA violation and where it is."""
    page.wait_for_load_state("load")
    # Evaluated by the browser's debugging protocol, which the Content-Security-Policy leaves alone: a
    # <script> added with add_script_tag would be inline, and refused.
    page.evaluate(AXE_JS.read_text())
    results = page.evaluate(
        "tags => axe.run(document, {runOnly: {type: 'tag', values: tags}})",
        AXE_TAGS,
    )
    violations = results["violations"]
    if violations:
        lines = [f"{len(violations)} accessibility violation(s) on {page.url}:"]
        for violation in violations:
            lines.append(f"- {violation['id']} ({violation['impact']}): {violation['help']} <{violation['helpUrl']}>")
            for node in violation["nodes"]:
                lines.append(f"    at {' '.join(map(str, node['target']))}")
                if node.get("failureSummary"):
                    lines.append("      " + node["failureSummary"].replace("\n", "\n      "))
        pytest.fail("\n".join(lines), pytrace=False)
