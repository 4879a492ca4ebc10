"""Quarterly volumes of every intake, read from the daily rows, with 17.5 million readings behind them.

    .venv/bin/python benchmarks/water_volumes.py [--meters 500] [--jobs 2]

1. creates its own database (hz_bench_water_volumes, dropped first) and migrates it;
2. seeds 500 intakes with one meter each (through the services);
3. generates a year (2024, Beijing) of 15-minute readings for every meter straight into PostgreSQL with
   generate_series (35,136 per meter, 17.6 million rows): a steady rate with a daily swing, never
   decreasing;
4. builds the daily rows the way the service does (water.services.daily_volumes_rebuild, the
   recompute path of water.rollups), in `--jobs` processes, and checks them against the register;
5. times, warm, the per-quarter volume of every intake (water.selectors.volume_totals, one grouped
   query over the daily rows, never the raw readings) and the HTTP endpoint that serves it
   (GET /api/v1/water/volumes/?interval=quarter, all 500 intakes on one page).

Target (issue 3): under 0.5 s warm on PostGIS. Runs in about five minutes on the 2-core machine.
"""

from __future__ import annotations

import argparse
import datetime as dt
import statistics
import sys
import time
from decimal import Decimal
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "benchmarks"))

import bench_db  # noqa: E402 - this folder's shared setup, found through the path above
from bench_db import PG  # noqa: E402

DB = "hz_bench_water_volumes"
STEPS = 366 * 96  # 15-minute readings in 2024 (a leap year), 00:15 on 1 January to 24:00 on 31 December
ENV = bench_db.django_env(DB)


# Both read DB and ENV when called: reports_quarterly.py points this module at its own database.
def setup_django() -> None:
    bench_db.setup_django(ENV)


def create_database() -> None:
    bench_db.create_database(DB, ENV)


def seed(meters: int) -> None:
    from django.contrib.gis.geos import MultiPolygon, Point, Polygon

    from core.periods import BEIJING
    from places.services import division_upsert
    from water import services

    box = MultiPolygon(Polygon.from_bbox((87.4, 43.6, 87.8, 44.0)), srid=4326)
    division, _ = division_upsert(code="650100", name="乌鲁木齐市", boundary=box, actor="bench")
    start = dt.datetime(2024, 1, 1, tzinfo=BEIJING)
    for n in range(meters):
        intake = services.intake_create(
            actor="bench",
            code=f"V-{n:04d}",
            name=f"bench {n}",
            source_type="river",
            location=Point(87.6, 43.8, srid=4326),
            division=division,
            main_use="supply",
            capacity_m3s=Decimal(10),
        )
        services.meter_create(actor="bench", intake=intake, serial=f"VM-{n:04d}", installed_at=start)


# Register after k quarter-hours: rate × (k + A(1 − cos 2πk/96)), A = 0.5 × 96 / 2π, so the flow
# swings ±50 % over the day and never runs backwards.
_GENERATE = f"""
INSERT INTO water_reading (meter_id, observed_at, cumulative_m3, source)
SELECT m.id, timestamptz '2024-01-01 00:00:00+08' + k * interval '15 minutes',
       round((r.rate * (k + 7.639437268 * (1 - cos(2 * pi() * k / 96))))::numeric, 3), 'rtu'
FROM water_meter m
CROSS JOIN LATERAL (SELECT 5 + (m.id * 37) %% 45 AS rate) r
CROSS JOIN generate_series(1, {STEPS}) AS k
WHERE m.id BETWEEN %s AND %s
"""  # noqa: S608 - STEPS is a module constant


def generate(meters: int) -> int:
    import psycopg

    with psycopg.connect(f"{PG}/{DB}", autocommit=True) as conn:
        lo, hi = conn.execute("SELECT min(id), max(id) FROM water_meter").fetchone()
        step = 50
        for first in range(lo, hi + 1, step):
            conn.execute(_GENERATE, [first, min(hi, first + step - 1)])
        conn.execute("ANALYZE water_reading")
        return conn.execute("SELECT count(*) FROM water_reading").fetchone()[0]


def rebuild_chunk(ids: list[int]) -> int:
    setup_django()
    from water.services import daily_volumes_rebuild

    return daily_volumes_rebuild(meter_ids=ids)


def check_rows(meters: int) -> None:
    """Each meter: a row for every day its readings touch (the 367th, 1 January 2025, holds only the
    last reading, at midnight), every reading counted once, and volumes summing to the register."""
    import psycopg

    with psycopg.connect(f"{PG}/{DB}") as conn:
        rows = conn.execute(
            "WITH d AS (SELECT meter_id, count(*) AS days, sum(measured_m3 + estimated_m3 + corrected_m3) AS volume, "
            "sum(n_readings) AS reports FROM water_dailyvolume GROUP BY meter_id) "
            "SELECT d.meter_id, d.days, d.volume, d.reports, (SELECT r.cumulative_m3 FROM water_reading r "
            "WHERE r.meter_id = d.meter_id ORDER BY r.observed_at DESC LIMIT 1) FROM d"
        ).fetchall()
    if len(rows) != meters:
        raise SystemExit(f"daily rows for {len(rows)} meters, expected {meters}")
    for mid, days, volume, reports, last in rows:
        if days != 367 or reports != STEPS or abs(volume - last) > Decimal("0.001"):
            raise SystemExit(f"meter {mid}: {days} days, {reports} reports, {volume} m³ vs register {last}")


def time_queries() -> None:
    from django.core.wsgi import get_wsgi_application
    from django.db import connection

    from accounts.choices import Role
    from accounts.models import User
    from accounts.scope import Scope
    from accounts.services import token_issue
    from water.selectors import volume_totals

    everyone = Scope(user_id=None, role=Role.ADMIN, everything=True)
    first, last = dt.date(2024, 1, 1), dt.date(2024, 12, 31)
    samples = []
    for i in range(8):
        start = time.perf_counter()
        figures = volume_totals(scope=everyone, first=first, last=last, interval="quarter")
        elapsed = time.perf_counter() - start
        if i:  # the first run warms the caches
            samples.append(elapsed)
    total = sum(f.volume_m3 for figs in figures.values() for f in figs)
    print(
        f"per-quarter volume of every intake ({len(figures)} intakes × 4 quarters, {total / 10_000:,.0f} 万 m³ "
        f"in all), selector: median {statistics.median(samples) * 1000:.0f} ms, max {max(samples) * 1000:.0f} ms "
        f"(warm, {len(samples)} runs)"
    )
    with connection.cursor() as cursor:
        cursor.execute(
            "EXPLAIN (ANALYZE, BUFFERS) SELECT m.intake_id, date_trunc('quarter', d.day), sum(d.measured_m3) "
            "FROM water_dailyvolume d JOIN water_meter m ON m.id = d.meter_id "
            "WHERE d.day BETWEEN '2024-01-01' AND '2024-12-31' GROUP BY 1, 2"
        )
        plan = [row[0] for row in cursor.fetchall()]
    print("  plan: " + next(line.strip() for line in plan if "Scan" in line))
    admin = User.objects.create(username="bench-admin", role=Role.ADMIN)
    _, secret = token_issue(user=admin)
    app = get_wsgi_application()
    query = "start=2024-01-01&end=2024-12-31&interval=quarter&page_size=1000"
    median, body = bench_db.warm_get(app, "/api/v1/water/volumes/", query, secret)
    print(
        f"GET /api/v1/water/volumes/?interval=quarter (500 intakes on one page, JSON {len(body) // 1024} KiB): "
        f"median {median * 1000:.0f} ms (warm, in-process WSGI)"
    )


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--meters", type=int, default=500)
    ap.add_argument("--jobs", type=int, default=2)
    args = ap.parse_args()
    began = time.perf_counter()
    create_database()
    setup_django()
    seed(args.meters)
    t = time.perf_counter()
    n = generate(args.meters)
    print(
        f"{n:,} readings generated in PostgreSQL ({args.meters} meters × {STEPS:,} quarter-hours of 2024) "
        f"in {time.perf_counter() - t:.0f} s"
    )
    t = time.perf_counter()
    rows = bench_db.rebuild_daily(rebuild_chunk, args.jobs)
    print(
        f"{rows:,} daily rows built by the service's recompute in {time.perf_counter() - t:.0f} s "
        f"({args.jobs} processes)"
    )
    import psycopg

    with psycopg.connect(f"{PG}/{DB}", autocommit=True) as conn:
        conn.execute("ANALYZE water_dailyvolume")  # as autovacuum would after such a load
    check_rows(args.meters)
    print("check: every day of 2024 per meter, every reading counted, daily volumes sum to each register")
    time_queries()
    print(f"total {time.perf_counter() - began:.0f} s")


if __name__ == "__main__":
    main()
