"""
Reading past training records from a CSV file, as a spreadsheet or a training provider's report exports them: the
columns read, and every row checked against the school's staff and its records. The CSV reading and the per-row
errors are those of the MIS import (`esafety.mis_import.parsing`, `esafety.mis_import.rows`).

Nothing here writes: `policies.services.training.training_records_import` reads the file again, inside its
transaction, and saves every row or none.
"""

import csv
import io
from dataclasses import dataclass

from django import forms
from django.utils import timezone

from esafety.mis_import.parsing import Column, ImportFileError, RowError, normalise, template_csv
from esafety.mis_import.rows import RowForm
from esafety.models import School, StaffMember
from policies.models import TrainingRecord

Kind = TrainingRecord.Kind
# Records in one file at most: a whole school's training over many years fits.
MAX_ROWS = 5000
MAX_BYTES = 1024 * 1024

COLUMNS: tuple[Column, ...] = (
    Column(
        "staff_code",
        "Staff Code",
        aliases=("MIS Staff Code", "Staff ID", "Staff Id", "Code", "Initials"),
        example="TJO",
        help="The member of staff's code in the MIS. Give this or their e-mail address.",
    ),
    Column(
        "email",
        "Email",
        aliases=("E-mail", "Work Email", "Work E-mail", "Email Address", "E-mail Address"),
        example="t.jones@school.example",
        help="Their work e-mail address, as in the MIS. Needed when there is no Staff Code.",
    ),
    Column(
        "kind",
        "Kind",
        aliases=("Type", "Training Type", "Category"),
        required=True,
        example="Safeguarding",
        help="Induction, Online safety, Safeguarding, DSL, Prevent, Filtering and monitoring, or Other.",
    ),
    Column("course", "Course", aliases=("Course Name", "Training", "Title"), required=True, example="Annual safeguarding update"),
    Column("provider", "Provider", aliases=("Trainer", "Delivered By", "Organisation"), example="Local authority"),
    Column(
        "completed_on",
        "Completed On",
        aliases=("Date Completed", "Completed", "Completion Date", "Date"),
        required=True,
        example="14/09/2025",
        help="dd/mm/yyyy; not after today.",
    ),
    Column(
        "expires_on",
        "Expires On",
        aliases=("Expiry", "Expiry Date", "Expires", "Valid Until", "Renewal Date"),
        example="",
        help="dd/mm/yyyy. Left empty: the school's refresher period after completion.",
    ),
    Column("notes", "Notes", aliases=("Note", "Comments"), example="Whole-staff INSET day"),
)
FIELDS = tuple(column.key for column in COLUMNS)
# What a row saves on the record, besides the member of staff.
RECORD_FIELDS = ("kind", "course", "provider", "completed_on", "expires_on", "notes")

# The words a spreadsheet uses for a kind of training, as `normalise` leaves them.
KIND_WORDS = {
    **{normalise(label): value for value, label in Kind.choices},
    **{normalise(value): value for value in Kind.values},
    "induction": Kind.INDUCTION,
    "staffinduction": Kind.INDUCTION,
    "esafety": Kind.ONLINE_SAFETY,
    "esafetytraining": Kind.ONLINE_SAFETY,
    "onlinesafetytraining": Kind.ONLINE_SAFETY,
    "internetsafety": Kind.ONLINE_SAFETY,
    "safeguardingtraining": Kind.SAFEGUARDING,
    "childprotection": Kind.SAFEGUARDING,
    "safeguarding": Kind.SAFEGUARDING,
    "kcsie": Kind.SAFEGUARDING,
    "designatedsafeguardinglead": Kind.DSL,
    "dsltraining": Kind.DSL,
    "prevent": Kind.PREVENT,
    "preventduty": Kind.PREVENT,
    "filtering": Kind.FILTERING,
    "filteringandmonitoring": Kind.FILTERING,
    "monitoring": Kind.FILTERING,
}


class TrainingRow(RowForm):
    """One row of the file, validated and converted; the messages follow the column's name ("Kind is not…")."""

    staff_code = forms.CharField(max_length=40, required=False)
    email = forms.CharField(max_length=254, required=False)
    kind = forms.CharField()
    course = forms.CharField(max_length=200)
    provider = forms.CharField(max_length=200, required=False)
    completed_on = forms.DateField()
    expires_on = forms.DateField(required=False)
    notes = forms.CharField(required=False)

    def clean_kind(self):
        word = normalise(self.cleaned_data["kind"])
        if word not in KIND_WORDS:
            raise forms.ValidationError(
                "is not a kind of training we know: use Induction, Online safety, Safeguarding, DSL, Prevent, "
                "Filtering and monitoring, or Other."
            )
        return KIND_WORDS[word]

    def clean_completed_on(self):
        completed_on = self.cleaned_data["completed_on"]
        if completed_on > timezone.localdate():
            raise forms.ValidationError("is after today: give the day the course was completed.")
        return completed_on

    def clean(self):
        cleaned = super().clean()
        completed_on, expires_on = cleaned.get("completed_on"), cleaned.get("expires_on")
        if completed_on and expires_on and expires_on <= completed_on:
            self.add_error("expires_on", "is not after the day the course was completed.")
        return cleaned


def _message(form_field: forms.Field | None, message: str) -> str:
    """Django's words for a bad value, as a sentence about the column ("Course is too long…")."""
    if message == "This field is required.":
        return "is empty, and it is needed."
    if message.startswith("Ensure this value has at most") and form_field is not None:
        return f"is too long: at most {form_field.max_length} characters."
    return message


@dataclass
class PlannedRow:
    """A row without errors: the record it adds, or one already in the register."""

    line: int  # as the spreadsheet numbers it: the header is line 1
    staff_member: StaffMember
    data: dict  # RECORD_FIELDS
    already: bool = False  # the same course, kind and date is already recorded for this person

    @property
    def kind_label(self) -> str:
        return Kind(self.data["kind"]).label

    @property
    def outcome(self) -> str:
        return "already" if self.already else "new"


@dataclass
class CheckedFile:
    columns: list[str]  # the file's headers that were read
    ignored: list[str]  # the file's other headers
    rows: list[PlannedRow]
    errors: list[RowError]

    @property
    def new(self) -> int:
        return sum(1 for row in self.rows if not row.already)

    @property
    def already(self) -> int:
        return sum(1 for row in self.rows if row.already)

    @property
    def error_lines(self) -> int:
        return len({error.row for error in self.errors})

    @property
    def lines_read(self) -> int:
        return len(self.rows) + self.error_lines


def decode(data: bytes) -> str:
    """The text of an uploaded file: UTF-8 (with or without the mark Excel adds), else Windows-1252."""
    if b"\x00" in data[:2048]:
        raise ImportFileError("This does not look like a CSV file. Save the spreadsheet as CSV (comma separated).")
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError:
        return data.decode("cp1252", errors="replace")


def _read(text: str) -> tuple[dict[str, str], list[str], list[tuple[int, dict[str, str]]]]:
    """The file's columns matched to ours, its other headers, and its rows (with their line numbers)."""
    sample = text[:4096]
    dialect = csv.excel_tab if sample.count("\t") > sample.count(",") else csv.excel
    reader = csv.DictReader(io.StringIO(text), dialect=dialect)
    headers = [h.strip() for h in (reader.fieldnames or []) if h is not None]
    if not headers:
        raise ImportFileError("The file is empty: it needs a header row with the column names, then one row per course.")
    by_name = {normalise(h): h for h in headers}
    mapping = {}
    for column in COLUMNS:
        found = next((by_name[name] for name in column.names() if name in by_name), None)
        if found:
            mapping[column.key] = found
    missing = [column.header for column in COLUMNS if column.required and column.key not in mapping]
    if "staff_code" not in mapping and "email" not in mapping:
        missing.insert(0, "Staff Code or Email")
    if missing:
        raise ImportFileError(
            f"This file has no {' or '.join(missing)} column, which {'are' if len(missing) > 1 else 'is'} needed. "
            f"The columns found were: {', '.join(headers[:12])}{'…' if len(headers) > 12 else ''}. "
            "Download the template to see the columns we read."
        )
    rows = []
    for index, raw in enumerate(reader):
        if raw is None or not any((v or "").strip() for k, v in raw.items() if k is not None and isinstance(v, str)):
            continue  # a blank line, e.g. at the end of an Excel export
        rows.append((index + 2, {key: (raw.get(header) or "").strip() for key, header in mapping.items()}))
        if len(rows) > MAX_ROWS:
            raise ImportFileError(f"The file has more than {MAX_ROWS:,} courses. Split it into smaller files.")
    if not rows:
        raise ImportFileError("The file has a header row but no courses under it.")
    ignored = [h for h in headers if h not in mapping.values()]
    return mapping, ignored, rows


def _key(staff_member_id, data: dict) -> tuple:
    return (staff_member_id, data["kind"], data["course"].strip().lower(), data["completed_on"])


def _existing(school: School) -> set[tuple]:
    """What the school has recorded already, for the rows that repeat it."""
    values = TrainingRecord.objects.for_school(school).values_list("staff_member_id", "kind", "course", "completed_on")
    return {(staff_id, kind, course.strip().lower(), completed_on) for staff_id, kind, course, completed_on in values}


def check_file(school: School, text: str, *, lock: bool = False) -> CheckedFile:
    """
    Every row checked: its member of staff found by MIS staff code or e-mail (whatever the capitals; leavers too,
    for their past training), its kind and dates read; or `ImportFileError` saying why the file cannot be used.
    `lock`: the school's staff are read under a row lock, so that two imports of one file do not both add it.
    """
    mapping, ignored, raw_rows = _read(text)
    headers = {column.key: mapping.get(column.key, column.header) for column in COLUMNS}
    staff = StaffMember.objects.for_school(school).order_by("pk")
    if lock:
        staff = staff.select_for_update()
    by_code, by_email = {}, {}
    for member in staff:
        by_code[member.mis_id.strip().lower()] = member
        if member.email:
            by_email.setdefault(member.email.strip().lower(), member)
    recorded = _existing(school)
    seen: dict[tuple, int] = {}
    planned, errors = [], []
    for line, values in raw_rows:
        form = TrainingRow({name: values.get(name, "") for name in FIELDS}, None)
        row_errors = []
        if not form.is_valid():
            for name, messages in form.errors.items():
                for message in messages:
                    row_errors.append(RowError(line, headers.get(name, "(row)"), _message(form.fields.get(name), message)))
        code = (values.get("staff_code") or "").lower()
        email = (values.get("email") or "").lower()
        member = (by_code.get(code) if code else None) or (by_email.get(email) if email else None)
        if member is None:
            if code:
                row_errors.append(RowError(line, headers["staff_code"], f"{values['staff_code']} matches no member of staff."))
            elif email:
                row_errors.append(RowError(line, headers["email"], f"{values['email']} matches no member of staff."))
            else:
                column = headers["staff_code"] if "staff_code" in mapping else headers["email"]
                row_errors.append(RowError(line, column, "is empty: give the member of staff's code or e-mail address."))
        if row_errors:
            errors.extend(row_errors)
            continue
        data = {name: form.cleaned_data[name] for name in RECORD_FIELDS}
        data["expires_on"] = data["expires_on"] or None
        key = _key(member.pk, data)
        if key in seen:
            errors.append(RowError(line, headers["course"], f"repeats line {seen[key]}: each course once per person and day."))
            continue
        seen[key] = line
        planned.append(PlannedRow(line=line, staff_member=member, data=data, already=key in recorded))
    return CheckedFile(
        columns=[mapping[name] for name in FIELDS if name in mapping], ignored=ignored, rows=planned, errors=errors
    )


def template() -> str:
    """A CSV file with our column names and one example row, offered for download."""
    return template_csv(COLUMNS)
