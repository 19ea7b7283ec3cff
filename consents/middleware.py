"""
Asks a member of staff to read and accept the staff acceptable-use agreement.

Checked once per session and school (the first page after logging in, or
after switching school), so that other pages cost no query: when the school
uses a staff agreement and this user, a member of its staff, has not
accepted the current version, every page sends them to the agreement until
they accept it. Logging out, the agreement itself and static files are
always reachable.
"""

from django.shortcuts import redirect
from django.urls import reverse

from consents.selectors import staff_agreement_due

SESSION_KEY = "staff_agreement_due"
ALWAYS_OPEN = ("/accounts/", "/static/", "/media/", "/healthz/", "/admin/")


class StaffAgreementMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if request.user.is_authenticated and not request.path.startswith(ALWAYS_OPEN):
            school = request.access.school
            if school is not None:
                checked = request.session.get(SESSION_KEY)
                if checked is None or checked.get("school") != school.pk:
                    checked = {"school": school.pk, "due": staff_agreement_due(request.user, school) is not None}
                    request.session[SESSION_KEY] = checked
                accept_url = reverse("consents:staff_agreement_accept")
                if checked["due"] and request.path != accept_url:
                    return redirect(f"{accept_url}?next={request.get_full_path()}")
        return self.get_response(request)


def staff_agreement_checked(request) -> None:
    """After an acceptance: no longer due in this session."""
    request.session[SESSION_KEY] = {"school": request.access.school.pk, "due": False}
