"""
Access rules of the staff-training URLs (tests/policies/access_rows.py), on the cast's record (tests/policies/
cast_training.py): the teacher's online-safety course. The e-safety lead, the DSL and the head teacher keep the
register; every member of staff has My training, and downloads the certificates of their own courses; the settings
are for those who keep the policies or the training.
"""

from policies.models import TrainingRecord
from tests.access_rules import STAFF, Row

KEEPERS = frozenset({"dsl", "head", "lead"})


def _record(cast):
    return {"record_id": cast.a.training_record.pk}


def _record_as_cast(cast):
    record = cast.a.training_record
    TrainingRecord.objects.filter(pk=record.pk).update(
        staff_member=record.staff_member, kind=record.kind, course=record.course, completed_on=record.completed_on
    )


def _edit_data(cast):
    record = cast.a.training_record
    return {
        "staff_member": record.staff_member.pk,
        "kind": TrainingRecord.Kind.SAFEGUARDING,
        "course": "Safeguarding update",
        "completed_on": record.completed_on.isoformat(),
    }


ROWS = {
    "policies:training_list": Row(KEEPERS, query="?q=online&kind=online_safety&expiry=valid&order=name"),
    "policies:training_new": Row(KEEPERS),
    "policies:training_due": Row(KEEPERS),
    "policies:my_training": Row(STAFF),
    "policies:training_detail": Row(KEEPERS, kwargs=_record, record_of_a=True),
    "policies:training_edit": Row(
        KEEPERS, kwargs=_record, method="post", data=_edit_data, ok=302, record_of_a=True, reset=_record_as_cast
    ),
    # The cast's course has no certificate: its page (or My training) says so. Other staff may not see it at all.
    "policies:training_certificate": Row(
        KEEPERS | {"teacher"}, kwargs=_record, ok=302, record_of_a=True, statuses={"it": 404, "office": 404}
    ),
    "policies:training_import": Row(KEEPERS),
    # Sent without the checked file, the confirmation shows the upload page again, saying to upload it again.
    "policies:training_import_confirm": Row(KEEPERS, method="post", ok=400),
    "policies:training_import_template": Row(KEEPERS),
    "policies:settings": Row(KEEPERS),
}
