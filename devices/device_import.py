"""
Reading the school's asset register from a CSV file, as an asset-management system (Snipe-IT and the like) or a
spreadsheet exports it: the columns read, and every row checked and compared with the register. The CSV reading and
the per-row errors are those of the MIS import (`esafety.mis_import.parsing`, `esafety.mis_import.rows`).

Nothing here writes: `devices.services.loans.school_devices_import` reads the file again, inside its transaction,
and saves every row or none.
"""

import csv
import io
from dataclasses import dataclass, field

from django import forms
from django.utils.text import capfirst

from devices.models import SchoolDevice
from esafety.mis_import.parsing import Column, ImportFileError, RowError, normalise, template_csv
from esafety.mis_import.rows import RowForm, yes_no
from esafety.models import School

Kind = SchoolDevice.Kind
# Devices in one file at most: a school's whole register fits many times over.
MAX_ROWS = 5000
MAX_BYTES = 1024 * 1024

COLUMNS: tuple[Column, ...] = (
    Column(
        "asset_tag",
        "Asset Tag",
        aliases=("Tag", "Asset", "Asset No", "Asset Number", "Asset ID"),
        required=True,
        example="LAP-014",
        help="The school's label on the device. A device already in the register with this tag is updated.",
    ),
    Column(
        "kind",
        "Kind",
        aliases=("Category", "Type", "Device Type"),
        required=True,
        example="Laptop",
        help="Laptop, Tablet, Phone, Camera, Desktop, USB stick or drive, or Other.",
    ),
    Column("make", "Make", aliases=("Manufacturer", "Brand"), example="Dell"),
    Column("model", "Model", aliases=("Model Name",), example="Latitude 3440"),
    Column("serial_number", "Serial Number", aliases=("Serial", "Serial No"), example="5CD1234XYZ"),
    Column(
        "device_set",
        "Set",
        aliases=("Trolley", "Trolley or Set", "Device Set"),
        example="Trolley 1",
        help="The trolley or set it belongs to: devices of one set can be returned together.",
    ),
    Column("is_encrypted", "Encrypted", aliases=("Is Encrypted",), example="Yes", help="Yes or No. Left empty: No."),
    Column(
        "encryption",
        "Encryption",
        aliases=("How Encrypted", "Encryption Method"),
        example="BitLocker",
        help="How it is encrypted, e.g. BitLocker or FileVault: needed when Encrypted is Yes.",
    ),
    Column(
        "holds_pupil_data",
        "Holds Pupil Data",
        aliases=("Pupil Data",),
        example="Yes",
        help="Yes or No: whether apps or files on it hold pupils' personal data. Left empty: No.",
    ),
    Column("notes", "Notes", aliases=("Note", "Comments"), example="Staff laptop, English department"),
)
FIELDS = tuple(column.key for column in COLUMNS)

# The words an asset register uses for a kind of device, as `normalise` leaves them.
KIND_WORDS = {
    **{normalise(label): value for value, label in Kind.choices},
    **{normalise(value): value for value in Kind.values},
    "notebook": Kind.LAPTOP,
    "chromebook": Kind.LAPTOP,
    "macbook": Kind.LAPTOP,
    "laptops": Kind.LAPTOP,
    "ipad": Kind.TABLET,
    "tablets": Kind.TABLET,
    "mobile": Kind.PHONE,
    "mobilephone": Kind.PHONE,
    "smartphone": Kind.PHONE,
    "digitalcamera": Kind.CAMERA,
    "pc": Kind.DESKTOP,
    "computer": Kind.DESKTOP,
    "desktopcomputer": Kind.DESKTOP,
    "usb": Kind.STORAGE,
    "usbstick": Kind.STORAGE,
    "usbdrive": Kind.STORAGE,
    "memorystick": Kind.STORAGE,
    "harddrive": Kind.STORAGE,
    "externaldrive": Kind.STORAGE,
}


class DeviceRow(RowForm):
    """One row of the file, validated and converted; the messages follow the column's name ("Kind is not…")."""

    asset_tag = forms.CharField(max_length=40)
    kind = forms.CharField()
    make = forms.CharField(max_length=80, required=False)
    model = forms.CharField(max_length=120, required=False)
    serial_number = forms.CharField(max_length=80, required=False)
    device_set = forms.CharField(max_length=80, required=False)
    is_encrypted = forms.CharField(required=False)
    encryption = forms.CharField(max_length=120, required=False)
    holds_pupil_data = forms.CharField(required=False)
    notes = forms.CharField(required=False)

    def clean_kind(self):
        word = normalise(self.cleaned_data["kind"])
        if word not in KIND_WORDS:
            raise forms.ValidationError(
                "is not a kind of device we know: use Laptop, Tablet, Phone, Camera, Desktop, USB stick or Other."
            )
        return KIND_WORDS[word]

    def _yes_no(self, name):
        value = yes_no(self.cleaned_data[name])
        if value is None:
            raise forms.ValidationError("should be Yes or No.")
        return value

    def clean_is_encrypted(self):
        return self._yes_no("is_encrypted")

    def clean_holds_pupil_data(self):
        return self._yes_no("holds_pupil_data")


def _message(form_field: forms.Field, message: str) -> str:
    """Django's words for a bad value, as a sentence about the column ("Asset Tag is too long…")."""
    if message == "This field is required.":
        return "is empty, and it is needed."
    if message.startswith("Ensure this value has at most"):
        return f"is too long: at most {form_field.max_length} characters."
    return message


@dataclass
class PlannedRow:
    """A row without errors, and what it will do to the register."""

    line: int  # as the spreadsheet numbers it: the header is line 1
    data: dict
    device: SchoolDevice | None  # the device of the same asset tag, or None for a new one
    changes: list[str] = field(default_factory=list)  # the fields it changes, in words

    @property
    def kind_label(self) -> str:
        return Kind(self.data["kind"]).label

    @property
    def outcome(self) -> str:
        if self.device is None:
            return "new"
        return "update" if self.changes else "unchanged"


@dataclass
class CheckedFile:
    columns: list[str]  # the file's headers that were read
    ignored: list[str]  # the file's other headers
    rows: list[PlannedRow]
    errors: list[RowError]

    def count(self, outcome: str) -> int:
        return sum(1 for row in self.rows if row.outcome == outcome)

    @property
    def new(self) -> int:
        return self.count("new")

    @property
    def updated(self) -> int:
        return self.count("update")

    @property
    def unchanged(self) -> int:
        return self.count("unchanged")

    @property
    def error_lines(self) -> int:
        return len({error.row for error in self.errors})


def decode(data: bytes) -> str:
    """The text of an uploaded file: UTF-8 (with or without the mark Excel adds), else Windows-1252."""
    if b"\x00" in data[:2048]:
        raise ImportFileError("This does not look like a CSV file. Export the register as CSV (comma separated).")
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
        raise ImportFileError("The file is empty: it needs a header row with the column names, then one row per device.")
    by_name = {normalise(h): h for h in headers}
    mapping = {}
    for column in COLUMNS:
        found = next((by_name[name] for name in column.names() if name in by_name), None)
        if found:
            mapping[column.key] = found
    missing = [column.header for column in COLUMNS if column.required and column.key not in mapping]
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
            raise ImportFileError(f"The file has more than {MAX_ROWS:,} devices. Split it into smaller files.")
    if not rows:
        raise ImportFileError("The file has a header row but no devices under it.")
    ignored = [h for h in headers if h not in mapping.values()]
    return mapping, ignored, rows


def _label(name: str) -> str:
    return str(capfirst(SchoolDevice._meta.get_field(name).verbose_name))


def check_file(school: School, text: str, *, lock: bool = False) -> CheckedFile:
    """
    Every row checked and compared with the school's register (matched on the asset tag, whatever its capitals),
    or `ImportFileError` saying why the file cannot be used. `lock`: the register's rows are read under a row lock,
    for the import itself.
    """
    mapping, ignored, raw_rows = _read(text)
    headers = {column.key: mapping.get(column.key, column.header) for column in COLUMNS}
    present = [name for name in FIELDS if name in mapping]
    devices = SchoolDevice.objects.for_school(school).order_by("asset_tag")
    if lock:
        devices = devices.select_for_update()
    exact, folded = {}, {}
    for device in devices:
        exact[device.asset_tag] = device
        folded.setdefault(device.asset_tag.lower(), device)
    seen: dict[str, int] = {}
    planned, errors = [], []
    for line, values in raw_rows:
        form = DeviceRow({name: values.get(name, "") for name in FIELDS}, None)
        row_errors = []
        if not form.is_valid():
            for name, messages in form.errors.items():
                for message in messages:
                    row_errors.append(RowError(line, headers.get(name, "(row)"), _message(form.fields.get(name), message)))
            errors.extend(row_errors)
            continue
        data = form.cleaned_data
        tag = data["asset_tag"]
        if tag.lower() in seen:
            errors.append(RowError(line, headers["asset_tag"], f"repeats line {seen[tag.lower()]}: each device once per file."))
            continue
        seen[tag.lower()] = line
        device = exact.get(tag) or folded.get(tag.lower())
        # What the device will be: the file's columns over the register's values (a new device: over the defaults).
        setting = FIELDS if device is None else present
        after = {name: (data[name] if name in setting else getattr(device, name)) for name in FIELDS if name != "asset_tag"}
        if after["is_encrypted"] and not after["encryption"]:
            column = headers["encryption"] if "encryption" in mapping else headers["is_encrypted"]
            message = (
                "is empty: say how the device is encrypted, e.g. BitLocker or FileVault."
                if "encryption" in mapping
                else "is Yes, but the file has no Encryption column to say how: add one."
            )
            errors.append(RowError(line, column, message))
            continue
        if not after["is_encrypted"]:
            # "How it is encrypted" means nothing for a device that is not.
            after["encryption"] = ""
        row = PlannedRow(line=line, data={"asset_tag": device.asset_tag if device else tag, **after}, device=device)
        if device is not None:
            row.changes = [_label(name) for name, value in after.items() if getattr(device, name) != value]
        planned.append(row)
    return CheckedFile(columns=[mapping[name] for name in present], ignored=ignored, rows=planned, errors=errors)


def template() -> str:
    """A CSV file with our column names and one example row, offered for download."""
    return template_csv(COLUMNS)
