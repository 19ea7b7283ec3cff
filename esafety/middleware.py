from django.utils.functional import SimpleLazyObject

from esafety.access import SESSION_KEY, school_access_for


class SchoolAccessMiddleware:
    """Puts the user's school and roles on `request.access`, worked out on first use."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        request.access = SimpleLazyObject(lambda: school_access_for(request.user, request.session.get(SESSION_KEY)))
        return self.get_response(request)
