"""
The form that validates and converts one row of each kind of file. Field names are the column keys;
the messages follow the column's name on the page ("DOB is not a date: …").
"""

from django import forms
from django.utils import timezone

from esafety.calendar import parse_year_group
from esafety.mis_import.parsing import DATE_FORMATS, normalise
from esafety.models import PupilContact


def yes_no(value: str) -> bool | None:
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


class RowForm(forms.Form):
    """
    Validates and converts one row. `records` is the file being read (a `kinds.MisFile`): the school's
    records that a row's references (a pupil's Adno, a staff code) are checked against.
    """

    def __init__(self, values: dict[str, str], records):
        super().__init__(data=values)
        self.records = records
        for form_field in self.fields.values():
            if isinstance(form_field, forms.DateField):
                form_field.input_formats = DATE_FORMATS
                form_field.error_messages["invalid"] = "is not a date: write it as dd/mm/yyyy, e.g. 14/03/2014."


def _clean_year(form: RowForm) -> int:
    ncy = parse_year_group(form.cleaned_data["year"])
    if ncy is None:
        raise forms.ValidationError("is not a year group: use N, R or 1 to 13 (Year 7 and Y7 work too).")
    return ncy


class PupilRow(RowForm):
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

    clean_year = _clean_year

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


class ContactRow(RowForm):
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
        if mis_id not in self.records.pupils:
            raise forms.ValidationError(f"no pupil has Adno {mis_id}: import the pupils first.")
        return mis_id

    def clean_relationship(self):
        word = normalise(self.cleaned_data["relationship"])
        if word not in RELATIONSHIP_WORDS:
            raise forms.ValidationError("is not a relationship we know: use e.g. Mother, Father, Carer, Grandparent or Other.")
        return RELATIONSHIP_WORDS[word]

    def clean_parental_responsibility(self):
        value = yes_no(self.cleaned_data["parental_responsibility"])
        if value is None:
            raise forms.ValidationError("should be Yes or No.")
        return value


class StaffRow(RowForm):
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
        if code and code not in self.records.staff_codes:
            raise forms.ValidationError(f"no member of staff has the code {code}.")
        return code


class FormRow(RowForm):
    name = forms.CharField(max_length=40)
    year = forms.CharField()
    tutor = forms.CharField(max_length=40, required=False)

    clean_year = _clean_year

    def clean_tutor(self):
        code = self.cleaned_data["tutor"]
        if code and code not in self.records.staff:
            raise forms.ValidationError(f"no member of staff has the code {code}: import the staff first.")
        return code
