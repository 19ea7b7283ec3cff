"""Search, filters and sorting for the consents lists (django-filter)."""

import django_filters
from django import forms
from django.db.models import Q

from consents.models import ConsentRound, ConsentType
from esafety.filters import SearchFilter
from esafety.models import AcademicYear, FormGroup, Pupil


class ConsentTypeFilter(django_filters.FilterSet):
    q = SearchFilter(label="Search", method="search", help_text="Title or wording")
    kind = django_filters.ChoiceFilter(label="What it is for", choices=ConsentType.Kind.choices, empty_label="Anything")
    answered_by = django_filters.ChoiceFilter(label="Who answers", choices=ConsentType.Answerer.choices, empty_label="Anyone")
    # "Any" rather than django-filter's "Unknown" for no choice.
    is_active = django_filters.BooleanFilter(
        label="In use", widget=forms.Select(choices=[("", "Any"), ("true", "In use"), ("false", "Not in use")])
    )
    sort = django_filters.OrderingFilter(
        label="Sort by",
        fields=(("order", "order"), ("title", "title"), ("kind", "kind")),
        field_labels={"order": "Order on the slip", "title": "Title", "kind": "What it is for"},
        empty_label="Order on the slip",
    )

    class Meta:
        model = ConsentType
        fields = ["q", "kind", "answered_by", "is_active"]

    def search(self, queryset, name, value):
        return queryset.filter(Q(title__icontains=value) | Q(current_wording__text__icontains=value))

    @property
    def qs(self):
        queryset = super().qs
        return queryset.order_by(*queryset.query.order_by, "order", "title", "pk")


class RoundFilter(django_filters.FilterSet):
    q = SearchFilter(label="Search", field_name="title", lookup_expr="icontains", help_text="Title")
    status = django_filters.ChoiceFilter(label="Status", choices=ConsentRound.Status.choices, empty_label="Any")
    academic_year = django_filters.ModelChoiceFilter(label="School year", queryset=AcademicYear.objects.all(), empty_label="Any")
    sort = django_filters.OrderingFilter(
        label="Sort by",
        fields=(("created_at", "created"), ("title", "title"), ("academic_year__start_year", "year")),
        field_labels={"created_at": "Created", "title": "Title", "academic_year__start_year": "School year"},
        empty_label="Newest first",
    )

    class Meta:
        model = ConsentRound
        fields = ["q", "status", "academic_year"]

    @property
    def qs(self):
        queryset = super().qs
        return queryset.order_by(*queryset.query.order_by, "-created_at", "pk")


class ChasingFilter(django_filters.FilterSet):
    q = SearchFilter(label="Search", method="search", help_text="Pupil's name or MIS id")
    form = django_filters.ModelChoiceFilter(label="Form", queryset=FormGroup.objects.none(), empty_label="Any")
    sort = django_filters.OrderingFilter(
        label="Sort by",
        fields=(("last_name", "name"), ("form__name", "form"), ("missing_count", "missing")),
        field_labels={"last_name": "Name", "form__name": "Form", "missing_count": "Answers missing"},
        empty_label="Form, then name",
    )

    class Meta:
        model = Pupil
        fields = ["q", "form"]

    def __init__(self, data=None, *args, school, **kwargs):
        super().__init__(data, *args, **kwargs)
        self.filters["form"].queryset = FormGroup.objects.for_school(school).active()

    def search(self, queryset, name, value):
        return queryset.search(value)

    @property
    def qs(self):
        queryset = super().qs
        return queryset.order_by(*queryset.query.order_by, "form__name", "last_name", "first_name", "pk")
