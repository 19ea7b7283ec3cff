"""
Who may read which of a school's governors' reports, and what the pages and panels show of them. Reads only; writes
are in reports.services.

Those who write the report (the head teacher, the e-safety lead) see every version: being built, could not be built,
draft, published and superseded. Every other reader (governors, the DSL, the trust) sees the published version of each
year and nothing else: a draft or a failed build does not exist for them.
"""

from dataclasses import dataclass, field
from datetime import date

from django.db.models import QuerySet
from django.shortcuts import get_object_or_404
from django.utils import timezone

from esafety.access import SchoolAccess
from esafety.calendar import academic_year_start
from esafety.models import AcademicYear, School
from esafety.roles import Capability
from reports.models import ReportSettings, ReportStatus, SchoolReport

C = Capability
READY = (ReportStatus.DRAFT, ReportStatus.PUBLISHED, ReportStatus.SUPERSEDED)


def may_write(access: SchoolAccess) -> bool:
    return access.can(C.WRITE_GOVERNORS_REPORT)


def reports_for(access: SchoolAccess) -> QuerySet[SchoolReport]:
    """Every version for those who write the report; the published ones for every other reader; none for the rest."""
    if access.school is None or not access.can(C.READ_GOVERNORS_REPORT):
        return SchoolReport.objects.none()
    reports = SchoolReport.objects.for_school(access.school).select_related("academic_year")
    if may_write(access):
        return reports
    return reports.filter(status=ReportStatus.PUBLISHED)


def get_report_or_404(access: SchoolAccess, report_id) -> SchoolReport:
    return get_object_or_404(reports_for(access), pk=report_id)


def ready_reports_for(access: SchoolAccess) -> QuerySet[SchoolReport]:
    """The versions with figures, to compare: drafts, published and superseded ones (of those the reader may see)."""
    return reports_for(access).filter(status__in=READY)


def get_ready_report_or_404(access: SchoolAccess, report_id) -> SchoolReport:
    return get_object_or_404(ready_reports_for(access), pk=report_id)


@dataclass
class YearOfReports:
    """One academic year of the list page: its versions, newest first."""

    year: AcademicYear
    versions: list[SchoolReport] = field(default_factory=list)

    @property
    def published(self) -> SchoolReport | None:
        return next((report for report in self.versions if report.status == ReportStatus.PUBLISHED), None)

    @property
    def building(self) -> bool:
        return any(report.status == ReportStatus.BUILDING for report in self.versions)


def report_years(access: SchoolAccess) -> list[YearOfReports]:
    """The reader's reports grouped by academic year, the newest year first. One query."""
    years: dict[int, YearOfReports] = {}
    for report in reports_for(access).order_by("-academic_year__start_year", "-version"):
        years.setdefault(report.academic_year_id, YearOfReports(report.academic_year)).versions.append(report)
    return list(years.values())


def last_academic_year(today: date | None = None) -> AcademicYear:
    """The academic year before this one (made when missing): the year a report is usually written about."""
    start = academic_year_start(today or timezone.localdate()) - 1
    year, _ = AcademicYear.objects.get_or_create(
        start_year=start, defaults={"starts_on": date(start, 9, 1), "ends_on": date(start + 1, 8, 31)}
    )
    return year


def years_to_build(today: date | None = None) -> tuple[QuerySet[AcademicYear], AcademicYear]:
    """
    The academic years a report may be built for, the newest first: those the product holds records of, up to this
    one (with its figures so far); and last year, the one to offer first. Both are always there. Three queries.
    """
    today = today or timezone.localdate()
    last = last_academic_year(today)
    this_year = AcademicYear.objects.for_date(today)
    return AcademicYear.objects.filter(start_year__lte=this_year.start_year).order_by("-start_year"), last


def report_settings_for(school: School) -> ReportSettings:
    """The school's settings (made with the school by reports.defaults; read here without a second query)."""
    settings = ReportSettings.objects.filter(school=school).first()
    return settings if settings is not None else ReportSettings(school=school)


def latest_published(access: SchoolAccess) -> SchoolReport | None:
    """The report governors read now: the published version of the latest year. One query."""
    if access.school is None or not access.can(C.READ_GOVERNORS_REPORT):
        return None
    return (
        SchoolReport.objects.for_school(access.school)
        .filter(status=ReportStatus.PUBLISHED)
        .select_related("academic_year")
        .order_by("-academic_year__start_year")
        .first()
    )


@dataclass(frozen=True)
class YearState:
    """Where last year's report stands, for the writers' home panel."""

    year_label: str
    state: str  # one of the STATE_* below
    report: SchoolReport | None = None


STATE_NOT_BUILT = "not_built"
STATE_BUILDING = "building"
STATE_FAILED = "failed"
STATE_DRAFT = "draft"
STATE_PUBLISHED = "published"


def last_year_state(access: SchoolAccess, today: date | None = None) -> YearState | None:
    """
    For those who write the report: is last year's report not built yet, being built, a draft waiting to be published,
    published, or could it not be built? What still needs them comes first: a build under way, then a draft (a new
    version waits even when an older one is published). One query.
    """
    if access.school is None or not may_write(access):
        return None
    start = academic_year_start(today or timezone.localdate()) - 1
    label = f"{start}/{str(start + 1)[-2:]}"
    versions = list(
        SchoolReport.objects.for_school(access.school)
        .filter(academic_year__start_year=start)
        .exclude(status=ReportStatus.SUPERSEDED)
        .order_by("-version")
    )
    if not versions:
        return YearState(label, STATE_NOT_BUILT)

    def newest(status):
        return next((report for report in versions if report.status == status), None)

    for status, state in (
        (ReportStatus.BUILDING, STATE_BUILDING),
        (ReportStatus.DRAFT, STATE_DRAFT),
        (ReportStatus.PUBLISHED, STATE_PUBLISHED),
    ):
        if (report := newest(status)) is not None:
            return YearState(label, state, report)
    return YearState(label, STATE_FAILED, versions[0])


# --- Comparing two reports ------------------------------------------------------------------


@dataclass
class TablePair:
    caption: str
    first: dict | None
    second: dict | None


@dataclass
class SectionPair:
    key: str
    title: str
    tables: list[TablePair]


def paired_sections(first: dict, second: dict) -> list[SectionPair]:
    """
    The sections and tables of two stored reports side by side, matched by their keys, in the first report's order
    and then any the second alone has. A table in one report only is paired with nothing.
    """

    def by_key(items):
        return {item.get("key"): item for item in items or []}

    first_sections, second_sections = by_key(first.get("sections")), by_key(second.get("sections"))
    pairs = []
    for key in [*first_sections, *(k for k in second_sections if k not in first_sections)]:
        one, other = first_sections.get(key) or {}, second_sections.get(key) or {}
        one_tables, other_tables = by_key(one.get("tables")), by_key(other.get("tables"))
        tables = [
            TablePair(
                caption=(one_tables.get(table_key) or other_tables.get(table_key) or {}).get("caption", ""),
                first=one_tables.get(table_key),
                second=other_tables.get(table_key),
            )
            for table_key in [*one_tables, *(k for k in other_tables if k not in one_tables)]
        ]
        pairs.append(SectionPair(key=key, title=one.get("title") or other.get("title") or "", tables=tables))
    return pairs
