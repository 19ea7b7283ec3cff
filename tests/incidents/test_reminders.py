"""The daily jobs of the incident log, with a travelled clock."""

from datetime import timedelta

import pytest
import time_machine
from django.utils import timezone

from esafety.models import Notification
from incidents.models import IncidentDraft
from incidents.tasks import drafts_purge_all, overdue_actions_remind_all

pytestmark = pytest.mark.django_db


def overdue_notes(user):
    return Notification.objects.filter(recipient=user, title__startswith="Overdue:")


@pytest.fixture
def run_daily(django_capture_on_commit_callbacks):
    """Beat runs the job: it fans out one task per school through the outbox, sent once the fan-out commits."""

    def run(task):
        with django_capture_on_commit_callbacks(execute=True):
            task.delay()

    return run


def test_an_overdue_action_is_reminded_once_a_day(cast, run_daily):
    it = cast.a.users["it"]
    due = cast.a.action.due_on
    run_daily(overdue_actions_remind_all)
    assert overdue_notes(it).count() == 0  # not due yet
    with time_machine.travel(due + timedelta(days=1), tick=False):
        run_daily(overdue_actions_remind_all)
        run_daily(overdue_actions_remind_all)  # a second run the same day tells nobody again
        assert overdue_notes(it).count() == 1
        assert cast.a.incident.reference in overdue_notes(it).get().title
    with time_machine.travel(due + timedelta(days=2), tick=False):
        run_daily(overdue_actions_remind_all)
        assert overdue_notes(it).count() == 2
    # Done actions are not chased.
    cast.a.action.done_at = timezone.now()
    cast.a.action.save()
    with time_machine.travel(due + timedelta(days=3), tick=False):
        run_daily(overdue_actions_remind_all)
        assert overdue_notes(it).count() == 2


def test_drafts_untouched_for_a_month_are_removed(cast, run_daily):
    IncidentDraft.objects.create(user=cast.a.users["teacher"], school=cast.a.school, data={"description": ["Started"]})
    run_daily(drafts_purge_all)
    assert IncidentDraft.objects.count() == 1
    with time_machine.travel(timezone.now() + timedelta(days=31)):
        run_daily(drafts_purge_all)
    assert IncidentDraft.objects.count() == 0
