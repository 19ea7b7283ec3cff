"""The pieces every list page shares: a page of results, and the query to keep across pages and sort links."""

from django.core.paginator import Page, Paginator

PAGE_SIZE = 50


def page_of(request, queryset, size: int = PAGE_SIZE) -> Page:
    """The page the request asks for (the last one if it asks for too many, the first if it makes no sense)."""
    return Paginator(queryset, size).get_page(request.GET.get("page"))


def query_without_page(request) -> str:
    """The request's filters and sort order, for the pager's links and for an export of the same list."""
    params = request.GET.copy()
    params.pop("page", None)
    return params.urlencode()
