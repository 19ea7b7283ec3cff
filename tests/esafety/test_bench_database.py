"""
The bench's own database (bench/database.py): it makes and marks a database of its own, drops only what it
made, and refuses, changing nothing, a database of the chosen name that it did not make or the one that
DATABASE_URL names. The PostgreSQL tests run against the server of DATABASE_URL (as CI does), each on
database names of its own; the SQLite one runs everywhere.
"""

import os
import subprocess
import sys
import uuid
from pathlib import Path
from urllib.parse import urlsplit

import psycopg
import pytest
from psycopg import sql

from bench.database import DEFAULT_NAME, MARK, NAME_VARIABLE, DatabaseRefused, bench_database, database_name
from tests.markers import postgres_only

DEVELOPER_URL = os.environ.get("DATABASE_URL", "")
PROJECT = Path(__file__).resolve().parents[2]


@pytest.fixture
def server():
    """An autocommit connection to the server's `postgres` database, for making and looking at databases."""
    url = urlsplit(DEVELOPER_URL)._replace(scheme="postgresql", path="/postgres").geturl()
    with psycopg.connect(url, autocommit=True) as conn:
        yield conn


@pytest.fixture
def names(server):
    """Makes unique database names for the test; drops whatever of them exists at its end."""
    made = []

    def new_name():
        made.append(f"esafety_bench_test_{uuid.uuid4().hex[:12]}")
        return made[-1]

    yield new_name
    for name in made:
        server.execute(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name)))


def create(server, name: str, *, comment: str | None = None, table: str = "") -> None:
    server.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
    if comment is not None:
        server.execute(sql.SQL("COMMENT ON DATABASE {} IS {}").format(sql.Identifier(name), sql.Literal(comment)))
    if table:
        with psycopg.connect(url_of(name), autocommit=True) as conn:
            conn.execute(sql.SQL("CREATE TABLE {} (id int)").format(sql.Identifier(table)))


def url_of(name: str) -> str:
    return urlsplit(DEVELOPER_URL)._replace(scheme="postgresql", path=f"/{name}").geturl()


def exists(server, name: str) -> bool:
    return server.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name]).fetchone() is not None


def comment(server, name: str) -> str:
    row = server.execute("SELECT shobj_description(oid, 'pg_database') FROM pg_database WHERE datname = %s", [name]).fetchone()
    return row[0] or ""


def tables(name: str) -> set[str]:
    with psycopg.connect(url_of(name)) as conn:
        return {row[0] for row in conn.execute("SELECT tablename FROM pg_tables WHERE schemaname = 'public'")}


def run_bench(*args: str, **env: str) -> subprocess.CompletedProcess:
    """`python -m bench` as a developer runs it. The refusals come before Django is set up: a second or two."""
    return subprocess.run(
        [sys.executable, "-m", "bench", "--quick", *args],
        cwd=PROJECT,
        env={**os.environ, "DATABASE_URL": DEVELOPER_URL, **env},
        capture_output=True,
        text=True,
        timeout=120,
    )


@postgres_only
def test_it_refuses_a_database_of_that_name_it_did_not_make_and_leaves_it_there(server, names):
    name = names()
    create(server, name, table="someones_work")

    finished = run_bench("--database", name)

    assert finished.returncode == 1
    assert f"A database named {name} already exists" in finished.stderr
    assert "was not made by the bench" in finished.stderr
    assert exists(server, name)
    assert tables(name) == {"someones_work"}


@postgres_only
def test_it_refuses_the_database_that_database_url_names_even_with_the_mark(server, names):
    developer = names()
    create(server, developer, comment=f"{MARK} somehow", table="the_developers_work")
    developer_url = url_of(developer)

    with pytest.raises(DatabaseRefused, match="the database DATABASE_URL names"):
        bench_database(developer_url, developer)
    finished = run_bench(DATABASE_URL=developer_url, **{NAME_VARIABLE: developer})

    assert finished.returncode == 1
    assert "the database DATABASE_URL names" in finished.stderr
    assert tables(developer) == {"the_developers_work"}


@postgres_only
def test_it_replaces_a_marked_leftover_of_an_earlier_run(server, names):
    name = names()
    create(server, name, comment=f"{MARK} made by an earlier run that was stopped", table="leftover")

    database = bench_database(DEVELOPER_URL, name)

    assert database.replaced_leftover
    assert exists(server, name)
    assert tables(name) == set()
    assert comment(server, name).startswith(f"{MARK} made by python -m bench")
    database.remove()
    assert not exists(server, name)


@postgres_only
def test_it_refuses_a_marked_database_in_use(server, names):
    name = names()
    create(server, name, comment=f"{MARK} kept by --keep-db", table="being_looked_at")

    with psycopg.connect(url_of(name)), pytest.raises(DatabaseRefused, match="is in use"):
        bench_database(DEVELOPER_URL, name)

    assert tables(name) == {"being_looked_at"}


@postgres_only
def test_it_makes_marks_and_drops_its_own_database(server, names):
    name = names()

    database = bench_database(DEVELOPER_URL, name)

    assert not database.replaced_leftover
    assert urlsplit(database.url).path == f"/{name}"
    assert comment(server, name).startswith(MARK)
    with psycopg.connect(url_of(name)) as conn:
        conn.execute("CREATE TABLE from_the_run (id int)")
    database.remove()
    assert not exists(server, name)


@postgres_only
def test_at_the_end_it_leaves_a_database_whose_mark_was_taken_off(server, names):
    name = names()
    database = bench_database(DEVELOPER_URL, name)
    server.execute(sql.SQL("COMMENT ON DATABASE {} IS NULL").format(sql.Identifier(name)))

    database.remove()

    assert exists(server, name)


def test_on_sqlite_it_makes_and_removes_a_temporary_folder_of_its_own():
    database = bench_database("", DEFAULT_NAME)
    folder = database.sqlite_folder

    assert folder.is_dir() and list(folder.iterdir()) == []
    assert database.url == f"sqlite:///{folder / 'esafety_bench.sqlite3'}"
    (folder / "esafety_bench.sqlite3").write_bytes(b"")
    (folder / "esafety_bench.sqlite3-wal").write_bytes(b"")
    database.remove()
    assert not folder.exists()


def test_the_name_is_the_option_else_the_environment_else_esafety_bench(monkeypatch):
    monkeypatch.delenv(NAME_VARIABLE, raising=False)
    assert database_name(None) == "esafety_bench"
    monkeypatch.setenv(NAME_VARIABLE, "esafety_bench_mine")
    assert database_name(None) == "esafety_bench_mine"
    assert database_name("esafety_bench_other") == "esafety_bench_other"


@pytest.mark.parametrize("name", ["", "Esafety", "esafety-bench", "1bench", "esafety;drop", "x" * 64])
def test_it_refuses_a_name_that_is_not_plain(name):
    with pytest.raises(DatabaseRefused, match="lower-case letters, digits and underscores"):
        bench_database("", name)
