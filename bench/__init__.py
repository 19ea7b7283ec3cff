"""
`make bench`: how fast the app is on a large school, and how many queries each page costs.

    .venv/bin/python -m bench                  the full run (about five minutes on PostgreSQL)
    .venv/bin/python -m bench --quick          fewer requests and a smaller import, to try a change
    .venv/bin/python -m bench --runs 50        more timed requests per page
    .venv/bin/python -m bench --database NAME  the bench's PostgreSQL database (default esafety_bench)
    .venv/bin/python -m bench --keep-db        leave the bench database in place, to look into it

The bench builds its own throw-away database (`bench.database`), so it never
touches `db.sqlite3` or the developer's PostgreSQL database: with DATABASE_URL
unset, an SQLite file in a temporary folder of its own; with it set, a database
on the same server named by `--database`, else BENCH_DATABASE_NAME, else
`esafety_bench`. The bench marks the databases it makes with a comment and
drops only those: a database of that name without the mark is refused (exit
status 1), never dropped, and so is the one DATABASE_URL names; a marked
leftover of an interrupted run is replaced. It fills the database with the
large demo school (`esafety.demo.build_demo("large")`), runs the bench
functions of each module listed in `MODULES` and prints one report:

- the page table: median and 95th percentile time and query count of each page
  (Django's test client, DEBUG off), and whether its 95th percentile meets the
  goal of 100 ms (1 s for the incident PDF, laid out by WeasyPrint when asked for, as a
  class's consent slips are), with a count of the pages that do at the end;
- the MIS import, consents and incidents figures;
- the governors' report (`bench.reports`): the large school's report built as the
  background job builds it (seconds for the figures and for the charts and PDF,
  peak memory, PDF pages and size, queries, which must be the same for the
  earliest year with records), its pages and PDF; on PostgreSQL, the trust's
  report for twenty schools, the large school and 19 copies of it made in bulk
  (`bench.trust_clone`) and rolled back afterwards, with its queries a school;
- the incident and pupil lists beside Django's admin changelists of the same
  models, on the same data (`bench.admin_compare`): times, rows a page, ratio;
- requests per second under gunicorn with production settings, over real HTTP
  (`bench.throughput`): a bare view, the DSL's dashboard, the incident list, the
  pupil list and the consent chasing list, each also as a ratio to the bare view.

It is not part of the test suite: speed is reported, never asserted, so a slow
page does not fail the run; it exits with 1 when a page does not answer 200 or
an import does not do what it should.

To measure an app of your own, add `bench/<app>.py` with a list `BENCHES` of
functions that take a `bench.measure.BenchRun` (see `bench/core.py`), and add
the module's name to `MODULES`. Modules are imported after Django is set up,
so they may import models at the top.
"""

# Run in this order. A name is a module (all of its BENCHES) or "module:function" (that one alone).
# The whole school's slips are made for the 1,483 pupils on roll; then the core's import adds 2,000 pupils
# and checks that no page measured so far runs more queries with them; the consents' pages and the
# incidents are measured on the grown school.
MODULES = [
    "bench.core:home_pages",
    "bench.core:people_pages",
    "bench.consents:add_answers",
    "bench.consents:slips",
    "bench.core:mis_import",
    "bench.core:query_counts_with_more_pupils",
    "bench.consents:record_return",
    "bench.consents:pages",
    "bench.incidents",
    "bench.filtering",
    "bench.devices",
    "bench.reports",
    # After the others, on all their data: the app's lists beside the admin's, then gunicorn.
    "bench.admin_compare",
    "bench.throughput",
    # Last: any page that ran one query shape several times.
    "bench.core:repeated_queries",
]
