"""
The web filtering section of the governors' report (reports.figures.base): the year's requests to open blocked
sites and the year before's, the unsuitable sites reported and what came of them, the changes made to the filter
and whether the head teacher agreed them, whether the logs were reviewed on time, and the yearly filtering and
monitoring review.

Only numbers, dates and the app's own words: nothing is read of a request's purpose, a report's address or what
was seen, a change's reason, or what a review found (its findings are free text, which may name a member of
staff, so the section says only whether they were written). Eight queries whatever the years of data: the
school's settings and terms, then one for each kind of record (the requests' decision times as a list, for
their median).
"""

from datetime import date, timedelta
from statistics import median

from django.db import models
from django.db.models import Case, F, IntegerField, Min, Q, Value, When
from django.utils import timezone

from esafety.models import AcademicYear
from esafety.terms.calendar import SchoolCalendar
from esafety.terms.selectors import school_calendar
from filtering.figures import OUTCOMES, duration_words
from filtering.models import AnnualReview, FilterChange, FilterExceptionRequest, FilterSettings, LogReview, SiteReport
from filtering.selectors import settings_for
from reports.figures.base import Count, Measure, ReportContext, Row, Section, Table, Text, report_section, start_of

RequestStatus = FilterExceptionRequest.Status
ReviewInterval = FilterSettings.ReviewInterval

# What came of the sites reported, in the order a governor reads them.
REPORT_OUTCOMES = [
    ("blocked", "Blocked", SiteReport.Status.BLOCKED),
    ("to_block", "To be blocked by IT", SiteReport.Status.TO_BLOCK),
    ("escalated", "Escalated to an incident", SiteReport.Status.ESCALATED),
    ("no_action", "No action needed", SiteReport.Status.NO_ACTION),
    ("waiting", "Waiting for a decision", SiteReport.Status.NEW),
]

# The head teacher's agreement to each change made to the filter.
CHANGE_AGREEMENTS = [
    (
        "before",
        "Agreed by the head teacher before it was made",
        Q(agreement=FilterChange.Agreement.BEFORE, agreed_at__isnull=False),
    ),
    (
        "emergency",
        "Made in an emergency and agreed afterwards",
        Q(agreement=FilterChange.Agreement.EMERGENCY, agreed_at__isnull=False),
    ),
    ("waiting", "Not yet agreed by the head teacher in the app", Q(agreed_at__isnull=True)),
]

PERIOD_WORDS = {ReviewInterval.MONTH: "month", ReviewInterval.HALF_TERM: "half-term", ReviewInterval.TERM: "term"}


@report_section(20)
def build(ctx: ReportContext) -> Section:
    settings = settings_for(ctx.school)
    columns = [ctx.year_label, ctx.previous_label]
    request_counts = _request_counts(ctx)
    return Section(
        key="filtering",
        title="Web filtering",
        intro=(
            "Requests from staff to open blocked sites for lessons, the unsuitable sites staff reported, the changes made "
            "to the filter itself, and the checks on all of it: the regular reviews of the logs and the yearly review "
            "of filtering and monitoring. Each is counted in the school year in which it was asked, reported or made."
        ),
        tables=[
            _requests(request_counts, columns),
            _request_timing(ctx, request_counts, settings.notice_school_days, columns),
            _site_reports(ctx, columns),
            _changes(ctx, columns),
            _log_reviews(ctx, settings.review_interval, columns),
            _yearly_review(ctx, columns),
        ],
    )


# --- Periods --------------------------------------------------------------------------


def _days(field: str, first: date, last: date) -> Q:
    """`field`, a moment, falls on a day from `first` to `last` (both included) in the school's time zone."""
    return Q(**{f"{field}__gte": start_of(first), f"{field}__lt": start_of(last + timedelta(days=1))})


def _during(field: str, year: AcademicYear) -> Q:
    return _days(field, year.starts_on, year.ends_on)


def _years(ctx: ReportContext) -> list[tuple[str, AcademicYear]]:
    """The two years, each with the prefix of its counts in a grouped query: the year first, as in the columns."""
    return [("this", ctx.year), ("last", ctx.previous)]


def _cells(counts: dict[str, int], key: str) -> list[Count]:
    return [Count(counts[f"this_{key}"]), Count(counts[f"last_{key}"])]


def _total(rows: list[Row], label: str) -> Row:
    return Row(label, [Count(sum(row.cells[i].value for row in rows)) for i in range(2)], total=True)


# --- Requests to open sites (two queries) -------------------------------------------------


def _request_counts(ctx: ReportContext) -> dict:
    """Each year's requests by where they ended up and how many were late; the median time to the final decision."""
    requests = FilterExceptionRequest.objects.filter(school=ctx.school).filter(
        _during("created_at", ctx.previous) | _during("created_at", ctx.year)
    )
    counts = {}
    for prefix, year in _years(ctx):
        during = _during("created_at", year)
        counts[f"{prefix}_late"] = models.Count("pk", filter=during & Q(is_late=True))
        for key, _, statuses in OUTCOMES:
            counts[f"{prefix}_{key}"] = models.Count("pk", filter=during & Q(status__in=statuses))
    result = requests.aggregate(**counts)
    # IT has the final say on every request that reached IT; the head teacher's is final on one declined first.
    decided = requests.filter(
        Q(it_decided_at__isnull=False) | Q(status=RequestStatus.HEAD_DECLINED, head_decided_at__isnull=False)
    )
    hours: dict[str, list[float]] = {prefix: [] for prefix, _ in _years(ctx)}
    for created_at, head_at, it_at in decided.values_list("created_at", "head_decided_at", "it_decided_at"):
        prefix = "this" if timezone.localdate(created_at) >= ctx.year.starts_on else "last"
        hours[prefix].append(((it_at or head_at) - created_at).total_seconds() / 3600)
    for prefix, values in hours.items():
        result[f"{prefix}_decided"] = len(values)
        result[f"{prefix}_median_hours"] = median(values) if values else None
    return result


def _requests(counts: dict, columns: list[str]) -> Table:
    rows = [Row(label, _cells(counts, key)) for key, label, _ in OUTCOMES]
    return Table(
        key="requests",
        caption="Requests to open blocked sites",
        row_header="What came of them",
        columns=columns,
        rows=[*rows, _total(rows, "All requests")],
        chart="hbar",
        note="Each request made in the year, by where it stands now.",
    )


def _request_timing(ctx: ReportContext, counts: dict, notice_days: int, columns: list[str]) -> Table:
    days = f"{notice_days} school day{'s' if notice_days != 1 else ''}"
    return Table(
        key="request_timing",
        caption="Notice given and time to decide",
        row_header="Requests",
        columns=columns,
        rows=[
            Row("Asked with less notice than the school asks for", _cells(counts, "late")),
            Row(
                "Median time from asking to the final decision",
                [
                    Measure(
                        duration_words(counts[f"{prefix}_median_hours"]),
                        base=counts[f"{prefix}_decided"],
                        empty="no decisions",
                        number=counts[f"{prefix}_median_hours"],
                    )
                    for prefix, _ in _years(ctx)
                ],
            ),
        ],
        note=(
            f"Late: asked less than {days} before the lesson (the notice the school asks for now). The final decision is "
            "IT's, or the head teacher's on a request declined before it reached IT."
        ),
    )


# --- Sites reported and changes to the filter (two queries) --------------------------------


def _site_reports(ctx: ReportContext, columns: list[str]) -> Table:
    reports = SiteReport.objects.filter(school=ctx.school)
    counts = reports.aggregate(
        **{
            f"{prefix}_{key}": models.Count("pk", filter=_during("reported_at", year) & Q(status=status))
            for prefix, year in _years(ctx)
            for key, _, status in REPORT_OUTCOMES
        }
    )
    rows = [Row(label, _cells(counts, key)) for key, label, _ in REPORT_OUTCOMES]
    return Table(
        key="site_reports",
        caption="Unsuitable sites reported",
        row_header="What came of them",
        columns=columns,
        rows=[*rows, _total(rows, "All sites reported")],
        chart="hbar",
        note="Sites that staff reported should have been blocked, by what was decided (as it stands now).",
    )


def _changes(ctx: ReportContext, columns: list[str]) -> Table:
    changes = FilterChange.objects.filter(school=ctx.school)
    counts = changes.aggregate(
        **{
            f"{prefix}_{key}": models.Count("pk", filter=_during("made_at", year) & condition)
            for prefix, year in _years(ctx)
            for key, _, condition in CHANGE_AGREEMENTS
        }
    )
    rows = [Row(label, _cells(counts, key)) for key, label, _ in CHANGE_AGREEMENTS]
    return Table(
        key="changes",
        caption="Changes made to the filter",
        row_header="Head teacher's agreement",
        columns=columns,
        rows=[*rows, _total(rows, "All changes logged")],
        chart="hbar",
        note="Each change made to the filter itself in the year (a category or site blocked or allowed, filtering changed "
        "for a group or a user), with the head teacher's agreement as the change log records it now.",
    )


# --- Reviews of the logs (two queries) ------------------------------------------------------


def review_period_ends(calendar: SchoolCalendar, start_year: int, interval: str) -> list[date]:
    """The last day of each month, half-term or term of the academic year: a review of the logs is due by each."""
    if interval == ReviewInterval.MONTH:
        firsts = [date(start_year + (month < 9), month, 1) for month in (*range(9, 13), *range(1, 9))]
        return [(first + timedelta(days=32)).replace(day=1) - timedelta(days=1) for first in firsts]
    year = calendar.year(start_year)
    periods = year.half_terms() if interval == ReviewInterval.HALF_TERM else year.term_periods()
    return [period.ends_on for period in periods]


def _log_reviews(ctx: ReportContext, interval: str, columns: list[str]) -> Table:
    on_time = Q(was_due_on__isnull=True) | Q(signed_at__date__lte=F("was_due_on"))
    counts = LogReview.objects.filter(school=ctx.school).aggregate(
        first=Min("signed_at"),
        **{
            key: models.Count("pk", filter=_during("signed_at", year) & condition)
            for prefix, year in _years(ctx)
            for key, condition in ((f"{prefix}_signed", Q()), (f"{prefix}_on_time", on_time))
        },
    )
    calendar = school_calendar(ctx.school, ctx.previous.start_year, ctx.year.start_year, closures=False)
    # The schedule starts with the school's first review: nothing was due before it.
    first = timezone.localdate(counts["first"]) if counts["first"] else None
    today = timezone.localdate()
    figures = []
    for prefix, year in _years(ctx):
        ends = review_period_ends(calendar, year.start_year, interval)
        due = sum(1 for end in ends if end < min(today, year.ends_on + timedelta(days=1)) and (first is None or end >= first))
        signed, in_time = counts[f"{prefix}_signed"], counts[f"{prefix}_on_time"]
        figures.append((due, in_time, signed - in_time, max(due - signed, 0)))
    period = PERIOD_WORDS.get(interval, "half-term")
    return Table(
        key="log_reviews",
        caption="Reviews of the filtering logs",
        row_header="Reviews",
        columns=columns,
        rows=[
            Row(f"Due (one each {period})", [Text(str(due)) for due, *_ in figures]),
            Row("Signed off on time", [Text(str(in_time)) for _, in_time, *_ in figures]),
            Row("Signed off late", [Text(str(late)) for *_, late, _ in figures]),
            Row("Not signed off", [Text(str(missing)) for *_, missing in figures]),
        ],
        note=(
            f"A review of the exception and change logs is due by the end of each {period} (the school's setting now) "
            "that had ended by the end of the year, or by today for a year not yet over, counted from the school's first "
            "review. On time: signed off by the date it was due."
        ),
    )


# --- The yearly filtering and monitoring review (one query) ----------------------------------


def _date(day: date | None, otherwise: str) -> Text:
    return Text(f"{day:%d/%m/%Y}" if day else otherwise)


def _yearly_review(ctx: ReportContext, columns: list[str]) -> Table:
    today = timezone.localdate()
    done, open_ = Q(actions__done_on__isnull=False), Q(actions__done_on__isnull=True)
    reviews = {
        review["start_year"]: review
        for review in AnnualReview.objects.filter(
            school=ctx.school, start_year__in=[ctx.year.start_year, ctx.previous.start_year]
        )
        .annotate(
            findings_written=Case(When(findings="", then=Value(0)), default=Value(1), output_field=IntegerField()),
        )
        .values("start_year", "status", "signed_at", "next_review_on", "findings_written")
        .annotate(
            actions_agreed=models.Count("actions"),
            done_in_time=models.Count("actions", filter=done & Q(actions__done_on__lte=F("actions__due_on"))),
            done_late=models.Count("actions", filter=done & Q(actions__done_on__gt=F("actions__due_on"))),
            overdue=models.Count("actions", filter=open_ & Q(actions__due_on__lt=today)),
            not_yet_due=models.Count("actions", filter=open_ & Q(actions__due_on__gte=today)),
        )
        .order_by()
    }
    found = [reviews.get(year.start_year) for _, year in _years(ctx)]

    def status(review) -> Text:
        if review is None:
            return Text("none recorded")
        return Text(AnnualReview.Status(review["status"]).label)

    def number(key: str) -> list[Text]:
        return [Text(str(review[key]) if review else "0") for review in found]

    return Table(
        key="yearly_review",
        caption="The yearly review of filtering and monitoring",
        row_header="Review",
        columns=columns,
        rows=[
            Row("Status", [status(review) for review in found]),
            Row(
                "Signed off on",
                [_date(timezone.localdate(r["signed_at"]) if r and r["signed_at"] else None, "not signed off") for r in found],
            ),
            Row("Next review by", [_date(r["next_review_on"] if r else None, "not set") for r in found]),
            Row(
                "Findings",
                [Text("written in the review" if r and r["findings_written"] else "none written") for r in found],
            ),
            Row("Actions agreed", number("actions_agreed")),
            Row("Actions done by their due date", number("done_in_time")),
            Row("Actions done late", number("done_late")),
            Row("Actions not done, past their due date", number("overdue")),
            Row("Actions not done, not yet due", number("not_yet_due")),
        ],
        note=(
            "The review of the year to the DfE standard. Its findings are the school's own words and are read in the "
            "review itself; the actions are as they stand today."
        ),
    )
