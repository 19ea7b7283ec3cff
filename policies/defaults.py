"""
What a school starts with for policies and training: its settings (reviews yearly, induction within 30 days of
starting, refresher training yearly). The school adds its own documents; it edits the settings.
"""

from esafety.models import School
from policies.models import PolicySettings


def policies_defaults_install(school: School) -> None:
    """The settings of a school that has none; nothing the second time."""
    PolicySettings.objects.get_or_create(school=school)
