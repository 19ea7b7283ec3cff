"""
Access rules of the governors' report URLs, merged into the matrix of tests/esafety/test_access_matrix.py: a
school's report and a trust's report.
"""

from tests.reports.rows_school import ROWS as SCHOOL
from tests.reports.rows_trust import ROWS as TRUST

ROWS = {**SCHOOL, **TRUST}
