"""
`make bench`: how fast the app is on a large school, and how many queries each page costs.

    .venv/bin/python -m bench            the full run (about two minutes on SQLite)
    .venv/bin/python -m bench --quick    fewer requests and a smaller import, to try a change
    .venv/bin/python -m bench --runs 50  more timed requests per page

The bench builds its own throw-away database (`bench.database`), so it never
touches `db.sqlite3` or the developer's PostgreSQL database; fills it with the
large demo school (`esafety.demo.build_demo("large")`); then runs the bench
functions of each module listed in `MODULES` and prints one report. It is not
part of the test suite: it asserts nothing about speed, but it exits with 1
when a page does not answer 200 or an import does not do what it should.

To measure an app of your own, add `bench/<app>.py` with a list `BENCHES` of
functions that take a `bench.measure.BenchRun` (see `bench/core.py`), and add
the module's name to `MODULES`. Modules are imported after Django is set up,
so they may import models at the top.
"""

# Run in this order: the core's import bench adds 2,000 pupils, and its last
# function checks that no page's query count grew with them.
MODULES = [
    "bench.core",
    "bench.consents",
    "bench.incidents",
]
