"""
Policies, staff training and the trust's report in the browser.

- The e-safety lead adds a new version of the online-safety policy (its document uploaded as a PDF) and records its
  approval; a teacher who logs in next is sent to read it before anything else, downloads it, acknowledges it and
  reaches their home page; the lead sees the acknowledgement.
- On a phone, the lead reads the training register, who is due, one record, and imports past training from a CSV
  file (upload, preview, confirm); the teacher finds the new course in My training and cannot open the register.
- The trust's central team reads the list of trust reports and one report, the schools side by side.

Every page on the way passes axe-core and fits a phone (tests/e2e/conftest.py measures each page at 375 px).
"""

import re
from datetime import timedelta
from pathlib import Path

import pytest
from django.urls import reverse
from django.utils import timezone
from playwright.sync_api import Page, expect

from esafety.models import StaffMember
from reports.build import finish_sections
from reports.figures.base import Count, Row, Section, Table
from reports.trust import sections_side_by_side
from tests.e2e.conftest import PASSWORD, assert_accessible, log_in

PHONE = {"width": 375, "height": 812}
# A small but well-formed PDF: what a school's policy document is usually saved as.
POLICY_PDF = (
    b"%PDF-1.4\n"
    b"1 0 obj <</Type /Catalog /Pages 2 0 R>> endobj\n"
    b"2 0 obj <</Type /Pages /Kids [] /Count 0>> endobj\n"
    b"trailer <</Root 1 0 R>>\n"
    b"%%EOF\n"
)
CHANGES = "A new section on pupils' use of AI chatbots."


def _day(day) -> str:
    """A date as the pages show it: 5 Mar 2026."""
    return f"{day:%-d %b %Y}"


def _main_menu(page: Page, name: str) -> None:
    """Follow an entry of the main menu, opening it first on a narrow screen, where it is folded away."""
    page.wait_for_load_state("load")  # the menu folded away, or not, by the page's style sheets
    link = page.get_by_role("navigation", name="Main").get_by_role("link", name=name, exact=True)
    if not link.is_visible():
        page.get_by_role("button", name="Show or hide the menu").click()
    link.click()


@pytest.fixture
def _media(settings, tmp_path):
    """Uploaded documents go to a folder of the test's own, never into the project's media folder."""
    settings.MEDIA_ROOT = tmp_path / "media"


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_the_lead_approves_a_new_version_and_a_teacher_acknowledges_it_before_going_on(cast, live_server, new_context, _media):
    policy = cast.a.policy
    teacher_user = cast.a.users["teacher"]

    # The lead: from the menu to the register, then the policy.
    lead = new_context().new_page()
    log_in(lead, live_server, cast.a.users["lead"])
    _main_menu(lead, "Policies")
    expect(lead.get_by_role("heading", level=1)).to_have_text("Register of policies")
    register = lead.get_by_role("table", name=re.compile("^Policies, "))
    row = register.get_by_role("row").filter(has=lead.get_by_role("link", name=policy.title))
    expect(row).to_contain_text("1.0")
    expect(row).to_contain_text("In force")
    assert_accessible(lead)

    row.get_by_role("link", name=policy.title).click()
    expect(lead.get_by_role("heading", level=1)).to_have_text(policy.title)
    expect(lead.get_by_text("Version 1.0 in force")).to_be_visible()
    expect(lead.get_by_text("Read and acknowledged by 2 of the 2 members of staff in post.")).to_be_visible()
    assert_accessible(lead)

    # A new version: its document uploaded, and what changed.
    lead.get_by_role("link", name="New version").click()
    expect(lead.get_by_role("heading", level=1)).to_have_text(f"New version of {policy.title}")
    assert_accessible(lead)
    lead.get_by_label("Version").fill("2.0")
    lead.get_by_label("The document (a file)").set_input_files(
        {"name": "Online safety policy 2.0.pdf", "mimeType": "application/pdf", "buffer": POLICY_PDF}
    )
    lead.get_by_label("What changed").fill(CHANGES)
    lead.get_by_role("button", name="Save the draft").click()

    # The draft's page.
    expect(lead.get_by_role("heading", level=1)).to_have_text(f"{policy.title}, version 2.0")
    expect(lead.get_by_role("status").first).to_contain_text("Version 2.0 is saved as a draft.")
    expect(lead.locator(".badge", has_text="Draft")).to_be_visible()
    expect(lead.get_by_text(CHANGES)).to_be_visible()
    expect(lead.get_by_role("link", name=re.compile("^Download the document"))).to_be_visible()
    assert_accessible(lead)

    # Its approval, at a meeting today.
    lead.get_by_role("link", name="Record its approval").click()
    expect(lead.get_by_role("heading", level=1)).to_have_text("Record the approval of version 2.0")
    expect(lead.get_by_text("Once approved, version 2.0 is in force and version 1.0 is superseded.")).to_be_visible()
    expect(lead.get_by_text("Staff are asked to read and acknowledge it at their next login.")).to_be_visible()
    assert_accessible(lead)
    lead.get_by_label("Approved by").fill("Full governing body")
    lead.get_by_label("At the meeting").fill("Spring term meeting")
    lead.get_by_role("button", name="Record the approval").click()

    # Back on the policy: version 2.0 in force, nobody has acknowledged it yet.
    expect(lead.get_by_role("heading", level=1)).to_have_text(policy.title)
    expect(lead.get_by_role("status").first).to_contain_text("Version 2.0 is approved and in force; the next review is due on")
    expect(lead.get_by_role("status").first).to_contain_text(
        "Staff will be asked to read and acknowledge it at their next login."
    )
    expect(lead.get_by_text("Version 2.0 in force")).to_be_visible()
    expect(lead.get_by_text("Read and acknowledged by 0 of the 2 members of staff in post.")).to_be_visible()
    versions = lead.get_by_role("table", name=f"Versions of {policy.title}, newest first")
    expect(versions.get_by_role("row").nth(1)).to_contain_text("2.0")
    expect(versions.get_by_role("row").nth(1)).to_contain_text("Approved")
    expect(versions.get_by_role("row").nth(2)).to_contain_text("Superseded")

    # The teacher, on a phone: sent to read the new version before anything else.
    phone = new_context(viewport=PHONE, accept_downloads=True).new_page()
    phone.goto(f"{live_server.url}/accounts/login/")
    phone.get_by_label("E-mail address").fill(teacher_user.email)
    phone.get_by_label("Password").fill(PASSWORD)
    phone.get_by_role("button", name="Log in").click()
    expect(phone).to_have_url(f"{live_server.url}{reverse('policies:policies_to_read')}?next=%2F")
    expect(phone.get_by_role("heading", level=1)).to_have_text("Policies to read")
    to_read = phone.get_by_role("region", name=f"{policy.title}, version 2.0")
    expect(to_read).to_contain_text(f"Approved on {_day(timezone.localdate())} by Full governing body.")
    expect(to_read).to_contain_text(CHANGES)
    assert_accessible(phone)

    # The rest of the app is out of reach until it is acknowledged…
    _main_menu(phone, "Pupils")
    expect(phone).to_have_url(re.compile(re.escape(reverse("policies:policies_to_read")) + r"\?next=%2Fpupils%2F$"))
    expect(phone.get_by_role("heading", level=1)).to_have_text("Policies to read")
    expect(phone.get_by_role("link", name="Aardvark, Alice")).to_have_count(0)
    _main_menu(phone, "Home")
    expect(phone).to_have_url(f"{live_server.url}{reverse('policies:policies_to_read')}?next=%2F")
    # … but the document itself is not.
    with phone.expect_download() as download_info:
        to_read.get_by_role("link", name=re.compile("^Download the document")).click()
    download = download_info.value
    assert download.suggested_filename == "online-safety-policy-version-2-0.pdf"
    assert Path(download.path()).read_bytes() == POLICY_PDF

    phone.get_by_role("button", name=f"I have read and understood it ({policy.title})", exact=True).click()
    expect(phone).to_have_url(f"{live_server.url}/")
    expect(phone.get_by_role("status").first).to_contain_text(f"Thank you: you have acknowledged {policy.title}, version 2.0.")
    expect(phone.get_by_role("heading", level=1)).to_contain_text(teacher_user.get_short_name())
    expect(phone.get_by_role("heading", name="Policies to read")).to_have_count(0)
    assert_accessible(phone)
    # The rest of the app is open again.
    _main_menu(phone, "Pupils")
    expect(phone.get_by_role("heading", level=1)).to_have_text("Pupils")

    # The lead: the version's page counts the teacher; its acknowledgements page names who has and who has not.
    lead.get_by_role("table", name=f"Versions of {policy.title}, newest first").get_by_role("link", name="2.0").click()
    expect(lead.get_by_role("heading", level=1)).to_have_text(f"{policy.title}, version 2.0")
    expect(lead.locator(".badge", has_text="Approved")).to_be_visible()
    expect(lead.get_by_text("Read and acknowledged by 1 of the 2 members of staff in post.")).to_be_visible()
    expect(lead.get_by_role("link", name="Record its approval")).to_have_count(0)
    lead.get_by_role("link", name="Who has and who has not").click()
    expect(lead.get_by_role("heading", level=1)).to_have_text("Who has read and acknowledged version 2.0")
    done = lead.get_by_role("region", name="Acknowledged (1)")
    expect(done.get_by_role("listitem")).to_have_text([f"TeacherA, Tutor on {_day(timezone.localdate())}"])
    not_yet = lead.get_by_role("region", name="Not yet (1)")
    expect(not_yet.get_by_role("listitem")).to_have_text(["TeacherA, Head"])
    assert_accessible(lead)


def _training_csv(*rows: str) -> bytes:
    return ("Staff Code,Kind,Course,Provider,Completed On,Expires On,Notes\n" + "".join(f"{row}\n" for row in rows)).encode()


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_on_a_phone_the_lead_imports_past_training_and_a_teacher_finds_it_in_my_training(cast, live_server, new_context):
    record = cast.a.training_record  # the teacher's online-safety course
    head = StaffMember.objects.get(school=cast.a.school, user=cast.a.users["head"])  # no training on record
    completed = timezone.localdate() - timedelta(days=20)
    # Each course found by the member of staff's MIS code.
    csv_file = _training_csv(
        f"{cast.a.staff_member.mis_id},Safeguarding,Annual safeguarding update,Local authority,{completed:%d/%m/%Y},,INSET day",
        f"{head.mis_id},Safeguarding,Safeguarding for senior leaders,Local authority,{completed:%d/%m/%Y},,",
    )

    phone = new_context(viewport=PHONE).new_page()
    log_in(phone, live_server, cast.a.users["lead"])
    _main_menu(phone, "Policies")
    section = phone.get_by_role("navigation", name="Policies and training")
    section.get_by_role("link", name="Training", exact=True).click()

    # The register: the teacher's course.
    expect(phone.get_by_role("heading", level=1)).to_have_text("Staff training")
    records = phone.get_by_role("table", name=re.compile("^Training records, "))
    expect(records.get_by_role("row")).to_have_count(2)  # the header and the one course
    expect(records.get_by_role("row").nth(1)).to_contain_text("TeacherA, Tutor")
    assert_accessible(phone)

    # One record's page.
    records.get_by_role("link", name=record.course).click()
    expect(phone.get_by_role("heading", level=1)).to_have_text(record.course)
    expect(phone.get_by_text(record.provider)).to_be_visible()
    expect(phone.get_by_text(f"No other training is recorded for {cast.a.staff_member}.")).to_be_visible()
    assert_accessible(phone)

    # Who is due: the head teacher, never trained, is overdue; the teacher is not there.
    phone.get_by_role("link", name="Staff training", exact=True).click()
    phone.get_by_role("link", name="Due or overdue").click()
    expect(phone.get_by_role("heading", level=1)).to_have_text("Training due or overdue")
    overdue = phone.get_by_role("region", name="Overdue (1)")
    expect(overdue.get_by_role("row").nth(1)).to_contain_text("TeacherA, Head")
    expect(overdue.get_by_role("row").nth(1)).to_contain_text("Never trained")
    expect(phone.get_by_role("region", name="Due soon (0)")).to_contain_text("Nobody's training falls due")
    assert_accessible(phone)

    # The import: upload, then the preview of what would be added.
    phone.get_by_role("link", name="Import from CSV").click()
    expect(phone.get_by_role("heading", level=1)).to_have_text("Import staff training from a CSV file")
    assert_accessible(phone)
    phone.get_by_label("CSV file of training records").set_input_files(
        {"name": "past-training.csv", "mimeType": "text/csv", "buffer": csv_file}
    )
    phone.get_by_role("button", name="Upload and check").click()
    preview = phone.get_by_role("region", name="What past-training.csv holds")
    expect(preview.get_by_role("listitem")).to_have_text(
        [
            "2 courses read",
            "2 new, to be added to the register",
            "0 already recorded, to be left as they are",
            "0 rows with errors",
        ]
    )
    rows = phone.get_by_role("table", name="The courses of the file and what the import does with each")
    expect(rows.get_by_role("row")).to_have_count(3)
    teacher_row, head_row = rows.get_by_role("row").nth(1), rows.get_by_role("row").nth(2)
    expect(teacher_row.get_by_role("rowheader")).to_have_text("TeacherA, Tutor")
    expect(teacher_row.get_by_role("cell")).to_have_text(
        [
            "2",
            "Safeguarding and child protection",
            "Annual safeguarding update (Local authority)",
            _day(completed),
            "Refresher period",
            "Added",
        ]
    )
    expect(head_row.get_by_role("rowheader")).to_have_text("TeacherA, Head")
    expect(head_row.get_by_role("cell").last).to_have_text("Added")
    assert_accessible(phone)

    phone.get_by_role("region", name="Import", exact=True).get_by_role("button", name="Import now").click()

    # Back on the register, with the new courses.
    expect(phone.get_by_role("heading", level=1)).to_have_text("Staff training")
    expect(phone.get_by_role("status").first).to_have_text(
        "Imported from past-training.csv: 2 courses added, 0 already recorded."
    )
    records = phone.get_by_role("table", name=re.compile("^Training records, "))
    expect(records.get_by_role("row")).to_have_count(4)
    expect(records.get_by_role("link", name="Annual safeguarding update")).to_be_visible()
    expect(records.get_by_role("link", name="Safeguarding for senior leaders")).to_be_visible()
    assert_accessible(phone)

    # Nobody is overdue any more.
    phone.get_by_role("link", name="Due or overdue").click()
    expect(phone.get_by_role("region", name="Overdue (0)")).to_contain_text("Nobody's training is overdue.")

    # The teacher: their own training, the new course too, and no way into the register.
    teacher = new_context().new_page()
    log_in(teacher, live_server, cast.a.users["teacher"])
    _main_menu(teacher, "Policies")
    section = teacher.get_by_role("navigation", name="Policies and training")
    expect(section.get_by_role("link", name="Training", exact=True)).to_have_count(0)
    section.get_by_role("link", name="My training").click()
    expect(teacher.get_by_role("heading", level=1)).to_have_text("My training")
    expect(teacher.get_by_role("note")).to_have_text("Your training is up to date.")
    mine = teacher.get_by_role("table", name="Your training, newest first")
    expect(mine.get_by_role("rowheader")).to_have_text(
        ["Annual safeguarding update Local authority", f"{record.course} {record.provider}"], use_inner_text=True
    )
    expect(mine).not_to_contain_text("Safeguarding for senior leaders")
    assert_accessible(teacher)

    response = teacher.goto(f"{live_server.url}{reverse('policies:training_list')}")
    assert response.status == 403
    expect(teacher.get_by_role("heading", level=1)).to_have_text("You cannot use this page")


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_the_trust_reads_its_report_with_each_schools_figures_side_by_side(cast, live_server, new_context):
    report = cast.a.trust_report
    year = report.academic_year
    # The report's figures as a build stores them: the school's counts side by side, small numbers hidden.
    by_category = Table(
        "by_category",
        "Incidents by category",
        "Category",
        [str(year), "the year before"],
        [
            Row("Cyberbullying", [Count(12), Count(7)]),
            Row("Sexting", [Count(3), Count(1)]),
            Row("All incidents", [Count(15), Count(8)], total=True),
        ],
        chart="bar",
    )
    incidents = Section("incidents", "Incidents", [by_category], intro="Every e-safety incident logged in the year.")
    report.data["sections"] = finish_sections(sections_side_by_side([(cast.a.school.name, [incidents])]), report.threshold)
    report.save(update_fields=["data"])

    page = new_context().new_page()
    log_in(page, live_server, cast.a.users["trust"])
    _main_menu(page, "Governors' report")
    page.get_by_role("navigation", name="Governors' report").get_by_role("link", name="Trust report").click()

    # The list: each year's versions.
    expect(page.get_by_role("heading", level=1)).to_have_text(f"Trust report: {cast.a.trust.name}")
    expect(page.get_by_text(f"Schools: {cast.a.school.name}.")).to_be_visible()
    versions = page.get_by_role("table", name=f"Versions of the trust report for {year}, newest first")
    expect(versions.get_by_role("row").nth(1)).to_contain_text(f"Published on {_day(timezone.localdate())}")
    assert_accessible(page)

    # The report: its figures, the school beside the trust's total, the small count hidden.
    versions.get_by_role("link", name="Version 1").click()
    expect(page.get_by_role("heading", level=1)).to_have_text(f"Trust report {year} version 1")
    expect(page.get_by_role("heading", level=2, name="Incidents")).to_be_visible()
    figures = page.get_by_role("table", name=f"Incidents by category ({year})")
    expect(figures.get_by_role("columnheader")).to_have_text(["Category", cast.a.school.name, "Trust total"])
    expect(figures.get_by_role("row").filter(has_text="Cyberbullying").get_by_role("cell")).to_have_text(["12", "12"])
    expect(figures.get_by_role("row").filter(has_text="Sexting").get_by_role("cell")).to_have_text(
        ["fewer than 5", "fewer than 5"]
    )
    expect(page.get_by_role("img", name=re.compile(r"^Chart of the table beside it: Incidents by category"))).to_be_visible()
    expect(page.get_by_text("This report has no figures.")).to_have_count(0)
    assert_accessible(page)
