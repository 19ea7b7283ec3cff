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


@dataclass
class RowError:
    row: int  # as the spreadsheet numbers it: the header is row 1
    column: str
    message: str

    def as_dict(self) -> dict:
        return {"row": self.row, "column": self.column, "message": self.message}


def decode_upload(data: bytes) -> str:
    """Text of an uploaded file: UTF-8 (with or without BOM), else Windows-1252 as Excel saves it."""
    if b"\x00" in data[:2048]:
        raise ImportFileError("This does not look like a CSV file. Export the report from the MIS as CSV (comma separated).")
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError:
        return data.decode("cp1252", errors="replace")


def parse_csv(text: str, columns: Sequence[Column], *, holds: str, max_rows: int | None = None) -> ParsedFile:
    """
    Read the rows and match the headers to `columns`, or explain in plain words why the file cannot be
    used. `holds` names what the file holds, for those words ("pupils").
    """
    sample = text[:4096]
    dialect = csv.excel_tab if sample.count("\t") > sample.count(",") else csv.excel
    reader = csv.DictReader(io.StringIO(text), dialect=dialect)
    headers = [h.strip() for h in (reader.fieldnames or []) if h is not None]
    if not headers:
        raise ImportFileError("The file is empty: it needs a header row with the column names, then one row per person.")
    by_name = {normalise(h): h for h in headers}
    mapping, missing = {}, []
    for column in columns:
        found = next((by_name[n] for n in column.names() if n in by_name), None)
        if found:
            mapping[column.key] = found
        elif column.required:
            missing.append(column.header)
    if missing:
        raise ImportFileError(
            f"This file has no {', '.join(missing)} column{'s' if len(missing) > 1 else ''}, which "
            f"{'are' if len(missing) > 1 else 'is'} needed for {holds}. "
            f"The columns found were: {', '.join(headers[:12])}{'…' if len(headers) > 12 else ''}. "
            "Download the template to see the columns we read."
        )
    rows = []
    for raw in reader:
        if raw is None or not any((v or "").strip() for k, v in raw.items() if k is not None and isinstance(v, str)):
            continue  # blank line at the end of an Excel export
        rows.append({key: (raw.get(header) or "").strip() for key, header in mapping.items()})
        if max_rows and len(rows) > max_rows:
            raise ImportFileError(f"The file has more than {max_rows:,} rows. Split it, or ask for the limit to be raised.")
    if not rows:
        raise ImportFileError("The file has a header row but no rows of people under it.")
    return ParsedFile(headers=headers, mapping=mapping, rows=rows)


def template_csv(columns: Sequence[Column]) -> str:
    """A CSV with our column names and one example row, offered for download."""
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow([c.header for c in columns])
    writer.writerow([c.example for c in columns])
    return out.getvalue()
