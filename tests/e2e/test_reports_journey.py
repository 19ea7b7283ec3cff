"""
The governors' annual e-safety report in the browser, from the lead to a governor: the e-safety lead builds last
academic year's report from the menu, reads the draft's figures, writes a summary for governors and publishes it (in
place of the version published before); a governor finds it on their home page, reads it (the summary, a chart
beside its table, small numbers hidden, no pupil named), downloads the PDF, and is kept out of the records behind
it. Every page on the way passes axe-core and fits a phone (tests/e2e/conftest.py measures each page at 375 px).
"""

import re
from datetime import datetime, time, timedelta
from io import BytesIO
from pathlib import Path

import pytest
from django.urls import reverse
from django.utils import timezone
from playwright.sync_api import expect
from pypdf import PdfReader

from esafety.models import Notification
from reports.models import ReportStatus, SchoolReport
from reports.selectors import last_academic_year
from tests.e2e.conftest import assert_accessible, log_in
from tests.incidents.incident_factory import log_incident

SUMMARY = (
    "Cyberbullying remains the concern raised most often, and most cases were closed within a week. "
    "Next year every form will have a session on reporting unkind messages."
)
CHART = "Chart of the table beside it: "


def _one_line(text: str) -> str:
    return re.sub(r"\s+", " ", text)


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_the_lead_publishes_last_years_report_and_a_governor_reads_it_without_the_records(cast, live_server, new_context):
    school, year = cast.a.school, last_academic_year()
    # Last year's incidents, Alice named in each: enough cyberbullying to be shown and charted, so few phone
    # incidents that they are hidden.
    march = timezone.make_aware(datetime.combine(year.starts_on.replace(year=year.start_year + 1, month=3), time(11)))
    for day in range(6):
        log_incident(cast.a, kind="Cyberbullying", when=march + timedelta(days=day))
    for day in range(2):
        log_incident(cast.a, kind="Use of a phone", when=march + timedelta(days=10 + day))
    year_page = cast.a.report  # version 1, published: the new version takes its place

    # The lead: from the menu to the section, where last year is the year offered.
    lead = new_context().new_page()
    log_in(lead, live_server, cast.a.users["lead"])
    assert_accessible(lead)
    lead.locator("#main-nav").get_by_role("link", name="Governors' report").click()
    expect(lead.get_by_role("heading", level=1)).to_have_text("Governors' e-safety report")
    expect(lead.get_by_label("Academic year")).to_have_value(str(year.pk))
    assert_accessible(lead)
    lead.get_by_role("button", name="Build the report for the year chosen").click()

    # The new version's page: the draft and its figures (tasks run in-process here, so the build has finished).
    expect(lead.get_by_role("heading", level=1)).to_have_text(f"Online safety report to governors {year}")
    expect(lead.get_by_role("heading", name="A draft: governors cannot see it yet")).to_be_visible(timeout=60_000)
    report = SchoolReport.objects.get(school=school, academic_year=year, version=3)
    assert report.status == ReportStatus.DRAFT and report.requested_by == cast.a.users["lead"]
    expect(lead.get_by_text("Version 3", exact=False).first).to_be_visible()
    expect(lead.get_by_role("heading", level=2, name="Incidents")).to_be_visible()
    expect(lead.locator("section.report-section").first).to_contain_text("Incidents by category")
    expect(lead.get_by_text("No summary yet: write a few paragraphs for governors before you publish.")).to_be_visible()
    assert_accessible(lead)

    # The summary for governors.
    lead.get_by_role("link", name="Write your summary").click()
    expect(lead.get_by_role("heading", level=1)).to_have_text(f"Your summary for governors: {year}")
    assert_accessible(lead)
    lead.get_by_label("Your summary for governors").fill(SUMMARY)
    lead.get_by_role("button", name="Save the summary").click()
    expect(lead.get_by_role("status").first).to_contain_text("Your summary has been saved.")
    expect(lead.locator(".report-narrative")).to_have_text(SUMMARY)
    assert_accessible(lead)

    # Published: it takes the place of version 1; version 2, a draft, stays one.
    lead.get_by_role("button", name="Publish it for the governors").click()
    expect(lead.get_by_role("status").first).to_contain_text(f"The report for {year} is published: the governors have been told.")
    expect(lead.locator(".badge", has_text="Published")).to_be_visible()
    expect(lead.get_by_role("heading", name="A draft: governors cannot see it yet")).to_have_count(0)
    assert_accessible(lead)
    statuses = dict(SchoolReport.objects.filter(school=school, academic_year=year).values_list("version", "status"))
    assert statuses == {1: ReportStatus.SUPERSEDED, 2: ReportStatus.DRAFT, 3: ReportStatus.PUBLISHED}
    report.refresh_from_db()
    assert report.narrative == SUMMARY and report.published_by == cast.a.users["lead"]
    governor_user = cast.a.users["governor"]
    assert Notification.objects.filter(
        recipient=governor_user, title=f"The governors' e-safety report for {year} has been published"
    ).exists()

    # A governor: the home page leads to the new version.
    governor = new_context(accept_downloads=True).new_page()
    log_in(governor, live_server, governor_user)
    panel = governor.locator("section", has=governor.get_by_role("heading", name="Governors' e-safety report"))
    expect(panel).to_contain_text(f"Governors' report {year}, published {timezone.localdate():%-d %b %Y}.")
    assert_accessible(governor)
    panel.get_by_role("link", name=f"Governors' report {year}").click()
    expect(governor).to_have_url(f"{live_server.url}{reverse('reports:report_detail', args=[report.pk])}")
    expect(governor.get_by_role("heading", level=1)).to_have_text(f"Online safety report to governors {year}")
    expect(governor.locator(".report-narrative")).to_have_text(SUMMARY)
    # No draft, no version numbers, nothing to write: a reader's page.
    expect(governor.get_by_role("button", name="Publish it for the governors")).to_have_count(0)
    expect(governor.get_by_role("link", name="Write your summary")).to_have_count(0)

    # A chart, described in words, beside the table it draws.
    figures = governor.locator(".report-figures").filter(has=governor.locator(f'img[alt^="{CHART}"]')).first
    chart = figures.get_by_role("img")
    expect(chart).to_be_visible()
    caption = figures.locator("table caption").inner_text()
    expect(chart).to_have_attribute("alt", re.compile("^" + re.escape(f"{CHART}{caption}")))
    expect(figures.locator("table")).to_be_visible()
    # The phone incidents, too few to show.
    by_category = governor.locator("table", has=governor.locator("caption", has_text="Incidents by category"))
    phone_row = by_category.get_by_role("row").filter(has_text="phone")
    expect(phone_row.locator("td").first).to_have_text("fewer than 5")
    expect(governor.locator("td.report-hidden").first).to_have_text(re.compile(r"^(fewer than 5|not shown.*)$"))
    page_text = governor.locator("body").inner_text()
    for name in (cast.a.pupil.first_name, cast.a.pupil.last_name):
        assert name not in page_text and name not in governor.content()
    assert_accessible(governor)

    # The PDF, as governors download it.
    with governor.expect_download() as download_info:
        governor.get_by_role("link", name="Download the PDF").click()
    download = download_info.value
    assert download.suggested_filename == f"governors-report-{year.label.replace('/', '-')}-v3.pdf"
    pdf_text = _one_line(" ".join(page.extract_text() for page in PdfReader(BytesIO(Path(download.path()).read_bytes())).pages))
    assert school.name in pdf_text
    assert str(year) in pdf_text
    assert _one_line(SUMMARY) in pdf_text
    assert "Published on" in pdf_text
    for name in (cast.a.pupil.first_name, cast.a.pupil.last_name):
        assert name not in pdf_text

    # Versions governors no longer see, or never saw, are not there for them.
    for hidden in (year_page, cast.a.report_draft):
        response = governor.goto(f"{live_server.url}{reverse('reports:report_detail', args=[hidden.pk])}")
        assert response.status == 404
        expect(governor.get_by_role("heading", level=1)).to_have_text("Page not found")

    # The records behind the figures stay closed to a governor.
    response = governor.goto(f"{live_server.url}{reverse('incidents:incident_list')}")
    assert response.status == 403
    expect(governor.get_by_role("heading", level=1)).to_have_text("You cannot use this page")
    assert_accessible(governor)
    response = governor.goto(f"{live_server.url}{reverse('pupil_detail', args=[cast.a.pupil.pk])}")
    assert response.status in (403, 404)
    expect(governor.get_by_role("heading", level=1)).to_have_text(
        "You cannot use this page" if response.status == 403 else "Page not found"
    )
    assert cast.a.pupil.last_name not in governor.content()
    assert_accessible(governor)
