"""
The devices section of the governors' report (reports.figures.base): pupils' phones not collected at the end of
the day, devices confiscated (or found) and what became of them, and school devices lost or stolen with the
possible personal-data breaches among them; each for the year and the year before.

Four queries whatever the years of data: the school's device settings (its end of the day), and one grouped
query each for the phone register, the confiscations (with their custody entries) and the losses.
"""

from django.db.models import Case, Count, F, IntegerField, Q, Value, When
from django.db.models.functions import TruncDate, TruncTime
from django.utils import timezone

from devices.models import Confiscation, CustodyEntry, DeviceLoss, PhoneRecord
from devices.selectors import device_settings_for
from devices.selectors.phones import not_collected_cutoff
from reports.figures.base import Count as CountCell
from reports.figures.base import ReportContext, Row, Section, Table, report_section


@report_section(40)
def build(ctx: ReportContext) -> Section:
    return Section(
        key="devices",
        title="Phones and devices",
        intro=(
            "Pupils' phones handed in each morning and not collected by the end of the school day; devices taken "
            "from pupils or found, and what had become of them by the end of the year (today, for a year not yet "
            "over); and the school's own devices reported lost or stolen."
        ),
        tables=[*_phones(ctx), *_confiscations(ctx), *_losses(ctx)],
    )


def _phones(ctx: ReportContext) -> list[Table]:
    settings = device_settings_for(ctx.school)
    # A day counts once it has ended: today's phones are not "not collected" before the end of the day.
    last_day = min(ctx.ends_on, not_collected_cutoff(settings, timezone.now()))
    periods = [*ctx.half_terms, *ctx.previous_half_terms]
    by_period = dict(
        PhoneRecord.objects.for_school(ctx.school)
        .filter(status=PhoneRecord.Status.HANDED_IN, day__gte=ctx.previous.starts_on, day__lte=last_day)
        .annotate(collected_on=TruncDate("collected_at"), collected_time=TruncTime("collected_at"))
        .filter(
            Q(collected_at=None)
            | Q(collected_on__gt=F("day"))
            | Q(collected_on=F("day"), collected_time__gt=settings.collection_time)
        )
        .annotate(
            period=Case(
                *(When(day__range=(p.starts_on, p.ends_on), then=Value(i)) for i, p in enumerate(periods)),
                output_field=IntegerField(),
            )
        )
        .order_by()
        .values("period")
        .annotate(n=Count("pk"))
        .values_list("period", "n")
    )
    halves = len(ctx.half_terms)
    rows = [
        Row(half.name, [CountCell(by_period.get(i, 0)), CountCell(by_period.get(halves + i, 0))])
        for i, half in enumerate(ctx.half_terms)
    ]
    rows.append(
        Row(
            "Whole year",
            [
                CountCell(sum(by_period.get(i, 0) for i in range(halves))),
                CountCell(sum(by_period.get(halves + i, 0) for i in range(len(ctx.previous_half_terms)))),
            ],
            total=True,
        )
    )
    return [
        Table(
            key="phones_not_collected",
            caption="Phones not collected by the end of the school day, by half-term",
            row_header="Half-term",
            columns=[ctx.year_label, ctx.previous_label],
            rows=rows,
            chart="line",
            note=(
                f"One pupil's phone on one day, still held at {settings.collection_time:%H:%M} (the school's end of the "
                "day). A half-term runs on to the start of the next, so that a holiday belongs to the one before it."
            ),
        )
    ]


def _confiscations(ctx: ReportContext) -> list[Table]:
    Status, Kind = Confiscation.Status, CustodyEntry.Kind
    counts = {}
    for name, year in (("now", ctx.year), ("before", ctx.previous)):
        start, end = ctx.bounds(year)
        taken = Q(taken_at__gte=start, taken_at__lt=end)
        # Each device once, although it is joined to each of its custody entries.
        for figure, condition in {
            "taken": taken,
            "returned": taken & Q(status=Status.RETURNED, closed_at__lt=end),
            "disposed": taken & Q(status=Status.DISPOSED, closed_at__lt=end),
            "held": taken & (Q(closed_at=None) | Q(closed_at__gte=end)),
            "searched": taken & Q(custody__kind=Kind.SEARCHED, custody__at__lt=end),
            "police": taken & Q(custody__kind=Kind.TO_POLICE, custody__at__lt=end),
        }.items():
            counts[f"{figure}_{name}"] = Count("pk", distinct=True, filter=condition)
    first, last = ctx.bounds(ctx.previous)[0], ctx.bounds()[1]
    found = Confiscation.objects.for_school(ctx.school).filter(taken_at__gte=first, taken_at__lt=last).aggregate(**counts)

    def row(label: str, figure: str, total: bool = False) -> Row:
        return Row(label, [CountCell(found[f"{figure}_now"]), CountCell(found[f"{figure}_before"])], total=total)

    columns = [ctx.year_label, ctx.previous_label]
    return [
        Table(
            key="confiscations",
            caption="Devices confiscated or found, and where they were at the end of the year",
            row_header="Devices",
            columns=columns,
            rows=[
                row("Returned to the pupil or a parent or carer", "returned"),
                row("Disposed of", "disposed"),
                row("Still held at the end of the year (by the school or the police)", "held"),
                row("Confiscated or found in the year", "taken", total=True),
            ],
            chart="bar",
            note="Each device taken from a pupil, or found, in the year, by what had become of it at the end of the year.",
        ),
        Table(
            key="searches_and_police",
            caption="Devices confiscated or found that were searched or handed to the police",
            row_header="Devices",
            columns=columns,
            rows=[row("Searched", "searched"), row("Handed to the police", "police")],
            note="Of the devices taken or found in the year, those searched or handed to the police by the end of the year.",
        ),
    ]


def _losses(ctx: ReportContext) -> list[Table]:
    Kind = DeviceLoss.Kind
    counts = {}
    for name, year in (("now", ctx.year), ("before", ctx.previous)):
        start, end = ctx.bounds(year)
        reported = Q(reported_at__gte=start, reported_at__lt=end)
        breach = reported & Q(possible_breach=True)
        for figure, condition in {
            "lost": reported & Q(kind=Kind.LOST),
            "stolen": reported & Q(kind=Kind.STOLEN),
            "all": reported,
            "ico": breach & Q(reported_to_ico=True),
            "not_ico": breach & Q(reported_to_ico=False),
            "unassessed": breach & Q(reported_to_ico=None),
            "breaches": breach,
        }.items():
            counts[f"{figure}_{name}"] = Count("pk", filter=condition)
    first, last = ctx.bounds(ctx.previous)[0], ctx.bounds()[1]
    found = DeviceLoss.objects.for_school(ctx.school).filter(reported_at__gte=first, reported_at__lt=last).aggregate(**counts)

    def row(label: str, figure: str, total: bool = False) -> Row:
        return Row(label, [CountCell(found[f"{figure}_now"]), CountCell(found[f"{figure}_before"])], total=total)

    columns = [ctx.year_label, ctx.previous_label]
    return [
        Table(
            key="losses",
            caption="School devices reported lost or stolen",
            row_header="Devices",
            columns=columns,
            rows=[row("Lost", "lost"), row("Stolen", "stolen"), row("Lost or stolen", "all", total=True)],
            chart="bar",
        ),
        Table(
            key="breaches",
            caption="Possible personal-data breaches: devices lost or stolen holding pupils' data, not encrypted",
            row_header="Possible breaches",
            columns=columns,
            rows=[
                row("Reported to the Information Commissioner's Office (ICO)", "ico"),
                row("Assessed and not reported to the ICO", "not_ico"),
                row("Not yet assessed", "unassessed"),
                row("Possible breaches", "breaches", total=True),
            ],
            note="Whether each was reported to the ICO is as recorded when the report was built.",
        ),
    ]
