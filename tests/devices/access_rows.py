"""
Access rules of the devices URLs, merged into the matrix of tests/esafety/test_access_matrix.py: one module of
rows per area of the app, beside that area's tests.
"""

from tests.devices.rows_accounts import ROWS as ACCOUNTS
from tests.devices.rows_custody import ROWS as CUSTODY
from tests.devices.rows_equipment import ROWS as EQUIPMENT
from tests.devices.rows_loans import ROWS as LOANS
from tests.devices.rows_phones import ROWS as PHONES

ROWS = {**PHONES, **CUSTODY, **LOANS, **EQUIPMENT, **ACCOUNTS}
