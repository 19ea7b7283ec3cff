"""
Consents in the browser: the office prints a form's slips, records returned
slips by their code and sees the chasing list shrink; a teacher checks a
form before a trip. Every page is checked with axe-core.
"""

import io

import pytest
from playwright.sync_api import Page, expect
from pypdf import PdfReader

from consents import services
from consents.models import ConsentSlip
from tests import factories as f
from tests.e2e.conftest import assert_accessible, log_in

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_the_office_prints_slips_records_returns_and_the_chasing_list_shrinks(cast, live_server, page: Page):
    carys = f.make_pupil(cast.a.school, "Carys", "Crane", form=cast.a.form, mis_id="a003")
    services.round_slips_ensure(consent_round=cast.a.round)
    carys_slip = ConsentSlip.objects.get(round=cast.a.round, pupil=carys)

    log_in(page, live_server, cast.a.users["office"])
    expect(page.get_by_role("heading", name="Consent slips to chase")).to_be_visible()
    page.get_by_role("navigation", name="Main").get_by_role("link", name="Consents", exact=True).click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Consent collection rounds")
    assert_accessible(page)
    page.get_by_role("link", name="Consents A").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Consents A")
    assert_accessible(page)

    # Print the form's slips: a PDF with both pupils and their codes.
    href = page.get_by_role("link", name="All slips for 7A").get_attribute("href")
    pdf = page.context.request.get(f"{live_server.url}{href}")
    assert pdf.headers["content-type"] == "application/pdf"
    text = " ".join(p.extract_text() for p in PdfReader(io.BytesIO(pdf.body())).pages)
    assert "Carys Crane" in text and "Alice Aardvark" in text and carys_slip.display_code in text

    page.get_by_role("link", name="Who still has to answer").click()
    chasing = page.get_by_role("table", name="Pupils with answers missing")
    expect(chasing.get_by_role("link", name="Crane, Carys")).to_be_visible()
    expect(chasing.get_by_role("link", name="Aardvark, Alice")).to_be_visible()
    assert_accessible(page)

    # Record Carys's slip by its code, typed as it is printed.
    page.get_by_role("navigation", name="Main").get_by_role("link", name="Consents", exact=True).click()
    page.get_by_role("navigation", name="Consents").get_by_role("link", name="Record returned slips").click()
    page.get_by_label("Slip code").fill(carys_slip.display_code.lower())
    page.get_by_role("button", name="Find the slip").click()
    slip = page.get_by_role("region", name=f"Slip {carys_slip.display_code}: Carys Crane, 7A")
    expect(slip).to_be_visible()
    assert_accessible(page)
    for title in cast.a.round.consent_types.values_list("title", flat=True):
        slip.get_by_role("group", name=title).get_by_label("Yes").check()
    slip.get_by_role("button", name="Save the answers").click()
    expect(
        page.get_by_role("status").filter(has_text=f"Slip {carys_slip.display_code} for Carys Crane (7A): 5 answers recorded")
    ).to_be_visible()
    expect(page.get_by_label("Slip code")).to_be_empty()

    # A slip of another school is refused, and says why.
    page.get_by_label("Slip code").fill(cast.b.slip.code)
    page.get_by_role("button", name="Find the slip").click()
    expect(page.get_by_text("A slip printed by another school cannot be recorded here.")).to_be_visible()

    page.goto(f"{live_server.url}/consents/rounds/{cast.a.round.pk}/chasing/")
    chasing = page.get_by_role("table", name="Pupils with answers missing")
    expect(chasing.get_by_role("link", name="Crane, Carys")).to_have_count(0)
    expect(chasing.get_by_role("link", name="Aardvark, Alice")).to_be_visible()


def test_a_teacher_checks_a_form_before_a_trip(cast, live_server, page: Page):
    f.make_pupil(cast.a.school, "Carys", "Crane", form=cast.a.form, mis_id="a003")
    log_in(page, live_server, cast.a.users["teacher"])
    page.get_by_role("navigation", name="Main").get_by_role("link", name="Photo check").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Photo and publication check")
    assert_accessible(page)
    page.get_by_label("Form").select_option(label="7A")
    page.get_by_role("button", name="Check").click()
    table = page.get_by_role("table", name="Photo and publication consent by pupil")
    rows = table.get_by_role("row")
    expect(rows).to_have_count(3)  # the heading and two pupils
    # Carys has no answers at all: she is first, marked in words.
    expect(rows.nth(1)).to_contain_text("Crane, Carys")
    expect(rows.nth(1)).to_contain_text("No photos at all")
    expect(rows.nth(2)).to_contain_text("Aardvark, Alice")
    expect(rows.nth(2).get_by_role("cell").nth(3)).to_have_text("Yes")  # photos on the website
    expect(rows.nth(2).get_by_role("cell").nth(1)).to_contain_text("No answer")
    assert_accessible(page)


def test_a_parent_withdraws_consent_by_phone_and_the_teacher_who_checked_is_warned(cast, live_server, page: Page, new_context):
    # The teacher checks 7A before a trip: Alice may appear on the website.
    teacher = new_context().new_page()
    log_in(teacher, live_server, cast.a.users["teacher"])
    teacher.goto(f"{live_server.url}/consents/photo-check/")
    teacher.get_by_label("Form").select_option(label="7A")
    teacher.get_by_role("button", name="Check").click()
    alice = teacher.get_by_role("table", name="Photo and publication consent by pupil").get_by_role("row").nth(1)
    expect(alice.get_by_role("cell").nth(3)).to_have_text("Yes")

    # Her parent rings the office, which finds Alice from the pupil list and withdraws the consent.
    log_in(page, live_server, cast.a.users["office"])
    page.get_by_role("navigation", name="Main").get_by_role("link", name="Pupils", exact=True).click()
    page.get_by_role("link", name="Aardvark, Alice").click()
    page.get_by_role("main").get_by_role("link", name="Consents").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Consents: Alice Aardvark")
    page.get_by_role("link", name=cast.a.answer.consent_type.title).click()
    withdraw = page.get_by_role("region", name="Withdraw this consent")
    withdraw.get_by_label("Withdrawn by").select_option(label=str(cast.a.parent))
    withdraw.get_by_label("Note").fill("Mother rang the office")
    assert_accessible(page)
    withdraw.get_by_role("button", name="Withdraw consent").click()
    expect(page.get_by_role("status").first).to_contain_text("Alice Aardvark now counts as no")

    # The teacher is told, and the check now says no, in words.
    teacher.goto(f"{live_server.url}/notifications/")
    expect(teacher.get_by_role("main")).to_contain_text("Alice Aardvark")
    teacher.goto(f"{live_server.url}/consents/photo-check/?form={cast.a.form.pk}")
    alice = teacher.get_by_role("table", name="Photo and publication consent by pupil").get_by_role("row").nth(1)
    expect(alice.get_by_role("cell").nth(3)).not_to_have_text("Yes")
    expect(alice).to_contain_text("No photos at all")


def test_staff_are_asked_to_accept_the_staff_agreement_when_they_log_in(cast, live_server, page: Page):
    from consents.models import ConsentType

    ConsentType.objects.filter(school=cast.a.school, kind=ConsentType.Kind.STAFF_AUP).update(is_active=True)
    page.goto(f"{live_server.url}/accounts/login/")
    page.get_by_label("E-mail address").fill(cast.a.users["teacher"].email)
    page.get_by_label("Password").fill("a-test-password")
    page.get_by_role("button", name="Log in").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Staff acceptable-use agreement")
    assert_accessible(page)
    # Every page leads back here until it is accepted.
    page.goto(f"{live_server.url}/pupils/")
    expect(page.get_by_role("heading", level=1)).to_have_text("Staff acceptable-use agreement")
    page.get_by_role("button", name="Accept the agreement").click()
    expect(page.get_by_text("This field is required")).to_be_visible()
    page.get_by_label("I have read this agreement and I will keep to it.").check()
    page.get_by_role("button", name="Accept the agreement").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Pupils")
