"""The governors' report's forms: the year to build, the lead's summary, two versions to compare, the threshold."""

from django import forms

from reports.services import NARRATIVE_LONGEST


class AcademicYearField(forms.ModelChoiceField):
    def label_from_instance(self, year):
        return str(year)


class BuildForm(forms.Form):
    year = AcademicYearField(
        label="Academic year",
        queryset=None,
        empty_label=None,
        help_text="Usually the year just ended. This year's report has the figures so far.",
    )

    def __init__(self, *args, years, **kwargs):
        super().__init__(*args, **kwargs)
        field = self.fields["year"]
        field.queryset = years
        # Read once for the list (a model choice field reads its queryset each time it is drawn); checked against it.
        field.choices = [(year.pk, str(year)) for year in years]


class NarrativeForm(forms.Form):
    narrative = forms.CharField(
        label="Your summary for governors",
        required=False,
        max_length=NARRATIVE_LONGEST,
        widget=forms.Textarea(attrs={"rows": 12}),
        help_text="A few paragraphs: what the figures show, what went well, what the school will do next. "
        "Name no pupil and no member of staff. A blank line starts a new paragraph.",
    )


class ReportField(forms.ModelChoiceField):
    def label_from_instance(self, report):
        return f"{report.academic_year} – version {report.version} ({report.get_status_display().lower()})"


class CompareForm(forms.Form):
    """Two versions with figures, chosen on the page or named in the address (`?first=<id>&second=<id>`)."""

    first = ReportField(label="First report", queryset=None)
    second = ReportField(label="Second report", queryset=None)

    def __init__(self, *args, reports, **kwargs):
        super().__init__(*args, **kwargs)
        # The reports are read once for both lists; a choice made is checked against them.
        choices = [("", "---------")]
        for name in ("first", "second"):
            field = self.fields[name]
            field.queryset = reports
            if len(choices) == 1:
                choices.extend((report.pk, field.label_from_instance(report)) for report in reports)
            field.choices = choices

    def clean(self):
        cleaned = super().clean()
        first, second = cleaned.get("first"), cleaned.get("second")
        if first is not None and first == second:
            self.add_error("second", "Choose a different report to compare with the first.")
        return cleaned

    def names_unknown_report(self) -> bool:
        """Whether an id given is not one of the reports the reader may compare (another school's, a draft, nonsense)."""
        unknown = {"invalid_choice", "invalid"}  # not one of them; not even an id
        return any(error.code in unknown for name in ("first", "second") for error in self.errors.as_data().get(name, []))


class ReportSettingsForm(forms.Form):
    threshold = forms.IntegerField(
        label="Show counts below this as \u201cfewer than\u201d",
        min_value=2,
        max_value=20,
        help_text="From 2 to 20. Any count from 1 to one less than this shows as \u201cfewer than\u201d it, so that no "
        "child can be identified; totals that would reveal such a count are hidden too. It applies to reports built "
        "from now on.",
    )
