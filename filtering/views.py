"""Filter exception requests: each view reads access → form → service → message → redirect (docs/adding-an-app.md)."""

from django.shortcuts import render

from esafety.access import capability_required
from esafety.listing import page_of, query_without_page
from esafety.roles import Capability
from filtering import selectors


@capability_required(Capability.REQUEST_FILTER_EXCEPTION)
def request_list(request):
    """The register for those who decide; a teacher's own requests for everyone else."""
    requests = selectors.requests_for(request.access)
    return render(
        request, "filtering/request_list.html", {"page": page_of(request, requests), "query": query_without_page(request)}
    )
