"""
The figures of web filtering over a span of time: the academic year's, which the yearly review is pre-filled
with (and keeps, as they were when it was started or last refreshed), and what the logs hold between two
reviews of them. Reads only; counts and references, never a pupil's name.
"""

from dataclasses import dataclass, field
from datetime import date, datetime
from statistics import median

from django.db.models import Count, Q
from django.utils import timezone

from esafety.models import School
from esafety.terms.calendar import year_label
from filtering.models import FilterChange, FilterExceptionRequest, LogReview, SiteReport

Status = FilterExceptionRequest.Status

# Where each request of the year ended up, by its status now.
OUTCOMES = [
    ("approved", "Approved and opened", (Status.IT_APPROVED, Status.ACTIVE, Status.EXPIRED, Status.REMOVED)),
    ("head_declined", "Declined by the head teacher", (Status.HEAD_DECLINED,)),
    ("it_declined", "Declined by IT", (Status.IT_DECLINED,)),
    ("withdrawn", "Withdrawn by whoever asked", (Status.WITHDRAWN,)),
    ("revoked", "Revoked early", (Status.REVOKED,)),
    ("waiting", "Still waiting for a decision", (Status.SUBMITTED, Status.HEAD_APPROVED)),
]


def year_span(start_year: int) -> tuple[datetime, datetime]:
    """The academic year beginning in September of `start_year`, 1 September to 31 August, as [start, end)."""
    return (
        timezone.make_aware(datetime(start_year, 9, 1)),
        timezone.make_aware(datetime(start_year + 1, 9, 1)),
    )


def _between(name: str, since: datetime | None, until: datetime) -> Q:
    """`name` falls after `since` (from the beginning when None) and no later than `until`."""
    condition = Q(**{f"{name}__lte": until})
    if since is not None:
        condition &= Q(**{f"{name}__gt": since})
    return condition


def _final_decision_at(status: str, head_decided_at, it_decided_at):
    """IT has the final say on every request that reached IT; the head teacher's is final on those declined first."""
    if it_decided_at is not None:
        return it_decided_at
    if status == Status.HEAD_DECLINED:
        return head_decided_at
    return None


def year_figures(school: School, start_year: int) -> dict:
    """
    The year's figures, as stored in the yearly review (JSON): the requests made in the year by where they ended
    up, how late ones and decisions went, the sites reported, the changes made to the filter, and the reviews of
    the logs. Five queries, however many records the year has.
    """
    start, end = year_span(start_year)
    in_year = Q(created_at__gte=start, created_at__lt=end)
    requests = FilterExceptionRequest.objects.filter(school=school).filter(in_year)
    counts = requests.aggregate(
        total=Count("pk"),
        late=Count("pk", filter=Q(is_late=True)),
        **{key: Count("pk", filter=Q(status__in=statuses)) for key, _, statuses in OUTCOMES},
    )
    waits = []
    for status, created_at, head_at, it_at in requests.values_list("status", "created_at", "head_decided_at", "it_decided_at"):
        decided_at = _final_decision_at(status, head_at, it_at)
        if decided_at is not None:
            waits.append((decided_at - created_at).total_seconds() / 3600)
    counts["decided"] = len(waits)
    counts["median_decision_hours"] = round(median(waits), 1) if waits else None

    reports = SiteReport.objects.filter(school=school, reported_at__gte=start, reported_at__lt=end).aggregate(
        total=Count("pk"),
        blocked=Count("pk", filter=Q(status__in=[SiteReport.Status.BLOCKED, SiteReport.Status.TO_BLOCK])),
        escalated=Count("pk", filter=Q(status=SiteReport.Status.ESCALATED)),
        no_action=Count("pk", filter=Q(status=SiteReport.Status.NO_ACTION)),
        waiting=Count("pk", filter=Q(status=SiteReport.Status.NEW)),
        suspected_illegal=Count("pk", filter=Q(suspected_illegal=True)),
    )
    changes = FilterChange.objects.filter(school=school, made_at__gte=start, made_at__lt=end).aggregate(
        total=Count("pk"),
        emergency=Count("pk", filter=Q(agreement=FilterChange.Agreement.EMERGENCY)),
        awaiting_agreement=Count("pk", filter=Q(agreed_at=None)),
        switched_off=Count("pk", filter=Q(kind=FilterChange.Kind.SWITCHED_OFF_USER)),
    )
    reviews = list(
        LogReview.objects.filter(school=school, signed_at__gte=start, signed_at__lt=end).values_list("signed_at", "was_due_on")
    )
    on_time = sum(1 for signed_at, due_on in reviews if due_on is None or timezone.localdate(signed_at) <= due_on)
    return {
        "start_year": start_year,
        "worked_out_at": timezone.now().isoformat(),
        "requests": counts,
        "site_reports": reports,
        "changes": changes,
        "log_reviews": {"done": len(reviews), "on_time": on_time},
    }


def duration_words(hours: float | None) -> str:
    """A span of time as a governor would say it: "under an hour", "5 hours", "3 days"."""
    if hours is None:
        return "no decisions yet"
    if hours < 1:
        return "under an hour"
    if hours < 48:
        whole = round(hours)
        return f"{whole} hour{'s' if whole != 1 else ''}"
    days = round(hours / 24)
    return f"{days} days"


@dataclass(frozen=True)
class FigureSection:
    title: str
    rows: list[tuple[str, str]] = field(default_factory=list)


def figure_sections(figures: dict) -> list[FigureSection]:
    """The stored figures as headed rows of label and value, for the review's page and its PDF alike."""
    if not figures:
        return []
    requests = figures.get("requests", {})
    reports = figures.get("site_reports", {})
    changes = figures.get("changes", {})
    reviews = figures.get("log_reviews", {})
    return [
        FigureSection(
            "Requests to open sites",
            [
                ("Requests made in the year", str(requests.get("total", 0))),
                *[(label, str(requests.get(key, 0))) for key, label, _ in OUTCOMES],
                ("Asked with less notice than the school asks for", str(requests.get("late", 0))),
                (
                    "Median time from the request to the final decision",
                    duration_words(requests.get("median_decision_hours")),
                ),
            ],
        ),
        FigureSection(
            "Unsuitable sites reported",
            [
                ("Sites reported", str(reports.get("total", 0))),
                ("Blocked, or to be blocked", str(reports.get("blocked", 0))),
                ("Escalated to an incident", str(reports.get("escalated", 0))),
                ("No action needed", str(reports.get("no_action", 0))),
                ("Still waiting for a decision", str(reports.get("waiting", 0))),
                ("Suspected illegal material", str(reports.get("suspected_illegal", 0))),
            ],
        ),
        FigureSection(
            "Changes made to the filter",
            [
                ("Changes made", str(changes.get("total", 0))),
                ("Made in an emergency, before the head teacher agreed", str(changes.get("emergency", 0))),
                ("Still waiting for the head teacher's agreement", str(changes.get("awaiting_agreement", 0))),
                ("Filtering switched off for a user", str(changes.get("switched_off", 0))),
            ],
        ),
        FigureSection(
            "Reviews of the logs",
            [
                ("Reviews signed off", str(reviews.get("done", 0))),
                ("Of which on time", str(reviews.get("on_time", 0))),
            ],
        ),
    ]


def figures_worked_out_at(figures: dict) -> datetime | None:
    value = figures.get("worked_out_at") if figures else None
    return datetime.fromisoformat(value) if value else None


def academic_year_words(start_year: int) -> str:
    """ "2026/27 (1 Sep 2026 to 31 Aug 2027)"."""
    return f"{year_label(start_year)} (1 Sep {start_year} to 31 Aug {start_year + 1})"


# --- Between two reviews of the logs ------------------------------------------------


@dataclass
class PeriodLogs:
    """What the logs hold for a period: counts of everything, and the newest `limit` records of each log."""

    since: datetime | None
    until: datetime
    limit: int
    requests: list
    request_counts: dict
    changes: list
    change_counts: dict
    reports: list
    report_counts: dict

    @property
    def is_empty(self) -> bool:
        return not (self.request_counts["total"] or self.change_counts["total"] or self.report_counts["total"])


REQUEST_MOMENTS = ("created_at", "head_decided_at", "it_decided_at", "applied_at", "removed_at", "ended_at")


def period_logs(school: School, since: datetime | None, until: datetime, *, limit: int = 50) -> PeriodLogs:
    """
    The requests asked for or acted on, the changes made or logged, and the sites reported after `since` (from
    the beginning when None) up to `until`. Six queries, however many records the period has: a count of each
    log and its newest `limit` records.
    """
    touched = Q()
    for moment in REQUEST_MOMENTS:
        touched |= _between(moment, since, until)
    requests = FilterExceptionRequest.objects.filter(school=school).filter(touched)
    request_counts = requests.aggregate(
        total=Count("pk"),
        asked=Count("pk", filter=_between("created_at", since, until)),
        late=Count("pk", filter=_between("created_at", since, until) & Q(is_late=True)),
        head_decided=Count("pk", filter=_between("head_decided_at", since, until)),
        it_decided=Count("pk", filter=_between("it_decided_at", since, until)),
        applied=Count("pk", filter=_between("applied_at", since, until)),
        ended=Count("pk", filter=_between("ended_at", since, until)),
        removed=Count("pk", filter=_between("removed_at", since, until)),
    )
    changes = FilterChange.objects.filter(school=school).filter(
        _between("made_at", since, until) | _between("logged_at", since, until)
    )
    change_counts = changes.aggregate(
        total=Count("pk"),
        emergency=Count("pk", filter=Q(agreement=FilterChange.Agreement.EMERGENCY)),
        awaiting_agreement=Count("pk", filter=Q(agreed_at=None)),
        switched_off=Count("pk", filter=Q(kind=FilterChange.Kind.SWITCHED_OFF_USER)),
    )
    reports = SiteReport.objects.filter(school=school).filter(_between("reported_at", since, until))
    report_counts = reports.aggregate(
        total=Count("pk"),
        waiting=Count("pk", filter=Q(status=SiteReport.Status.NEW)),
        blocked=Count("pk", filter=Q(status__in=[SiteReport.Status.BLOCKED, SiteReport.Status.TO_BLOCK])),
        escalated=Count("pk", filter=Q(status=SiteReport.Status.ESCALATED)),
        suspected_illegal=Count("pk", filter=Q(suspected_illegal=True)),
    )
    return PeriodLogs(
        since=since,
        until=until,
        limit=limit,
        requests=list(requests.select_related("requested_by").order_by("-created_at")[:limit]),
        request_counts=request_counts,
        changes=list(changes.select_related("made_by").order_by("-made_at")[:limit]),
        change_counts=change_counts,
        reports=list(reports.select_related("reported_by").order_by("-reported_at")[:limit]),
        report_counts=report_counts,
    )


def one_year_on(day: date) -> date:
    """The same day next year (28 February for 29 February)."""
    try:
        return day.replace(year=day.year + 1)
    except ValueError:
        return day.replace(year=day.year + 1, day=28)
