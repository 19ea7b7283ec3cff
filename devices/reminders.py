"""
The scheduled work of devices, per school (devices.tasks): the end-of-day list of phones not collected, and the
morning's reminders. Each step is done at most once a day, so that a task run twice sends nothing twice.
"""

from django.utils import timezone

from devices.services import accounts, equipment, loans, phones
from esafety.models import School


def phones_not_collected_send(school: School) -> int:
    """After the school's end of the day, on a school day, once: the phones not collected, to the office and tutors."""
    return phones.phones_not_collected_notify(school=school, now=timezone.now())


def devices_reminders_send(school: School) -> dict[str, int]:
    now = timezone.now()
    return {
        "phone_exception_reviews": phones.phone_exception_reviews_remind(school=school, today=timezone.localdate(now)),
        "loans_overdue": loans.loans_overdue_remind(school=school, today=timezone.localdate(now)),
        "equipment_images": equipment.equipment_images_remind(school=school, now=now),
        "access_review": accounts.access_review_remind(school=school, today=timezone.localdate(now)),
    }
