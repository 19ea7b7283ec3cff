"""
Asks a member of staff to read and acknowledge the policies marked for it, the way the staff agreement is asked for
(consents.middleware).

Checked once per session and school (the first page after logging in, or after switching school), so that other
pages cost no query: when a version in force of a policy staff must acknowledge has not been acknowledged by this
user, a member of the school's staff in post, every page sends them to the list of what to read until they have
acknowledged each. Logging out, the pages to read and acknowledge, the documents themselves, the staff agreement
(asked for first) and static files are always reachable. A version approved during the session is asked for at the
next login.
"""

from django.shortcuts import redirect
from django.urls import Resolver404, resolve, reverse
from django.utils.http import urlencode

from policies.selectors.policies import acknowledgements_due

SESSION_KEY = "policy_acknowledgements_due"
ALWAYS_OPEN = ("/accounts/", "/static/", "/media/", "/healthz/", "/admin/")
# The pages a member of staff needs while they read: the list, the acknowledgement, the documents; and the staff
# agreement, which its own middleware asks for first (each sending to the other would never end).
OPEN_WHILE_DUE = frozenset(
    {
        "policies:policies_to_read",
        "policies:policy_acknowledge",
        "policies:version_document",
        "consents:staff_agreement_accept",
        "school_switch",
    }
)


def _open_while_due(path: str) -> bool:
    try:
        return resolve(path).view_name in OPEN_WHILE_DUE
    except Resolver404:
        return False


class PolicyAcknowledgementMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if request.user.is_authenticated and not request.path.startswith(ALWAYS_OPEN):
            school = request.access.school
            if school is not None:
                checked = request.session.get(SESSION_KEY)
                if checked is None or checked.get("school") != school.pk:
                    checked = {"school": school.pk, "due": acknowledgements_due(request.user, school).exists()}
                    request.session[SESSION_KEY] = checked
                if checked["due"] and not _open_while_due(request.path_info):
                    to_read = reverse("policies:policies_to_read")
                    return redirect(f"{to_read}?{urlencode({'next': request.get_full_path()})}")
        return self.get_response(request)


def policy_acknowledgements_checked(request) -> None:
    """Once every policy is acknowledged (or none is due): nothing more to ask in this session."""
    request.session[SESSION_KEY] = {"school": request.access.school.pk, "due": False}
