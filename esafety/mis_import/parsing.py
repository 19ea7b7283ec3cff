"""Reading an uploaded CSV file and matching its headers to the columns a kind of file has."""

import csv
import io
import re
from collections.abc import Sequence
from dataclasses import dataclass

DATE_FORMATS = ["%d/%m/%Y", "%Y-%m-%d", "%d/%m/%y", "%d-%m-%Y", "%d.%m.%Y"]


class ImportFileError(ValueError):
    """The file as a whole cannot be imported (wrong format, missing columns)."""


def normalise(header: str) -> str:
    """A header, or a word in a cell, with capitals, spaces and punctuation taken out."""
    return re.sub(r"[^a-z0-9]", "", header.lower())


@dataclass(frozen=True)
class Column:
    key: str
    header: str  # the name in our template
    aliases: tuple[str, ...] = ()
    required: bool = False
    example: str = ""
    help: str = ""

    def names(self) -> set[str]:
        return {normalise(self.header), *(normalise(a) for a in self.aliases)}


@dataclass
class ParsedFile:
    headers: list[str]
    mapping: dict[str, str]  # column key -> header in the file
    rows: list[dict[str, str]]
    lines: list[int]  # each row's line, as the spreadsheet numbers it: the header is line 1

    @property
    def ignored(self) -> list[str]:
        """The file's headers that match none of our columns."""
        read = set(self.mapping.values())
        return [header for header in self.headers if header not in read]

    def numbered_rows(self) -> list[tuple[int, dict[str, str]]]:
        return list(zip(self.lines, self.rows, strict=True))


@dataclass
class RowError:
    row: int  # as the spreadsheet numbers it: the header is row 1
    column: str
    message: str

    def as_dict(self) -> dict:
        return {"row": self.row, "column": self.column, "message": self.message}


def decode_upload(data: bytes, *, save_as: str = "Export the report from the MIS as CSV (comma separated).") -> str:
    """
    Text of an uploaded file: UTF-8 (with or without BOM), else Windows-1252 as Excel saves it. `save_as` tells
    the user how to make a CSV file when this is not one.
    """
    if b"\x00" in data[:2048]:
        raise ImportFileError(f"This does not look like a CSV file. {save_as}")
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError:
        return data.decode("cp1252", errors="replace")


def parse_csv(
    text: str,
    columns: Sequence[Column],
    *,
    holds: str,
    each: str = "person",
    max_rows: int | None = None,
    one_of: Sequence[str] = (),
) -> ParsedFile:
    """
    Read the rows and match the headers to `columns`, or explain in plain words why the file cannot be
    used. `holds` names what the rows are, in the plural ("pupils"), and `each` one of them ("person");
    `one_of`: the keys of columns of which the file needs at least one.
    """
    sample = text[:4096]
    dialect = csv.excel_tab if sample.count("\t") > sample.count(",") else csv.excel
    reader = csv.DictReader(io.StringIO(text), dialect=dialect)
    headers = [h.strip() for h in (reader.fieldnames or []) if h is not None]
    if not headers:
        raise ImportFileError(f"The file is empty: it needs a header row with the column names, then one row per {each}.")
    by_name = {normalise(h): h for h in headers}
    mapping, missing = {}, []
    for column in columns:
        found = next((by_name[n] for n in column.names() if n in by_name), None)
        if found:
            mapping[column.key] = found
        elif column.required:
            missing.append(column.header)
    if one_of and not any(key in mapping for key in one_of):
        missing.insert(0, " or ".join(column.header for column in columns if column.key in one_of))
    if missing:
        raise ImportFileError(
            f"This file has no {', '.join(missing)} column{'s' if len(missing) > 1 else ''}, which "
            f"{'are' if len(missing) > 1 else 'is'} needed to import {holds}. "
            f"The columns found were: {', '.join(headers[:12])}{'…' if len(headers) > 12 else ''}. "
            "Download the template to see the columns we read."
        )
    rows, lines = [], []
    for index, raw in enumerate(reader):
        if raw is None or not any((v or "").strip() for k, v in raw.items() if k is not None and isinstance(v, str)):
            continue  # blank line at the end of an Excel export
        rows.append({key: (raw.get(header) or "").strip() for key, header in mapping.items()})
        lines.append(index + 2)
        if max_rows and len(rows) > max_rows:
            raise ImportFileError(f"The file has more than {max_rows:,} {holds}. Split it into smaller files.")
    if not rows:
        raise ImportFileError(f"The file has a header row but no {holds} under it.")
    return ParsedFile(headers=headers, mapping=mapping, rows=rows, lines=lines)


def template_csv(columns: Sequence[Column]) -> str:
    """A CSV with our column names and one example row, offered for download."""
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow([c.header for c in columns])
    writer.writerow([c.example for c in columns])
    return out.getvalue()
