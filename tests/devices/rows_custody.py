"""
Access rules of the confiscated-device URLs (tests/devices/access_rows.py), on the cast's device: a phone the
teacher took from Alice, held in the office (tests/devices/cast_custody.py).

Everyone on the staff records devices and sees those they took; the office, the DSL and the head teacher hold them
and see them all; the DSL and the head teacher search them, hand them to the police and flag them as evidence.
IT and the e-safety lead record devices too, but did not take this one: for them it does not exist.
"""

from devices.models import Confiscation
from esafety.models import StaffMember
from tests.access_rules import STAFF, Row

Status = Confiscation.Status
HOLDERS = frozenset({"office", "dsl", "head"})
SEARCHERS = frozenset({"dsl", "head"})
# The teacher took it; the holders see every device.
READERS = HOLDERS | {"teacher"}
NOT_THEIRS = {"it": 404, "lead": 404}


def _device(cast):
    return {"confiscation_id": cast.a.confiscation.pk}


def _held(*, is_evidence=False):
    """Put the device back as each user's POST finds it: held (and flagged as evidence, or not)."""

    def reset(cast):
        Confiscation.objects.filter(pk=cast.a.confiscation.pk).update(status=Status.HELD, closed_at=None, is_evidence=is_evidence)

    return reset


def _with_police(cast):
    Confiscation.objects.filter(pk=cast.a.confiscation.pk).update(status=Status.WITH_POLICE, closed_at=None, is_evidence=False)


def _posted(allowed, data, reset=None, **extra):
    return Row(allowed, kwargs=_device, method="post", ok=302, record_of_a=True, data=data, reset=reset or _held(), **extra)


def _search(cast):
    head = StaffMember.objects.filter(school=cast.a.school, user=cast.a.users["head"]).first()
    return {
        "search-searched_by": str(cast.a.staff_member.pk),
        "search-consent_from": "Alice and her mother",
        "search-witnessed_by": str(head.pk),
        "search-found": "Nothing of concern",
    }


ROWS = {
    "devices:confiscation_list": Row(STAFF, query="?status=held&q=aardvark"),
    "devices:confiscation_new": Row(STAFF),
    "devices:confiscation_detail": Row(READERS, kwargs=_device, record_of_a=True, statuses=NOT_THEIRS),
    "devices:confiscation_move": _posted(HOLDERS, lambda c: {"move-stored_at": "Office safe"}),
    "devices:confiscation_search": _posted(SEARCHERS, _search),
    "devices:confiscation_to_police": _posted(SEARCHERS, lambda c: {"police-officer": "PC Jones 1234"}),
    "devices:confiscation_back_from_police": _posted(SEARCHERS, lambda c: {"back-stored_at": "Office safe"}, reset=_with_police),
    "devices:confiscation_flag": _posted(SEARCHERS, lambda c: {"flag-note": "Threatening messages to another pupil"}),
    "devices:confiscation_lift_flag": _posted(
        frozenset({"dsl"}), lambda c: {"lift-reason": "The police do not need it"}, reset=_held(is_evidence=True)
    ),
    "devices:confiscation_return": _posted(HOLDERS, lambda c: {"return-returned_to": "pupil"}),
    "devices:confiscation_dispose": _posted(HOLDERS, lambda c: {"dispose-how": "Recycled", "dispose-why": "Never claimed"}),
    "devices:confiscation_note": _posted(
        READERS, lambda c: {"note-note": "Mother rang: she will collect it at 3:30."}, statuses=NOT_THEIRS
    ),
}
