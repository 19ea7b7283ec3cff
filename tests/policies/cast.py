"""The policies and training records of each school's cast (tests/conftest.py), one module per area of the app."""

from tests.policies import cast_policies, cast_training


def extend(cast, letter):
    for area in (cast_policies, cast_training):
        area.extend(cast, letter)
