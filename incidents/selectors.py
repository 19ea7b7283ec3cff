"""
Reads of incidents: who may see which, and what the dashboard shows.

`incidents_for` is the one place that decides visibility. Every page, count,
search, export, chronology entry and notification goes through it (or
through `may_see`, its answer for one user who is not the one asking), so
that a restricted incident is a 404 for everyone outside its audience.
"""

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta

from django.db.models import Count, Exists, F, OuterRef, Prefetch, Q, QuerySet
from django.shortcuts import get_object_or_404
from django.utils import timezone

from esafety.access import SchoolAccess
from esafety.models import Membership
from esafety.roles import ROLE_CAPABILITIES, Capability, Role
from incidents.models import (
    Incident,
    IncidentAction,
    IncidentCategory,
    IncidentPerson,
    IncidentSettings,
    SanctionAction,
    SanctionRow,
)

Audience = Incident.Audience


# The capability that lets a reader see the incidents of each audience in full.
AUDIENCE_CAPABILITY = {
    Audience.GENERAL: Capability.TRIAGE_INCIDENTS,
    Audience.SAFEGUARDING: Capability.TRIAGE_INCIDENTS,
    Audience.STAFF: Capability.HANDLE_STAFF_INCIDENTS,
    Audience.HEAD: Capability.HANDLE_HEAD_ALLEGATIONS,
}


def capabilities_to_see(audiences) -> set[str]:
    """What a reader needs to see incidents of all these audiences (e.g. for an export's access-log entry)."""
    return {AUDIENCE_CAPABILITY[audience] for audience in audiences}


def audiences_for_capabilities(capabilities) -> set[str]:
    """The restricted-or-not audiences whose incidents a set of capabilities may see in full."""
    return {audience for audience, capability in AUDIENCE_CAPABILITY.items() if capability in capabilities}


def _visible_filter(capabilities, user) -> Q:
    audiences = audiences_for_capabilities(capabilities)
    q = Q(audience__in=audiences)
    # A reader who sees every ordinary incident needs no branch for those they logged or have a task on:
    # it would only cost the database an OR with a subquery on every list, count and search.
    if Capability.LOG_INCIDENT in capabilities and Audience.GENERAL not in audiences:
        # Staff see the ordinary incidents they logged or have a task on; never a restricted one.
        owns_task = Exists(IncidentAction.objects.filter(incident=OuterRef("pk"), owner=user))
        q |= Q(audience=Audience.GENERAL) & (Q(reported_by=user) | owns_task)
    return q


def incidents_for(access: SchoolAccess, user) -> QuerySet[Incident]:
    """Every incident of the active school that this user may see."""
    if access.school is None:
        return Incident.objects.none()
    return Incident.objects.for_school(access.school).filter(_visible_filter(access.capabilities, user))


def visible_to(user, school_id) -> QuerySet[Incident]:
    """The incidents of a school that a user may see, by their roles there, whoever is asking (e.g. a task's owner)."""
    roles = set(Membership.objects.filter(user=user, school=school_id).values_list("role", flat=True))
    capabilities = set().union(*(ROLE_CAPABILITIES[r] for r in roles)) if roles else set()
    return Incident.objects.filter(school=school_id).filter(_visible_filter(capabilities, user))


def may_see(user, incident: Incident) -> bool:
    """Whether another user (e.g. a task's owner or a notification's recipient) may see the incident."""
    return visible_to(user, incident.school_id).filter(pk=incident.pk).exists()


def may_own_action(user, incident: Incident) -> bool:
    """Whether a user may be given a task on the incident: any member of staff for an ordinary one
    (the task lets them see it), only its audience for a restricted one."""
    if incident.audience == Audience.GENERAL:
        roles = Membership.objects.filter(user=user, school=incident.school_id).values_list("role", flat=True)
        return any(Capability.LOG_INCIDENT in ROLE_CAPABILITIES[r] for r in roles)
    return may_see(user, incident)


def handles(access: SchoolAccess, incident: Incident) -> bool:
    """Whether the user handles this incident (triage, actions, closing), not just reads it."""
    return incident.audience in audiences_for_capabilities(access.capabilities)


def get_incident_or_404(access: SchoolAccess, user, incident_id) -> Incident:
    # The tutor and line manager are who the matrix proposes for some actions.
    people = IncidentPerson.objects.select_related("pupil__form__tutor__user", "staff__line_manager__user").order_by("part", "pk")
    return get_object_or_404(
        incidents_for(access, user)
        .select_related("category", "matrix_row", "reported_by", "assigned_to")
        .prefetch_related(Prefetch("people", queryset=people)),
        pk=incident_id,
    )


def receipts_for(access: SchoolAccess, user) -> QuerySet[Incident]:
    """Restricted incidents this user logged: they get a receipt, not the case."""
    if access.school is None or not access.can(Capability.LOG_INCIDENT):
        return Incident.objects.none()
    return Incident.objects.for_school(access.school).filter(reported_by=user).exclude(_visible_filter(access.capabilities, user))


def settings_for(school) -> IncidentSettings:
    """The school's incident settings, made when the school was set up (incidents.defaults)."""
    return IncidentSettings.objects.get(school=school)


def categories_for(access: SchoolAccess) -> QuerySet[IncidentCategory]:
    if access.school is None:
        return IncidentCategory.objects.none()
    return IncidentCategory.objects.for_school(access.school)


def users_with_role(school, *roles) -> list:
    from esafety.models import User

    return list(
        User.objects.filter(is_active=True, memberships__school=school, memberships__role__in=roles)
        .distinct()
        .order_by("full_name")
    )


# Who handles the incidents of each audience.
HANDLER_ROLES = {
    Audience.GENERAL: [Role.DSL],
    Audience.SAFEGUARDING: [Role.DSL, Role.HEAD],
    Audience.STAFF: [Role.HEAD],
    Audience.HEAD: [Role.CHAIR],
}


def handlers_of(incident: Incident) -> list:
    """Who is told about an incident and may take it on: the people of its audience."""
    return users_with_role(incident.school, *HANDLER_ROLES[incident.audience])


def handlers_by_audience(school) -> dict[str, list]:
    """`handlers_of` for every audience at once, in one query (a list of incidents of mixed audiences)."""
    from esafety.models import User

    wanted = {role for roles in HANDLER_ROLES.values() for role in roles}
    rows = (
        Membership.objects.filter(school=school, role__in=wanted, user__is_active=True)
        .select_related("user")
        .order_by("user__full_name", "user_id")
    )
    users: dict[int, User] = {}
    roles_of: dict[int, set[str]] = {}
    for membership in rows:
        users[membership.user_id] = membership.user
        roles_of.setdefault(membership.user_id, set()).add(membership.role)
    return {
        audience: [user for pk, user in users.items() if roles_of[pk] & set(roles)] for audience, roles in HANDLER_ROLES.items()
    }


# --- Escalation and proposals ------------------------------------------------


def earlier_incidents(incident: Incident, viewer) -> list[tuple[str, int]]:
    """
    (name, count) of each person alleged to have caused this incident who has earlier ones within the school's
    window, counting only the earlier incidents `viewer` may see: a restricted one (an allegation about the
    viewer, say) must not show through a count, nor through the "continued infringements" it would propose.
    """
    settings = settings_for(incident.school)
    since = incident.occurred_at - timedelta(days=settings.repeat_window_days)
    accused = [p for p in incident.people.all() if p.part == IncidentPerson.Part.ALLEGED and (p.pupil_id or p.staff_id)]
    if not accused:
        return []
    # One query for everyone accused: their parts in earlier incidents of the window.
    earlier = (
        IncidentPerson.objects.filter(
            Q(pupil_id__in=[p.pupil_id for p in accused if p.pupil_id])
            | Q(staff_id__in=[p.staff_id for p in accused if p.staff_id]),
            part=IncidentPerson.Part.ALLEGED,
            incident__in=visible_to(viewer, incident.school_id),
            incident__occurred_at__gte=since,
            incident__occurred_at__lt=incident.occurred_at,
        )
        .values("pupil_id", "staff_id")
        .annotate(n=Count("incident", distinct=True))
    )
    counts = {(row["pupil_id"], row["staff_id"]): row["n"] for row in earlier}
    return [(p.name, counts[(p.pupil_id, p.staff_id)]) for p in accused if (p.pupil_id, p.staff_id) in counts]


@dataclass
class ProposedAction:
    action: SanctionAction
    owner: object  # a User, or None when nobody suitable was found
    due_on: date
    because: str  # the matrix row that proposed it


def _default_owner(incident: Incident, action: SanctionAction, fallback):
    Owner = SanctionAction.Owner
    candidate = None
    if action.default_owner == Owner.TUTOR:
        for person in incident.people.all():
            if person.pupil_id and person.pupil.form_id and person.pupil.form.tutor_id:
                candidate = person.pupil.form.tutor.user
                break
    elif action.default_owner == Owner.LINE_MANAGER:
        for person in incident.people.all():
            if person.staff_id and person.staff.line_manager_id:
                candidate = person.staff.line_manager.user
                break
    elif action.default_owner in (Owner.DSL, Owner.HEAD, Owner.IT):
        role = {Owner.DSL: Role.DSL, Owner.HEAD: Role.HEAD, Owner.IT: Role.IT}[action.default_owner]
        if (
            incident.assigned_to_id
            and Membership.objects.filter(user=incident.assigned_to_id, school=incident.school_id, role=role).exists()
        ):
            candidate = incident.assigned_to
        else:
            candidate = next(iter(users_with_role(incident.school, role)), None)
    # A task on a restricted incident may only go to someone who may see the incident.
    if candidate is not None and may_own_action(candidate, incident):
        return candidate
    return fallback


def proposed_actions(incident: Incident, actor, earlier: list | None = None) -> list[ProposedAction]:
    """The actions the sanction matrix proposes: the incident's row, and "continued infringements" for a repeat
    (of incidents the actor may see). `earlier` is `earlier_incidents(incident, actor)` when the caller has it."""
    rows = []
    if incident.matrix_row_id:
        rows.append(incident.matrix_row)
    if earlier_incidents(incident, actor) if earlier is None else earlier:
        repeat = SanctionRow.objects.filter(school=incident.school_id, matrix=incident.matrix, is_repeat=True).first()
        if repeat and repeat not in rows:
            rows.append(repeat)
    already = set(incident.actions.exclude(sanction_action=None).values_list("sanction_action_id", flat=True))
    today = timezone.localdate()
    fallback = incident.assigned_to or actor
    proposals, seen, owners = [], set(), {}
    for row in rows:
        for action in row.actions.order_by("order"):
            if action.pk in seen or action.pk in already:
                continue
            seen.add(action.pk)
            if action.default_owner not in owners:
                owners[action.default_owner] = _default_owner(incident, action, fallback)
            owner = owners[action.default_owner]
            proposals.append(ProposedAction(action, owner, today + timedelta(days=action.due_in_days), row.name))
    return proposals


def matrix_rows(school, matrix: str) -> list[SanctionRow]:
    return list(SanctionRow.objects.filter(school=school, matrix=matrix).prefetch_related("actions").order_by("order", "name"))


def matrix_actions(school, matrix: str) -> list[SanctionAction]:
    return list(SanctionAction.objects.filter(school=school, matrix=matrix).order_by("order", "name"))


def matrix_history(school, matrix: str, limit: int = 20):
    """The latest changes to a matrix's rows, for its page."""
    return (
        SanctionRow.history.filter(school=school, matrix=matrix).select_related("history_user").order_by("-history_date")[:limit]
    )


# --- The dashboard ------------------------------------------------------------

SEVERITY_RANK = {Incident.Severity.IMMEDIATE: 0, Incident.Severity.HIGH: 1, Incident.Severity.MEDIUM: 2, Incident.Severity.LOW: 3}


def people_of_rows() -> Prefetch:
    """
    The people involved, as a list's rows show them (for `prefetch_related_objects` over several lists at once):
    each one's name and part, in `incident.involved`. A plain list, not a queryset for each row, and only the
    columns of the names: a list of a hundred incidents names two hundred people.
    """
    names = ("pupil__first_name", "pupil__preferred_name", "pupil__last_name", "staff__first_name", "staff__last_name")
    people = IncidentPerson.objects.select_related("pupil", "staff").only("incident", "part", "outsider", *names)
    return Prefetch("people", queryset=people.order_by("part", "pk"), to_attr="involved")


def with_list_columns(incidents: QuerySet[Incident]) -> QuerySet[Incident]:
    """What each row of a list shows: category, handler and the people involved, in a fixed number of queries."""
    return incidents.select_related("category", "assigned_to").prefetch_related(people_of_rows())


def overdue_actions_for(access: SchoolAccess, user) -> QuerySet[IncidentAction]:
    return (
        IncidentAction.objects.filter(incident__in=incidents_for(access, user), done_at=None, due_on__lt=timezone.localdate())
        .select_related("incident", "owner")
        .order_by("due_on")
    )


def my_open_actions(access: SchoolAccess, user) -> QuerySet[IncidentAction]:
    return (
        IncidentAction.objects.filter(incident__in=incidents_for(access, user), owner=user, done_at=None)
        .select_related("incident")
        .order_by("due_on")
    )


def frequent_pupils(access: SchoolAccess, user, since: date, threshold: int, limit: int = 20) -> list:
    """
    Pupils in at least `threshold` incidents (any part) since a date, among incidents the user may see,
    the most first, each with `incident_count`. Counted on the people rows alone (not grouped by every
    pupil column), which keeps it fast with tens of thousands of incidents.
    """
    from esafety.models import Pupil

    visible = incidents_for(access, user).filter(occurred_at__gte=timezone.make_aware(datetime.combine(since, time.min)))
    counts = list(
        IncidentPerson.objects.filter(incident__in=visible, pupil__isnull=False)
        .values("pupil_id")
        .annotate(n=Count("incident", distinct=True))
        .filter(n__gte=threshold)
        .order_by("-n", "pupil_id")[:limit]
    )
    pupils = Pupil.objects.filter(school=access.school).select_related("form").in_bulk([row["pupil_id"] for row in counts])
    found = []
    for row in counts:
        pupil = pupils[row["pupil_id"]]
        pupil.incident_count = row["n"]
        found.append(pupil)
    return sorted(found, key=lambda p: (-p.incident_count, p.last_name, p.first_name))


def counts_by(incidents: QuerySet[Incident], field: str) -> list[dict]:
    return list(incidents.values(field).annotate(n=Count("pk", distinct=True)).order_by(F(field).asc(nulls_last=True)))
