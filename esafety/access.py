"""
Who may do what, and at which school: the one place views ask.

`SchoolAccess` is built once per request by `SchoolAccessMiddleware` and
lives on `request.access`. Views ask it for a capability (a missing one is a
403), and fetch records only through querysets scoped to `access.school`, so
that another school's record is a 404.
"""

from dataclasses import dataclass, field
from functools import wraps

from django.core.exceptions import PermissionDenied

from esafety.models import Membership, School
from esafety.roles import Role, capabilities_for

SESSION_KEY = "active_school_id"


@dataclass(frozen=True)
class SchoolAccess:
    school: School | None = None
    roles: frozenset[str] = frozenset()
    capabilities: frozenset[str] = frozenset()
    # Every school this user may switch to, with their roles there.
    schools: tuple[School, ...] = field(default_factory=tuple)
    # Whose access this is: some records are visible to the people named on them (e.g. who logged an incident).
    user: object = None
    # Their roles at every school and trust, e.g. for whether they must sign in with a second factor.
    roles_anywhere: frozenset[str] = frozenset()

    def can(self, capability: str) -> bool:
        return self.school is not None and capability in self.capabilities

    def has_role(self, role: str) -> bool:
        return role in self.roles

    @property
    def role_labels(self) -> list[str]:
        return [Role(r).label for r in Role if r in self.roles]


NO_ACCESS = SchoolAccess()


def school_access_for(user, wanted_school_id=None) -> SchoolAccess:
    """The user's roles at the school they chose (or their first school)."""
    if not user.is_authenticated:
        return NO_ACCESS
    roles_by_school: dict[int, set[str]] = {}
    schools: dict[int, School] = {}
    trust_ids = []
    for membership in Membership.objects.filter(user=user).select_related("school"):
        if membership.role == Role.TRUST:
            trust_ids.append(membership.trust_id)
        else:
            roles_by_school.setdefault(membership.school_id, set()).add(membership.role)
            schools[membership.school_id] = membership.school
    if trust_ids:
        for school in School.objects.filter(trust_id__in=trust_ids):
            roles_by_school.setdefault(school.id, set()).add(Role.TRUST)
            schools[school.id] = school
    if not schools:
        return NO_ACCESS
    ordered = tuple(sorted(schools.values(), key=lambda s: s.name))
    # Until they choose, users work at the first of their schools to be set up (a trust's first school), not
    # whichever comes first in the alphabet.
    school = schools.get(wanted_school_id) or min(schools.values(), key=lambda s: s.pk)
    roles = frozenset(roles_by_school[school.id])
    return SchoolAccess(
        school=school,
        roles=roles,
        capabilities=capabilities_for(roles),
        schools=ordered,
        user=user,
        roles_anywhere=frozenset().union(*roles_by_school.values()),
    )


def capability_required(*capabilities: str):
    """Allow the view only to users whose roles at the active school include one of the capabilities."""

    def decorator(view):
        @wraps(view)
        def wrapped(request, *args, **kwargs):
            if not any(request.access.can(capability) for capability in capabilities):
                raise PermissionDenied
            return view(request, *args, **kwargs)

        wrapped.required_capabilities = capabilities
        return wrapped

    return decorator


def school_required(view):
    """Any role at the active school will do (e.g. notifications, home)."""

    @wraps(view)
    def wrapped(request, *args, **kwargs):
        if request.access.school is None:
            raise PermissionDenied
        return view(request, *args, **kwargs)

    return wrapped
