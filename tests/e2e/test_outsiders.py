"""
What a person sees when they follow a link they may not use: another school's
record is not found (its existence is not revealed), and a page their role
does not include says so.
"""

import pytest
from playwright.sync_api import Page, expect

from tests.e2e.conftest import assert_accessible, log_in

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_a_teacher_of_school_b_finds_nothing_at_a_pupil_address_of_school_a(cast, live_server, page: Page):
    log_in(page, live_server, cast.b.users["teacher"])
    response = page.goto(f"{live_server.url}/pupils/{cast.a.pupil.pk}/")
    assert response.status == 404
    expect(page.get_by_role("heading", level=1)).to_have_text("Page not found")
    expect(page.get_by_text("Aardvark")).to_have_count(0)
    assert_accessible(page)


def test_a_governor_opening_the_pupil_list_is_told_it_is_not_part_of_their_role(cast, live_server, page: Page):
    log_in(page, live_server, cast.a.users["governor"])
    response = page.goto(f"{live_server.url}/pupils/")
    assert response.status == 403
    expect(page.get_by_role("heading", level=1)).to_have_text("You cannot use this page")
    expect(page.get_by_text("Aardvark")).to_have_count(0)
    assert_accessible(page)
