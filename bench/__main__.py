"""`python -m bench`: see `bench/__init__.py`."""

import argparse
import importlib
import os
import platform
import signal
import sys
import time
import warnings

import django

from bench import MODULES
from bench.database import DEFAULT_NAME, NAME_VARIABLE, bench_database, configure_environment, database_name

FULL = {"runs": 30, "warmup": 3, "import_rows": 2000, "http_seconds": 5.0}
QUICK = {"runs": 5, "warmup": 1, "import_rows": 300, "http_seconds": 2.0}


def parse_args(argv):
    parser = argparse.ArgumentParser(
        prog="python -m bench", description="Time the app's pages and MIS import on a large demo school."
    )
    parser.add_argument(
        "--quick", action="store_true", help="5 timed requests per page, a 300-row import and 2 s a page under gunicorn"
    )
    parser.add_argument("--runs", type=int, help="timed requests per page (default 30, or 5 with --quick)")
    parser.add_argument("--keep-db", action="store_true", help="leave the bench database in place afterwards, to look into it")
    parser.add_argument(
        "--database",
        metavar="NAME",
        help=f"name of the bench's PostgreSQL database (default ${NAME_VARIABLE}, else {DEFAULT_NAME}); "
        "one of that name that the bench did not make is refused, never dropped",
    )
    args = parser.parse_args(argv)
    if args.runs is not None and args.runs < 1:
        parser.error("--runs must be at least 1")
    return args


def main(argv=None) -> int:
    args = parse_args(argv)
    plan = dict(QUICK if args.quick else FULL)
    if args.runs:
        plan["runs"] = args.runs
    started = time.perf_counter()
    # `kill` or a time limit (SIGTERM) cleans up as Ctrl+C does: gunicorn stopped, the database dropped.
    signal.signal(signal.SIGTERM, _exit_on_signal)
    # Refuses (exit status 1, nothing changed) a database of that name that the bench did not make.
    database = bench_database(os.environ.get("DATABASE_URL", ""), database_name(args.database))
    try:
        configure_environment(database.url)
        # WhiteNoise looks for collectstatic's folder; the bench requests no static files.
        warnings.filterwarnings("ignore", message="No directory at", category=UserWarning)
        django.setup()
        return _run(plan, database, started)
    finally:
        from django.db import connections

        connections.close_all()
        if args.keep_db:
            later = "the next run of that name replaces it" if database.is_postgres else "delete its folder when done"
            print(f"\nThe bench database is kept ({later}): DATABASE_URL={database.url}")
        else:
            database.remove()


def _exit_on_signal(signum, frame):
    raise SystemExit(128 + signum)


def _run(plan, database, started) -> int:
    # Imported here: they need Django set up.
    from django.core.management import call_command
    from django.db import connection
    from django.test.utils import override_settings

    from bench.measure import Report
    from bench.report import print_report
    from esafety.demo import build_demo
    from esafety.scoping import scope

    report = Report()
    print(f"Setting up the bench database ({database.where}) …", flush=True)
    t0 = time.perf_counter()
    call_command("migrate", verbosity=0, interactive=False)
    t1 = time.perf_counter()
    # The demo's logins need hashing; Argon2 would only slow the set-up.
    with override_settings(PASSWORD_HASHERS=["django.contrib.auth.hashers.MD5PasswordHasher"]):
        (school, _), *_ = build_demo("large")
    if connection.vendor == "postgresql":
        # Fresh tables have no planner statistics or visibility map yet, and autovacuum would otherwise set
        # about them in the middle of the timings; a live server's autovacuum would have been through them.
        with connection.cursor() as cursor:
            cursor.execute("VACUUM ANALYZE")
    t2 = time.perf_counter()
    # As esafety/wsgi.py does in production: what is loaded so far stays out of the garbage collector's full passes.
    import gc

    gc.collect()
    gc.freeze()

    # The bench reads the large school's records as one of its users would: in its scope (esafety.scoping).
    with scope(school=school):
        _measure(plan, database, report, school, (t0, t1, t2))
    report.facts.append(("Total run time", f"{time.perf_counter() - started:.0f} s"))
    print_report(report)
    return 0 if report.ok else 1


def _measure(plan, database, report, school, times) -> None:
    from django.db import connection

    from bench.measure import BenchRun, Options

    t0, t1, t2 = times
    report.facts += [
        ("Database", f"{_engine(connection)} ({database.where}, made for this run{_leftover(database)})"),
        ("Data", _data_size(school)),
        ("Set-up", f"migrate {t1 - t0:.1f} s, large demo {t2 - t1:.1f} s"),
        ("Python, Django", f"{platform.python_version()}, {django.get_version()}, {os.cpu_count()} CPUs"),
        (
            "Pages",
            f"median and 95th percentile of {plan['runs']} requests after {plan['warmup']} warm-ups (test client, DEBUG off); queries counted on one more request",
        ),
    ]
    run = BenchRun(Options(**plan), school, report)
    for name in MODULES:
        module_name, _, function = name.partition(":")
        module = importlib.import_module(module_name)
        for bench in [getattr(module, function)] if function else module.BENCHES:
            print(f"  {module_name}.{bench.__name__} …", flush=True)
            bench(run)


def _leftover(database) -> str:
    return "; a leftover of an earlier run was dropped first" if database.replaced_leftover else ""


def _engine(connection) -> str:
    if connection.vendor == "postgresql":
        return f"PostgreSQL {connection.pg_version // 10000}.{connection.pg_version % 10000}"
    if connection.vendor == "sqlite":
        import sqlite3

        return f"SQLite {sqlite3.sqlite_version}"
    return connection.vendor


def _data_size(school) -> str:
    from esafety.models import ParentCarer, Pupil, StaffMember

    on_roll = Pupil.objects.for_school(school).current().count()
    pupils = Pupil.objects.for_school(school).count()
    staff = StaffMember.objects.for_school(school).count()
    parents = ParentCarer.objects.for_school(school).count()
    return f"{school.name}: {on_roll:,} pupils on roll ({pupils:,} with leavers), {staff:,} staff, {parents:,} parents/carers"


if __name__ == "__main__":
    sys.exit(main())
