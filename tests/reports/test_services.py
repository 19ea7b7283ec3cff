"""
The services of a school's governors' report: asking for a build (a new version, the school's threshold, the build
queued after commit, one build of a year at a time), the lead's summary, publishing and the threshold.
"""

from datetime import timedelta

import pytest
from django.core.exceptions import ValidationError
from django.utils import timezone

from esafety.models import AcademicYear, Notification, OutboxMessage
from esafety.scoping import scope
from reports import services
from reports.models import ReportSettings, ReportStatus, SchoolReport
from reports.selectors import last_academic_year
from tests.reports.cast_school import stored_data

pytestmark = pytest.mark.django_db


def fresh(report) -> SchoolReport:
    return SchoolReport.objects.get(pk=report.pk)


def test_a_build_is_the_next_version_with_the_school_s_threshold_queued_after_commit(cast):
    ReportSettings.objects.filter(school=cast.a.school).update(threshold=7)
    lead = cast.a.users["lead"]
    report = services.report_request_build(school=cast.a.school, year=last_academic_year(), actor=lead)
    assert (report.version, report.status, report.threshold, report.requested_by) == (3, ReportStatus.BUILDING, 7, lead)
    message = OutboxMessage.objects.get(task_name="reports.tasks.report_build")
    assert message.kwargs == {"school_id": cast.a.school.pk, "report_id": str(report.pk)}
    assert message.dispatched_at is None  # the test's transaction never commits: nothing ran
    entry = report.history.get()
    assert (entry.history_user, entry.history_change_reason) == (lead, "Build asked for")


def test_the_first_build_of_a_year_is_version_1_and_the_yearly_draft_has_no_actor(cast):
    year, _ = AcademicYear.objects.get_or_create(
        start_year=2001,
        defaults={"starts_on": timezone.datetime(2001, 9, 1).date(), "ends_on": timezone.datetime(2002, 8, 31).date()},
    )
    report = services.report_request_build(school=cast.a.school, year=year, actor=None)
    assert report.version == 1 and report.requested_by is None
    assert report.history.get().history_change_reason == "Yearly draft"


def test_one_build_of_a_year_at_a_time_but_other_years_and_schools_are_free(cast):
    year = last_academic_year()
    services.report_request_build(school=cast.a.school, year=year, actor=cast.a.users["lead"])
    with pytest.raises(ValidationError, match=f"The report for {year} is already being built"):
        services.report_request_build(school=cast.a.school, year=year, actor=cast.a.users["head"])
    other = AcademicYear.objects.current()
    assert services.report_request_build(school=cast.a.school, year=other, actor=cast.a.users["head"]).version == 1
    with scope(school=cast.b.school):
        assert services.report_request_build(school=cast.b.school, year=year, actor=cast.b.users["lead"]).version == 1


def test_a_build_that_stopped_an_hour_ago_gives_way_to_a_new_one(cast, time_machine):
    year = last_academic_year()
    stalled = services.report_request_build(school=cast.a.school, year=year, actor=cast.a.users["lead"])
    time_machine.move_to(timezone.now() + timedelta(minutes=61))
    again = services.report_request_build(school=cast.a.school, year=year, actor=cast.a.users["lead"])
    assert again.version == 4 and again.status == ReportStatus.BUILDING
    stalled = fresh(stalled)
    assert stalled.status == ReportStatus.FAILED
    assert stalled.error == "The build stopped before it finished. Build the report again."


def test_the_summary_is_written_on_drafts_only(cast):
    lead = cast.a.users["lead"]
    assert services.report_save_narrative(report=cast.a.report_draft, narrative="  Fewer incidents.  ", actor=lead)
    assert fresh(cast.a.report_draft).narrative == "Fewer incidents."
    entries = cast.a.report_draft.history.count()
    assert not services.report_save_narrative(report=cast.a.report_draft, narrative="Fewer incidents.", actor=lead)
    assert cast.a.report_draft.history.count() == entries
    # The stored PDF is printed again with the summary, once.
    reprint = OutboxMessage.objects.get(task_name="reports.tasks.report_pdf_refresh")
    assert reprint.kwargs == {"school_id": cast.a.school.pk, "report_id": str(cast.a.report_draft.pk)}
    with pytest.raises(ValidationError, match="Only a draft's summary can be changed"):
        services.report_save_narrative(report=cast.a.report, narrative="Changed after publishing", actor=lead)


def test_the_summary_names_no_member_of_staff(cast):
    with pytest.raises(ValidationError) as refused:
        services.report_save_narrative(
            report=cast.a.report_draft, narrative="Thanks to tutor teachera for the assemblies.", actor=cast.a.users["lead"]
        )
    assert refused.value.message_dict == {
        "narrative": ["The summary names Tutor TeacherA. Governors' reports name no pupil or member of staff: take it out."]
    }


@pytest.mark.parametrize("status", [ReportStatus.BUILDING, ReportStatus.FAILED, ReportStatus.PUBLISHED, ReportStatus.SUPERSEDED])
def test_only_a_draft_is_published(cast, status):
    if status == ReportStatus.PUBLISHED:
        SchoolReport.objects.filter(pk=cast.a.report.pk).update(status=ReportStatus.SUPERSEDED)
    SchoolReport.objects.filter(pk=cast.a.report_draft.pk).update(status=status)
    with pytest.raises(ValidationError, match="Only a draft can be published"):
        services.report_publish(report=cast.a.report_draft, actor=cast.a.users["lead"])
    assert not Notification.objects.filter(recipient=cast.a.users["governor"]).exists()


def test_publishing_supersedes_only_the_same_year(cast):
    earlier_year, _ = AcademicYear.objects.get_or_create(
        start_year=2001,
        defaults={"starts_on": timezone.datetime(2001, 9, 1).date(), "ends_on": timezone.datetime(2002, 8, 31).date()},
    )
    earlier = SchoolReport.objects.create(
        school=cast.a.school, academic_year=earlier_year, status=ReportStatus.PUBLISHED, data=stored_data("A", earlier_year)
    )
    published = services.report_publish(report=cast.a.report_draft, actor=cast.a.users["head"])
    assert published.status == ReportStatus.PUBLISHED and published.published_by == cast.a.users["head"]
    assert fresh(cast.a.report).status == ReportStatus.SUPERSEDED
    assert fresh(earlier).status == ReportStatus.PUBLISHED
    assert OutboxMessage.objects.filter(task_name="reports.tasks.report_pdf_refresh").count() == 1
    assert list(Notification.objects.filter(recipient=cast.a.users["governor"]).values_list("link", flat=True)) == [
        f"/governors-report/{published.pk}/"
    ]


@pytest.mark.parametrize("threshold", [1, 21])
def test_the_threshold_is_from_2_to_20(cast, threshold):
    settings = ReportSettings.objects.get(school=cast.a.school)
    with pytest.raises(ValidationError) as refused:
        services.report_settings_save(settings=settings, threshold=threshold, actor=cast.a.users["lead"])
    assert refused.value.message_dict == {"threshold": ["Choose a number from 2 to 20."]}


def test_an_unchanged_threshold_is_not_saved_again(cast):
    settings = ReportSettings.objects.get(school=cast.a.school)
    entries = settings.history.count()
    assert not services.report_settings_save(settings=settings, threshold=5, actor=cast.a.users["lead"])
    assert settings.history.count() == entries
