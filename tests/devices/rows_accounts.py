"""
Access rules of the internet-account register and its reviews (tests/devices/access_rows.py), on the cast's accounts
(tests/devices/cast_accounts.py). IT keeps the register; the head teacher reads it; nobody else sees a line of it.
The review's page names a review made here for school A.
"""

from django.utils import timezone

from devices.models import AccessReview, InternetAccount
from tests.access_rules import Row

KEEPERS = frozenset({"it"})
READERS = frozenset({"it", "head"})


def _account(cast):
    return {"account_id": cast.a.visitor_account.pk}


def _review(cast):
    review = AccessReview.objects.filter(school=cast.a.school).first() or AccessReview.objects.create(
        school=cast.a.school,
        reviewed_by=cast.a.users["it"],
        signed_at=timezone.now(),
        accounts_in_use=3,
        granted=4,
        ended=1,
        findings="All accounts checked against the MIS.",
    )
    return {"review_id": review.pk}


def _in_use(cast):
    InternetAccount.objects.filter(pk=cast.a.visitor_account.pk).update(ended_on=None, end_reason="")


ROWS = {
    "devices:account_list": Row(READERS, query="?holder=visitor&status=all&q=guest"),
    "devices:account_export": Row(READERS, query="?status=all"),
    "devices:account_new": Row(KEEPERS),
    "devices:account_detail": Row(READERS, kwargs=_account, record_of_a=True),
    "devices:account_edit": Row(KEEPERS, kwargs=_account, record_of_a=True),
    "devices:account_end": Row(
        KEEPERS,
        kwargs=_account,
        method="post",
        data=lambda c: {"ended_on": timezone.localdate().isoformat(), "reason": "Visit over"},
        ok=302,
        record_of_a=True,
        reset=_in_use,
    ),
    "devices:access_review_list": Row(READERS),
    "devices:access_review_new": Row(KEEPERS),
    "devices:access_review_detail": Row(READERS, kwargs=_review, record_of_a=True),
}
