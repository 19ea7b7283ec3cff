from django.db.models import Q

from esafety.menu import action_menu, main_menu
from esafety.models import Notification
from esafety.roles import Capability


def school_access(request):
    """What the page shell needs: the school, the navigation's capabilities and the bell."""
    access = getattr(request, "access", None)
    context = {"access": access, "Capability": Capability}
    if access is not None and request.user.is_authenticated and access.school is not None:
        # Callables: worked out only when the page shows the menu and the bell.
        context["main_menu"] = lambda: main_menu(request)
        context["action_menu"] = lambda: action_menu(request)
        context["unread_notifications"] = lambda: (
            Notification.objects.for_user(request.user).unread().filter(Q(school=access.school) | Q(school__isnull=True)).count()
        )
    return context
