"""
Confiscated devices and their chain of custody. A device is taken from a pupil (or found), held by the school,
perhaps searched by the leadership team or handed to the police, and in the end returned to the pupil or a
parent/carer, or disposed of. Each step adds one custody entry, never changed afterwards, and updates the device's
record with its history entry; each takes the record under a row lock, so that of two people acting at once the
second is told what the first did.
"""

from datetime import datetime, timedelta

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import F
from django.urls import reverse
from django.utils import timezone

from devices.models import Confiscation, CustodyEntry, DeviceSettings
from devices.selectors import device_settings_for
from esafety.history import save_with_history
from esafety.models import Pupil, PupilContact, School, StaffMember, User
from esafety.notifications import notify
from esafety.roles import Role
from filtering.services.changes import AlreadyDone, staff_with_roles, when_words
from incidents.models import Incident

Status = Confiscation.Status
Kind = CustodyEntry.Kind
# A little leeway for a clock a minute or two ahead of the server's.
FUTURE_LEEWAY = timedelta(minutes=5)


def _link(confiscation: Confiscation) -> str:
    return reverse("devices:confiscation_detail", args=[confiscation.pk])


def _lock(confiscation: Confiscation) -> Confiscation:
    """The record read again under a row lock: of two people acting at once, the second waits and sees the first's step."""
    return Confiscation.objects.select_for_update().get(pk=confiscation.pk)


def _entry(confiscation: Confiscation, *, kind: str, actor: User, at: datetime | None = None, **details) -> CustodyEntry:
    entry = CustodyEntry(confiscation=confiscation, kind=kind, at=at or timezone.now(), recorded_by=actor, **details)
    entry.full_clean()
    entry.save()
    return entry


def closed_words(confiscation: Confiscation) -> str:
    """What someone is told who tries to add to the record of a device already returned or disposed of."""
    last = (
        CustodyEntry.objects.filter(confiscation=confiscation, kind__in=[Kind.RETURNED, Kind.DISPOSED])
        .select_related("recorded_by", "contact")
        .order_by("-at", "-pk")
        .first()
    )
    if last is None:
        return f"{confiscation.reference} has already been {confiscation.get_status_display().lower()}: nothing was recorded."
    if last.kind == Kind.RETURNED:
        whom = str(last.contact) if last.contact_id else "the pupil"
        done = f"returned to {whom}"
    else:
        done = "disposed of"
    return f"{confiscation.reference} was already {done} by {last.recorded_by} at {when_words(last.at)}: nothing was recorded."


def _require_open(confiscation: Confiscation) -> None:
    if confiscation.is_closed:
        raise AlreadyDone(closed_words(confiscation))


def _require_held(confiscation: Confiscation, doing: str) -> None:
    """Only a device the school holds now is moved, searched, handed on, returned or disposed of."""
    _require_open(confiscation)
    if confiscation.status == Status.WITH_POLICE:
        raise ValidationError(f"{confiscation.reference} is with the police: record it back from the police before {doing}.")


def _require_not_evidence(confiscation: Confiscation, doing: str) -> None:
    if confiscation.is_evidence:
        raise ValidationError(
            f"{confiscation.reference} is flagged as evidence: it cannot be {doing} until the DSL lifts the flag."
        )


def _required(value: str, message: str) -> str:
    value = (value or "").strip()
    if not value:
        raise ValidationError(message)
    return value


@transaction.atomic
def confiscation_record(
    *,
    school: School,
    actor: User,
    kind: str,
    description: str,
    pupil: Pupil | None,
    taken_at: datetime,
    reason: str,
    stored_at: str,
    is_evidence: bool = False,
    incident: Incident | None = None,
) -> Confiscation:
    """
    A device taken from a pupil (or found, with no pupil): numbered, its first custody entry written (taken, or
    found), and the office told that a device is to be held. Nothing about the pupil or an incident is in the
    notification.
    """
    if pupil is not None and pupil.school_id != school.pk:
        raise ValidationError("Choose a pupil of your school.")
    if incident is not None and incident.school_id != school.pk:
        raise ValidationError("Choose an incident of your school.")
    if taken_at > timezone.now() + FUTURE_LEEWAY:
        raise ValidationError("This is in the future. Give the date and time the device was taken or found.")
    description = _required(description, "Describe the device: make, colour, case.")
    reason = _required(reason, "Say why the device was taken.")
    stored_at = _required(stored_at, "Say where the device is kept now.")
    # The next number, taken under a row lock. An UPDATE rather than save(): the counter is not a change of the
    # school's settings, and a history entry for it would tell the settings page when each device was taken.
    settings_pk = device_settings_for(school).pk
    DeviceSettings.objects.filter(pk=settings_pk).update(last_confiscation_number=F("last_confiscation_number") + 1)
    number = DeviceSettings.objects.select_for_update().values_list("last_confiscation_number", flat=True).get(pk=settings_pk)
    confiscation = Confiscation(
        school=school,
        number=number,
        kind=kind,
        description=description,
        pupil=pupil,
        taken_by=actor,
        taken_at=taken_at,
        reason=reason,
        incident=incident,
        stored_at=stored_at,
        is_evidence=is_evidence,
    )
    save_with_history(confiscation, actor=actor, reason="Recorded" if pupil else "Recorded as found")
    _entry(confiscation, kind=Kind.TAKEN if pupil else Kind.FOUND, actor=actor, at=taken_at, stored_at=stored_at)
    if is_evidence:
        _entry(confiscation, kind=Kind.FLAGGED, actor=actor, at=taken_at, note="Flagged as evidence when it was recorded.")
    device = confiscation.get_kind_display().lower()
    how = "taken from a pupil" if pupil else "found"
    notify(
        recipients=staff_with_roles(school, [Role.OFFICE]).exclude(pk=actor.pk),
        school=school,
        title=f"{confiscation.reference}: a confiscated device to hold",
        body=f"A {device} was {how} by {actor} and is kept at: {stored_at}. Keep it safe until it is returned or handed on."
        + (" It is flagged as evidence: do not return it." if is_evidence else ""),
        link=_link(confiscation),
    )
    if is_evidence:
        notify(
            recipients=staff_with_roles(school, [Role.DSL]).exclude(pk=actor.pk),
            school=school,
            title=f"{confiscation.reference}: a confiscated device flagged as evidence",
            body="A device has been flagged as possible evidence of an offence. Open the app to decide what happens to it.",
            link=_link(confiscation),
        )
    return confiscation


@transaction.atomic
def confiscation_move(*, confiscation: Confiscation, actor: User, stored_at: str, note: str = "") -> Confiscation:
    """The device is now kept somewhere else (e.g. moved to the office safe)."""
    stored_at = _required(stored_at, "Say where the device is kept now.")
    confiscation = _lock(confiscation)
    _require_held(confiscation, "moving it")
    _entry(confiscation, kind=Kind.STORED, actor=actor, stored_at=stored_at, note=note.strip())
    confiscation.stored_at = stored_at
    save_with_history(confiscation, actor=actor, reason="Moved")
    return confiscation


@transaction.atomic
def confiscation_search(
    *,
    confiscation: Confiscation,
    actor: User,
    searched_by: StaffMember,
    consent_from: str,
    witnessed_by: StaffMember,
    found: str,
    note: str = "",
) -> Confiscation:
    """A search of the device by the leadership team, with whose consent, before a witness, and what was found
    (in words: never the images themselves)."""
    school = confiscation.school_id
    if searched_by.school_id != school or witnessed_by.school_id != school:
        raise ValidationError("Choose members of staff of your school.")
    if searched_by.pk == witnessed_by.pk:
        raise ValidationError("The witness must be someone other than the person who searched the device.")
    consent_from = _required(consent_from, "Say whose consent the search had.")
    found = _required(found, "Say what the search found, in words (“nothing of concern” if so).")
    confiscation = _lock(confiscation)
    _require_held(confiscation, "searching it")
    _entry(
        confiscation,
        kind=Kind.SEARCHED,
        actor=actor,
        searched_by=searched_by,
        consent_from=consent_from,
        witnessed_by=witnessed_by,
        found=found,
        note=note.strip(),
    )
    save_with_history(confiscation, actor=actor, reason="Searched")
    return confiscation


@transaction.atomic
def confiscation_to_police(
    *, confiscation: Confiscation, actor: User, officer: str, police_reference: str = "", note: str = ""
) -> Confiscation:
    """Handed to the police (illegal material suspected): the officer who took it and their reference."""
    officer = _required(officer, "Name the police officer who took the device.")
    confiscation = _lock(confiscation)
    _require_held(confiscation, "handing it to the police again")
    _entry(
        confiscation,
        kind=Kind.TO_POLICE,
        actor=actor,
        officer=officer,
        police_reference=police_reference.strip(),
        note=note.strip(),
    )
    confiscation.status = Status.WITH_POLICE
    save_with_history(confiscation, actor=actor, reason="Handed to the police")
    return confiscation


@transaction.atomic
def confiscation_back_from_police(*, confiscation: Confiscation, actor: User, stored_at: str, note: str = "") -> Confiscation:
    """The police have given the device back to the school: where it is kept now."""
    stored_at = _required(stored_at, "Say where the device is kept now.")
    confiscation = _lock(confiscation)
    _require_open(confiscation)
    if confiscation.status != Status.WITH_POLICE:
        raise AlreadyDone(f"{confiscation.reference} is not with the police: nothing was recorded.")
    _entry(confiscation, kind=Kind.BACK_FROM_POLICE, actor=actor, stored_at=stored_at, note=note.strip())
    confiscation.status = Status.HELD
    confiscation.stored_at = stored_at
    save_with_history(confiscation, actor=actor, reason="Back from the police")
    return confiscation


@transaction.atomic
def confiscation_flag(*, confiscation: Confiscation, actor: User, note: str) -> Confiscation:
    """Flagged as possible evidence of an offence: it stays with the school (or the police) until the DSL lifts the flag."""
    note = _required(note, "Say why the device may be evidence.")
    confiscation = _lock(confiscation)
    _require_open(confiscation)
    if confiscation.is_evidence:
        raise AlreadyDone(f"{confiscation.reference} is already flagged as evidence: nothing was recorded.")
    _entry(confiscation, kind=Kind.FLAGGED, actor=actor, note=note)
    confiscation.is_evidence = True
    save_with_history(confiscation, actor=actor, reason="Flagged as evidence")
    return confiscation


@transaction.atomic
def confiscation_lift_flag(*, confiscation: Confiscation, actor: User, reason: str) -> Confiscation:
    """The DSL lifts the evidence flag, saying why: the device may then be returned or disposed of."""
    reason = _required(reason, "Say why the device is no longer needed as evidence.")
    confiscation = _lock(confiscation)
    _require_open(confiscation)
    if not confiscation.is_evidence:
        raise AlreadyDone(f"{confiscation.reference} is not flagged as evidence: nothing was recorded.")
    _entry(confiscation, kind=Kind.FLAG_LIFTED, actor=actor, note=reason)
    confiscation.is_evidence = False
    save_with_history(confiscation, actor=actor, reason="Evidence flag lifted")
    return confiscation


@transaction.atomic
def confiscation_return(
    *,
    confiscation: Confiscation,
    actor: User,
    returned_to: str,
    contact_link: PupilContact | None = None,
    note: str = "",
) -> Confiscation:
    """
    Returned to the pupil, or to one of the pupil's own parents or carers (never another pupil's). A found device
    goes back to whoever it belongs to, named in the note.
    """
    if returned_to == CustodyEntry.ReturnedTo.CONTACT:
        if contact_link is None:
            raise ValidationError("Choose the parent or carer the device was given to.")
        if confiscation.pupil_id is None or contact_link.pupil_id != confiscation.pupil_id:
            raise ValidationError("Choose one of the pupil's own parents or carers.")
    elif returned_to == CustodyEntry.ReturnedTo.PUPIL:
        contact_link = None
        if confiscation.pupil_id is None and not note.strip():
            raise ValidationError("This device was found: say in the note who it was given back to.")
    else:
        raise ValidationError("Say who the device was given back to.")
    confiscation = _lock(confiscation)
    _require_held(confiscation, "returning it")
    _require_not_evidence(confiscation, "returned")
    now = timezone.now()
    _entry(
        confiscation,
        kind=Kind.RETURNED,
        actor=actor,
        at=now,
        returned_to=returned_to,
        contact=contact_link.contact if contact_link else None,
        note=note.strip(),
    )
    confiscation.status = Status.RETURNED
    confiscation.closed_at = now
    save_with_history(confiscation, actor=actor, reason="Returned")
    return confiscation


@transaction.atomic
def confiscation_dispose(*, confiscation: Confiscation, actor: User, how: str, why: str) -> Confiscation:
    """Disposed of (e.g. unclaimed at the end of term and recycled): how, and why."""
    how = _required(how, "Say how the device was disposed of.")
    why = _required(why, "Say why the device was disposed of.")
    confiscation = _lock(confiscation)
    _require_held(confiscation, "disposing of it")
    _require_not_evidence(confiscation, "disposed of")
    now = timezone.now()
    _entry(confiscation, kind=Kind.DISPOSED, actor=actor, at=now, note=f"How: {how}\nWhy: {why}")
    confiscation.status = Status.DISPOSED
    confiscation.closed_at = now
    save_with_history(confiscation, actor=actor, reason="Disposed of")
    return confiscation


@transaction.atomic
def confiscation_add_note(*, confiscation: Confiscation, actor: User, note: str) -> Confiscation:
    """A note in the chain of custody (e.g. a parent rang to arrange collection)."""
    note = _required(note, "Write the note.")
    confiscation = _lock(confiscation)
    _require_open(confiscation)
    _entry(confiscation, kind=Kind.NOTE, actor=actor, note=note)
    save_with_history(confiscation, actor=actor, reason="Note added")
    return confiscation
