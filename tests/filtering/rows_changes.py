"""
Access rules of the filter change log URLs (tests/filtering/access_rows.py), on the cast's change: made by IT,
waiting for the head teacher's agreement in the app.
"""

from filtering.models import FilterChange
from tests.access_rules import Row

# Those who review the filtering logs, and IT, who keeps this one.
READERS = frozenset({"dsl", "head", "it", "lead"})


def _change(cast):
    return {"change_id": cast.a.filter_change.pk}


def _not_agreed(cast):
    FilterChange.objects.filter(pk=cast.a.filter_change.pk).update(agreed_by=None, agreed_at=None)


ROWS = {
    "filtering:change_list": Row(READERS, query="?kind=group&waiting=on"),
    "filtering:change_new": Row(frozenset({"it"})),
    "filtering:change_detail": Row(READERS, kwargs=_change, record_of_a=True),
    "filtering:change_agree": Row(
        frozenset({"head"}), kwargs=_change, method="post", ok=302, record_of_a=True, reset=_not_agreed
    ),
}
