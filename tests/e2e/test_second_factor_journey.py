"""
Two-factor sign-in in the browser: a DSL sets up an authenticator app at their first sign-in (on a phone),
opens a restricted incident, and a quarter of an hour later is asked to confirm it is them before it opens
again; a backup code works once; signing in twice in the same half-minute takes the app's next code.

Codes are worked out as an authenticator app would: from the key the set-up page shows (base32), with
the app's usual settings (6 digits, a new code every 30 seconds from the Unix epoch).
"""

import time
from base64 import b32decode
from datetime import timedelta

import pytest
from django.conf import settings
from django.utils import timezone
from django_otp.oath import TOTP
from django_otp.plugins.otp_static.models import StaticToken
from django_otp.plugins.otp_totp.models import TOTPDevice
from playwright.sync_api import Page, expect
from qsessions.backends.db import SessionStore
from qsessions.models import Session

from esafety import second_factor
from esafety.second_factor import VERIFIED_AT_KEY
from tests.e2e.conftest import PASSWORD, assert_accessible, log_in

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

PHONE = {"width": 375, "height": 812}
STEP = 30  # seconds: how often an authenticator app shows a new code


class AuthenticatorApp:
    """The phone: holds the key typed from the set-up page and shows a code for the current 30 seconds.
    django-otp refuses a code used before, so a person who has just typed one waits for the next: here,
    the next step's code is typed at once (django-otp accepts one step either side, for slow clocks)."""

    def __init__(self, secret_shown: str):
        self.key = b32decode(secret_shown.replace(" ", "").upper())
        self.last_step = -1

    def code(self) -> str:
        totp = TOTP(self.key, step=STEP, t0=0, digits=6)
        totp.time = time.time()
        if totp.t() <= self.last_step:
            totp.time += STEP * (self.last_step + 1 - totp.t())
        self.last_step = totp.t()
        return f"{totp.token():06d}"


def no_sideways_scroll(page: Page) -> None:
    page.wait_for_load_state("load")  # measured with the style sheets applied
    assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"], f"{page.url} scrolls sideways"


def sign_in_with_password(page: Page, live_server, user) -> None:
    page.goto(f"{live_server.url}/accounts/login/")
    page.get_by_label("E-mail address").fill(user.email)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Log in").click()


def second_factor_given_minutes_ago(page: Page, minutes: int) -> None:
    """Move this browser's session's second-factor stamp back in time, as if the person had given it
    `minutes` ago (a travelled clock cannot reach the live server's thread)."""
    (cookie,) = [c for c in page.context.cookies() if c["name"] == settings.SESSION_COOKIE_NAME]
    stored = Session.objects.get(session_key=cookie["value"])
    # The same browser and address as stored, so that saving keeps them.
    session = SessionStore(session_key=stored.session_key, user_agent=stored.user_agent, ip=stored.ip)
    assert VERIFIED_AT_KEY in session
    session[VERIFIED_AT_KEY] = (timezone.now() - timedelta(minutes=minutes)).isoformat()
    session.save()


def test_a_dsl_sets_up_an_app_on_a_phone_and_confirms_it_is_them_before_a_restricted_incident(cast, live_server, new_context):
    dsl, incident = cast.a.users["dsl"], cast.a.restricted
    assert settings.SECOND_FACTOR_STEP_UP_SECONDS == 15 * 60
    phone = new_context(viewport=PHONE).new_page()

    # First sign-in: the password is right, and before any page comes the set-up.
    sign_in_with_password(phone, live_server, dsl)
    expect(phone).to_have_url(f"{live_server.url}/accounts/two-factor/set-up/?next=%2F")
    expect(phone.get_by_role("heading", level=1)).to_have_text("Set up two-factor sign-in")
    expect(phone.get_by_role("img", name="QR code to scan with your authenticator app").locator("svg")).to_be_visible()
    no_sideways_scroll(phone)
    assert_accessible(phone)

    # The QR code cannot be scanned here: the key is typed into the app instead.
    app = AuthenticatorApp(phone.locator("#secret").inner_text())
    phone.get_by_role("textbox", name="Code").fill(app.code())
    phone.get_by_role("button", name="Turn on two-factor sign-in").click()
    expect(phone.get_by_role("status").first).to_have_text("Two-factor sign-in is on.")
    expect(phone.get_by_role("heading", level=1)).to_have_text("Your backup codes")
    backup_codes = phone.get_by_role("list", name="Backup codes").get_by_role("listitem").all_inner_texts()
    assert len(backup_codes) == 10 and len(set(backup_codes)) == 10
    assert sorted(backup_codes) == sorted(second_factor.backup_codes_unused(dsl))
    assert TOTPDevice.objects.get(user=dsl).confirmed
    no_sideways_scroll(phone)
    assert_accessible(phone)
    phone.get_by_role("link", name="I have kept them: carry on").click()
    expect(phone).to_have_url(f"{live_server.url}/")

    # The second factor was given just now: the restricted incident opens at once.
    incident_url = f"{live_server.url}/incidents/{incident.pk}/"
    phone.goto(incident_url)
    expect(phone.get_by_role("heading", level=1)).to_contain_text(incident.reference)

    # A quarter of an hour later, the same session is asked again before the incident opens.
    second_factor_given_minutes_ago(phone, 16)
    phone.goto(incident_url)
    expect(phone).to_have_url(f"{live_server.url}/accounts/two-factor/?next=%2Fincidents%2F{incident.pk}%2F")
    expect(phone.get_by_role("heading", level=1)).to_have_text("Confirm it is you")
    expect(phone.get_by_text(incident.reference)).to_have_count(0)
    no_sideways_scroll(phone)
    assert_accessible(phone)
    phone.get_by_role("textbox", name="Code").fill(app.code())  # the next code, not the one used at the set-up
    phone.get_by_role("button", name="Confirm").click()
    expect(phone).to_have_url(incident_url)
    expect(phone.get_by_role("heading", level=1)).to_contain_text(incident.reference)


def test_a_backup_code_signs_the_dsl_in_once(cast, live_server, new_context):
    dsl = cast.a.users["dsl"]
    second_factor.second_factor_enrol_for_demo(user=dsl)  # set up earlier, the phone now lost
    code = second_factor.backup_codes_unused(dsl)[0]

    first = new_context().new_page()
    sign_in_with_password(first, live_server, dsl)
    expect(first.get_by_role("heading", level=1)).to_have_text("Two-factor sign-in")
    first.get_by_role("textbox", name="Code").fill(code)
    first.get_by_role("button", name="Sign in").click()
    expect(first).to_have_url(f"{live_server.url}/")
    assert not StaticToken.objects.filter(device__user=dsl, token=code).exists()

    # The same code again, on another computer: refused, and the form is still there to try another.
    second = new_context().new_page()
    sign_in_with_password(second, live_server, dsl)
    second.get_by_role("textbox", name="Code").fill(code)
    second.get_by_role("button", name="Sign in").click()
    expect(second.get_by_role("heading", level=1)).to_have_text("Two-factor sign-in")
    expect(second.get_by_text("That code is not right, or has been used already.")).to_be_visible()
    expect(second.get_by_role("textbox", name="Code")).to_be_visible()
    expect(second).to_have_url(f"{live_server.url}/accounts/two-factor/?next=%2F")
    assert_accessible(second)
    assert second.goto(f"{live_server.url}/").url.startswith(f"{live_server.url}/accounts/two-factor/")


def test_signing_in_again_within_half_a_minute_takes_the_apps_next_code(cast, live_server, new_context):
    # log_in (conftest) types the code a second or third sign-in in the same 30 seconds needs.
    dsl = cast.a.users["dsl"]
    for _ in range(3):
        log_in(new_context().new_page(), live_server, dsl)
    assert Session.objects.filter(user=dsl).count() == 3
