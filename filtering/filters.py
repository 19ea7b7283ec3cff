"""Search, filters and sorting of the register of filter exception requests, and of its CSV export (django-filter)."""

import re

import django_filters
from django.db.models import Q

from esafety.filters import SearchFilter
from esafety.models import User
from filtering.models import FilterExceptionRequest, FilterGroup, RequestedSite
from incidents.filters import DATE_FORMATS, DateInput, _in_range

# "FR-00042", "fr42" or "42": a search for a request by its reference.
REFERENCE = re.compile(r"^(?:fr-?)?0*(\d{1,9})$", re.IGNORECASE)
Status = FilterExceptionRequest.Status


class RequestFilter(django_filters.FilterSet):
    q = SearchFilter(label="Search", method="search", help_text="Reference, domain or lesson")
    status = django_filters.ChoiceFilter(label="Status", choices=Status.choices, empty_label="Any")
    group = django_filters.ModelChoiceFilter(
        label="Filter group", queryset=FilterGroup.objects.none(), field_name="groups", empty_label="Any"
    )
    requester = django_filters.ModelChoiceFilter(
        label="Asked by", queryset=User.objects.none(), field_name="requested_by", empty_label="Anyone"
    )
    since = django_filters.DateFilter(
        label="Open on or after",
        method="open_since",
        input_formats=DATE_FORMATS,
        widget=DateInput(),
        validators=[_in_range],
    )
    until = django_filters.DateFilter(
        label="Open on or before",
        method="open_until",
        input_formats=DATE_FORMATS,
        widget=DateInput(),
        validators=[_in_range],
    )
    sort = django_filters.OrderingFilter(
        label="Sort by",
        fields=(("number", "reference"), ("starts_on", "first day"), ("created_at", "asked on"), ("status", "status")),
        empty_label="Newest first",
    )

    class Meta:
        model = FilterExceptionRequest
        fields = ["q", "status", "group", "requester", "since", "until"]

    def __init__(self, data=None, *args, school, whole_register: bool, **kwargs):
        super().__init__(data, *args, **kwargs)
        self.school = school
        self.filters["group"].queryset = FilterGroup.objects.for_school(school)
        if whole_register:
            askers = FilterExceptionRequest.objects.for_school(school).values("requested_by")
            self.filters["requester"].queryset = User.objects.filter(pk__in=askers).order_by("full_name")
        else:
            # A member of staff sees their own requests: the choice of who asked would name everyone else who did.
            del self.filters["requester"]

    @property
    def qs(self):
        queryset = super().qs
        if not queryset.query.order_by:
            return queryset.order_by("-created_at", "-number")
        return queryset.order_by(*queryset.query.order_by, "-number")

    def search(self, queryset, name, value):
        text = value.strip()
        if not text:
            return queryset
        match = REFERENCE.match(text)
        if match:
            return queryset.filter(number=int(match.group(1)))
        # A domain is searched in its normal form: what is typed in capitals, or with a scheme, still matches.
        domain = text.lower().removeprefix("https://").removeprefix("http://").removeprefix("*.").split("/")[0]
        sites = RequestedSite.objects.filter(request__school=self.school).filter(
            Q(host__contains=domain) | Q(value__icontains=text)
        )
        return queryset.filter(Q(pk__in=sites.values("request_id")) | Q(purpose__icontains=text))

    def open_since(self, queryset, name, value):
        # Requests whose period reaches the day or later.
        return queryset.filter(ends_on__gte=value)

    def open_until(self, queryset, name, value):
        return queryset.filter(starts_on__lte=value)
