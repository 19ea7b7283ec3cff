"""Search, filters and sorting for the lists of the shared core (django-filter)."""

import django_filters
from django import forms

from esafety.calendar import KeyStage
from esafety.models import AccessLogEntry, FormGroup, Pupil, StaffMember, YearGroup

SEARCH_MAX_LENGTH = 200


class SearchFilter(django_filters.CharFilter):
    """
    A list's search box. At most SEARCH_MAX_LENGTH characters: nobody's name or reference is longer, and SQLite
    refuses a LIKE pattern of over 50,000 bytes. Like every CharField it refuses NUL, which PostgreSQL can
    neither store nor compare. A search refused is shown on the filter form; the list is then not searched.
    """

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("max_length", SEARCH_MAX_LENGTH)
        super().__init__(*args, **kwargs)


class PupilFilter(django_filters.FilterSet):
    q = SearchFilter(label="Search", method="search", help_text="Name or MIS id")
    key_stage = django_filters.ChoiceFilter(label="Key stage", choices=KeyStage.choices, method="in_key_stage", empty_label="Any")
    year_group = django_filters.ModelChoiceFilter(label="Year group", queryset=YearGroup.objects.none(), empty_label="Any")
    form = django_filters.ModelChoiceFilter(label="Form", queryset=FormGroup.objects.none(), empty_label="Any")
    leavers = django_filters.BooleanFilter(label="Include leavers", method="include_leavers", widget=forms.CheckboxInput)
    additional_needs = django_filters.BooleanFilter(
        label="Additional needs only", method="only_additional_needs", widget=forms.CheckboxInput
    )
    sort = django_filters.OrderingFilter(
        label="Sort by",
        fields=(("last_name", "name"), ("year_group__ncy", "year"), ("form__name", "form"), ("date_of_birth", "dob")),
        field_labels={
            "last_name": "Name",
            "year_group__ncy": "Year group",
            "form__name": "Form",
            "date_of_birth": "Date of birth",
        },
        empty_label="Name",
    )

    class Meta:
        model = Pupil
        fields = ["q", "key_stage", "year_group", "form", "leavers", "additional_needs"]

    def __init__(self, data=None, *args, school, may_see_flag: bool, **kwargs):
        super().__init__(data, *args, **kwargs)
        if not may_see_flag:
            # Otherwise filtering would reveal the flag to those who may not see it.
            del self.filters["additional_needs"]
        self.filters["year_group"].queryset = YearGroup.objects.for_school(school)
        self.filters["form"].queryset = FormGroup.objects.for_school(school).active()

    @property
    def qs(self):
        queryset = super().qs
        if not getattr(self.form, "cleaned_data", {}).get("leavers"):
            queryset = queryset.current()
        return queryset.order_by(*queryset.query.order_by, "last_name", "first_name", "pk")

    def search(self, queryset, name, value):
        return queryset.search(value)

    def in_key_stage(self, queryset, name, value):
        low, high = KeyStage.ncy_range(value)
        return queryset.filter(year_group__ncy__gte=low, year_group__ncy__lte=high)

    def include_leavers(self, queryset, name, value):
        return queryset  # applied in `qs`, because leaving out leavers is the default

    def only_additional_needs(self, queryset, name, value):
        return queryset.filter(additional_needs=True) if value else queryset


class StaffFilter(django_filters.FilterSet):
    q = SearchFilter(label="Search", method="search", help_text="Name or staff code")
    leavers = django_filters.BooleanFilter(label="Include leavers", method="include_leavers", widget=forms.CheckboxInput)
    sort = django_filters.OrderingFilter(
        label="Sort by",
        fields=(("last_name", "name"), ("job_title", "role"), ("start_date", "start")),
        field_labels={"last_name": "Name", "job_title": "Job title", "start_date": "Start date"},
        empty_label="Name",
    )

    class Meta:
        model = StaffMember
        fields = ["q", "leavers"]

    @property
    def qs(self):
        queryset = super().qs
        if not getattr(self.form, "cleaned_data", {}).get("leavers"):
            queryset = queryset.current()
        return queryset.order_by(*queryset.query.order_by, "last_name", "first_name", "pk")

    def search(self, queryset, name, value):
        return queryset.search(value)

    def include_leavers(self, queryset, name, value):
        return queryset


class AccessLogFilter(django_filters.FilterSet):
    kind = django_filters.ChoiceFilter(label="What", choices=AccessLogEntry.Kind.choices, empty_label="Anything")
    since = django_filters.DateFilter(
        label="From", field_name="at", lookup_expr="date__gte", input_formats=["%d/%m/%Y", "%Y-%m-%d"]
    )
    until = django_filters.DateFilter(
        label="To", field_name="at", lookup_expr="date__lte", input_formats=["%d/%m/%Y", "%Y-%m-%d"]
    )
    q = SearchFilter(label="Search", method="search", help_text="Name or details")

    class Meta:
        model = AccessLogEntry
        fields = ["kind", "since", "until", "q"]

    def search(self, queryset, name, value):
        return queryset.filter(summary__icontains=value) | queryset.filter(actor__full_name__icontains=value)
