"""
Every change to an incident, one function each: atomic, validated, written
to the history and to the case's timeline (`IncidentEvent`), with
notifications sent after commit through the outbox.
"""

from dataclasses import dataclass
from datetime import date, datetime

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import F
from django.urls import reverse
from django.utils import timezone
from simple_history.utils import bulk_create_with_history

from esafety.history import save_with_history
from esafety.models import Membership, Pupil, School, StaffMember, User
from esafety.notifications import notifications_withdraw, notify
from esafety.roles import Role
from incidents import selectors
from incidents.models import (
    ChecklistStepTemplate,
    EvidenceItem,
    Incident,
    IncidentAction,
    IncidentCategory,
    IncidentChecklistStep,
    IncidentDraft,
    IncidentEvent,
    IncidentPerson,
    IncidentSettings,
    SanctionAction,
    SanctionRow,
)

Audience = Incident.Audience


@dataclass
class Involved:
    part: str
    pupil: Pupil | None = None
    staff: StaffMember | None = None
    outsider: str = ""


def _event(incident, actor, summary: str, note: str = "") -> None:
    IncidentEvent.objects.create(incident=incident, actor=actor, summary=summary[:300], note=note)


def _audience(category: IncidentCategory, people: list[Involved], school) -> str:
    """Who may see an incident: staff allegations go to the head (about the head, to the chair)."""
    accused_staff = [p.staff for p in people if p.staff is not None and p.part == IncidentPerson.Part.ALLEGED]
    if accused_staff or category.about_staff:
        accused_users = [s.user_id for s in accused_staff if s.user_id]
        if Membership.objects.filter(school=school, role=Role.HEAD, user_id__in=accused_users).exists():
            return Audience.HEAD
        return Audience.STAFF
    if category.child_protection:
        return Audience.SAFEGUARDING
    return Audience.GENERAL


def _default_row(category: IncidentCategory, audience: str) -> SanctionRow | None:
    return category.staff_row if audience in (Audience.STAFF, Audience.HEAD) else category.pupil_row


def _copy_checklist(incident: Incident, category: IncidentCategory, actor: User) -> int:
    have = set(incident.checklist.values_list("text", flat=True))
    start = len(have)
    steps = [
        IncidentChecklistStep(incident=incident, order=start + i, text=template.text)
        for i, template in enumerate(ChecklistStepTemplate.objects.filter(category=category).order_by("order", "pk"))
        if template.text not in have
    ]
    # The steps and their history in two statements, however many steps the category has.
    bulk_create_with_history(steps, IncidentChecklistStep, default_user=actor, default_change_reason="Checklist copied")
    return len(steps)


def _tell_handlers(incident: Incident, *, title: str, urgent: bool) -> None:
    link = reverse("incidents:incident_detail", args=[incident.pk])
    # Say nothing in the title of a restricted incident's content: an e-mail may be read anywhere.
    notify(
        recipients=selectors.handlers_of(incident),
        school=incident.school,
        title=title,
        body="Open the app to read it." if incident.is_restricted else incident.category.name,
        link=link,
        email=urgent,
    )


@transaction.atomic
def incident_log(
    *,
    school: School,
    actor: User,
    occurred_at: datetime,
    location: str,
    category: IncidentCategory,
    description: str,
    people: list[Involved],
    location_detail: str = "",
    immediate_action: str = "",
    told_dsl_in_person: bool = False,
    severity: str = Incident.Severity.MEDIUM,
    from_draft: bool = True,
) -> Incident:
    """
    Log an incident: numbered, its audience decided, its checklist copied, its handlers told. Logged from the
    form (`from_draft`), the logger's half-typed draft is done with; logged from another record (a site report
    escalated), the draft is theirs to come back to.
    """
    if category.school_id != school.pk:
        raise ValidationError({"category": "Choose one of your school's categories."})
    if not people:
        raise ValidationError("Add at least one person involved.")
    # The next number, taken under a row lock. An UPDATE rather than save(): the counter is not a change of the
    # school's settings, and a history entry for it would tell the settings page when each incident was logged.
    settings_pk = selectors.settings_for(school).pk
    IncidentSettings.objects.filter(pk=settings_pk).update(last_number=F("last_number") + 1)
    number = IncidentSettings.objects.select_for_update().values_list("last_number", flat=True).get(pk=settings_pk)
    audience = _audience(category, people, school)
    incident = Incident(
        school=school,
        number=number,
        occurred_at=occurred_at,
        location=location,
        location_detail=location_detail,
        category=category,
        matrix_row=_default_row(category, audience),
        description=description,
        immediate_action=immediate_action,
        told_dsl_in_person=told_dsl_in_person,
        severity=severity,
        audience=audience,
        reported_by=actor,
    )
    save_with_history(incident, actor=actor, reason="Logged")
    for person in people:
        if (person.pupil and person.pupil.school_id != school.pk) or (person.staff and person.staff.school_id != school.pk):
            raise ValidationError("Everyone involved from the school must be one of its pupils or staff.")
        row = IncidentPerson(
            incident=incident, part=person.part, pupil=person.pupil, staff=person.staff, outsider=person.outsider
        )
        save_with_history(row, actor=actor)
    _copy_checklist(incident, category, actor)
    _event(incident, actor, f"Logged as {category.name}, severity {incident.get_severity_display().lower()}")
    if from_draft:
        IncidentDraft.objects.filter(user=actor, school=school).delete()
    urgent = severity == Incident.Severity.IMMEDIATE or category.illegal_material
    if urgent:
        _tell_handlers(incident, title=f"Act now: {incident.reference} needs the DSL team immediately", urgent=True)
    elif incident.is_restricted:
        _tell_handlers(incident, title=f"Restricted incident {incident.reference} logged", urgent=False)
    return incident


def incident_draft_save(*, user: User, school: School, data: dict) -> IncidentDraft:
    draft, _ = IncidentDraft.objects.update_or_create(user=user, school=school, defaults={"data": data})
    return draft


def _require_open(incident: Incident) -> None:
    if incident.is_closed:
        raise ValidationError("This incident is closed. Reopen it first.")


@transaction.atomic
def incident_assign(*, incident: Incident, assignee: User, actor: User) -> Incident:
    _require_open(incident)
    if not selectors.may_see(assignee, incident):
        raise ValidationError({"assignee": f"{assignee} may not see this incident, so cannot handle it."})
    incident.assigned_to = assignee
    if incident.status == Incident.Status.NEW:
        incident.status = Incident.Status.OPEN
    save_with_history(incident, actor=actor, reason="Assigned")
    _event(incident, actor, f"Assigned to {assignee}")
    if assignee.pk != actor.pk:
        notify(
            recipients=[assignee],
            school=incident.school,
            title=f"{incident.reference} has been assigned to you",
            link=reverse("incidents:incident_detail", args=[incident.pk]),
        )
    return incident


@transaction.atomic
def incident_triage(
    *,
    incident: Incident,
    actor: User,
    severity: str,
    category: IncidentCategory,
    matrix_row: SanctionRow | None,
    reason: str = "",
) -> Incident:
    """Change severity, category or the matrix row; a new category may restrict the incident and adds its checklist."""
    _require_open(incident)
    if category.school_id != incident.school_id or (matrix_row and matrix_row.school_id != incident.school_id):
        raise ValidationError("Choose one of your school's categories and matrix rows.")
    changes = []
    audience_changed = False
    if severity != incident.severity:
        changes.append(f"severity {incident.get_severity_display().lower()} → {Incident.Severity(severity).label.lower()}")
        incident.severity = severity
    category_changed = category.pk != incident.category_id
    if category_changed:
        changes.append(f"category {incident.category.name} → {category.name}")
        incident.category = category
        people = [Involved(p.part, p.pupil, p.staff, p.outsider) for p in incident.people.all()]
        audience = _audience(category, people, incident.school)
        audience_changed = audience != incident.audience
        if audience_changed:
            changes.append(f"now seen by: {Incident.Audience(audience).label}")
            incident.audience = audience
        if matrix_row is None or matrix_row.pk == (incident.matrix_row_id or 0):
            matrix_row = _default_row(category, audience) or matrix_row
    if (matrix_row.pk if matrix_row else None) != incident.matrix_row_id:
        changes.append(f"kind of incident: {matrix_row.name if matrix_row else 'none'}")
        incident.matrix_row = matrix_row
    if not changes:
        return incident
    if incident.status == Incident.Status.NEW:
        incident.status = Incident.Status.OPEN
    save_with_history(incident, actor=actor, reason=reason or "Triaged")
    if category_changed:
        _copy_checklist(incident, category, actor)
    _event(incident, actor, "Changed " + "; ".join(changes), reason)
    if audience_changed:
        _withdraw_from_outsiders(incident, actor)
    if severity == Incident.Severity.IMMEDIATE and "severity" in changes[0]:
        _tell_handlers(incident, title=f"Act now: {incident.reference} is now immediate risk", urgent=True)
    return incident


def _withdraw_from_outsiders(incident: Incident, actor) -> None:
    """
    After a re-triage, whoever may no longer see the incident keeps no trace of it: their open tasks pass to
    the handler who re-triaged it (so no reminder names it to them again), and the notifications that named
    it are withdrawn (with any e-mail not yet sent).
    """
    for action in incident.actions.filter(done_at=None).select_related("owner"):
        if not selectors.may_see(action.owner, incident):
            previous = action.owner
            action.owner = actor
            save_with_history(action, actor=actor, reason="Its owner may no longer see the incident")
            _event(incident, actor, f"Action: {action.title} passed from {previous} to {actor}, who may see the incident")
    notifications_withdraw(
        link=reverse("incidents:incident_detail", args=[incident.pk]),
        keep=lambda user: selectors.may_see(user, incident),
    )


@transaction.atomic
def incident_add_note(*, incident: Incident, actor: User, text: str) -> None:
    if not text.strip():
        raise ValidationError({"text": "Write the note first."})
    _event(incident, actor, "Note", text.strip())


@transaction.atomic
def incident_set_agency(*, incident: Incident, actor: User, agency: str, reference: str, waiting: bool) -> Incident:
    """Record a referral to an outside agency, and whether the school is waiting on them."""
    _require_open(incident)
    if waiting and not agency.strip():
        raise ValidationError({"agency": "Say which agency the school is waiting on."})
    incident.agency, incident.agency_reference = agency.strip(), reference.strip()
    incident.status = Incident.Status.WAITING if waiting else Incident.Status.OPEN
    save_with_history(incident, actor=actor, reason="Outside agency")
    summary = f"Waiting on {incident.agency}" if waiting else "No longer waiting on an outside agency"
    _event(incident, actor, summary + (f" (ref. {incident.agency_reference})" if incident.agency_reference else ""))
    return incident


@transaction.atomic
def incident_close(*, incident: Incident, actor: User, outcome: str, lessons_learnt: str = "") -> Incident:
    _require_open(incident)
    if not outcome.strip():
        raise ValidationError({"outcome": "Write the outcome before closing the incident."})
    incident.status = Incident.Status.CLOSED
    incident.closed_at = timezone.now()
    incident.outcome, incident.lessons_learnt = outcome.strip(), lessons_learnt.strip()
    save_with_history(incident, actor=actor, reason="Closed")
    _event(incident, actor, "Closed", incident.outcome)
    return incident


@transaction.atomic
def incident_reopen(*, incident: Incident, actor: User, reason: str) -> Incident:
    if not incident.is_closed:
        raise ValidationError("This incident is already open.")
    if not reason.strip():
        raise ValidationError({"reason": "Say why the incident is being reopened."})
    incident.status = Incident.Status.OPEN
    incident.closed_at = None
    save_with_history(incident, actor=actor, reason="Reopened")
    _event(incident, actor, "Reopened", reason.strip())
    return incident


@dataclass
class ChosenAction:
    title: str
    owner: object
    due_on: date
    sanction_action: SanctionAction | None = None


@transaction.atomic
def incident_actions_add(*, incident: Incident, actor: User, chosen: list[ChosenAction]) -> list[IncidentAction]:
    """Each chosen action becomes a task with an owner and a due date; each owner is told."""
    _require_open(incident)
    created = []
    for choice in chosen:
        if not selectors.may_own_action(choice.owner, incident):
            raise ValidationError(f"{choice.owner} may not see this incident: choose someone who may.")
        action = IncidentAction(
            incident=incident,
            sanction_action=choice.sanction_action,
            title=choice.title,
            owner=choice.owner,
            due_on=choice.due_on,
        )
        save_with_history(action, actor=actor, reason="Action chosen")
        created.append(action)
        _event(incident, actor, f"Action: {action.title}, for {action.owner}, by {action.due_on:%d/%m/%Y}")
    if incident.status == Incident.Status.NEW:
        incident.status = Incident.Status.OPEN
        save_with_history(incident, actor=actor, reason="Actions chosen")
    link = reverse("incidents:incident_detail", args=[incident.pk])
    for owner in {a.owner for a in created if a.owner.pk != actor.pk}:
        notify(recipients=[owner], school=incident.school, title=f"You have an action on {incident.reference}", link=link)
    return created


@transaction.atomic
def incident_action_complete(*, action: IncidentAction, actor: User, note: str = "") -> IncidentAction:
    if action.done_at is not None:
        raise ValidationError("This action is already done.")
    action.done_at, action.done_by, action.note = timezone.now(), actor, note.strip()
    save_with_history(action, actor=actor, reason="Done")
    _event(action.incident, actor, f"Done: {action.title}", action.note)
    return action


@transaction.atomic
def checklist_step_complete(*, step: IncidentChecklistStep, actor: User, note: str = "") -> IncidentChecklistStep:
    if step.done_at is not None:
        raise ValidationError("This step is already done.")
    step.done_at, step.done_by, step.note = timezone.now(), actor, note.strip()
    save_with_history(step, actor=actor, reason="Done")
    _event(step.incident, actor, f"Checklist: {step.text}", step.note)
    return step


@transaction.atomic
def evidence_register(
    *, incident: Incident, actor: User, description: str, location: str, held_by: str, secured_at: datetime
) -> EvidenceItem:
    item = EvidenceItem(
        incident=incident, description=description, location=location, held_by=held_by, secured_at=secured_at, added_by=actor
    )
    save_with_history(item, actor=actor, reason="Evidence registered")
    _event(incident, actor, f"Evidence registered: {description}", f"Held by {held_by}, {location}")
    return item


# --- The school's set-up --------------------------------------------------------


@transaction.atomic
def matrix_update(*, school: School, matrix: str, ticked: set[tuple[int, int]], actor: User) -> int:
    """Set the ticks of a matrix from (row id, action id) pairs; returns how many rows changed."""
    rows = SanctionRow.objects.filter(school=school, matrix=matrix).prefetch_related("actions")
    action_ids = set(SanctionAction.objects.filter(school=school, matrix=matrix).values_list("pk", flat=True))
    changed = 0
    for row in rows:
        wanted = {action for (row_id, action) in ticked if row_id == row.pk and action in action_ids}
        if wanted != {a.pk for a in row.actions.all()}:
            row._history_user = actor
            row._change_reason = "Matrix edited"
            row.actions.set(wanted)
            changed += 1
    return changed


@transaction.atomic
def category_save(*, category: IncidentCategory, actor: User, steps: list[str] | None = None) -> IncidentCategory:
    """Save a category and, when given, replace its response checklist (incidents keep the steps they copied)."""
    save_with_history(category, actor=actor, reason="Category edited")
    if steps is not None:
        wanted = [s.strip() for s in steps if s.strip()]
        current = list(category.checklist.order_by("order", "pk"))
        if [s.text for s in current] != wanted:
            for template in current:
                template._history_user = actor
                template.delete()
            for i, text in enumerate(wanted):
                save_with_history(ChecklistStepTemplate(category=category, order=i, text=text), actor=actor)
    return category


@transaction.atomic
def incident_settings_update(*, settings: IncidentSettings, actor: User) -> IncidentSettings:
    save_with_history(settings, actor=actor, reason="Settings changed")
    return settings
