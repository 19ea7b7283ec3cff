"""The filtering records of each school's cast (tests/conftest.py), and those of each area of the app."""

from datetime import timedelta

from django.utils import timezone

from esafety.models import OutboxMessage
from filtering.models import FilterGroup, SiteCategory
from filtering.services.requests import request_submit
from filtering.sites import normalise_site
from tests.filtering import cast_changes, cast_feed, cast_reports, cast_reviews


def extend(cast, letter):
    """
    The teacher has asked, with a week's notice, for the museum's image archive to be opened to KS3 pupils for
    next week's lesson; it waits for the head teacher.
    """
    outbox_before = OutboxMessage.objects.order_by("-pk").values_list("pk", flat=True).first() or 0
    start = timezone.localdate() + timedelta(days=7)
    cast.filter_groups = {g.appliance_name: g for g in FilterGroup.objects.for_school(cast.school)}
    cast.site_categories = {c.name: c for c in SiteCategory.objects.for_school(cast.school)}
    cast.filter_request = request_submit(
        school=cast.school,
        actor=cast.users["teacher"],
        purpose=f"Year 7 history: the museum's image archive ({letter.upper()})",
        category=cast.site_categories["Educational resource"],
        sites=[normalise_site(f"archive.museum-{letter}.example.org")],
        groups=[cast.filter_groups["pupils-ks3"]],
        starts_on=start,
        ends_on=start + timedelta(days=4),
    )
    for area in (cast_feed, cast_reports, cast_changes, cast_reviews):
        area.extend(cast, letter)
    # The e-mails of these notifications would wait in the outbox for a commit that never comes in a test; the
    # outbox's own tests start from an empty one. The notifications themselves stay, under the bell.
    OutboxMessage.objects.filter(pk__gt=outbox_before).delete()
