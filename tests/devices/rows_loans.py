"""
Access rules of the school-device URLs (tests/devices/access_rows.py), on the cast's devices (tests/devices/
cast_loans.py): the laptop lent to the teacher, the tablet of Trolley 1 available. IT and the office keep the
register; every member of staff has My devices, and reports a device lent to them lost or stolen; the DSL and the
head teacher assess a lost device that may be a personal-data breach.
"""

from datetime import timedelta

from django.utils import timezone

from devices.models import DeviceLoan, DeviceLoss, SchoolDevice
from tests.access_rules import STAFF, Row

KEEPERS = frozenset({"it", "office"})
ASSESSORS = frozenset({"dsl", "head"})
Status = SchoolDevice.Status


def _laptop(cast):
    return {"device_id": cast.a.laptop.pk}


def _tablet(cast):
    return {"device_id": cast.a.tablet.pk}


def _laptop_lent(cast):
    """The laptop back as the cast has it: on loan to the teacher, no loss recorded."""
    DeviceLoss.objects.filter(device=cast.a.laptop).delete()
    DeviceLoan.objects.filter(pk=cast.a.laptop_loan.pk).update(returned_at=None, returned_to=None, condition_note="")
    SchoolDevice.objects.filter(pk=cast.a.laptop.pk).update(status=Status.ON_LOAN)


def _tablet_available(cast):
    DeviceLoan.objects.filter(device=cast.a.tablet).delete()
    SchoolDevice.objects.filter(pk=cast.a.tablet.pk).update(status=Status.AVAILABLE)


def _loss(cast):
    """The teacher's report of the laptop stolen, not yet assessed (made here: the cast's laptop is still out)."""
    loss = DeviceLoss.objects.filter(device=cast.a.laptop, reported_by=cast.a.users["teacher"]).first()
    if loss is None:
        loss = DeviceLoss.objects.create(
            school=cast.a.school,
            device=cast.a.laptop,
            kind=DeviceLoss.Kind.STOLEN,
            reported_by=cast.a.users["teacher"],
            reported_at=timezone.now(),
            circumstances="Taken from a car outside the school",
            possible_breach=True,
        )
    return {"loss_id": loss.pk}


def _not_assessed(cast):
    DeviceLoss.objects.filter(device=cast.a.laptop).update(breach_assessed_at=None, breach_assessed_by=None, breach_outcome="")


def _lend_data(cast):
    return {"borrower": cast.a.staff_member.pk, "due_on": (timezone.localdate() + timedelta(days=7)).isoformat()}


def _device_data(cast):
    return {
        "asset_tag": "TAB-A1",
        "kind": "tablet",
        "make": "Apple",
        "model": "iPad",
        "is_encrypted": "on",
        "encryption": "iPadOS",
    }


# The teacher borrows the laptop; the DSL, the head and the e-safety lead have no device of their own to report.
NOT_THEIRS = {"dsl": 404, "head": 404, "lead": 404}

ROWS = {
    "devices:device_list": Row(KEEPERS, query="?q=LAP&kind=laptop&status=on_loan&overdue=on"),
    "devices:device_new": Row(KEEPERS),
    "devices:device_detail": Row(KEEPERS, kwargs=_laptop, record_of_a=True),
    "devices:device_edit": Row(
        KEEPERS, kwargs=_tablet, method="post", data=_device_data, ok=302, record_of_a=True, reset=_tablet_available
    ),
    "devices:device_lend": Row(
        KEEPERS, kwargs=_tablet, method="post", data=_lend_data, ok=302, record_of_a=True, reset=_tablet_available
    ),
    "devices:device_return": Row(
        KEEPERS,
        kwargs=_laptop,
        method="post",
        data=lambda c: {"condition_note": "Fine"},
        ok=302,
        record_of_a=True,
        reset=_laptop_lent,
    ),
    # School B's keepers are offered their own devices out: school A's laptop is not one of them.
    "devices:device_bulk_return": Row(
        KEEPERS,
        method="post",
        data=lambda c: {"devices": [str(c.a.laptop.pk)], "condition_note": "All present"},
        ok=302,
        reset=_laptop_lent,
        statuses={"b.it": 400, "b.office": 400},
    ),
    "devices:my_devices": Row(STAFF),
    "devices:device_report_loss": Row(STAFF, kwargs=_laptop, record_of_a=True, statuses=NOT_THEIRS),
    # The reporter reads their report; the e-safety lead, who neither keeps the register nor assesses, does not.
    "devices:loss_detail": Row(KEEPERS | ASSESSORS | {"teacher"}, kwargs=_loss, record_of_a=True, statuses={"lead": 404}),
    "devices:loss_assess": Row(
        ASSESSORS,
        kwargs=_loss,
        method="post",
        data=lambda c: {"assessment": "Class lists", "reported_to_ico": "no", "ico_detail": "Low risk"},
        ok=302,
        record_of_a=True,
        reset=_not_assessed,
    ),
    "devices:device_import": Row(KEEPERS),
    # Sent without the checked file, the confirmation shows the upload page again, saying to upload it again.
    "devices:device_import_confirm": Row(KEEPERS, method="post", ok=400),
    "devices:device_import_template": Row(KEEPERS),
}
