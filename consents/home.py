"""The office's home-page panel: pupils still missing an answer in the open rounds."""

from consents.selectors import open_rounds_missing_count
from esafety.home import home_panel
from esafety.roles import Capability


@home_panel(order=25)
def consents_missing(request):
    if not request.access.can(Capability.RECORD_CONSENT):
        return None
    return {"template": "consents/panels/_missing.html", "count": open_rounds_missing_count(request.access.school)}
