"""
The filter change log of each school's cast (tests/filtering/cast.py): IT opened video sites to KS3 pupils, with
the head teacher's agreement beforehand; the head has yet to agree it in the app.
"""

from datetime import timedelta

from django.utils import timezone

from filtering.models import FilterChange


def extend(cast, letter):
    cast.filter_change = FilterChange.objects.create(
        school=cast.school,
        kind=FilterChange.Kind.CHANGED_GROUP,
        applies_to="KS3 pupils",
        group=cast.filter_groups["pupils-ks3"],
        description=f"Video streaming allowed for KS3 pupils ({letter.upper()})",
        reason="Year 9 media studies use clips every lesson this term.",
        risk_assessment="Comments and recommendations stay blocked; teachers check each clip beforehand.",
        made_at=timezone.now() - timedelta(hours=3),
        made_by=cast.users["it"],
        agreement=FilterChange.Agreement.BEFORE,
    )
