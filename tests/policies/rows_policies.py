"""
Access rules of the register of policies (tests/policies/access_rows.py), on the cast's online-safety policy and its
version 1.0 in force (tests/policies/cast_policies.py). Every member of staff reads the policies in force and
acknowledges them; the e-safety lead and the head teacher keep the register; governors and the trust see none of it.
"""

from django.utils import timezone

from policies.models import Policy, PolicyVersion
from tests.access_rules import STAFF, Row

KEEPERS = frozenset({"head", "lead"})


def _policy(cast):
    return {"policy_id": cast.a.policy.pk}


def _version(cast):
    return {"version_id": cast.a.policy_version.pk}


def _draft(cast):
    """A draft version 2.0 of the cast's policy, which only those who keep the register see."""
    # The same draft when asked for again (the no-trace walk makes every row's records once in each of its worlds).
    cast.a.policy_draft, _ = PolicyVersion.objects.get_or_create(
        policy=cast.a.policy, version="2.0", defaults={"text": "The new text.", "created_by": cast.a.users["lead"]}
    )
    return {"version_id": cast.a.policy_draft.pk}


def _draft_again(cast):
    """The draft, back with the same id if the previous user discarded it."""
    PolicyVersion.objects.get_or_create(
        pk=cast.a.policy_draft.pk,
        defaults={"policy": cast.a.policy, "version": "2.0", "text": "The new text.", "created_by": cast.a.users["lead"]},
    )


def _in_use(cast):
    Policy.objects.filter(pk=cast.a.policy.pk).update(retired_on=None)


ROWS = {
    "policies:policy_list": Row(STAFF, query="?q=online&kind=online_safety&sort=-review"),
    "policies:policy_new": Row(KEEPERS),
    "policies:policy_detail": Row(STAFF, kwargs=_policy, record_of_a=True),
    "policies:policy_edit": Row(KEEPERS, kwargs=_policy, record_of_a=True),
    "policies:policy_retire": Row(
        KEEPERS,
        kwargs=_policy,
        method="post",
        data=lambda c: {"retired_on": timezone.localdate().isoformat()},
        ok=302,
        record_of_a=True,
        reset=_in_use,
    ),
    "policies:version_new": Row(KEEPERS, kwargs=_policy, record_of_a=True),
    "policies:version_detail": Row(STAFF, kwargs=_version, record_of_a=True),
    # The cast's version is written as text: its file's address sends back to its page.
    "policies:version_document": Row(STAFF, kwargs=_version, ok=302, record_of_a=True),
    "policies:version_approve": Row(KEEPERS, kwargs=_draft, record_of_a=True),
    "policies:version_discard": Row(KEEPERS, kwargs=_draft, method="post", ok=302, record_of_a=True, reset=_draft_again),
    "policies:version_acknowledgements": Row(KEEPERS, kwargs=_version, record_of_a=True),
    "policies:policies_to_read": Row(STAFF),
    # Acknowledged already (the teacher, the head teacher), or not on the staff list: each is sent back with a message.
    "policies:policy_acknowledge": Row(STAFF, kwargs=_version, method="post", ok=302, record_of_a=True),
}
