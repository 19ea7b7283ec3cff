"""
The school's own devices lent to staff: the register kept by IT and the office, lending and taking back, My devices
for every member of staff, devices lost or stolen with the DSL's breach assessment, and the register's CSV import.
"""

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.shortcuts import redirect, render
from django.utils import timezone
from django.views.decorators.http import require_POST

from devices import device_import as device_import_file
from devices.forms.loans import (
    AssessmentForm,
    BulkReturnForm,
    DeviceFilterForm,
    DeviceImportConfirmForm,
    DeviceImportForm,
    LendForm,
    LossForm,
    ReturnForm,
    SchoolDeviceForm,
)
from devices.models import DeviceLoss, SchoolDevice
from devices.selectors import loans as selectors
from devices.services import loans as services
from devices.services.loans import DEVICE_FIELDS, AlreadyDone
from esafety.access import capability_required
from esafety.csv_upload import CsvImport
from esafety.history import history_for
from esafety.listing import page_of, query_without_page
from esafety.roles import Capability
from esafety.selectors import staff_for

C = Capability
Status = SchoolDevice.Status


def _to_device(device):
    return redirect("devices:device_detail", device_id=device.pk)


def _warn(request, error: ValidationError) -> None:
    messages.warning(request, " ".join(error.messages))


def _device_fields(form) -> dict:
    return {name: form.cleaned_data[name] for name in DEVICE_FIELDS}


# --- The register ---------------------------------------------------------------------------------------------------


@capability_required(C.LEND_DEVICES)
def device_list(request):
    access = request.access
    today = timezone.localdate()
    form = DeviceFilterForm(request.GET or None, sets=selectors.device_sets(access))
    devices = selectors.device_register(access)
    if form.is_valid():
        data = form.cleaned_data
        if data["q"].strip():
            devices = devices.filter(selectors.search_filter(data["q"]))
        for name in ("kind", "status", "device_set"):
            if data[name]:
                devices = devices.filter(**{name: data[name]})
        if data["overdue"]:
            devices = devices.filter(selectors.overdue_filter(today))
        if data["leavers"]:
            devices = devices.filter(selectors.leavers_filter(today))
    return render(
        request,
        "devices/loans/device_list.html",
        {
            "page": page_of(request, devices.order_by("asset_tag")),
            "filter_form": form,
            "query": query_without_page(request),
            "today": today,
        },
        status=400 if form.errors else 200,
    )


@capability_required(C.LEND_DEVICES)
def device_new(request):
    form = SchoolDeviceForm(request.POST or None)
    if request.method == "POST":
        if form.is_valid():
            try:
                device = services.school_device_add(school=request.access.school, actor=request.user, **_device_fields(form))
            except ValidationError as error:
                form.add_error(None, error)
            else:
                messages.success(request, f"{device.asset_tag} has been added to the register.")
                return _to_device(device)
        return render(request, "devices/loans/device_form.html", {"form": form}, status=400)
    return render(request, "devices/loans/device_form.html", {"form": form})


@capability_required(C.LEND_DEVICES)
def device_edit(request, device_id):
    device = selectors.get_device_or_404(request.access, device_id)
    form = SchoolDeviceForm(request.POST or None, instance=device)
    if request.method == "POST":
        if form.is_valid():
            try:
                device = services.school_device_change(
                    device=device, actor=request.user, status=form.cleaned_data.get("status") or None, **_device_fields(form)
                )
            except ValidationError as error:
                form.add_error(None, error)
            else:
                messages.success(request, f"The details of {device.asset_tag} have been saved.")
                return _to_device(device)
        return render(request, "devices/loans/device_form.html", {"form": form, "device": device}, status=400)
    return render(request, "devices/loans/device_form.html", {"form": form, "device": device})


def _show(request, device: SchoolDevice, status: int = 200, **forms):
    """The device's page, wherever it is shown (also again with a form's errors, given in `forms`)."""
    access = request.access
    loan = device.open_loans[0] if device.open_loans else None
    context = {
        "device": device,
        "loan": loan,
        "today": timezone.localdate(),
        "loans": list(selectors.device_loans(device)),
        "losses": list(selectors.device_losses(device)),
        "history": history_for(device),
        "lend_form": LendForm(staff=staff_for(access).current()) if device.status == Status.AVAILABLE else None,
        "return_form": ReturnForm() if loan else None,
        "may_report_loss": device.status not in (Status.LOST, Status.STOLEN),
    }
    context.update(forms)
    return render(request, "devices/loans/device_detail.html", context, status=status)


@capability_required(C.LEND_DEVICES)
def device_detail(request, device_id):
    return _show(request, selectors.get_device_or_404(request.access, device_id))


# --- Lending and taking back -----------------------------------------------------------------------------------------


@capability_required(C.LEND_DEVICES)
def device_lend(request, device_id):
    """The lending form, on its own page or on the device's; a device not available says why."""
    access = request.access
    device = selectors.get_device_or_404(access, device_id)
    staff = staff_for(access).current()
    if request.method != "POST":
        form = LendForm(staff=staff) if device.status == Status.AVAILABLE else None
        return render(request, "devices/loans/device_lend.html", {"device": device, "form": form})
    form = LendForm(request.POST, staff=staff)
    if form.is_valid():
        try:
            loan = services.device_lend(device=device, actor=request.user, **form.cleaned_data)
        except AlreadyDone as error:
            _warn(request, error)
            return _to_device(device)
        except ValidationError as error:
            form.add_error(None, error)
        else:
            messages.success(request, f"{device.asset_tag} is lent to {loan.borrower} until {loan.due_on:%d/%m/%Y}.")
            return _to_device(device)
    return render(request, "devices/loans/device_lend.html", {"device": device, "form": form}, status=400)


@require_POST
@capability_required(C.LEND_DEVICES)
def device_return(request, device_id):
    device = selectors.get_device_or_404(request.access, device_id)
    form = ReturnForm(request.POST)
    if form.is_valid():
        try:
            loan = services.device_return(device=device, actor=request.user, **form.cleaned_data)
        except AlreadyDone as error:
            _warn(request, error)
            return _to_device(device)
        except ValidationError as error:
            messages.error(request, " ".join(error.messages))
            return _to_device(device)
        messages.success(request, f"{device.asset_tag} has been taken back from {loan.borrower}.")
        return _to_device(device)
    return _show(request, device, status=400, return_form=form)


@capability_required(C.LEND_DEVICES)
def device_bulk_return(request):
    """A trolley or set, or the devices ticked, taken back at once with one note: all of them or none."""
    access = request.access

    def make_form(data=None):
        return BulkReturnForm(data, devices_out=selectors.devices_out(access), sets=selectors.sets_out(access))

    if request.method != "POST":
        form = make_form()
        any_out = form.fields["devices"].queryset.exists()
        return render(request, "devices/loans/bulk_return.html", {"form": form, "any_out": any_out})
    form = make_form(request.POST)
    if form.is_valid():
        try:
            loans = services.devices_bulk_return(
                school=access.school,
                devices=form.cleaned_data["chosen"],
                actor=request.user,
                condition_note=form.cleaned_data["condition_note"],
            )
        except ValidationError as error:
            form.add_error(None, error)
        else:
            tags = ", ".join(loan.device.asset_tag for loan in loans)
            messages.success(request, f"{len(loans)} device{'' if len(loans) == 1 else 's'} taken back: {tags}.")
            return redirect("devices:device_list")
    return render(request, "devices/loans/bulk_return.html", {"form": form}, status=400)


@capability_required(C.ASK_PERSONAL_EQUIPMENT)
def my_devices(request):
    """The school devices lent to me, and the way to report one lost or stolen."""
    return render(
        request,
        "devices/loans/my_devices.html",
        {"loans": list(selectors.my_loans(request.access, request.user)), "today": timezone.localdate()},
    )


# --- Lost or stolen ----------------------------------------------------------------------------------------------


@capability_required(C.LEND_DEVICES, C.ASK_PERSONAL_EQUIPMENT)
def device_report_loss(request, device_id):
    """IT or the office from the device's page, or its borrower from My devices: lost or stolen, in one step."""
    access = request.access
    device = selectors.get_device_to_report_or_404(access, device_id, request.user)
    keeper = access.can(C.LEND_DEVICES)
    back = "devices:device_detail" if keeper else "devices:my_devices"
    context = {"device": device, "keeper": keeper, "lost": device.status in (Status.LOST, Status.STOLEN)}
    if request.method != "POST":
        return render(request, "devices/loans/report_loss.html", {**context, "form": LossForm()})
    form = LossForm(request.POST)
    if form.is_valid():
        try:
            loss = services.device_report_loss(device=device, actor=request.user, as_borrower=not keeper, **form.cleaned_data)
        except AlreadyDone as error:
            _warn(request, error)
            return redirect(back, device_id=device.pk) if keeper else redirect(back)
        except ValidationError as error:
            form.add_error(None, error)
        else:
            words = loss.get_kind_display().lower()
            if loss.possible_breach:
                messages.warning(
                    request,
                    f"{device.asset_tag} is recorded as {words}. It holds pupils' data and is not encrypted: the DSL and "
                    "the head teacher have been told at once, to assess it as a possible personal-data breach.",
                )
            else:
                messages.success(request, f"{device.asset_tag} is recorded as {words}.")
            return redirect("devices:loss_detail", loss_id=loss.pk)
    return render(request, "devices/loans/report_loss.html", {**context, "form": form}, status=400)


def _show_loss(request, loss: DeviceLoss, status: int = 200, assessment_form=None):
    access = request.access
    assessor = access.can(C.ASSESS_DATA_BREACH)
    # The assessment is for those who keep the register and those who assess breaches, not for every reporter.
    sees_outcome = assessor or access.can(C.LEND_DEVICES)
    waiting = loss.possible_breach and loss.breach_assessed_at is None
    if assessment_form is None and assessor and waiting:
        assessment_form = AssessmentForm()
    context = {
        "loss": loss,
        "clock": selectors.breach_clock(loss) if loss.possible_breach else None,
        "sees_outcome": sees_outcome,
        "keeper": access.can(C.LEND_DEVICES),
        "assessment_form": assessment_form if assessor and waiting else None,
        "history": history_for(loss, hidden_fields=() if sees_outcome else ["breach_outcome", "reported_to_ico", "ico_note"]),
    }
    return render(request, "devices/loans/loss_detail.html", context, status=status)


@capability_required(C.LEND_DEVICES, C.ASSESS_DATA_BREACH, C.ASK_PERSONAL_EQUIPMENT)
def loss_detail(request, loss_id):
    return _show_loss(request, selectors.get_loss_or_404(request.access, loss_id))


@require_POST
@capability_required(C.ASSESS_DATA_BREACH)
def loss_assess(request, loss_id):
    loss = selectors.get_loss_or_404(request.access, loss_id)
    form = AssessmentForm(request.POST)
    if form.is_valid():
        try:
            services.device_loss_assess(loss=loss, actor=request.user, **form.cleaned_data)
        except AlreadyDone as error:
            _warn(request, error)
            return redirect("devices:loss_detail", loss_id=loss.pk)
        except ValidationError as error:
            if not loss.possible_breach:
                messages.error(request, " ".join(error.messages))
                return redirect("devices:loss_detail", loss_id=loss.pk)
            form.add_error(None, error)
        else:
            messages.success(request, "The assessment has been recorded.")
            return redirect("devices:loss_detail", loss_id=loss.pk)
    return _show_loss(request, loss, status=400, assessment_form=form)


# --- Importing the register ---------------------------------------------------------------------------------------


REGISTER_IMPORT = CsvImport(
    upload_form=DeviceImportForm,
    confirm_form=DeviceImportConfirmForm,
    check=device_import_file.check_file,
    save=services.school_devices_import,
    template_name="devices/loans/device_import.html",
    base_template="devices/base.html",
    url_names=("devices:device_import", "devices:device_import_confirm", "devices:device_import_template"),
)


@capability_required(C.LEND_DEVICES)
def device_import(request):
    """Upload a CSV file of the register: every row is checked and the changes shown; nothing is saved until confirmed."""
    return REGISTER_IMPORT.upload(request)


@require_POST
@capability_required(C.LEND_DEVICES)
def device_import_confirm(request):
    """Import the checked file: every row or none, checked again against the register as it is now."""
    return REGISTER_IMPORT.confirm(
        request,
        done=lambda checked, file_name: (
            f"Imported from {file_name}: {checked.new} added, {checked.updated} updated, {checked.unchanged} unchanged."
        ),
        then="devices:device_list",
    )


@capability_required(C.LEND_DEVICES)
def device_import_template(request):
    return device_import_file.FORMAT.template_response()
