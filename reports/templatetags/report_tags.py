"""Template helpers of the governors' report, shared by its page and its PDF."""

import base64

from django import template

register = template.Library()


@register.filter
def svg_data_uri(svg: str) -> str:
    """An SVG as a data: URI for an <img>: the page's Content-Security-Policy allows data: images, and no scripts."""
    if not svg:
        return ""
    return "data:image/svg+xml;base64," + base64.b64encode(svg.encode()).decode("ascii")


@register.simple_tag
def threshold_sentence(threshold: int) -> str:
    """What the report hides and why, in the words of the school's threshold: "Counts from 1 to 4 show as ..."."""
    threshold = int(threshold)
    smallest = "1" if threshold == 2 else f"from 1 to {threshold - 1}"
    counts = "A count of 1 shows" if threshold == 2 else f"Counts {smallest} show"
    return (
        f"{counts} as \u2018fewer than {threshold}\u2019 so that no child can be identified; "
        "totals that would reveal them show as \u2018not shown\u2019, and so do shares of a group with fewer than "
        f"{threshold} in or out of it."
    )
