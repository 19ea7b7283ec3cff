"""
Reads of the shared core, each scoped to what the user may see at the active
school. A view that fetches one record goes through `get_*_or_404` here, so
another school's record, or one the role may not see, is a 404.
"""

from django.db.models import Count, Prefetch, Q
from django.shortcuts import get_object_or_404
from django.utils import timezone

from esafety.access import SchoolAccess
from esafety.audit import access_log_visible
from esafety.models import AccessLogEntry, FormGroup, ImportJob, Notification, Pupil, PupilContact, StaffMember
from esafety.roles import Capability


def on_roll_filter(prefix: str = "") -> Q:
    """Pupils (reached through `prefix`) who have not left, for counts in annotations."""
    today = timezone.localdate()
    return Q(**{f"{prefix}leaving_date__isnull": True}) | Q(**{f"{prefix}leaving_date__gt": today})


def pupils_for(access: SchoolAccess):
    if not access.can(Capability.VIEW_PUPILS):
        return Pupil.objects.none()
    return Pupil.objects.for_school(access.school).select_related("year_group", "form")


def get_pupil_or_404(access: SchoolAccess, pupil_id) -> Pupil:
    contacts = PupilContact.objects.select_related("contact").order_by("priority", "contact__last_name")
    return get_object_or_404(pupils_for(access).prefetch_related(Prefetch("contact_links", queryset=contacts)), pk=pupil_id)


def forms_for(access: SchoolAccess):
    if not access.can(Capability.VIEW_PUPILS):
        return FormGroup.objects.none()
    return (
        FormGroup.objects.for_school(access.school)
        .active()
        .select_related("year_group", "tutor")
        .annotate(pupil_count=Count("pupils", filter=on_roll_filter("pupils__")))
    )


def get_form_or_404(access: SchoolAccess, form_id) -> FormGroup:
    return get_object_or_404(forms_for(access), pk=form_id)


def staff_for(access: SchoolAccess):
    if not access.can(Capability.VIEW_STAFF):
        return StaffMember.objects.none()
    return StaffMember.objects.for_school(access.school).select_related("line_manager")


def get_staff_or_404(access: SchoolAccess, staff_id) -> StaffMember:
    return get_object_or_404(staff_for(access).select_related("user"), pk=staff_id)


def import_jobs_for(access: SchoolAccess):
    if not access.can(Capability.IMPORT_MIS):
        return ImportJob.objects.none()
    return ImportJob.objects.for_school(access.school).select_related("created_by").defer("csv_text")


def get_import_job_or_404(access: SchoolAccess, job_id) -> ImportJob:
    return get_object_or_404(import_jobs_for(access), pk=job_id)


def notifications_for(access: SchoolAccess, user):
    if access.school is None:
        return Notification.objects.none()
    return Notification.objects.for_user(user).filter(Q(school=access.school) | Q(school__isnull=True))


def access_log_for_school(access: SchoolAccess):
    """The school's access log as this reader may see it: nothing about records outside their reach (esafety.audit)."""
    if not access.can(Capability.VIEW_ACCESS_LOG):
        return AccessLogEntry.objects.none()
    entries = AccessLogEntry.objects.for_school(access.school).select_related("actor", "content_type")
    return access_log_visible(entries, access, access.user)
