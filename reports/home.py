"""
Home-page panels of the governors' report (`esafety.home`): for its readers, the report published last; for those who
write it, where last year's report stands.
"""

from esafety.home import home_panel
from reports import selectors


@home_panel(order=85)
def governors_report(request):
    """
    Those who write the report: last year's, not built yet, being built, a draft to publish, published or failed.
    Every other reader: the report published last, when there is one. One query either way.
    """
    access = request.access
    if selectors.may_write(access):
        return {"template": "reports/panels/_last_year.html", "state": selectors.last_year_state(access)}
    report = selectors.latest_published(access)
    if report is None:
        return None
    return {"template": "reports/panels/_published.html", "report": report}
