"""
Browser tests: Playwright drives Debian's Chromium against the app served by
pytest-django's `live_server`, with the fixed cast of `tests/conftest.py`.

Tests here mark themselves `browser` and `django_db(transaction=True)`: the
live server runs in another thread, so the cast must be committed for it to
see the rows. Tasks run eagerly (in-process), so a check or an import is done
by the time the page that started it has loaded.

    log_in(page, live_server, cast.a.users["dsl"])
    assert_accessible(page)       # axe-core, WCAG 2.2 A/AA
"""

import os
from pathlib import Path

import pytest
from playwright.sync_api import Page, expect

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


def log_in(page: Page, live_server, user, password: str = PASSWORD) -> None:
    """Log in through the real login form, as a person would, and land on the home page."""
    page.goto(f"{live_server.url}/accounts/login/")
    page.get_by_label("E-mail address").fill(user.email)
    page.get_by_label("Password").fill(password)
    page.get_by_role("button", name="Log in").click()
    expect(page).to_have_url(f"{live_server.url}/")


def assert_accessible(page: Page) -> None:
    """Run axe-core on the page as it is now; fail with each WCAG 2.2 A/AA violation and where it is."""
    page.wait_for_load_state("load")
    page.add_script_tag(path=AXE_JS)
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
