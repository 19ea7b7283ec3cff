"""
Reading past training records from a CSV file, as a spreadsheet or a training provider's report exports them: the
columns read, and every row checked against the school's staff and its records. The CSV reading and the per-row
errors are shared with the other CSV imports (`esafety.csv_upload`).

Nothing here writes: `policies.services.training.training_records_import` reads the file again, inside its
transaction, and saves every row or none.
"""

from dataclasses import dataclass, field

from django import forms
from django.utils import timezone

from esafety import csv_upload
from esafety.mis_import.parsing import Column, RowError, normalise
from esafety.mis_import.rows import RowForm
from esafety.models import School, StaffMember
from policies.models import TrainingRecord

Kind = TrainingRecord.Kind

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
# Records in one file at most (5,000): a whole school's training over many years fits.
FORMAT = csv_upload.CsvFormat(
    columns=COLUMNS,
    holds="courses",
    each="course",
    save_as="Save the spreadsheet as CSV (comma separated).",
    template_name="staff-training-template.csv",
    one_of=("staff_code", "email"),
)
FIELDS = FORMAT.fields
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
class CheckedFile(csv_upload.CheckedFile):
    rows: list[PlannedRow] = field(default_factory=list)

    @property
    def new(self) -> int:
        return sum(1 for row in self.rows if not row.already)

    @property
    def already(self) -> int:
        return sum(1 for row in self.rows if row.already)


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
    parsed = FORMAT.read(text)
    mapping, headers = parsed.mapping, FORMAT.headers(parsed)
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
    for line, values in parsed.numbered_rows():
        form = TrainingRow({name: values.get(name, "") for name in FIELDS}, None)
        row_errors = [] if form.is_valid() else csv_upload.row_errors(form, line, headers)
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
        columns=[mapping[name] for name in FIELDS if name in mapping], ignored=parsed.ignored, rows=planned, errors=errors
    )
