"""
Small numbers in the governors' report: what is hidden, so that no child can be identified.

A count from 1 to one less than the school's threshold shows as "fewer than N", and a figure worked out from so few
events (a median time, a percentage) as "not shown (fewer than N)"; so does a share whose count, or the rest of its
base, is that small ("96% of 50" tells that 2 have not). Zero is shown: it identifies no one. Text is never hidden.
A count that is not small but hidden so that a small one cannot be worked out from it (a total) shows as "not shown".

Hiding a count is not enough when its total is shown beside the other parts: the reader subtracts. So, in each
group of parts and their total (a column's rows above its total row, a row's part columns and its total column),
when exactly one part is hidden and the total is shown, the total is hidden too, again and again until nothing
changes, since hiding a total makes it a hidden part of the group in the other direction.

That rule alone still lets some small counts be worked out: two hidden parts that leave 2 for themselves are both
1 (a hidden count is at least 1), or a chain of sums across rows and columns adds a hidden total back up. So the
table is then checked as a reader would attack it, by narrowing each hidden cell's bounds through every sum and by
solving the sums exactly; a small count still revealed has the shown totals of its groups hidden (every total of
the table if those are hidden already), and the whole is done again until nothing is revealed.

The result is the stored form of each table (`report.data`): words only, and for a chart the shown numbers
alone (`value`, None for a hidden cell), so that a hidden figure's true value is never stored.
"""

import math
from dataclasses import dataclass
from fractions import Fraction

from reports.figures.base import Count, Measure, Section, Table, Text

Place = tuple[int, int]  # (row, column) of a cell

# How many times the bounds of hidden cells are narrowed across the whole table, at most (a table settles in a few).
BOUND_ROUNDS = 50


@dataclass(frozen=True)
class Group:
    """Parts and the total that is their sum, as places in the table (Count cells only)."""

    parts: tuple[Place, ...]
    total: Place


def hidden_count_text(threshold: int) -> str:
    return f"fewer than {threshold}"


def hidden_measure_text(threshold: int) -> str:
    return f"not shown (fewer than {threshold})"


# A count that is not small itself, hidden so that a small one cannot be worked out from it (a total, most often):
# "fewer than N" would mislead, since it may be 62.
PROTECTING_TEXT = "not shown"


def suppress_section(section: Section, threshold: int) -> dict:
    """A section in its stored form, every table suppressed (without charts: `reports.build` adds them)."""
    return {
        "key": section.key,
        "title": section.title,
        "intro": section.intro,
        "tables": [suppress_table(table, threshold) for table in section.tables],
    }


def suppress_table(table: Table, threshold: int) -> dict:
    """A table in its stored form: each cell's words, whether it is hidden, and its number when shown."""
    hidden = hidden_places(table, threshold)
    rows = []
    for r, row in enumerate(table.rows):
        cells = [_stored_cell(cell, (r, c) in hidden, threshold) for c, cell in enumerate(row.cells)]
        for c, cell in enumerate(row.cells):
            if (r, c) in hidden and isinstance(cell, Count) and cell.value >= threshold:
                cells[c]["text"] = PROTECTING_TEXT
        rows.append({"label": row.label, "total": row.total, "cells": cells})
    return {
        "key": table.key,
        "caption": table.caption,
        "row_header": table.row_header,
        "columns": list(table.columns),
        "note": table.note,
        "rows": rows,
        # Which column is a total, so that a chart leaves it out.
        "total_column": table.total_column,
    }


def _stored_cell(cell, hidden: bool, threshold: int) -> dict:
    if isinstance(cell, Count):
        if hidden:
            return {"text": hidden_count_text(threshold), "hidden": True, "value": None}
        return {"text": f"{cell.value:,}", "hidden": False, "value": cell.value}
    if isinstance(cell, Measure):
        if hidden:
            return {"text": hidden_measure_text(threshold), "hidden": True, "value": None}
        if cell.base == 0:
            return {"text": cell.empty, "hidden": False, "value": None}
        return {"text": cell.text, "hidden": False, "value": cell.number}
    if isinstance(cell, Text):
        return {"text": cell.text, "hidden": False, "value": None}
    raise TypeError(f"Not a report cell: {cell!r}")


# --- Which cells are hidden ------------------------------------------------------------------------


def hidden_places(table: Table, threshold: int) -> set[Place]:
    """The places of the cells to hide: the small numbers, and the totals that would reveal them."""
    counts = {
        (r, c): cell.value for r, row in enumerate(table.rows) for c, cell in enumerate(row.cells) if isinstance(cell, Count)
    }
    small = {place for place, value in counts.items() if 0 < value < threshold}
    measures = {
        (r, c)
        for r, row in enumerate(table.rows)
        for c, cell in enumerate(row.cells)
        if isinstance(cell, Measure) and _measure_is_small(cell, threshold)
    }
    groups = table_groups(table, counts)
    hidden = set(small)
    while True:
        _hide_lone_parts(groups, hidden)
        revealed = sorted(small & (pinned_places(groups, hidden, counts, threshold) | solved_places(groups, hidden)))
        if not revealed:
            return hidden | measures
        _hide_totals_around(revealed[0], groups, hidden, counts)


def _measure_is_small(measure: Measure, threshold: int) -> bool:
    """
    Worked out from 1 to N-1 events; or a share whose count, or the rest of its base, is from 1 to N-1 ("96% of 50"
    tells that 2 have not).
    """
    if 0 < measure.base < threshold:
        return True
    return (
        measure.part is not None
        and measure.base > 0
        and (0 < measure.part < threshold or 0 < measure.base - measure.part < threshold)
    )


def table_groups(table: Table, counts: dict[Place, int]) -> list[Group]:
    """
    Each group of Count cells that add up: in each column, the rows above each total row (back to the total row
    before it, if any) with that total row; in each row, the part columns with the total column.
    """
    groups = []
    width = max((len(row.cells) for row in table.rows), default=0)
    for c in range(width):
        parts: list[Place] = []
        for r, row in enumerate(table.rows):
            if row.total:
                if (r, c) in counts and parts:
                    groups.append(Group(tuple(parts), (r, c)))
                parts = []
            elif (r, c) in counts:
                parts.append((r, c))
    if table.total_column is not None and table.part_columns:
        for r in range(len(table.rows)):
            parts = [(r, c) for c in table.part_columns if (r, c) in counts]
            if (r, table.total_column) in counts and parts:
                groups.append(Group(tuple(parts), (r, table.total_column)))
    return groups


def _hide_lone_parts(groups: list[Group], hidden: set[Place]) -> None:
    """The contract's rule, to a fixed point: a shown total with exactly one hidden part is hidden."""
    changed = True
    while changed:
        changed = False
        for group in groups:
            if group.total not in hidden and sum(part in hidden for part in group.parts) == 1:
                hidden.add(group.total)
                changed = True


def _hide_totals_around(place: Place, groups: list[Group], hidden: set[Place], counts: dict[Place, int]) -> None:
    """
    A small count the shown figures still reveal: hide the shown totals of its groups or, when they are all hidden
    already (it is revealed further away), every total of the table; failing that, every count.
    """
    totals = {group.total for group in groups if place in group.parts} - hidden
    if not totals:
        totals = {group.total for group in groups} - hidden
    if not totals:
        totals = set(counts) - hidden
    hidden.update(totals)


def pinned_places(groups: list[Group], hidden: set[Place], counts: dict[Place, int], threshold: int) -> set[Place]:
    """
    The hidden places whose value the shown figures pin down by bounds: a hidden small count is from 1 to
    threshold-1, any other count at least 0, and each group adds up. The bounds are narrowed group by group until
    they stop changing: e.g. two hidden parts that leave 2 for themselves are both 1.
    """
    low: dict[Place, float] = {}
    high: dict[Place, float] = {}
    for place, value in counts.items():
        if place not in hidden:
            low[place] = high[place] = value
        elif 0 < value < threshold:
            low[place], high[place] = 1, threshold - 1
        else:
            low[place], high[place] = 0, math.inf
    for _ in range(BOUND_ROUNDS):
        changed = False
        for group in groups:
            # parts - total = 0: each cell lies between what the others leave for it at least and at most.
            signed = [(part, 1) for part in group.parts] + [(group.total, -1)]
            for place, sign in signed:
                others = [(other, other_sign) for other, other_sign in signed if other != place]
                # sign * x = -sum(other_sign * y): bounds of the right-hand side.
                most = -sum(other_sign * (low[other] if other_sign > 0 else high[other]) for other, other_sign in others)
                least = -sum(other_sign * (high[other] if other_sign > 0 else low[other]) for other, other_sign in others)
                if sign < 0:
                    least, most = -most, -least
                if least > low[place]:
                    low[place], changed = least, True
                if most < high[place]:
                    high[place], changed = most, True
        if not changed:
            break
    return {place for place in hidden if place in low and low[place] == high[place]}


def solved_places(groups: list[Group], hidden: set[Place]) -> set[Place]:
    """
    The hidden places whose value the shown cells determine through the groups' sums (linear algebra, exact):
    a hidden cell is determined when the unit vector of its place lies in the row space of the sums' coefficients
    over the hidden cells, i.e. when a row of their reduced row echelon form has its one non-zero entry there.
    """
    unknowns = sorted({place for group in groups for place in (*group.parts, group.total) if place in hidden})
    if not unknowns:
        return set()
    index = {place: i for i, place in enumerate(unknowns)}
    matrix = []
    for group in groups:
        row = [Fraction(0)] * len(unknowns)
        for part in group.parts:
            if part in index:
                row[index[part]] += 1
        if group.total in index:
            row[index[group.total]] -= 1
        if any(row):
            matrix.append(row)
    return {unknowns[column] for column in _unit_rows(matrix)}


def _unit_rows(matrix: list[list[Fraction]]) -> list[int]:
    """The columns whose unit vector is a row of the reduced row echelon form of `matrix`."""
    rows = [list(row) for row in matrix]
    width = len(rows[0]) if rows else 0
    pivot_row = 0
    for column in range(width):
        pivot = next((r for r in range(pivot_row, len(rows)) if rows[r][column] != 0), None)
        if pivot is None:
            continue
        rows[pivot_row], rows[pivot] = rows[pivot], rows[pivot_row]
        lead = rows[pivot_row][column]
        rows[pivot_row] = [value / lead for value in rows[pivot_row]]
        for r in range(len(rows)):
            if r != pivot_row and rows[r][column] != 0:
                factor = rows[r][column]
                rows[r] = [a - factor * b for a, b in zip(rows[r], rows[pivot_row], strict=True)]
        pivot_row += 1
    units = []
    for row in rows[:pivot_row]:
        nonzero = [column for column, value in enumerate(row) if value != 0]
        if len(nonzero) == 1:
            units.append(nonzero[0])
    return units
