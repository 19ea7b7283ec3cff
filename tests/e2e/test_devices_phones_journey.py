"""
The phone register in the browser: a tutor, on a phone 375 px wide, opens their form's morning register from the
menu, scans a pupil's pouch, marks a pupil absent, uses "Everyone present handed in", unticks a pupil who has no
phone today, and saves; in the afternoon, "All collected" and the phones are handed back. Every page passes
axe-core and fits the phone (tests/e2e/conftest.py).

The clock is moved to the next school day at 08:30, so that the register is open whatever day the test runs on.
"""

import re
from datetime import datetime

import pytest
from django.utils import timezone
from playwright.sync_api import Page, expect

from devices.models import PhoneRecord
from devices.selectors.phones import calendar_around
from tests import factories as f
from tests.e2e.conftest import assert_accessible, log_in

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

PHONE = {"width": 375, "height": 812}
Status = PhoneRecord.Status


def uk_day(day) -> str:
    """A day as the pages put it in a sentence: "Wed 25 Nov 2026"."""
    return f"{day:%a} {day.day} {day:%b %Y}"


def settled(page: Page) -> Page:
    """The pointer moved off the buttons, and their colour changes over: axe-core reads the colours as they end."""
    page.mouse.move(0, 0)
    page.wait_for_timeout(400)
    return page


def test_a_tutor_keeps_the_morning_register_and_the_afternoon_on_a_phone(cast, live_server, new_context, time_machine):
    today = timezone.localdate()
    day = calendar_around(cast.a.school, today).next_school_day(today)
    time_machine.move_to(datetime(day.year, day.month, day.day, 8, 30, tzinfo=timezone.get_current_timezone()), tick=True)
    ben = f.make_pupil(cast.a.school, "Ben", "Birch", form=cast.a.form, mis_id="e2e1")
    cara = f.make_pupil(cast.a.school, "Cara", "Cole", form=cast.a.form, mis_id="e2e2")
    dan = f.make_pupil(cast.a.school, "Dan", "Dale", form=cast.a.form, mis_id="e2e3")

    page = new_context(viewport=PHONE).new_page()
    log_in(page, live_server, cast.a.users["teacher"])
    # The home page says the morning register waits.
    expect(page.get_by_role("region", name="Phone register")).to_contain_text("7A: morning register not done")
    assert_accessible(page)

    toggler = page.get_by_role("button", name="Show or hide the menu")
    toggler.click()
    expect(toggler).to_have_attribute("aria-expanded", "true")
    expect(page.locator("#main-nav")).to_have_class(re.compile(r"(^|\s)show(\s|$)"))
    page.get_by_role("navigation", name="Main").get_by_role("link", name="Devices").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Phone register")
    expect(page.get_by_role("heading", name="Your form")).to_be_visible()
    assert_accessible(page)

    page.get_by_role("link", name="Morning register of 7A").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("7A: morning register")
    alice = page.get_by_role("group", name="Aardvark, Alice")
    expect(alice).to_contain_text("Keeps their phone: young carer")
    assert_accessible(page)

    # Ben's pouch is 12: typed in his row, then scanned, which ticks him.
    rows = {name: page.get_by_role("group", name=name) for name in ("Birch, Ben", "Cole, Cara", "Dale, Dan")}
    rows["Birch, Ben"].get_by_label("Pouch or locker").fill("12")
    scan = page.get_by_label("Scan or type a pouch or locker number")
    scan.fill("12")
    scan.press("Enter")
    status = page.locator("[data-register-status]")
    expect(status).to_have_text("Birch, Ben: handed in, pouch or locker 12.")
    expect(rows["Birch, Ben"].get_by_label("Handed in")).to_be_checked()
    expect(scan).to_have_value("")

    # Cara is away; everyone present handed their phone in, except Dan, who has none today.
    rows["Cole, Cara"].locator("label", has_text="Absent").click()
    page.get_by_role("button", name="Everyone present handed in").click()
    expect(status).to_contain_text("Everyone present is ticked as handed in (2).")
    expect(rows["Dale, Dan"].get_by_label("Handed in")).to_be_checked()
    expect(rows["Cole, Cara"].get_by_label("Handed in")).not_to_be_checked()
    rows["Dale, Dan"].locator("label", has_text="Handed in").click()
    expect(rows["Dale, Dan"].get_by_label("Handed in")).not_to_be_checked()
    assert_accessible(settled(page))
    page.get_by_role("button", name="Save the register").first.click()

    expect(page.get_by_role("status").first).to_have_text(
        f"7A, {uk_day(day)}: the register is saved. 1 phone handed in, 1 with no phone handed in, 1 absent, 1 keeps their phone."
    )
    expect(rows["Birch, Ben"]).to_contain_text("Saved: handed in, pouch or locker 12")
    assert_accessible(page)
    saved = {r.pupil_id: (r.status, r.storage) for r in PhoneRecord.objects.filter(day=day)}
    assert saved == {
        cast.a.pupil.pk: (Status.KEEPS, ""),
        ben.pk: (Status.HANDED_IN, "12"),
        cara.pk: (Status.ABSENT, ""),
        dan.pk: (Status.NOT_HANDED_IN, ""),
    }

    # The afternoon: every phone back at once.
    page.get_by_role("link", name="Afternoon: phones handed back").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("7A: phones handed back")
    expect(page.get_by_role("group", name="Birch, Ben")).to_contain_text("Pouch or locker 12")
    assert_accessible(page)
    page.get_by_role("button", name="All collected").click()
    expect(page.get_by_role("group", name="Birch, Ben").get_by_label("Handed back")).to_be_checked()
    page.get_by_role("button", name="Save").first.click()
    expect(page.get_by_role("status").first).to_have_text(f"7A, {uk_day(day)}: 1 phone handed back.")
    expect(page.get_by_role("main")).to_contain_text("Every phone is handed back.")
    assert_accessible(page)
    record = PhoneRecord.objects.get(pupil=ben, day=day)
    assert record.collected_by == cast.a.users["teacher"] and record.collected_at is not None
