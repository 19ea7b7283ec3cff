"""The school's own devices lent to staff: the register, lending and taking back, losses, the CSV import."""

from django import forms
from django.utils import timezone

from devices import device_import
from devices.models import DeviceLoss, SchoolDevice
from devices.services.loans import DEVICE_FIELDS
from esafety import csv_upload
from esafety.filters import SEARCH_MAX_LENGTH

DATE_ISO = "%Y-%m-%d"
DATE_FORMATS = [DATE_ISO, "%d/%m/%Y"]
Status = SchoolDevice.Status


class DatePickerInput(forms.DateInput):
    input_type = "date"

    def __init__(self, **kwargs):
        super().__init__(format=DATE_ISO, **kwargs)


class SchoolDeviceForm(forms.ModelForm):
    """A device's details. Its status is set by lending, returning and losing it; here only available or retired."""

    status = forms.ChoiceField(
        label="Status",
        required=False,
        help_text="Retire a device that is no longer used; make one found again available.",
    )

    class Meta:
        model = SchoolDevice
        fields = list(DEVICE_FIELDS)
        widgets = {"notes": forms.Textarea(attrs={"rows": 3})}

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["is_encrypted"].label = "Encrypted (BitLocker, FileVault or the like)"
        self.fields[
            "holds_pupil_data"
        ].help_text = "Apps or files on it hold pupils' personal data. Such a device must be encrypted before it leaves the site."
        device = self.instance
        if device._state.adding or device.status == Status.ON_LOAN:
            # A new device is available; one on loan is taken back before anything else.
            del self.fields["status"]
        else:
            current = [(device.status, device.get_status_display())]
            others = [(s.value, s.label) for s in (Status.AVAILABLE, Status.RETIRED) if s != device.status]
            self.fields["status"].choices = current + others
            self.fields["status"].initial = device.status

    def clean(self):
        cleaned = super().clean()
        if cleaned.get("is_encrypted") and not (cleaned.get("encryption") or "").strip() and "encryption" not in self.errors:
            self.add_error("encryption", "Say how it is encrypted, e.g. BitLocker or FileVault.")
        return cleaned


class StaffChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, staff):
        name = f"{staff.last_name}, {staff.first_name}"
        return f"{name} ({staff.job_title})" if staff.job_title else name


class LendForm(forms.Form):
    borrower = StaffChoiceField(
        label="Lend to",
        queryset=None,
        empty_label="Choose a member of staff",
        help_text="A school device is for its borrower's use alone.",
        error_messages={"required": "Choose who it is lent to.", "invalid_choice": "Choose a member of staff on roll."},
    )
    due_on = forms.DateField(
        label="To be returned by",
        widget=DatePickerInput(),
        input_formats=DATE_FORMATS,
        error_messages={"required": "Give the day it is to be returned by.", "invalid": "Write the date as dd/mm/yyyy."},
    )

    def __init__(self, *args, staff, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["borrower"].queryset = staff

    def clean_due_on(self):
        due_on = self.cleaned_data["due_on"]
        if due_on < timezone.localdate():
            raise forms.ValidationError("This date has passed: give the day it is to be returned by.")
        return due_on


class ReturnForm(forms.Form):
    condition_note = forms.CharField(
        label="Condition when returned",
        required=False,
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text="e.g. all present, charger missing, cracked screen.",
    )


class DeviceChoiceField(forms.ModelMultipleChoiceField):
    def label_from_instance(self, device):
        loan = device.open_loans[0] if getattr(device, "open_loans", None) else None
        borrower = f", lent to {loan.borrower} until {loan.due_on:%d/%m/%Y}" if loan else ""
        model = " ".join(part for part in (device.make, device.model) if part)
        return f"{device.asset_tag}{f' {model}' if model else ''}{borrower}"


class BulkReturnForm(forms.Form):
    """A whole set, or the devices ticked from those out, taken back with one note."""

    device_set = forms.ChoiceField(label="A whole trolley or set", required=False)
    devices = DeviceChoiceField(
        label="Or the devices ticked",
        queryset=None,
        required=False,
        widget=forms.CheckboxSelectMultiple,
        error_messages={"invalid_choice": "One of the devices ticked is no longer on loan: choose again."},
    )
    condition_note = forms.CharField(
        label="Condition when returned",
        required=False,
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text="Applies to every device taken back.",
    )

    def __init__(self, *args, devices_out, sets, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["devices"].queryset = devices_out
        self.fields["device_set"].choices = [("", "None: the devices ticked below")] + [(s, s) for s in sets]

    def clean(self):
        cleaned = super().clean()
        chosen_set, ticked = cleaned.get("device_set"), cleaned.get("devices")
        if self.errors:
            return cleaned
        if chosen_set and ticked:
            raise forms.ValidationError("Choose a set or tick devices, not both.")
        if chosen_set:
            devices = [d for d in self.fields["devices"].queryset if d.device_set == chosen_set]
            if not devices:
                self.add_error("device_set", f"No device of {chosen_set} is on loan.")
            cleaned["chosen"] = devices
        elif ticked:
            cleaned["chosen"] = list(ticked)
        else:
            raise forms.ValidationError("Choose a set, or tick the devices to take back.")
        return cleaned


class LossForm(forms.Form):
    kind = forms.ChoiceField(
        label="Lost or stolen",
        choices=DeviceLoss.Kind.choices,
        widget=forms.RadioSelect,
        error_messages={"required": "Say whether it was lost or stolen."},
    )
    circumstances = forms.CharField(
        label="What happened",
        widget=forms.Textarea(attrs={"rows": 4}),
        help_text="Where and when it was last seen, and what was on it if you know.",
        error_messages={"required": "Say what happened: where and when it was last seen."},
    )
    police_reference = forms.CharField(
        label="Police crime reference (optional)",
        max_length=60,
        required=False,
        help_text="If it was stolen, report it to the police (101) and give their reference.",
    )


class AssessmentForm(forms.Form):
    assessment = forms.CharField(
        label="Assessment",
        widget=forms.Textarea(attrs={"rows": 4}),
        help_text="What data was on it, whose, whether anyone could read it, and the risk to the pupils.",
        error_messages={"required": "Write what you found: what data was on it and who could read it."},
    )
    reported_to_ico = forms.TypedChoiceField(
        label="Reported to the ICO",
        choices=[("yes", "Yes, reported to the ICO"), ("no", "No, not reported")],
        coerce=lambda value: value == "yes",
        widget=forms.RadioSelect,
        error_messages={"required": "Say whether it was reported to the ICO."},
    )
    ico_detail = forms.CharField(
        label="The ICO's reference, or why it was not reported",
        max_length=DeviceLoss._meta.get_field("ico_note").max_length,
        widget=forms.Textarea(attrs={"rows": 2}),
        error_messages={
            "required": "Give the ICO's reference, or say why it was not reported.",
            "max_length": "Keep it to %(limit_value)d characters: the ICO's reference, or a line on why not.",
        },
    )


class DeviceFilterForm(forms.Form):
    q = forms.CharField(label="Tag, serial or model", required=False, max_length=SEARCH_MAX_LENGTH)
    kind = forms.ChoiceField(label="Kind", required=False, choices=[("", "Any")] + SchoolDevice.Kind.choices)
    status = forms.ChoiceField(label="Status", required=False, choices=[("", "Any")] + SchoolDevice.Status.choices)
    device_set = forms.ChoiceField(label="Trolley or set", required=False)
    overdue = forms.BooleanField(label="Overdue only", required=False)
    leavers = forms.BooleanField(label="Lent to leavers", required=False)

    def __init__(self, *args, sets, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["device_set"].choices = [("", "Any")] + [(s, s) for s in sets]


class DeviceImportForm(csv_upload.CsvUploadForm):
    csv_format = device_import.FORMAT
    file_label = "CSV file of the register"


class DeviceImportConfirmForm(csv_upload.CsvConfirmForm):
    salt = "devices.device_import"
