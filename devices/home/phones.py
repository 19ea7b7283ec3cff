"""
The phone register on the home page and the pupil's page:

- a tutor's forms on the register, with today's morning and afternoon done or not (four queries: their forms, the
  school's calendar in two, the day's counts);
- for the office, the phones not collected once the day has ended (two queries: the settings, the count);
- for those who manage exceptions, the reviews overdue or due within a week (one query);
- on a pupil's page, for those who keep the register, their last ten register days and any exception in force
  (two queries).
"""

from django.db.models import Count, Q
from django.utils import timezone

from devices.models import PhoneRecord
from devices.selectors import phones as selectors
from esafety.home import home_panel
from esafety.models import FormGroup
from esafety.pupil_page import pupil_section
from esafety.roles import Capability, Role

C = Capability
Status = PhoneRecord.Status


@home_panel(order=70)
def phone_register_today(request):
    """A tutor's own forms on the register: today's morning and afternoon, done or not."""
    access = request.access
    if not access.can(C.RECORD_PHONES):
        return None
    forms = list(
        FormGroup.objects.for_school(access.school)
        .active()
        .filter(selectors.on_register(access.school), tutor__user=request.user)
        .order_by("year_group__ncy", "name")
    )
    if not forms:
        return None
    today = timezone.localdate()
    day_off = selectors.calendar_around(access.school, today).day_off_reason(today)
    counts = {
        row["form_id"]: row
        for row in PhoneRecord.objects.filter(form__in=forms, day=today)
        .order_by()
        .values("form_id")
        .annotate(
            recorded=Count("pk"),
            handed_in=Count("pk", filter=Q(status=Status.HANDED_IN)),
            held=Count("pk", filter=Q(status=Status.HANDED_IN, collected_at=None)),
        )
    }
    rows = [{"form": form, **counts.get(form.pk, {"recorded": 0, "handed_in": 0, "held": 0})} for form in forms]
    return {"template": "devices/panels/_phones_register.html", "rows": rows, "day_off": day_off, "today": today}


@home_panel(order=71)
def phones_not_collected(request):
    """For the office: how many phones are still held once the day has ended."""
    access = request.access
    if not (access.has_role(Role.OFFICE) and access.can(C.RECORD_PHONES)):
        return None
    return {"template": "devices/panels/_phones_not_collected.html", "count": selectors.phones_not_collected_for(access).count()}


@home_panel(order=72)
def phone_exception_reviews(request):
    """For the DSL and the head teacher: exceptions whose review is overdue or due within the week."""
    access = request.access
    if not access.can(C.MANAGE_PHONE_EXCEPTIONS):
        return None
    today = timezone.localdate()
    due = selectors.reviews_due(access.school, today).aggregate(
        overdue=Count("pk", filter=Q(review_on__lt=today)), soon=Count("pk", filter=Q(review_on__gte=today))
    )
    return {"template": "devices/panels/_phones_exception_reviews.html", **due}


@pupil_section(order=40)
def pupil_phone_days(request, pupil):
    """The pupil's last ten register days, and the exception that lets them keep their phone, if any."""
    if not request.access.can(C.RECORD_PHONES):
        return None
    today = timezone.localdate()
    return {
        "template": "devices/panels/_phones_pupil.html",
        "days": selectors.pupil_phone_days(pupil),
        "exception": selectors.pupil_exception(pupil, today),
    }
