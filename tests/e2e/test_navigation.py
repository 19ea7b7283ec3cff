"""
Each role of school A logs in and finds in the menu exactly what that role may
use, and every page the role can open passes axe-core (WCAG 2.2 A/AA).
"""

import re

import pytest
from playwright.sync_api import Page, expect

from esafety.roles import ROLE_CAPABILITIES, Capability, Role
from tests.conftest import ROLE_USERS
from tests.e2e.conftest import assert_accessible, log_in

# What each of school A's people finds in the menu besides the bell, in menu order (esafety.menu).
MENU = {
    "teacher": [
        "Home",
        "Incidents",
        "Pupils",
        "Forms",
        "Staff",
        "Photo check",
        "Web filter",
        "Devices",
        "Policies",
        "Log an incident",
    ],
    "dsl": [
        "Home",
        "Incidents",
        "Pupils",
        "Forms",
        "Staff",
        "Photo check",
        "Web filter",
        "Devices",
        "Policies",
        "Governors' report",
        "Access log",
        "Log an incident",
    ],
    "head": [
        "Home",
        "Incidents",
        "Pupils",
        "Forms",
        "Staff",
        "Photo check",
        "Consents",
        "Consent coverage",
        "Web filter",
        "Devices",
        "Policies",
        "Governors' report",
        "Access log",
        "Log an incident",
    ],
    "it": [
        "Home",
        "Incidents",
        "Pupils",
        "Forms",
        "Staff",
        "Photo check",
        "Web filter",
        "Devices",
        "Policies",
        "Log an incident",
    ],
    "office": [
        "Home",
        "Incidents",
        "Pupils",
        "Forms",
        "Staff",
        "Photo check",
        "Consents",
        "Web filter",
        "Devices",
        "Policies",
        "MIS import",
        "Log an incident",
    ],
    # Anonymised figures, the signed yearly filtering review and the governors' report only: no names of pupils or staff.
    "governor": ["Home", "Consent coverage", "Filtering review", "Governors' report"],
    "lead": [
        "Home",
        "Incidents",
        "Pupils",
        "Forms",
        "Staff",
        "Photo check",
        "Consents",
        "Consent coverage",
        "Web filter",
        "Devices",
        "Policies",
        "Governors' report",
        "Log an incident",
    ],
    "trust": ["Home", "Pupils", "Forms", "Staff", "Consent coverage", "Governors' report", "Access log"],
    "chair": ["Home", "Incidents"],  # allegations about the head teacher, nothing else
}
C = Capability
# Each section, and the capabilities of which any one shows it.
SECTION_NEEDS = {
    "Home": (),
    # The dashboard for those who handle incidents, the incidents they logged for other staff.
    "Incidents": (C.LOG_INCIDENT, C.TRIAGE_INCIDENTS, C.HANDLE_STAFF_INCIDENTS, C.HANDLE_HEAD_ALLEGATIONS),
    "Pupils": (C.VIEW_PUPILS,),
    "Forms": (C.VIEW_PUPILS,),
    "Staff": (C.VIEW_STAFF,),
    "Photo check": (C.CHECK_CONSENT,),
    "Consents": (C.RECORD_CONSENT, C.SET_UP_CONSENT),
    "Consent coverage": (C.VIEW_CONSENT_COVERAGE,),
    "Web filter": (C.REQUEST_FILTER_EXCEPTION,),
    "Filtering review": (C.READ_FILTERING_REVIEW,),
    "Devices": (C.RECORD_PHONES,),
    "Policies": (C.READ_POLICIES,),
    "Governors' report": (C.READ_GOVERNORS_REPORT,),
    "MIS import": (C.IMPORT_MIS,),
    "Access log": (C.VIEW_ACCESS_LOG,),
    "Log an incident": (C.LOG_INCIDENT,),
}
ROLE_OF = {**ROLE_USERS, "trust": Role.TRUST}
# Sections that stand in for another one for those who lack it: the yearly filtering review is reached from "Web
# filter" by those who have it, and has its own entry for governors, who do not.
IN_PLACE_OF = {"Filtering review": "Web filter"}


def test_the_menus_expected_here_are_what_roles_py_allows():
    for who, sections in MENU.items():
        capabilities = ROLE_CAPABILITIES[ROLE_OF[who]]
        allowed = [name for name, needs in SECTION_NEEDS.items() if not needs or set(needs) & capabilities]
        allowed = [name for name in allowed if IN_PLACE_OF.get(name) not in allowed]
        assert sections == allowed, who


def open_section(page: Page, name: str, heading: str) -> None:
    page.get_by_role("navigation", name="Main").get_by_role("link", name=name, exact=True).click()
    expect(page.get_by_role("heading", level=1)).to_have_text(heading)


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("who", list(MENU))
def test_each_role_sees_its_own_menu_and_every_page_it_opens_is_accessible(who, cast, live_server, page: Page):
    log_in(page, live_server, cast.a.users[who])
    menu = page.locator("#main-nav")
    expected = MENU[who]
    for name in SECTION_NEEDS:
        link = menu.get_by_role("link", name=name, exact=True)
        if name in expected:
            expect(link).to_be_visible()
        else:
            expect(link).to_have_count(0)
    bell = menu.get_by_role("link", name=re.compile("notification"))
    expect(bell).to_be_visible()
    # Nothing else: the sections and the bell are the only links (the user menu is closed).
    expect(menu.get_by_role("link")).to_have_count(len(expected) + 1)
    expect(page.get_by_role("heading", level=1)).to_contain_text(cast.a.users[who].get_short_name())
    assert_accessible(page)

    if "Pupils" in expected:
        open_section(page, "Pupils", "Pupils")
        expect(page.get_by_role("link", name="Aardvark, Alice")).to_be_visible()
        assert_accessible(page)
        page.get_by_role("link", name="Aardvark, Alice").click()
        expect(page.get_by_role("heading", level=1)).to_have_text("Alice Aardvark")
        expect(page.get_by_role("heading", name="Safeguarding team only")).to_have_count(
            1 if Capability.FLAG_VULNERABLE in ROLE_CAPABILITIES[ROLE_OF[who]] else 0
        )
        assert_accessible(page)
        open_section(page, "Forms", "Forms")
        expect(page.get_by_role("link", name="7A", exact=True)).to_be_visible()
        assert_accessible(page)
    if "Staff" in expected:
        open_section(page, "Staff", "Staff")
        expect(page.get_by_role("link", name="TeacherA, Tutor")).to_be_visible()
        assert_accessible(page)
    if "Web filter" in expected:
        whole_register = Capability.DECIDE_FILTER_EXCEPTION in ROLE_CAPABILITIES[ROLE_OF[who]]
        open_section(page, "Web filter", "Filter exception requests" if whole_register else "My requests to open sites")
        assert_accessible(page)
    if "Filtering review" in expected:
        open_section(page, "Filtering review", "Yearly filtering and monitoring reviews")
        assert_accessible(page)
    if "Devices" in expected:
        open_section(page, "Devices", "Phone register")
        assert_accessible(page)
    if "Policies" in expected:
        manages = Capability.MANAGE_POLICIES in ROLE_CAPABILITIES[ROLE_OF[who]]
        open_section(page, "Policies", "Register of policies" if manages else "The school's policies")
        assert_accessible(page)
    if "Governors' report" in expected:
        open_section(page, "Governors' report", "Governors' e-safety report")
        assert_accessible(page)
    if "MIS import" in expected:
        open_section(page, "MIS import", "Import from the MIS")
        assert_accessible(page)
    if "Access log" in expected:
        open_section(page, "Access log", "Access log")
        assert_accessible(page)
    bell.click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Notifications")
    assert_accessible(page)


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_the_login_and_password_reset_pages_are_accessible(live_server, page: Page):
    page.goto(f"{live_server.url}/accounts/login/")
    expect(page.get_by_role("heading", level=1)).to_have_text("Log in")
    assert_accessible(page)
    page.get_by_role("link", name="Forgotten your password?").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Reset your password")
    assert_accessible(page)


def tab_to(page: Page, target, most: int = 15) -> None:
    """Press Tab until the target has the keyboard focus, as a keyboard user would."""
    for _ in range(most):
        page.keyboard.press("Tab")
        if target.evaluate("element => element === document.activeElement"):
            return
    pytest.fail(f"{most} presses of Tab did not reach {target}")


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_on_a_phone_a_teacher_opens_the_menu_with_the_keyboard_and_reaches_the_pupils(cast, live_server, new_context):
    page = new_context(viewport={"width": 375, "height": 812}).new_page()
    log_in(page, live_server, cast.a.users["teacher"])
    page.wait_for_load_state("load")  # measure the page with its style sheets applied
    assert page.evaluate("document.documentElement.scrollWidth") <= 375, "the home page scrolls sideways"

    toggler = page.get_by_role("button", name="Show or hide the menu")
    pupils = page.get_by_role("navigation", name="Main").get_by_role("link", name="Pupils", exact=True)
    expect(pupils).to_be_hidden()
    tab_to(page, toggler)
    page.keyboard.press("Enter")
    expect(toggler).to_have_attribute("aria-expanded", "true")
    expect(pupils).to_be_visible()
    tab_to(page, pupils)
    page.keyboard.press("Enter")
    expect(page.get_by_role("heading", level=1)).to_have_text("Pupils")
    expect(page.get_by_role("link", name="Aardvark, Alice")).to_be_visible()
    page.wait_for_load_state("load")
    assert page.evaluate("document.documentElement.scrollWidth") <= 375, "the pupil list scrolls sideways"
