"""Personal equipment: asking, the head teacher's decision, confirming the images are moved and deleted."""

from django import forms
from django.utils import timezone

from devices.models import EquipmentPermission
from esafety.forms import RecordsField
from incidents.filters import DATE_FORMATS, DateInput


class PupilsField(forms.ModelMultipleChoiceField):
    def label_from_instance(self, pupil):
        return f"{pupil.last_name}, {pupil.preferred_name or pupil.first_name}" + (f" ({pupil.form.name})" if pupil.form else "")


class FormsField(RecordsField):
    def label_from_instance(self, form):
        return f"{form.name} ({form.pupil_count} pupil{'' if form.pupil_count == 1 else 's'})"


class EquipmentRequestForm(forms.Form):
    equipment = forms.CharField(label="Equipment", max_length=120, help_text="e.g. my phone's camera, my own tablet.")
    purpose = forms.CharField(
        label="What for",
        widget=forms.Textarea(attrs={"rows": 3}),
        max_length=2000,
        help_text="The trip or activity, and why school equipment will not do.",
    )
    starts_on = forms.DateField(label="From", input_formats=DATE_FORMATS, widget=DateInput())
    ends_on = forms.DateField(label="Until", input_formats=DATE_FORMATS, widget=DateInput(), help_text="The last day.")
    form_groups = FormsField(
        label="Whole forms (optional)",
        queryset=None,
        required=False,
        widget=forms.SelectMultiple(attrs={"size": 6}),
        help_text="Every pupil on roll in the forms chosen. Hold Ctrl (Cmd on a Mac) to choose more than one.",
    )
    pupils = PupilsField(
        label="Pupils (optional if you chose forms)",
        queryset=None,
        required=False,
        widget=forms.SelectMultiple(attrs={"size": 10}),
        help_text="Pupils one by one, listed by surname, as well as or instead of whole forms. Type a surname to jump to it; "
        "hold Ctrl (Cmd on a Mac) to choose more than one.",
    )

    def __init__(self, *args, pupils, form_groups, **kwargs):
        super().__init__(*args, **kwargs)
        self.pupils_on_roll = pupils
        self.fields["pupils"].queryset = pupils.order_by("last_name", "first_name")
        self.fields["form_groups"].queryset = form_groups.order_by("name")

    def clean_starts_on(self):
        value = self.cleaned_data["starts_on"]
        if value < timezone.localdate():
            raise forms.ValidationError("This day has passed: permission is asked before the equipment is used.")
        return value

    def clean(self):
        cleaned = super().clean()
        starts_on, ends_on = cleaned.get("starts_on"), cleaned.get("ends_on")
        if starts_on and ends_on and ends_on < starts_on:
            self.add_error("ends_on", "The last day cannot be before the first.")
        if "pupils" in cleaned and "form_groups" in cleaned:
            chosen = {pupil.pk: pupil for pupil in cleaned["pupils"]}
            if cleaned["form_groups"]:
                for pupil in self.pupils_on_roll.filter(form__in=cleaned["form_groups"]):
                    chosen.setdefault(pupil.pk, pupil)
            if not chosen:
                self.add_error("pupils", "Choose the pupils, by form or one by one.")
            cleaned["chosen_pupils"] = list(chosen.values())
        return cleaned


class DecisionForm(forms.Form):
    decision = forms.ChoiceField(
        label="Your decision",
        choices=[("approve", "Approve it"), ("decline", "Decline it")],
        widget=forms.RadioSelect,
        error_messages={"required": "Choose to approve or decline it."},
    )
    note = forms.CharField(
        label="Note",
        required=False,
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text="For the member of staff, e.g. pupils not to photograph. Needed when you decline it.",
    )

    def clean(self):
        cleaned = super().clean()
        if cleaned.get("decision") == "decline" and not cleaned.get("note", "").strip():
            self.add_error("note", "Say why it is declined.")
        return cleaned


class ConfirmImagesForm(forms.Form):
    where = forms.CharField(
        label="Where the images are now",
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text="The folder on the school's network or cloud storage.",
    )
    deleted = forms.BooleanField(
        label="I have deleted every image from the device, including any copies in its cloud account or recently deleted folder",
        error_messages={"required": "Delete the images from the device, then tick this box."},
    )


class EquipmentFilterForm(forms.Form):
    status = forms.ChoiceField(label="Status", required=False, choices=[("", "Any")] + EquipmentPermission.Status.choices)
