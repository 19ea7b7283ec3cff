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
"""

import os
import re
import time
from pathlib import Path

import pytest
from playwright.sync_api import ConsoleMessage, Error, Page, expect

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


@pytest.fixture
def new_context(new_context):
    """
    pytest-playwright's `new_context`, and so its `context` and `page`, with every context watched for
    Content-Security-Policy violations: the browser's own console errors about the policy and the pages'
    `securitypolicyviolation` events. Any of them fails the test at teardown, each with its text.
    """
    violations: list[str] = []
    contexts = []

    def on_console(message: ConsoleMessage) -> None:
        if message.type == "error" and "Content Security Policy" in message.text:
            where = f" (on {message.page.url})" if message.page and message.page.url not in message.text else ""
            violations.append(message.text + where)

    def watched_context(**kwargs):
        context = new_context(**kwargs)
        context.add_init_script(CSP_VIOLATION_RECORDER)
        context.on("console", on_console)
        contexts.append(context)
        return context

    yield watched_context

    for context in contexts:
        for page in context.pages:
            try:
                violations.extend(page.evaluate("window.__cspViolations || []"))
            except Error:
                pass  # closed, or on its way to another page: the console has reported what it saw
    if violations:
        lines = list(dict.fromkeys(violations))  # each once, in order
        pytest.fail(f"{len(lines)} Content-Security-Policy violation(s):\n- " + "\n- ".join(lines), pytrace=False)


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
