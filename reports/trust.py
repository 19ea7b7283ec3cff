"""
A trust's report: the same sections as a school's report, with the trust's schools side by side and the trust's
total, for one academic year.

Each school's sections are built as its own report's are (`reports.build.raw_sections`, in that school's scope),
then laid side by side here: for every table of every section, one row per row label of the schools' tables and
one column per school, whose cell is that school's headline figure for the row (its table's total column when it
has one, else its first column: this year's figure). The trust's total adds the counts up; a median or a percentage
cannot be added up, so the total says so instead. Small numbers are then hidden exactly as in a school's report
(`reports.build.finish_sections`), with the strictest threshold of the trust's schools, so that a school's small
count is hidden and no trust total gives it away.

Also here: which trust a user reads the reports of, and the reports they may see.
"""

from collections.abc import Callable

from django.http import Http404
from django.shortcuts import get_object_or_404

from esafety.access import SchoolAccess
from esafety.models import AcademicYear, School, Trust
from esafety.progress import ProgressCallback
from esafety.roles import Capability
from esafety.scoping import scope, scopes_disabled
from reports.build import raw_sections
from reports.figures.base import Cell, Count, Row, Section, Table, Text, report_context
from reports.models import ReportSettings, TrustReport

TRUST_TOTAL = "Trust total"
# The trust total of a row whose figures are medians, percentages or words: they do not add up.
NOT_ADDED = "–"
PER_SCHOOL_NOTE = "Medians and percentages are per school: they cannot be added up into a trust total."


# --- Which trust, and its reports -------------------------------------------------------------------------------


def trust_of(access: SchoolAccess) -> Trust:
    """
    The trust whose reports the user reads: that of the school they are working at, where the Trust role (the one
    role that reads a trust's report) gives them READ_TRUST_REPORT. Anyone else gets a 404.
    """
    if not access.can(Capability.READ_TRUST_REPORT) or access.school.trust_id is None:
        raise Http404
    return Trust.objects.get(pk=access.school.trust_id)


def trust_schools(access: SchoolAccess) -> list[School]:
    """The schools of the user's trust among those they may switch to (already read by the access middleware)."""
    return [school for school in access.schools if school.trust_id == access.school.trust_id]


def trust_reports_for(trust: Trust):
    """Every version of the trust's reports, newest year and version first."""
    return TrustReport.objects.filter(trust=trust).select_related("academic_year", "requested_by", "published_by")


def get_trust_report_or_404(trust: Trust, report_id) -> TrustReport:
    """One of the trust's reports; another trust's is not found."""
    return get_object_or_404(trust_reports_for(trust), pk=report_id)


def schools_of(trust: Trust) -> list[School]:
    return list(School.objects.filter(trust=trust).order_by("name"))


def trust_threshold(schools: list[School]) -> int:
    """The strictest (highest) small-number threshold of the schools: what every school asks for is respected."""
    # One query across the trust's schools, each named: this reads no school's records, only their settings.
    with scopes_disabled():
        thresholds = list(ReportSettings.objects.filter(school__in=schools).values_list("threshold", flat=True))
    return max(thresholds, default=ReportSettings._meta.get_field("threshold").default)


# --- The sections ---------------------------------------------------------------------------------------------


def trust_raw_sections(schools: list[School], year: AcademicYear, progress: ProgressCallback | None = None) -> list[Section]:
    """Every school's raw sections for the year, each built in its school's scope, laid side by side."""
    per_school = []
    for number, school in enumerate(schools):
        with scope(school=school):
            sections = raw_sections(report_context(school, year), progress=_school_progress(progress, number, len(schools)))
        per_school.append((school.name, sections))
    return sections_side_by_side(per_school)


def _school_progress(progress: ProgressCallback | None, number: int, schools: int) -> Callable[[int, int], None] | None:
    """The progress of one school's sections, as a share of every school's."""
    if progress is None:
        return None
    return lambda done, total: progress(number * total + done, schools * total)


def sections_side_by_side(per_school: list[tuple[str, list[Section]]]) -> list[Section]:
    """
    The trust's sections from each school's (name, raw sections): for every table of every section, the schools'
    headline figures side by side and the trust's total. Sections and tables come in the order they first appear;
    a row a school's table does not have counts 0 for it (or shows nothing, for a figure that is not a count).
    """
    names = [name for name, _ in per_school]
    sections: dict[str, Section] = {}
    tables: dict[tuple[str, str], list[Table | None]] = {}
    for index, (_, school_sections) in enumerate(per_school):
        for section in school_sections:
            sections.setdefault(section.key, section)
            for table in section.tables:
                tables.setdefault((section.key, table.key), [None] * len(per_school))[index] = table
    return [
        Section(
            key=section.key,
            title=section.title,
            intro=section.intro,
            tables=[
                _side_by_side(names, tables[(section.key, table_key)])
                for table_key in dict.fromkeys(key for (s, key) in tables if s == section.key)
            ],
        )
        for section in sections.values()
    ]


def _headline(table: Table, row: Row) -> Cell:
    """A school's one figure for a row: the total column of a table that has one, else its first column."""
    return row.cells[table.total_column if table.total_column is not None else 0]


def _row_labels(tables: list[Table]) -> dict[str, bool]:
    """
    Every row label of the schools' tables, each with whether it is a total row, in the order they first appear,
    except that a total row stays below every row it adds up: a category only one school has comes above the total.
    """
    first_seen: dict[str, tuple[float, int]] = {}
    totals: dict[str, bool] = {}
    for table in tables:
        totals_above = 0
        for row in table.rows:
            # Rows between two totals belong to the second; a total comes after the rows of its group.
            group = totals_above + (0.5 if row.total else 0)
            first_seen.setdefault(row.label, (group, len(first_seen)))
            totals[row.label] = totals.get(row.label, False) or row.total
            totals_above += row.total
    return {label: totals[label] for label in sorted(first_seen, key=first_seen.__getitem__)}


def _side_by_side(names: list[str], school_tables: list[Table | None]) -> Table:
    first = next(table for table in school_tables if table is not None)
    labels = _row_labels([table for table in school_tables if table is not None])
    by_label = [{row.label: row for row in table.rows} if table is not None else {} for table in school_tables]

    rows, any_not_added = [], False
    for label, total in labels.items():
        found = [rows_of.get(label) for rows_of in by_label]
        cells: list[Cell | None] = [
            _headline(table, row) if row is not None else None for table, row in zip(school_tables, found, strict=True)
        ]
        counts = all(isinstance(cell, Count) for cell in cells if cell is not None)
        # A school without the row: none of it (a count of 0), or nothing to show for a figure that is not a count.
        filled = [cell if cell is not None else (Count(0) if counts else Text(NOT_ADDED)) for cell in cells]
        if counts:
            filled.append(Count(sum(cell.value for cell in filled)))
        else:
            filled.append(Text(NOT_ADDED))
            any_not_added = True
        rows.append(Row(label=label, cells=filled, total=total))

    heading = first.columns[first.total_column if first.total_column is not None else 0] if first.columns else ""
    caption = f"{first.caption} ({heading})" if len(first.columns) > 1 else first.caption
    note = " ".join(part for part in (first.note, PER_SCHOOL_NOTE if any_not_added else "") if part)
    return Table(
        key=first.key,
        caption=caption,
        row_header=first.row_header,
        columns=[*names, TRUST_TOTAL],
        rows=rows,
        total_column=len(names),
        part_columns=list(range(len(names))),
        chart=first.chart,
        note=note,
    )
