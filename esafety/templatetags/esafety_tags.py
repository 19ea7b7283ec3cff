from django import template
from django.utils.html import format_html

from esafety.menu import section_menu

register = template.Library()


@register.simple_tag(takes_context=True)
def sort_header(context, field: str, label: str):
    """A column heading that sorts the list by `field` (django-filter's `sort` parameter), with aria-sort."""
    request = context["request"]
    current = request.GET.get("sort", "")
    params = request.GET.copy()
    params.pop("page", None)
    if current == field:
        params["sort"], state, arrow = f"-{field}", "ascending", " ▲"
    elif current == f"-{field}":
        params["sort"], state, arrow = field, "descending", " ▼"
    else:
        params["sort"], state, arrow = field, None, ""
    link = format_html('<a href="?{}">{}<span aria-hidden="true">{}</span></a>', params.urlencode(), label, arrow)
    if state:
        return format_html('<th scope="col" aria-sort="{}">{}</th>', state, link)
    return format_html('<th scope="col">{}</th>', link)


@register.inclusion_tag("esafety/_section_nav.html", takes_context=True)
def section_nav(context, section: str, label: str):
    """A section's sub-navigation, from the entries its app registered (esafety.menu)."""
    return {"links": section_menu(context["request"], section), "label": label}
