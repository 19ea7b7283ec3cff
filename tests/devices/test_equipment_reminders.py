"""
The images' deadline (devices.services.equipment.equipment_images_remind, run each morning by devices.tasks): once
the last day of an approved use of personal equipment has passed, whoever used it is reminded daily until they confirm
the images are moved to school systems and deleted; past the deadline the head teacher is told, once.
"""

from datetime import date, datetime, time, timedelta

import pytest
import time_machine
from django.urls import reverse
from django.utils import timezone

from devices.models import EquipmentPermission
from devices.services import equipment as services
from esafety.models import Notification
from esafety.scoping import scope

pytestmark = pytest.mark.django_db

Status = EquipmentPermission.Status


def at(day: date, hour: int, minute: int = 0) -> datetime:
    return timezone.make_aware(datetime.combine(day, time(hour, minute)))


def remind(cast) -> int:
    return services.equipment_images_remind(school=cast.a.school, now=timezone.now())


def told(user, permission):
    link = reverse("devices:equipment_detail", args=[permission.pk])
    return list(Notification.objects.filter(recipient=user, link=link).order_by("pk").values_list("title", flat=True))


@pytest.fixture
def trip(cast):
    """The teacher's phone camera on a trip from Monday 1 to Wednesday 3 February 2027, approved the week before."""
    with time_machine.travel(at(date(2027, 1, 25), 10), tick=False):
        permission = services.equipment_permission_request(
            school=cast.a.school,
            actor=cast.a.users["teacher"],
            equipment="My phone's camera",
            purpose="Outdoor education centre, Year 7",
            starts_on=date(2027, 2, 1),
            ends_on=date(2027, 2, 3),
            pupils=[cast.a.pupil],
        )
        services.equipment_permission_decide(permission=permission, actor=cast.a.users["head"], approve=True)
    permission.refresh_from_db()
    # The end of the last day, and the school's 24 hours.
    assert permission.images_due_at == at(date(2027, 2, 5), 0)
    return permission


def test_nothing_is_sent_before_the_last_day_has_passed(cast, trip):
    for moment in (at(date(2027, 1, 31), 7, 10), at(date(2027, 2, 2), 7, 10), at(date(2027, 2, 3), 23, 59)):
        with time_machine.travel(moment, tick=False):
            assert remind(cast) == 0
    assert told(cast.a.users["teacher"], trip) == ["Your use of My phone's camera with pupils is approved"]


def test_the_requester_is_reminded_the_day_after_and_once_a_day(cast, trip):
    teacher = cast.a.users["teacher"]
    with time_machine.travel(at(date(2027, 2, 4), 7, 10), tick=False):
        assert remind(cast) == 1
        assert remind(cast) == 0  # the job run again the same morning
    with time_machine.travel(at(date(2027, 2, 4), 16, 0), tick=False):
        assert remind(cast) == 0
    assert told(teacher, trip) == [
        "Your use of My phone's camera with pupils is approved",
        "Move the images from My phone's camera to school systems and delete them by 00:00 on 5 Feb 2027",
    ]
    reminder = Notification.objects.filter(recipient=teacher, link=reverse("devices:equipment_detail", args=[trip.pk])).latest(
        "pk"
    )
    assert reminder.send_email and reminder.body == "Then confirm it in the app, with where the images are now."
    trip.refresh_from_db()
    assert trip.reminded_on == date(2027, 2, 4) and trip.escalated_at is None
    assert told(cast.a.users["head"], trip) == ["Teacher A asks to use personal equipment with pupils"]


def test_past_the_deadline_the_head_is_told_once_and_the_requester_every_day(cast, trip):
    teacher, head = cast.a.users["teacher"], cast.a.users["head"]
    with time_machine.travel(at(date(2027, 2, 4), 23, 59), tick=False):
        assert remind(cast) == 1  # the day's reminder; the deadline is at midnight
    trip.refresh_from_db()
    assert trip.escalated_at is None
    with time_machine.travel(at(date(2027, 2, 5), 7, 10), tick=False):
        assert remind(cast) == 2  # the head, and the requester
        assert remind(cast) == 0
        escalated_at = timezone.now()
    with time_machine.travel(at(date(2027, 2, 6), 7, 10), tick=False):
        assert remind(cast) == 1  # the requester again, not the head
    trip.refresh_from_db()
    assert trip.escalated_at == escalated_at
    assert told(head, trip)[1:] == ["Images not yet deleted: Teacher A's My phone's camera"]  # after the request itself
    assert told(teacher, trip)[1:] == [
        "Move the images from My phone's camera to school systems and delete them by 00:00 on 5 Feb 2027",
        "Overdue: move the images from My phone's camera to school systems and delete them",
        "Overdue: move the images from My phone's camera to school systems and delete them",
    ]
    # The escalation is in the request's history, by the system.
    record = trip.history.first()
    assert record.history_change_reason == "Images overdue: escalated to the head teacher" and record.history_user is None


def test_nothing_is_sent_once_the_images_are_confirmed_and_the_head_hears_of_it(cast, trip):
    head = cast.a.users["head"]
    with time_machine.travel(at(date(2027, 2, 5), 7, 10), tick=False):
        assert remind(cast) == 2
    with time_machine.travel(at(date(2027, 2, 5), 12, 0), tick=False):
        services.equipment_images_confirm(permission=trip, actor=cast.a.users["teacher"], where="Staff drive, Trips")
    with time_machine.travel(at(date(2027, 2, 6), 7, 10), tick=False):
        assert remind(cast) == 0
    trip.refresh_from_db()
    assert trip.status == Status.DONE
    assert told(head, trip)[-1] == "Teacher A has now moved and deleted the images from My phone's camera"


def test_a_confirmation_before_the_end_means_no_reminder_at_all(cast, trip):
    with time_machine.travel(at(date(2027, 2, 3), 18, 0), tick=False):
        services.equipment_images_confirm(permission=trip, actor=cast.a.users["teacher"], where="Staff drive, Trips")
    with time_machine.travel(at(date(2027, 2, 10), 7, 10), tick=False):
        assert remind(cast) == 0
    assert len(told(cast.a.users["teacher"], trip)) == 1  # the approval alone


def test_each_school_is_reminded_of_its_own_requests_only(cast, trip):
    with scope(school=cast.b.school):
        permission_b = cast.b.equipment_permission
        services.equipment_permission_decide(permission=permission_b, actor=cast.b.users["head"], approve=True)
    with time_machine.travel(at(date(2027, 2, 4), 7, 10), tick=False):
        assert remind(cast) == 1
        with scope(school=cast.b.school):
            # School B's trip ended long ago: its teacher is reminded, and its head told, of B's request alone.
            assert services.equipment_images_remind(school=cast.b.school, now=timezone.now()) == 2
    assert told(cast.b.users["teacher"], permission_b)[-1].startswith("Overdue: move the images")
    assert told(cast.b.users["head"], permission_b) == ["Images not yet deleted: Teacher B's My phone's camera"]
    assert told(cast.b.users["teacher"], trip) == [] and told(cast.a.users["head"], permission_b) == []


def test_a_declined_or_withdrawn_request_is_never_chased(cast):
    permission = cast.a.equipment_permission
    services.equipment_permission_withdraw(permission=permission, actor=cast.a.users["teacher"])
    with time_machine.travel(at(permission.ends_on + timedelta(days=5), 7, 10), tick=False):
        assert remind(cast) == 0
