"""Search, filters and sorting of the incident list and its CSV export (django-filter)."""

import re
from datetime import date, datetime, timedelta

import django_filters
from django import forms
from django.core.exceptions import ValidationError
from django.db.models import Case, Exists, IntegerField, OuterRef, Q, Value, When
from django.utils import timezone

from esafety.filters import SearchFilter
from esafety.models import Pupil, StaffMember, YearGroup
from incidents.models import Incident, IncidentCategory, IncidentPerson

DATE_FORMATS = ["%Y-%m-%d", "%d/%m/%Y"]
# The days the filters take: "To" counts up to the start of the next day, which the last date (31/12/9999) has not.
FIRST_DAY, LAST_DAY = date(1900, 1, 1), date(2100, 12, 31)
# "INC-00042", "inc-42" or "42": a search for an incident by its reference.
REFERENCE = re.compile(r"^(?:inc-?)?0*(\d{1,9})$", re.IGNORECASE)


def with_severity_rank(incidents):
    """Immediate risk first: severity as a number that sorts from the most serious."""
    ranks = {Incident.Severity.IMMEDIATE: 0, Incident.Severity.HIGH: 1, Incident.Severity.MEDIUM: 2, Incident.Severity.LOW: 3}
    return incidents.annotate(
        severity_rank=Case(*(When(severity=s, then=Value(r)) for s, r in ranks.items()), output_field=IntegerField())
    )


def _start_of(day: date) -> datetime:
    return timezone.make_aware(datetime.combine(day, datetime.min.time()))


def _in_range(day: date) -> None:
    if not FIRST_DAY <= day <= LAST_DAY:
        raise ValidationError(f"Give a date between {FIRST_DAY:%d/%m/%Y} and {LAST_DAY:%d/%m/%Y}.", code="out_of_range")


class DateInput(forms.DateInput):
    input_type = "date"

    def __init__(self):
        super().__init__(format="%Y-%m-%d")


class IncidentFilter(django_filters.FilterSet):
    q = SearchFilter(label="Search", method="search", help_text="Reference, what happened or a name")
    since = django_filters.DateFilter(
        label="From", method="from_day", input_formats=DATE_FORMATS, widget=DateInput(), validators=[_in_range]
    )
    until = django_filters.DateFilter(
        label="To", method="to_day", input_formats=DATE_FORMATS, widget=DateInput(), validators=[_in_range]
    )
    category = django_filters.ModelChoiceFilter(label="Category", queryset=IncidentCategory.objects.none(), empty_label="Any")
    year_group = django_filters.ModelChoiceFilter(
        label="Year group of a pupil", queryset=YearGroup.objects.none(), method="with_pupil_in_year", empty_label="Any"
    )
    status = django_filters.ChoiceFilter(label="Status", choices=Incident.Status.choices, empty_label="Any")
    severity = django_filters.ChoiceFilter(label="Severity", choices=Incident.Severity.choices, empty_label="Any")
    location = django_filters.ChoiceFilter(label="Where", choices=Incident.Location.choices, empty_label="Anywhere")
    handler = django_filters.ChoiceFilter(
        label="Handled by",
        choices=[("nobody", "Nobody yet"), ("me", "Me")],
        method="handled_by",
        empty_label="Anyone",
    )
    sort = django_filters.OrderingFilter(
        label="Sort by",
        fields=(
            ("number", "number"),
            ("occurred_at", "when"),
            ("category__name", "category"),
            ("severity_rank", "severity"),
            ("status", "status"),
        ),
        empty_label="Newest first",
    )

    class Meta:
        model = Incident
        fields = ["q", "since", "until", "category", "year_group", "status", "severity", "location", "handler"]

    def __init__(self, data=None, *args, school, user, **kwargs):
        super().__init__(data, *args, **kwargs)
        self.school, self.user = school, user
        self.filters["category"].queryset = IncidentCategory.objects.for_school(school).order_by("order", "name")
        self.filters["year_group"].queryset = YearGroup.objects.for_school(school)

    @property
    def qs(self):
        queryset = super().qs
        # A sort by severity "ascending" means the most serious first; ties newest first.
        return queryset.order_by(*queryset.query.order_by, "-occurred_at", "-number")

    def filter_queryset(self, queryset):
        return super().filter_queryset(with_severity_rank(queryset))

    def search(self, queryset, name, value):
        words = value.split()
        if not words:
            return queryset
        match = REFERENCE.match(value.strip())
        by_number = Q(number=int(match.group(1))) if match else Q(pk__in=[])
        text = Q()
        for word in words:
            # The school's pupils and staff of that name first (small tables), then their incidents by index.
            pupils = Pupil.objects.for_school(self.school).filter(
                Q(first_name__icontains=word) | Q(preferred_name__icontains=word) | Q(last_name__icontains=word)
            )
            staff = StaffMember.objects.for_school(self.school).filter(
                Q(first_name__icontains=word) | Q(last_name__icontains=word)
            )
            # Each branch its own subquery, so that PostgreSQL answers each from an index (the trigram indexes of
            # incidents migration 0003 for free text) instead of testing every incident and every person.
            described = Incident.objects.for_school(self.school).filter(description__icontains=word).values("pk")
            text &= (
                Q(pk__in=described)
                | Q(pk__in=IncidentPerson.objects.filter(pupil__in=pupils.values("pk")).values("incident_id"))
                | Q(pk__in=IncidentPerson.objects.filter(staff__in=staff.values("pk")).values("incident_id"))
                | Q(pk__in=IncidentPerson.objects.filter(outsider__icontains=word).values("incident_id"))
            )
        return queryset.filter(by_number | text)

    # Whole days in the school's time zone, as a range on the indexed time (not a cast of every row to a date).
    def from_day(self, queryset, name, value):
        return queryset.filter(occurred_at__gte=_start_of(value))

    def to_day(self, queryset, name, value):
        return queryset.filter(occurred_at__lt=_start_of(value + timedelta(days=1)))

    def with_pupil_in_year(self, queryset, name, value):
        return queryset.filter(Exists(IncidentPerson.objects.filter(incident=OuterRef("pk"), pupil__year_group=value)))

    def handled_by(self, queryset, name, value):
        if value == "nobody":
            return queryset.filter(assigned_to__isnull=True)
        return queryset.filter(assigned_to=self.user)
