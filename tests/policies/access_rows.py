"""
Access rules of the policies and training URLs, merged into the matrix of tests/esafety/test_access_matrix.py: one
module of rows per area of the app, beside that area's tests.
"""

from tests.policies.rows_policies import ROWS as POLICIES
from tests.policies.rows_training import ROWS as TRAINING

ROWS = {**POLICIES, **TRAINING}
