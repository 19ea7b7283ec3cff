"""The office's forms: upload a file, then confirm (or not) what the check found."""

import csv

from django import forms
from django.conf import settings

from esafety.mis_import.kinds import MIS_FILES
from esafety.mis_import.parsing import ImportFileError, decode_upload
from esafety.models import ImportJob


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
            MIS_FILES[data["kind"]].parse(text, max_rows=self.max_rows)
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
        if not MIS_FILES[job.kind].marks_leavers:
            del self.fields["mark_missing_as_left"]

    def clean_accept(self):
        accept = self.cleaned_data["accept"]
        if accept == ImportJob.Accept.ALL and self.job.error_count:
            raise forms.ValidationError(
                "Some rows have errors. Correct them in the MIS and upload a new export, or import only the rows without errors."
            )
        return accept
