import time
from datetime import datetime
from urllib.parse import urlencode

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import logout
from django.contrib.auth.views import redirect_to_login
from django.http import HttpResponse
from django.shortcuts import redirect
from django.urls import Resolver404, resolve, reverse
from django.utils import timezone
from django.utils.cache import patch_cache_control
from django.utils.functional import SimpleLazyObject
from qsessions.middleware import SessionMiddleware as QSessionMiddleware

from esafety.access import SESSION_KEY, school_access_for
from esafety.audit import client_ip
from esafety.second_factor import SIGNED_IN_AT_KEY, has_second_factor, second_factor_required

# When activity last moved the session's expiry on (seconds since the epoch).
ACTIVE_AT_KEY = "active_at"
# Whether the last page showed restricted records (the shorter idle limit applies).
RESTRICTED_PAGE_KEY = "restricted_page"
# Set when the user neither must have a second factor nor has set one up (checked once a session).
NO_SECOND_FACTOR_KEY = "second_factor_not_set_up"


class SchoolAccessMiddleware:
    """Puts the user's school and roles on `request.access`, worked out on first use."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        request.access = SimpleLazyObject(lambda: school_access_for(request.user, request.session.get(SESSION_KEY)))
        return self.get_response(request)


class NoStoreMiddleware:
    """
    Tells browsers and proxies to keep no copy of any page or download the app serves (pupils, incidents,
    exports: personal data), unless the response already says how it may be cached (the admin's, for one).

    Static files never get here: WhiteNoise, earlier in MIDDLEWARE, answers them with their own long lifetimes.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        if not response.has_header("Cache-Control"):
            patch_cache_control(response, no_store=True, private=True)
        return response


class SessionMiddleware(QSessionMiddleware):
    """django-qsessions' sessions (each knows its user, browser and address), with the client's address read
    through the trusted proxies, the same way as the login lockout and the access log."""

    def process_request(self, request):
        request.session = self.SessionStore(
            ip=client_ip(request),
            user_agent=request.headers.get("User-Agent", ""),
            session_key=request.COOKIES.get(settings.SESSION_COOKIE_NAME),
        )


# Reached before the second factor: the pages that ask for it, signing out, and the password reset.
SECOND_FACTOR_EXEMPT_URLS = ("second_factor_verify", "second_factor_setup", "logout")


class SignInPolicyMiddleware:
    """
    What a session must satisfy before any page, for a signed-in user:

    - it ends at its absolute limit (SESSION_ABSOLUTE_SECONDS) however active it is;
    - a user who must have a second factor (esafety.second_factor) passes it first, or enrols;
    - after a page of restricted records (a view sets `request.restricted_page`), the idle limit is
      the shorter SESSION_RESTRICTED_IDLE_SECONDS until the next ordinary page (checked here, so that
      the cookie still ends with the browser);
    - activity moves the idle expiry on (the session is saved at most once a minute for it).
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if request.user.is_authenticated:
            refused = self._refuse(request)
            if refused is not None:
                return refused
        response = self.get_response(request)
        if request.user.is_authenticated and hasattr(request, "session"):
            session = request.session
            restricted = getattr(request, "restricted_page", False)
            if restricted != session.get(RESTRICTED_PAGE_KEY, False):
                session[RESTRICTED_PAGE_KEY] = restricted
            # Activity moves the idle expiry on when the session is saved: at most once a minute, rather than a
            # write on every request (the idle limits are kept to within that minute).
            now = int(time.time())
            if restricted or now - session.get(ACTIVE_AT_KEY, 0) >= settings.SESSION_ACTIVITY_SAVE_SECONDS:
                session[ACTIVE_AT_KEY] = now
        return response

    def _refuse(self, request):
        session = request.session
        started = session.get(SIGNED_IN_AT_KEY)
        now = timezone.now()
        if started is None:
            session[SIGNED_IN_AT_KEY] = now.isoformat()
        elif (now - datetime.fromisoformat(started)).total_seconds() > settings.SESSION_ABSOLUTE_SECONDS:
            return self._sign_out(request, "You were signed out because you had been signed in for a long time.")
        idle = time.time() - session.get(ACTIVE_AT_KEY, time.time())
        if session.get(RESTRICTED_PAGE_KEY) and idle > settings.SESSION_RESTRICTED_IDLE_SECONDS:
            return self._sign_out(request, "You were signed out: a restricted record was left open without activity.")
        if request.user.is_verified() or request.path.startswith(settings.STATIC_URL):
            return None
        match = request.resolver_match or _resolve(request.path_info)
        if match is not None and match.url_name in SECOND_FACTOR_EXEMPT_URLS:
            return None
        # Optional for this user and not set up: found once for the session (for these roles: a new role that
        # needs a second factor asks for it at once) rather than looked up on every page.
        roles = ",".join(sorted(request.access.roles_anywhere)) + (",staff-site" if request.user.is_staff else "")
        if session.get(NO_SECOND_FACTOR_KEY) == roles:
            return None
        enrolled = has_second_factor(request.user)
        if not enrolled and not second_factor_required(request.user, request.access.roles_anywhere):
            session[NO_SECOND_FACTOR_KEY] = roles
            return None
        wanted = "second_factor_verify" if enrolled else "second_factor_setup"
        if request.headers.get("HX-Request"):
            # An htmx fragment cannot show the page: send the whole window there.
            response = HttpResponse(status=204)
            response["HX-Redirect"] = reverse(wanted)
            return response
        return redirect(f"{reverse(wanted)}?{urlencode({'next': request.get_full_path()})}")

    def _sign_out(self, request, why: str):
        next_url = request.get_full_path()
        logout(request)
        messages.info(request, f"{why} Please sign in again.")
        return redirect_to_login(next_url)


def _resolve(path):
    try:
        return resolve(path)
    except Resolver404:
        return None
