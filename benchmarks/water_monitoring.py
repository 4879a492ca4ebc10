"""Online monitoring of 500 meters over a quarter, read from the daily rows, with a year of readings behind them.

    .venv/bin/python benchmarks/water_monitoring.py [--meters 500] [--step-minutes 60] [--jobs 2]

1. creates its own database (hz_bench_water_monitoring, dropped first) and migrates it;
2. seeds 500 intakes with one meter each (benchmarks/water_volumes.py's seed, through the services),
   every meter reporting every `--step-minutes` (its expected interval);
3. generates a year (2024, Beijing) of readings straight into PostgreSQL with generate_series, as
   water_volumes.py does (its register curve), with what monitoring has to see: about 1 % of reports
   missing at random, a three-day outage on every 50th meter, every 100th meter silent from
   30 December, arrival 0–4 minutes after the instant and about 1.6 % of reports two hours late;
4. builds the daily rows the way the service does (daily_volumes_rebuild), in `--jobs` processes;
5. times, warm, water.selectors.monitoring_summary for 2024 Q2 over every meter (the reports app's
   call), GET /api/v1/water/monitoring/ for the same quarter (all 500 meters on one page), and the
   offline-alert job over all meters.

Target (issue 3 item 4): the summary under 1 s. Hourly readings (4.4 million rows) run in about three
minutes on the 2-core machine; `--step-minutes 15` is water_volumes.py's 17.6 million.
"""

from __future__ import annotations

import argparse
import datetime as dt
import statistics
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "benchmarks"))

import bench_db  # noqa: E402 - this folder's shared setup, found through the path above
from bench_db import PG  # noqa: E402

DB = "hz_bench_water_monitoring"
ENV = bench_db.django_env(DB)


# Both read DB and ENV when called: reports_quarterly.py points this module at its own database.
def setup_django() -> None:
    bench_db.setup_django(ENV)


def create_database() -> None:
    bench_db.create_database(DB, ENV)


# water_volumes.py's register curve (a steady rate with a daily swing, never decreasing), at `step`
# minutes, with the misses, outages, silences and late arrivals described above. Deterministic.
_GENERATE = """
INSERT INTO water_reading (meter_id, observed_at, cumulative_m3, source, received_at)
SELECT m.id, g.at, round((r.rate * (g.q + 7.639437268 * (1 - cos(2 * pi() * g.q / 96))))::numeric, 3), 'rtu',
       g.at + make_interval(secs => (m.id * 31 + g.k * 17) %% 240
                                   + CASE WHEN (m.id + g.k) %% 61 = 0 THEN 7200 ELSE 0 END)
FROM water_meter m
CROSS JOIN LATERAL (SELECT 5 + (m.id * 37) %% 45 AS rate) r
CROSS JOIN LATERAL (
    SELECT k, k * %(step)s / 15.0 AS q,
           timestamptz '2024-01-01 00:00:00+08' + k * make_interval(mins => %(step)s) AS at
    FROM generate_series(1, %(steps)s) AS k
) g
WHERE m.id BETWEEN %(lo)s AND %(hi)s
  AND (m.id * 7919 + g.k) %% 97 <> 0
  AND NOT (m.id %% 50 = 0 AND g.at >= timestamptz '2024-05-10 00:00+08' AND g.at < timestamptz '2024-05-13 00:00+08')
  AND NOT (m.id %% 100 = 0 AND g.at >= timestamptz '2024-12-30 00:00+08')
"""


def generate(step: int) -> int:
    import psycopg

    steps = 366 * 24 * 60 // step
    with psycopg.connect(f"{PG}/{DB}", autocommit=True) as conn:
        lo, hi = conn.execute("SELECT min(id), max(id) FROM water_meter").fetchone() or (0, -1)
        conn.execute("UPDATE water_meter SET expected_interval_s = %s", [step * 60])
        # Half the intakes are permitted enough to need online metering (the coverage figure).
        conn.execute(
            "UPDATE water_intake SET permitted_annual_m3 = CASE WHEN id %% 2 = 0 THEN 1000000 ELSE 100000 END", []
        )
        for first in range(lo, hi + 1, 50):
            conn.execute(_GENERATE, {"step": step, "steps": steps, "lo": first, "hi": min(hi, first + 49)})
        conn.execute("ANALYZE water_reading")
        count = conn.execute("SELECT count(*) FROM water_reading").fetchone()
        return int(count[0]) if count else 0


def rebuild_chunk(ids: list[int]) -> int:
    setup_django()
    from water.services import daily_volumes_rebuild

    return daily_volumes_rebuild(meter_ids=ids)


def warm_median(fn: Callable[[], Any], runs: int = 8) -> tuple[float, float, Any]:
    samples, result = [], None
    for i in range(runs):
        start = time.perf_counter()
        result = fn()
        if i:  # the first run warms the caches
            samples.append(time.perf_counter() - start)
    return statistics.median(samples), max(samples), result


def time_queries(meters: int) -> None:
    from django.core.wsgi import get_wsgi_application
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from accounts.choices import Role
    from accounts.models import User
    from accounts.scope import Scope
    from accounts.services import token_issue
    from core import periods
    from core.periods import BEIJING
    from water.selectors import monitoring_summary
    from water.services import alerts_check_offline

    everyone = Scope(user_id=None, role=Role.ADMIN, everything=True)
    quarter = periods.quarter(2024, 2)
    end = dt.datetime(2025, 1, 1, tzinfo=BEIJING)
    median, worst, s = warm_median(lambda: monitoring_summary(scope=everyone, period=quarter, now=end))
    with CaptureQueriesContext(connection) as ctx:
        monitoring_summary(scope=everyone, period=quarter, now=end)
    print(
        f"monitoring_summary 2024Q2 over {s.meters} meters ({s.expected_reports:,} reports owed): median "
        f"{median * 1000:.0f} ms, max {worst * 1000:.0f} ms (warm, {len(ctx.captured_queries)} queries) — "
        f"arrival {s.arrival_rate:.2%}, completeness {s.completeness:.2%}, timeliness {s.timeliness:.2%}, "
        f"online {s.online}, offline {s.offline}, coverage {s.coverage}"
    )
    year = periods.year(2024)
    median, worst, s = warm_median(lambda: monitoring_summary(scope=everyone, period=year, now=end), runs=4)
    print(
        f"monitoring_summary 2024 (a year, for scale): median {median * 1000:.0f} ms, max {worst * 1000:.0f} ms; "
        f"offline at the end of the data: {s.offline}"
    )

    admin = User.objects.create(username="bench-admin", role=Role.ADMIN)
    _, secret = token_issue(user=admin)
    app = get_wsgi_application()
    query = "start=2024-04-01&end=2024-06-30&page_size=1000"
    median, body = bench_db.warm_get(app, "/api/v1/water/monitoring/", query, secret)
    took = median * 1000
    print(
        f"GET /api/v1/water/monitoring/?start=2024-04-01&end=2024-06-30 ({meters} meters on one page, "
        f"JSON {len(body) // 1024} KiB): median {took:.0f} ms (warm, in-process WSGI)"
    )
    start = time.perf_counter()
    first = alerts_check_offline(now=end)
    elapsed_first = time.perf_counter() - start
    start = time.perf_counter()
    again = alerts_check_offline(now=end)
    elapsed_again = time.perf_counter() - start
    print(
        f"alerts_check_offline over {meters} meters: first run {elapsed_first * 1000:.0f} ms "
        f"({first.raised} raised), again {elapsed_again * 1000:.0f} ms ({again.raised} raised, "
        f"{again.refreshed} unchanged)"
    )


def main() -> None:
    ap = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    ap.add_argument("--meters", type=int, default=500)
    ap.add_argument("--step-minutes", type=int, default=60, choices=[5, 10, 15, 30, 60])
    ap.add_argument("--jobs", type=int, default=2)
    args = ap.parse_args()
    began = time.perf_counter()
    create_database()
    setup_django()
    import water_volumes

    water_volumes.seed(args.meters)  # its seed: 500 intakes, one meter each, through the services
    t = time.perf_counter()
    n = generate(args.step_minutes)
    print(
        f"{n:,} readings generated in PostgreSQL ({args.meters} meters, every {args.step_minutes} min of 2024, "
        f"misses and outages left out) in {time.perf_counter() - t:.0f} s"
    )
    t = time.perf_counter()
    rows = bench_db.rebuild_daily(rebuild_chunk, args.jobs)
    print(f"{rows:,} daily rows built by the service's recompute in {time.perf_counter() - t:.0f} s")
    import psycopg

    with psycopg.connect(f"{PG}/{DB}", autocommit=True) as conn:
        conn.execute("ANALYZE water_dailyvolume")
        conn.execute("ANALYZE water_meter")
    time_queries(args.meters)
    print(f"total {time.perf_counter() - began:.0f} s")


if __name__ == "__main__":
    main()
