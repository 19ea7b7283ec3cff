"""
Confiscated devices: the register, recording a device (also from an incident's page, in one step), the device's
page with its chain of custody, and a POST for each step of the chain.
"""

import re

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.db.models import BooleanField, Case, IntegerField, Q, Value, When
from django.shortcuts import redirect, render
from django.utils import timezone
from django.views.decorators.http import require_POST

from devices.forms.custody import (
    BackFromPoliceForm,
    ConfiscationFilterForm,
    ConfiscationForm,
    DisposeForm,
    FlagForm,
    LiftFlagForm,
    MoveForm,
    NoteForm,
    PoliceForm,
    ReturnForm,
    SearchForm,
)
from devices.models import Confiscation
from devices.selectors import custody as selectors
from devices.services import custody as services
from esafety.access import capability_required
from esafety.audit import access_log_write
from esafety.history import history_for
from esafety.listing import page_of, query_without_page
from esafety.models import AccessLogEntry
from esafety.roles import Capability
from esafety.selectors import pupils_for, staff_for
from filtering.services.changes import AlreadyDone

C = Capability
Status = Confiscation.Status
# "CF-00042", "cf-42" or "cf42": a search for a device by its reference.
REFERENCE = re.compile(r"^cf-?0*(\d{1,9})$", re.IGNORECASE)
# Held first, then those with the police, then those returned or disposed of.
STATUS_ORDER = Case(
    When(status=Status.HELD, then=Value(0)),
    When(status=Status.WITH_POLICE, then=Value(1)),
    default=Value(2),
    output_field=IntegerField(),
)


def _pupil_words(text: str) -> Q:
    q = Q()
    for word in text.split():
        q &= Q(pupil__first_name__icontains=word) | Q(pupil__preferred_name__icontains=word) | Q(pupil__last_name__icontains=word)
    return q


@capability_required(C.CONFISCATE_DEVICE, C.HOLD_CONFISCATIONS)
def confiscation_list(request):
    access = request.access
    form = ConfiscationFilterForm(request.GET or None)
    limit = selectors.hold_limit(access.school)
    confiscations = selectors.confiscations_for(access)
    too_long = Q(status=Status.HELD, taken_at__lt=limit.taken_before)
    if form.is_valid():
        data = form.cleaned_data
        if data["status"]:
            confiscations = confiscations.filter(status=data["status"])
        if data["too_long"]:
            confiscations = confiscations.filter(too_long)
        q = data["q"].strip()
        if q:
            reference = REFERENCE.match(q)
            confiscations = (
                confiscations.filter(number=int(reference.group(1))) if reference else confiscations.filter(_pupil_words(q))
            )
    confiscations = confiscations.annotate(
        status_rank=STATUS_ORDER,
        held_too_long=Case(When(too_long, then=Value(True)), default=Value(False), output_field=BooleanField()),
    ).order_by("status_rank", "-taken_at", "-number")
    return render(
        request,
        "devices/custody/confiscation_list.html",
        {
            "page": page_of(request, confiscations),
            "filter_form": form,
            "query": query_without_page(request),
            "sees_all": access.can(C.HOLD_CONFISCATIONS),
            "limit": limit,
        },
        status=400 if form.errors else 200,
    )


@capability_required(C.CONFISCATE_DEVICE)
def confiscation_new(request):
    """Record a device taken or found; from an incident's page (`?incident=`), with the incident's pupil, time and reason."""
    access = request.access
    incident = None
    if "incident" in request.GET:
        incident = selectors.get_incident_for_confiscation_or_404(access, request.user, request.GET["incident"])
    pupils = pupils_for(access).current()
    if request.method == "POST":
        form = ConfiscationForm(request.POST, pupils=pupils)
        if form.is_valid():
            data = form.cleaned_data
            try:
                confiscation = services.confiscation_record(
                    school=access.school,
                    actor=request.user,
                    kind=data["kind"],
                    description=data["description"],
                    pupil=data["pupil"],
                    taken_at=data["taken_at"],
                    reason=data["reason"],
                    stored_at=data["stored_at"],
                    is_evidence=data["is_evidence"],
                    incident=incident,
                )
            except ValidationError as error:
                form.add_error(None, error)
            else:
                messages.success(
                    request, f"{confiscation.reference} has been recorded, and the office told that a device is to be held."
                )
                return redirect("devices:confiscation_detail", confiscation_id=confiscation.pk)
        return render(request, "devices/custody/confiscation_new.html", {"form": form, "incident": incident}, status=400)
    initial = {"taken_at": timezone.localtime().replace(second=0, microsecond=0)}
    if incident is not None:
        pupil = selectors.incident_pupil(incident)
        initial.update(
            {
                "taken_at": timezone.localtime(incident.occurred_at).replace(second=0, microsecond=0),
                "pupil": pupil.pk if pupil else None,
                "source": "taken",
                # A restricted incident's category says too much for everyone who holds the device to read.
                "reason": f"Taken in connection with a safeguarding matter, incident {incident.reference}: see the DSL."
                if incident.is_restricted
                else f"Incident {incident.reference}: {incident.category}.",
            }
        )
    form = ConfiscationForm(pupils=pupils, initial=initial)
    return render(request, "devices/custody/confiscation_new.html", {"form": form, "incident": incident})


def _forms_for(request, confiscation: Confiscation) -> dict:
    """A blank form for each step this reader may record now; None for the others."""
    access = request.access
    holds, searches = access.can(C.HOLD_CONFISCATIONS), access.can(C.SEARCH_DEVICES)
    held = confiscation.status == Status.HELD
    with_police = confiscation.status == Status.WITH_POLICE
    open_ = not confiscation.is_closed
    releasable = held and not confiscation.is_evidence
    staff = staff_for(access).current() if searches and held else None
    return {
        "move_form": MoveForm() if holds and held else None,
        "search_form": SearchForm(staff=staff) if searches and held else None,
        "police_form": PoliceForm() if searches and held else None,
        "back_form": BackFromPoliceForm() if searches and with_police else None,
        "flag_form": FlagForm() if searches and open_ and not confiscation.is_evidence else None,
        "lift_form": LiftFlagForm() if access.can(C.LIFT_EVIDENCE_FLAG) and open_ and confiscation.is_evidence else None,
        "return_form": ReturnForm(confiscation=confiscation, contacts=selectors.contacts_of(confiscation.pupil))
        if holds and releasable
        else None,
        "dispose_form": DisposeForm() if holds and releasable else None,
        "note_form": NoteForm() if open_ else None,
    }


def _show(request, confiscation: Confiscation, status: int = 200, **forms):
    """The device's page, wherever it is shown (also again with a form's errors, given in `forms`)."""
    access = request.access
    incident = selectors.visible_incident(access, request.user, confiscation)
    limit = selectors.hold_limit(access.school) if confiscation.status == Status.HELD else None
    context = {
        "confiscation": confiscation,
        "incident": incident,
        "chain": selectors.custody_chain(confiscation),
        "limit": limit,
        "too_long": limit is not None and confiscation.taken_at < limit.taken_before,
        "holds": access.can(C.HOLD_CONFISCATIONS),
        "searches": access.can(C.SEARCH_DEVICES),
        "history": history_for(confiscation, hidden_fields=[] if incident else ["incident"]),
        **_forms_for(request, confiscation),
    }
    context.update(forms)
    # A confiscated device's record may say what a search of it found: who read it is on the record.
    access_log_write(
        request, kind=AccessLogEntry.Kind.VIEW, summary=f"Viewed confiscated device {confiscation.reference}", obj=confiscation
    )
    return render(request, "devices/custody/confiscation_detail.html", context, status=status)


@capability_required(C.CONFISCATE_DEVICE, C.HOLD_CONFISCATIONS)
def confiscation_detail(request, confiscation_id):
    return _show(request, selectors.get_confiscation_or_404(request.access, confiscation_id))


def _after(confiscation):
    return redirect("devices:confiscation_detail", confiscation_id=confiscation.pk)


def _step(request, confiscation_id, *, form_name: str, form, service, done: str):
    """One step of the chain: the form checked, the service called, and the device's page again."""
    confiscation = selectors.get_confiscation_or_404(request.access, confiscation_id)
    if confiscation.is_closed:
        # A form left open while someone else returned or disposed of the device: whatever it says, they were first.
        messages.warning(request, services.closed_words(confiscation))
        return _after(confiscation)
    form = form(confiscation)
    if form.is_valid():
        try:
            confiscation = service(confiscation=confiscation, actor=request.user, **form.cleaned_data)
        except AlreadyDone as error:
            messages.warning(request, " ".join(error.messages))
            return _after(confiscation)
        except ValidationError as error:
            form.add_error(None, error)
        else:
            messages.success(request, f"{confiscation.reference}: {done}")
            return _after(confiscation)
    return _show(request, confiscation, status=400, **{form_name: form})


@require_POST
@capability_required(C.HOLD_CONFISCATIONS)
def confiscation_move(request, confiscation_id):
    return _step(
        request,
        confiscation_id,
        form_name="move_form",
        form=lambda c: MoveForm(request.POST),
        service=services.confiscation_move,
        done="the new place is recorded.",
    )


@require_POST
@capability_required(C.SEARCH_DEVICES)
def confiscation_search(request, confiscation_id):
    return _step(
        request,
        confiscation_id,
        form_name="search_form",
        form=lambda c: SearchForm(request.POST, staff=staff_for(request.access).current()),
        service=services.confiscation_search,
        done="the search is recorded.",
    )


@require_POST
@capability_required(C.SEARCH_DEVICES)
def confiscation_to_police(request, confiscation_id):
    return _step(
        request,
        confiscation_id,
        form_name="police_form",
        form=lambda c: PoliceForm(request.POST),
        service=services.confiscation_to_police,
        done="recorded as handed to the police.",
    )


@require_POST
@capability_required(C.SEARCH_DEVICES)
def confiscation_back_from_police(request, confiscation_id):
    return _step(
        request,
        confiscation_id,
        form_name="back_form",
        form=lambda c: BackFromPoliceForm(request.POST),
        service=services.confiscation_back_from_police,
        done="recorded as back from the police.",
    )


@require_POST
@capability_required(C.SEARCH_DEVICES)
def confiscation_flag(request, confiscation_id):
    return _step(
        request,
        confiscation_id,
        form_name="flag_form",
        form=lambda c: FlagForm(request.POST),
        service=services.confiscation_flag,
        done="flagged as evidence. It cannot be returned or disposed of until the flag is lifted.",
    )


@require_POST
@capability_required(C.LIFT_EVIDENCE_FLAG)
def confiscation_lift_flag(request, confiscation_id):
    """Lifting the evidence flag: the DSL's alone."""
    return _step(
        request,
        confiscation_id,
        form_name="lift_form",
        form=lambda c: LiftFlagForm(request.POST),
        service=services.confiscation_lift_flag,
        done="the evidence flag is lifted.",
    )


@require_POST
@capability_required(C.HOLD_CONFISCATIONS)
def confiscation_return(request, confiscation_id):
    return _step(
        request,
        confiscation_id,
        form_name="return_form",
        form=lambda c: ReturnForm(request.POST, confiscation=c, contacts=selectors.contacts_of(c.pupil)),
        service=services.confiscation_return,
        done="recorded as returned.",
    )


@require_POST
@capability_required(C.HOLD_CONFISCATIONS)
def confiscation_dispose(request, confiscation_id):
    return _step(
        request,
        confiscation_id,
        form_name="dispose_form",
        form=lambda c: DisposeForm(request.POST),
        service=services.confiscation_dispose,
        done="recorded as disposed of.",
    )


@require_POST
@capability_required(C.CONFISCATE_DEVICE, C.HOLD_CONFISCATIONS)
def confiscation_note(request, confiscation_id):
    return _step(
        request,
        confiscation_id,
        form_name="note_form",
        form=lambda c: NoteForm(request.POST),
        service=services.confiscation_add_note,
        done="the note is added.",
    )
