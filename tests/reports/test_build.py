"""
Building a school's governors' report end to end (reports.build): the figures stored with small numbers hidden, the
charts drawn from what is shown, and the PDF, read back.
"""

import base64
import io
import json
import re
from datetime import date
from types import SimpleNamespace

import pytest
from django.core.cache import cache
from django.template.loader import render_to_string
from pypdf import PdfReader

from esafety.models import AcademicYear
from esafety.progress import Progress
from reports import build
from reports.figures import base
from reports.figures.base import Section, report_section
from reports.models import ReportStatus, SchoolReport
from reports.templatetags.report_tags import threshold_sentence
from tests.reports.report_data import counts_table


@pytest.fixture(autouse=True)
def _media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"


def _contact_section(ctx) -> Section:
    # "Unwanted contact" had 3 reports this year: a number no other label, axis step or total has.
    table = counts_table(
        [[3, 40], [60, 22]],
        labels=["Unwanted contact", "Filter alerts"],
        columns=[ctx.year_label, ctx.previous_label],
        total_row=True,
        chart="bar",
        key="contact",
        caption="Contact reported by pupils",
    )
    return Section(key="contact", title="Contact online", intro="What pupils told staff about.", tables=[table])


def _failing_section(ctx) -> Section:
    raise RuntimeError("the figures' query failed")


@pytest.fixture
def registered():
    """Registers section builders for one test, before every other part's, and takes them away after it."""
    added = []

    def register(builder, order=1):
        report_section(order)(builder)
        added.append(builder)

    yield register
    base._SECTIONS[:] = [pair for pair in base._SECTIONS if pair[1] not in added]


def _year() -> AcademicYear:
    return AcademicYear.objects.for_date(date(2024, 10, 1))


def _report(cast, **fields) -> SchoolReport:
    return SchoolReport.objects.create(
        school=cast.a.school,
        academic_year=_year(),
        version=2,
        status=ReportStatus.BUILDING,
        threshold=5,
        requested_by=cast.a.users["lead"],
        **fields,
    )


def _pdf_text(report: SchoolReport) -> str:
    with report.pdf.open("rb") as pdf:
        reader = PdfReader(io.BytesIO(pdf.read()))
    return "\n".join(" ".join((page.extract_text() or "").split()) for page in reader.pages)


def _contact(report: SchoolReport) -> dict:
    section = next(section for section in report.data["sections"] if section["key"] == "contact")
    return section["tables"][0]


def test_a_built_report_stores_its_figures_with_small_numbers_hidden_and_a_chart(cast, registered):
    registered(_contact_section)
    report = _report(cast)

    build.report_build(report)

    report.refresh_from_db()
    assert report.status == ReportStatus.DRAFT
    assert report.built_at is not None
    assert report.error == ""
    data = report.data
    assert data["title"] == "Online safety report to governors"
    assert data["school"] == "School A"
    assert (data["year"], data["previous_year"]) == ("2024/25", "2023/24")
    assert data["threshold"] == 5
    assert data["built_at"] == report.built_at.isoformat()
    assert data["sections"][0]["key"] == "contact"  # order 1: before every other part's
    table = _contact(report)
    unwanted = table["rows"][0]
    assert unwanted["label"] == "Unwanted contact"
    assert unwanted["cells"][0] == {"text": "fewer than 5", "hidden": True, "value": None}
    assert table["rows"][2]["cells"][0]["text"] == "not shown"  # the total would give the 3 away
    assert table["chart_svg"].startswith("<svg")
    assert table["chart_alt"].startswith("Chart of the table beside it: Contact reported by pupils")


def test_the_pdf_has_the_school_the_year_the_tables_and_no_hidden_number(cast, registered):
    registered(_contact_section)
    report = _report(cast)

    build.report_build(report)

    report.refresh_from_db()
    assert report.pdf.name.startswith("reports/governors-report-2024-25-v2")
    assert report.pdf.name.endswith(".pdf")
    text = _pdf_text(report)
    assert "School A" in text
    assert "Online safety report to governors" in text
    assert "2024/25" in text
    assert "DRAFT" in text
    assert "Counts from 1 to 4 show as ‘fewer than 5’ so that no child can be identified" in text
    assert "Contact reported by pupils" in text
    assert "Unwanted contact fewer than 5 40" in text
    assert "Unwanted contact 3" not in text
    assert "Total not shown 62" in text


def test_the_pdf_embeds_the_chart_as_a_drawing(cast, registered):
    registered(_contact_section)
    report = _report(cast)

    build.report_build(report)

    report.refresh_from_db()
    with report.pdf.open("rb") as pdf:
        reader = PdfReader(io.BytesIO(pdf.read()))
    # WeasyPrint draws an SVG <img> as a form XObject on the page.
    xobjects = [
        xobject
        for page in reader.pages
        for xobject in (page["/Resources"].get("/XObject") or {}).values()
        if xobject.get_object().get("/Subtype") == "/Form"
    ]
    assert xobjects


def test_the_leads_summary_is_printed_in_paragraphs_and_a_published_report_says_when(cast, registered):
    registered(_contact_section)
    report = _report(cast, narrative="Fewer incidents this year.\n\nNext year: a parents' evening on gaming.")
    build.report_build(report)
    report.refresh_from_db()

    report.status, report.published_at = ReportStatus.PUBLISHED, cast.a.report.published_at
    report.save()
    assert build.report_pdf_refresh(report)

    report.refresh_from_db()
    text = _pdf_text(report)
    assert "Fewer incidents this year." in text
    assert "Next year: a parents' evening on gaming." in text
    assert f"Published on {report.published_at:%-d %b %Y}" in text
    assert "DRAFT" not in text


def test_progress_is_reported_after_each_section_and_the_pdf(cast, registered):
    registered(_contact_section)
    report = _report(cast)
    seen = []

    build.report_build(report, lambda done, total: seen.append((done, total)))

    total = len(base.section_builders()) + 1
    assert seen[0] == (1, total)
    assert seen[-1] == (total, total)
    assert [done for done, _ in seen] == list(range(1, total + 1))


def test_progress_goes_to_the_reports_own_bar_by_default(cast, registered):
    registered(_contact_section)
    report = _report(cast)
    cache.delete(Progress.for_job(report).key)

    build.report_build(report)

    assert Progress.for_job(report).percent() == 100


def test_a_failing_part_leaves_the_report_not_built_with_a_plain_reason(cast, registered, caplog):
    registered(_failing_section)
    report = _report(cast)

    build.report_build(report)

    report.refresh_from_db()
    assert report.status == ReportStatus.FAILED
    assert report.error == (
        "Something went wrong while counting the figures. Build it again; if it fails again, tell your administrator."
    )
    assert "the figures' query failed" not in report.error
    assert report.data == {}
    assert not report.pdf
    assert "could not be built" in caplog.text
    assert report.history.first().history_change_reason == "Could not be built"


def test_a_report_no_longer_being_built_is_left_as_it_is(cast, registered):
    registered(_contact_section)
    report = _report(cast)
    SchoolReport.objects.filter(pk=report.pk).update(status=ReportStatus.FAILED, error="Stopped")

    build.report_build(report)

    report.refresh_from_db()
    assert (report.status, report.error, report.data) == (ReportStatus.FAILED, "Stopped", {})


def test_a_report_built_from_the_cast_names_no_pupil_and_no_member_of_staff(cast):
    report = SchoolReport.objects.create(
        school=cast.a.school, academic_year=cast.a.report.academic_year, version=3, status=ReportStatus.BUILDING, threshold=5
    )

    build.report_build(report)

    report.refresh_from_db()
    assert report.status == ReportStatus.DRAFT, report.error
    stored = json.dumps(report.data)
    names = {
        cast.a.pupil.first_name,
        cast.a.pupil.last_name,
        cast.a.leaver.first_name,
        cast.a.leaver.last_name,
        cast.a.parent.first_name,
        cast.a.staff_member.first_name,
        cast.a.staff_member.last_name,
        cast.a.users["teacher"].full_name,
        cast.a.users["dsl"].full_name,
    }
    for name in names:
        assert name not in stored, name
    text = _pdf_text(report)
    for name in names - {"Tutor"}:  # "Tutor" is also a word a report may use
        assert name not in text, name


def test_finish_sections_gives_a_table_without_a_chart_no_svg_and_no_alternative_text(cast):
    table = counts_table([[7, 8]], key="plain")
    section = Section(key="plain", title="Plain", tables=[table])

    finished = build.finish_sections([section], 5)

    assert finished[0]["tables"][0]["chart_svg"] is None
    assert finished[0]["tables"][0]["chart_alt"] == ""


def test_a_pdf_that_cannot_be_made_leaves_the_report_not_built(cast, registered, monkeypatch):
    registered(_contact_section)
    report = _report(cast)

    def broken(report):
        raise OSError("no fonts")

    monkeypatch.setattr(build, "report_pdf", broken)
    build.report_build(report)

    report.refresh_from_db()
    assert report.status == ReportStatus.FAILED
    assert report.error.startswith("Something went wrong while making the PDF.")
    assert report.data == {}


def test_a_section_shows_its_chart_beside_its_table_with_row_headers_and_hidden_cells_in_words():
    section = build.finish_sections([_contact_section(SimpleNamespace(year_label="2025/26", previous_label="2024/25"))], 5)[0]
    table = section["tables"][0]

    html = render_to_string("reports/_section.html", {"section": section})

    assert '<h2 id="report-section-contact">Contact online</h2>' in html
    assert "What pupils told staff about." in html
    (src,) = re.findall(r'<img src="data:image/svg\+xml;base64,([^"]+)" alt="([^"]+)"', html)
    assert base64.b64decode(src[0]).decode() == table["chart_svg"]
    assert src[1] == table["chart_alt"]
    assert '<caption class="caption-top">Contact reported by pupils</caption>' in html
    assert '<th scope="row">Unwanted contact</th>' in html
    assert '<td class="report-number report-hidden">fewer than 5</td>' in html
    assert '<tr class="report-total">' in html


def test_the_threshold_sentence_says_which_counts_are_hidden():
    assert threshold_sentence(5) == (
        "Counts from 1 to 4 show as \u2018fewer than 5\u2019 so that no child can be identified; "
        "totals that would reveal them show as \u2018not shown\u2019, and so do shares of a group with fewer than 5 in or "
        "out of it."
    )
    assert threshold_sentence(10).startswith("Counts from 1 to 9 show as \u2018fewer than 10\u2019")
    assert threshold_sentence(2).startswith("A count of 1 shows as \u2018fewer than 2\u2019")
