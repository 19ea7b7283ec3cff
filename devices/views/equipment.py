"""Personal equipment used with pupils: asking, the head teacher's decision with the photo check, the images afterwards."""

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.shortcuts import redirect, render
from django.utils import timezone
from django.views.decorators.http import require_POST

from consents.services import photo_lookups_record
from devices.forms.equipment import ConfirmImagesForm, DecisionForm, EquipmentFilterForm, EquipmentRequestForm
from devices.models import EquipmentPermission
from devices.selectors import device_settings_for
from devices.selectors import equipment as selectors
from devices.services import equipment as services
from esafety.access import capability_required
from esafety.audit import access_log_write
from esafety.listing import page_of, query_without_page
from esafety.models import AccessLogEntry
from esafety.roles import Capability
from esafety.selectors import forms_for, pupils_for
from filtering.services.changes import AlreadyDone

C = Capability
Status = EquipmentPermission.Status


@capability_required(C.ASK_PERSONAL_EQUIPMENT, C.DECIDE_PERSONAL_EQUIPMENT)
def equipment_list(request):
    access = request.access
    form = EquipmentFilterForm(request.GET or None)
    status = form.cleaned_data["status"] if form.is_valid() else ""
    return render(
        request,
        "devices/equipment/list.html",
        {
            "page": page_of(request, selectors.equipment_register(access, status)),
            "filter_form": form,
            "query": query_without_page(request),
            "sees_all": access.can(C.DECIDE_PERSONAL_EQUIPMENT),
            "may_ask": access.can(C.ASK_PERSONAL_EQUIPMENT),
        },
        status=400 if form.errors else 200,
    )


@capability_required(C.ASK_PERSONAL_EQUIPMENT)
def equipment_new(request):
    access = request.access
    pupils = pupils_for(access).current()
    form_groups = forms_for(access)
    form = EquipmentRequestForm(request.POST or None, pupils=pupils, form_groups=form_groups)
    if request.method == "POST":
        if form.is_valid():
            data = form.cleaned_data
            try:
                permission = services.equipment_permission_request(
                    school=access.school,
                    actor=request.user,
                    equipment=data["equipment"],
                    purpose=data["purpose"],
                    starts_on=data["starts_on"],
                    ends_on=data["ends_on"],
                    pupils=data["chosen_pupils"],
                )
            except ValidationError as error:
                form.add_error(None, error)
            else:
                messages.success(request, "Your request has been sent to the head teacher, who will decide.")
                return redirect("devices:equipment_detail", permission_id=permission.pk)
        return render(request, "devices/equipment/new.html", {"form": form}, status=400)
    return render(request, "devices/equipment/new.html", {"form": form})


def _show(request, permission: EquipmentPermission, status: int = 200, **forms):
    """The request's page, wherever it is shown (also again with a form's errors, given in `forms`)."""
    access = request.access
    pupils = list(permission.pupils.all())
    is_requester = permission.requested_by_id == request.user.pk
    deciding = access.can(C.DECIDE_PERSONAL_EQUIPMENT) and permission.status == Status.REQUESTED and not is_requester
    taking_photos = is_requester and permission.status == Status.APPROVED
    photo_check = None
    if pupils and (deciding or taking_photos) and access.can(C.CHECK_CONSENT):
        # The consents photo check on the chosen pupils: who looked them up is noted, so that a later withdrawal
        # of consent warns them (consents.services.photo_lookups_record).
        photo_check = selectors.photo_check_for(pupils)
        photo_lookups_record(school=access.school, user=request.user, pupils=pupils)
    started = permission.starts_on <= timezone.localdate()
    context = {
        "permission": permission,
        "pupils": pupils,
        "is_requester": is_requester,
        "decides": access.can(C.DECIDE_PERSONAL_EQUIPMENT),
        "photo_check": photo_check,
        "deciding": deciding,
        "decision_form": DecisionForm() if deciding else None,
        "may_withdraw": is_requester and permission.status == Status.REQUESTED,
        "confirm_form": ConfirmImagesForm() if taking_photos and started else None,
        "images_overdue": permission.status == Status.APPROVED and permission.images_due_at <= timezone.now(),
        "history": selectors.equipment_history(permission),
    }
    if deciding:
        context["deadline_hours"] = device_settings_for(access.school).images_deadline_hours
    context.update(forms)
    # It names pupils: who read it is on the record.
    access_log_write(
        request,
        kind=AccessLogEntry.Kind.VIEW,
        summary="Viewed a request to use personal equipment with pupils",
        obj=permission,
    )
    return render(request, "devices/equipment/detail.html", context, status=status)


@capability_required(C.ASK_PERSONAL_EQUIPMENT, C.DECIDE_PERSONAL_EQUIPMENT)
def equipment_detail(request, permission_id):
    return _show(request, selectors.get_equipment_or_404(request.access, permission_id))


def _after(permission):
    return redirect("devices:equipment_detail", permission_id=permission.pk)


def _told(request, permission, error: ValidationError):
    messages.warning(request, " ".join(error.messages))
    return _after(permission)


@require_POST
@capability_required(C.DECIDE_PERSONAL_EQUIPMENT)
def equipment_decide(request, permission_id):
    """The head teacher approves or declines, with a note; the second of two deciding at once is told what the first did."""
    permission = selectors.get_equipment_or_404(request.access, permission_id)
    if permission.status != Status.REQUESTED:
        return _told(request, permission, AlreadyDone(services.settled_words(permission)))
    if permission.requested_by_id == request.user.pk:
        messages.error(request, "Nothing was decided: you asked for this yourself, so another head teacher must decide it.")
        return _after(permission)
    form = DecisionForm(request.POST)
    if form.is_valid():
        try:
            permission = services.equipment_permission_decide(
                permission=permission,
                actor=request.user,
                approve=form.cleaned_data["decision"] == "approve",
                note=form.cleaned_data["note"],
            )
        except AlreadyDone as error:
            return _told(request, permission, error)
        except ValidationError as error:
            form.add_error(None, error)
        else:
            if permission.status == Status.APPROVED:
                due = timezone.localtime(permission.images_due_at)
                messages.success(
                    request,
                    f"Approved. {permission.requested_by} has been told, and must confirm the images are moved and deleted "
                    f"by {due:%H:%M} on {due.day} {due:%b %Y}.",
                )
            else:
                messages.success(request, f"Declined. {permission.requested_by} has been told.")
            return _after(permission)
    return _show(request, permission, status=400, decision_form=form)


@require_POST
@capability_required(C.ASK_PERSONAL_EQUIPMENT)
def equipment_withdraw(request, permission_id):
    permission = selectors.get_equipment_or_404(request.access, permission_id)
    try:
        services.equipment_permission_withdraw(permission=permission, actor=request.user)
    except ValidationError as error:
        return _told(request, permission, error)
    messages.success(request, "Your request has been withdrawn.")
    return _after(permission)


@require_POST
@capability_required(C.ASK_PERSONAL_EQUIPMENT)
def equipment_confirm(request, permission_id):
    """Whoever used the equipment confirms the images are on school systems (where) and deleted from the device."""
    permission = selectors.get_equipment_or_404(request.access, permission_id)
    if (refusal := services.images_confirm_refusal(permission, request.user)) is not None:
        return _told(request, permission, refusal)
    form = ConfirmImagesForm(request.POST)
    if form.is_valid():
        try:
            services.equipment_images_confirm(permission=permission, actor=request.user, where=form.cleaned_data["where"])
        except ValidationError as error:
            if not hasattr(error, "error_dict"):
                return _told(request, permission, error)
            form.add_error(None, error)
        else:
            messages.success(
                request, "Thank you: the images are recorded as moved to school systems and deleted from the device."
            )
            return _after(permission)
    return _show(request, permission, status=400, confirm_form=form)
