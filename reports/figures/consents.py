"""
The consents section of the governors' report (reports.figures.base): how many pupils on roll had each consent
given, refused or not answered at the end of the year, the photo and publication uses by year group, and the
share given this year beside last year.

"At the end of the year" is 31 August for a year that is over and today for the year in progress. The answer in
force on a past day is worked out from the answers' dates (entered, replaced, expired by the yearly renewal,
withdrawn), as the coverage page (`consents.selectors.coverage_for`) does for today; which consents apply to which
year groups comes from `consents.selectors.applicable_year_groups`. Three queries for the consents and the year
groups (four when a consent is limited by key stage), and one grouped query for each of the two years, whatever the
number of pupils and answers.
"""

from dataclasses import dataclass
from datetime import date, timedelta

from django.db.models import Count, FilteredRelation, Q

from consents.models import ConsentType
from consents.selectors import applicable_year_groups
from esafety.models import Pupil, YearGroup
from reports.figures.base import Count as CountCell
from reports.figures.base import ReportContext, Row, Section, Table, as_of, percent, report_section, start_of

Kind = ConsentType.Kind

# The photo and publication uses as column headings: the uses' own names are too long for a table by year group.
IMAGE_USE_HEADINGS = {
    Kind.PHOTO_IN_SCHOOL: "Photos in school",
    Kind.PHOTO_PRINT: "Photos in print and the press",
    Kind.PHOTO_WEB: "Photos online",
    Kind.WORK_PUBLICATION: "Work on the website",
}


@dataclass
class Tally:
    """Pupils on roll on a day, and for each consent those whose answer in force was yes or no, by year group."""

    on_roll: dict[int, int]  # year group id: pupils
    yes: dict[tuple[int, int], int]  # (consent type id, year group id): pupils
    no: dict[tuple[int, int], int]

    def pupils(self, years: set[int] | None) -> int:
        return sum(n for year, n in self.on_roll.items() if years is None or year in years)

    def given(self, type_id: int, years: set[int] | None) -> int:
        return sum(n for (t, year), n in self.yes.items() if t == type_id and (years is None or year in years))

    def refused(self, type_id: int, years: set[int] | None) -> int:
        return sum(n for (t, year), n in self.no.items() if t == type_id and (years is None or year in years))


@report_section(30)
def build(ctx: ReportContext) -> Section:
    types = list(ConsentType.objects.for_school(ctx.school).active().for_pupils().prefetch_related("year_groups"))
    applicable = applicable_year_groups(types, ctx.school)
    year_groups = list(YearGroup.objects.for_school(ctx.school).order_by("ncy"))
    now = _tally(ctx, types, as_of(ctx.year))
    before = _tally(ctx, types, as_of(ctx.previous))
    return Section(
        key="consents",
        title="Consents",
        intro=(
            "Each consent the school asks of pupils and their parents or carers, counted at the end of the school year "
            "(today, for a year not yet over): pupils on roll whose answer in force was yes, no (refused or withdrawn), "
            "or who had no answer. A consent asked only of some year groups counts only the pupils of those year groups."
        ),
        tables=[
            _by_use(ctx, types, applicable, now),
            _images_by_year_group(types, applicable, year_groups, now),
            _compared(ctx, types, applicable, now, before),
        ],
    )


def _by_use(ctx: ReportContext, types: list[ConsentType], applicable: dict, tally: Tally) -> Table:
    rows = []
    for consent_type in types:
        years = applicable[consent_type.pk]
        pupils, given, refused = tally.pupils(years), tally.given(consent_type.pk, years), tally.refused(consent_type.pk, years)
        rows.append(
            Row(
                _use_label(consent_type),
                [CountCell(given), CountCell(refused), CountCell(pupils - given - refused), CountCell(pupils)],
            )
        )
    return Table(
        key="by_use",
        caption=f"Consent by use at the end of {ctx.year_label}",
        row_header="Use",
        columns=["Consent given", "Refused or withdrawn", "No answer", "Pupils asked"],
        rows=rows,
        total_column=3,
        part_columns=[0, 1, 2],
        chart="hbar",
        note="Pupils asked: the pupils on roll whom the consent applies to. Without an answer, a photo is not allowed.",
    )


def _images_by_year_group(types: list[ConsentType], applicable: dict, year_groups: list[YearGroup], tally: Tally) -> Table:
    image_types = sorted((t for t in types if t.kind in IMAGE_USE_HEADINGS), key=lambda t: Kind.image_uses().index(t.kind))
    rows = []
    for year_group in year_groups:
        pupils = tally.on_roll.get(year_group.pk, 0)
        if not pupils:
            continue
        cells = [CountCell(pupils)]
        for consent_type in image_types:
            years = applicable[consent_type.pk]
            asked = pupils if years is None or year_group.pk in years else 0
            given = tally.given(consent_type.pk, {year_group.pk}) if asked else 0
            cells.append(percent(given, asked, empty="not asked"))
        rows.append(Row(str(year_group), cells))
    total = [CountCell(tally.pupils(None))]
    for consent_type in image_types:
        years = applicable[consent_type.pk]
        total.append(percent(tally.given(consent_type.pk, years), tally.pupils(years), empty="not asked"))
    rows.append(Row("All year groups", total, total=True))
    return Table(
        key="images_by_year_group",
        caption="Consent to photographs and publication of work, by year group",
        row_header="Year group",
        columns=["Pupils on roll", *(IMAGE_USE_HEADINGS[t.kind] for t in image_types)],
        rows=rows,
        note="The share of the year group's pupils on roll with consent given for each use.",
    )


def _compared(ctx: ReportContext, types: list[ConsentType], applicable: dict, now: Tally, before: Tally) -> Table:
    rows = []
    for consent_type in types:
        years = applicable[consent_type.pk]
        rows.append(
            Row(
                _use_label(consent_type),
                [
                    percent(now.given(consent_type.pk, years), now.pupils(years)),
                    percent(before.given(consent_type.pk, years), before.pupils(years)),
                ],
            )
        )
    return Table(
        key="given_compared",
        caption="Pupils asked with consent given, compared with the year before",
        row_header="Use",
        columns=[ctx.year_label, ctx.previous_label],
        rows=rows,
        chart="hbar",
        note="The share of pupils asked whose answer in force at the end of each year was yes.",
    )


def _tally(ctx: ReportContext, types: list[ConsentType], on: date) -> Tally:
    """One query: pupils on roll on the day by year group, with their answers in force to each consent joined once."""
    end = start_of(on + timedelta(days=1))
    in_force = FilteredRelation(
        "consent_answers",
        condition=Q(consent_answers__consent_type__in=[t.pk for t in types], consent_answers__entered_at__lt=end)
        & (Q(consent_answers__superseded_at__isnull=True) | Q(consent_answers__superseded_at__gte=end))
        & (Q(consent_answers__expired_at__isnull=True) | Q(consent_answers__expired_at__gte=end))
        & (Q(consent_answers__expires_on__isnull=True) | Q(consent_answers__expires_on__gte=on)),
    )
    # A withdrawal after the day leaves the answer a yes on the day.
    yes = Q(in_force__agreed=True) & (Q(in_force__withdrawn_on__isnull=True) | Q(in_force__withdrawn_on__gt=on))
    no = Q(in_force__agreed=False) | Q(in_force__withdrawn_on__lte=on)
    # Named by the type's place in the list, not its id: the same query, whatever the school (a trust's report).
    counts = {}
    for index, consent_type in enumerate(types):
        of_type = Q(in_force__consent_type_id=consent_type.pk)
        counts[f"yes_{index}"] = Count("pk", distinct=True, filter=of_type & yes)
        counts[f"no_{index}"] = Count("pk", distinct=True, filter=of_type & no)
    rows = (
        Pupil.objects.for_school(ctx.school)
        .current(on)
        .filter(Q(admission_date__isnull=True) | Q(admission_date__lte=on))
        .annotate(in_force=in_force)
        .order_by()
        .values("year_group_id")
        .annotate(pupils=Count("pk", distinct=True), **counts)
    )
    tally = Tally(on_roll={}, yes={}, no={})
    for row in rows:
        year = row["year_group_id"]
        tally.on_roll[year] = row["pupils"]
        for index, consent_type in enumerate(types):
            tally.yes[consent_type.pk, year] = row[f"yes_{index}"]
            tally.no[consent_type.pk, year] = row[f"no_{index}"]
    return tally


def _use_label(consent_type: ConsentType) -> str:
    """The use in the product's words, the same at every school of a trust; the school's own title for another kind."""
    return consent_type.title if consent_type.kind == Kind.OTHER else Kind(consent_type.kind).label
