"""Marks shared by several test modules."""

import os
from urllib.parse import urlsplit

import pytest

ON_POSTGRES = urlsplit(os.environ.get("DATABASE_URL", "")).scheme in ("postgres", "postgresql")
# For what is PostgreSQL's own (the bench's databases, its bulk copies in SQL); CI runs the suite on PostgreSQL.
postgres_only = pytest.mark.skipif(not ON_POSTGRES, reason="needs DATABASE_URL to point at PostgreSQL, as in CI")
