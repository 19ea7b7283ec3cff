"""
The DSL's triage dashboard, the incident list with its CSV export, and the
PDF of one incident for a referral.

Everything here starts from `selectors.incidents_for`, so that a restricted
incident is missing for everyone outside its audience: from the queues, the
counts, the trend charts, the list, the search, the export and the PDF. The
queues and trends are a fixed number of aggregate queries, however many
incidents the school has (tests/incidents/test_incident_query_counts.py).
"""

import csv
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta

from django.core.exceptions import PermissionDenied
from django.db.models import Count, Q, QuerySet, prefetch_related_objects
from django.http import Http404
from django.shortcuts import render
from django.utils import timezone

from esafety.access import SchoolAccess, capability_required
from esafety.audit import access_log_write, access_log_write_each, filters_summary
from esafety.calendar import academic_year_start, ncy_label
from esafety.csv_export import csv_response, csv_safe, export_filters, export_refused
from esafety.listing import page_of, query_without_page
from esafety.models import AccessLogEntry
from esafety.pdf import pdf_response, render_pdf
from esafety.roles import Capability
from esafety.second_factor import restricted_record_opened
from esafety.terms import SchoolCalendar, school_calendar
from incidents import selectors
from incidents.filters import IncidentFilter, with_severity_rank
from incidents.models import Incident

HANDLING = (Capability.TRIAGE_INCIDENTS, Capability.HANDLE_STAFF_INCIDENTS, Capability.HANDLE_HEAD_ALLEGATIONS)
# Rows shown in each queue, the most pressing first; the rest are a link to the list, filtered to that queue.
# Ten a queue fit a screen or two of the page and keep it quick with a large school's thousands of incidents.
QUEUE_SIZE = 10
RECENTLY_CLOSED_DAYS = 14
Status = Incident.Status


# --- Queues ---------------------------------------------------------------------


@dataclass
class Queue:
    key: str
    title: str
    explanation: str
    incidents: list
    total: int
    list_query: str  # the same incidents in the full list

    @property
    def more(self) -> int:
        return max(self.total - len(self.incidents), 0)


def queue_filters() -> dict[str, Q]:
    open_ = ~Q(status__in=[Status.CLOSED, Status.WAITING])
    return {
        "new": open_ & (Q(status=Status.NEW) | Q(assigned_to__isnull=True)),
        "open": Q(status=Status.OPEN, assigned_to__isnull=False),
        "waiting": Q(status=Status.WAITING),
        "closed": Q(status=Status.CLOSED, closed_at__gte=timezone.now() - timedelta(days=RECENTLY_CLOSED_DAYS)),
    }


def triage_queues(visible: QuerySet[Incident]) -> list[Queue]:
    """
    New and unassigned first, then open ones and those waiting on an outside
    agency, each the most serious first and then the oldest first; and the
    recently closed, to reopen one. One count query and one page per queue.
    """
    filters = queue_filters()
    # Counted over the rows of some queue alone (open, waiting or recently closed: a few hundred), not over
    # every incident the school has had.
    in_a_queue = ~Q(status=Status.CLOSED) | filters["closed"]
    totals = visible.filter(in_a_queue).aggregate(**{key: Count("pk", filter=q) for key, q in filters.items()})
    # The people of every queue's rows are fetched together, once the rows are known (one query, not four).
    # A row shows no free text: what happened and what was done stay in the database.
    ranked = (
        with_severity_rank(visible)
        .select_related("category", "assigned_to")
        .defer("description", "immediate_action", "outcome", "lessons_learnt", "location_detail")
    )
    spec = [
        ("new", "New and unassigned", "Not yet taken on by anyone: assign each one, or triage it.", "handler=nobody"),
        ("open", "Open", "Being handled, the most serious and then the oldest first.", "status=open"),
        (
            "waiting",
            "Waiting on an outside agency",
            "Referred to children's social care, the police or another agency.",
            "status=waiting",
        ),
        ("closed", f"Closed in the last {RECENTLY_CLOSED_DAYS} days", "Reopen one if there is more to do.", "status=closed"),
    ]
    queues = []
    for key, title, explanation, query in spec:
        order = ["-closed_at"] if key == "closed" else ["severity_rank", "occurred_at", "number"]
        rows = list(ranked.filter(filters[key]).order_by(*order)[:QUEUE_SIZE])
        queues.append(Queue(key, title, explanation, rows, totals[key], query))
    prefetch_related_objects([incident for queue in queues for incident in queue.incidents], selectors.people_of_rows())
    return queues


# --- Trends -----------------------------------------------------------------------


@dataclass
class HalfTermTrend:
    """Incidents per half-term this academic year and last, in total and by category."""

    this_year: str
    last_year: str
    labels: list[str]
    totals_this: list[int]
    totals_last: list[int]
    # (category name, [(this year, last year) for each half-term], total this year, total last year)
    categories: list[tuple[str, list[tuple[int, int]], int, int]] = field(default_factory=list)
    # The half-terms counted, each running on through the break after it (SchoolYearDates.trend_periods).
    periods_this: list = field(default_factory=list)
    periods_last: list = field(default_factory=list)
    # Either year's dates are the default pattern, not the school's own (esafety.terms).
    default_dates: bool = False

    @property
    def year_total_this(self) -> int:
        return sum(self.totals_this)

    @property
    def year_total_last(self) -> int:
        return sum(self.totals_last)


def _aware(day: date) -> datetime:
    return timezone.make_aware(datetime.combine(day, datetime.min.time()))


def half_term_bounds(calendar: SchoolCalendar, year_start: int) -> list[tuple[datetime, datetime]]:
    """
    The start and end (exclusive) of each half-term of the academic year beginning in September of
    `year_start`, by the school's term dates: each runs on through the break after it, so that an incident
    in a holiday counts in the half-term before.
    """
    return [(_aware(p.starts_on), _aware(p.ends_on + timedelta(days=1))) for p in calendar.year(year_start).trend_periods()]


def half_term_trend(visible: QuerySet[Incident], calendar: SchoolCalendar, today: date) -> HalfTermTrend:
    """One grouped query: a count for each half-term of both years, by category (date ranges, so indexes serve it)."""
    this_start = academic_year_start(today)
    this_year, last_year = calendar.year(this_start), calendar.year(this_start - 1)
    periods = {"this": half_term_bounds(calendar, this_start), "last": half_term_bounds(calendar, this_start - 1)}
    counts = {
        f"{year}_{i}": Count("pk", filter=Q(occurred_at__gte=begin, occurred_at__lt=end))
        for year, bounds in periods.items()
        for i, (begin, end) in enumerate(bounds)
    }
    rows = (
        visible.filter(occurred_at__gte=periods["last"][0][0], occurred_at__lt=periods["this"][-1][1])
        .values("category__name", "category__order")
        .annotate(**counts)
        .order_by("category__order", "category__name")
    )
    periods_this = this_year.trend_periods()
    count = len(periods_this)
    trend = HalfTermTrend(
        this_year=this_year.label,
        last_year=last_year.label,
        labels=[p.half for p in periods_this],
        totals_this=[0] * count,
        totals_last=[0] * count,
        periods_this=periods_this,
        periods_last=last_year.trend_periods(),
        default_dates=this_year.is_default or last_year.is_default,
    )
    for row in rows:
        this = [row[f"this_{i}"] for i in range(count)]
        last = [row[f"last_{i}"] for i in range(count)]
        trend.categories.append((row["category__name"], list(zip(this, last, strict=True)), sum(this), sum(last)))
        for i in range(count):
            trend.totals_this[i] += this[i]
            trend.totals_last[i] += last[i]
    return trend


def year_group_counts(visible: QuerySet[Incident]) -> list[tuple[str, int]]:
    """(year group, incidents with a pupil of that year group), by the pupils' year group now."""
    from incidents.models import IncidentPerson

    rows = (
        IncidentPerson.objects.filter(incident__in=visible, pupil__isnull=False)
        .values("pupil__year_group__ncy")
        .annotate(n=Count("incident", distinct=True))
        .order_by("pupil__year_group__ncy")
    )
    return [(ncy_label(row["pupil__year_group__ncy"]), row["n"]) for row in rows]


def location_counts(visible: QuerySet[Incident]) -> list[tuple[str, int]]:
    counts = {row["location"]: row["n"] for row in selectors.counts_by(visible, "location")}
    return [(label, counts.get(value, 0)) for value, label in Incident.Location.choices]


@dataclass
class Trends:
    half_terms: HalfTermTrend
    year_groups: list[tuple[str, int]]
    locations: list[tuple[str, int]]
    frequent_pupils: list
    threshold: int
    term_since: date

    def chart_data(self) -> dict:
        """What the charts draw; the tables beside them show the same numbers."""
        return {
            "halfTerms": {
                "labels": self.half_terms.labels,
                "series": [
                    {"label": self.half_terms.this_year, "data": self.half_terms.totals_this},
                    {"label": self.half_terms.last_year, "data": self.half_terms.totals_last},
                ],
            },
            "yearGroups": {"labels": [label for label, _ in self.year_groups], "data": [n for _, n in self.year_groups]},
            "locations": {"labels": [label for label, _ in self.locations], "data": [n for _, n in self.locations]},
        }


def trends_for(access: SchoolAccess, user, today: date) -> Trends:
    visible = selectors.incidents_for(access, user)
    year_start = academic_year_start(today)
    this_year = visible.filter(occurred_at__gte=_aware(date(year_start, 9, 1)))
    settings = selectors.settings_for(access.school)
    # Terms alone (one query): the trends group by half-term and "this term" starts on the school's own date.
    calendar = school_calendar(access.school, year_start - 1, year_start, closures=False)
    term = calendar.latest_term(today)
    since = term.starts_on if term else date(year_start, 9, 1)
    return Trends(
        half_terms=half_term_trend(visible, calendar, today),
        year_groups=year_group_counts(this_year),
        locations=location_counts(this_year),
        frequent_pupils=selectors.frequent_pupils(access, user, since, settings.repeat_threshold),
        threshold=settings.repeat_threshold,
        term_since=since,
    )


# --- Pages ------------------------------------------------------------------------


@capability_required(*HANDLING)
def dashboard(request):
    today = timezone.localdate()
    visible = selectors.incidents_for(request.access, request.user)
    overdue = selectors.overdue_actions_for(request.access, request.user)
    queues = triage_queues(visible)
    # A row offers its handling forms (fetched when opened: dashboard_row_tools) to those who handle it.
    handled = selectors.audiences_for_capabilities(request.access.capabilities)
    for queue in queues:
        for incident in queue.incidents:
            incident.handled = incident.audience in handled
    return render(
        request,
        "incidents/dashboard.html",
        {
            "queues": queues,
            "overdue": list(overdue[:QUEUE_SIZE]),
            "overdue_total": overdue.count(),
            "today": today,
            "may_export": request.access.can(Capability.EXPORT_INCIDENTS),
        },
    )


@capability_required(*HANDLING)
def dashboard_trends(request):
    """
    The dashboard's trends, fetched by htmx once the queues are shown (their counts run over years of incidents,
    which would hold the queues up); without scripts, a page of their own.
    """
    trends = trends_for(request.access, request.user, timezone.localdate())
    template = "incidents/_trends.html" if request.htmx else "incidents/trends.html"
    return render(request, template, {"trends": trends, "chart_data": trends.chart_data()})


@capability_required(*HANDLING)
def dashboard_row_tools(request, incident_id):
    """
    The handling forms of one dashboard row (assign, triage, note, close; or reopen), fetched by htmx when
    the row is opened: rendering them for every row made the dashboard half a megabyte. They post to the
    case's handling views, which send the handler back to the dashboard.
    """
    incident = selectors.get_incident_or_404(request.access, request.user, incident_id)
    if not selectors.handles(request.access, incident):
        raise PermissionDenied
    incident.possible_handlers = selectors.handlers_of(incident)
    categories = list(selectors.categories_for(request.access).active().order_by("order", "name"))
    return render(
        request,
        "incidents/_row_tools.html",
        {"incident": incident, "categories": categories, "severities": Incident.Severity.choices},
    )


def _filtered(request) -> IncidentFilter:
    return IncidentFilter(
        request.GET,
        queryset=selectors.incidents_for(request.access, request.user),
        school=request.access.school,
        user=request.user,
    )


@capability_required(*HANDLING)
def incident_list(request):
    incidents = _filtered(request)
    page = page_of(request, selectors.with_list_columns(incidents.qs))
    return render(
        request,
        "incidents/list.html",
        {
            "filter": incidents,
            "page": page,
            "query": query_without_page(request),
            "may_export": request.access.can(Capability.EXPORT_INCIDENTS),
        },
    )


CSV_HEADER = [
    "Reference",
    "When",
    "Category",
    "Where",
    "Where exactly",
    "Severity",
    "Status",
    "People involved",
    "What happened",
    "What was done straight away",
    "Logged by",
    "Handled by",
    "Outside agency",
    "Their reference",
    "Outcome",
    "Closed on",
]


def _csv_row(incident: Incident) -> list[str]:
    people = "; ".join(f"{p.name} ({p.get_part_display().lower()})" for p in incident.involved)
    return csv_safe(
        [
            incident.reference,
            timezone.localtime(incident.occurred_at).strftime("%d/%m/%Y %H:%M"),
            incident.category.name,
            incident.get_location_display(),
            incident.location_detail,
            incident.get_severity_display(),
            incident.get_status_display(),
            people,
            incident.description,
            incident.immediate_action,
            incident.reported_by,
            incident.assigned_to or "",
            incident.agency,
            incident.agency_reference,
            incident.outcome,
            timezone.localtime(incident.closed_at).strftime("%d/%m/%Y") if incident.closed_at else "",
        ]
    )


@capability_required(Capability.EXPORT_INCIDENTS)
def incident_export(request):
    """The filtered list as CSV. Personal data: every export is in the access log, with the count."""
    filtered = _filtered(request)
    if not filtered.is_valid():
        return export_refused(filtered.form)
    # A file with restricted cases in it needs a recent second factor, as opening one of them does.
    if filtered.qs.exclude(audience=Incident.Audience.GENERAL).exists() and (step_up := restricted_record_opened(request)):
        return step_up
    incidents = selectors.with_list_columns(filtered.qs).select_related("reported_by")
    response = csv_response(f"incidents-{timezone.localdate():%Y-%m-%d}.csv")
    writer = csv.writer(response)
    writer.writerow(CSV_HEADER)
    count, audiences, restricted = 0, set(), []
    for incident in incidents.iterator(chunk_size=500):
        writer.writerow(_csv_row(incident))
        count += 1
        audiences.add(incident.audience)
        if incident.is_restricted:
            restricted.append(incident)
    access_log_write(
        request,
        kind=AccessLogEntry.Kind.EXPORT,
        summary=f"Exported {count} incident{'s' if count != 1 else ''} as CSV ({filters_summary(export_filters(filtered))})",
        # Only those who may see every kind of incident in the file may see that it was exported, and how many.
        reader_needs=selectors.capabilities_to_see(audiences),
    )
    # Each restricted case in the file also gets its own entry, so that its page says who took a copy.
    access_log_write_each(
        request,
        kind=AccessLogEntry.Kind.EXPORT,
        records=[(incident, f"Exported restricted incident {incident.reference} in a CSV file") for incident in restricted],
    )
    return response


@capability_required(Capability.EXPORT_INCIDENTS)
def incident_pdf(request, incident_id):
    """The case on paper, for a referral: only for those who handle it, and logged as an export."""
    incident = selectors.get_incident_or_404(request.access, request.user, incident_id)
    if not selectors.handles(request.access, incident):
        raise Http404("No such incident.")
    if incident.is_restricted and (step_up := restricted_record_opened(request)):
        return step_up
    context = {
        "incident": incident,
        "school": request.access.school,
        "people": list(incident.people.select_related("pupil__year_group", "pupil__form", "staff")),
        "events": list(incident.events.select_related("actor")),
        "actions": list(incident.actions.select_related("owner", "done_by")),
        "checklist": list(incident.checklist.select_related("done_by")),
        "evidence": list(incident.evidence.select_related("added_by")),
        "printed_at": timezone.localtime(),
        "printed_by": request.user,
    }
    pdf = render_pdf("incidents/pdf/incident.html", context)
    access_log_write(
        request,
        kind=AccessLogEntry.Kind.EXPORT,
        summary=f"Printed incident {incident.reference} as PDF" + (" (restricted)" if incident.is_restricted else ""),
        obj=incident,
    )
    return pdf_response(pdf, f"{incident.reference}.pdf")
