"""
The demo's incidents read like a school's: each case's timeline unfolds over the school days after it
happened (logged, taken up, worked on, closed), in school hours, and nothing in it is later than now. Both
the demo of `make run` (`seed_demo`) and the incidents `make bench` adds in bulk (`generate_incidents`).
"""

import random
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from esafety.calendar import academic_year_start
from esafety.demo import SMALL, build_demo, build_school
from esafety.scoping import scope
from incidents.demo import generate_incidents, school_people
from incidents.models import Incident, IncidentEvent

pytestmark = pytest.mark.django_db

LONDON = ZoneInfo("Europe/London")
# A Thursday afternoon in term; a Monday before school (the newest incidents are Friday's); the summer holiday.
MOMENTS = [
    datetime(2026, 11, 26, 14, 0, tzinfo=LONDON),
    datetime(2027, 3, 8, 7, 30, tzinfo=LONDON),
    datetime(2027, 8, 12, 11, 0, tzinfo=LONDON),
]


def in_school_hours(moment: datetime) -> bool:
    local = timezone.localtime(moment)
    return local.weekday() < 5 and local.month != 8 and time(8, 0) <= local.time() <= time(16, 30)


def assert_timelines_unfold_as_at_a_school(incidents) -> None:
    now = timezone.now()
    for incident in incidents.prefetch_related("events", "checklist", "actions"):
        events = list(incident.events.all())
        moments = [event.at for event in events]
        where = f"{incident.reference}: " + "; ".join(f"{timezone.localtime(e.at):%a %d/%m %H:%M} {e.summary}" for e in events)
        assert all(moment <= now for moment in moments), where
        assert all(in_school_hours(moment) for moment in moments), where
        assert events[0].summary.startswith("Logged") and events[0].at == incident.reported_at >= incident.occurred_at, where
        if len(events) > 1:
            assert len({moment.replace(second=0, microsecond=0) for moment in moments}) > 1, where
        if incident.status == Incident.Status.CLOSED:
            assert events[-1].summary == "Closed" and events[-1].at == incident.closed_at, where
            assert incident.closed_at > incident.reported_at, where
        done = [step.done_at for step in incident.checklist.all() if step.done_at] + [
            action.done_at for action in incident.actions.all() if action.done_at
        ]
        assert all(incident.reported_at <= at <= now for at in done), where


@pytest.mark.parametrize("now", MOMENTS, ids=["thursday-afternoon", "monday-before-school", "summer-holiday"])
def test_the_demos_cases_unfold_over_the_school_days_after_they_happened(time_machine, now):
    time_machine.move_to(now, tick=False)
    school = build_demo("normal")[0][0]
    with scope(school=school):
        incidents = Incident.objects.filter(school=school)
        assert incidents.count() > 150
        assert_timelines_unfold_as_at_a_school(incidents)

        # The case worked through the services: one step after another over the last school day, each at its
        # moment in the rows, the timeline and the history alike.
        bullying = incidents.get(events__summary__startswith="Evidence registered")
        events = list(bullying.events.all())
        assert [e.summary.split(":")[0].split(" ")[0] for e in events] == [
            "Logged", "Assigned", "Evidence", "Checklist", "Checklist", "Action", "Action",
        ]  # fmt: skip
        assert len({e.at.replace(second=0, microsecond=0) for e in events}) == 6  # the two actions were added together
        assert events[-1].at - events[0].at > timedelta(hours=4)
        assert bullying.occurred_at < bullying.reported_at
        history = {h.history_change_reason: h.history_date for h in bullying.history.all()}
        assert history["Logged"] == bullying.reported_at == events[0].at
        step = bullying.checklist.exclude(done_at=None).order_by("done_at").first()
        assert step.done_at == next(e.at for e in events if e.summary == f"Checklist: {step.text}")


def test_the_incidents_the_bench_adds_in_bulk_have_timelines_too_and_no_query_per_incident(time_machine):
    time_machine.move_to(MOMENTS[0], tick=False)
    school, logins = build_school(SMALL, trust=None)
    with scope(school=school):
        people = school_people(school, logins)
        today = timezone.localdate()
        first = date(academic_year_start(today) - 2, 9, 1)

        def generate(count: int) -> int:
            with CaptureQueriesContext(connection) as queries:
                # Up to today, whose evening has not come yet.
                generate_incidents(school, people, count=count, first=first, last=today, rng=random.Random(count))
            return len(queries)

        assert generate(300) < 100  # rows written in batches, not a query (or several) per incident
        incidents = Incident.objects.filter(school=school)
        assert incidents.count() == 300
        assert_timelines_unfold_as_at_a_school(incidents)
        # Each case's own steps: most of the closed ones were worked on over several days.
        closed = incidents.filter(status=Incident.Status.CLOSED)
        spans = [(timezone.localdate(i.closed_at) - timezone.localdate(i.reported_at)).days for i in closed if i.closed_at]
        assert len(spans) > 100 and sorted(spans)[len(spans) // 2] >= 5
        assert IncidentEvent.objects.filter(incident__school=school, summary__startswith="Checklist:").exists()
