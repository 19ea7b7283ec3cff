"""
One class per kind of MIS file: the columns it has, and how its rows are checked, compared with the
school's records and applied. `MIS_FILES` maps an `ImportJob.Kind` to its class.

An instance is one run over one uploaded file (the check, or the import): it loads the school's
records its rows are compared with in a fixed number of queries, and keeps them up to date as rows
are applied, so that a later row sees what an earlier one created.
"""

from collections.abc import Iterable
from typing import ClassVar, Literal

from django.utils import timezone
from simple_history.utils import bulk_create_with_history

from esafety.history import save_with_history
from esafety.mis_import.parsing import Column, ParsedFile, RowError, parse_csv, template_csv
from esafety.mis_import.rows import ContactRow, FormRow, PupilRow, RowForm, StaffRow
from esafety.models import FormGroup, ImportJob, ParentCarer, Pupil, PupilContact, School, StaffMember, User, YearGroup
from esafety.progress import ProgressCallback

REASON = "MIS import"
Outcome = Literal["create", "update", "unchanged"]
ValidRow = tuple[int, dict]  # the row's number in the spreadsheet, and its cleaned values
PROGRESS_EVERY = 100  # rows between two reports of progress


def _changed(record, data: dict, names: Iterable[str]) -> bool:
    return any(getattr(record, name) != data[name] for name in names)


def _email_lowered(data: dict) -> dict:
    # E-mail addresses are stored in lower case, and compared so.
    return {**data, "email": data["email"].lower()}


class MisFile:
    """One kind of MIS file, read against one school's records. Subclasses fill in the class attributes."""

    kind: ClassVar[str]
    columns: ClassVar[tuple[Column, ...]]
    row_form: ClassVar[type[RowForm]]
    key_column: ClassVar[str] = "mis_id"  # what a row is matched on: each value once in a file
    marks_leavers: ClassVar[bool] = False  # whether people not in the file may be marked as left
    record_fields: ClassVar[tuple[str, ...]] = ()  # the record's fields set from the column of the same name

    def __init__(self, school: School, parsed: ParsedFile):
        self.school = school
        self.parsed = parsed
        self.present = set(parsed.mapping)  # the columns the file has: others are left as they are
        self.fields_in_file = [name for name in self.record_fields if name in self.present]

    # --- Reading the file --------------------------------------------------------

    @classmethod
    def parse(cls, text: str, *, max_rows: int | None = None) -> ParsedFile:
        """Read the rows and match the headers, or raise `ImportFileError` saying why the file cannot be used."""
        return parse_csv(text, cls.columns, holds=ImportJob.Kind(cls.kind).label.lower(), max_rows=max_rows)

    @classmethod
    def template_csv(cls) -> str:
        return template_csv(cls.columns)

    def fields_to_set(self, existing) -> Iterable[str]:
        """Every record field on a new record; on an existing one, only those whose column is in the file."""
        return self.record_fields if existing is None else self.fields_in_file

    # --- Checking ----------------------------------------------------------------

    def check(self, progress: ProgressCallback) -> tuple[list[ValidRow], list[RowError]]:
        """Validate every row. Returns the valid rows, and the errors of the others."""
        headers = {c.key: self.parsed.mapping.get(c.key, c.header) for c in self.columns}
        seen: dict[str, int] = {}
        valid, errors = [], []
        total = len(self.parsed.rows)
        for index, values in enumerate(self.parsed.rows):
            number = index + 2
            form = self.row_form(values, self)
            row_errors = []
            if form.is_valid():
                key = self.row_key(form.cleaned_data)
                if key in seen:
                    row_errors.append(
                        RowError(number, headers[self.key_column], f"repeats row {seen[key]}: each person once per file.")
                    )
                else:
                    seen[key] = number
                row_errors.extend(self.row_clashes(form.cleaned_data, number, headers))
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
            if (index + 1) % PROGRESS_EVERY == 0 or index + 1 == total:
                progress(index + 1, total)
        return valid, errors

    def row_key(self, data: dict) -> str:
        """What makes a row the same as another in the file."""
        return data[self.key_column].lower()

    def row_clashes(self, data: dict, number: int, headers: dict[str, str]) -> list[RowError]:
        """Errors of a valid row against the other rows or the records, beyond the row form's own checks."""
        return []

    # --- Comparing with the school's records -------------------------------------

    def existing(self, data: dict):
        """The record the row describes, or None if it is new."""
        raise NotImplementedError

    def differs(self, existing, data: dict) -> bool:
        """Whether applying the row would change the existing record (or its links)."""
        raise NotImplementedError

    def newly_leaving(self, existing, data: dict) -> bool:
        """Whether the row gives a leaving date the record does not have yet (for the preview)."""
        return False

    def people(self) -> Iterable:
        """The people `marks_leavers` looks at: everyone of this kind in the school."""
        return ()

    def not_in_file(self) -> list:
        """People on roll now whose MIS id is on no row of the file, rows with errors included."""
        today = timezone.localdate()
        in_file = {row.get("mis_id", "") for row in self.parsed.rows}
        return [p for p in self.people() if p.mis_id not in in_file and (p.leaving_date is None or p.leaving_date > today)]

    def plan(self, valid_rows: list[ValidRow]) -> dict:
        """Counts for the preview: what the import would create, update, leave alone and mark as left."""
        counts = {"create": 0, "update": 0, "unchanged": 0, "leavers": 0, "missing": 0}
        for _, data in valid_rows:
            existing = self.existing(data)
            if self.newly_leaving(existing, data):
                counts["leavers"] += 1
            if existing is None:
                counts["create"] += 1
            elif self.differs(existing, data):
                counts["update"] += 1
            else:
                counts["unchanged"] += 1
        counts["missing"] = len(self.not_in_file())
        return counts

    # --- Applying ----------------------------------------------------------------

    def apply_rows(self, valid_rows: list[ValidRow], actor: User | None, progress: ProgressCallback) -> dict:
        """Create or update what every valid row describes. Returns how many rows were each `Outcome`."""
        counts = {"create": 0, "update": 0, "unchanged": 0}
        total = len(valid_rows)
        for index, (_, data) in enumerate(valid_rows):
            counts[self.apply(data, actor)] += 1
            if (index + 1) % PROGRESS_EVERY == 0:
                progress(index + 1, total)
        self.finish(valid_rows, actor)
        return counts

    def apply(self, data: dict, actor: User | None) -> Outcome:
        existing = self.existing(data)
        if existing is not None and not self.differs(existing, data):
            return "unchanged"
        self.save(existing, data, actor)
        return "update" if existing is not None else "create"

    def save(self, existing, data: dict, actor: User | None) -> None:
        """Write what the row says: into `existing`, or into a new record when it is None."""
        raise NotImplementedError

    def finish(self, valid_rows: list[ValidRow], actor: User | None) -> None:
        """What is left to write once every row is applied."""

    def mark_not_in_file_as_left(self, actor: User | None) -> int:
        today = timezone.localdate()
        people = self.not_in_file()
        for person in people:
            person.leaving_date = today
            save_with_history(person, actor=actor, reason="MIS import: not in the export, marked as left")
        return len(people)


class YearGroupsAndForms:
    """A school's year groups and forms, made when a row names one that is not there yet."""

    def __init__(self, school: School):
        self.school = school
        self.year_groups = {y.ncy: y for y in YearGroup.objects.for_school(school)}
        self.forms = {f.name.lower(): f for f in FormGroup.objects.for_school(school)}

    def find_form(self, name: str) -> FormGroup | None:
        return self.forms.get(name.lower()) if name else None

    def moves_year(self, record: Pupil | FormGroup, ncy: int) -> bool:
        """Whether the pupil or form is in another year group than `ncy`."""
        return record.year_group_id != getattr(self.year_groups.get(ncy), "pk", None)

    def year_group(self, ncy: int, actor: User | None) -> YearGroup:
        if ncy not in self.year_groups:
            year = YearGroup(school=self.school, ncy=ncy)
            save_with_history(year, actor=actor, reason=REASON)
            self.year_groups[ncy] = year
        return self.year_groups[ncy]

    def form(self, name: str, ncy: int, actor: User | None) -> FormGroup:
        form = self.find_form(name)
        if form is None:
            form = FormGroup(school=self.school, name=name, year_group=self.year_group(ncy, actor))
            save_with_history(form, actor=actor, reason=REASON)
            self.forms[name.lower()] = form
        return form


# --- Pupils -------------------------------------------------------------------


class PupilsFile(MisFile):
    kind = ImportJob.Kind.PUPILS
    row_form = PupilRow
    marks_leavers = True
    record_fields = ("upn", "last_name", "first_name", "preferred_name", "date_of_birth", "admission_date", "leaving_date")
    columns = (
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
    )

    def __init__(self, school: School, parsed: ParsedFile):
        super().__init__(school, parsed)
        self.structure = YearGroupsAndForms(school)
        self.pupils = {p.mis_id: p for p in Pupil.objects.for_school(school)}
        self.pupils_by_upn = {p.upn.upper(): p for p in self.pupils.values() if p.upn}
        self.upns_in_file: dict[str, int] = {}  # UPN -> the row that has it
        self.new_pupils: list[Pupil] = []

    def row_clashes(self, data, number, headers):
        """A UPN belongs to one pupil: not repeated in the file, nor another pupil's already."""
        if not data["upn"]:
            return []
        upn, column = data["upn"].upper(), headers["upn"]
        if upn in self.upns_in_file:
            return [RowError(number, column, f"is the same as on row {self.upns_in_file[upn]}: a UPN belongs to one pupil.")]
        self.upns_in_file[upn] = number
        holder = self.pupils_by_upn.get(upn)
        if holder is not None and holder.mis_id != data["mis_id"]:
            return [RowError(number, column, f"already belongs to another pupil (Adno {holder.mis_id}).")]
        return []

    def existing(self, data):
        return self.pupils.get(data["mis_id"])

    def differs(self, existing, data):
        form = self.structure.find_form(data["form"])
        return (
            _changed(existing, data, self.fields_in_file)
            or self.structure.moves_year(existing, data["year"])
            or ("form" in self.present and existing.form_id != (form.pk if form else None))
        )

    def newly_leaving(self, existing, data):
        return bool(data["leaving_date"]) and (existing is None or existing.leaving_date != data["leaving_date"])

    def people(self):
        return self.pupils.values()

    def save(self, existing, data, actor: User | None):
        pupil = existing or Pupil(school=self.school, mis_id=data["mis_id"])
        for name in self.fields_to_set(existing):
            setattr(pupil, name, data[name])
        pupil.year_group = self.structure.year_group(data["year"], actor)
        if "form" in self.present or existing is None:
            pupil.form = self.structure.form(data["form"], data["year"], actor) if data["form"] else None
        if existing is None:
            # Written together at the end (`finish`): the row's checks already validated it,
            # and one INSERT per 500 pupils beats a dozen queries per pupil.
            self.new_pupils.append(pupil)
        else:
            save_with_history(pupil, actor=actor, reason=REASON)
        self.pupils[pupil.mis_id] = pupil

    def finish(self, valid_rows, actor: User | None):
        bulk_create_with_history(self.new_pupils, Pupil, batch_size=500, default_user=actor, default_change_reason=REASON)
        self.new_pupils = []


# --- Parents and carers -------------------------------------------------------


class ContactsFile(MisFile):
    kind = ImportJob.Kind.CONTACTS
    row_form = ContactRow
    record_fields = ("title", "first_name", "last_name", "email", "phone")
    columns = (
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
    )

    def __init__(self, school: School, parsed: ParsedFile):
        super().__init__(school, parsed)
        self.pupils = {p.mis_id: p for p in Pupil.objects.for_school(school)}
        self.contacts = {c.mis_id: c for c in ParentCarer.objects.for_school(school)}
        self.links = {(link.pupil_id, link.contact_id): link for link in PupilContact.objects.filter(pupil__school=school)}

    def row_key(self, data):
        # A contact appears once per pupil: a mother of two is on two rows.
        return f"{data['mis_id'].lower()}|{data['pupil_mis_id']}"

    def existing(self, data):
        return self.contacts.get(data["mis_id"])

    def differs(self, existing, data):
        pupil = self.pupils[data["pupil_mis_id"]]
        link = self.links.get((pupil.pk, existing.pk))
        return (
            _changed(existing, _email_lowered(data), self.fields_in_file)
            or link is None
            or link.relationship != data["relationship"]
            or ("parental_responsibility" in self.present and link.parental_responsibility != data["parental_responsibility"])
            or ("priority" in self.present and link.priority != (data["priority"] or 1))
        )

    def save(self, existing, data, actor: User | None):
        contact = existing or ParentCarer(school=self.school, mis_id=data["mis_id"])
        values = _email_lowered(data)
        if existing is None or _changed(contact, values, self.fields_in_file):
            for name in self.fields_to_set(existing):
                setattr(contact, name, values[name])
            save_with_history(contact, actor=actor, reason=REASON)
            self.contacts[contact.mis_id] = contact
        pupil = self.pupils[data["pupil_mis_id"]]
        link = self.links.get((pupil.pk, contact.pk)) or PupilContact(pupil=pupil, contact=contact)
        link.relationship = data["relationship"]
        if "parental_responsibility" in self.present or link._state.adding:
            link.parental_responsibility = data["parental_responsibility"]
        if "priority" in self.present or link._state.adding:
            link.priority = data["priority"] or 1
        save_with_history(link, actor=actor, reason=REASON)
        self.links[(pupil.pk, contact.pk)] = link


# --- Staff --------------------------------------------------------------------


class StaffFile(MisFile):
    kind = ImportJob.Kind.STAFF
    row_form = StaffRow
    marks_leavers = True
    record_fields = ("title", "first_name", "last_name", "email", "job_title", "start_date", "leaving_date")
    columns = (
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
    )

    def __init__(self, school: School, parsed: ParsedFile):
        super().__init__(school, parsed)
        self.staff = {s.mis_id: s for s in StaffMember.objects.for_school(school)}
        # A line manager may be in the app already, or anywhere in the same file.
        self.staff_codes = set(self.staff) | {row.get("mis_id", "") for row in parsed.rows}

    def existing(self, data):
        return self.staff.get(data["mis_id"])

    def differs(self, existing, data):
        manager = self.staff.get(data["line_manager"]) if data["line_manager"] else None
        return _changed(existing, _email_lowered(data), self.fields_in_file) or bool(
            data["line_manager"] and (manager is None or existing.line_manager_id != manager.pk)
        )

    def people(self):
        return self.staff.values()

    def save(self, existing, data, actor: User | None):
        member = existing or StaffMember(school=self.school, mis_id=data["mis_id"])
        values = _email_lowered(data)
        for name in self.fields_to_set(existing):
            setattr(member, name, values[name])
        save_with_history(member, actor=actor, reason=REASON)
        self.staff[member.mis_id] = member

    def finish(self, valid_rows, actor: User | None):
        # A second pass: a manager may appear further down the file than their reports.
        for _, data in valid_rows:
            member = self.staff[data["mis_id"]]
            manager = self.staff.get(data["line_manager"]) if data["line_manager"] else None
            if manager is not None and member.line_manager_id != manager.pk:
                member.line_manager = manager
                save_with_history(member, actor=actor, reason=REASON)


# --- Forms and tutors ---------------------------------------------------------


class FormsFile(MisFile):
    kind = ImportJob.Kind.FORMS
    row_form = FormRow
    key_column = "name"
    columns = (
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
    )

    def __init__(self, school: School, parsed: ParsedFile):
        super().__init__(school, parsed)
        self.structure = YearGroupsAndForms(school)
        self.staff = {s.mis_id: s for s in StaffMember.objects.for_school(school)}

    def existing(self, data):
        return self.structure.find_form(data["name"])

    def _tutor(self, data: dict) -> StaffMember | None:
        return self.staff.get(data["tutor"]) if data["tutor"] else None

    def differs(self, existing, data):
        tutor = self._tutor(data)
        return (
            self.structure.moves_year(existing, data["year"])
            or ("tutor" in self.present and existing.tutor_id != (tutor.pk if tutor else None))
            or not existing.is_active
        )

    def save(self, existing, data, actor: User | None):
        form = existing or FormGroup(school=self.school, name=data["name"])
        form.year_group = self.structure.year_group(data["year"], actor)
        if "tutor" in self.present or existing is None:
            form.tutor = self._tutor(data)
        form.is_active = True
        save_with_history(form, actor=actor, reason=REASON)
        self.structure.forms[form.name.lower()] = form


MIS_FILES: dict[str, type[MisFile]] = {cls.kind: cls for cls in (PupilsFile, ContactsFile, StaffFile, FormsFile)}


def read_job_file(job: ImportJob) -> MisFile:
    """The job's uploaded file, read, with the school's records its rows are compared with."""
    mis_file = MIS_FILES[job.kind]
    return mis_file(job.school, mis_file.parse(job.csv_text))
