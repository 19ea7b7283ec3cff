"""
Access rules of the filtering URLs, merged into the matrix of tests/esafety/test_access_matrix.py: one module
of rows per area of the app, beside that area's tests.
"""

from tests.filtering.rows_changes import ROWS as CHANGES
from tests.filtering.rows_feed import ROWS as FEED
from tests.filtering.rows_reports import ROWS as REPORTS
from tests.filtering.rows_requests import ROWS as REQUESTS
from tests.filtering.rows_reviews import ROWS as REVIEWS

ROWS = {**REQUESTS, **FEED, **REPORTS, **CHANGES, **REVIEWS}
