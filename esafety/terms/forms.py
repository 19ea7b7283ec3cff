"""The term-dates screen's forms: one academic year's three terms, its INSET days and closures, and an import."""

from datetime import date

from crispy_forms.helper import FormHelper
from crispy_forms.layout import Div, Fieldset, Layout
from django import forms

from esafety.models import SchoolClosure, SchoolTerm
from esafety.terms.calendar import TERM_ORDER, ClosureDates, SchoolYearDates, TermDates, uk_date
from esafety.terms.imports import ImportedTermDates
from esafety.terms.validation import closure_problems, outside_year_problem, term_problems

DATE_WIDGET = forms.DateInput(format="%d/%m/%Y", attrs={"placeholder": "dd/mm/yyyy", "inputmode": "numeric"})
TERM_FIELDS = ("starts_on", "ends_on", "half_term_starts_on", "half_term_ends_on")
FIELD_LABELS = {
    "starts_on": "First day of term",
    "ends_on": "Last day of term",
    "half_term_starts_on": "Half-term: first day off",
    "half_term_ends_on": "Half-term: last day off",
}


def _date_text(day: date | None) -> str:
    return uk_date(day) if day else ""


class TermDatesForm(forms.Form):
    """The three terms of one academic year, each with its half-term break: twelve dates, checked together."""

    def __init__(self, *args, start_year: int, **kwargs):
        super().__init__(*args, **kwargs)
        self.start_year = start_year
        fieldsets = []
        for name in TERM_ORDER:
            title = SchoolTerm.Name(name).label
            for field in TERM_FIELDS:
                self.fields[f"{name}_{field}"] = forms.DateField(
                    label=FIELD_LABELS[field],
                    widget=DATE_WIDGET,
                    error_messages={"required": f"Give the {title.lower()} term's {FIELD_LABELS[field].lower()} (dd/mm/yyyy)."},
                )
            fieldsets.append(
                Fieldset(
                    f"{title} term",
                    Div(*(Div(f"{name}_{field}", css_class="col-sm-6 col-lg-3") for field in TERM_FIELDS), css_class="row"),
                )
            )
        self.helper = FormHelper()
        self.helper.form_tag = False
        self.helper.disable_csrf = True  # the page's form has its token
        self.helper.layout = Layout(*fieldsets)

    @staticmethod
    def initial_for(year: SchoolYearDates) -> dict[str, date]:
        return {f"{term.name}_{field}": getattr(term, field) for term in year.terms for field in TERM_FIELDS}

    @staticmethod
    def data_for(values: dict[str, date]) -> dict[str, str]:
        """Form data as if typed: for showing an import filled in, and checked, before it is saved."""
        return {name: _date_text(day) for name, day in values.items()}

    def _terms_given(self) -> list[TermDates]:
        data = self.cleaned_data
        return [
            TermDates(name, *(data[f"{name}_{field}"] for field in TERM_FIELDS))
            for name in TERM_ORDER
            if all(data.get(f"{name}_{field}") for field in TERM_FIELDS)
        ]

    def clean(self):
        # Every date typed must be in the year, even in a term with another date missing or wrong.
        for name, day in list(self.cleaned_data.items()):
            if day and (message := outside_year_problem(self.start_year, day)):
                self.add_error(name, message)
        # Then each term whose dates are all there, and the order of the terms.
        for field, message in term_problems(self.start_year, self._terms_given()):
            if field in self.fields:
                self.add_error(field, message)
        return self.cleaned_data

    def terms(self) -> list[TermDates]:
        """The three terms, once the form is valid."""
        return self._terms_given()


class ClosureForm(forms.Form):
    """One INSET day or closure. A row left empty (or emptied) is no closure."""

    kind = forms.ChoiceField(label="Kind", choices=SchoolClosure.Kind.choices, required=False)
    starts_on = forms.DateField(label="First day closed", widget=DATE_WIDGET, required=False)
    ends_on = forms.DateField(
        label="Last day closed", widget=DATE_WIDGET, required=False, help_text="Leave empty for a single day."
    )
    description = forms.CharField(label="Description", max_length=200, required=False)

    def __init__(self, *args, start_year: int, **kwargs):
        super().__init__(*args, **kwargs)
        self.start_year = start_year
        # Drawn as a table row by the template, not by crispy: Bootstrap's classes go on the widgets.
        for name, field in self.fields.items():
            field.widget.attrs["class"] = "form-select form-select-sm" if name == "kind" else "form-control form-control-sm"

    def clean(self):
        data = self.cleaned_data
        if "starts_on" not in data or "ends_on" not in data:
            return data  # a date that could not be read: its own message says so
        if not data["starts_on"]:
            if data["ends_on"] or data.get("description"):
                self.add_error("starts_on", "Give the first day closed (dd/mm/yyyy), or empty the row.")
            return data
        data["ends_on"] = data["ends_on"] or data["starts_on"]
        data["kind"] = data.get("kind") or SchoolClosure.Kind.INSET
        for field, message in closure_problems(self.start_year, self.closure()):
            self.add_error(field, message)
        return data

    def closure(self) -> ClosureDates | None:
        data = self.cleaned_data
        if not data.get("starts_on"):
            return None
        return ClosureDates(data["kind"], data["starts_on"], data["ends_on"], data.get("description", ""))


class BaseClosureFormSet(forms.BaseFormSet):
    def __init__(self, *args, start_year: int, **kwargs):
        self.start_year = start_year
        super().__init__(*args, **kwargs)

    def get_form_kwargs(self, index):
        return {"start_year": self.start_year}

    def add_fields(self, form, index):
        super().add_fields(form, index)
        if "DELETE" in form.fields:
            form.fields["DELETE"].label = "Remove"
            form.fields["DELETE"].widget.attrs["class"] = "form-check-input"

    def closures(self) -> list[ClosureDates]:
        """The closures kept, once the formset is valid: rows neither empty nor ticked for removal."""
        return [
            closure
            for form in self.forms
            if not (self.can_delete and self._should_delete_form(form)) and (closure := form.closure()) is not None
        ]

    @staticmethod
    def initial_for(closures) -> list[dict]:
        return [{"kind": c.kind, "starts_on": c.starts_on, "ends_on": c.ends_on, "description": c.description} for c in closures]

    @classmethod
    def data_for(cls, closures, prefix: str = "closures", blank_rows: int = 2) -> dict[str, str]:
        """Formset data as if typed, with empty rows to add more."""
        data = {
            f"{prefix}-TOTAL_FORMS": str(len(closures) + blank_rows),
            f"{prefix}-INITIAL_FORMS": "0",
            f"{prefix}-MIN_NUM_FORMS": "0",
            f"{prefix}-MAX_NUM_FORMS": str(MAX_CLOSURES),
        }
        for index, closure in enumerate(closures):
            row = f"{prefix}-{index}-"
            data |= {
                row + "kind": closure.kind,
                row + "starts_on": _date_text(closure.starts_on),
                row + "ends_on": _date_text(closure.ends_on),
                row + "description": closure.description,
            }
        for index in range(len(closures), len(closures) + blank_rows):
            data[f"{prefix}-{index}-kind"] = SchoolClosure.Kind.INSET
        return data


MAX_CLOSURES = 60
ClosureFormSet = forms.formset_factory(
    ClosureForm,
    formset=BaseClosureFormSet,
    extra=2,
    can_delete=True,
    max_num=MAX_CLOSURES,
    validate_max=True,
)


class TermDatesImportForm(forms.Form):
    file = forms.FileField(
        label="CSV or iCalendar (.ics) file",
        help_text="A CSV with the columns kind, starts_on, ends_on, description, or your local authority's .ics calendar.",
    )


def imported_form_data(year: SchoolYearDates, found: ImportedTermDates) -> dict[str, str]:
    """
    The screen filled in from an import: the file's dates over those shown now (the school's, or the default
    pattern's), and the file's closures after those already entered (the same one twice is shown once).
    """
    values = TermDatesForm.initial_for(year) | found.fields
    closures = list(year.closures) + [c for c in found.closures if c not in year.closures]
    return TermDatesForm.data_for(values) | ClosureFormSet.data_for(list(dict.fromkeys(closures)))
