"""
The pieces of an access rule, shared by the matrix in
`tests/esafety/test_access_matrix.py` and the rows each app keeps in
`tests/<app>/access_rows.py`.

Role labels are those of the cast (`tests/conftest.py`): "teacher" holds the
Staff role, the rest are named after their role.
"""

from collections.abc import Callable
from dataclasses import dataclass, field

ALL = frozenset({"teacher", "dsl", "head", "it", "office", "governor", "lead", "trust", "chair"})
PEOPLE = frozenset({"teacher", "dsl", "head", "it", "office", "lead", "trust"})  # not governors: no names
# Everyone who works at the school: not governors, not the trust's central team.
STAFF = frozenset({"teacher", "dsl", "head", "it", "office", "lead"})
SAFEGUARDING = frozenset({"dsl", "head"})
EXPORTERS = frozenset({"dsl", "head", "office"})
OFFICE = frozenset({"office"})
AUDITORS = frozenset({"dsl", "head", "trust"})


@dataclass(frozen=True)
class Row:
    allowed: frozenset
    kwargs: Callable = lambda cast: {}
    method: str = "get"
    data: Callable = lambda cast: {}
    ok: int = 200  # what an allowed user gets
    record_of_a: bool = False  # the URL names one of school A's records
    public: bool = False
    query: str | Callable = ""  # appended to the URL of a GET; a callable gets the cast
    outsiders_get: int = 403  # what a user whose role is not allowed gets
    # Answers that differ by role, e.g. {"it": 404} when IT may use the page but not see this record,
    # or by user, e.g. {"a.teacher": 403} for school A's teacher alone.
    statuses: dict = field(default_factory=dict)
    # Called before each user's request, to put back what the previous user's POST changed.
    reset: Callable | None = None
