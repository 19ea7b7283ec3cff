"""
Staff e-safety and safeguarding training: the register kept by the e-safety lead (with the DSL and the head
teacher), who is due or overdue, My training for every member of staff, certificates, and the CSV import of past
records.
"""

import mimetypes
from pathlib import PurePath

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import FileResponse, Http404
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.text import slugify
from django.views.decorators.http import require_POST

from esafety.access import capability_required
from esafety.audit import access_log_write
from esafety.csv_upload import CsvImport
from esafety.history import history_for
from esafety.listing import page_of, query_without_page
from esafety.models import AccessLogEntry
from esafety.roles import Capability
from policies import training_import
from policies.forms.training import (
    TrainingFilterForm,
    TrainingImportConfirmForm,
    TrainingImportForm,
    TrainingRecordForm,
)
from policies.selectors import training as selectors
from policies.services import training as services

C = Capability


def _to_record(record):
    return redirect("policies:training_detail", record_id=record.pk)


def _add_errors(form, error: ValidationError) -> None:
    if hasattr(error, "error_dict"):
        for name, problems in error.message_dict.items():
            form.add_error(name if name in form.fields else None, problems)
    else:
        form.add_error(None, error)


# --- The register ---------------------------------------------------------------------------------------------------


@capability_required(C.MANAGE_TRAINING)
def training_list(request):
    access = request.access
    today = timezone.localdate()
    settings = selectors.training_settings(access.school)
    form = TrainingFilterForm(request.GET or None)
    records = selectors.training_register(access)
    order = selectors.ORDERS["completed"][1]
    if form.is_valid():
        data = form.cleaned_data
        if data["q"].strip():
            records = records.filter(selectors.search_filter(data["q"]))
        if data["kind"]:
            records = records.filter(kind=data["kind"])
        if data["expiry"]:
            records = records.filter(selectors.expiry_filter(data["expiry"], today, settings.refresher_months))
        if data["order"]:
            order = selectors.ORDERS[data["order"]][1]
    page = page_of(request, records.order_by(*order))
    page.object_list = selectors.with_expiry(page.object_list, settings, today)
    return render(
        request,
        "policies/training/list.html",
        {"page": page, "filter_form": form, "query": query_without_page(request)},
        status=400 if form.errors else 200,
    )


@capability_required(C.MANAGE_TRAINING)
def training_new(request):
    access = request.access
    settings = selectors.training_settings(access.school)
    # From the page of who is due: the person chosen already.
    member = _staff_named(access, request.GET.get("staff")) if request.method != "POST" else None
    initial = {"staff_member": member.pk} if member is not None else {}
    form = TrainingRecordForm(
        request.POST or None,
        request.FILES or None,
        staff=selectors.staff_in_post(access),
        refresher_months=settings.refresher_months,
        initial=initial,
    )
    if request.method == "POST":
        if form.is_valid():
            try:
                record = services.training_record_add(school=access.school, actor=request.user, **form.service_arguments())
            except ValidationError as error:
                _add_errors(form, error)
            else:
                messages.success(request, f"{record.course} is recorded for {record.staff_member}.")
                return _to_record(record)
        return render(request, "policies/training/form.html", {"form": form}, status=400)
    return render(request, "policies/training/form.html", {"form": form})


def _staff_named(access, staff_id: str | None):
    if not staff_id:
        return None
    try:
        return selectors.staff_in_post(access).filter(pk=staff_id).first()
    except ValidationError:  # not an id at all
        return None


@capability_required(C.MANAGE_TRAINING)
def training_detail(request, record_id):
    access = request.access
    record = selectors.get_record_or_404(access, record_id)
    today = timezone.localdate()
    settings = selectors.training_settings(access.school)
    (record,) = selectors.with_expiry([record], settings, today)
    others = selectors.with_expiry(selectors.records_of(record.staff_member).exclude(pk=record.pk), settings, today)
    return render(
        request,
        "policies/training/detail.html",
        {"record": record, "others": others, "history": history_for(record), "today": today},
    )


@capability_required(C.MANAGE_TRAINING)
def training_edit(request, record_id):
    access = request.access
    record = selectors.get_record_or_404(access, record_id)
    settings = selectors.training_settings(access.school)
    form = TrainingRecordForm(
        request.POST or None,
        request.FILES or None,
        staff=selectors.staff_in_post(access),
        refresher_months=settings.refresher_months,
        record=record,
    )
    if request.method == "POST":
        if form.is_valid():
            try:
                record = services.training_record_change(record=record, actor=request.user, **form.service_arguments())
            except ValidationError as error:
                _add_errors(form, error)
            else:
                messages.success(request, f"The record of {record.course} for {record.staff_member} has been saved.")
                return _to_record(record)
        return render(request, "policies/training/form.html", {"form": form, "record": record}, status=400)
    return render(request, "policies/training/form.html", {"form": form, "record": record})


@capability_required(C.MANAGE_TRAINING, C.VIEW_OWN_TRAINING)
def training_certificate(request, record_id):
    """A record's certificate, for those who keep the register and for the member of staff it is about."""
    access = request.access
    record = selectors.get_certificate_record_or_404(access, record_id)
    keeper = access.can(C.MANAGE_TRAINING)
    if not record.certificate:
        messages.warning(request, "No certificate is kept for this course.")
        return _to_record(record) if keeper else redirect("policies:my_training")
    try:
        handle = record.certificate.open("rb")
    except FileNotFoundError as error:
        raise Http404("The certificate's file is missing.") from error
    access_log_write(
        request,
        kind=AccessLogEntry.Kind.EXPORT,
        summary=f"Downloaded a training certificate ({record.get_kind_display()}, {record.completed_on:%d/%m/%Y})",
        obj=record,
    )
    suffix = PurePath(record.certificate.name).suffix.lower()
    name = f"certificate-{slugify(record.staff_member.full_name)}-{slugify(record.course)[:60]}{suffix}"
    content_type = mimetypes.types_map.get(suffix, "application/octet-stream")
    response = FileResponse(handle, content_type=content_type, as_attachment=True, filename=name)
    response["Cache-Control"] = "private, no-store"
    return response


# --- Who is due or overdue ------------------------------------------------------------------------------------------


@capability_required(C.MANAGE_TRAINING)
def training_due(request):
    access = request.access
    today = timezone.localdate()
    found = selectors.training_due_for(access, today)
    settings = selectors.training_settings(access.school)
    return render(
        request,
        "policies/training/due.html",
        {
            "overdue": [due for due in found if due.overdue],
            "due": [due for due in found if not due.overdue],
            "settings": settings,
            "soon_days": selectors.REFRESHER_DUE_DAYS,
            "today": today,
        },
    )


@capability_required(C.VIEW_OWN_TRAINING)
def my_training(request):
    """The user's own training records and what they have due."""
    access = request.access
    today = timezone.localdate()
    member = selectors.my_staff_record(access, today)
    settings = selectors.training_settings(access.school)
    return render(
        request,
        "policies/training/mine.html",
        {
            "member": member,
            "due": selectors.training_due_of(member, today) if member is not None else None,
            "records": selectors.with_expiry(selectors.my_records(access), settings, today),
            "settings": settings,
            "today": today,
        },
    )


# --- Importing past records -----------------------------------------------------------------------------------------


TRAINING_IMPORT = CsvImport(
    upload_form=TrainingImportForm,
    confirm_form=TrainingImportConfirmForm,
    check=training_import.check_file,
    save=services.training_records_import,
    template_name="policies/training/import.html",
    base_template="policies/base.html",
    url_names=("policies:training_import", "policies:training_import_confirm", "policies:training_import_template"),
    # A file of courses all recorded already has nothing to import.
    confirmable=lambda checked: not checked.errors and checked.new,
)


@capability_required(C.MANAGE_TRAINING)
def training_import_upload(request):
    """Upload a CSV file of past training: every row is checked and shown; nothing is saved until confirmed."""
    return TRAINING_IMPORT.upload(request)


@require_POST
@capability_required(C.MANAGE_TRAINING)
def training_import_confirm(request):
    """Import the checked file: every row or none, checked again against the staff and records as they are now."""
    return TRAINING_IMPORT.confirm(
        request,
        done=lambda checked, file_name: (
            f"Imported from {file_name}: {checked.new} course{'' if checked.new == 1 else 's'} added, "
            f"{checked.already} already recorded."
        ),
        then="policies:training_list",
    )


@capability_required(C.MANAGE_TRAINING)
def training_import_template(request):
    return training_import.FORMAT.template_response()
