"""
The policies of each school's cast (tests/policies/cast.py), made through the services by the e-safety lead:

- `cast.policy`: the online-safety policy, owned by nobody (its reminders go to the e-safety lead), which staff must
  read and acknowledge.
- `cast.policy_version`: its version 1.0, written as text, approved 30 days ago by the full governing body at the
  autumn meeting, so in force; the next review is due the school's 12 months after that approval.

Every member of staff in post with a login (the teacher, Tutor TeacherA, and the head teacher) has acknowledged it:
otherwise every page would send them to the policies to read (policies.middleware). A test that needs someone with
something to read approves a new version, or adds a member of staff.
"""

from datetime import timedelta

from django.utils import timezone

from esafety.models import StaffMember
from policies.models import Policy
from policies.services import policies as services


def extend(cast, letter):
    lead = cast.users["lead"]
    cast.policy = services.policy_create(
        school=cast.school,
        actor=lead,
        title="Online-safety policy",
        kind=Policy.Kind.ONLINE_SAFETY,
        owner=None,
        staff_must_acknowledge=True,
    )
    draft = services.policy_version_create(
        policy=cast.policy,
        actor=lead,
        version="1.0",
        document=None,
        text="Pupils and staff use the school's systems safely and responsibly.",
        changes="",
    )
    cast.policy_version = services.policy_version_approve(
        version=draft,
        actor=lead,
        approved_by="Full governing body",
        approved_at_meeting="Autumn term meeting",
        approved_on=timezone.localdate() - timedelta(days=30),
    )
    cast.policy.refresh_from_db()
    for member in StaffMember.objects.filter(school=cast.school, user__isnull=False):
        services.policy_acknowledge(version=cast.policy_version, staff_member=member, actor=member.user)
