"""The regular review of the logs, and the yearly filtering and monitoring review."""

from crispy_forms.helper import FormHelper
from crispy_forms.layout import Fieldset, Layout
from django import forms
from django.core.exceptions import ValidationError
from django.utils import timezone

from filtering.figures import one_year_on
from filtering.models import AnnualReview, AnnualReviewAction
from filtering.services.reviews import REQUIRED_TO_SIGN, REVIEW_FIELDS, ActionRow

DATE_ISO = "%Y-%m-%d"
DATE_FORMATS = [DATE_ISO, "%d/%m/%Y"]
SMALL = {"class": "form-control form-control-sm"}


class DatePickerInput(forms.DateInput):
    input_type = "date"

    def __init__(self, **kwargs):
        super().__init__(format=DATE_ISO, **kwargs)


class LogReviewForm(forms.Form):
    findings = forms.CharField(
        label="Findings",
        widget=forms.Textarea(attrs={"rows": 6}),
        help_text="What you checked, anything that worried you, and what will be done about it and by whom.",
        error_messages={"required": "Write what you found, even if everything was in order."},
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.helper = FormHelper()
        self.helper.form_tag = False


class AnnualReviewForm(forms.ModelForm):
    """The review itself; a draft may be saved with parts still to write (signing it off needs them)."""

    class Meta:
        model = AnnualReview
        fields = list(REVIEW_FIELDS)
        widgets = {
            "checks": forms.Textarea(attrs={"rows": 6}),
            "pupil_profiles": forms.Textarea(attrs={"rows": 5}),
            "staff_profiles": forms.Textarea(attrs={"rows": 3}),
            "monitoring": forms.Textarea(attrs={"rows": 4}),
            "findings": forms.Textarea(attrs={"rows": 6}),
            "early_triggers": forms.Textarea(attrs={"rows": 3}),
            "next_review_on": DatePickerInput(),
        }
        help_texts = {
            "senior_leader": "The member of the senior leadership team responsible for filtering and monitoring.",
            "governor": "The governor responsible for filtering and monitoring.",
            "others": "Anyone else, by role or name: no pupils.",
            "pupil_profiles": "Each pupil filtering group and what it allows, one a line.",
            "staff_profiles": "Each staff filtering group and what it allows, one a line.",
            "monitoring": "How use of the school's devices and network is monitored, and who sees the alerts.",
            "findings": "What the review found: what works, and what does not. Name no pupils.",
            "next_review_on": "At least once a year, as the DfE standard asks.",
        }

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        for name in REQUIRED_TO_SIGN:
            self.fields[name].required = False
        self.fields["next_review_on"].input_formats = DATE_FORMATS
        self.helper = FormHelper()
        self.helper.form_tag = False
        self.helper.layout = Layout(
            Fieldset("Who took part", "senior_leader", "dsl", "it_lead", "governor", "others"),
            Fieldset("What was checked and tested", "checks"),
            Fieldset("The filtering profiles in place", "pupil_profiles", "staff_profiles"),
            Fieldset("Monitoring", "monitoring"),
            Fieldset("Findings", "findings"),
            Fieldset("The next review", "next_review_on", "early_triggers"),
        )

    def clean_next_review_on(self):
        day = self.cleaned_data["next_review_on"]
        today = timezone.localdate()
        if day <= today:
            raise ValidationError("Give a date after today.")
        if day > one_year_on(today):
            raise ValidationError(
                f"The DfE standard asks for a review at least once a year: choose a date by {one_year_on(today):%-d %b %Y}."
            )
        return day

    def service_fields(self) -> dict:
        return {name: self.cleaned_data[name] for name in REVIEW_FIELDS}


class ActionForm(forms.Form):
    """One action the review agreed: what, who owns it (a role or a member of staff), by when, and when it was done."""

    id = forms.IntegerField(required=False, widget=forms.HiddenInput)
    text = forms.CharField(label="Action", max_length=300, required=False, widget=forms.TextInput(attrs=SMALL))
    owner = forms.CharField(label="Owner", max_length=200, required=False, widget=forms.TextInput(attrs=SMALL))
    due_on = forms.DateField(label="Due by", required=False, input_formats=DATE_FORMATS, widget=DatePickerInput(attrs=SMALL))
    done_on = forms.DateField(label="Done on", required=False, input_formats=DATE_FORMATS, widget=DatePickerInput(attrs=SMALL))

    def __init__(self, *args, actions: dict, **kwargs):
        super().__init__(*args, **kwargs)
        self.actions = actions  # the review's actions by id

    def clean_id(self):
        pk = self.cleaned_data["id"]
        if pk is not None and pk not in self.actions:
            raise ValidationError("This action is no longer in the review: reload the page.")
        return pk

    def clean(self):
        data = super().clean()
        if self.has_changed() and not data.get("DELETE") and not self.errors:
            for name, words in (("text", "Write the action."), ("owner", "Name its owner."), ("due_on", "Give a due date.")):
                if not data.get(name):
                    self.add_error(name, words)
        return data

    def row(self) -> ActionRow:
        data = self.cleaned_data
        action = self.actions.get(data.get("id"))
        blank = action is None and not self.has_changed()
        return ActionRow(
            action=action,
            text=data.get("text") or "",
            owner=data.get("owner") or "",
            due_on=data.get("due_on"),
            done_on=data.get("done_on"),
            delete=bool(data.get("DELETE")) or blank,
        )


class BaseActionFormSet(forms.BaseFormSet):
    """The review's actions, a row each, and blank rows for new ones."""

    def __init__(self, data=None, *, actions: list[AnnualReviewAction]):
        by_id = {action.pk: action for action in actions}
        super().__init__(
            data,
            prefix="actions",
            initial=[{"id": a.pk, "text": a.text, "owner": a.owner, "due_on": a.due_on, "done_on": a.done_on} for a in actions],
            form_kwargs={"actions": by_id},
        )

    def add_fields(self, form, index):
        super().add_fields(form, index)
        form.fields["DELETE"].label = "Remove"
        form.fields["DELETE"].widget.attrs["class"] = "form-check-input"

    def rows(self) -> list[ActionRow]:
        """Every row, in the formset's order (so that an error of row n is shown on row n); blank ones are dropped."""
        return [form.row() for form in self.forms]


ActionFormSet = forms.formset_factory(
    ActionForm, formset=BaseActionFormSet, extra=3, can_delete=True, max_num=100, validate_max=True
)
