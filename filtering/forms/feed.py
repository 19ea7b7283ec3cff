"""The allowlist feed the filter appliance pulls, its token, and the school's filtering settings and groups."""

from django import forms
from django.core.validators import MaxValueValidator, MinValueValidator

from filtering.models import FilterGroup, FilterSettings, SiteCategory


class FeedRotateForm(forms.Form):
    confirm = forms.BooleanField(
        label="I will put the new addresses into the filter appliance straight away",
        error_messages={"required": "Tick the box to say you will update the appliance: until you do, it cannot read the feed."},
    )


class FilterSettingsForm(forms.ModelForm):
    class Meta:
        model = FilterSettings
        fields = ["notice_school_days", "longest_period_days", "review_interval"]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        notice = self.fields["notice_school_days"]
        notice.validators += [MaxValueValidator(30, "Ask for at most 30 school days' notice (six weeks).")]
        notice.widget.attrs.update(min=0, max=30)
        period = self.fields["longest_period_days"]
        period.validators += [
            MinValueValidator(1, "Sites must be open for at least one day."),
            MaxValueValidator(366, "A request may keep sites open for at most a year (366 days)."),
        ]
        period.widget.attrs.update(min=1, max=366)


class _SchoolRowForm(forms.ModelForm):
    """
    A row of one of the school's lists, shown as a table row (Bootstrap classes on its inputs, marked invalid
    beside a message); a new row belongs to the school before it is checked.
    """

    def __init__(self, *args, school, **kwargs):
        super().__init__(*args, **kwargs)
        if self.instance.pk is None:
            self.instance.school = school
        for field in self.fields.values():
            widget = field.widget
            if isinstance(widget, forms.CheckboxInput):
                widget.attrs["class"] = "form-check-input"
            elif isinstance(widget, forms.Select):
                widget.attrs["class"] = "form-select form-select-sm"
            else:
                widget.attrs["class"] = "form-control form-control-sm"

    # What must be typed for a blank row to count as a new one (a box ticked by default does not).
    typed_fields: tuple[str, ...] = ("name",)

    def has_changed(self):
        if self.instance.pk is None:
            return any(str(self.data.get(self.add_prefix(name), "")).strip() for name in self.typed_fields)
        return super().has_changed()

    def add_error(self, field, error):
        super().add_error(field, error)
        for name in self.errors:
            # Hidden fields (the row's id) have no class: an error on them is shown with the row's others.
            attrs = self.fields[name].widget.attrs if name in self.fields else None
            if attrs is not None and "is-invalid" not in attrs.get("class", ""):
                attrs["class"] = f"{attrs.get('class', '')} is-invalid".strip()


class FilterGroupForm(_SchoolRowForm):
    typed_fields = ("name", "appliance_name")

    class Meta:
        model = FilterGroup
        fields = ["name", "appliance_name", "kind", "is_active"]
        help_texts = {"appliance_name": "Letters, numbers and hyphens, e.g. pupils-ks3; also ends its feed's address."}

    def clean_name(self):
        return self.cleaned_data["name"].strip()


class SiteCategoryForm(_SchoolRowForm):
    typed_fields = ("name", "reason")

    class Meta:
        model = SiteCategory
        fields = ["name", "never_open", "reason"]
        help_texts = {"never_open": "", "reason": ""}

    def clean_name(self):
        return self.cleaned_data["name"].strip()

    def clean(self):
        cleaned = super().clean()
        if cleaned.get("never_open") and not (cleaned.get("reason") or "").strip():
            self.add_error("reason", "Say why sites of this kind are never opened: staff who ask for one are shown it.")
        return cleaned


class _SchoolRowsFormSet(forms.BaseModelFormSet):
    """Every row of the school's list and blank rows to add one; names must differ (case aside)."""

    unique = ("name",)

    def __init__(self, *args, school, **kwargs):
        self.school = school
        kwargs.setdefault("form_kwargs", {})["school"] = school
        super().__init__(*args, **kwargs)

    def clean(self):
        super().clean()
        for field in self.unique:
            seen = {}
            for form in self.forms:
                if form.instance.pk is None and not form.has_changed():
                    continue  # a blank row to add one, left blank
                value = (form.cleaned_data.get(field) if hasattr(form, "cleaned_data") else None) or ""
                key = str(value).strip().casefold()
                if not key:
                    continue
                if key in seen:
                    label = form.fields[field].label.lower()
                    form.add_error(field, f"Another row has this {label}: give each its own.")
                seen[key] = form

    def changed_rows(self):
        """The new and changed rows, unsaved, for the service."""
        return [form.instance for form in self.forms if form.has_changed()]


class _FilterGroupFormSet(_SchoolRowsFormSet):
    unique = ("name", "appliance_name")


FilterGroupFormSet = forms.modelformset_factory(
    FilterGroup, form=FilterGroupForm, formset=_FilterGroupFormSet, extra=1, max_num=100, absolute_max=100
)
SiteCategoryFormSet = forms.modelformset_factory(
    SiteCategory, form=SiteCategoryForm, formset=_SchoolRowsFormSet, extra=1, max_num=100, absolute_max=100
)
