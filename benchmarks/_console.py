"""What the console benchmarks share (console_cases.py, console_patrol_review.py, console_readings.py,
console_plans.py, console_reports.py): their own PostGIS database (dropped, created, migrated, filled,
ANALYZEd as autovacuum would a deployed one), a signed-in browser session, and the timing of a request
through the WSGI application in process (no server, no network): the first run, and the median and
maximum of the warm runs after it, with the SQL queries and their time of the last run.

Not a benchmark itself; the scripts import it from this folder (with bench_db, which it builds on).
"""

from __future__ import annotations

import os
import statistics
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import bench_db

TARGET_MS = 300.0  # issue 15: every page and action under 300 ms of server time


def load() -> str:
    """The machine's load, printed with the figures (they mean little on a loaded machine)."""
    one, five, _fifteen = os.getloadavg()
    return f"load average {one:.2f} (1 min), {five:.2f} (5 min), {os.cpu_count()} cores"


def over(ms: float, target: float = TARGET_MS) -> str:
    """The mark printed after a figure over the target."""
    return "" if ms < target else f"  <-- over {target:.0f} ms"


def prepare(db: str, *, reuse: bool, build: Callable[[], None] | None = None, demo: bool = False) -> float:
    """The benchmark's database `db`: unless `reuse`, dropped, created, migrated and filled (by `build`,
    and/or the demo through load_demo); Django set up on it; ANALYZEd. Returns the seconds it took."""
    began = time.perf_counter()
    env = bench_db.django_env(db)
    if not reuse:
        bench_db.create_database(db, env)
    bench_db.setup_django(env)
    if not reuse:
        if demo:
            from django.core.management import call_command

            with open(os.devnull, "w") as quiet:
                call_command("load_demo", verbosity=0, stdout=quiet)
        if build is not None:
            build()
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("ANALYZE")
    return time.perf_counter() - began


def sign_in(user: Any) -> Any:
    """A browser's session of `user` (Chinese), as the console's pages see it."""
    from django.test import Client

    client = Client(HTTP_ACCEPT_LANGUAGE="zh-hans")
    client.force_login(user)
    return client


@dataclass
class Timing:
    """A request timed `runs` times: the first (cold) run, the median and maximum of the warm ones,
    and the last run's SQL queries, their summed time and its response."""

    first: float
    median: float
    max: float
    queries: int
    sql_ms: float
    response: Any


def timed(call: Callable[[int], Any], runs: int = 1, *, expect: tuple[int, ...] | None = None) -> Timing:
    """`call(i)` (a request; i counts the runs, for calls that must differ) timed `runs` times. A status
    outside `expect` ends the benchmark with the body's start."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    samples: list[float] = []
    first, queries, sql_ms, resp = 0.0, 0, 0.0, None
    for i in range(runs):
        with CaptureQueriesContext(connection) as ctx:
            t = time.perf_counter()
            resp = call(i)
            ms = (time.perf_counter() - t) * 1000
        if expect is not None and resp.status_code not in expect:
            raise SystemExit(f"{resp.status_code} (expected {expect}): {resp.content[:300]!r}")
        queries, sql_ms = len(ctx), sum(float(q["time"]) for q in ctx.captured_queries) * 1000
        if i:
            samples.append(ms)
        else:
            first = ms
    warm = samples or [first]
    return Timing(first, statistics.median(warm), max(warm), queries, sql_ms, resp)
