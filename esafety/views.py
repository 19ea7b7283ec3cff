import csv

from django.contrib import messages
from django.contrib.auth.decorators import login_not_required
from django.core.exceptions import PermissionDenied
from django.db import connection
from django.http import Http404, JsonResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.http import require_GET, require_POST

from esafety.access import SESSION_KEY, capability_required, school_required
from esafety.audit import access_log_write, filters_summary
from esafety.csv_export import csv_response, csv_safe, export_filters, export_refused
from esafety.filters import AccessLogFilter, PupilFilter, StaffFilter
from esafety.forms import AdditionalNeedsForm
from esafety.history import history_for, save_with_history
from esafety.home import panels_for
from esafety.listing import page_of, query_without_page
from esafety.models import AccessLogEntry
from esafety.notifications import notification_mark_read, notifications_mark_all_read
from esafety.pupil_page import sections_for
from esafety.roles import Capability
from esafety.second_factor import restricted_record_opened
from esafety.selectors import (
    access_log_for_school,
    forms_for,
    get_form_or_404,
    get_pupil_or_404,
    get_staff_or_404,
    notifications_for,
    pupils_for,
    staff_for,
)
from esafety.timeline import timeline_for

# --- Shell ---------------------------------------------------------------


def home(request):
    if request.access.school is None:
        if request.user.is_superuser:
            # The set-up administrator belongs to no school: their work is on the admin site.
            return redirect("admin:index")
        raise PermissionDenied
    return render(request, "esafety/home.html", {"panels": panels_for(request)})


@require_POST
def school_switch(request):
    school_id = request.POST.get("school")
    if not any(str(s.pk) == school_id for s in request.access.schools):
        raise Http404("No such school for this user.")
    request.session[SESSION_KEY] = int(school_id)
    return redirect("home")


@login_not_required
@require_GET
def healthz(request):
    """For the load balancer: the app answers and the database is reachable."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1")
    return JsonResponse({"status": "ok"})


# --- Pupils, forms and staff ------------------------------------------------


@capability_required(Capability.VIEW_PUPILS)
def pupil_list(request):
    pupils = PupilFilter(
        request.GET,
        queryset=pupils_for(request.access),
        school=request.access.school,
        may_see_flag=request.access.can(Capability.FLAG_VULNERABLE),
    )
    return render(
        request,
        "esafety/pupil_list.html",
        {"filter": pupils, "page": page_of(request, pupils.qs), "query": query_without_page(request)},
    )


@capability_required(Capability.VIEW_PUPILS)
def pupil_detail(request, pupil_id):
    pupil = get_pupil_or_404(request.access, pupil_id)
    may_flag = request.access.can(Capability.FLAG_VULNERABLE)
    hidden = () if may_flag else ("additional_needs", "additional_needs_note")
    return render(
        request,
        "esafety/pupil_detail.html",
        {
            "pupil": pupil,
            "may_flag": may_flag,
            "flag_form": AdditionalNeedsForm(instance=pupil) if may_flag else None,
            "history": history_for(pupil, hidden_fields=hidden),
            "sections": sections_for(request, pupil),
        },
    )


@capability_required(Capability.VIEW_PUPILS)
def pupil_chronology(request, pupil_id):
    pupil = get_pupil_or_404(request.access, pupil_id)
    entries = timeline_for(request.access, pupil)
    if any(entry.restricted for entry in entries) and (step_up := restricted_record_opened(request)):
        return step_up
    for entry in entries:
        if entry.restricted and entry.record is not None:
            access_log_write(
                request,
                kind=AccessLogEntry.Kind.VIEW,
                summary=f"Saw {entry.title} in the chronology of {pupil.full_name}",
                obj=entry.record,
            )
    return render(request, "esafety/pupil_chronology.html", {"pupil": pupil, "entries": entries})


@require_POST
@capability_required(Capability.FLAG_VULNERABLE)
def pupil_flag(request, pupil_id):
    pupil = get_pupil_or_404(request.access, pupil_id)
    form = AdditionalNeedsForm(request.POST, instance=pupil)
    if not form.is_valid():
        return render(
            request,
            "esafety/pupil_detail.html",
            {"pupil": pupil, "may_flag": True, "flag_form": form, "history": history_for(pupil)},
            status=400,
        )
    save_with_history(form.instance, actor=request.user, reason="Additional needs flag changed")
    messages.success(request, f"The safeguarding flag for {pupil.full_name} has been saved.")
    return redirect("pupil_detail", pupil_id=pupil.pk)


@capability_required(Capability.EXPORT_PEOPLE)
def pupil_export(request):
    """The filtered pupil list as CSV. Personal data: every export is in the access log."""
    filtered = PupilFilter(
        request.GET,
        queryset=pupils_for(request.access),
        school=request.access.school,
        may_see_flag=request.access.can(Capability.FLAG_VULNERABLE),
    )
    if not filtered.is_valid():
        return export_refused(filtered.form)
    pupils = filtered.qs
    response = csv_response(f"pupils-{timezone.localdate():%Y-%m-%d}.csv")
    writer = csv.writer(response)
    writer.writerow(
        ["MIS id", "UPN", "Last name", "First name", "Preferred name", "Date of birth", "Year group", "Form", "Leaving date"]
    )
    count = 0
    for pupil in pupils.iterator(chunk_size=500):
        writer.writerow(
            csv_safe(
                [
                    pupil.mis_id,
                    pupil.upn,
                    pupil.last_name,
                    pupil.first_name,
                    pupil.preferred_name,
                    pupil.date_of_birth.strftime("%d/%m/%Y"),
                    str(pupil.year_group),
                    pupil.form.name if pupil.form else "",
                    pupil.leaving_date.strftime("%d/%m/%Y") if pupil.leaving_date else "",
                ]
            )
        )
        count += 1
    access_log_write(
        request,
        kind=AccessLogEntry.Kind.EXPORT,
        summary=f"Exported {count} pupils as CSV ({filters_summary(export_filters(filtered))})",
        # Whether the list was filtered on the additional-needs flag is itself for those who may see the flag.
        reader_needs=[Capability.FLAG_VULNERABLE] if filtered.form.cleaned_data.get("additional_needs") else [],
    )
    return response


@capability_required(Capability.VIEW_PUPILS)
def form_list(request):
    return render(request, "esafety/form_list.html", {"forms": forms_for(request.access)})


@capability_required(Capability.VIEW_PUPILS)
def form_detail(request, form_id):
    form = get_form_or_404(request.access, form_id)
    pupils = pupils_for(request.access).current().filter(form=form).order_by("last_name", "first_name")
    return render(
        request,
        "esafety/form_detail.html",
        {"form_group": form, "pupils": pupils, "history": history_for(form)},
    )


@capability_required(Capability.VIEW_STAFF)
def staff_list(request):
    staff = StaffFilter(request.GET, queryset=staff_for(request.access))
    return render(
        request,
        "esafety/staff_list.html",
        {"filter": staff, "page": page_of(request, staff.qs), "query": query_without_page(request)},
    )


@capability_required(Capability.VIEW_STAFF)
def staff_detail(request, staff_id):
    member = get_staff_or_404(request.access, staff_id)
    return render(request, "esafety/staff_detail.html", {"member": member, "history": history_for(member)})


# --- Notifications and the access log ----------------------------------------


@school_required
def notification_list(request):
    notifications = notifications_for(request.access, request.user)
    return render(request, "esafety/notification_list.html", {"page": page_of(request, notifications)})


@require_POST
@school_required
def notification_open(request, notification_id):
    notification = get_object_or_404(notifications_for(request.access, request.user), pk=notification_id)
    notification_mark_read(notification=notification)
    if notification.link and url_has_allowed_host_and_scheme(notification.link, allowed_hosts={request.get_host()}):
        return redirect(notification.link)
    return redirect("notification_list")


@require_POST
@school_required
def notifications_read_all(request):
    count = notifications_mark_all_read(user=request.user, school=request.access.school)
    messages.success(request, f"{count} notification{'s' if count != 1 else ''} marked as read.")
    return redirect(
        request.POST.get("next")
        if url_has_allowed_host_and_scheme(request.POST.get("next"), {request.get_host()})
        else reverse("notification_list")
    )


@capability_required(Capability.VIEW_ACCESS_LOG)
def access_log(request):
    entries = AccessLogFilter(request.GET, queryset=access_log_for_school(request.access))
    return render(
        request,
        "esafety/access_log.html",
        {"filter": entries, "page": page_of(request, entries.qs), "query": query_without_page(request)},
    )
