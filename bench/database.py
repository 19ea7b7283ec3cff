"""
The bench's throw-away database and environment, set up before Django is.

With DATABASE_URL unset, an SQLite file in a temporary folder of its own; with it
set (PostgreSQL), a database beside the developer's on the same server, named by
`--database NAME`, else BENCH_DATABASE_NAME, else `esafety_bench`.

The bench drops only databases it made. It marks each one with a comment
(`COMMENT ON DATABASE … IS 'esafety bench: …'`) as it creates it; a database of
the chosen name without that mark belongs to someone else and is refused, never
dropped. One with the mark is a leftover of an earlier run that was stopped
before it could clean up, and is replaced, unless something is connected to it
(another run of the bench, or someone looking into a kept one). At the end the
bench drops the database it made in this run. The database named in
DATABASE_URL is never opened: the server's `postgres` database is used to
create and drop.
"""

import os
import re
import secrets
import shutil
import socket
import tempfile
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from urllib.parse import unquote, urlsplit

DEFAULT_NAME = "esafety_bench"
NAME_VARIABLE = "BENCH_DATABASE_NAME"
# The start of the comment on every database the bench makes: what it checks before dropping one.
MARK = "esafety bench:"
POSTGRES_SCHEMES = ("postgres", "postgresql", "pgsql", "psql")
# Plain lower-case names: the same whether or not a tool quotes them, and at most PostgreSQL's 63 bytes.
VALID_NAME = re.compile(r"[a-z_][a-z0-9_]{0,62}")


class DatabaseRefused(SystemExit):
    """The bench will not use the database asked for: the message says why. Exits with status 1."""


@dataclass
class BenchDatabase:
    url: str
    name: str
    where: str  # for the report: the file, or the server and database name
    sqlite_folder: Path | None = None
    replaced_leftover: bool = False  # a marked database of the same name, left by an earlier run, was dropped first

    @property
    def is_postgres(self) -> bool:
        return self.sqlite_folder is None

    def remove(self) -> None:
        """
        Drop the database made for this run (or delete the temporary folder). Close Django's connections first.

        Dropped only if it still carries the bench's mark: one that someone has taken over since is left alone.
        """
        if self.sqlite_folder is not None:
            shutil.rmtree(self.sqlite_folder, ignore_errors=True)
            return
        from psycopg import sql

        with _server(self.url) as conn:
            if _marked(_existing(conn, self.name)):
                # FORCE: connections of this run's own processes (gunicorn's workers) may not have closed yet.
                conn.execute(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(self.name)))


def database_name(option: str | None) -> str:
    """The name asked for: the `--database` option, else BENCH_DATABASE_NAME, else `esafety_bench`."""
    return option or os.environ.get(NAME_VARIABLE) or DEFAULT_NAME


def bench_database(developer_url: str, name: str = DEFAULT_NAME) -> BenchDatabase:
    """
    A fresh, empty database for the bench, beside the developer's (whose URL may be empty: SQLite).

    Raises DatabaseRefused, having changed nothing, when `name` is not a plain name, is the developer's
    own database, or is a database on the server that the bench did not make or that is in use.
    """
    if not VALID_NAME.fullmatch(name):
        raise DatabaseRefused(
            f"The bench database name {name!r} should be lower-case letters, digits and underscores "
            "(at most 63, not starting with a digit)."
        )
    if not developer_url:
        folder = Path(tempfile.mkdtemp(prefix="esafety-bench-"))
        path = folder / f"{name}.sqlite3"
        return BenchDatabase(url=f"sqlite:///{path}", name=name, where=str(path), sqlite_folder=folder)
    parts = urlsplit(developer_url)
    if parts.scheme not in POSTGRES_SCHEMES:
        raise DatabaseRefused(f"The bench runs on SQLite (DATABASE_URL unset) or PostgreSQL, not on {parts.scheme}://.")
    # Without a database in the URL, PostgreSQL connects to the one named after the user.
    developer_name = unquote(parts.path.lstrip("/")) or unquote(parts.username or "")
    if name == developer_name:
        raise DatabaseRefused(
            f"The bench database cannot be {name}: that is the database DATABASE_URL names, which the bench "
            "never touches. Choose another name with --database NAME (or BENCH_DATABASE_NAME)."
        )
    url = parts._replace(path=f"/{name}").geturl()
    server = f"{parts.hostname or 'localhost'}:{parts.port or 5432}"
    replaced = _postgres_create(url, name, server)
    return BenchDatabase(url=url, name=name, where=f"database {name} on {server}", replaced_leftover=replaced)


def _postgres_create(url: str, name: str, server: str) -> bool:
    """Create and mark the database, first dropping a marked leftover of that name. True if there was one."""
    import psycopg
    from psycopg import sql

    identifier = sql.Identifier(name)
    choose_another = "Choose another name with --database NAME (or BENCH_DATABASE_NAME)"
    with _server(url) as conn:
        existing = _existing(conn, name)
        if existing is not None and not _marked(existing):
            raise DatabaseRefused(
                f"A database named {name} already exists on {server} and was not made by the bench (it has no "
                f"'{MARK}' comment), so the bench leaves it alone. {choose_another}, or drop it yourself if it "
                "is yours to drop."
            )
        if existing is not None:
            _, connections = existing
            if connections:
                raise DatabaseRefused(
                    f"The bench database {name} on {server} is in use ({connections} connection(s)): another run of "
                    f"the bench, or someone looking into a kept one. {choose_another}, or wait for it to end."
                )
            try:
                # Not FORCE: should anything connect after the check above, the drop fails rather than cut it off.
                conn.execute(sql.SQL("DROP DATABASE {}").format(identifier))
            except psycopg.errors.ObjectInUse as exc:
                raise DatabaseRefused(f"The bench database {name} on {server} came into use: {choose_another}.") from exc
        try:
            conn.execute(sql.SQL("CREATE DATABASE {}").format(identifier))
        except psycopg.errors.DuplicateDatabase as exc:
            raise DatabaseRefused(f"A database named {name} was made on {server} meanwhile: {choose_another}.") from exc
        mark = f"{MARK} made by python -m bench on {socket.gethostname()} at {datetime.now():%Y-%m-%d %H:%M} (process {os.getpid()}); safe to drop"
        conn.execute(sql.SQL("COMMENT ON DATABASE {} IS {}").format(identifier, sql.Literal(mark)))
    return existing is not None


def _server(url: str):
    """An autocommit connection to the server's `postgres` database: one cannot create or drop the database one is in."""
    import psycopg

    admin_url = urlsplit(url)._replace(scheme="postgresql", path="/postgres").geturl()
    return psycopg.connect(admin_url, autocommit=True)


def _existing(conn, name: str) -> tuple[str, int] | None:
    """(its comment, how many other connections it has) for the database of that name, or None if there is none."""
    row = conn.execute(
        """
        SELECT coalesce(shobj_description(d.oid, 'pg_database'), ''),
               (SELECT count(*) FROM pg_stat_activity a WHERE a.datid = d.oid AND a.pid <> pg_backend_pid())
        FROM pg_database d WHERE d.datname = %s
        """,
        [name],
    ).fetchone()
    return None if row is None else (row[0], row[1])


def _marked(existing: tuple[str, int] | None) -> bool:
    return existing is not None and existing[0].startswith(MARK)


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
            # Production serves hashed static names from a manifest that only collectstatic writes
            # (the gunicorn run of bench.throughput collects one and sets this to true for gunicorn).
            "MANIFEST_STATIC": "false",
            "SECURE_SSL_REDIRECT": "false",
            "LOG_LEVEL": "WARNING",
        }
    )
