"""The log of changes made to the filter itself, and the head teacher's agreement to each."""

from django import forms
from django.core.exceptions import ValidationError
from django.utils import timezone

from filtering.models import FilterChange
from incidents.forms import DATE_ISO, DATETIME_LOCAL, DatePickerInput, DateTimeLocalInput

Agreement = FilterChange.Agreement
Kind = FilterChange.Kind

# A little leeway for a clock a minute or two ahead of the server's.
FUTURE_LEEWAY = timezone.timedelta(minutes=5)


class AgreementFields(forms.Form):
    """The head teacher's agreement to a change: beforehand, or in an emergency straight after, saying why."""

    agreement = forms.ChoiceField(
        # No answer ticked in advance: whoever logs the change says which it was.
        label="The head teacher's agreement",
        choices=Agreement.choices,
        widget=forms.RadioSelect,
        error_messages={"required": "Say when the head teacher agreed the change."},
    )
    emergency_reason = forms.CharField(
        label="Why it could not wait (emergency only)",
        required=False,
        widget=forms.Textarea(attrs={"rows": 2}),
    )

    def check_agreement(self, cleaned: dict) -> None:
        if cleaned.get("agreement") == Agreement.EMERGENCY:
            if not (cleaned.get("emergency_reason") or "").strip():
                self.add_error("emergency_reason", "Say why the change could not wait for the head teacher's agreement.")
        else:
            # Agreed beforehand: a reason typed before the choice changed is not kept.
            cleaned["emergency_reason"] = ""


class FilterChangeForm(AgreementFields):
    """What IT writes in the change log for each change made to the filter."""

    field_order = [
        "kind",
        "applies_to",
        "group",
        "description",
        "reason",
        "risk_assessment",
        "made_at",
        "ends_on",
        "agreement",
        "emergency_reason",
    ]

    kind = forms.ChoiceField(label="Change", choices=[("", "Choose the kind of change")] + Kind.choices)
    applies_to = forms.CharField(
        label="For whom or what",
        max_length=200,
        required=False,
        help_text="The user, group, category or policy. Left empty, the filter group chosen below.",
    )
    group = forms.ModelChoiceField(
        label="Filter group (optional)",
        queryset=None,
        required=False,
        empty_label="No group",
        help_text="Needed for a change to a group.",
    )
    description = forms.CharField(label="What was changed", widget=forms.Textarea(attrs={"rows": 3}))
    reason = forms.CharField(label="Why", widget=forms.Textarea(attrs={"rows": 2}))
    risk_assessment = forms.CharField(
        label="Risk assessment",
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text="The risks of the change, and how they are managed.",
    )
    made_at = forms.DateTimeField(
        label="When the change was made", widget=DateTimeLocalInput(), input_formats=[DATETIME_LOCAL, "%d/%m/%Y %H:%M"]
    )
    ends_on = forms.DateField(
        label="Until (optional)",
        required=False,
        widget=DatePickerInput(),
        input_formats=[DATE_ISO, "%d/%m/%Y"],
        help_text="For a temporary change: the day it is to be undone.",
    )

    def __init__(self, *args, groups, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["group"].queryset = groups

    def clean_made_at(self):
        value = self.cleaned_data["made_at"]
        if value > timezone.now() + FUTURE_LEEWAY:
            raise ValidationError("This is in the future. Log a change once it has been made.")
        return value

    def clean(self):
        cleaned = super().clean()
        group = cleaned.get("group")
        if cleaned.get("kind") == Kind.CHANGED_GROUP and group is None and "group" not in self.errors:
            self.add_error("group", "Choose the filter group that was changed.")
        if not cleaned.get("applies_to", "").strip():
            if group is not None:
                cleaned["applies_to"] = group.name
            elif "applies_to" not in self.errors:
                self.add_error("applies_to", "Say who or what the change is for: a user, a group, a category or the policy.")
        made_at, ends_on = cleaned.get("made_at"), cleaned.get("ends_on")
        if made_at and ends_on and ends_on < timezone.localdate(made_at):
            self.add_error("ends_on", "This is before the change was made.")
        self.check_agreement(cleaned)
        return cleaned


class ChangeFilterForm(forms.Form):
    kind = forms.ChoiceField(label="Change", required=False, choices=[("", "Any")] + Kind.choices)
    waiting = forms.BooleanField(label="Only those waiting for the head teacher's agreement", required=False)
