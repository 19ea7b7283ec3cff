"""
The school devices of each school's cast (tests/devices/cast.py):

- `cast.laptop`: LAP-A1 (LAP-B1 at school B), a Dell laptop that holds pupils' data and is NOT encrypted, lent by IT
  a week ago to the teacher's staff record (`cast.staff_member`, Tutor TeacherA), due back in three weeks
  (`cast.laptop_loan`). Reported lost, it is a possible personal-data breach.
- `cast.tablet`: TAB-A1 (TAB-B1), an iPad encrypted (iPadOS data protection) that holds pupils' data, in the set "Trolley 1", available.
"""

from datetime import timedelta

from django.utils import timezone

from devices.models import DeviceLoan, SchoolDevice


def extend(cast, letter):
    tag = letter.upper()
    now = timezone.now()
    cast.laptop = SchoolDevice.objects.create(
        school=cast.school,
        asset_tag=f"LAP-{tag}1",
        kind=SchoolDevice.Kind.LAPTOP,
        make="Dell",
        model="Latitude 3440",
        serial_number=f"SN-LAP-{tag}1",
        holds_pupil_data=True,
        is_encrypted=False,
        status=SchoolDevice.Status.ON_LOAN,
    )
    cast.laptop_loan = DeviceLoan.objects.create(
        school=cast.school,
        device=cast.laptop,
        borrower=cast.staff_member,
        lent_by=cast.users["it"],
        lent_at=now - timedelta(days=7),
        due_on=timezone.localdate(now) + timedelta(days=21),
    )
    cast.tablet = SchoolDevice.objects.create(
        school=cast.school,
        asset_tag=f"TAB-{tag}1",
        kind=SchoolDevice.Kind.TABLET,
        make="Apple",
        model="iPad 10th generation",
        serial_number=f"SN-TAB-{tag}1",
        device_set="Trolley 1",
        is_encrypted=True,
        encryption="iPadOS data protection",
        holds_pupil_data=True,
    )
