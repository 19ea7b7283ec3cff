"""Small report tables for the tests of the report's engine: suppression, charts and the build."""

from reports.figures.base import Count, Row, Section, Table


def counts_table(
    counts: list[list[int]],
    *,
    labels: list[str] | None = None,
    columns: list[str] | None = None,
    total_row: bool = False,
    total_column: bool = False,
    chart: str | None = None,
    key: str = "by_category",
    caption: str = "Incidents by category",
) -> Table:
    """
    A table of counts, one list a row; with `total_row`, a "Total" row adding up each column, and with
    `total_column`, an "All" column adding up each row (the grand total at their corner).
    """
    labels = labels or [f"Category {chr(ord('A') + r)}" for r in range(len(counts))]
    columns = columns or [f"Column {c + 1}" for c in range(len(counts[0]))]
    grid = [list(row) + ([sum(row)] if total_column else []) for row in counts]
    rows = [Row(label, [Count(value) for value in values]) for label, values in zip(labels, grid, strict=True)]
    if total_row:
        rows.append(Row("Total", [Count(sum(column)) for column in zip(*grid, strict=True)], total=True))
    width = len(counts[0])
    return Table(
        key=key,
        caption=caption,
        row_header="Category",
        columns=columns + (["All"] if total_column else []),
        rows=rows,
        total_column=width if total_column else None,
        part_columns=list(range(width)) if total_column else [],
        chart=chart,
    )


def texts(table_dict: dict) -> list[list[str]]:
    """The words of each row's cells, as a reader sees them."""
    return [[cell["text"] for cell in row["cells"]] for row in table_dict["rows"]]


def hidden_at(table_dict: dict) -> set[tuple[int, int]]:
    """The (row, column) of each hidden cell."""
    return {(r, c) for r, row in enumerate(table_dict["rows"]) for c, cell in enumerate(row["cells"]) if cell["hidden"]}


def section_of(*tables: Table, key: str = "incidents", title: str = "Incidents") -> Section:
    return Section(key=key, title=title, tables=list(tables), intro="What was recorded.")
