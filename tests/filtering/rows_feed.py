"""
Access rules of the filtering feed URLs (tests/filtering/access_rows.py).

The feed itself needs no login: its address carries school A's secret token, and whoever has it (the filter
appliance, anyone signed in at either school) gets school A's list of the staff group. Which token gives which
school's feed, and wrong tokens, are in tests/filtering/test_feed.py.
"""

from tests.access_rules import ALL, Row

IT = frozenset({"it"})
# The head teacher signs requests off; IT runs the filter.
SETTINGS_KEEPERS = frozenset({"it", "head"})


def _feed_of_a(cast):
    return {"token": cast.a.filter_settings.feed_token, "group": "staff"}


ROWS = {
    "filtering:feed_settings": Row(IT),
    "filtering:feed_rotate": Row(IT, method="post", data=lambda c: {"confirm": "on"}, ok=302),
    "filtering:feed_text": Row(ALL, kwargs=_feed_of_a, public=True),
    "filtering:feed_json": Row(ALL, kwargs=_feed_of_a, public=True),
    "filtering:settings": Row(SETTINGS_KEEPERS),
}
