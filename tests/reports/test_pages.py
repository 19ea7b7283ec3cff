"""
A school's governors' report, page by page, as the people who use it: the e-safety lead builds a version, writes the
summary and publishes it; the governors are told, and read the published version (on the page, as a PDF and from the
home page) and nothing else; the lead compares two years side by side and sets the small-number threshold.
"""

import io

import pytest
from django.core import mail
from django.core.files.base import ContentFile
from django.urls import reverse
from django.utils import timezone
from pypdf import PdfReader

from esafety.models import AcademicYear, Notification, OutboxMessage
from esafety.progress import Progress
from reports.models import ReportSettings, ReportStatus, SchoolReport
from reports.selectors import last_academic_year
from tests import factories as f
from tests.reports.cast_school import stored_data

pytestmark = pytest.mark.django_db

LIST = reverse("reports:report_list")
BUILD = reverse("reports:report_build")
COMPARE = reverse("reports:report_compare")
SETTINGS = reverse("reports:report_settings")


@pytest.fixture(autouse=True)
def _media_in_tmp(settings, tmp_path):
    # Built reports store their PDF: keep it out of the project's media folder.
    settings.MEDIA_ROOT = tmp_path / "media"


def detail(report):
    return reverse("reports:report_detail", kwargs={"report_id": report.pk})


def url(name, report):
    return reverse(f"reports:{name}", kwargs={"report_id": report.pk})


def pdf_text(content: bytes) -> str:
    reader = PdfReader(io.BytesIO(content))
    return " ".join(" ".join((page.extract_text() or "").split()) for page in reader.pages)


def text_of(response) -> str:
    return response.content.decode()


def make_report(cast, year, *, version=1, status=ReportStatus.DRAFT, **extra) -> SchoolReport:
    data = stored_data(cast.a.school.name, year, **extra) if status != ReportStatus.BUILDING else {}
    return SchoolReport.objects.create(
        school=cast.a.school, academic_year=year, version=version, status=status, data=data, requested_by=cast.a.users["lead"]
    )


def year_before(year) -> AcademicYear:
    start = year.start_year - 1
    found, _ = AcademicYear.objects.get_or_create(
        start_year=start,
        defaults={"starts_on": year.starts_on.replace(year=start), "ends_on": year.ends_on.replace(year=start + 1)},
    )
    return found


# --- Governors read the published version ---------------------------------------------------


def test_a_governor_reads_the_published_report_and_no_name(cast, login):
    client = login(cast.a.users["governor"])
    listing = text_of(client.get(LIST))
    year = str(cast.a.report.academic_year)
    assert f"Governors' report {year}</a>, published" in listing
    assert detail(cast.a.report) in listing and detail(cast.a.report_draft) not in listing
    assert "Build the report" not in listing

    page = client.get(detail(cast.a.report))
    assert page.status_code == 200
    body = text_of(page)
    assert "A calmer year online" in body  # the lead's summary
    assert "Incidents by category" in body and "Requests to open blocked sites" in body
    assert "fewer than 5" in body
    assert "Publish it for the governors" not in body and "Write your summary" not in body
    for name in ("Lead A", "Alice", "Aardvark", "TeacherA"):
        assert name not in body


@pytest.mark.parametrize("name", ["report_detail", "report_progress", "report_pdf"])
def test_drafts_and_failed_builds_do_not_exist_for_a_governor(cast, login, name):
    failed = make_report(cast, cast.a.report.academic_year, version=3, status=ReportStatus.FAILED)
    client = login(cast.a.users["governor"])
    assert client.get(url(name, cast.a.report_draft)).status_code == 404
    assert client.get(url(name, failed)).status_code == 404


def test_the_published_pdf_is_the_stored_file(cast, login):
    cast.a.report.pdf.save("report-a.pdf", ContentFile(b"%PDF-1.7 the stored report"), save=True)
    response = login(cast.a.users["governor"]).get(url("report_pdf", cast.a.report))
    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    assert b"".join(response.streaming_content) == b"%PDF-1.7 the stored report"
    label = cast.a.report.academic_year.label.replace("/", "-")
    assert f'filename="governors-report-{label}-v1.pdf"' in response["Content-Disposition"]


def test_a_version_without_a_pdf_sends_the_reader_back_to_its_page(cast, login):
    response = login(cast.a.users["governor"]).get(url("report_pdf", cast.a.report), follow=True)
    assert response.redirect_chain == [(detail(cast.a.report), 302)]
    assert "This version has no PDF" in text_of(response)


def test_school_b_cannot_read_school_a_s_report(cast, client):
    client.force_login(cast.b.users["governor"])
    assert client.get(detail(cast.a.report)).status_code == 404
    assert "A calmer year online" not in text_of(client.get(LIST))


# --- The lead builds, writes and publishes --------------------------------------------------


def test_the_lead_sees_every_version_and_is_offered_last_year_to_build(cast, login):
    page = login(cast.a.users["lead"]).get(LIST)
    body = text_of(page)
    assert detail(cast.a.report) in body and detail(cast.a.report_draft) in body
    assert "Published</span>" in body and "Draft</span>" in body
    form = page.context["build_form"]
    assert form["year"].value() == last_academic_year().pk
    offered = [str(year) for year in form.fields["year"].queryset]
    assert str(last_academic_year()) in offered and str(AcademicYear.objects.current()) in offered


def test_the_lead_builds_a_new_version_in_the_background(cast, login, django_capture_on_commit_callbacks):
    year = last_academic_year()
    client = login(cast.a.users["lead"])
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(BUILD, {"year": year.pk})
    report = SchoolReport.objects.get(academic_year=year, version=3)
    assert response.status_code == 302 and response["Location"] == detail(report)
    assert report.requested_by == cast.a.users["lead"]
    assert report.threshold == 5
    # The build ran in-process (no broker in the tests): the figures and the PDF are stored, as a draft.
    assert report.status == ReportStatus.DRAFT, report.error
    assert [section["key"] for section in report.data["sections"]][:1] == ["incidents"]
    assert report.pdf
    assert OutboxMessage.objects.get(task_name="reports.tasks.report_build").kwargs == {
        "school_id": cast.a.school.pk,
        "report_id": str(report.pk),
    }
    first = report.history.earliest("history_id")
    assert (first.history_user, first.history_change_reason, first.status) == (
        cast.a.users["lead"],
        "Build asked for",
        ReportStatus.BUILDING,
    )
    page = text_of(client.get(detail(report)))
    assert "A draft: governors cannot see it yet" in page
    assert "Publish it for the governors" in page


def test_a_second_build_of_the_same_year_waits_for_the_first(cast, login):
    year = last_academic_year()
    make_report(cast, year, version=3, status=ReportStatus.BUILDING)
    response = login(cast.a.users["lead"]).post(BUILD, {"year": year.pk}, follow=True)
    assert f"The report for {year} is already being built" in text_of(response)
    assert SchoolReport.objects.filter(academic_year=year).count() == 3


def test_a_year_that_is_not_offered_is_refused_beside_the_choice(cast, login):
    response = login(cast.a.users["lead"]).post(BUILD, {"year": "999999"})
    assert response.status_code == 400
    assert "Select a valid choice" in text_of(response)


def test_while_it_is_built_the_page_shows_the_progress_and_polls(cast, login):
    report = make_report(cast, last_academic_year(), version=3, status=ReportStatus.BUILDING)
    Progress.for_job(report).set(2, 5)
    client = login(cast.a.users["lead"])
    body = text_of(client.get(detail(report)))
    assert f'hx-get="{url("report_progress", report)}"' in body
    assert 'data-progress="40"' in body
    bar = client.get(url("report_progress", report), headers={"HX-Request": "true"})
    assert 'data-progress="40"' in text_of(bar) and "HX-Refresh" not in bar

    SchoolReport.objects.filter(pk=report.pk).update(
        status=ReportStatus.DRAFT, data=stored_data("School A", report.academic_year)
    )
    done = client.get(url("report_progress", report), headers={"HX-Request": "true"})
    assert 'data-progress="100"' in text_of(done) and done["HX-Refresh"] == "true"


def test_a_failed_build_shows_why_and_can_be_built_again(cast, login):
    report = make_report(cast, last_academic_year(), version=3, status=ReportStatus.FAILED)
    SchoolReport.objects.filter(pk=report.pk).update(error="The consents figures could not be read.")
    body = text_of(login(cast.a.users["lead"]).get(detail(report)))
    assert "The report could not be built." in body and "The consents figures could not be read." in body
    assert f"Build the report for {report.academic_year} again" in body


def test_the_lead_writes_the_summary_of_a_draft(cast, login):
    client = login(cast.a.users["lead"])
    page = client.get(url("report_narrative", cast.a.report_draft))
    assert page.status_code == 200 and "Your summary for governors" in text_of(page)
    response = client.post(
        url("report_narrative", cast.a.report_draft), {"narrative": "Fewer incidents.\n\nMore training next year."}, follow=True
    )
    assert "Your summary has been saved." in text_of(response)
    assert "<p>Fewer incidents.</p>" in text_of(response)
    draft = SchoolReport.objects.get(pk=cast.a.report_draft.pk)
    assert draft.narrative == "Fewer incidents.\n\nMore training next year."
    entry = draft.history.latest("history_id")
    assert (entry.history_user, entry.history_change_reason) == (cast.a.users["lead"], "Summary written")


def test_a_summary_too_long_is_kept_with_a_message(cast, login):
    typed = "Governors, " + "a" * 10_000
    response = login(cast.a.users["lead"]).post(url("report_narrative", cast.a.report_draft), {"narrative": typed})
    assert response.status_code == 400
    body = text_of(response)
    assert "Nothing was saved" in body and "at most 10000 characters" in body
    assert response.context["form"]["narrative"].value() == typed
    assert SchoolReport.objects.get(pk=cast.a.report_draft.pk).narrative == ""


def test_a_summary_naming_a_pupil_is_refused(cast, login):
    typed = "This year Alice Aardvark was bullied online."
    response = login(cast.a.users["lead"]).post(url("report_narrative", cast.a.report_draft), {"narrative": typed})
    assert response.status_code == 400
    assert "The summary names Alice Aardvark" in text_of(response)
    assert response.context["form"]["narrative"].value() == typed
    assert SchoolReport.objects.get(pk=cast.a.report_draft.pk).narrative == ""


def test_a_published_summary_is_not_changed(cast, login):
    response = login(cast.a.users["lead"]).get(url("report_narrative", cast.a.report), follow=True)
    assert response.redirect_chain == [(detail(cast.a.report), 302)]
    assert "Only a draft&#x27;s summary can be changed" in text_of(response)


def test_publishing_replaces_the_version_before_and_tells_the_governors(cast, login, django_capture_on_commit_callbacks):
    other_governor = f.make_user("governor2@a.example", "Second Governor")
    other_governor.memberships.create(school=cast.a.school, role="governor")
    client = login(cast.a.users["lead"])
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(url("report_publish", cast.a.report_draft), follow=True)
    year = cast.a.report.academic_year
    assert f"The report for {year} is published: the governors have been told." in text_of(response)
    draft, before = (SchoolReport.objects.get(pk=r.pk) for r in (cast.a.report_draft, cast.a.report))
    assert draft.status == ReportStatus.PUBLISHED and draft.published_by == cast.a.users["lead"] and draft.published_at
    assert before.status == ReportStatus.SUPERSEDED
    # The stored PDF was printed again: no longer a draft, the day it was published on its cover.
    assert f"Published on {timezone.localdate():%-d %b %Y}" in pdf_text(draft.pdf.read())
    assert before.history.latest("history_id").history_change_reason == "Replaced by version 2"
    assert draft.history.get(history_change_reason="Published").history_user == cast.a.users["lead"]

    told = Notification.objects.filter(link=detail(draft))
    assert sorted(n.recipient.email for n in told) == ["governor2@a.example", "governor@a.example"]
    assert told.first().title == f"The governors' e-safety report for {year} has been published"
    assert sorted(m.to[0] for m in mail.outbox) == ["governor2@a.example", "governor@a.example"]

    # The governor now reads version 2, and version 1 is gone for them.
    governor = login(cast.a.users["governor"])
    assert governor.get(detail(draft)).status_code == 200
    assert governor.get(detail(before)).status_code == 404
    # The lead still sees version 1, marked as replaced.
    assert "A later version of" in text_of(login(cast.a.users["lead"]).get(detail(before)))


def test_a_draft_without_figures_cannot_be_published(cast, login):
    SchoolReport.objects.filter(pk=cast.a.report_draft.pk).update(data={})
    response = login(cast.a.users["lead"]).post(url("report_publish", cast.a.report_draft), follow=True)
    assert "This draft has no figures" in text_of(response)
    assert SchoolReport.objects.get(pk=cast.a.report_draft.pk).status == ReportStatus.DRAFT
    assert not Notification.objects.filter(recipient=cast.a.users["governor"], link=detail(cast.a.report_draft)).exists()


# --- Two years side by side -----------------------------------------------------------------


def test_the_lead_compares_two_years_side_by_side(cast, login):
    year = cast.a.report.academic_year
    earlier = make_report(cast, year_before(year), status=ReportStatus.PUBLISHED, incidents=31, blocked=77)
    response = login(cast.a.users["lead"]).get(COMPARE, {"first": earlier.pk, "second": cast.a.report.pk})
    assert response.status_code == 200
    body = text_of(response)
    assert body.count('<caption class="caption-top">Incidents by category') == 2  # one table of each year
    assert f"({earlier.academic_year}, version 1)" in body and f"({year}, version 1)" in body
    assert ">31</td>" in body and ">12</td>" in body  # cyberbullying: each year's count
    assert ">77</td>" in body and ">30</td>" in body
    # Beside each other on a wide screen, one above the other on a phone.
    assert body.count('class="col-12 col-lg-6"') == 2 * 2


def test_a_report_to_compare_starts_the_form_from_its_page(cast, login):
    client = login(cast.a.users["lead"])
    assert f"{COMPARE}?first={cast.a.report.pk}" in text_of(client.get(detail(cast.a.report)))
    page = client.get(COMPARE, {"first": cast.a.report.pk})
    assert page.status_code == 200
    assert page.context["form"]["first"].value() == str(cast.a.report.pk)


def test_comparing_a_report_with_itself_is_refused(cast, login):
    response = login(cast.a.users["lead"]).get(COMPARE, {"first": cast.a.report.pk, "second": cast.a.report.pk})
    assert response.status_code == 400
    assert "Choose a different report to compare with the first." in text_of(response)


def test_a_report_being_built_or_of_another_school_cannot_be_compared(cast, login):
    building = make_report(cast, last_academic_year(), version=3, status=ReportStatus.BUILDING)
    client = login(cast.a.users["lead"])
    assert client.get(COMPARE, {"first": cast.a.report.pk, "second": building.pk}).status_code == 404
    assert client.get(COMPARE, {"first": cast.a.report.pk, "second": "not-an-id"}).status_code == 404


# --- Settings -------------------------------------------------------------------------------


def test_the_lead_sets_the_threshold_for_reports_built_from_now_on(cast, login):
    client = login(cast.a.users["lead"])
    assert client.get(SETTINGS).context["form"]["threshold"].value() == 5
    response = client.post(SETTINGS, {"threshold": "8"}, follow=True)
    assert "The settings have been saved." in text_of(response)
    settings = ReportSettings.objects.get(school=cast.a.school)
    assert settings.threshold == 8
    entry = settings.history.latest("history_id")
    assert (entry.history_user, entry.history_change_reason) == (cast.a.users["lead"], "Threshold 5 → 8")
    # The reports already built keep theirs.
    assert SchoolReport.objects.get(pk=cast.a.report.pk).threshold == 5


@pytest.mark.parametrize("typed", ["1", "21", "five"])
def test_a_threshold_out_of_range_is_kept_with_a_message(cast, login, typed):
    response = login(cast.a.users["lead"]).post(SETTINGS, {"threshold": typed})
    assert response.status_code == 400
    assert "Nothing was saved" in text_of(response)
    assert response.context["form"]["threshold"].value() == typed
    assert ReportSettings.objects.get(school=cast.a.school).threshold == 5


# --- The home page --------------------------------------------------------------------------


def test_a_governor_s_home_page_links_to_the_report_published_last(cast, login):
    body = text_of(login(cast.a.users["governor"]).get(reverse("home")))
    year = cast.a.report.academic_year
    day = timezone.localtime(cast.a.report.published_at)
    assert f"Governors' report {year}</a>, published {day.day} {day:%b %Y}." in body
    assert detail(cast.a.report) in body


def test_a_governor_s_home_page_says_nothing_before_a_report_is_published(cast, login):
    SchoolReport.objects.all().delete()
    assert "Governors' e-safety report" not in text_of(login(cast.a.users["governor"]).get(reverse("home")))


def test_the_lead_s_home_page_says_where_last_year_s_report_stands(cast, login):
    client = login(cast.a.users["lead"])
    assert "A draft is waiting to be published" in text_of(client.get(reverse("home")))
    SchoolReport.objects.filter(pk=cast.a.report_draft.pk).delete()
    assert "Read it</a>" in text_of(client.get(reverse("home")))
    SchoolReport.objects.all().delete()
    assert "Last year's report has not been built yet." in text_of(client.get(reverse("home")))
