"""Access rules of the consents URLs, merged into the matrix of tests/esafety/test_access_matrix.py."""

ROWS = {}
