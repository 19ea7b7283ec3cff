"""
A register filled from a CSV file in two steps, as the school's devices and its staff training are: the upload is
read and every row checked and shown, nothing saved; the confirmation carries the file back, signed for the user at
the school, and the import reads it again inside its transaction and saves every row or none.

The reading is the MIS import's (`esafety.mis_import.parsing`); an app gives its columns and words (`CsvFormat`),
checks its rows against its own records, and keeps its views, which use the forms and helpers here.
"""

import csv
from collections.abc import Callable
from dataclasses import dataclass, field

from django import forms
from django.contrib import messages
from django.core import signing
from django.core.exceptions import ValidationError
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse

from esafety.mis_import.parsing import Column, ImportFileError, ParsedFile, RowError, decode_upload, parse_csv, template_csv
from esafety.models import School

# An upload waits this long for its confirmation (seconds).
UPLOAD_MAX_AGE = 60 * 60


@dataclass(frozen=True)
class CsvFormat:
    """A kind of file: its columns, and the words that tell the user about it."""

    columns: tuple[Column, ...]
    holds: str  # what the rows are, in the plural: "devices"
    each: str  # one of them: "device"
    save_as: str  # how to make such a file: "Export the register as CSV (comma separated)."
    template_name: str  # the template's file name, offered for download
    one_of: tuple[str, ...] = ()  # the keys of columns of which a file needs one at least
    max_rows: int = 5000
    max_bytes: int = 1024 * 1024

    @property
    def fields(self) -> tuple[str, ...]:
        return tuple(column.key for column in self.columns)

    def read(self, text: str) -> ParsedFile:
        """The file's rows, or `ImportFileError` saying why it cannot be used."""
        return parse_csv(text, self.columns, holds=self.holds, each=self.each, max_rows=self.max_rows, one_of=self.one_of)

    def headers(self, parsed: ParsedFile) -> dict[str, str]:
        """Each column's name as the file has it, or as our template has it for a column the file lacks."""
        return {column.key: parsed.mapping.get(column.key, column.header) for column in self.columns}

    def template_response(self) -> HttpResponse:
        """Our column names and one example row, as a file to download."""
        response = HttpResponse(template_csv(self.columns), content_type="text/csv; charset=utf-8")
        response["Content-Disposition"] = f'attachment; filename="{self.template_name}"'
        return response


def column_message(form_field: forms.Field | None, message: str) -> str:
    """Django's words for a bad value, as the rest of a sentence that starts with the column ("Course is too long…")."""
    if message == "This field is required.":
        return "is empty, and it is needed."
    if message.startswith("Ensure this value has at most") and form_field is not None:
        return f"is too long: at most {form_field.max_length} characters."
    return message


def row_errors(form: forms.Form, line: int, headers: dict[str, str]) -> list[RowError]:
    """The errors of a row's form, one for each message, named by the file's column."""
    return [
        RowError(line, headers.get(name, "(row)"), column_message(form.fields.get(name), message))
        for name, messages in form.errors.items()
        for message in messages
    ]


@dataclass
class CheckedFile:
    """A file read and every row checked: the rows that can be imported, and the errors of the others."""

    columns: list[str]  # the file's headers that were read
    ignored: list[str]  # the file's other headers
    rows: list = field(default_factory=list)
    errors: list[RowError] = field(default_factory=list)

    @property
    def error_lines(self) -> int:
        return len({error.row for error in self.errors})


def check_text(check: Callable[[str], CheckedFile], text: str, *, save_as: str) -> tuple[CheckedFile | None, str]:
    """The upload checked: the preview with the errors of every bad row, or why the file cannot be read."""
    try:
        return check(text), ""
    except ImportFileError as error:
        return None, str(error)
    except (csv.Error, ValueError):  # the csv module's errors on a broken file
        return None, f"This file could not be read as CSV. {save_as}"


class CsvUploadForm(forms.Form):
    """The upload of a file in `csv_format`; a valid form has its text in `self.text`."""

    csv_format: CsvFormat
    file_label = "CSV file"

    file = forms.FileField(
        help_text="Comma-separated (.csv), with a header row. Download the template to see the columns.",
        error_messages={"required": "Choose the CSV file to upload."},
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        upload = self.fields["file"]
        upload.label = self.file_label
        upload.error_messages = {
            **upload.error_messages,
            "empty": f"The file is empty: it needs a header row with the column names, then one row per {self.csv_format.each}.",
        }

    def clean_file(self):
        upload, csv_format = self.cleaned_data["file"], self.csv_format
        if not upload.name.lower().endswith((".csv", ".txt", ".tsv")):
            raise forms.ValidationError(f"This is not a CSV file. {csv_format.save_as}")
        if upload.size > csv_format.max_bytes:
            raise forms.ValidationError(
                f"This file is {upload.size / 1024:.0f} KB; the most we take is {csv_format.max_bytes // 1024} KB. "
                "Keep only the columns of the template, or split the file."
            )
        try:
            self.text = decode_upload(upload.read(), save_as=csv_format.save_as)
        except ImportFileError as error:
            raise forms.ValidationError(str(error)) from error
        return upload


class CsvConfirmForm(forms.Form):
    """
    The confirmation of a checked file: the file itself comes back, signed for this user at this school and
    compressed, so that nothing is kept meanwhile. `salt` keeps one kind of upload from being confirmed as another.
    """

    salt: str

    upload = forms.CharField(widget=forms.HiddenInput, error_messages={"required": "Upload the file again."})

    def __init__(self, *args, school, user, **kwargs):
        super().__init__(*args, **kwargs)
        self.school, self.user = school, user

    @classmethod
    def for_file(cls, *, school, user, file_name: str, text: str) -> "CsvConfirmForm":
        signed = signing.dumps({"name": file_name, "text": text}, salt=cls._salt(school, user), compress=True)
        return cls(school=school, user=user, initial={"upload": signed})

    @classmethod
    def _salt(cls, school, user) -> str:
        return f"{cls.salt}:{school.pk}:{user.pk}"

    def clean_upload(self):
        try:
            data = signing.loads(self.cleaned_data["upload"], salt=self._salt(self.school, self.user), max_age=UPLOAD_MAX_AGE)
        except signing.SignatureExpired as error:
            raise forms.ValidationError("This upload was checked more than an hour ago: upload the file again.") from error
        except signing.BadSignature as error:
            raise forms.ValidationError("This upload cannot be read: upload the file again.") from error
        self.file_name, self.text = data["name"], data["text"]
        return self.cleaned_data["upload"]


@dataclass(frozen=True)
class CsvImport:
    """
    The two steps of an import, as the bodies of an app's views (which check who may import, then call `upload`
    and `confirm`). The page's template extends "csv_import/page.html" and is given the app's base template and
    the steps' addresses.
    """

    upload_form: type[CsvUploadForm]
    confirm_form: type[CsvConfirmForm]
    check: Callable[[School, str], CheckedFile]  # reads, checks and compares; saves nothing
    save: Callable[..., CheckedFile]  # (school=, actor=, text=): every row or none, else ValidationError
    template_name: str
    base_template: str
    url_names: tuple[str, str, str]  # the upload, its confirmation, the template file
    confirmable: Callable[[CheckedFile], bool] = lambda checked: not checked.errors

    @property
    def csv_format(self) -> CsvFormat:
        return self.upload_form.csv_format

    def page(self, request, *, status: int = 200, **context) -> HttpResponse:
        upload_url, confirm_url, template_url = (reverse(name) for name in self.url_names)
        return render(
            request,
            self.template_name,
            {
                "base_template": self.base_template,
                "csv_format": self.csv_format,
                "upload_url": upload_url,
                "confirm_url": confirm_url,
                "template_url": template_url,
                **context,
            },
            status=status,
        )

    def _checked(self, school, text: str) -> tuple[CheckedFile | None, str]:
        return check_text(lambda text: self.check(school, text), text, save_as=self.csv_format.save_as)

    def upload(self, request) -> HttpResponse:
        """The form; on a good upload, every row checked and shown, with the confirmation when it can be imported."""
        if request.method != "POST":
            return self.page(request, form=self.upload_form())
        form = self.upload_form(request.POST, request.FILES)
        if form.is_valid():
            school, file_name = request.access.school, form.cleaned_data["file"].name
            checked, problem = self._checked(school, form.text)
            if problem:
                form.add_error("file", problem)
            else:
                confirm = None
                if self.confirmable(checked):
                    confirm = self.confirm_form.for_file(school=school, user=request.user, file_name=file_name, text=form.text)
                return self.page(request, checked=checked, file_name=file_name, confirm_form=confirm, form=self.upload_form())
        return self.page(request, form=form, status=400)

    def confirm(self, request, *, done: Callable[[CheckedFile, str], str], then: str) -> HttpResponse:
        """The checked file imported, checked again as the records are now; `done` says what was imported."""
        school = request.access.school
        confirm = self.confirm_form(request.POST, school=school, user=request.user)
        if not confirm.is_valid():
            messages.error(request, " ".join(confirm.errors["upload"]))
            return self.page(request, form=self.upload_form(), status=400)
        try:
            checked = self.save(school=school, actor=request.user, text=confirm.text)
        except ValidationError as error:
            messages.error(request, " ".join(error.messages))
            checked, _ = self._checked(school, confirm.text)
            return self.page(request, checked=checked, file_name=confirm.file_name, form=self.upload_form(), status=400)
        messages.success(request, done(checked, confirm.file_name))
        return redirect(then)
