"""
A trust's report: every school side by side and the trust's total, small numbers hidden across the schools, built
in the background, read on the page and in the PDF, published by the trust's central team.

The sections come from small builders registered here for the test (and gone after it), so that every figure is
known: the report's own figure modules are tested on their own.
"""

import io
import re
from datetime import date

import pytest
from django.urls import reverse
from django.utils import timezone
from pypdf import PdfReader

import reports.trust_tasks  # noqa: F401 - the build's task, run in-process by the outbox
from esafety.calendar import academic_year_start
from esafety.models import AcademicYear, Notification
from esafety.progress import Progress
from esafety.scoping import scope
from reports import trust_services
from reports.figures import base as figures
from reports.figures.base import Count, Measure, Row, Section, Table, Text, report_section
from reports.models import ReportSettings, ReportStatus, TrustReport
from reports.trust import sections_side_by_side
from tests import factories as f

# What each school's builders count, by school name.
FIGURES = {
    "School A": {
        "categories": [("Cyberbullying", 12, 7), ("Sexting", 3, 1)],
        "year_groups": (10, 5),
        "median": ("3 days", 12),
        "checked": "12/03/2026",
        "requests": 4,
    },
    "School C": {
        "categories": [("Cyberbullying", 8, 2), ("Grooming", 7, 0), ("Sexting", 6, 4)],
        "year_groups": (2, 4),
        "median": ("5 days", 3),
        "checked": "01/02/2026",
        "requests": 0,
    },
}
# Where each builder ran: (school of the context, school in scope).
RAN_AT: list[tuple[str, str]] = []


def incidents_section(ctx):
    figures_of = FIGURES[ctx.school.name]
    RAN_AT.append((ctx.school.name, ReportSettings.objects.get().school.name))
    categories = [Row(label, [Count(this), Count(last)]) for label, this, last in figures_of["categories"]]
    total = Row(
        "All incidents",
        [Count(sum(this for _, this, _ in figures_of["categories"])), Count(sum(last for *_, last in figures_of["categories"]))],
        total=True,
    )
    year7, year8 = figures_of["year_groups"]
    median, base = figures_of["median"]
    return Section(
        key="incidents",
        title="Incidents",
        intro="Incidents logged in the year.",
        tables=[
            Table(
                "by_category",
                "Incidents by category",
                "Category",
                [ctx.year_label, ctx.previous_label],
                [*categories, total],
                chart="bar",
            ),
            Table(
                "by_year_group",
                "Pupils involved by year group",
                "Pupils",
                ["Year 7", "Year 8", "All"],
                [Row("Pupils involved", [Count(year7), Count(year8), Count(year7 + year8)])],
                total_column=2,
                part_columns=[0, 1],
            ),
            Table(
                "response",
                "How quickly incidents were closed",
                "Measure",
                [ctx.year_label],
                [Row("Median time to close", [Measure(median, base=base)]), Row("Last checked", [Text(figures_of["checked"])])],
                note="From logging to closing.",
            ),
        ],
    )


def filtering_section(ctx):
    return Section(
        key="filtering",
        title="Web filtering",
        tables=[
            Table(
                "requests",
                "Requests to open sites",
                "Requests",
                [ctx.year_label],
                [Row("Requests asked for", [Count(FIGURES[ctx.school.name]["requests"])]), Row("Sites reported", [Count(0)])],
            )
        ],
    )


@pytest.fixture
def fake_sections(monkeypatch):
    """Only this test's builders, registered as the figure modules register theirs; the real ones are back after."""
    monkeypatch.setattr(figures, "_SECTIONS", [])
    report_section(20)(filtering_section)
    report_section(10)(incidents_section)
    RAN_AT.clear()


@pytest.fixture
def school_c(cast):
    """A second school of school A's trust: the trust's central team now sees two schools side by side."""
    return f.make_school(name="School C", urn="900099", trust=cast.a.trust)


@pytest.fixture
def _media_in_tmp(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"


LAST_YEAR = academic_year_start(timezone.localdate()) - 1


def _year():
    return AcademicYear.objects.for_date(date(LAST_YEAR, 9, 1))


def _build(cast, django_capture_on_commit_callbacks) -> TrustReport:
    with django_capture_on_commit_callbacks(execute=True):
        report = trust_services.trust_report_request_build(trust=cast.a.trust, year=_year(), actor=cast.a.users["trust"])
    report.refresh_from_db()
    return report


def _table(report, section_key, table_key) -> dict:
    section = next(s for s in report.data["sections"] if s["key"] == section_key)
    return next(t for t in section["tables"] if t["key"] == table_key)


def _cells(table) -> dict[str, list[str]]:
    return {row["label"]: [cell["text"] for cell in row["cells"]] for row in table["rows"]}


def _pdf_text(report) -> str:
    with report.pdf.open("rb") as file:
        reader = PdfReader(io.BytesIO(file.read()))
    return "\n".join(" ".join((page.extract_text() or "").split()) for page in reader.pages)


# --- The sections, schools side by side -------------------------------------------------------------------------


def test_each_table_has_a_column_a_school_and_the_trusts_total_of_their_headline_figures():
    school_table = Table(
        "t",
        "Incidents by category",
        "Category",
        ["2025/26", "2024/25"],
        [Row("Cyberbullying", [Count(4), Count(9)])],
        chart="bar",
    )
    other = Table("t", "Incidents by category", "Category", ["2025/26", "2024/25"], [Row("Cyberbullying", [Count(6), Count(1)])])
    (section,) = sections_side_by_side([("North", [Section("s", "S", [school_table])]), ("South", [Section("s", "S", [other])])])
    (table,) = section.tables
    assert (table.columns, table.total_column, table.part_columns) == (["North", "South", "Trust total"], 2, [0, 1])
    assert table.caption == "Incidents by category (2025/26)"
    assert table.rows == [Row("Cyberbullying", [Count(4), Count(6), Count(10)])]
    assert table.chart == "bar"


def test_a_row_one_school_has_comes_above_the_total_and_counts_0_at_the_others():
    north = Table("t", "C", "R", ["Y"], [Row("a", [Count(5)]), Row("All", [Count(5)], total=True)])
    south = Table("t", "C", "R", ["Y"], [Row("b", [Count(6)]), Row("a", [Count(1)]), Row("All", [Count(7)], total=True)])
    (section,) = sections_side_by_side([("North", [Section("s", "S", [north])]), ("South", [Section("s", "S", [south])])])
    assert [(row.label, row.cells, row.total) for row in section.tables[0].rows] == [
        ("a", [Count(5), Count(1), Count(6)], False),
        ("b", [Count(0), Count(6), Count(6)], False),
        ("All", [Count(5), Count(7), Count(12)], True),
    ]


def test_medians_and_words_are_not_added_up_and_the_note_says_why():
    north = Table("t", "C", "R", ["Y"], [Row("Median", [Measure("2 days", base=8)])], note="From logging.")
    south = Table("t", "C", "R", ["Y"], [Row("Median", [Measure("4 days", base=9)])])
    (section,) = sections_side_by_side([("North", [Section("s", "S", [north])]), ("South", [Section("s", "S", [south])])])
    (table,) = section.tables
    assert table.rows[0].cells == [Measure("2 days", base=8), Measure("4 days", base=9), Text("–")]
    assert table.note == "From logging. Medians and percentages are per school: they cannot be added up into a trust total."


# --- The build: every figure of a two-school trust ---------------------------------------------------------------


@pytest.mark.usefixtures("fake_sections", "_media_in_tmp")
def test_every_figure_of_a_two_school_trust_with_small_numbers_hidden_across_the_schools(
    cast, school_c, django_capture_on_commit_callbacks
):
    report = _build(cast, django_capture_on_commit_callbacks)

    assert report.status == ReportStatus.DRAFT and report.error == ""
    # Each school's sections were counted in that school's own scope.
    assert sorted(RAN_AT) == [("School A", "School A"), ("School C", "School C")]
    assert report.data["trust"] == "Trust A" and report.data["schools"] == ["School A", "School C"]
    assert report.data["year"] == str(_year()) and report.data["threshold"] == 5
    assert [s["key"] for s in report.data["sections"]] == ["incidents", "filtering"]

    by_category = _table(report, "incidents", "by_category")
    assert by_category["columns"] == ["School A", "School C", "Trust total"]
    assert by_category["caption"] == f"Incidents by category ({_year()})"
    # School A's 3 is hidden, so is the trust's 9 (9 - 6 would give it away), and each column's total above which it
    # sits; School C's column has nothing hidden.
    assert _cells(by_category) == {
        "Cyberbullying": ["12", "8", "20"],
        "Sexting": ["fewer than 5", "6", "not shown"],
        "Grooming": ["0", "7", "7"],
        "All incidents": ["not shown", "21", "not shown"],
    }
    assert by_category["chart_svg"] and "School C" in by_category["chart_alt"]
    # A school's figure is the total column of a table by year group: its small parts are not in the trust's report.
    assert _cells(_table(report, "incidents", "by_year_group")) == {"Pupils involved": ["15", "6", "21"]}
    response = _table(report, "incidents", "response")
    assert _cells(response) == {
        "Median time to close": ["3 days", "not shown (fewer than 5)", "–"],
        "Last checked": ["12/03/2026", "01/02/2026", "–"],
    }
    assert response["note"].endswith("Medians and percentages are per school: they cannot be added up into a trust total.")
    assert _cells(_table(report, "filtering", "requests")) == {
        "Requests asked for": ["fewer than 5", "0", "fewer than 5"],
        "Sites reported": ["0", "0", "0"],
    }
    # No hidden figure's true value is stored.
    hidden = [
        cell for s in report.data["sections"] for t in s["tables"] for r in t["rows"] for cell in r["cells"] if cell["hidden"]
    ]
    assert hidden and all(cell.get("value") is None for cell in hidden)


@pytest.mark.usefixtures("fake_sections", "_media_in_tmp")
def test_the_strictest_threshold_of_the_schools_is_used(cast, school_c, django_capture_on_commit_callbacks):
    with scope(school=school_c):
        ReportSettings.objects.filter(school=school_c).update(threshold=7)
    report = _build(cast, django_capture_on_commit_callbacks)
    assert report.threshold == 7 and report.data["threshold"] == 7
    # Both schools' figures are hidden now: their total (9) may show, as it gives neither away.
    assert _cells(_table(report, "incidents", "by_category"))["Sexting"] == ["fewer than 7", "fewer than 7", "9"]
    assert _cells(_table(report, "incidents", "by_category"))["Cyberbullying"] == ["12", "8", "20"]


@pytest.mark.usefixtures("fake_sections", "_media_in_tmp")
def test_the_pdf_shows_the_schools_side_by_side_with_the_same_figures(cast, school_c, django_capture_on_commit_callbacks):
    report = _build(cast, django_capture_on_commit_callbacks)
    text = _pdf_text(report)
    assert "Trust A" in text and "Online safety report to the trust" in text and "DRAFT" in text
    assert f"Incidents by category ({_year()})" in text
    assert re.search(r"Sexting fewer than 5 6 not shown", text)
    assert re.search(r"All incidents not shown 21 not shown", text)
    assert re.search(r"Median time to close 3 days not shown \(fewer than 5\) –", text)
    assert "Medians and percentages are per school" in text
    assert "Aardvark" not in text and "Teacher A" not in text


@pytest.mark.usefixtures("fake_sections", "_media_in_tmp")
def test_the_build_reports_its_progress_and_tells_who_asked_for_it(cast, school_c, django_capture_on_commit_callbacks):
    report = _build(cast, django_capture_on_commit_callbacks)
    assert Progress.for_job(report).percent() == 100  # two schools, two sections each: 4 of 4
    notification = Notification.objects.get(recipient=cast.a.users["trust"], title__startswith="Trust report ready")
    assert notification.link == reverse("reports:trust_report_detail", kwargs={"report_id": report.pk})
    assert [entry.history_change_reason for entry in report.history.order_by("history_date")] == ["Asked for", "Built"]


@pytest.mark.usefixtures("fake_sections", "_media_in_tmp")
def test_a_build_that_fails_says_so_plainly_and_keeps_nothing(cast, school_c, django_capture_on_commit_callbacks, monkeypatch):
    monkeypatch.setitem(FIGURES, "School C", {})  # its builder fails on a missing figure
    report = _build(cast, django_capture_on_commit_callbacks)
    assert report.status == ReportStatus.FAILED and report.data == {} and not report.pdf
    assert report.error.startswith("Something went wrong while counting the figures.")
    assert report.history.first().history_change_reason == "Could not be built"


# --- The pages ----------------------------------------------------------------------------------------------------


@pytest.mark.usefixtures("fake_sections", "_media_in_tmp")
def test_the_central_team_builds_a_new_version_reads_it_and_downloads_its_pdf(
    cast, school_c, login, django_capture_on_commit_callbacks
):
    client = login(cast.a.users["trust"])
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(reverse("reports:trust_report_build"), {"start_year": LAST_YEAR})
    report = TrustReport.objects.filter(trust=cast.a.trust).exclude(pk=cast.a.trust_report.pk).get()
    assert response.status_code == 302 and response["Location"] == reverse(
        "reports:trust_report_detail", kwargs={"report_id": report.pk}
    )
    assert (report.version, report.status, report.requested_by) == (2, ReportStatus.DRAFT, cast.a.users["trust"])

    page = client.get(response["Location"]).content.decode()
    assert "Publish version 2" in page
    assert re.search(
        r"<th scope=\"col\" class=\"report-number\">School A</th>\s*<th scope=\"col\" class=\"report-number\">School C</th>", page
    )
    assert ">fewer than 5</td>" in page and ">21</td>" in page

    pdf = client.get(reverse("reports:trust_report_pdf", kwargs={"report_id": report.pk}))
    assert pdf.status_code == 200 and pdf["Content-Type"] == "application/pdf" and pdf["Cache-Control"] == "private, no-store"
    text = " ".join(page.extract_text() for page in PdfReader(io.BytesIO(b"".join(pdf.streaming_content))).pages)
    assert "School C" in " ".join(text.split())


def test_the_year_must_be_one_offered(cast, login):
    client = login(cast.a.users["trust"])
    response = client.post(reverse("reports:trust_report_build"), {"start_year": 1999})
    assert response.status_code == 400
    assert "Select a valid choice" in response.content.decode()
    assert TrustReport.objects.count() == 2  # the cast's two trusts' reports only


@pytest.mark.usefixtures("_media_in_tmp")
def test_publishing_a_draft_supersedes_the_version_published_before(cast, login):
    draft = TrustReport.objects.create(
        trust=cast.a.trust,
        academic_year=cast.a.trust_report.academic_year,
        version=2,
        status=ReportStatus.DRAFT,
        data=cast.a.trust_report.data,
    )
    client = login(cast.a.users["trust"])
    response = client.post(reverse("reports:trust_report_publish", kwargs={"report_id": draft.pk}))
    assert response.status_code == 302
    draft.refresh_from_db()
    cast.a.trust_report.refresh_from_db()
    assert (draft.status, draft.published_by) == (ReportStatus.PUBLISHED, cast.a.users["trust"])
    assert cast.a.trust_report.status == ReportStatus.SUPERSEDED
    assert draft.history.first().history_change_reason == "Published"
    assert cast.a.trust_report.history.first().history_change_reason == "Superseded by version 2"
    # Printed again as published.
    assert "Published on" in _pdf_text(draft) and "DRAFT" not in _pdf_text(draft)

    again = client.post(reverse("reports:trust_report_publish", kwargs={"report_id": draft.pk}), follow=True)
    assert "Only a draft can be published: this version is published." in again.content.decode()


def test_another_trusts_reports_are_not_found_and_not_listed(cast, login):
    client = login(cast.b.users["trust"])
    for name in ("reports:trust_report_detail", "reports:trust_report_pdf", "reports:trust_report_progress"):
        assert client.get(reverse(name, kwargs={"report_id": cast.a.trust_report.pk})).status_code == 404
    assert client.post(reverse("reports:trust_report_publish", kwargs={"report_id": cast.a.trust_report.pk})).status_code == 404
    page = client.get(reverse("reports:trust_report_list")).content.decode()
    assert "Trust report: Trust B" in page and str(cast.a.trust_report.pk) not in page


def test_those_without_the_trust_role_may_not_open_the_trust_report(cast, login):
    for role in ("head", "lead", "governor"):
        client = login(cast.a.users[role])
        assert client.get(reverse("reports:trust_report_list")).status_code == 403


def test_a_report_being_built_shows_its_progress(cast, login):
    building = TrustReport.objects.create(trust=cast.a.trust, academic_year=_year(), version=2, status=ReportStatus.BUILDING)
    Progress.for_job(building).set(1, 4)
    client = login(cast.a.users["trust"])
    page = client.get(reverse("reports:trust_report_detail", kwargs={"report_id": building.pk})).content.decode()
    assert "25%" in page and reverse("reports:trust_report_progress", kwargs={"report_id": building.pk}) in page
    bar = client.get(reverse("reports:trust_report_progress", kwargs={"report_id": building.pk}), HTTP_HX_REQUEST="true")
    assert "25%" in bar.content.decode()


# --- Queries ---------------------------------------------------------------------------------------------------


def _more_versions(cast, count):
    for version in range(2, 2 + count):
        TrustReport.objects.create(
            trust=cast.a.trust,
            academic_year=AcademicYear.objects.for_date(date(LAST_YEAR - version, 9, 1)),
            version=1,
            status=ReportStatus.DRAFT,
            requested_by=cast.a.users["trust"],
        )


def test_the_list_and_a_report_cost_the_same_queries_however_many_reports_and_schools(cast, login, django_assert_num_queries):
    client = login(cast.a.users["trust"])
    detail = reverse("reports:trust_report_detail", kwargs={"report_id": cast.a.trust_report.pk})
    client.get(reverse("reports:trust_report_list"))
    # Sign-in and session (4), the user's memberships and trusts' schools (2), the trust, its reports (1 each).
    with django_assert_num_queries(8):
        assert client.get(reverse("reports:trust_report_list")).status_code == 200
    # ... the trust, the report, its history (with who made each change).
    with django_assert_num_queries(9):
        assert client.get(detail).status_code == 200
    _more_versions(cast, 6)
    f.make_school(name="School C", urn="900099", trust=cast.a.trust)
    f.make_school(name="School D", urn="900098", trust=cast.a.trust)
    with django_assert_num_queries(8):
        assert "Version 1" in client.get(reverse("reports:trust_report_list")).content.decode()
    with django_assert_num_queries(9):
        assert client.get(detail).status_code == 200
