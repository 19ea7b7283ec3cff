"""
An incident from start to finish in the browser: a teacher logs a
cyberbullying incident on a phone; the DSL finds it on the dashboard,
assigns it, works its response checklist and closes it; a teacher cannot
reach a restricted incident; the head reads a case about a member of staff
on a phone. Every page on the way passes axe-core, and fits a phone
(tests/e2e/conftest.py measures each page at 375 px).
"""

import re

import pytest
from playwright.sync_api import Page, expect

from incidents.models import Incident
from tests.e2e.conftest import assert_accessible, log_in

PHONE = {"width": 375, "height": 812}


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_a_teacher_logs_cyberbullying_on_a_phone_and_the_dsl_handles_it_to_the_end(cast, live_server, new_context, page: Page):
    # The teacher, on a phone.
    phone = new_context(viewport=PHONE).new_page()
    log_in(phone, live_server, cast.a.users["teacher"])
    phone.get_by_role("main").get_by_role("link", name="Log an incident").click()
    expect(phone.get_by_role("heading", level=1)).to_have_text("Log an incident")
    assert_accessible(phone)

    form = phone.locator("#incident-log-form")
    form.get_by_label("Online").check()
    form.get_by_label("Find a pupil or member of staff").fill("Aardv")
    form.get_by_role("button", name=re.compile("Alice Aardvark")).click()
    form.get_by_label("Part of Alice Aardvark").select_option(label="Affected")
    form.get_by_label("What kind of incident?").select_option(label="Cyberbullying")
    form.get_by_label("What happened?").fill("Alice showed me messages in the class group chat calling her names.")
    form.get_by_label("What did you do straight away?").fill("Asked her to keep screenshots.")
    expect(form.get_by_label("Medium", exact=True)).not_to_be_checked()  # the reporter chooses: nothing ticked for them
    form.get_by_label("Medium", exact=True).check()
    assert_accessible(phone)
    form.get_by_role("button", name="Log the incident").click()
    expect(phone.get_by_role("heading", level=1)).to_contain_text("logged")
    incident = Incident.objects.filter(school=cast.a.school, description__startswith="Alice showed me").get()
    reference = incident.reference

    # The DSL, on a desktop: the dashboard shows it among the new and unassigned.
    log_in(page, live_server, cast.a.users["dsl"])
    page.get_by_role("navigation", name="Main").get_by_role("link", name="Incidents", exact=True).click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Incidents")
    new_queue = page.locator("section#new")
    row = new_queue.locator(f"#row-{incident.pk}")
    expect(row).to_contain_text("Cyberbullying")
    expect(row).to_contain_text("Alice Aardvark")
    # The trends follow the queues: their tables, and the charts drawn beside them.
    expect(page.locator("#table-half-terms")).to_contain_text("Cyberbullying")
    page.wait_for_function("() => window.Chart && Chart.getChart(document.getElementById('chart-half-terms'))")
    assert_accessible(page)
    row.get_by_text(f"Act on {reference}").click()
    row.get_by_label("Handled by").select_option(label="Dsl A")
    row.get_by_role("button", name=f"Assign {reference}").click()
    expect(page.get_by_role("status").first).to_contain_text(f"{reference} is now handled by Dsl A")
    open_row = page.locator("section#open").locator(f"#row-{incident.pk}")
    expect(open_row).to_contain_text("Handled by: Dsl A")

    # The case: work through the checklist, each step with a note.
    open_row.get_by_role("link", name=re.compile(reference)).click()
    expect(page.get_by_role("heading", level=1)).to_contain_text(reference)
    assert_accessible(page)
    steps = incident.checklist.count()
    assert steps > 0
    for number in range(1, steps + 1):
        checklist = page.locator("section#checklist")
        checklist.get_by_label(f"Note for step {number}").fill(f"Step {number} done with the tutor")
        checklist.get_by_role("button", name="Done").first.click()
        expect(page.get_by_role("status").first).to_contain_text("Checklist:")
    assert incident.checklist.filter(done_at__isnull=True).count() == 0
    assert incident.checklist.filter(note="Step 1 done with the tutor").exists()

    # Close it with an outcome; it leaves the open queue for the recently closed.
    close_form = page.locator("form", has=page.get_by_role("button", name="Close the incident"))
    close_form.get_by_label("Outcome").fill("Messages removed; apology given; parents informed.")
    close_form.get_by_role("button", name="Close the incident").click()
    expect(page.get_by_role("status").first).to_contain_text(f"{reference} has been closed")
    incident.refresh_from_db()
    assert incident.status == Incident.Status.CLOSED and incident.assigned_to == cast.a.users["dsl"]
    page.get_by_role("navigation", name="Main").get_by_role("link", name="Incidents", exact=True).click()
    expect(page.locator("section#closed").locator(f"#row-{incident.pk}")).to_be_visible()
    expect(page.locator("section#open").locator(f"#row-{incident.pk}")).to_have_count(0)


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_a_teacher_cannot_reach_a_restricted_incident(cast, live_server, page: Page):
    log_in(page, live_server, cast.a.users["teacher"])
    # The teacher logged it, yet it is the DSL team's alone: it does not exist for them.
    response = page.goto(f"{live_server.url}/incidents/{cast.a.restricted.pk}/")
    assert response.status == 404
    expect(page.get_by_role("heading", level=1)).not_to_contain_text(cast.a.restricted.reference)
    response = page.goto(f"{live_server.url}/incidents/{cast.a.restricted.pk}/pdf/")
    assert response.status == 403
    response = page.goto(f"{live_server.url}/incidents/list/?q={cast.a.restricted.reference}")
    assert response.status == 403


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_the_log_form_keeps_a_draft_adds_and_removes_people_and_warns_about_images(cast, live_server, page: Page):
    log_in(page, live_server, cast.a.users["teacher"])
    page.goto(f"{live_server.url}/incidents/log/")
    form = page.locator("#incident-log-form")

    # Someone outside the school, by name, and a pupil who is then removed again.
    form.get_by_label("Someone outside the school").fill("An adult on a gaming site")
    form.get_by_role("button", name="Add", exact=True).click()
    expect(form.get_by_label("Part of An adult on a gaming site")).to_be_visible()
    form.get_by_label("Part of An adult on a gaming site").select_option(label="Alleged to have caused it")
    form.get_by_label("Find a pupil or member of staff").fill("Aardv")
    form.get_by_role("button", name=re.compile("Alice Aardvark")).click()
    expect(form.get_by_label("Part of Alice Aardvark")).to_be_visible()
    form.get_by_role("button", name="Remove Alice Aardvark").click()
    expect(form.get_by_label("Part of Alice Aardvark")).to_have_count(0)
    form.get_by_label("Find a pupil or member of staff").fill("Aardv")
    form.get_by_role("button", name=re.compile("Alice Aardvark")).click()

    # An image category brings up the warning; another takes it away.
    warning = page.get_by_role("note").filter(has_text="Do not view, copy, forward or upload any images")
    expect(warning).to_be_hidden()
    form.get_by_label("What kind of incident?").select_option(label="Online sexual abuse or grooming")
    expect(warning).to_be_visible()
    form.get_by_label("High", exact=True).check()
    # Saved a moment after the typing stops (an earlier change may have been saved already): wait for this one.
    with page.expect_response(lambda r: r.url.endswith("/incidents/log/draft/") and "photos" in (r.request.post_data or "")):
        form.get_by_label("What happened?").fill("Alice says an adult asked her for photos.")
    expect(page.locator("#draft-status")).to_contain_text("Draft saved")

    # The tab is closed: the draft is still there next time.
    page.goto(f"{live_server.url}/")
    page.goto(f"{live_server.url}/incidents/log/")
    expect(page.get_by_text("We kept what you typed")).to_be_visible()
    expect(form.get_by_label("What happened?")).to_have_value("Alice says an adult asked her for photos.")
    expect(form.get_by_label("Part of An adult on a gaming site")).to_have_value("alleged")
    expect(form.get_by_label("Part of Alice Aardvark")).to_be_visible()
    expect(form.get_by_label("High", exact=True)).to_be_checked()
    expect(warning).to_be_visible()
    assert_accessible(page)

    form.get_by_role("button", name="Log the incident").click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("logged")
    expect(page.get_by_role("link", name="Open the incident")).to_have_count(0)  # restricted: a receipt only
    incident = Incident.objects.get(school=cast.a.school, description="Alice says an adult asked her for photos.")
    assert sorted(p.name for p in incident.people.all()) == ["Alice Aardvark", "An adult on a gaming site"]


# The owner lists on a case whose chosen name does not fit in the list as shown (a <select> cuts it off).
OWNERS_CUT_SHORT = """
selects => selects.filter((select) => {
  const style = getComputedStyle(select);
  const text = document.createElement("canvas").getContext("2d");
  text.font = style.font;
  const room = select.clientWidth - parseFloat(style.paddingLeft) - parseFloat(style.paddingRight);
  return text.measureText(select.selectedOptions[0].text).width > room;
}).map((select) => `${select.labels[0].textContent}: ${select.selectedOptions[0].text}`)
"""


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_the_head_opens_a_case_about_a_member_of_staff_on_a_phone(cast, live_server, new_context):
    incident = cast.a.staff_incident
    head = cast.a.users["head"]
    head.full_name = "Elizabeth Fitzwilliam-Darcy"  # a name as long as many
    head.save(update_fields=["full_name"])
    phone = new_context(viewport=PHONE).new_page()
    log_in(phone, live_server, head)
    phone.goto(f"{live_server.url}/incidents/")
    expect(phone.get_by_role("heading", level=1)).to_have_text("Incidents")
    # The trends arrive after the queues: the page, trends and all, still fits the phone.
    expect(phone.locator("#table-half-terms")).to_be_attached()
    assert phone.evaluate("document.documentElement.scrollWidth") <= 375
    assert_accessible(phone)  # the tables that scroll sideways here can be scrolled from the keyboard
    phone.locator(f"#row-{incident.pk}").get_by_role("link", name=re.compile(incident.reference)).click()
    expect(phone.get_by_role("heading", level=1)).to_contain_text(incident.reference)
    expect(phone.get_by_text("Restricted: the head teacher (about a member of staff)")).to_be_visible()
    assert_accessible(phone)
    # Who will own each action to add: the whole name shows.
    owners = phone.locator("#actions select")
    expect(owners.first).to_have_value(str(head.pk))
    assert owners.evaluate_all(OWNERS_CUT_SHORT) == []

    # The proposed actions, added: each says in words where it stands, with its owner and due date.
    phone.get_by_role("button", name="Add the ticked actions").click()
    expect(phone.get_by_role("status").first).to_contain_text("added")
    added = incident.actions.count()
    assert added >= 1
    rows = phone.locator("#actions").get_by_role("listitem").filter(has_text="To do")
    expect(rows).to_have_count(added)
    expect(rows.first).to_contain_text("Owner: Elizabeth Fitzwilliam-Darcy")
