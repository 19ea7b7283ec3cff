"""
The confiscated devices of each school's cast (tests/devices/cast.py):

    cast.a.confiscation   CF-00001, a mobile phone the teacher took from Alice an hour ago in a lesson; held in
                          the school office, not flagged as evidence, linked to no incident; one custody entry
                          (taken). At school B, the same for Bob.

Alice's parent or carer for a return is the core cast's `cast.a.parent` (tests/conftest.py), linked to her with
parental responsibility; the device is made straight in the database, so nobody is notified of it.
"""

from datetime import timedelta

from django.utils import timezone

from devices.models import Confiscation, CustodyEntry, DeviceSettings


def extend(cast, letter):
    taken_at = timezone.now() - timedelta(hours=1)
    DeviceSettings.objects.filter(school=cast.school).update(last_confiscation_number=1)
    cast.confiscation = Confiscation.objects.create(
        school=cast.school,
        number=1,
        kind=Confiscation.Kind.PHONE,
        description=f"Black phone in a red case ({letter.upper()})",
        pupil=cast.pupil,
        taken_by=cast.users["teacher"],
        taken_at=taken_at,
        reason="Using it in a lesson after a warning.",
        stored_at="School office",
    )
    CustodyEntry.objects.create(
        confiscation=cast.confiscation,
        kind=CustodyEntry.Kind.TAKEN,
        at=taken_at,
        recorded_by=cast.users["teacher"],
        stored_at="School office",
    )
