"""The home page's way to the term-dates screen (`esafety.home`), for those who keep the dates. No queries."""

from esafety.home import home_panel
from esafety.roles import Capability


@home_panel(order=70)
def term_dates(request):
    if not request.access.can(Capability.MANAGE_TERM_DATES):
        return None
    return {"template": "esafety/terms/panels/_term_dates.html"}
