"""
The office keeps the school's term dates on a phone: from the home page to the screen, a CSV read in and
saved; a teacher finds their own requests to open sites in the web filter. Every page fits 375 px and passes axe-core.
"""

import pytest
from playwright.sync_api import Page, expect

from esafety.calendar import academic_year_start
from tests.e2e.conftest import assert_accessible, log_in

PHONE = {"width": 375, "height": 812}


def no_sideways_scroll(page: Page) -> None:
    page.wait_for_load_state("load")
    assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"], f"{page.url} scrolls sideways"


def _csv(start: int) -> bytes:
    end = start + 1
    return (
        "kind,starts_on,ends_on,description\n"
        f"Autumn term,03/09/{start},18/12/{start},\n"
        f"Autumn half-term,26/10/{start},30/10/{start},\n"
        f"Spring term,05/01/{end},27/03/{end},\n"
        f"Spring half-term,15/02/{end},19/02/{end},\n"
        f"Summer term,13/04/{end},21/07/{end},\n"
        f"Summer half-term,25/05/{end},29/05/{end},\n"
        f"INSET,02/09/{start},02/09/{start},Training day\n"
    ).encode()


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_the_office_reads_the_term_dates_from_a_file_on_a_phone_and_saves_them(cast, live_server, new_context):
    from django.utils import timezone

    start = academic_year_start(timezone.localdate())
    phone = new_context(viewport=PHONE).new_page()
    log_in(phone, live_server, cast.a.users["office"])
    phone.get_by_role("link", name="Check or enter the term dates").click()
    expect(phone.get_by_role("heading", level=1)).to_contain_text("Term dates")
    expect(phone.get_by_role("heading", name="The default pattern is in use")).to_be_visible()
    no_sideways_scroll(phone)
    assert_accessible(phone)

    phone.get_by_label("CSV or iCalendar (.ics) file").set_input_files(
        {"name": "terms.csv", "mimeType": "text/csv", "buffer": _csv(start)}
    )
    phone.get_by_role("button", name="Read the file").click()
    no_sideways_scroll(phone)
    phone.get_by_role("button", name="Save the dates for").click()

    expect(phone.get_by_role("status").filter(has_text="have been saved")).to_be_visible()
    expect(phone.get_by_role("heading", name="The default pattern is in use")).to_have_count(0)
    expect(phone.get_by_role("heading", name="The school's dates for")).to_be_visible()
    no_sideways_scroll(phone)
    assert_accessible(phone)


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_a_teacher_finds_their_filter_requests_on_a_phone(cast, live_server, new_context):
    phone = new_context(viewport=PHONE).new_page()
    log_in(phone, live_server, cast.a.users["teacher"])
    phone.get_by_role("button", name="Show or hide the menu").click()
    phone.get_by_role("navigation", name="Main").get_by_role("link", name="Web filter").click()
    # Their own requests, not the whole register the head teacher and IT keep.
    expect(phone.get_by_role("heading", level=1)).to_have_text("My requests to open sites")
    expect(phone.get_by_role("cell", name="Year 7 history: the museum's image archive (A)")).to_be_visible()
    no_sideways_scroll(phone)
    assert_accessible(phone)
