"""
What a school starts with for web filtering: its filter groups (separate pupil and staff profiles, as the DfE
filtering standard asks), the kinds of site a request may be for, with those never to be opened, and its
settings. The school edits all of it afterwards.
"""

from django.db import transaction
from simple_history.utils import bulk_create_with_history

from esafety.models import School
from filtering.models import FilterGroup, FilterSettings, SiteCategory

Kind = FilterGroup.Kind

# (name, name on the appliance, who is in it)
GROUPS = [
    ("EYFS and KS1 pupils", "pupils-eyfs-ks1", Kind.PUPILS),
    ("KS2 pupils", "pupils-ks2", Kind.PUPILS),
    ("KS3 pupils", "pupils-ks3", Kind.PUPILS),
    ("KS4 pupils", "pupils-ks4", Kind.PUPILS),
    ("Sixth form", "pupils-sixth-form", Kind.PUPILS),
    ("Staff", "staff", Kind.STAFF),
    ("Guests", "guests", Kind.GUESTS),
]

# (name, never opened, why)
CATEGORIES = [
    ("Educational resource", False, ""),
    ("Video or streaming", False, ""),
    ("News or current affairs", False, ""),
    ("Social media", False, ""),
    ("Games", False, ""),
    ("Forum or chat", False, ""),
    ("Generative AI tool", False, ""),
    ("File sharing or storage", False, ""),
    ("Other", False, ""),
    (
        "Illegal content",
        True,
        "Sites with content that is illegal in the UK are never opened, for any lesson or any group.",
    ),
    (
        "On the IWF list",
        True,
        "Addresses on the Internet Watch Foundation's list of child sexual abuse images are never opened.",
    ),
    (
        "Terrorist or extremist content",
        True,
        "Sites on the police's unlawful terrorist content list are never opened (the Prevent duty).",
    ),
]


@transaction.atomic
def filtering_defaults_install(school: School) -> None:
    """The starting groups, site categories and settings of a school that has none; nothing the second time."""
    FilterSettings.objects.get_or_create(school=school)
    if not FilterGroup.objects.filter(school=school).exists():
        bulk_create_with_history(
            [
                FilterGroup(school=school, name=name, appliance_name=slug, kind=kind, order=i)
                for i, (name, slug, kind) in enumerate(GROUPS)
            ],
            FilterGroup,
        )
    if not SiteCategory.objects.filter(school=school).exists():
        bulk_create_with_history(
            [
                SiteCategory(school=school, name=name, never_open=never, reason=why, order=i)
                for i, (name, never, why) in enumerate(CATEGORIES)
            ],
            SiteCategory,
        )
