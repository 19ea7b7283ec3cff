"""The devices records of each school's cast (tests/conftest.py), one module per area of the app."""

from esafety.models import OutboxMessage
from tests.devices import cast_accounts, cast_custody, cast_equipment, cast_loans, cast_phones


def extend(cast, letter):
    outbox_before = OutboxMessage.objects.order_by("-pk").values_list("pk", flat=True).first() or 0
    for area in (cast_phones, cast_custody, cast_loans, cast_equipment, cast_accounts):
        area.extend(cast, letter)
    # The e-mails of these notifications would wait in the outbox for a commit that never comes in a test; the
    # outbox's own tests start from an empty one. The notifications themselves stay, under the bell.
    OutboxMessage.objects.filter(pk__gt=outbox_before).delete()
