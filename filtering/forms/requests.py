"""Requests to open sites: asking, the head teacher's and IT's decisions, applying, ending, the queues and the register."""

from django import forms
from django.core.exceptions import ValidationError

from esafety.forms import RecordsField
from esafety.models import FormGroup
from filtering.models import FilterGroup, SiteCategory
from filtering.sites import normalise_sites
from incidents.filters import DATE_FORMATS, DateInput


class RequestForm(forms.Form):
    sites = forms.CharField(
        label="Sites to open",
        widget=forms.Textarea(attrs={"rows": 4, "autocapitalize": "none", "spellcheck": "false"}),
        help_text="One on each line: a domain (www.example.org), *.example.org for a domain and all its subdomains, "
        "or an exact address (https://example.org/page).",
    )
    subdomains = forms.BooleanField(
        label="Open the subdomains of each domain too", required=False, help_text="For example images.example.org."
    )
    category = forms.ModelChoiceField(label="Kind of site", queryset=SiteCategory.objects.none(), empty_label="Choose…")
    purpose = forms.CharField(
        label="Lesson or purpose",
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text="The educational reason: the lesson, the class and what the pupils will use the sites for.",
        max_length=2000,
    )
    groups = RecordsField(
        label="For which filter groups",
        queryset=FilterGroup.objects.none(),
        widget=forms.CheckboxSelectMultiple,
        error_messages={"required": "Choose at least one filter group."},
    )
    form_groups = RecordsField(
        label="Forms (optional)",
        queryset=FormGroup.objects.none(),
        required=False,
        widget=forms.SelectMultiple(attrs={"size": 6}),
        help_text="Which forms the lesson is for, if it is for some only.",
    )
    starts_on = forms.DateField(label="Open from", input_formats=DATE_FORMATS, widget=DateInput())
    ends_on = forms.DateField(
        label="Open until", input_formats=DATE_FORMATS, widget=DateInput(), help_text="The last day of the period of study."
    )

    def __init__(self, *args, school, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["category"].queryset = SiteCategory.objects.for_school(school)
        self.fields["groups"].queryset = FilterGroup.objects.for_school(school).filter(is_active=True)
        self.fields["form_groups"].queryset = FormGroup.objects.for_school(school).active().select_related("year_group")

    def clean(self):
        cleaned = super().clean()
        if "sites" in cleaned:
            try:
                cleaned["site_list"] = normalise_sites(cleaned["sites"], subdomains=cleaned.get("subdomains", False))
            except ValidationError as error:
                self.add_error("sites", error)
        return cleaned


class HeadDecisionForm(forms.Form):
    decision = forms.ChoiceField(
        label="Your decision",
        choices=[("approve", "Sign it off"), ("decline", "Decline it")],
        widget=forms.RadioSelect,
    )
    note = forms.CharField(
        label="Note", required=False, widget=forms.Textarea(attrs={"rows": 2}), help_text="Needed when you decline it."
    )
    late_reason = forms.CharField(
        label="Why it is accepted late",
        required=False,
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text="This request gives less notice than the school asks for.",
    )

    def __init__(self, *args, late: bool, **kwargs):
        super().__init__(*args, **kwargs)
        if not late:
            del self.fields["late_reason"]


class ITDecisionForm(forms.Form):
    decision = forms.ChoiceField(
        label="Your decision",
        choices=[("approve", "Approve it"), ("decline", "Decline it")],
        widget=forms.RadioSelect,
    )
    note = forms.CharField(
        label="Note",
        required=False,
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text="Security, safety or the effect on the school's systems: needed when you decline it.",
    )


class EndForm(forms.Form):
    reason = forms.CharField(label="Why", widget=forms.Textarea(attrs={"rows": 2}), max_length=2000)

    def __init__(self, *args, required: bool = True, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["reason"].required = required
