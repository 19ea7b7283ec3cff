"""
The phone register's forms: a form's morning register and its afternoon, a row a pupil (formsets); the pupils
allowed to keep their phone; the school's device settings.
"""

from datetime import datetime

from django import forms
from django.core.exceptions import ValidationError
from django.forms.renderers import Jinja2
from django.utils import timezone

from devices.models import PhoneException, PhoneRecord
from devices.selectors.phones import RegisterPupil
from devices.services.phones import EARLIEST_END, LATEST_END, STORAGE_LENGTH, RegisterRow
from esafety.forms import RecordsField
from esafety.models import FormGroup, Pupil, StaffMember, YearGroup

Status = PhoneRecord.Status
DATE_ISO = "%Y-%m-%d"
DATE_FORMATS = [DATE_ISO, "%d/%m/%Y"]
# No form has this many pupils: a longer register is refused rather than read.
MOST_ROWS = 300


class DateInput(forms.DateInput):
    input_type = "date"

    def __init__(self, **kwargs):
        super().__init__(format=DATE_ISO, **kwargs)


class DayForm(forms.Form):
    """The day of a register (`?day=2026-11-24`), today when not given."""

    day = forms.DateField(label="Day", required=False, input_formats=DATE_FORMATS, widget=DateInput())

    def day_or_today(self):
        return self.cleaned_data.get("day") or timezone.localdate()


# --- The morning's register ------------------------------------------------------------------------------------


class RegisterRowForm(forms.Form):
    """One pupil's line: handed in (and where it is kept), or absent; a pupil with an exception keeps their phone."""

    # A register is a screen of these rows, four inputs each. Django's Jinja2 copies of its widget templates
    # (the same markup) render them in a third less time than its own template language.
    default_renderer = Jinja2()

    pupil = forms.CharField(widget=forms.HiddenInput)
    handed_in = forms.BooleanField(
        label="Handed in", required=False, widget=forms.CheckboxInput(attrs={"class": "btn-check", "data-handed-in": ""})
    )
    absent = forms.BooleanField(
        label="Absent", required=False, widget=forms.CheckboxInput(attrs={"class": "btn-check", "data-absent": ""})
    )
    storage = forms.CharField(
        label="Pouch or locker",
        required=False,
        max_length=STORAGE_LENGTH,
        widget=forms.TextInput(attrs={"class": "form-control", "autocomplete": "off", "data-storage": ""}),
        error_messages={"max_length": f"A pouch or locker number has at most {STORAGE_LENGTH} characters."},
    )

    def __init__(self, *args, lines: dict[str, RegisterPupil], **kwargs):
        super().__init__(*args, **kwargs)
        self.line = lines.get(str(self["pupil"].value()))
        if self.line is not None and self.line.keeps_phone:
            # Kept by the pupil: nothing to tick, and no pouch.
            del self.fields["handed_in"]
            del self.fields["storage"]

    def full_clean(self):
        super().full_clean()
        for name in self.errors:
            if name in self.fields and name != "pupil":
                widget = self.fields[name].widget
                widget.attrs["aria-describedby"] = f"{self[name].auto_id}_error"
                if not isinstance(widget, forms.CheckboxInput):
                    widget.attrs["class"] = widget.attrs.get("class", "") + " is-invalid"

    def clean_pupil(self):
        if self.line is None:
            raise ValidationError("This pupil is no longer in the form on this day: reload the register.")
        return self.line.pupil

    def clean(self):
        data = super().clean()
        if data.get("handed_in") and data.get("absent"):
            self.add_error("absent", "Tick handed in or absent, not both.")
        return data

    def row(self) -> RegisterRow:
        data = self.cleaned_data
        if data["absent"]:
            status = Status.ABSENT
        elif self.line.keeps_phone:
            status = Status.KEEPS
        elif data.get("handed_in"):
            status = Status.HANDED_IN
        else:
            status = Status.NOT_HANDED_IN
        return RegisterRow(pupil=self.line.pupil, status=status, storage=data.get("storage", ""))


class BaseRegisterFormSet(forms.BaseFormSet):
    def __init__(self, data=None, *, lines: list[RegisterPupil], initial=None):
        self.lines = {str(line.pupil.pk): line for line in lines}
        if initial is None:
            initial = [self.initial_for(line) for line in lines]
        super().__init__(data, prefix="pupils", initial=initial, form_kwargs={"lines": self.lines})

    def get_form_kwargs(self, index):
        # Every row sent is a pupil's, whatever the management form says: none may be left out as an empty extra.
        return {**super().get_form_kwargs(index), "empty_permitted": False}

    @staticmethod
    def initial_for(line: RegisterPupil) -> dict:
        status = line.record.status if line.record else None
        return {
            "pupil": str(line.pupil.pk),
            "handed_in": status == Status.HANDED_IN,
            "absent": status == Status.ABSENT,
            "storage": line.storage,
        }

    def rows(self) -> list[RegisterRow]:
        return [form.row() for form in self.forms]

    def everyone_present(self) -> list[dict]:
        """The rows as they were sent, with every pupil not absent and without an exception ticked as handed in."""
        initial = []
        for form in self.forms:
            data = dict(form.cleaned_data, pupil=str(form.line.pupil.pk))
            if not data["absent"] and not form.line.keeps_phone:
                data["handed_in"] = True
            initial.append(data)
        return initial

    def add_problems(self, problems: dict[str, list[str]]) -> list[str]:
        """The service's problems beside their rows; those of no row shown are returned."""
        by_pupil = {str(form.line.pupil.pk): form for form in self.forms if form.line is not None}
        left = []
        for key, messages in problems.items():
            form = by_pupil.get(key)
            if form is None:
                left += messages
            else:
                form.add_error(None, messages)
        return left


RegisterFormSet = forms.formset_factory(
    RegisterRowForm, formset=BaseRegisterFormSet, extra=0, max_num=MOST_ROWS, absolute_max=MOST_ROWS
)


class SeenForm(forms.Form):
    """When the register on the page was saved last (empty: it had not been), for noticing someone else's save."""

    seen = forms.CharField(required=False, widget=forms.HiddenInput)

    def seen_at(self) -> datetime | None:
        text = (self.cleaned_data.get("seen") or "") if self.is_valid() else ""
        try:
            moment = datetime.fromisoformat(text)
        except ValueError:
            return None
        return moment if timezone.is_aware(moment) else None


# --- The afternoon ---------------------------------------------------------------------------------------------


class CollectRowForm(forms.Form):
    record = forms.CharField(widget=forms.HiddenInput)
    collected = forms.BooleanField(
        label="Handed back", required=False, widget=forms.CheckboxInput(attrs={"class": "btn-check", "data-collected": ""})
    )

    def __init__(self, *args, lines: dict[str, PhoneRecord], **kwargs):
        super().__init__(*args, **kwargs)
        self.line = lines.get(str(self["record"].value()))

    def clean_record(self):
        if self.line is None:
            raise ValidationError("This phone is not one to hand back here any more: reload the page.")
        return self.line


class BaseCollectFormSet(forms.BaseFormSet):
    def __init__(self, data=None, *, lines: list[PhoneRecord], initial=None):
        self.lines = {str(record.pk): record for record in lines}
        if initial is None:
            initial = [{"record": str(record.pk), "collected": False} for record in lines]
        super().__init__(data, prefix="phones", initial=initial, form_kwargs={"lines": self.lines})

    def get_form_kwargs(self, index):
        return {**super().get_form_kwargs(index), "empty_permitted": False}

    def collected(self) -> list[int]:
        return [form.line.pk for form in self.forms if form.cleaned_data["collected"]]

    def everyone(self) -> list[dict]:
        return [{"record": str(form.line.pk), "collected": True} for form in self.forms]


CollectFormSet = forms.formset_factory(
    CollectRowForm, formset=BaseCollectFormSet, extra=0, max_num=MOST_ROWS, absolute_max=MOST_ROWS
)


class NotCollectedFilterForm(forms.Form):
    form = forms.ModelChoiceField(label="Form", queryset=FormGroup.objects.none(), required=False, empty_label="All forms")

    def __init__(self, *args, forms_shown, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["form"].queryset = forms_shown


# --- Pupils who keep their phone ------------------------------------------------------------------------------


class PupilChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, pupil):
        return f"{pupil.last_name}, {pupil.preferred_name or pupil.first_name}" + (f" ({pupil.form.name})" if pupil.form else "")


class StaffChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, member):
        return member.full_name


class PhoneExceptionForm(forms.Form):
    pupil = PupilChoiceField(label="Pupil", queryset=Pupil.objects.none(), empty_label="Choose…")
    reason = forms.ChoiceField(label="Reason", choices=PhoneException.Reason.choices, widget=forms.RadioSelect)
    detail = forms.CharField(
        label="Details",
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text="Why, and what the phone is for (e.g. checking blood glucose, being reachable by a parent they care for).",
    )
    agreed_by = StaffChoiceField(
        label="Agreed by",
        queryset=StaffMember.objects.none(),
        empty_label="Choose…",
        help_text="The member of staff who agreed it.",
    )
    starts_on = forms.DateField(label="From", input_formats=DATE_FORMATS, widget=DateInput())
    review_on = forms.DateField(
        label="Review by", input_formats=DATE_FORMATS, widget=DateInput(), help_text="At least once a year, or sooner."
    )

    def __init__(self, *args, pupils, staff, fixed_pupil=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["pupil"].queryset = pupils
        self.fields["agreed_by"].queryset = staff
        if fixed_pupil is not None:
            # The pupil of an exception is not changed: a new exception is agreed for another pupil.
            del self.fields["pupil"]
            self.pupil = fixed_pupil

    def clean(self):
        data = super().clean()
        if data.get("starts_on") and data.get("review_on") and data["review_on"] < data["starts_on"]:
            self.add_error("review_on", "The review must be on or after the day the exception starts.")
        return data


class ExceptionReviewForm(forms.Form):
    prefix = "review"

    review_on = forms.DateField(label="Next review by", input_formats=DATE_FORMATS, widget=DateInput())
    note = forms.CharField(label="What was decided (optional)", required=False, max_length=500, help_text="Shown in the history.")


class ExceptionEndForm(forms.Form):
    prefix = "end"

    ended_on = forms.DateField(
        label="Ends on", input_formats=DATE_FORMATS, widget=DateInput(), help_text="From this day the pupil hands their phone in."
    )
    note = forms.CharField(label="Why (optional)", required=False, max_length=500, help_text="Shown in the history.")


# --- The school's device settings -------------------------------------------------------------------------------


class FormChoiceField(RecordsField):
    def label_from_instance(self, form):
        return f"{form.name} ({form.year_group})"


class DeviceSettingsForm(forms.Form):
    register_year_groups = RecordsField(
        label="Year groups on the phone register",
        queryset=YearGroup.objects.none(),
        required=False,
        widget=forms.CheckboxSelectMultiple,
        help_text="Every form of these year groups hands phones in each morning.",
    )
    register_forms = FormChoiceField(
        label="Other forms on the phone register",
        queryset=FormGroup.objects.none(),
        required=False,
        widget=forms.CheckboxSelectMultiple,
        help_text="Forms of other year groups that hand phones in as well.",
    )
    collection_time = forms.TimeField(
        label="End of the day",
        input_formats=["%H:%M", "%H:%M:%S", "%H.%M"],
        widget=forms.TimeInput(format="%H:%M", attrs={"type": "time"}),
        help_text=f"Phones not collected by this time are listed for the office and the tutors "
        f"({EARLIEST_END:%H:%M} to {LATEST_END:%H:%M}).",
    )
    confiscation_limit_days = forms.IntegerField(
        label="Hold a confiscated device for at most (school days)",
        min_value=1,
        max_value=30,
        help_text="Devices held longer show on the office's and the DSL's home pages.",
    )
    images_deadline_hours = forms.IntegerField(
        label="Images moved and deleted within (hours)",
        min_value=1,
        max_value=168,
        help_text="After a permission to use personal equipment ends, its images must be moved to school systems and "
        "deleted from the device within this time.",
    )
    access_review_months = forms.IntegerField(
        label="Review access rights every (months)",
        min_value=1,
        max_value=12,
        help_text="IT reviews who holds which accounts at least once a year.",
    )

    def __init__(self, *args, school, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["register_year_groups"].queryset = YearGroup.objects.for_school(school).order_by("ncy")
        self.fields["register_forms"].queryset = (
            FormGroup.objects.for_school(school).active().select_related("year_group").order_by("year_group__ncy", "name")
        )
