"""Staff training: a record's form, the register's filters, the CSV import, and the policy and training settings."""

from pathlib import PurePath

from django import forms
from django.utils import timezone
from django.utils.text import capfirst

from esafety import csv_upload
from esafety.filters import SEARCH_MAX_LENGTH
from policies import training_import
from policies.models import PolicySettings, TrainingRecord
from policies.selectors.training import ORDERS, Expiry

DATE_ISO = "%Y-%m-%d"
DATE_FORMATS = [DATE_ISO, "%d/%m/%Y"]
# Certificates: a PDF or a photo of the paper one, each recognised by its first bytes as well as its name.
CERTIFICATE_MAX_BYTES = 5 * 1024 * 1024
CERTIFICATE_TYPES = {
    ".pdf": (b"%PDF-",),
    ".png": (b"\x89PNG\r\n\x1a\n",),
    ".jpg": (b"\xff\xd8\xff",),
    ".jpeg": (b"\xff\xd8\xff",),
}


class DatePickerInput(forms.DateInput):
    input_type = "date"

    def __init__(self, **kwargs):
        super().__init__(format=DATE_ISO, **kwargs)


class StaffChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, staff):
        name = f"{staff.last_name}, {staff.first_name}"
        return f"{name} ({staff.job_title})" if staff.job_title else name


class TrainingRecordForm(forms.Form):
    """A course a member of staff completed. Validates and converts; `policies.services.training` saves."""

    staff_member = StaffChoiceField(
        label="Member of staff",
        queryset=None,
        empty_label="Choose a member of staff",
        error_messages={"required": "Choose who completed the course.", "invalid_choice": "Choose a member of staff in post."},
    )
    kind = forms.ChoiceField(
        label="Kind of training",
        choices=[("", "Choose the kind of training")] + TrainingRecord.Kind.choices,
        error_messages={"required": "Choose the kind of training."},
    )
    course = forms.CharField(
        label="Course",
        max_length=200,
        help_text="e.g. Annual safeguarding update, or Online safety for staff (NSPCC Learning).",
        error_messages={"required": "Give the course's name."},
    )
    provider = forms.CharField(label="Provider (optional)", max_length=200, required=False, help_text="Who ran it.")
    completed_on = forms.DateField(
        label="Completed on",
        widget=DatePickerInput(),
        input_formats=DATE_FORMATS,
        error_messages={"required": "Give the day the course was completed.", "invalid": "Write the date as dd/mm/yyyy."},
    )
    expires_on = forms.DateField(
        label="Expires on (optional)",
        required=False,
        widget=DatePickerInput(),
        input_formats=DATE_FORMATS,
        error_messages={"invalid": "Write the date as dd/mm/yyyy."},
    )
    certificate = forms.FileField(
        label="Certificate (optional)",
        required=False,
        help_text=f"A PDF, or a photo or scan (PNG or JPEG), up to {CERTIFICATE_MAX_BYTES // (1024 * 1024)} MB.",
    )
    remove_certificate = forms.BooleanField(label="Remove the certificate kept", required=False)
    notes = forms.CharField(label="Notes (optional)", required=False, widget=forms.Textarea(attrs={"rows": 3}))

    def __init__(self, *args, staff, refresher_months: int, record: TrainingRecord | None = None, **kwargs):
        if record is not None and not kwargs.get("initial"):
            kwargs["initial"] = {
                "staff_member": record.staff_member_id,
                "kind": record.kind,
                "course": record.course,
                "provider": record.provider,
                "completed_on": record.completed_on,
                "expires_on": record.expires_on,
                "notes": record.notes,
            }
        super().__init__(*args, **kwargs)
        if record is not None:
            # Whoever the record is about stays a choice, in post or not.
            staff = staff | staff.model.objects.filter(pk=record.staff_member_id)
        self.fields["staff_member"].queryset = staff.order_by("last_name", "first_name")
        self.fields["expires_on"].help_text = (
            f"Leave it empty for the school's refresher period: {refresher_months} month{'' if refresher_months == 1 else 's'} "
            "after the course was completed."
        )
        if record is None or not record.certificate:
            del self.fields["remove_certificate"]
        else:
            self.fields["certificate"].label = "A new certificate (optional)"
            self.fields["certificate"].help_text += " It replaces the one kept."

    def clean_completed_on(self):
        completed_on = self.cleaned_data["completed_on"]
        if completed_on > timezone.localdate():
            raise forms.ValidationError("This date is in the future: give the day the course was completed.")
        return completed_on

    def clean_certificate(self):
        upload = self.cleaned_data.get("certificate")
        if not upload:
            return None
        suffix = PurePath(upload.name).suffix.lower()
        if suffix not in CERTIFICATE_TYPES:
            raise forms.ValidationError("Upload the certificate as a PDF, PNG or JPEG file.")
        if upload.size > CERTIFICATE_MAX_BYTES:
            raise forms.ValidationError(
                f"This file is {upload.size / (1024 * 1024):.1f} MB; the most we keep is {CERTIFICATE_MAX_BYTES // (1024 * 1024)} MB. "
                "Scan it at a lower resolution, or save it as a PDF."
            )
        head = upload.read(16)
        upload.seek(0)
        if not head.startswith(CERTIFICATE_TYPES[suffix]):
            raise forms.ValidationError(f"This file is not a {suffix[1:].upper()} file, whatever its name says.")
        return upload

    def clean(self):
        cleaned = super().clean()
        completed_on, expires_on = cleaned.get("completed_on"), cleaned.get("expires_on")
        if completed_on and expires_on and expires_on <= completed_on:
            self.add_error("expires_on", "A course expires after the day it was completed.")
        if cleaned.get("certificate") and cleaned.get("remove_certificate"):
            self.add_error("remove_certificate", "Upload a new certificate or remove the one kept, not both.")
        return cleaned

    def service_arguments(self) -> dict:
        """The cleaned values, as the services take them (`remove_certificate` only when a certificate is kept)."""
        return dict(self.cleaned_data)


class TrainingFilterForm(forms.Form):
    q = forms.CharField(label="Name, code or course", required=False, max_length=SEARCH_MAX_LENGTH)
    kind = forms.ChoiceField(label="Kind", required=False, choices=[("", "Any")] + TrainingRecord.Kind.choices)
    expiry = forms.ChoiceField(label="Expiry", required=False, choices=[("", "Any")] + Expiry.choices)
    # Not "sort": the shared filter form keeps a list's "sort" in a hidden field of its own.
    order = forms.ChoiceField(label="Sort by", required=False, choices=[(key, label) for key, (label, _) in ORDERS.items()])


class TrainingImportForm(csv_upload.CsvUploadForm):
    csv_format = training_import.FORMAT
    file_label = "CSV file of training records"


class TrainingImportConfirmForm(csv_upload.CsvConfirmForm):
    salt = "policies.training_import"


def _whole_number(name: str, most: int) -> forms.IntegerField:
    model_field = PolicySettings._meta.get_field(name)
    return forms.IntegerField(
        label=capfirst(model_field.verbose_name),
        help_text=model_field.help_text,
        min_value=1,
        max_value=most,
        error_messages={
            "required": "Give a number.",
            "invalid": "Give a whole number.",
            "min_value": "Give at least 1.",
            "max_value": f"Give at most {most}.",
        },
    )


class PolicySettingsForm(forms.Form):
    """The school's choices for policy reviews and staff training."""

    review_months = _whole_number("review_months", 60)
    induction_days = _whole_number("induction_days", 365)
    refresher_months = _whole_number("refresher_months", 60)
