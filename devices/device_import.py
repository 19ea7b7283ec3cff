"""
Reading the school's asset register from a CSV file, as an asset-management system (Snipe-IT and the like) or a
spreadsheet exports it: the columns read, and every row checked and compared with the register. The upload, its reading and the per-row errors
are shared with the other CSV imports (`esafety.csv_upload`).

Nothing here writes: `devices.services.loans.school_devices_import` reads the file again, inside its transaction,
and saves every row or none.
"""

from dataclasses import dataclass, field

from django import forms
from django.utils.text import capfirst

from devices.models import SchoolDevice
from esafety import csv_upload
from esafety.mis_import.parsing import Column, RowError, normalise
from esafety.mis_import.rows import RowForm, yes_no
from esafety.models import School

Kind = SchoolDevice.Kind

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
# Devices in one file at most (5,000): a school's whole register fits many times over.
FORMAT = csv_upload.CsvFormat(
    columns=COLUMNS,
    holds="devices",
    each="device",
    save_as="Export the register as CSV (comma separated).",
    template_name="school-devices-template.csv",
)
FIELDS = FORMAT.fields

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
class CheckedFile(csv_upload.CheckedFile):
    rows: list[PlannedRow] = field(default_factory=list)

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


def _label(name: str) -> str:
    return str(capfirst(SchoolDevice._meta.get_field(name).verbose_name))


def check_file(school: School, text: str, *, lock: bool = False) -> CheckedFile:
    """
    Every row checked and compared with the school's register (matched on the asset tag, whatever its capitals),
    or `ImportFileError` saying why the file cannot be used. `lock`: the register's rows are read under a row lock,
    for the import itself.
    """
    parsed = FORMAT.read(text)
    mapping, headers = parsed.mapping, FORMAT.headers(parsed)
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
    for line, values in parsed.numbered_rows():
        form = DeviceRow({name: values.get(name, "") for name in FIELDS}, None)
        if not form.is_valid():
            errors.extend(csv_upload.row_errors(form, line, headers))
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
    return CheckedFile(columns=[mapping[name] for name in present], ignored=parsed.ignored, rows=planned, errors=errors)
