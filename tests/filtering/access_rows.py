"""Access rules of the filtering URLs, merged into the matrix of tests/esafety/test_access_matrix.py."""

from tests.access_rules import STAFF, Row

ROWS = {
    "filtering:request_list": Row(STAFF),
}
