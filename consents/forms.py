"""Forms of consents: they validate and convert; services save."""

from calendar import month_name
from datetime import date

from crispy_forms.helper import FormHelper
from django import forms
from django.utils import timezone

from consents.models import ConsentAnswer, ConsentRound, ConsentSettings, ConsentType
from consents.selectors import applies_to
from consents.services import GridRow
from esafety.calendar import KeyStage
from esafety.filters import SEARCH_MAX_LENGTH
from esafety.forms import RecordsField
from esafety.models import AcademicYear, FormGroup, ParentCarer, YearGroup

DATE_WIDGET = forms.DateInput(format="%d/%m/%Y", attrs={"placeholder": "dd/mm/yyyy", "inputmode": "numeric"})
DATE_HELP = "dd/mm/yyyy"


class _NoFormTag(forms.Form):
    """Crispy renders the fields; the template writes the <form> tag and the button."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.helper = FormHelper()
        self.helper.form_tag = False


class ConsentTypeForm(forms.ModelForm):
    text = forms.CharField(
        label="Wording",
        widget=forms.Textarea(attrs={"rows": 6}),
        help_text="What is read before answering, in plain English. Changing it makes a new version: "
        "answers already given stay with the version they answered.",
    )
    key_stages = forms.MultipleChoiceField(
        label="Key stages", choices=KeyStage.choices, required=False, widget=forms.CheckboxSelectMultiple
    )

    class Meta:
        model = ConsentType
        fields = [
            "title",
            "kind",
            "answered_by",
            "key_stages",
            "year_groups",
            "duration",
            "valid_until",
            "missing_means_no",
            "is_active",
            "order",
        ]
        widgets = {"year_groups": forms.CheckboxSelectMultiple, "valid_until": DATE_WIDGET}
        field_classes = {"year_groups": RecordsField}
        help_texts = {"year_groups": "It applies to pupils in any chosen key stage or year group. Choose none for every pupil."}

    def __init__(self, *args, school, **kwargs):
        super().__init__(*args, **kwargs)
        self.school = school
        self.fields["year_groups"].queryset = YearGroup.objects.for_school(school)
        self.fields["year_groups"].required = False
        self.fields["valid_until"].input_formats = ["%d/%m/%Y", "%Y-%m-%d"]
        if self.instance.pk and self.instance.current_wording:
            self.fields["text"].initial = self.instance.current_wording.text
        self.helper = FormHelper()
        self.helper.form_tag = False

    def clean(self):
        data = super().clean()
        kind = data.get("kind")
        if kind in ConsentType.Kind.image_uses() and not data.get("missing_means_no"):
            self.add_error("missing_means_no", "For photos and publication, no answer always counts as no.")
        if data.get("duration") == ConsentType.Duration.UNTIL_DATE and not data.get("valid_until"):
            self.add_error("valid_until", "Give the date answers last until.")
        if kind and kind != ConsentType.Kind.OTHER and data.get("is_active"):
            clash = ConsentType.objects.for_school(self.school).active().filter(kind=kind).exclude(pk=self.instance.pk).first()
            if clash:
                self.add_error("kind", f"“{clash}” is already in use for this. Switch it off first, or choose “Something else”.")
        return data

    def service_fields(self) -> dict:
        data = self.cleaned_data
        fields = {name: data[name] for name in self.Meta.fields if name != "year_groups"}
        return {**fields, "text": data["text"], "year_groups": list(data["year_groups"])}


class ConsentSettingsForm(forms.ModelForm):
    # As the database's constraint; SQLite gives no limit of its own, and a day past a C long overflows `date()`.
    renewal_day = forms.IntegerField(label="Renewal day", min_value=1, max_value=31, initial=1)
    renewal_month = forms.TypedChoiceField(
        label="Renewal month", coerce=int, choices=[(m, month_name[m]) for m in range(1, 13)], initial=9
    )

    class Meta:
        model = ConsentSettings
        fields = ["renewal_day", "renewal_month", "leaver_retention_years"]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.helper = FormHelper()
        self.helper.form_tag = False

    def clean(self):
        data = super().clean()
        day, month = data.get("renewal_day"), data.get("renewal_month")
        if day and month:
            try:
                date(2001, month, day)
            except ValueError:
                self.add_error("renewal_day", f"{month_name[month]} has no day {day}.")
        return data


class RoundForm(forms.ModelForm):
    class Meta:
        model = ConsentRound
        fields = ["title", "academic_year", "consent_types", "forms", "year_groups"]
        widgets = {
            "consent_types": forms.CheckboxSelectMultiple,
            "forms": forms.CheckboxSelectMultiple,
            "year_groups": forms.CheckboxSelectMultiple,
        }
        field_classes = {"consent_types": RecordsField, "forms": RecordsField, "year_groups": RecordsField}

    def __init__(self, *args, school, **kwargs):
        super().__init__(*args, **kwargs)
        this_year = AcademicYear.objects.current()
        next_year = AcademicYear.objects.for_date(this_year.ends_on.replace(day=1, month=9))
        self.fields["academic_year"].queryset = AcademicYear.objects.filter(pk__in=[this_year.pk, next_year.pk])
        self.fields["academic_year"].initial = this_year.pk
        self.fields["academic_year"].empty_label = None
        self.fields["consent_types"].queryset = ConsentType.objects.for_school(school).active().for_pupils()
        self.fields["forms"].queryset = FormGroup.objects.for_school(school).active().select_related("year_group")
        self.fields["year_groups"].queryset = YearGroup.objects.for_school(school)
        self.fields["forms"].required = self.fields["year_groups"].required = False
        self.helper = FormHelper()
        self.helper.form_tag = False

    def service_fields(self) -> dict:
        data = self.cleaned_data
        return {
            "title": data["title"],
            "academic_year": data["academic_year"],
            **{name: list(data[name]) for name in ("consent_types", "forms", "year_groups")},
        }


class SlipCodeForm(forms.Form):
    code = forms.CharField(
        label="Slip code",
        max_length=20,
        help_text="Type the code printed on the slip (e.g. K7PX-29QM), or scan its QR code.",
        widget=forms.TextInput(attrs={"autocomplete": "off", "autocapitalize": "characters", "spellcheck": "false"}),
    )


def _contact_field(pupil, label="Given by"):
    return forms.ModelChoiceField(
        label=label,
        queryset=ParentCarer.objects.filter(pupil_links__pupil=pupil).order_by("pupil_links__priority"),
        required=False,
        empty_label="Not known / not on record",
    )


ANSWER_CHOICES = [("", "Not answered"), ("yes", "Yes"), ("no", "No")]


def answer_value(text: str) -> bool | None:
    return {"yes": True, "no": False}.get(text)


class SlipReturnForm(_NoFormTag):
    """The answers ticked on one returned slip."""

    def __init__(self, *args, slip, types, **kwargs):
        super().__init__(*args, **kwargs)
        self.types = types
        for consent_type in types:
            self.fields[f"answer_{consent_type.pk}"] = forms.ChoiceField(
                label=consent_type.title, choices=ANSWER_CHOICES, required=False, widget=forms.RadioSelect
            )
        self.fields["given_by"] = _contact_field(slip.pupil, "Signed by (parent or carer)")
        self.fields["given_by_pupil"] = forms.BooleanField(label="The pupil signed too", required=False)
        self.fields["method"] = forms.ChoiceField(
            label="How", choices=ConsentAnswer.Method.choices, initial=ConsentAnswer.Method.PAPER
        )
        self.fields["signed_on"] = forms.DateField(
            label="Date signed", widget=DATE_WIDGET, help_text=DATE_HELP, initial=timezone.localdate
        )

    def clean(self):
        data = super().clean()
        if not any(data.get(f"answer_{t.pk}") for t in self.types):
            raise forms.ValidationError("Tick yes or no for at least one consent on the slip.")
        return data

    def answers(self) -> dict:
        return {t: answer_value(self.cleaned_data.get(f"answer_{t.pk}", "")) for t in self.types}


class GridForm(forms.Form):
    """
    A form's grid: one row a pupil, one column a consent (a choice only where the consent applies to the
    pupil's year group). Only rows with something chosen are recorded.
    """

    method = forms.ChoiceField(label="How", choices=ConsentAnswer.Method.choices, initial=ConsentAnswer.Method.PAPER)
    signed_on = forms.DateField(label="Date signed", widget=DATE_WIDGET, help_text=DATE_HELP, initial=timezone.localdate)

    def __init__(self, *args, rows, types, contacts, applicable, **kwargs):
        """`contacts`: each pupil's parents and carers, (contact, relationship); `applicable`: as `applicable_year_groups`."""
        super().__init__(*args, **kwargs)
        self.rows, self.types = rows, types
        self.contacts = {pupil_id: {str(c.pk): c for c, _ in links} for pupil_id, links in contacts.items()}
        self.fields["method"].widget.attrs["class"] = "form-select"
        self.fields["signed_on"].widget.attrs.update({"class": "form-control", "aria-describedby": "signed-on-help"})
        for pupil in rows:
            for consent_type in types:
                if applies_to(applicable[consent_type.pk], pupil):
                    self.fields[f"p{pupil.pk}_t{consent_type.pk}"] = forms.ChoiceField(
                        label=f"{consent_type.title} for {pupil.full_name}", choices=ANSWER_CHOICES, required=False
                    )
            choices = [("", "Not known")] + [(str(c.pk), f"{c} ({rel})") for c, rel in contacts.get(pupil.pk, [])]
            self.fields[f"p{pupil.pk}_by"] = forms.ChoiceField(
                label=f"Signed by, for {pupil.full_name}", choices=choices, required=False
            )

    def clean_signed_on(self):
        value = self.cleaned_data["signed_on"]
        if value > timezone.localdate():
            raise forms.ValidationError("The date signed cannot be in the future.")
        return value

    def answered_rows(self) -> list[GridRow]:
        """The rows with an answer chosen: {consent type: yes or no} and who signed."""
        rows = []
        for pupil in self.rows:
            answers = {t: answer_value(self.cleaned_data.get(f"p{pupil.pk}_t{t.pk}", "")) for t in self.types}
            answers = {t: agreed for t, agreed in answers.items() if agreed is not None}
            if answers:
                given_by = self.contacts.get(pupil.pk, {}).get(self.cleaned_data.get(f"p{pupil.pk}_by"))
                rows.append(GridRow(pupil=pupil, answers=answers, given_by=given_by))
        return rows

    def grid(self):
        """
        Row by row for the template: the pupil; for each consent its field (None where it does not apply) and
        whether an answer is in already; the field of who signed.
        """
        grid = []
        for pupil in self.rows:
            cells = []
            for consent_type in self.types:
                name = f"p{pupil.pk}_t{consent_type.pk}"
                answered = not getattr(pupil, f"missing_{consent_type.pk}")
                cells.append((consent_type, self[name] if name in self.fields else None, answered))
            grid.append((pupil, cells, self[f"p{pupil.pk}_by"]))
        return grid


class AnswerRecordForm(_NoFormTag):
    """An answer given outside a slip: in person, by phone or by e-mail."""

    consent_type = forms.ModelChoiceField(label="Consent", queryset=ConsentType.objects.none())
    agreed = forms.TypedChoiceField(
        label="Answer", choices=[("yes", "Yes"), ("no", "No")], coerce=lambda v: v == "yes", widget=forms.RadioSelect
    )
    method = forms.ChoiceField(label="How", choices=ConsentAnswer.Method.choices, initial=ConsentAnswer.Method.PHONE)
    signed_on = forms.DateField(label="Date given", widget=DATE_WIDGET, help_text=DATE_HELP, initial=timezone.localdate)

    def __init__(self, *args, pupil, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["consent_type"].queryset = (
            ConsentType.objects.for_school(pupil.school).active().for_pupils().filter(current_wording__isnull=False)
        )
        self.fields["given_by"] = _contact_field(pupil)


class WithdrawForm(_NoFormTag):
    withdrawn_on = forms.DateField(label="Withdrawn on", widget=DATE_WIDGET, help_text=DATE_HELP, initial=timezone.localdate)
    note = forms.CharField(label="Note", max_length=300, required=False, help_text="E.g. how the parent told us.")

    def __init__(self, *args, pupil, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["withdrawn_by"] = _contact_field(pupil, "Withdrawn by")
        self.order_fields(["withdrawn_on", "withdrawn_by", "note"])


class SlipBatchForm(_NoFormTag):
    only_missing = forms.TypedChoiceField(
        label="Which pupils",
        choices=[("1", "Only pupils with answers still missing"), ("0", "Every pupil")],
        coerce=lambda v: v == "1",
        initial="1",
        widget=forms.RadioSelect,
    )
    per_page = forms.TypedChoiceField(
        label="Slips a page",
        choices=[("1", "One"), ("2", "Two (cut in half)")],
        coerce=int,
        initial="1",
        widget=forms.RadioSelect,
    )


class PhotoCheckForm(forms.Form):
    form = forms.ModelChoiceField(label="Form", queryset=FormGroup.objects.none(), required=False, empty_label="Any")
    year_group = forms.ModelChoiceField(label="Year group", queryset=YearGroup.objects.none(), required=False, empty_label="Any")
    q = forms.CharField(
        # A class's names at most: anything longer is no list of names (and SQLite refuses a word of 50,000 bytes).
        label="Pupils by name",
        required=False,
        max_length=SEARCH_MAX_LENGTH * 10,
        help_text="One or more names, separated by commas",
    )

    def __init__(self, *args, school, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["form"].queryset = FormGroup.objects.for_school(school).active().select_related("year_group")
        self.fields["year_group"].queryset = YearGroup.objects.for_school(school)
        self.fields["form"].widget.attrs["class"] = self.fields["year_group"].widget.attrs["class"] = "form-select"
        self.fields["q"].widget.attrs.update({"class": "form-control", "aria-describedby": "id_q-help"})

    @property
    def is_chosen(self) -> bool:
        return self.is_valid() and any(self.cleaned_data.get(name) for name in ("form", "year_group", "q"))


class StaffAgreementForm(forms.Form):
    accept = forms.BooleanField(label="I have read this agreement and I will keep to it.", required=True)
