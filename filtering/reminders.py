"""
The daily jobs of web filtering, for one school (run in its scope by filtering.tasks):

- exceptions whose last day has passed are marked as ended (the feed has already left them out at midnight);
- a request waiting more than one school day on the head teacher or IT reminds them;
- an exception ending tomorrow tells IT and the requester, who may ask for more time with a new request;
- an exception ended, or revoked, without IT confirming its removal from the filter reminds IT.

Each reminder goes once a day at most, however often the job runs (the day is kept on the request).
"""

from datetime import timedelta

from django.db import transaction
from django.db.models import Q
from django.urls import reverse
from django.utils import timezone

from esafety.models import School
from esafety.notifications import notify
from esafety.roles import Capability
from esafety.terms.selectors import school_days_between
from filtering.models import FilterExceptionRequest
from filtering.services.requests import requests_expire, users_who_can

Status = FilterExceptionRequest.Status


@transaction.atomic
def _send(school, request, recipients, title, stamp_field, today) -> bool:
    # Stamp first, with a condition, in the notification's transaction: two runs on the same day send once.
    if not FilterExceptionRequest.objects.filter(pk=request.pk).exclude(**{stamp_field: today}).update(**{stamp_field: today}):
        return False
    link = reverse("filtering:request_detail", args=[request.pk])
    notify(recipients=recipients, school=school, title=title, link=link, email=True)
    return True


def filtering_reminders_send(school: School) -> dict[str, int]:
    """Run the day's filtering jobs for the school; returns how many of each were done."""
    today = timezone.localdate()
    done = {"ended": requests_expire(school=school, today=today), "waiting": 0, "ending": 0, "removal": 0}
    requests = FilterExceptionRequest.objects.for_school(school).select_related("requested_by")
    heads = users_who_can(school, Capability.SIGN_OFF_FILTER_EXCEPTION)
    it = users_who_can(school, Capability.RUN_WEB_FILTER)

    waiting = requests.filter(status__in=[Status.SUBMITTED, Status.HEAD_APPROVED, Status.IT_APPROVED])
    for request in waiting.exclude(reminded_waiting_on=today):
        since = {
            Status.SUBMITTED: request.created_at,
            Status.HEAD_APPROVED: request.head_decided_at,
            Status.IT_APPROVED: request.it_decided_at,
        }[request.status]
        if since is None or school_days_between(school, timezone.localdate(since), today) <= 1:
            continue
        on_head = request.status == Status.SUBMITTED
        recipients = [u for u in (heads if on_head else it) if u.pk != request.requested_by_id]
        what = "your sign-off" if on_head else ("IT's decision" if request.status == Status.HEAD_APPROVED else "applying")
        title = f"Reminder: {request.reference} has waited more than a school day for {what}"
        done["waiting"] += _send(school, request, recipients, title, "reminded_waiting_on", today)

    tomorrow = today + timedelta(days=1)
    for request in requests.filter(status=Status.ACTIVE, ends_on=tomorrow).exclude(reminded_ending_on=today):
        title = f"{request.reference} closes on the filter at the end of tomorrow: ask again if more time is needed"
        done["ending"] += _send(school, request, [*it, request.requested_by], title, "reminded_ending_on", today)

    not_removed = Q(status__in=[Status.ACTIVE, Status.EXPIRED], ends_on__lt=today) | Q(
        status=Status.REVOKED, applied_at__isnull=False
    )
    for request in requests.filter(not_removed, removed_at=None).exclude(reminded_removal_on=today):
        title = f"{request.reference} has ended: remove it from the filter and confirm"
        done["removal"] += _send(school, request, it, title, "reminded_removal_on", today)
    return done
