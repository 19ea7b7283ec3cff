"""
Access rules of the phone register's URLs (tests/devices/access_rows.py), on the cast's records
(tests/devices/cast_phones.py): form 7A on the register, Alice's exception, and a phone she handed in.

Every member of staff keeps the register (a form's register is whoever covers it) and reads the exceptions; the
DSL and the head teacher manage exceptions; the office, IT and the head teacher set the register up.
"""

from datetime import timedelta

from django.utils import timezone

from devices.models import PhoneException, PhoneRecord
from devices.selectors.phones import calendar_around
from tests.access_rules import STAFF, Row

MANAGERS = frozenset({"dsl", "head"})
SETTERS_UP = frozenset({"head", "it", "office"})


def last_school_day(cast):
    """The latest school day up to today: a register page answers 400 on a day the school is closed."""
    day = timezone.localdate()
    calendar = calendar_around(cast.a.school, day)
    while not calendar.is_school_day(day):
        day -= timedelta(days=1)
    return day


def _form(cast):
    return {"form_id": cast.a.form.pk}


def _on_last_school_day(cast):
    return f"?day={last_school_day(cast).isoformat()}"


def _exception(cast):
    return {"exception_id": cast.a.phone_exception.pk}


def _still_held(cast):
    PhoneRecord.objects.filter(pk=cast.a.phone_record.pk).update(collected_at=None, collected_by=None)


def _open_again(cast):
    PhoneException.objects.filter(pk=cast.a.phone_exception.pk).update(ended_on=None)


def _review_data(cast):
    return {"review-review_on": (timezone.localdate() + timedelta(days=60)).isoformat(), "review-note": "Still caring"}


def _end_data(cast):
    return {"end-ended_on": timezone.localdate().isoformat(), "end-note": "No longer needed"}


ROWS = {
    "devices:settings": Row(SETTERS_UP),
    "devices:phone_forms": Row(STAFF),
    "devices:phone_register": Row(STAFF, kwargs=_form, query=_on_last_school_day, record_of_a=True),
    "devices:phone_collect": Row(STAFF, kwargs=_form, query=_on_last_school_day, record_of_a=True),
    "devices:phone_not_collected": Row(STAFF),
    "devices:phone_mark_collected": Row(
        STAFF,
        kwargs=lambda c: {"record_id": c.a.phone_record.pk},
        method="post",
        ok=302,
        record_of_a=True,
        reset=_still_held,
    ),
    "devices:phone_exception_list": Row(STAFF, query="?show=all"),
    "devices:phone_exception_new": Row(MANAGERS),
    "devices:phone_exception_detail": Row(STAFF, kwargs=_exception, record_of_a=True),
    "devices:phone_exception_edit": Row(MANAGERS, kwargs=_exception, record_of_a=True),
    "devices:phone_exception_review": Row(
        MANAGERS, kwargs=_exception, method="post", data=_review_data, ok=302, record_of_a=True, reset=_open_again
    ),
    "devices:phone_exception_end": Row(
        MANAGERS, kwargs=_exception, method="post", data=_end_data, ok=302, record_of_a=True, reset=_open_again
    ),
}
