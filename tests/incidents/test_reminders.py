"""The daily jobs of the incident log, with a travelled clock."""

from datetime import timedelta

import pytest
import time_machine
from django.utils import timezone

from esafety.models import Notification
from incidents.models import IncidentDraft
from incidents.tasks import drafts_purge, overdue_actions_remind_all

pytestmark = pytest.mark.django_db


def overdue_notes(user):
    return Notification.objects.filter(recipient=user, title__startswith="Overdue:")


def test_an_overdue_action_is_reminded_once_a_day(cast):
    it = cast.a.users["it"]
    due = cast.a.action.due_on
    overdue_actions_remind_all.delay()
    assert overdue_notes(it).count() == 0  # not due yet
    with time_machine.travel(due + timedelta(days=1), tick=False):
        overdue_actions_remind_all.delay()
        overdue_actions_remind_all.delay()  # a second run the same day tells nobody again
        assert overdue_notes(it).count() == 1
        assert cast.a.incident.reference in overdue_notes(it).get().title
    with time_machine.travel(due + timedelta(days=2), tick=False):
        overdue_actions_remind_all.delay()
        assert overdue_notes(it).count() == 2
    # Done actions are not chased.
    cast.a.action.done_at = timezone.now()
    cast.a.action.save()
    with time_machine.travel(due + timedelta(days=3), tick=False):
        overdue_actions_remind_all.delay()
        assert overdue_notes(it).count() == 2


def test_drafts_untouched_for_a_month_are_removed(cast):
    IncidentDraft.objects.create(user=cast.a.users["teacher"], school=cast.a.school, data={"description": ["Started"]})
    drafts_purge.delay()
    assert IncidentDraft.objects.count() == 1
    with time_machine.travel(timezone.now() + timedelta(days=31)):
        drafts_purge.delay()
    assert IncidentDraft.objects.count() == 0
