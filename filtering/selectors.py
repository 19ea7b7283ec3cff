"""
What each user may see of the school's web filtering: another school's records, or one outside their role, are
a 404. Reads only; every write is in filtering.services.
"""

from dataclasses import dataclass
from datetime import date, timedelta

from django.db.models import Prefetch, Q, QuerySet
from django.shortcuts import get_object_or_404
from django.utils import timezone

from esafety.access import SchoolAccess
from esafety.calendar import academic_year_start
from esafety.models import School
from esafety.roles import Capability
from esafety.terms.calendar import SchoolCalendar
from esafety.terms.selectors import school_calendar
from filtering.models import (
    AnnualReview,
    FilterChange,
    FilterExceptionRequest,
    FilterGroup,
    FilterSettings,
    LogReview,
    RequestedSite,
    SiteCategory,
    SiteReport,
)

Status = FilterExceptionRequest.Status


def settings_for(school: School) -> FilterSettings:
    """The school's filtering settings (made with the school: filtering.defaults)."""
    return FilterSettings.objects.get(school=school)


def groups_for(school: School) -> QuerySet[FilterGroup]:
    return FilterGroup.objects.for_school(school)


def site_categories_for(school: School) -> QuerySet[SiteCategory]:
    return SiteCategory.objects.for_school(school)


def _with_parts(requests: QuerySet[FilterExceptionRequest]) -> QuerySet[FilterExceptionRequest]:
    """What the register and the queues show of each request, fetched with it."""
    return requests.select_related("requested_by", "category").prefetch_related(
        Prefetch("sites", queryset=RequestedSite.objects.order_by("pk")),
        Prefetch("groups", queryset=FilterGroup.objects.order_by("order", "name")),
    )


def requests_for(access: SchoolAccess, user=None) -> QuerySet[FilterExceptionRequest]:
    """Those who decide see the whole register; everyone else the requests they made."""
    if access.school is None or not access.can(Capability.REQUEST_FILTER_EXCEPTION):
        return FilterExceptionRequest.objects.none()
    requests = FilterExceptionRequest.objects.for_school(access.school).select_related("requested_by")
    if access.can(Capability.DECIDE_FILTER_EXCEPTION):
        return requests
    return requests.filter(requested_by=user or access.user)


def get_request_or_404(access: SchoolAccess, request_id) -> FilterExceptionRequest:
    return get_object_or_404(_with_parts(requests_for(access)), pk=request_id)


def head_queue(access: SchoolAccess) -> QuerySet[FilterExceptionRequest]:
    """What waits on the head teacher's sign-off, soonest lesson first."""
    if not access.can(Capability.SIGN_OFF_FILTER_EXCEPTION):
        return FilterExceptionRequest.objects.none()
    return _with_parts(requests_for(access).filter(status=Status.SUBMITTED)).order_by("starts_on", "created_at")


def it_queue(access: SchoolAccess) -> QuerySet[FilterExceptionRequest]:
    """What waits on IT: the final say, applying, and confirming removal once an exception has ended."""
    if not access.can(Capability.RUN_WEB_FILTER):
        return FilterExceptionRequest.objects.none()
    today = timezone.localdate()
    waiting = Q(status__in=[Status.HEAD_APPROVED, Status.IT_APPROVED, Status.EXPIRED, Status.REVOKED], removed_at=None)
    waiting &= ~Q(status=Status.REVOKED, applied_at=None)
    ended = Q(status=Status.ACTIVE, ends_on__lt=today)
    return _with_parts(requests_for(access).filter(waiting | ended)).order_by("starts_on", "created_at")


def open_exceptions(school: School, day: date) -> QuerySet[RequestedSite]:
    """The sites open on the filter on `day`, with their request and its groups: what the feed lists."""
    return (
        RequestedSite.objects.filter(request__in=FilterExceptionRequest.objects.for_school(school).open_on(day))
        .select_related("request")
        .order_by("value", "kind", "pk")
    )


def site_reports_for(access: SchoolAccess, user=None) -> QuerySet[SiteReport]:
    """The e-safety lead, DSL, head and IT see every report; anyone else the reports they made."""
    if access.school is None:
        return SiteReport.objects.none()
    reports = SiteReport.objects.for_school(access.school).select_related("reported_by")
    if access.can(Capability.HANDLE_SITE_REPORTS) or access.can(Capability.RUN_WEB_FILTER):
        return reports
    if access.can(Capability.REPORT_UNSUITABLE_SITE):
        return reports.filter(reported_by=user or access.user)
    return SiteReport.objects.none()


def get_site_report_or_404(access: SchoolAccess, report_id) -> SiteReport:
    return get_object_or_404(site_reports_for(access).prefetch_related("pupils"), pk=report_id)


def changes_for(access: SchoolAccess) -> QuerySet[FilterChange]:
    if access.school is None or not (access.can(Capability.REVIEW_FILTERING) or access.can(Capability.RUN_WEB_FILTER)):
        return FilterChange.objects.none()
    return FilterChange.objects.for_school(access.school).select_related("made_by", "agreed_by", "group")


def get_change_or_404(access: SchoolAccess, change_id) -> FilterChange:
    return get_object_or_404(changes_for(access), pk=change_id)


def changes_to_agree(access: SchoolAccess) -> QuerySet[FilterChange]:
    """Changes the head teacher has not yet agreed in the app."""
    if not access.can(Capability.SIGN_OFF_FILTER_EXCEPTION):
        return FilterChange.objects.none()
    return changes_for(access).filter(agreed_at=None).order_by("made_at")


def log_reviews_for(access: SchoolAccess) -> QuerySet[LogReview]:
    if access.school is None or not access.can(Capability.REVIEW_FILTERING):
        return LogReview.objects.none()
    return LogReview.objects.for_school(access.school).select_related("reviewed_by")


def annual_reviews_for(access: SchoolAccess) -> QuerySet[AnnualReview]:
    """Governors read signed reviews; those who write them see drafts too."""
    if access.school is None or not access.can(Capability.READ_FILTERING_REVIEW):
        return AnnualReview.objects.none()
    reviews = AnnualReview.objects.for_school(access.school)
    if access.can(Capability.REVIEW_FILTERING):
        return reviews
    return reviews.filter(status=AnnualReview.Status.SIGNED)


def get_annual_review_or_404(access: SchoolAccess, review_id) -> AnnualReview:
    return get_object_or_404(annual_reviews_for(access).prefetch_related("actions"), pk=review_id)


@dataclass(frozen=True)
class ReviewDue:
    due_on: date
    last: LogReview | None

    @property
    def overdue(self) -> bool:
        return self.due_on < timezone.localdate()

    @property
    def days_left(self) -> int:
        return (self.due_on - timezone.localdate()).days


def _period_end(calendar: SchoolCalendar, day: date, interval: str) -> date:
    """The last day of the month, half-term or term that `day` falls in (a holiday belongs to the period after it)."""
    if interval == FilterSettings.ReviewInterval.MONTH:
        next_month = (day.replace(day=1) + timedelta(days=32)).replace(day=1)
        return next_month - timedelta(days=1)
    half_terms = interval == FilterSettings.ReviewInterval.HALF_TERM
    for year in calendar.years:
        for period in year.half_terms() if half_terms else year.term_periods():
            if period.ends_on >= day:
                return period.ends_on
    return day + timedelta(days=42)


def log_review_due(school: School, *, last: LogReview | None = None, interval: str | None = None) -> ReviewDue:
    """
    When the next review of the logs is due: by the end of the period (month, half-term or term) after the one
    the last review was signed in, or of the current period when there has been none.
    """
    if last is None:
        last = LogReview.objects.for_school(school).order_by("-signed_at").first()
    interval = interval or settings_for(school).review_interval
    today = timezone.localdate()
    since = today if last is None else min(today, timezone.localdate(last.signed_at))
    # One calendar (one query) from the last review's year to the year after this one.
    calendar = school_calendar(school, academic_year_start(since), academic_year_start(today) + 1, closures=False)
    if last is None:
        return ReviewDue(due_on=_period_end(calendar, today, interval), last=None)
    end_of_that = _period_end(calendar, timezone.localdate(last.signed_at), interval)
    return ReviewDue(due_on=_period_end(calendar, end_of_that + timedelta(days=1), interval), last=last)
