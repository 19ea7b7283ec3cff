"""
The incidents section of the governors' report (reports.figures.base): the year's incidents beside the year
before's, by category, by half-term and by year group, where they were referred, and how many were closed.

Every incident of the school counts, restricted ones included, and only ever as a number: nothing is read of what
happened, who was involved, what the agency was called or what was written about it (the outside agency that staff
type is matched against known agencies inside the database, never fetched). An incident counts in the academic
year in which it happened. Five queries, each grouped, whatever the years of data: by category and half-term,
outcomes and referrals, days to closing, year groups, and the school's year groups.
"""

from datetime import date, timedelta
from statistics import median

from django.db import models
from django.db.models import Case, IntegerField, Max, Min, OuterRef, Q, Subquery, Value, When
from django.db.models.functions import ExtractYear, TruncDate
from django.utils import timezone

from esafety.calendar import academic_year_start, ncy_label
from esafety.models import AcademicYear, YearGroup
from incidents.models import Incident, IncidentPerson
from reports.figures.base import Count, Measure, ReportContext, Row, Section, Table, report_section, start_of

Audience = Incident.Audience

# Incidents about a member of staff (the head teacher included) go to the head teacher or the chair of governors.
ABOUT_STAFF = (Audience.STAFF, Audience.HEAD)

# The agencies a referral is counted under, and the words that name each in the incident's "outside agency".
AGENCIES = [
    ("police", "Police", ("police",)),
    (
        "social_care",
        "Children's social care",
        ("social care", "social services", "social work", "children's services", "children’s services", "mash"),
    ),
    ("lado", "Local authority designated officer (LADO)", ("lado", "designated officer")),
    ("ceop", "CEOP (National Crime Agency)", ("ceop",)),
    ("prevent", "Prevent", ("prevent", "channel panel")),
]

MORE_THAN_ONE_YEAR_GROUP = "More than one year group"
ABOUT_A_MEMBER_OF_STAFF = "About a member of staff"
NO_PUPIL_NAMED = "No pupil named"


@report_section(10)
def build(ctx: ReportContext) -> Section:
    incidents = Incident.objects.filter(school=ctx.school).filter(_during(ctx.previous) | _during(ctx.year))
    columns = [ctx.year_label, ctx.previous_label]
    by_category = _counts_by_category(ctx, incidents)
    outcomes = _outcome_counts(ctx, incidents)
    return Section(
        key="incidents",
        title="Incidents",
        intro=(
            "Every e-safety incident logged at the school, those seen only by the safeguarding team and the head "
            "teacher included, counted in the school year in which it happened, beside the year before. Small "
            "numbers are not shown, so that no pupil or member of staff can be recognised."
        ),
        tables=[
            _by_category(by_category, columns),
            _by_half_term(ctx, by_category, columns),
            _by_year_group(ctx, incidents, columns),
            _referrals(outcomes, columns),
            _outcomes(ctx, incidents, outcomes, columns),
        ],
    )


# --- Periods --------------------------------------------------------------------------


def _days(field: str, first: date, last: date) -> Q:
    """`field`, a moment, falls on a day from `first` to `last` (both included) in the school's time zone."""
    return Q(**{f"{field}__gte": start_of(first), f"{field}__lt": start_of(last + timedelta(days=1))})


def _during(year: AcademicYear) -> Q:
    return _days("occurred_at", year.starts_on, year.ends_on)


def _years(ctx: ReportContext) -> list[tuple[str, AcademicYear]]:
    """The two years, each with the prefix of its counts in a grouped query: the year first, as in the columns."""
    return [("this", ctx.year), ("last", ctx.previous)]


# --- By category and by half-term (one query) -------------------------------------------


def _counts_by_category(ctx: ReportContext, incidents) -> list[dict]:
    """For each category with incidents in either year: the year's count and each half-term's, for both years."""
    counts = {}
    for prefix, year in _years(ctx):
        counts[prefix] = models.Count("pk", filter=_during(year))
        half_terms = ctx.half_terms if year is ctx.year else ctx.previous_half_terms
        for index, period in enumerate(half_terms):
            counts[f"{prefix}_{index}"] = models.Count("pk", filter=_days("occurred_at", period.starts_on, period.ends_on))
    return list(
        incidents.values("category_id", "category__name", "category__order")
        .annotate(**counts)
        .order_by("category__order", "category__name")
    )


def _total(rows: list[Row], label: str) -> Row:
    """The total row of `rows`: each column's counts added up."""
    width = len(rows[0].cells) if rows else 2
    return Row(label, [Count(sum(row.cells[i].value for row in rows)) for i in range(width)], total=True)


def _by_category(counts: list[dict], columns: list[str]) -> Table:
    rows = [Row(row["category__name"], [Count(row["this"]), Count(row["last"])]) for row in counts if row["this"] or row["last"]]
    return Table(
        key="by_category",
        caption="Incidents by category",
        row_header="Category",
        columns=columns,
        rows=[*rows, _total(rows, "All incidents")],
        chart="hbar",
        note="Each incident counts once, under its category as it stands now.",
    )


def _by_half_term(ctx: ReportContext, counts: list[dict], columns: list[str]) -> Table:
    rows = [
        Row(
            period.half or period.name,
            [Count(sum(row[f"this_{index}"] for row in counts)), Count(sum(row[f"last_{index}"] for row in counts))],
        )
        for index, period in enumerate(ctx.half_terms)
    ]
    note = (
        "Each half-term runs on to the day before the next one starts, so an incident in a holiday counts in the "
        "half-term before it."
    )
    if any(period.is_default for period in (*ctx.half_terms, *ctx.previous_half_terms)):
        note += " Where the school has not entered its term dates, the usual pattern of an English school year is used."
    return Table(
        key="by_half_term",
        caption="Incidents by half-term",
        row_header="Half-term",
        columns=columns,
        rows=[*rows, _total(rows, "All incidents")],
        chart="line",
        note=note,
    )


# --- By year group (two queries) --------------------------------------------------------


def _entry_year(today: date):
    """
    The September in which a pupil was in Reception (national curriculum year 0), from their year group as it
    stands: now for a pupil on roll, when they left for a leaver (a leaver's year group is no longer updated).
    """
    left_in = ExtractYear("pupil__leaving_date") - Case(
        When(Q(pupil__leaving_date__month__lt=9), then=Value(1)), default=Value(0), output_field=IntegerField()
    )
    year_of_record = Case(
        When(Q(pupil__leaving_date__lte=today), then=left_in),
        default=Value(academic_year_start(today)),
        output_field=IntegerField(),
    )
    return year_of_record - models.F("pupil__year_group__ncy")


def _by_year_group(ctx: ReportContext, incidents, columns: list[str]) -> Table:
    # The pupils of each incident, as the earliest and latest year of entry among them: the same for a single
    # year group. Grouped by those two (and whether it is about staff), whatever the number of incidents.
    pupils = IncidentPerson.objects.filter(incident=OuterRef("pk"), pupil__isnull=False).values("incident")
    entry = _entry_year(timezone.localdate())
    counts = (
        incidents.annotate(
            first_entry=Subquery(pupils.annotate(v=Min(entry)).values("v")[:1], output_field=IntegerField()),
            last_entry=Subquery(pupils.annotate(v=Max(entry)).values("v")[:1], output_field=IntegerField()),
            about_staff=Case(When(audience__in=ABOUT_STAFF, then=Value(1)), default=Value(0), output_field=IntegerField()),
        )
        .values("about_staff", "first_entry", "last_entry")
        .annotate(**{prefix: models.Count("pk", filter=_during(year)) for prefix, year in _years(ctx)})
        .order_by()
    )
    names = {ncy: name for ncy, name in YearGroup.objects.filter(school=ctx.school).values_list("ncy", "name")}
    by_ncy: dict[int, list[int]] = {ncy: [0, 0] for ncy in names}
    others = {MORE_THAN_ONE_YEAR_GROUP: [0, 0], ABOUT_A_MEMBER_OF_STAFF: [0, 0], NO_PUPIL_NAMED: [0, 0]}
    for row in counts:
        for column, (prefix, year) in enumerate(_years(ctx)):
            if not row[prefix]:
                continue
            if row["about_staff"]:
                others[ABOUT_A_MEMBER_OF_STAFF][column] += row[prefix]
            elif row["first_entry"] is None:
                others[NO_PUPIL_NAMED][column] += row[prefix]
            elif row["first_entry"] != row["last_entry"]:
                others[MORE_THAN_ONE_YEAR_GROUP][column] += row[prefix]
            else:
                ncy = min(max(year.start_year - row["first_entry"], -1), 13)
                by_ncy.setdefault(ncy, [0, 0])[column] += row[prefix]
    rows = [Row(names.get(ncy) or ncy_label(ncy), [Count(n) for n in by_ncy[ncy]]) for ncy in sorted(by_ncy)]
    rows += [Row(label, [Count(n) for n in pair]) for label, pair in others.items()]
    return Table(
        key="by_year_group",
        caption="Incidents by year group",
        row_header="Year group",
        columns=columns,
        rows=[*rows, _total(rows, "All incidents")],
        chart="bar",
        note=(
            "Each incident counts once, under the year group its pupils were in when it happened: their year group "
            "now (or when they left the school) less the years since. An incident about a member of staff counts "
            "under that, whoever else was involved."
        ),
    )


# --- Referrals and outcomes (two queries) -------------------------------------------------


def _names(words: tuple[str, ...]) -> Q:
    q = Q()
    for word in words:
        q |= Q(agency__icontains=word)
    return q


def _outcome_counts(ctx: ReportContext, incidents) -> dict[str, int]:
    """Each year's incidents, those closed by the end of the year, and those referred, by agency."""
    named = {key: _names(words) for key, _, words in AGENCIES}
    keys = list(named)
    several = Q()
    for i, first in enumerate(keys):
        for second in keys[i + 1 :]:
            several |= named[first] & named[second]
    none_named = ~Q(agency="")
    for q in named.values():
        none_named &= ~q
    counts = {}
    for prefix, year in _years(ctx):
        during = _during(year)
        counts[f"{prefix}_all"] = models.Count("pk", filter=during)
        counts[f"{prefix}_closed"] = models.Count(
            "pk", filter=during & Q(closed_at__lt=start_of(year.ends_on + timedelta(days=1)))
        )
        for key in keys:
            alone = named[key]
            for other in keys:
                if other != key:
                    alone &= ~named[other]
            counts[f"{prefix}_{key}"] = models.Count("pk", filter=during & alone)
        counts[f"{prefix}_several"] = models.Count("pk", filter=during & several)
        counts[f"{prefix}_other"] = models.Count("pk", filter=during & none_named)
    return incidents.aggregate(**counts)


def _referrals(counts: dict[str, int], columns: list[str]) -> Table:
    keys = [(key, label) for key, label, _ in AGENCIES]
    keys += [("other", "Another agency"), ("several", "More than one of these agencies")]
    rows = [Row(label, [Count(counts[f"this_{key}"]), Count(counts[f"last_{key}"])]) for key, label in keys]
    return Table(
        key="referrals",
        caption="Incidents referred to an outside agency",
        row_header="Referred to",
        columns=columns,
        rows=[*rows, _total(rows, "All referrals")],
        chart="hbar",
        note=(
            "Incidents of the year with an outside agency recorded on them (as they stand now), by the agency named. "
            "Each counts once: one referred to more than one of the agencies listed counts under that row."
        ),
    )


def _median_days_to_close(ctx: ReportContext, incidents) -> dict[str, float | None]:
    """For each year, the median number of days from logging each of its incidents to closing it (one query)."""
    closing = (
        incidents.filter(closed_at__isnull=False)
        .annotate(logged_on=TruncDate("reported_at"), closed_on=TruncDate("closed_at"))
        .values("logged_on", "closed_on")
        .annotate(
            **{
                prefix: models.Count("pk", filter=_during(year) & Q(closed_at__lt=start_of(year.ends_on + timedelta(days=1))))
                for prefix, year in _years(ctx)
            }
        )
        .order_by()
    )
    days: dict[str, list[int]] = {prefix: [] for prefix, _ in _years(ctx)}
    for row in closing:
        span = max((row["closed_on"] - row["logged_on"]).days, 0)
        for prefix in days:
            days[prefix].extend([span] * row[prefix])
    return {prefix: median(values) if values else None for prefix, values in days.items()}


def days_words(days: float | None) -> str:
    """A median number of days as a governor would say it: "the same day", "1 day", "12 days", "2.5 days"."""
    if days is None:
        return "none closed"
    if days == 0:
        return "the same day"
    return "1 day" if days == 1 else f"{days:g} days"


def _outcomes(ctx: ReportContext, incidents, counts: dict[str, int], columns: list[str]) -> Table:
    medians = _median_days_to_close(ctx, incidents)
    prefixes = [prefix for prefix, _ in _years(ctx)]
    return Table(
        key="outcomes",
        caption="Incidents closed and still open",
        row_header="Incidents of the year",
        columns=columns,
        rows=[
            Row("Closed by the end of the year", [Count(counts[f"{p}_closed"]) for p in prefixes]),
            Row("Still open at the end of the year", [Count(counts[f"{p}_all"] - counts[f"{p}_closed"]) for p in prefixes]),
            Row("All incidents", [Count(counts[f"{p}_all"]) for p in prefixes], total=True),
            Row(
                "Median time from logging to closing",
                [
                    Measure(days_words(medians[p]), base=counts[f"{p}_closed"], empty="none closed", number=medians[p])
                    for p in prefixes
                ],
            ),
        ],
        note=(
            "The end of the year is 31 August; for a year not yet over, today. The median time counts the days from the "
            "day each closed incident was logged to the day it was closed."
        ),
    )
