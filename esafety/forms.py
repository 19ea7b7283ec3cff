import csv

from django import forms
from django.conf import settings
from django.contrib.auth.forms import AuthenticationForm
from django.core.exceptions import ValidationError
from django.db import models

from esafety.imports import ImportFileError, decode_upload, parse_csv
from esafety.models import ImportJob, Pupil


class RecordsField(forms.ModelMultipleChoiceField):
    """
    Records ticked by id (year groups, forms). An id too large for a database integer is refused like any
    unknown one: SQLite cannot compare it with its ids and would raise instead of finding nothing.
    """

    def _check_values(self, value):
        if isinstance(self.queryset.model._meta.pk, models.IntegerField):
            for pk in value:
                try:
                    number = int(pk)
                except (TypeError, ValueError):
                    continue  # refused by Django's own check
                if not -(2**63) <= number < 2**63:
                    raise ValidationError(self.error_messages["invalid_pk_value"], code="invalid_pk_value", params={"pk": pk})
        return super()._check_values(value)


class ImportUploadForm(forms.Form):
    kind = forms.ChoiceField(label="What the file holds", choices=ImportJob.Kind.choices)
    file = forms.FileField(
        label="CSV file exported from the MIS",
        help_text="Comma-separated (.csv), with a header row. Download a template below to see the columns.",
        error_messages={
            "empty": "The file is empty: it needs a header row with the column names, then one row per person.",
            "required": "Choose the CSV file to upload.",
        },
    )

    def __init__(self, *args, max_rows: int, **kwargs):
        super().__init__(*args, **kwargs)
        self.max_rows = max_rows

    def clean(self):
        data = super().clean()
        upload = data.get("file")
        if upload is None or "kind" not in data:
            return data
        if not upload.name.lower().endswith((".csv", ".txt", ".tsv")):
            self.add_error("file", "This is not a CSV file. In the MIS, export the report as CSV (comma separated).")
            return data
        if upload.size > settings.IMPORT_MAX_BYTES:
            self.add_error(
                "file",
                f"This file is {upload.size / 1048576:.0f} MB; the most we take is {settings.IMPORT_MAX_BYTES / 1048576:.0f} MB. "
                "Export only the columns in the template, or split the file.",
            )
            return data
        try:
            text = decode_upload(upload.read())
            parse_csv(text, data["kind"], max_rows=self.max_rows)
        except ImportFileError as exc:
            self.add_error("file", str(exc))
        except (csv.Error, ValueError):  # the csv module's errors on a binary or broken file
            self.add_error("file", "This file could not be read as CSV. Export it again from the MIS as CSV.")
        else:
            data["text"] = text
        return data


class ImportConfirmForm(forms.Form):
    accept = forms.ChoiceField(label="Rows to import", choices=ImportJob.Accept.choices, widget=forms.RadioSelect)
    mark_missing_as_left = forms.BooleanField(
        label="Mark everyone on roll who is not in this file as having left today",
        required=False,
        help_text="Only tick this for a full export of everyone currently on roll.",
    )

    def __init__(self, *args, job: ImportJob, **kwargs):
        super().__init__(*args, **kwargs)
        self.job = job
        if job.error_count:
            self.fields["accept"].initial = ImportJob.Accept.VALID
        else:
            self.fields["accept"].initial = ImportJob.Accept.ALL
            self.fields["accept"].choices = [(ImportJob.Accept.ALL, "Every row")]
        if job.kind not in (ImportJob.Kind.PUPILS, ImportJob.Kind.STAFF):
            del self.fields["mark_missing_as_left"]

    def clean_accept(self):
        accept = self.cleaned_data["accept"]
        if accept == ImportJob.Accept.ALL and self.job.error_count:
            raise forms.ValidationError(
                "Some rows have errors. Correct them in the MIS and upload a new export, or import only the rows without errors."
            )
        return accept


class AdditionalNeedsForm(forms.ModelForm):
    class Meta:
        model = Pupil
        fields = ["additional_needs", "additional_needs_note"]
        widgets = {"additional_needs_note": forms.Textarea(attrs={"rows": 3})}


class EmailAuthenticationForm(AuthenticationForm):
    username = forms.EmailField(
        label="E-mail address", widget=forms.EmailInput(attrs={"autofocus": True, "autocomplete": "email"})
    )
    error_messages = {
        **AuthenticationForm.error_messages,
        "invalid_login": "That e-mail address and password do not match an account. Check them and try again: after several wrong tries, signing in pauses for a while.",
        "inactive": "This account has been switched off. Ask your school's office or IT manager.",
    }
