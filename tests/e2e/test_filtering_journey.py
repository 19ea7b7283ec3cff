"""
The web filter in the browser, from one person to the next:

- a teacher asks for two sites to be opened for KS3 pupils from today; the head teacher, on a phone, finds the
  late request in their queue, is asked why it is accepted late and signs it off; IT approves it and marks it
  applied; the allowlist feed lists the sites at once, and the teacher's bell says they are open;
- a member of staff, on a phone, reports a site a pupil saw; the DSL is told, opens the report and escalates it
  to an incident with one click, the details and the pupil carried over;
- IT logs a change to the filter, and the head teacher, told of it, agrees it.

Every page on the way passes axe-core and fits a phone (tests/e2e/conftest.py measures each page at 375 px).
"""

import re
from datetime import timedelta

import pytest
from django.utils import timezone
from playwright.sync_api import Page, expect

from filtering.models import FilterChange, FilterExceptionRequest, FilterSettings, SiteReport
from incidents.models import Incident
from tests.e2e.conftest import assert_accessible, log_in

PHONE = {"width": 375, "height": 812}
PURPOSE = "Year 8 English: reading war poetry and the letters of soldiers in the national archive"


def day(value) -> str:
    """A date as the pages write it (Django's "j M Y")."""
    return f"{value.day} {value:%b %Y}"


def open_phone_menu(page: Page) -> None:
    """Unfold the main menu on a phone, and wait until it has finished opening (a link clicked while it still
    slides open can be missed)."""
    toggler = page.get_by_role("button", name="Show or hide the menu")
    toggler.click()
    expect(toggler).to_have_attribute("aria-expanded", "true")
    expect(page.locator("#main-nav")).to_have_class(re.compile(r"(^|\s)show(\s|$)"))


def open_web_filter(page: Page, *, phone: bool = False) -> None:
    """From any page, through the main menu (folded away on a phone)."""
    if phone:
        open_phone_menu(page)
    page.get_by_role("navigation", name="Main").get_by_role("link", name="Web filter").click()


def section_link(page: Page, name: str) -> None:
    page.get_by_role("navigation", name="Web filtering").get_by_role("link", name=name, exact=True).click()


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_a_teacher_asks_for_sites_the_head_and_it_open_them_and_the_feed_lists_them(cast, live_server, new_context, page: Page):
    today = timezone.localdate()
    last_day = today + timedelta(days=14)
    token = FilterSettings.objects.get(school=cast.a.school).feed_token
    feed_url = f"{live_server.url}/filtering/feed/{token}/pupils-ks3.txt"

    # The teacher, on a desktop: the web filter, their own requests, a new one.
    log_in(page, live_server, cast.a.users["teacher"])
    open_web_filter(page)
    expect(page.get_by_role("heading", level=1)).to_have_text("My requests to open sites")
    assert_accessible(page)
    page.get_by_role("main").get_by_role("link", name="Ask for sites to be opened").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Ask for sites to be opened")
    assert_accessible(page)

    page.get_by_label("Sites to open").fill("www.poetryarchive.org\nWWW.NATIONALARCHIVES.GOV.UK/")
    page.get_by_label("Kind of site").select_option(label="Educational resource")
    page.get_by_label("Lesson or purpose").fill(PURPOSE)
    # From today, for the lesson is now: less notice than the school asks for.
    page.get_by_label("Open from").fill(today.isoformat())
    page.get_by_label("Open until").fill(last_day.isoformat())
    page.get_by_label("KS3 pupils", exact=True).check()
    assert_accessible(page)
    page.get_by_role("button", name="Send to the head teacher").click()

    made = FilterExceptionRequest.objects.get(school=cast.a.school, purpose=PURPOSE)
    reference = made.reference
    expect(page.get_by_role("heading", level=1)).to_have_text(f"Request {reference} to open sites")
    expect(page.get_by_role("status").first).to_contain_text(f"{reference} is with the head teacher")
    expect(page.get_by_role("status").first).to_contain_text("marked late")
    # The sites as the filter reads them: lower case, the trailing slash gone.
    expect(page.locator("ul.sites code")).to_have_text(["www.poetryarchive.org", "www.nationalarchives.gov.uk"])
    expect(page.get_by_text("Status: Waiting for the head teacher")).to_be_visible()
    expect(page.get_by_text("Asked late:")).to_be_visible()
    expect(page.get_by_text(f"{today:%A} {day(today)} to {last_day:%A} {day(last_day)}")).to_be_visible()
    assert_accessible(page)
    assert made.is_late and made.status == FilterExceptionRequest.Status.SUBMITTED
    assert sorted(g.appliance_name for g in made.groups.all()) == ["pupils-ks3"]

    # The head teacher, on a phone: the queue waiting for them, the late request marked.
    head = new_context(viewport=PHONE).new_page()
    log_in(head, live_server, cast.a.users["head"])
    # Their home page says requests wait for them.
    expect(head.get_by_role("region", name="Web filter requests")).to_contain_text(
        re.compile(r"\d+ requests? to open sites waits? for your sign-off")
    )
    assert_accessible(head)
    open_web_filter(head, phone=True)
    expect(head.get_by_role("heading", level=1)).to_have_text("Filter exception requests")
    assert_accessible(head)
    section_link(head, "Waiting for me")
    expect(head.get_by_role("heading", level=1)).to_have_text("Waiting for your sign-off")
    waiting = head.get_by_role("listitem").filter(has_text=PURPOSE)
    expect(waiting).to_contain_text("Late")
    expect(waiting).to_contain_text("www.nationalarchives.gov.uk")
    assert_accessible(head)
    waiting.get_by_role("link", name=reference).click()
    expect(head.get_by_role("heading", level=1)).to_have_text(f"Request {reference} to open sites")
    assert_accessible(head)

    # Signed off without saying why it is accepted late: asked for it beside the field, nothing saved.
    sign_off = head.get_by_role("region", name="Your sign-off")
    sign_off.get_by_label("Sign it off").check()
    sign_off.get_by_label("Note", exact=True).fill("A good use of primary sources.")
    sign_off.get_by_role("button", name="Record my decision").click()
    sign_off = head.get_by_role("region", name="Your sign-off")
    expect(sign_off.get_by_text("This request was made late: say why it is accepted all the same.")).to_be_visible()
    expect(sign_off.get_by_label("Sign it off")).to_be_checked()
    expect(sign_off.get_by_label("Note", exact=True)).to_have_value("A good use of primary sources.")
    assert_accessible(head)
    made.refresh_from_db()
    assert made.status == FilterExceptionRequest.Status.SUBMITTED

    sign_off.get_by_label("Why it is accepted late").fill("The department's plan changed this week; the sites are well known.")
    sign_off.get_by_role("button", name="Record my decision").click()
    expect(head.get_by_role("status").first).to_have_text(f"{reference} is signed off and with IT.")
    expect(head.get_by_text("Accepted late because: The department's plan changed this week")).to_be_visible()
    expect(head.get_by_role("region", name="Your sign-off")).to_have_count(0)
    assert_accessible(head)

    # IT, on a desktop: the queue waiting for IT, the decision, then the sites opened on the filter.
    it = new_context().new_page()
    log_in(it, live_server, cast.a.users["it"])
    expect(it.get_by_role("region", name="Web filter requests")).to_contain_text(
        re.compile(r"\d+ requests? waits? for IT: to decide, apply or remove")
    )
    assert_accessible(it)
    open_web_filter(it)
    section_link(it, "Waiting for IT")
    expect(it.get_by_role("heading", level=1)).to_have_text("Waiting for IT")
    queued = it.get_by_role("listitem").filter(has_text=PURPOSE)
    expect(queued).to_contain_text("Waiting for IT")
    assert_accessible(it)
    queued.get_by_role("link", name=reference).click()
    expect(it.get_by_role("heading", level=1)).to_have_text(f"Request {reference} to open sites")
    assert_accessible(it)
    decision = it.get_by_role("region", name="IT's decision")
    decision.get_by_label("Approve it").check()
    decision.get_by_role("button", name="Record my decision").click()
    expect(it.get_by_role("status").first).to_contain_text(f"{reference} is approved")

    # Approved, not yet applied: the appliance is not told to let the sites through.
    before = it.request.get(feed_url)
    assert before.status == 200
    assert before.text() == ""

    applying = it.get_by_role("region", name="Apply on the filter")
    assert_accessible(it)
    applying.get_by_role("button", name="Mark as applied").click()
    expect(it.get_by_role("status").first).to_contain_text(
        f"{reference} is marked as applied: it is in the allowlist feed from {day(today)} to {day(last_day)}."
    )
    expect(it.get_by_text("Status: Open on the filter")).to_be_visible()
    assert_accessible(it)

    # The feed the filter appliance pulls lists both sites at once: the first day is today.
    after = it.request.get(feed_url)
    assert after.status == 200
    assert after.headers["content-type"].startswith("text/plain")
    assert after.text() == "www.nationalarchives.gov.uk\nwww.poetryarchive.org\n"
    # The other groups' lists are not touched.
    assert it.request.get(f"{live_server.url}/filtering/feed/{token}/staff.txt").text() == ""

    # The teacher's bell says the sites are open; the notification leads to the request.
    page.goto(f"{live_server.url}/")
    page.get_by_role("navigation", name="Main").get_by_role("link", name=re.compile("unread notification")).click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Notifications")
    opened = page.get_by_role("button", name=f"{reference}: open on the filter from {day(today)} to {day(last_day)}")
    expect(opened).to_be_visible()
    expect(page.get_by_role("button", name=f"{reference}: signed off by the head teacher, now with IT")).to_be_visible()
    assert_accessible(page)
    opened.click()
    expect(page.get_by_role("heading", level=1)).to_have_text(f"Request {reference} to open sites")
    expect(page.get_by_text("Status: Open on the filter")).to_be_visible()
    assert_accessible(page)

    made.refresh_from_db()
    assert made.status == FilterExceptionRequest.Status.ACTIVE
    assert made.head_decided_by == cast.a.users["head"] and made.it_decided_by == cast.a.users["it"]
    assert made.applied_by == cast.a.users["it"]
    assert made.late_reason.startswith("The department's plan changed")


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_a_reported_site_that_a_pupil_saw_is_escalated_by_the_dsl_to_an_incident(cast, live_server, new_context, page: Page):
    address = "https://free-games-unblocked.example.net/play?game=42"

    # A member of staff, on a phone, from the web filter's site reports.
    phone = new_context(viewport=PHONE).new_page()
    log_in(phone, live_server, cast.a.users["teacher"])
    open_web_filter(phone, phone=True)
    section_link(phone, "Site reports")
    expect(phone.get_by_role("heading", level=1)).to_have_text("Unsuitable-site reports")
    assert_accessible(phone)
    phone.get_by_role("main").get_by_role("link", name="Report a site").click()
    expect(phone.get_by_role("heading", level=1)).to_have_text("Report an unsuitable site")
    assert_accessible(phone)

    phone.get_by_label("Address of the site").fill(address)
    phone.get_by_label("What was seen").fill("A games site with violent adverts, open on a pupil's screen in the lesson.")
    phone.get_by_label("Where").fill("Room 12, laptop 7")
    phone.get_by_label("Who found it").fill("Alice, who told me straight away")
    phone.get_by_label("Pupils who saw it (optional)").select_option(label="Aardvark, Alice (7A)")
    assert_accessible(phone)
    phone.get_by_role("button", name="Send the report").click()

    report = SiteReport.objects.get(school=cast.a.school, url=address)
    expect(phone.get_by_role("heading", level=1)).to_have_text(f"Site report {report.reference}")
    expect(phone.get_by_role("status").first).to_have_text(
        f"Thank you: report {report.reference} has been sent to the DSL and the e-safety lead."
    )
    expect(phone.get_by_text("free-games-unblocked.example.net", exact=True)).to_be_visible()
    assert_accessible(phone)
    assert [p.pk for p in report.pupils.all()] == [cast.a.pupil.pk]

    # The DSL, on a desktop: the bell has the report, which opens on its page.
    log_in(page, live_server, cast.a.users["dsl"])
    page.get_by_role("navigation", name="Main").get_by_role("link", name=re.compile("unread notification")).click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Notifications")
    told = page.get_by_role("button", name=f"Site report {report.reference}: a site was reported")
    expect(told).to_be_visible()
    assert_accessible(page)
    told.click()
    expect(page.get_by_role("heading", level=1)).to_have_text(f"Site report {report.reference}")
    expect(page.get_by_role("region", name="What was reported")).to_contain_text("Alice Aardvark")
    assert_accessible(page)

    # One click: an incident, with the report's details and the pupil.
    page.get_by_role("region", name="Decide").get_by_role("button", name="Escalate to an incident").click()
    report.refresh_from_db()
    assert report.status == SiteReport.Status.ESCALATED
    incident = Incident.objects.get(pk=report.incident_id)
    expect(page.get_by_role("heading", level=1)).to_contain_text(f"Incident {incident.reference}")
    expect(page.get_by_role("status").first).to_contain_text(
        f"{report.reference} has been escalated to incident {incident.reference}"
    )
    expect(page.get_by_role("main")).to_contain_text(f"Address of the site (do not visit it): {address}")
    expect(page.get_by_role("main")).to_contain_text(f"Escalated from site report {report.reference}")
    people = page.get_by_role("region", name="People involved")
    expect(people.get_by_role("listitem").filter(has_text="Alice Aardvark")).to_be_visible()
    assert_accessible(page)
    assert [person.pupil_id for person in incident.people.all()] == [cast.a.pupil.pk]


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_it_logs_a_change_to_the_filter_and_the_head_agrees_it_on_a_phone(cast, live_server, new_context, page: Page):
    description = "Blocked the 'Generative AI' category for every pupil group."

    # IT, on a desktop, from the web filter's change log.
    log_in(page, live_server, cast.a.users["it"])
    open_web_filter(page)
    section_link(page, "Change log")
    expect(page.get_by_role("heading", level=1)).to_have_text("Filter change log")
    assert_accessible(page)
    page.get_by_role("main").get_by_role("link", name="Log a change").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Log a change to the filter")
    assert_accessible(page)
    page.get_by_role("combobox", name=re.compile(r"^Change\*?$")).select_option(label="A category blocked")
    page.get_by_label("For whom or what").fill("All pupil groups")
    page.get_by_label("What was changed").fill(description)
    page.get_by_role("textbox", name=re.compile(r"^Why\*?$")).fill(
        "Pupils were using chat tools to write homework; the AUP does not allow them."
    )
    page.get_by_label("Risk assessment").fill("Low: teachers can ask for a tool to be opened for a lesson.")
    page.get_by_label("The head teacher agreed before the change").check()
    page.get_by_role("button", name="Log the change").click()
    expect(page.get_by_role("status").first).to_have_text("The change has been logged, and the head teacher asked to agree it.")
    expect(page.get_by_text("Waiting for the head teacher's agreement")).to_be_visible()
    assert_accessible(page)
    change = FilterChange.objects.get(school=cast.a.school, description=description)
    assert change.made_by == cast.a.users["it"] and change.agreed_at is None

    # The head teacher, on a phone: told by the bell, agrees it from the notification.
    head = new_context(viewport=PHONE).new_page()
    log_in(head, live_server, cast.a.users["head"])
    open_phone_menu(head)
    head.get_by_role("navigation", name="Main").get_by_role("link", name=re.compile("unread notification")).click()
    expect(head.get_by_role("heading", level=1)).to_have_text("Notifications")
    assert_accessible(head)
    head.get_by_role("button", name="A change to the web filter waits for your agreement").click()
    expect(head.get_by_role("heading", level=1)).to_have_text("A category blocked")
    expect(head.get_by_role("main")).to_contain_text(description)
    assert_accessible(head)
    head.get_by_role("button", name="I agree this change").click()
    expect(head.get_by_role("status").first).to_have_text("You have agreed the change.")
    expect(head.get_by_text("Agreed by the head teacher", exact=True)).to_be_visible()
    expect(head.get_by_role("button", name="I agree this change")).to_have_count(0)
    assert_accessible(head)
    change.refresh_from_db()
    assert change.agreed_by == cast.a.users["head"]


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_it_and_the_head_keep_the_feed_the_settings_and_the_reviews_on_a_phone(cast, live_server, new_context):
    """Every page IT and the head teacher keep the filter with: each passes axe-core and fits 375 px (the teardown)."""
    it = new_context(viewport=PHONE).new_page()
    log_in(it, live_server, cast.a.users["it"])
    it.goto(f"{live_server.url}/filtering/feed/")
    expect(it.get_by_role("heading", level=1)).to_have_text("Allowlist feed")
    token = FilterSettings.objects.get(school=cast.a.school).feed_token
    expect(it.get_by_role("main")).to_contain_text(f"/filtering/feed/{token}/pupils-ks3.txt")
    assert_accessible(it)
    it.goto(f"{live_server.url}/filtering/settings/")
    expect(it.get_by_role("heading", level=1)).to_have_text("Filtering settings")
    assert_accessible(it)
    it.goto(f"{live_server.url}/filtering/reports/")
    expect(it.get_by_role("heading", level=1)).to_have_text("Unsuitable-site reports")
    assert_accessible(it)

    # The head teacher reviews the logs since the last review and signs it off.
    head = new_context(viewport=PHONE).new_page()
    log_in(head, live_server, cast.a.users["head"])
    head.goto(f"{live_server.url}/filtering/reviews/")
    expect(head.get_by_role("heading", level=1)).to_have_text("Reviews of the filtering logs")
    assert_accessible(head)
    head.goto(f"{live_server.url}/filtering/reviews/new/")
    expect(head.get_by_role("heading", level=1)).to_have_text("Review the filtering logs")
    assert_accessible(head)
    head.get_by_role("textbox").first.fill("Requests all decided within two school days; no changes without agreement.")
    head.get_by_role("button", name="Sign off the review").click()
    expect(head.get_by_role("main")).to_contain_text("Requests all decided within two school days")
    assert_accessible(head)
    head.goto(f"{live_server.url}/filtering/yearly/")
    expect(head.get_by_role("heading", level=1)).to_have_text("Yearly filtering and monitoring reviews")
    assert_accessible(head)
