"""
The staff training of each school's cast (tests/policies/cast.py):

- `cast.training_record`: the teacher's (`cast.staff_member`, Tutor TeacherA) online-safety course, "Online safety for
  staff" from NSPCC Learning, completed 60 days ago, recorded by the e-safety lead, with no expiry date of its own (so
  valid for the school's refresher period, 12 months) and no certificate.
"""

from datetime import timedelta

from django.utils import timezone

from policies.models import TrainingRecord


def extend(cast, letter):
    cast.training_record = TrainingRecord.objects.create(
        school=cast.school,
        staff_member=cast.staff_member,
        kind=TrainingRecord.Kind.ONLINE_SAFETY,
        course="Online safety for staff",
        provider="NSPCC Learning",
        completed_on=timezone.localdate() - timedelta(days=60),
        recorded_by=cast.users["lead"],
    )
