"""The filtering records of each school's cast (tests/conftest.py)."""

from datetime import timedelta

from django.utils import timezone

from filtering.models import FilterExceptionRequest


def extend(cast, letter):
    """The teacher has asked for a site for next week's lesson; it waits for the head teacher."""
    start = timezone.localdate() + timedelta(days=7)
    cast.filter_request = FilterExceptionRequest.objects.create(
        school=cast.school,
        requested_by=cast.users["teacher"],
        purpose=f"Year 7 history: the museum's image archive ({letter.upper()})",
        starts_on=start,
        ends_on=start + timedelta(days=4),
    )
