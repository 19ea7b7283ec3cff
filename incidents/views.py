"""
Logging and handling incidents. Every incident is fetched through
`selectors.get_incident_or_404`, so an incident the user may not see does
not exist for them; handling needs the incident's audience as well as the
capability (a teacher with a task on an incident may read it and tick off
their task, not triage it).
"""

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import Prefetch
from django.http import Http404, HttpResponse, HttpResponseBadRequest
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.datastructures import MultiValueDict
from django.views.decorators.http import require_POST

from devices.selectors.custody import confiscations_of_incident
from esafety.access import capability_required
from esafety.audit import access_log_for, access_log_write
from esafety.history import history_for
from esafety.models import AccessLogEntry
from esafety.roles import Capability
from esafety.second_factor import restricted_record_opened
from esafety.selectors import pupils_for, staff_for
from incidents import selectors, services
from incidents.forms import (
    AgencyForm,
    AssignForm,
    CategoryForm,
    ChosenActionsFormSet,
    CloseForm,
    DoneForm,
    EvidenceForm,
    IncidentLogForm,
    IncidentSettingsForm,
    MatrixForm,
    NoteForm,
    PeopleSearchForm,
    ReopenForm,
    TriageForm,
    parse_people,
)
from incidents.models import IncidentAction, IncidentCategory, IncidentChecklistStep, IncidentDraft, Matrix

# --- Logging --------------------------------------------------------------------


def _log_context(form, people_rows, draft_saved=None):
    categories = form.fields["category"].queryset
    return {
        "form": form,
        "people_rows": people_rows,
        "image_category_ids": [str(c.pk) for c in categories if c.involves_images],
        "draft_saved": draft_saved,
    }


@capability_required(Capability.LOG_INCIDENT)
def incident_log(request):
    school = request.access.school
    if request.method == "POST":
        form = IncidentLogForm(request.POST, school=school)
        if form.is_valid():
            try:
                incident = services.incident_log(school=school, actor=request.user, people=form.people, **form.cleaned_data)
            except ValidationError as error:
                form.add_error(None, error)
            else:
                return redirect("incidents:incident_logged", incident_id=incident.pk)
        # Keep what was typed even if the next step is a lost session.
        services.incident_draft_save(user=request.user, school=school, data=_draft_data(request.POST))
        return render(request, "incidents/log.html", _log_context(form, form.people_rows), status=400)
    draft = IncidentDraft.objects.filter(user=request.user, school=school).first()
    if draft and draft.data:
        data = MultiValueDict(draft.data)
        form = IncidentLogForm(initial={k: v[-1] for k, v in draft.data.items() if k not in ("person", "part")}, school=school)
        _, rows = parse_people(data, school)
        return render(request, "incidents/log.html", _log_context(form, rows, draft_saved=draft.updated_at))
    form = IncidentLogForm(
        initial={"occurred_at": timezone.localtime().replace(second=0, microsecond=0), "location": "school"}, school=school
    )
    return render(request, "incidents/log.html", _log_context(form, []))


def _draft_data(post) -> dict:
    # A draft keeps what was typed, but without NUL, which PostgreSQL cannot store in JSON. Nobody types it;
    # pasted text can carry it. Were it in a field of the form, the form says so when the incident is logged.
    return {
        key.replace("\x00", ""): [value.replace("\x00", "") for value in post.getlist(key)]
        for key in post
        if key != "csrfmiddlewaretoken"
    }


@require_POST
@capability_required(Capability.LOG_INCIDENT)
def incident_draft(request):
    """Saved as the member of staff types (htmx), so that a timed-out session loses nothing."""
    draft = services.incident_draft_save(user=request.user, school=request.access.school, data=_draft_data(request.POST))
    return HttpResponse(f"Draft saved at {timezone.localtime(draft.updated_at):%H:%M}")


@require_POST
@capability_required(Capability.LOG_INCIDENT)
def incident_draft_discard(request):
    IncidentDraft.objects.filter(user=request.user, school=request.access.school).delete()
    messages.info(request, "The draft has been discarded.")
    return redirect("incidents:incident_log")


@capability_required(Capability.LOG_INCIDENT)
def people_search(request):
    """Pupils and staff matching what was typed, as buttons that add them to the log form (htmx)."""
    form = PeopleSearchForm(request.GET)
    if not form.is_valid():
        # Nobody types this (a NUL character, a whole page pasted): refused, with the reason.
        return HttpResponseBadRequest(" ".join(form.errors["q"]), content_type="text/plain; charset=utf-8")
    q = form.cleaned_data["q"]
    pupils, staff = [], []
    if len(q) >= 2:
        pupils = list(pupils_for(request.access).current().search(q).select_related("form")[:8])
        staff = list(staff_for(request.access).current().search(q)[:5])
    return render(request, "incidents/_people_results.html", {"q": q, "pupils": pupils, "staff": staff})


@capability_required(Capability.LOG_INCIDENT)
def people_row(request):
    """One row of the people list, for the person picked (htmx)."""
    key = request.GET.get("person", "")
    _, rows = parse_people(
        MultiValueDict({"person": [key], "part": [request.GET.get("part", "affected")]}), request.access.school
    )
    if not rows:
        raise Http404
    return render(request, "incidents/_person_row.html", {"row": rows[0]})


@capability_required(Capability.LOG_INCIDENT)
def incident_logged(request, incident_id):
    """What the reporter sees after logging: the case, or for a restricted one a receipt only."""
    incident = get_object_or_404(
        selectors.receipts_for(request.access, request.user) | selectors.incidents_for(request.access, request.user),
        pk=incident_id,
        reported_by=request.user,
    )
    return render(
        request,
        "incidents/logged.html",
        {"incident": incident, "may_open": selectors.incidents_for(request.access, request.user).filter(pk=incident.pk).exists()},
    )


@capability_required(Capability.LOG_INCIDENT)
def my_reports(request):
    """Incidents the user logged: the ones they may read, and receipts for restricted ones."""
    mine = selectors.with_list_columns(selectors.incidents_for(request.access, request.user).filter(reported_by=request.user))
    receipts = selectors.receipts_for(request.access, request.user).select_related("category")
    tasks = selectors.my_open_actions(request.access, request.user)
    return render(
        request,
        "incidents/my_reports.html",
        {
            "incidents": mine.order_by("-reported_at")[:50],
            "receipts": receipts.order_by("-reported_at")[:50],
            "tasks": tasks[:50],
        },
    )


# --- One incident -----------------------------------------------------------------

HANDLERS = (Capability.TRIAGE_INCIDENTS, Capability.HANDLE_STAFF_INCIDENTS, Capability.HANDLE_HEAD_ALLEGATIONS)


def _get_for_handling(request, incident_id):
    """The incident for a handling form: 404 outside its audience, 403 for those who may read it but not handle it."""
    incident = selectors.get_incident_or_404(request.access, request.user, incident_id)
    if not selectors.handles(request.access, incident):
        raise PermissionDenied
    return incident


def _detail_context(request, incident, **forms):
    """What the case page shows; `forms` are bound forms shown again with their errors, in place of blank ones."""
    handling = selectors.handles(request.access, incident)
    context = {
        "incident": incident,
        "handling": handling,
        "people": list(incident.people.all()),
        "checklist": list(incident.checklist.select_related("done_by")),
        "actions": list(incident.actions.select_related("owner", "done_by")),
        "evidence": list(incident.evidence.all()),
        "events": list(incident.events.select_related("actor")),
        "history": history_for(incident),
        "today": timezone.localdate(),
        "may_export": request.access.can(Capability.EXPORT_INCIDENTS) and handling,
        # The devices recorded from it that the reader may open; None for those who record none.
        "confiscations": confiscations_of_incident(request.access, incident),
    }
    if handling:
        earlier = selectors.earlier_incidents(incident, request.user)
        proposals = selectors.proposed_actions(incident, request.user, earlier) if not incident.is_closed else []
        context.update(
            {
                "earlier": earlier,
                "assign_form": AssignForm(
                    handlers=selectors.handlers_of(incident), initial={"assignee": incident.assigned_to_id}
                ),
                "triage_form": TriageForm(incident=incident),
                "note_form": NoteForm(),
                "agency_form": AgencyForm(
                    initial={
                        "agency": incident.agency,
                        "agency_reference": incident.agency_reference,
                        "waiting": incident.status == incident.Status.WAITING,
                    }
                ),
                "close_form": CloseForm(),
                "reopen_form": ReopenForm(),
                "evidence_form": EvidenceForm(),
                "action_formset": ChosenActionsFormSet(
                    proposals=proposals, owners=_possible_owners(incident), actor=request.user
                ),
                "looked_at": list(access_log_for(incident)[:50]) if incident.is_restricted else None,
                **forms,
            }
        )
    return context


def _possible_owners(incident):
    """Everyone at the school who may see the incident, so may own one of its actions."""
    from esafety.models import User

    if incident.is_restricted:
        return selectors.handlers_of(incident)
    return list(User.objects.filter(is_active=True, memberships__school=incident.school_id).distinct().order_by("full_name"))


def _log_restricted_view(request, incident, what="Viewed"):
    if incident.is_restricted:
        access_log_write(
            request, kind=AccessLogEntry.Kind.VIEW, summary=f"{what} restricted incident {incident.reference}", obj=incident
        )


@capability_required(Capability.LOG_INCIDENT, Capability.TRIAGE_INCIDENTS, Capability.HANDLE_HEAD_ALLEGATIONS)
def incident_detail(request, incident_id):
    incident = selectors.get_incident_or_404(request.access, request.user, incident_id)
    return _show_case(request, incident)


def _show_case(request, incident, status=200, **forms):
    """
    The case page, wherever it is shown (also again with a handling form's errors, given in `forms`): a
    restricted case needs a recent second factor first, and each showing of it is in the access log.
    """
    if incident.is_restricted:
        step_up = restricted_record_opened(request, next_url=reverse("incidents:incident_detail", args=[incident.pk]))
        if step_up is not None:
            if request.method == "POST":
                messages.warning(request, "Nothing was saved: confirm it is you, then try again.")
            return step_up
        _log_restricted_view(request, incident)
    return render(request, "incidents/detail.html", _detail_context(request, incident, **forms), status=status)


def _after_handling(request, incident):
    """Back to the case, or to the dashboard the handler acted from or when the case has left their sight."""
    if not selectors.incidents_for(request.access, request.user).filter(pk=incident.pk).exists():
        # A new category can move the case to someone else (e.g. an allegation about staff).
        messages.info(request, f"{incident.reference} is now seen only by: {incident.get_audience_display().split(': ')[-1]}.")
        return redirect("incidents:dashboard")
    if request.POST.get("next") == "dashboard":
        return redirect("incidents:dashboard")
    return redirect("incidents:incident_detail", incident_id=incident.pk)


@require_POST
@capability_required(*HANDLERS)
def incident_assign(request, incident_id):
    incident = _get_for_handling(request, incident_id)
    form = AssignForm(request.POST, handlers=selectors.handlers_of(incident))
    if form.is_valid():
        assignee = form.cleaned_data["assignee"]
        try:
            services.incident_assign(incident=incident, assignee=assignee, actor=request.user)
        except ValidationError as error:
            form.add_error(None, error.messages)
        else:
            messages.success(request, f"{incident.reference} is now handled by {assignee}.")
            return _after_handling(request, incident)
    return _show_case(request, incident, status=400, assign_form=form)


@require_POST
@capability_required(*HANDLERS)
def incident_triage(request, incident_id):
    incident = _get_for_handling(request, incident_id)
    form = TriageForm(request.POST, incident=incident)
    if form.is_valid():
        try:
            services.incident_triage(incident=incident, actor=request.user, **form.cleaned_data)
        except ValidationError as error:
            form.add_error(None, error.messages)
        else:
            messages.success(request, f"{incident.reference} has been updated.")
            return _after_handling(request, incident)
    return _show_case(request, incident, status=400, triage_form=form)


@require_POST
@capability_required(*HANDLERS)
def incident_note(request, incident_id):
    incident = _get_for_handling(request, incident_id)
    form = NoteForm(request.POST)
    if form.is_valid():
        try:
            services.incident_add_note(incident=incident, actor=request.user, text=form.cleaned_data["text"])
        except ValidationError as error:
            form.add_error(None, error.messages)
        else:
            messages.success(request, "The note has been added.")
            return _after_handling(request, incident)
    return _show_case(request, incident, status=400, note_form=form)


@require_POST
@capability_required(*HANDLERS)
def incident_agency(request, incident_id):
    incident = _get_for_handling(request, incident_id)
    form = AgencyForm(request.POST)
    if form.is_valid():
        data = form.cleaned_data
        try:
            services.incident_set_agency(
                incident=incident,
                actor=request.user,
                agency=data["agency"],
                reference=data["agency_reference"],
                waiting=data["waiting"],
            )
        except ValidationError as error:
            form.add_error(None, error.messages)
        else:
            messages.success(request, "The referral has been recorded.")
            return _after_handling(request, incident)
    return _show_case(request, incident, status=400, agency_form=form)


@require_POST
@capability_required(*HANDLERS)
def incident_close(request, incident_id):
    incident = _get_for_handling(request, incident_id)
    form = CloseForm(request.POST)
    if form.is_valid():
        try:
            services.incident_close(incident=incident, actor=request.user, **form.cleaned_data)
        except ValidationError as error:
            form.add_error(None, error.messages)
        else:
            messages.success(request, f"{incident.reference} has been closed.")
            return _after_handling(request, incident)
    return _show_case(request, incident, status=400, close_form=form)


@require_POST
@capability_required(*HANDLERS)
def incident_reopen(request, incident_id):
    incident = _get_for_handling(request, incident_id)
    form = ReopenForm(request.POST)
    if form.is_valid():
        try:
            services.incident_reopen(incident=incident, actor=request.user, reason=form.cleaned_data["reason"])
        except ValidationError as error:
            form.add_error(None, error.messages)
        else:
            messages.success(request, f"{incident.reference} has been reopened.")
            return _after_handling(request, incident)
    return _show_case(request, incident, status=400, reopen_form=form)


@require_POST
@capability_required(*HANDLERS)
def evidence_add(request, incident_id):
    incident = _get_for_handling(request, incident_id)
    form = EvidenceForm(request.POST)
    if form.is_valid():
        try:
            services.evidence_register(incident=incident, actor=request.user, **form.cleaned_data)
        except ValidationError as error:
            form.add_error(None, error.messages)
        else:
            messages.success(request, "The evidence has been registered.")
            return _after_handling(request, incident)
    return _show_case(request, incident, status=400, evidence_form=form)


@require_POST
@capability_required(*HANDLERS)
def incident_actions_add(request, incident_id):
    """The actions ticked from the matrix's proposals, and any other, each with an owner and a due date."""
    incident = _get_for_handling(request, incident_id)
    formset = ChosenActionsFormSet(
        request.POST,
        proposals=selectors.proposed_actions(incident, request.user),
        owners=_possible_owners(incident),
        actor=request.user,
    )
    if formset.is_valid():
        chosen = formset.chosen()
        try:
            services.incident_actions_add(incident=incident, actor=request.user, chosen=chosen)
        except ValidationError as error:
            # As a message, not beside the rows: "closed, reopen it first" comes with a page that shows no rows.
            for message in error.messages:
                messages.error(request, message)
        else:
            messages.success(request, f"{len(chosen)} action{'s' if len(chosen) != 1 else ''} added.")
            return redirect("incidents:incident_detail", incident_id=incident.pk)
    return _show_case(request, incident, status=400, action_formset=formset)


@require_POST
@capability_required(Capability.LOG_INCIDENT, Capability.TRIAGE_INCIDENTS, Capability.HANDLE_HEAD_ALLEGATIONS)
def action_done(request, action_id):
    """An action's owner, or a handler of its incident, ticks it off with a note."""
    visible = selectors.incidents_for(request.access, request.user)
    action = get_object_or_404(IncidentAction.objects.select_related("incident").filter(incident__in=visible), pk=action_id)
    if action.owner_id != request.user.pk and not selectors.handles(request.access, action.incident):
        raise PermissionDenied
    form = DoneForm(request.POST)
    form.is_valid()
    try:
        services.incident_action_complete(action=action, actor=request.user, note=form.cleaned_data.get("note", ""))
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
    else:
        messages.success(request, f"“{action.title}” is done.")
    if request.POST.get("next") == "mine":
        return redirect("incidents:my_reports")
    return redirect("incidents:incident_detail", incident_id=action.incident_id)


@require_POST
@capability_required(*HANDLERS)
def checklist_done(request, step_id):
    visible = selectors.incidents_for(request.access, request.user)
    step = get_object_or_404(IncidentChecklistStep.objects.select_related("incident").filter(incident__in=visible), pk=step_id)
    if not selectors.handles(request.access, step.incident):
        raise PermissionDenied
    form = DoneForm(request.POST)
    form.is_valid()
    try:
        services.checklist_step_complete(step=step, actor=request.user, note=form.cleaned_data.get("note", ""))
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
    else:
        messages.success(request, f"Checklist: “{step.text}” is done.")
    return redirect(reverse("incidents:incident_detail", args=[step.incident_id]) + "#checklist")


# --- The school's set-up ------------------------------------------------------------


@capability_required(Capability.SET_UP_INCIDENTS)
def setup(request):
    school = request.access.school
    settings = selectors.settings_for(school)
    if request.method == "POST":
        form = IncidentSettingsForm(request.POST, instance=settings)
        if form.is_valid():
            services.incident_settings_update(settings=form.instance, actor=request.user)
            messages.success(request, "The incident settings have been saved.")
            return redirect("incidents:setup")
    else:
        form = IncidentSettingsForm(instance=settings)
    categories = (
        IncidentCategory.objects.for_school(school)
        .select_related("pupil_row", "staff_row")
        .prefetch_related(Prefetch("checklist"))
        .order_by("order", "name")
    )
    return render(
        request,
        "incidents/setup.html",
        {"form": form, "categories": categories, "history": history_for(settings)},
        status=400 if form.errors else 200,
    )


@capability_required(Capability.SET_UP_INCIDENTS)
def category_edit(request, category_id=None):
    school = request.access.school
    category = get_object_or_404(IncidentCategory.objects.for_school(school), pk=category_id) if category_id else None
    form = CategoryForm(request.POST or None, instance=category, school=school)
    if request.method == "POST" and form.is_valid():
        services.category_save(category=form.instance, actor=request.user, steps=form.steps())
        messages.success(request, f"The category “{form.instance.name}” has been saved.")
        return redirect("incidents:setup")
    return render(
        request,
        "incidents/category_form.html",
        {"form": form, "category": category, "history": history_for(category) if category else []},
        status=400 if form.errors else 200,
    )


@capability_required(Capability.SET_UP_INCIDENTS)
def matrix_edit(request, matrix):
    if matrix not in Matrix.values:
        raise Http404
    school = request.access.school
    rows = selectors.matrix_rows(school, matrix)
    actions = selectors.matrix_actions(school, matrix)
    form = MatrixForm(request.POST if request.method == "POST" else None, rows=rows, actions=actions)
    if form.is_valid():
        changed = services.matrix_update(school=school, matrix=matrix, ticked=form.ticked(), actor=request.user)
        messages.success(request, f"The matrix has been saved ({changed} row{'s' if changed != 1 else ''} changed).")
        return redirect("incidents:matrix_edit", matrix=matrix)
    # After an error, the boxes as they were ticked, not as saved.
    posted = set(form.data.getlist("tick")) if form.is_bound else None

    def ticked(row, action) -> bool:
        return f"{row.pk}-{action.pk}" in posted if posted is not None else action in row.actions.all()

    grid = [(row, [(action, ticked(row, action)) for action in actions]) for row in rows]
    return render(
        request,
        "incidents/matrix.html",
        {
            "matrix": Matrix(matrix),
            "actions": actions,
            "grid": grid,
            "form": form,
            "row_history": selectors.matrix_history(school, matrix),
        },
        status=400 if form.errors else 200,
    )
