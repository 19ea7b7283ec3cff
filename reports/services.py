"""
Every change to a school's governors' report: asking for a build, the lead's summary, publishing, and the school's
small-number threshold. Each runs in one transaction, keeps the record's history, and queues its side effects (the
build itself, the governors' notifications) after commit.

The build runs in the background (`reports.tasks.report_build`, `reports.build`): it stores the figures, the charts
and the PDF, and leaves the report a draft, or "could not be built" with the reason. A new summary, or publishing,
prints the stored PDF again (`reports.tasks.report_pdf_refresh`), so that it says what the page says.
"""

import re
from datetime import timedelta

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Max
from django.urls import reverse
from django.utils import timezone

from esafety.history import save_with_history
from esafety.models import AcademicYear, Membership, Pupil, School, StaffMember, User
from esafety.notifications import notify
from esafety.outbox import outbox_enqueue
from esafety.roles import Role
from reports.models import ReportSettings, ReportStatus, SchoolReport

# A build still "being built" this long after it was asked for has stopped (its worker died, or its message was lost):
# it is marked as not built, so that the lead can ask again. A whole year's figures take seconds, not an hour.
BUILD_GIVES_UP_AFTER = timedelta(hours=1)
NARRATIVE_LONGEST = 10_000


@transaction.atomic
def report_request_build(*, school: School, year: AcademicYear, actor: User | None) -> SchoolReport:
    """
    A new version of the school's report for `year`, being built: the build is queued after commit. Refused while
    another version of the same year is still being built. `actor` is None for the yearly draft (beat).
    """
    settings = _locked_settings(school)
    building = SchoolReport.objects.filter(school=school, academic_year=year, status=ReportStatus.BUILDING)
    for stalled in building.filter(requested_at__lt=timezone.now() - BUILD_GIVES_UP_AFTER):
        stalled.status = ReportStatus.FAILED
        stalled.error = "The build stopped before it finished. Build the report again."
        save_with_history(stalled, actor=None, reason="Build stopped")
    if building.exists():
        raise ValidationError(
            f"The report for {year} is already being built: wait for it to finish (it takes a minute or two), "
            "then build it again if you need to."
        )
    latest = SchoolReport.objects.filter(school=school, academic_year=year).aggregate(latest=Max("version"))["latest"]
    report = SchoolReport(
        school=school,
        academic_year=year,
        version=(latest or 0) + 1,
        status=ReportStatus.BUILDING,
        threshold=settings.threshold,
        requested_by=actor,
    )
    save_with_history(report, actor=actor, reason="Build asked for" if actor else "Yearly draft")
    outbox_enqueue("reports.tasks.report_build", school_id=school.pk, report_id=str(report.pk))
    return report


def _locked_settings(school: School) -> ReportSettings:
    # Two people asking at once would both find no build under way: the second waits for the first here.
    settings = ReportSettings.objects.select_for_update().filter(school=school).first()
    if settings is None:
        settings, _ = ReportSettings.objects.get_or_create(school=school)
    return settings


@transaction.atomic
def report_save_narrative(*, report: SchoolReport, narrative: str, actor: User) -> bool:
    """
    The lead's summary for governors, written on a draft; a published report is not changed (build a new version).
    Refused when it names a pupil or a member of staff of the school. Returns whether anything changed.
    """
    report = _locked(report)
    if report.status != ReportStatus.DRAFT:
        raise ValidationError("Only a draft's summary can be changed: this version is no longer a draft.")
    narrative = narrative.strip()
    if len(narrative) > NARRATIVE_LONGEST:
        raise ValidationError({"narrative": f"Keep the summary to {NARRATIVE_LONGEST:,} characters (it has {len(narrative):,})."})
    name = _name_in(report.school, narrative)
    if name:
        raise ValidationError(
            {"narrative": f"The summary names {name}. Governors' reports name no pupil or member of staff: take it out."}
        )
    if narrative == report.narrative:
        return False
    report.narrative = narrative
    save_with_history(report, actor=actor, reason="Summary written")
    _pdf_refresh(report)
    return True


def _pdf_refresh(report: SchoolReport) -> None:
    # The stored PDF carries the summary and the day it was published: print it again as the report now stands.
    outbox_enqueue("reports.tasks.report_pdf_refresh", school_id=report.school_id, report_id=str(report.pk))


def _words(text: str) -> str:
    return " " + " ".join(re.findall(r"[\w'’-]+", text.lower())) + " "


def _name_in(school: School, text: str) -> str:
    """The first full name (first or preferred name, then last name) of a pupil or member of staff found in the text."""
    if not text:
        return ""
    words = _words(text)
    people = [
        *Pupil.objects.filter(school=school).values_list("first_name", "preferred_name", "last_name"),
        *((first, "", last) for first, last in StaffMember.objects.filter(school=school).values_list("first_name", "last_name")),
    ]
    for first, preferred, last in people:
        for given in {first, preferred} - {""}:
            if _words(f"{given} {last}") in words:
                return f"{given} {last}"
    return ""


@transaction.atomic
def report_publish(*, report: SchoolReport, actor: User) -> SchoolReport:
    """
    Publish a draft that has its figures: governors may read it from now on, and are told. The version of the same
    year published before (if any) is superseded: governors no longer see it.
    """
    report = _locked(report)
    if report.status != ReportStatus.DRAFT:
        raise ValidationError("Only a draft can be published: this version is not one.")
    if not (report.data or {}).get("sections"):
        raise ValidationError("This draft has no figures: build the report again before publishing it.")
    before = SchoolReport.objects.select_for_update().filter(
        school=report.school, academic_year=report.academic_year, status=ReportStatus.PUBLISHED
    )
    for previous in before:
        previous.status = ReportStatus.SUPERSEDED
        save_with_history(previous, actor=actor, reason=f"Replaced by version {report.version}")
    report.status = ReportStatus.PUBLISHED
    report.published_at = timezone.now()
    report.published_by = actor
    save_with_history(report, actor=actor, reason="Published")
    _pdf_refresh(report)
    governors = [
        membership.user
        for membership in Membership.objects.filter(
            school=report.school, role=Role.GOVERNOR, user__is_active=True
        ).select_related("user")
    ]
    notify(
        recipients=governors,
        school=report.school,
        title=f"The governors' e-safety report for {report.academic_year} has been published",
        body="It is ready for governors to read, on the page or as a PDF.",
        link=reverse("reports:report_detail", kwargs={"report_id": report.pk}),
        email=True,
    )
    return report


def _locked(report: SchoolReport) -> SchoolReport:
    """The report as it is now, held until the transaction ends: two people publishing at once do it once."""
    return SchoolReport.objects.select_for_update(of=("self",)).select_related("academic_year", "school").get(pk=report.pk)


@transaction.atomic
def report_settings_save(*, settings: ReportSettings, threshold: int, actor: User) -> bool:
    """The school's small-number threshold, from 2 to 20, used by the reports built from now on. Returns whether it changed."""
    if not 2 <= threshold <= 20:
        raise ValidationError({"threshold": "Choose a number from 2 to 20."})
    if settings.threshold == threshold:
        return False
    before = settings.threshold
    settings.threshold = threshold
    save_with_history(settings, actor=actor, reason=f"Threshold {before} → {threshold}")
    return True
