"""
Importing pupils, parents/carers, forms and staff from an MIS export (CSV).

The flow an office sees: upload → the file is checked in the background
(every row, with errors in plain words) → a preview of what will be created,
updated and marked as left → confirm (all rows, or only the rows without
errors) → the import runs in the background in one transaction, so nothing
is ever half-imported → a notification when it is done.

Rows are matched on the MIS id, so importing the same file twice changes
nothing, and a later export updates what changed. Leavers are marked, never
deleted. Column names follow SIMS and Arbor exports; each column accepts the
usual variants (see `docs/mis-import.md` and the downloadable templates).
"""

import csv
import io
import logging
import re
from dataclasses import dataclass, field
from datetime import datetime

from django import forms
from django.core.cache import cache
from django.db import transaction
from django.db.models import Q
from django.utils import timezone
from simple_history.utils import bulk_create_with_history

from esafety.calendar import parse_year_group
from esafety.history import save_with_history
from esafety.models import FormGroup, ImportJob, ParentCarer, Pupil, PupilContact, StaffMember, YearGroup
from esafety.notifications import notify
from esafety.outbox import outbox_enqueue

logger = logging.getLogger(__name__)

MAX_LISTED_ERRORS = 500
DATE_FORMATS = ["%d/%m/%Y", "%Y-%m-%d", "%d/%m/%y", "%d-%m-%Y", "%d.%m.%Y"]


class ImportFileError(ValueError):
    """The file as a whole cannot be imported (wrong format, missing columns)."""


# --- Columns --------------------------------------------------------------


@dataclass(frozen=True)
class Column:
    key: str
    header: str  # the name in our template
    aliases: tuple[str, ...] = ()
    required: bool = False
    example: str = ""
    help: str = ""

    def names(self) -> set[str]:
        return {_normalise(self.header), *(_normalise(a) for a in self.aliases)}


def _normalise(header: str) -> str:
    return re.sub(r"[^a-z0-9]", "", header.lower())


COLUMNS: dict[str, list[Column]] = {
    ImportJob.Kind.PUPILS: [
        Column(
            "mis_id",
            "Adno",
            ("Admission Number", "MIS ID", "Pupil ID", "Student ID"),
            True,
            "001234",
            "The pupil's admission number or MIS id; re-imports match on it.",
        ),
        Column("upn", "UPN", ("Unique Pupil Number",), False, "A123456789012", "Unique pupil number."),
        Column("last_name", "Legal Surname", ("Surname", "Last Name", "Legal Last Name"), True, "Smith"),
        Column("first_name", "Legal Forename", ("Forename", "First Name", "Legal First Name"), True, "Amelia"),
        Column("preferred_name", "Preferred Forename", ("Preferred First Name", "Preferred Name", "Known As"), False, "Millie"),
        Column("date_of_birth", "DOB", ("Date of Birth",), True, "14/03/2014", "dd/mm/yyyy"),
        Column(
            "year",
            "Year",
            ("Year Group", "NC Year", "Curriculum Year"),
            True,
            "7",
            "R for Reception, N for Nursery, 1 to 13 (or Year 7).",
        ),
        Column(
            "form",
            "Reg",
            ("Reg Group", "Registration Group", "Registration Form", "Form", "Tutor Group", "Class"),
            False,
            "7A",
            "A new form is created when needed.",
        ),
        Column("admission_date", "Admission Date", ("Date of Admission", "Start Date", "Entry Date"), False, "01/09/2025"),
        Column(
            "leaving_date",
            "Leaving Date",
            ("Date of Leaving", "Leave Date"),
            False,
            "",
            "Set for pupils who have left: they are marked as leavers.",
        ),
    ],
    ImportJob.Kind.CONTACTS: [
        Column(
            "mis_id",
            "Contact ID",
            ("Contact Adno", "Contact MIS ID", "Person ID", "Contact Person ID"),
            True,
            "C0456",
            "The contact's id in the MIS; re-imports match on it.",
        ),
        Column(
            "pupil_mis_id",
            "Pupil Adno",
            ("Adno", "Pupil MIS ID", "Student ID", "Pupil ID"),
            True,
            "001234",
            "The Adno of the pupil this contact belongs to: one row per pupil.",
        ),
        Column("title", "Title", (), False, "Mrs"),
        Column("first_name", "Forename", ("First Name", "Contact Forename"), False, "Jane"),
        Column("last_name", "Surname", ("Last Name", "Contact Surname"), True, "Smith"),
        Column("relationship", "Relationship", ("Relationship to Pupil", "Relation"), True, "Mother"),
        Column(
            "parental_responsibility",
            "Parental Responsibility",
            ("Has Parental Responsibility", "PR"),
            False,
            "Yes",
            "Yes or No.",
        ),
        Column("priority", "Priority", ("Contact Priority", "Priority Order"), False, "1"),
        Column("email", "Email", ("Email Address", "Primary Email", "E-mail"), False, "jane.smith@example.org"),
        Column("phone", "Telephone", ("Phone", "Mobile", "Primary Telephone", "Telephone Number"), False, "07700 900123"),
    ],
    ImportJob.Kind.STAFF: [
        Column("mis_id", "Staff Code", ("Staff ID", "MIS ID", "Code", "Employee Number"), True, "JSM", "Re-imports match on it."),
        Column("title", "Title", (), False, "Mr"),
        Column("first_name", "Forename", ("Legal Forename", "First Name", "Preferred Forename"), True, "John"),
        Column("last_name", "Surname", ("Legal Surname", "Last Name"), True, "Smith"),
        Column("email", "Work Email", ("Email", "Email Address", "School Email"), False, "j.smith@school.example"),
        Column("job_title", "Role", ("Job Title", "Post", "Position"), False, "Teacher of Maths"),
        Column(
            "line_manager",
            "Line Manager Code",
            ("Line Manager", "Manager Code"),
            False,
            "ABC",
            "The staff code of their line manager.",
        ),
        Column("start_date", "Start Date", ("Employment Start", "Employment Start Date"), False, "01/09/2020"),
        Column("leaving_date", "Leaving Date", ("End Date", "Employment End", "Employment End Date"), False, ""),
    ],
    ImportJob.Kind.FORMS: [
        Column("name", "Reg Group", ("Form", "Registration Group", "Tutor Group", "Class", "Name"), True, "7A"),
        Column("year", "Year", ("Year Group", "NC Year"), True, "7"),
        Column(
            "tutor",
            "Tutor Staff Code",
            ("Tutor", "Tutor Code", "Form Tutor Code", "Teacher Code"),
            False,
            "JSM",
            "The staff code of the form tutor or class teacher.",
        ),
    ],
}


def template_csv(kind: str) -> str:
    """A CSV with our column names and one example row, offered for download."""
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow([c.header for c in COLUMNS[kind]])
    writer.writerow([c.example for c in COLUMNS[kind]])
    return out.getvalue()


# --- Reading the file -----------------------------------------------------


def decode_upload(data: bytes) -> str:
    """Text of an uploaded file: UTF-8 (with or without BOM), else Windows-1252 as Excel saves it."""
    if b"\x00" in data[:2048]:
        raise ImportFileError("This does not look like a CSV file. Export the report from the MIS as CSV (comma separated).")
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError:
        return data.decode("cp1252", errors="replace")


@dataclass
class ParsedFile:
    headers: list[str]
    mapping: dict[str, str]  # column key -> header in the file
    rows: list[dict[str, str]]


def parse_csv(text: str, kind: str, max_rows: int | None = None) -> ParsedFile:
    """Read the rows and match the headers, or explain in plain words why the file cannot be used."""
    sample = text[:4096]
    dialect = csv.excel_tab if sample.count("\t") > sample.count(",") else csv.excel
    reader = csv.DictReader(io.StringIO(text), dialect=dialect)
    headers = [h.strip() for h in (reader.fieldnames or []) if h is not None]
    if not headers:
        raise ImportFileError("The file is empty: it needs a header row with the column names, then one row per person.")
    by_name = {_normalise(h): h for h in headers}
    mapping, missing = {}, []
    for column in COLUMNS[kind]:
        found = next((by_name[n] for n in column.names() if n in by_name), None)
        if found:
            mapping[column.key] = found
        elif column.required:
            missing.append(column.header)
    if missing:
        raise ImportFileError(
            f"This file has no {', '.join(missing)} column{'s' if len(missing) > 1 else ''}, which "
            f"{'are' if len(missing) > 1 else 'is'} needed for {ImportJob.Kind(kind).label.lower()}. "
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


# --- Validating rows ------------------------------------------------------


def _yes_no(value: str) -> bool | None:
    value = value.strip().lower()
    if value in ("y", "yes", "true", "1", "t"):
        return True
    if value in ("", "n", "no", "false", "0", "f"):
        return False
    return None


RELATIONSHIP_WORDS = {
    "mother": PupilContact.Relationship.MOTHER,
    "mum": PupilContact.Relationship.MOTHER,
    "father": PupilContact.Relationship.FATHER,
    "dad": PupilContact.Relationship.FATHER,
    "stepmother": PupilContact.Relationship.STEP_PARENT,
    "stepfather": PupilContact.Relationship.STEP_PARENT,
    "stepparent": PupilContact.Relationship.STEP_PARENT,
    "grandmother": PupilContact.Relationship.GRANDPARENT,
    "grandfather": PupilContact.Relationship.GRANDPARENT,
    "grandparent": PupilContact.Relationship.GRANDPARENT,
    "fostercarer": PupilContact.Relationship.FOSTER_CARER,
    "fostermother": PupilContact.Relationship.FOSTER_CARER,
    "fosterfather": PupilContact.Relationship.FOSTER_CARER,
    "carer": PupilContact.Relationship.CARER,
    "guardian": PupilContact.Relationship.CARER,
    "aunt": PupilContact.Relationship.OTHER_RELATIVE,
    "uncle": PupilContact.Relationship.OTHER_RELATIVE,
    "brother": PupilContact.Relationship.OTHER_RELATIVE,
    "sister": PupilContact.Relationship.OTHER_RELATIVE,
    "otherrelative": PupilContact.Relationship.OTHER_RELATIVE,
    "socialworker": PupilContact.Relationship.SOCIAL_WORKER,
    "other": PupilContact.Relationship.OTHER,
    "parent": PupilContact.Relationship.PARENT,
    "parentcarer": PupilContact.Relationship.PARENT,
    "othercontact": PupilContact.Relationship.OTHER,
}


class _RowForm(forms.Form):
    """Validates and converts one row; field names are the column keys."""

    def __init__(self, values, context):
        super().__init__(data=values)
        self.context = context
        for form_field in self.fields.values():
            if isinstance(form_field, forms.DateField):
                form_field.input_formats = DATE_FORMATS
                form_field.error_messages["invalid"] = "is not a date: write it as dd/mm/yyyy, e.g. 14/03/2014."


class PupilRow(_RowForm):
    mis_id = forms.CharField(max_length=40)
    upn = forms.CharField(max_length=13, required=False)
    last_name = forms.CharField(max_length=100)
    first_name = forms.CharField(max_length=100)
    preferred_name = forms.CharField(max_length=100, required=False)
    date_of_birth = forms.DateField()
    year = forms.CharField()
    form = forms.CharField(max_length=40, required=False)
    admission_date = forms.DateField(required=False)
    leaving_date = forms.DateField(required=False)

    def clean_year(self):
        ncy = parse_year_group(self.cleaned_data["year"])
        if ncy is None:
            raise forms.ValidationError("is not a year group: use N, R or 1 to 13 (Year 7 and Y7 work too).")
        return ncy

    def clean_date_of_birth(self):
        born = self.cleaned_data["date_of_birth"]
        today = timezone.localdate()
        if born >= today or born.year < today.year - 25:
            raise forms.ValidationError(f"{born:%d/%m/%Y} cannot be a pupil's date of birth.")
        return born

    def clean(self):
        data = super().clean()
        admitted, left = data.get("admission_date"), data.get("leaving_date")
        if admitted and left and left < admitted:
            self.add_error("leaving_date", "is before the admission date.")
        return data


class ContactRow(_RowForm):
    mis_id = forms.CharField(max_length=40)
    pupil_mis_id = forms.CharField(max_length=40)
    title = forms.CharField(max_length=20, required=False)
    first_name = forms.CharField(max_length=100, required=False)
    last_name = forms.CharField(max_length=100)
    relationship = forms.CharField()
    parental_responsibility = forms.CharField(required=False)
    priority = forms.IntegerField(min_value=1, max_value=99, required=False)
    email = forms.EmailField(required=False, error_messages={"invalid": "is not an e-mail address."})
    phone = forms.CharField(max_length=40, required=False)

    def clean_pupil_mis_id(self):
        mis_id = self.cleaned_data["pupil_mis_id"]
        if mis_id not in self.context.pupils:
            raise forms.ValidationError(f"no pupil has Adno {mis_id}: import the pupils first.")
        return mis_id

    def clean_relationship(self):
        word = _normalise(self.cleaned_data["relationship"])
        if word not in RELATIONSHIP_WORDS:
            raise forms.ValidationError("is not a relationship we know: use e.g. Mother, Father, Carer, Grandparent or Other.")
        return RELATIONSHIP_WORDS[word]

    def clean_parental_responsibility(self):
        value = _yes_no(self.cleaned_data["parental_responsibility"])
        if value is None:
            raise forms.ValidationError("should be Yes or No.")
        return value


class StaffRow(_RowForm):
    mis_id = forms.CharField(max_length=40)
    title = forms.CharField(max_length=20, required=False)
    first_name = forms.CharField(max_length=100)
    last_name = forms.CharField(max_length=100)
    email = forms.EmailField(required=False, error_messages={"invalid": "is not an e-mail address."})
    job_title = forms.CharField(max_length=120, required=False)
    line_manager = forms.CharField(max_length=40, required=False)
    start_date = forms.DateField(required=False)
    leaving_date = forms.DateField(required=False)

    def clean_line_manager(self):
        code = self.cleaned_data["line_manager"]
        if code and code not in self.context.staff_codes:
            raise forms.ValidationError(f"no member of staff has the code {code}.")
        return code


class FormRow(_RowForm):
    name = forms.CharField(max_length=40)
    year = forms.CharField()
    tutor = forms.CharField(max_length=40, required=False)

    clean_year = PupilRow.clean_year

    def clean_tutor(self):
        code = self.cleaned_data["tutor"]
        if code and code not in self.context.staff:
            raise forms.ValidationError(f"no member of staff has the code {code}: import the staff first.")
        return code


ROW_FORMS = {
    ImportJob.Kind.PUPILS: PupilRow,
    ImportJob.Kind.CONTACTS: ContactRow,
    ImportJob.Kind.STAFF: StaffRow,
    ImportJob.Kind.FORMS: FormRow,
}


@dataclass
class _Context:
    """What rows are checked and applied against, loaded in a fixed number of queries."""

    school: object
    present: set = field(default_factory=set)  # the columns the file has: others are left as they are
    pupils: dict = field(default_factory=dict)
    pupils_by_upn: dict = field(default_factory=dict)
    new_pupils: list = field(default_factory=list)
    contacts: dict = field(default_factory=dict)
    links: dict = field(default_factory=dict)
    staff: dict = field(default_factory=dict)
    staff_codes: set = field(default_factory=set)
    year_groups: dict = field(default_factory=dict)
    forms: dict = field(default_factory=dict)

    @classmethod
    def load(cls, school, kind, parsed: ParsedFile) -> "_Context":
        ctx = cls(school=school, present=set(parsed.mapping))
        ctx.year_groups = {y.ncy: y for y in YearGroup.objects.for_school(school)}
        ctx.forms = {f.name.lower(): f for f in FormGroup.objects.for_school(school)}
        ctx.staff = {s.mis_id: s for s in StaffMember.objects.for_school(school)}
        ctx.staff_codes = set(ctx.staff) | {r.get("mis_id", "") for r in parsed.rows if kind == ImportJob.Kind.STAFF}
        if kind in (ImportJob.Kind.PUPILS, ImportJob.Kind.CONTACTS):
            ctx.pupils = {p.mis_id: p for p in Pupil.objects.for_school(school)}
            ctx.pupils_by_upn = {p.upn.upper(): p for p in ctx.pupils.values() if p.upn}
        if kind == ImportJob.Kind.CONTACTS:
            ctx.contacts = {c.mis_id: c for c in ParentCarer.objects.for_school(school)}
            ctx.links = {(link.pupil_id, link.contact_id): link for link in PupilContact.objects.filter(pupil__school=school)}
        return ctx


@dataclass
class RowError:
    row: int  # as the spreadsheet numbers it: the header is row 1
    column: str
    message: str

    def as_dict(self):
        return {"row": self.row, "column": self.column, "message": self.message}


def _check_rows(job: ImportJob, parsed: ParsedFile, ctx: _Context, progress_every: int = 100):
    """Validate every row. Returns (valid rows as (row number, cleaned data), errors)."""
    row_form = ROW_FORMS[job.kind]
    key_column = "name" if job.kind == ImportJob.Kind.FORMS else "mis_id"
    headers = {c.key: parsed.mapping.get(c.key, c.header) for c in COLUMNS[job.kind]}
    seen: dict[str, int] = {}
    upns: dict[str, int] = {}
    valid, errors = [], []
    total = len(parsed.rows)
    for index, values in enumerate(parsed.rows):
        number = index + 2
        form = row_form(values, ctx)
        row_errors = []
        if form.is_valid():
            key = form.cleaned_data[key_column].lower()
            if job.kind == ImportJob.Kind.CONTACTS:
                key = f"{key}|{form.cleaned_data['pupil_mis_id']}"
            if key in seen:
                row_errors.append(RowError(number, headers[key_column], f"repeats row {seen[key]}: each person once per file."))
            else:
                seen[key] = number
            if job.kind == ImportJob.Kind.PUPILS and form.cleaned_data["upn"]:
                row_errors.extend(_upn_clash(form.cleaned_data, number, headers["upn"], upns, ctx))
        else:
            for name, messages in form.errors.items():
                column = headers.get(name, "(row)")
                for message in messages:
                    if message == "This field is required.":
                        message = "is empty, and it is needed."
                    elif message.startswith("Ensure this value has at most"):
                        message = "is too long."
                    row_errors.append(RowError(number, column, message))
        if row_errors:
            errors.extend(row_errors)
        else:
            valid.append((number, form.cleaned_data))
        if (index + 1) % progress_every == 0 or index + 1 == total:
            _set_progress(job, index + 1, total)
    return valid, errors


def _upn_clash(data: dict, number: int, column: str, upns: dict, ctx: _Context) -> list[RowError]:
    """A UPN belongs to one pupil: not repeated in the file, nor another pupil's already."""
    upn = data["upn"].upper()
    if upn in upns:
        return [RowError(number, column, f"is the same as on row {upns[upn]}: a UPN belongs to one pupil.")]
    upns[upn] = number
    holder = ctx.pupils_by_upn.get(upn)
    if holder is not None and holder.mis_id != data["mis_id"]:
        return [RowError(number, column, f"already belongs to another pupil (Adno {holder.mis_id}).")]
    return []


# --- Progress -------------------------------------------------------------


def _progress_key(job) -> str:
    return f"import-progress:{job.pk}"


def _set_progress(job, done: int, total: int) -> None:
    # The cache, not the database: the import runs in one transaction, which no one else can see into.
    try:
        cache.set(_progress_key(job), (done, total), timeout=3600)
    except Exception:  # noqa: BLE001 - a progress bar is not worth failing an import for
        logger.warning("Could not record the progress of import %s", job.pk)


def import_progress(job: ImportJob) -> int:
    """How far the check or the import has got, in per cent (0 when the cache cannot say)."""
    if job.status in (ImportJob.Status.READY, ImportJob.Status.DONE):
        return 100
    try:
        done, total = cache.get(_progress_key(job), (0, 1))
    except Exception:  # noqa: BLE001 - the page must still show when the cache is down
        return 0
    return int(100 * done / max(total, 1))


# --- Planning and applying ------------------------------------------------


_PUPIL_FIELDS = ("upn", "last_name", "first_name", "preferred_name", "date_of_birth", "admission_date", "leaving_date")
_CONTACT_FIELDS = ("title", "first_name", "last_name", "email", "phone")
_STAFF_FIELDS = ("title", "first_name", "last_name", "email", "job_title", "start_date", "leaving_date")


def _fields(ctx, names) -> list[str]:
    """The fields among `names` whose column is in the file."""
    return [name for name in names if name in ctx.present]


def _changed(obj, data: dict, names) -> bool:
    return any(getattr(obj, name) != data[name] for name in names)


def _plan(job: ImportJob, valid_rows, ctx: _Context, parsed: ParsedFile) -> dict:
    """Counts for the preview: what the import would create, update, leave alone and mark as left."""
    counts = {"create": 0, "update": 0, "unchanged": 0, "leavers": 0, "missing": 0}
    # Who is in the file, rows with errors included: as `_mark_missing_as_left` counts them.
    keys = {row.get("mis_id", "") for row in parsed.rows}
    for _, data in valid_rows:
        if job.kind == ImportJob.Kind.PUPILS:
            existing = ctx.pupils.get(data["mis_id"])
            if data["leaving_date"] and (existing is None or existing.leaving_date != data["leaving_date"]):
                counts["leavers"] += 1
        elif job.kind == ImportJob.Kind.CONTACTS:
            existing = ctx.contacts.get(data["mis_id"])
        elif job.kind == ImportJob.Kind.STAFF:
            existing = ctx.staff.get(data["mis_id"])
        else:
            existing = ctx.forms.get(data["name"].lower())
        if existing is None:
            counts["create"] += 1
        elif _row_differs(job.kind, existing, data, ctx):
            counts["update"] += 1
        else:
            counts["unchanged"] += 1
    if job.kind == ImportJob.Kind.PUPILS:
        today = timezone.localdate()
        counts["missing"] = sum(
            1 for p in ctx.pupils.values() if p.mis_id not in keys and (p.leaving_date is None or p.leaving_date > today)
        )
    elif job.kind == ImportJob.Kind.STAFF:
        today = timezone.localdate()
        counts["missing"] = sum(
            1 for s in ctx.staff.values() if s.mis_id not in keys and (s.leaving_date is None or s.leaving_date > today)
        )
    return counts


def _row_differs(kind, existing, data, ctx) -> bool:
    if kind == ImportJob.Kind.PUPILS:
        form = ctx.forms.get(data["form"].lower()) if data["form"] else None
        return (
            _changed(existing, data, _fields(ctx, _PUPIL_FIELDS))
            or existing.year_group_id != getattr(ctx.year_groups.get(data["year"]), "pk", None)
            or ("form" in ctx.present and existing.form_id != (form.pk if form else None))
        )
    if kind == ImportJob.Kind.CONTACTS:
        pupil = ctx.pupils[data["pupil_mis_id"]]
        link = ctx.links.get((pupil.pk, existing.pk))
        return (
            _changed(existing, {**data, "email": data["email"].lower()}, _fields(ctx, _CONTACT_FIELDS))
            or link is None
            or link.relationship != data["relationship"]
            or ("parental_responsibility" in ctx.present and link.parental_responsibility != data["parental_responsibility"])
            or ("priority" in ctx.present and link.priority != (data["priority"] or 1))
        )
    if kind == ImportJob.Kind.STAFF:
        manager = ctx.staff.get(data["line_manager"]) if data["line_manager"] else None
        return _changed(existing, {**data, "email": data["email"].lower()}, _fields(ctx, _STAFF_FIELDS)) or (
            data["line_manager"] and (manager is None or existing.line_manager_id != manager.pk)
        )
    tutor = ctx.staff.get(data["tutor"]) if data["tutor"] else None
    year = ctx.year_groups.get(data["year"])
    return (
        existing.year_group_id != getattr(year, "pk", None)
        or ("tutor" in ctx.present and existing.tutor_id != (tutor.pk if tutor else None))
        or not existing.is_active
    )


def _year_group(ctx: _Context, ncy: int, actor) -> YearGroup:
    if ncy not in ctx.year_groups:
        year = YearGroup(school=ctx.school, ncy=ncy)
        save_with_history(year, actor=actor, reason="MIS import")
        ctx.year_groups[ncy] = year
    return ctx.year_groups[ncy]


def _form_group(ctx: _Context, name: str, ncy: int, actor) -> FormGroup:
    form = ctx.forms.get(name.lower())
    if form is None:
        form = FormGroup(school=ctx.school, name=name, year_group=_year_group(ctx, ncy, actor))
        save_with_history(form, actor=actor, reason="MIS import")
        ctx.forms[name.lower()] = form
    return form


def _apply_row(kind, data: dict, ctx: _Context, actor) -> str:
    """Create or update what one row describes. Returns 'create', 'update' or 'unchanged'."""
    reason = "MIS import"
    if kind == ImportJob.Kind.PUPILS:
        pupil = ctx.pupils.get(data["mis_id"])
        if pupil is not None and not _row_differs(kind, pupil, data, ctx):
            return "unchanged"
        action = "update" if pupil else "create"
        pupil = pupil or Pupil(school=ctx.school, mis_id=data["mis_id"])
        for name in _PUPIL_FIELDS if pupil._state.adding else _fields(ctx, _PUPIL_FIELDS):
            setattr(pupil, name, data[name])
        pupil.year_group = _year_group(ctx, data["year"], actor)
        if "form" in ctx.present or pupil._state.adding:
            pupil.form = _form_group(ctx, data["form"], data["year"], actor) if data["form"] else None
        if action == "create":
            # Written together at the end (`_create_new_pupils`): the row's checks already
            # validated it, and one INSERT per 500 pupils beats a dozen queries per pupil.
            ctx.new_pupils.append(pupil)
        else:
            save_with_history(pupil, actor=actor, reason=reason)
        ctx.pupils[pupil.mis_id] = pupil
        return action
    if kind == ImportJob.Kind.CONTACTS:
        contact = ctx.contacts.get(data["mis_id"])
        if contact is not None and not _row_differs(kind, contact, data, ctx):
            return "unchanged"
        action = "update" if contact else "create"
        contact = contact or ParentCarer(school=ctx.school, mis_id=data["mis_id"])
        values = {**data, "email": data["email"].lower()}
        if contact._state.adding or _changed(contact, values, _fields(ctx, _CONTACT_FIELDS)):
            for name in _CONTACT_FIELDS if contact._state.adding else _fields(ctx, _CONTACT_FIELDS):
                setattr(contact, name, values[name])
            save_with_history(contact, actor=actor, reason=reason)
            ctx.contacts[contact.mis_id] = contact
        pupil = ctx.pupils[data["pupil_mis_id"]]
        link = ctx.links.get((pupil.pk, contact.pk)) or PupilContact(pupil=pupil, contact=contact)
        link.relationship = data["relationship"]
        if "parental_responsibility" in ctx.present or link._state.adding:
            link.parental_responsibility = data["parental_responsibility"]
        if "priority" in ctx.present or link._state.adding:
            link.priority = data["priority"] or 1
        save_with_history(link, actor=actor, reason=reason)
        ctx.links[(pupil.pk, contact.pk)] = link
        return action
    if kind == ImportJob.Kind.STAFF:
        member = ctx.staff.get(data["mis_id"])
        if member is not None and not _row_differs(kind, member, data, ctx):
            return "unchanged"
        action = "update" if member else "create"
        member = member or StaffMember(school=ctx.school, mis_id=data["mis_id"])
        for name in _STAFF_FIELDS if member._state.adding else _fields(ctx, _STAFF_FIELDS):
            setattr(member, name, data[name].lower() if name == "email" else data[name])
        save_with_history(member, actor=actor, reason=reason)
        ctx.staff[member.mis_id] = member
        return action
    form = ctx.forms.get(data["name"].lower())
    if form is not None and not _row_differs(kind, form, data, ctx):
        return "unchanged"
    action = "update" if form else "create"
    form = form or FormGroup(school=ctx.school, name=data["name"])
    form.year_group = _year_group(ctx, data["year"], actor)
    if "tutor" in ctx.present or form._state.adding:
        form.tutor = ctx.staff.get(data["tutor"]) if data["tutor"] else None
    form.is_active = True
    save_with_history(form, actor=actor, reason=reason)
    ctx.forms[form.name.lower()] = form
    return action


def _create_new_pupils(ctx: _Context, actor) -> None:
    bulk_create_with_history(ctx.new_pupils, Pupil, batch_size=500, default_user=actor, default_change_reason="MIS import")
    ctx.new_pupils = []


def _link_line_managers(valid_rows, ctx: _Context, actor) -> None:
    # A second pass: a manager may appear further down the file than their reports.
    for _, data in valid_rows:
        member = ctx.staff[data["mis_id"]]
        manager = ctx.staff.get(data["line_manager"]) if data["line_manager"] else None
        if manager is not None and member.line_manager_id != manager.pk:
            member.line_manager = manager
            save_with_history(member, actor=actor, reason="MIS import")


def _mark_missing_as_left(job: ImportJob, parsed: ParsedFile, ctx: _Context, actor) -> int:
    today = timezone.localdate()
    # Everyone in the file counts as present, even on a row skipped for an error.
    in_file = {row.get("mis_id", "") for row in parsed.rows}
    people = ctx.pupils.values() if job.kind == ImportJob.Kind.PUPILS else ctx.staff.values()
    marked = 0
    for person in list(people):
        if person.mis_id not in in_file and (person.leaving_date is None or person.leaving_date > today):
            person.leaving_date = today
            save_with_history(person, actor=actor, reason="MIS import: not in the export, marked as left")
            marked += 1
    return marked


# --- Services -------------------------------------------------------------


def import_start(*, school, kind: str, file_name: str, text: str, actor) -> ImportJob:
    """Save an uploaded file (already read by `parse_csv`) and queue its check."""
    with transaction.atomic():
        job = ImportJob(school=school, kind=kind, file_name=file_name[:200], csv_text=text, created_by=actor)
        save_with_history(job, actor=actor)
        outbox_enqueue("esafety.tasks.import_check", school_id=job.school_id, job_id=str(job.pk))
    return job


def import_check(job_id) -> None:
    """Check every row and store the preview. Runs in the background; safe to run twice."""
    job = ImportJob.objects.select_related("school", "created_by").get(pk=job_id)
    if job.status != ImportJob.Status.CHECKING:
        return
    # The check only reads, so it runs outside a transaction; only the result is written under a lock.
    parsed = parse_csv(job.csv_text, job.kind)
    ctx = _Context.load(job.school, job.kind, parsed)
    valid, errors = _check_rows(job, parsed, ctx)
    with transaction.atomic():
        job = ImportJob.objects.select_for_update(of=("self",)).select_related("created_by").get(pk=job_id)
        if job.status != ImportJob.Status.CHECKING:
            return  # cancelled meanwhile, or checked by another run
        job.row_count = len(parsed.rows)
        job.error_count = len({e.row for e in errors})
        job.row_errors = [e.as_dict() for e in errors[:MAX_LISTED_ERRORS]]
        job.preview = _plan(job, valid, ctx, parsed)
        job.status = ImportJob.Status.READY
        save_with_history(job, actor=job.created_by, reason="File checked")


def import_confirm(*, job: ImportJob, accept: str, mark_missing_as_left: bool, actor) -> None:
    """The office has read the preview and wants the import to go ahead."""
    if job.status != ImportJob.Status.READY:
        raise ValueError("This import has already been confirmed or cancelled.")
    if accept == ImportJob.Accept.ALL and job.error_count:
        raise ValueError("Some rows have errors: correct the file and upload it again, or import only the rows without errors.")
    with transaction.atomic():
        job.status = ImportJob.Status.IMPORTING
        job.accept = accept
        job.mark_missing_as_left = mark_missing_as_left and job.kind in (ImportJob.Kind.PUPILS, ImportJob.Kind.STAFF)
        job.confirmed_by = actor
        save_with_history(job, actor=actor, reason="Confirmed")
        outbox_enqueue("esafety.tasks.import_apply", school_id=job.school_id, job_id=str(job.pk))


def import_cancel(*, job: ImportJob, actor) -> None:
    if job.status not in (ImportJob.Status.READY, ImportJob.Status.CHECKING):
        raise ValueError("Only an import that has not started can be cancelled.")
    job.status = ImportJob.Status.CANCELLED
    job.csv_text = ""
    job.row_errors = []
    job.file_removed_at = timezone.now()
    save_with_history(job, actor=actor, reason="Cancelled")


def import_apply(job_id) -> None:
    """Import the confirmed rows in one transaction: all of them, or none. Safe to run twice."""
    try:
        with transaction.atomic():
            # The lock makes a second run wait, then find the job done and leave it alone.
            job = ImportJob.objects.select_for_update(of=("self",)).select_related("school", "confirmed_by").get(pk=job_id)
            if job.status != ImportJob.Status.IMPORTING:
                return
            actor = job.confirmed_by
            parsed = parse_csv(job.csv_text, job.kind)
            ctx = _Context.load(job.school, job.kind, parsed)
            valid, errors = _check_rows(job, parsed, ctx)
            if errors and job.accept != ImportJob.Accept.VALID:
                raise ImportFileError(
                    f"{len({e.row for e in errors})} rows no longer pass the checks (the school's records changed "
                    "since the file was checked). Upload the file again."
                )
            counts = {"create": 0, "update": 0, "unchanged": 0}
            total = len(valid)
            for index, (_, data) in enumerate(valid):
                counts[_apply_row(job.kind, data, ctx, actor)] += 1
                if (index + 1) % 100 == 0:
                    _set_progress(job, index + 1, total)
            _create_new_pupils(ctx, actor)
            if job.kind == ImportJob.Kind.STAFF:
                _link_line_managers(valid, ctx, actor)
            counts["skipped"] = len({e.row for e in errors})
            counts["left"] = _mark_missing_as_left(job, parsed, ctx, actor) if job.mark_missing_as_left else 0
            job.result = counts
            job.status = ImportJob.Status.DONE
            job.finished_at = timezone.now()
            save_with_history(job, actor=actor, reason="Imported")
            notify(
                recipients=[actor],
                school=job.school,
                title=f"Import finished: {job.get_kind_display().lower()} from {job.file_name}",
                body=(
                    f"{counts['create']} added, {counts['update']} updated, {counts['unchanged']} unchanged, "
                    f"{counts['left']} marked as left, {counts['skipped']} rows skipped."
                ),
                link=f"/imports/{job.pk}/",
                email=True,
            )
    except ImportFileError as exc:
        _import_failed(job_id, str(exc))
    except Exception:
        logger.exception("Import %s failed", job_id)
        _import_failed(job_id, "Something went wrong while importing; nothing was imported. Try again, or tell your IT support.")


def _import_failed(job_id, why: str) -> None:
    job = ImportJob.objects.get(pk=job_id)
    if job.status != ImportJob.Status.IMPORTING:
        return  # another run finished it: its result stands
    job.status = ImportJob.Status.FAILED
    job.failure = why
    job.finished_at = timezone.now()
    save_with_history(job, actor=job.confirmed_by, reason="Failed")


def imports_purge_files(*, finished_before: datetime) -> int:
    """
    Remove the uploaded files (personal data) of imports that finished before
    the given time, and cancel those checked then but never confirmed.
    """
    jobs = ImportJob.objects.filter(file_removed_at__isnull=True).filter(
        Q(finished_at__lt=finished_before)
        | Q(status__in=[ImportJob.Status.READY, ImportJob.Status.CHECKING], created_at__lt=finished_before)
    )
    count = 0
    for job in jobs:
        if job.status in (ImportJob.Status.READY, ImportJob.Status.CHECKING):
            job.status = ImportJob.Status.CANCELLED
        job.csv_text = ""
        job.row_errors = []
        job.file_removed_at = timezone.now()
        save_with_history(job, actor=None, reason="Uploaded file removed after the retention period")
        count += 1
    return count
