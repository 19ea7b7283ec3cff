"""What each user may see of the school's filter exception requests: another school's, or one outside their role, is a 404."""

from django.db.models import QuerySet
from django.shortcuts import get_object_or_404

from esafety.access import SchoolAccess
from esafety.roles import Capability
from filtering.models import FilterExceptionRequest


def requests_for(access: SchoolAccess) -> QuerySet[FilterExceptionRequest]:
    """Those who decide see the whole register; everyone else the requests they made."""
    if access.school is None or not access.can(Capability.REQUEST_FILTER_EXCEPTION):
        return FilterExceptionRequest.objects.none()
    requests = FilterExceptionRequest.objects.for_school(access.school).select_related("requested_by")
    if access.can(Capability.DECIDE_FILTER_EXCEPTION):
        return requests
    return requests.filter(requested_by=access.user)


def get_request_or_404(access: SchoolAccess, request_id) -> FilterExceptionRequest:
    return get_object_or_404(requests_for(access), pk=request_id)
