"""The incidents records of each school's cast (tests/conftest.py)."""


def extend(cast, letter):
    pass
