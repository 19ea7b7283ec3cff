"""The filtering feed records of each school's cast (tests/filtering/cast.py): its settings, for the feed's token."""

from filtering.models import FilterSettings


def extend(cast, letter):
    cast.filter_settings = FilterSettings.objects.get(school=cast.school)
