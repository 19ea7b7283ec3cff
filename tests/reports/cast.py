"""The governors' report records of each school's cast (tests/conftest.py): one module for the school's, one for the trust's."""

from tests.reports import cast_school, cast_trust


def extend(cast, letter):
    for area in (cast_school, cast_trust):
        area.extend(cast, letter)
