"""
The bench's throw-away database and environment, set up before Django is.

With DATABASE_URL unset, an SQLite file in a temporary folder; with it set
(PostgreSQL), a database named `esafety_bench` on the same server, dropped
and created afresh. Either way the developer's own database is never opened.
"""

import os
import secrets
import shutil
import tempfile
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit

BENCH_DATABASE_NAME = "esafety_bench"
POSTGRES_SCHEMES = ("postgres", "postgresql", "pgsql", "psql")


@dataclass
class BenchDatabase:
    url: str
    where: str  # for the report: the file, or the server and database name
    sqlite_folder: Path | None = None

    @property
    def is_postgres(self) -> bool:
        return self.sqlite_folder is None

    def remove(self) -> None:
        """Drop the database (or delete the temporary folder). Close Django's connections first."""
        if self.sqlite_folder is not None:
            shutil.rmtree(self.sqlite_folder, ignore_errors=True)
        else:
            _postgres_recreate(self.url, create=False)


def bench_database(developer_url: str) -> BenchDatabase:
    """A fresh, empty database for the bench, beside the developer's (whose URL may be empty)."""
    if not developer_url:
        folder = Path(tempfile.mkdtemp(prefix="esafety-bench-"))
        path = folder / "bench.sqlite3"
        return BenchDatabase(url=f"sqlite:///{path}", where=str(path), sqlite_folder=folder)
    parts = urlsplit(developer_url)
    if parts.scheme not in POSTGRES_SCHEMES:
        raise SystemExit(f"The bench runs on SQLite (DATABASE_URL unset) or PostgreSQL, not on {parts.scheme}://.")
    url = parts._replace(path=f"/{BENCH_DATABASE_NAME}").geturl()
    _postgres_recreate(url, create=True)
    return BenchDatabase(url=url, where=f"database {BENCH_DATABASE_NAME} on {parts.hostname or 'localhost'}:{parts.port or 5432}")


def _postgres_recreate(bench_url: str, *, create: bool) -> None:
    import psycopg
    from psycopg import sql

    # Connect to the server's `postgres` database: one cannot drop the database one is connected to.
    parts = urlsplit(bench_url)
    admin_url = parts._replace(scheme="postgresql", path="/postgres").geturl()
    name = sql.Identifier(BENCH_DATABASE_NAME)
    with psycopg.connect(admin_url, autocommit=True) as conn:
        conn.execute(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(name))
        if create:
            conn.execute(sql.SQL("CREATE DATABASE {}").format(name))


def configure_environment(database_url: str) -> None:
    """
    Settings for the bench, as environment variables read by `esafety/settings.py`.

    Set explicitly (not defaulted) so that a developer's shell or `.env` cannot
    point the bench at a broker, a mail server or a shared cache.
    """
    os.environ.update(
        {
            "DJANGO_SETTINGS_MODULE": "esafety.settings",
            "DATABASE_URL": database_url,
            "DEBUG": "false",
            "SECRET_KEY": f"bench-{secrets.token_urlsafe(32)}",
            "ALLOWED_HOSTS": "testserver,127.0.0.1,localhost",
            # Background tasks run in-process, straight after the commit that queues them.
            "CELERY_BROKER_URL": "",
            "CELERY_TASK_ALWAYS_EAGER": "true",
            "EMAIL_URL": "",
            "EMAIL_BACKEND": "django.core.mail.backends.locmem.EmailBackend",
            "CACHE_URL": "locmemcache://esafety-bench",
            # Production serves hashed static names from a manifest that only collectstatic writes.
            "MANIFEST_STATIC": "false",
            "SECURE_SSL_REDIRECT": "false",
            "LOG_LEVEL": "WARNING",
        }
    )
