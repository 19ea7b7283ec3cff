"""
The phone register of each school's cast (tests/devices/cast.py), kept small because every test has it:

    year 7 is on the school's phone register, so its form (7A, tutor Tutor TeacherA, at school A) keeps one.
    cast.a.phone_exception   Alice may keep her phone as a young carer, from 1 Sep 2025, agreed by her tutor and
                             recorded by the DSL; its review is four months away, so no reminder is due.
    cast.a.phone_record      Alice handed a phone in on Mon 30 Jun 2025 (before her exception), pouch P1; it was
                             handed back that afternoon, so it is on no list of phones not collected.

At school B, the same for Bob and 7B. Nothing here is made through the services, so nobody is notified.
"""

from datetime import date, datetime, timedelta

from django.utils import timezone

from devices.models import DeviceSettings, PhoneException, PhoneRecord

RECORD_DAY = date(2025, 6, 30)


def extend(cast, letter):
    DeviceSettings.objects.get(school=cast.school).register_year_groups.add(cast.year7)
    cast.phone_exception = PhoneException.objects.create(
        school=cast.school,
        pupil=cast.pupil,
        reason=PhoneException.Reason.YOUNG_CARER,
        detail="Cares for a parent at home, who may need to reach them during the day.",
        agreed_by=cast.staff_member,
        starts_on=date(2025, 9, 1),
        review_on=timezone.localdate() + timedelta(days=120),
        created_by=cast.users["dsl"],
    )
    morning = timezone.make_aware(datetime.combine(RECORD_DAY, datetime.min.time().replace(hour=8, minute=45)))
    cast.phone_record = PhoneRecord.objects.create(
        school=cast.school,
        pupil=cast.pupil,
        day=RECORD_DAY,
        form=cast.form,
        status=PhoneRecord.Status.HANDED_IN,
        storage="P1",
        recorded_by=cast.users["teacher"],
        recorded_at=morning,
        collected_at=morning + timedelta(hours=6, minutes=45),
        collected_by=cast.users["teacher"],
    )
