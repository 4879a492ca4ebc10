"""Plans, red lines and the ledger lock on PostGIS at city scale: the figures the reports read.

    .venv/bin/python benchmarks/water_plans.py [--intakes 500] [--db hz_bench_plan_figures]

What it does (about a minute on the 2-core machine):

1. creates its own database (dropped first), migrates it, seeds `--intakes` intakes with one meter
   each and a year (2024) of daily volume rows per meter (written directly: the ingest has its own
   benchmark), a 2024 plan with 12 monthly lines per intake, and red-line targets;
2. times locking each month January–June (the snapshot of every meter's days), then
   `plan_summary` for the year, a quarter, a half and a 45-day range with partial months,
   `redline_summary` for the year, each warm (best of 5), and prints the query counts;
3. times what a quarterly report reads (the quarter and its 同比 quarter with their years to date, the
   red lines, the volumes by provenance) in one shared read (`shared_month_sums`: each table's year
   of daily rows read once), against the same calls made one by one;
4. times the ingest's lock check (`water.locks.horizon_us`, one query per batch).
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import secrets
import subprocess
import sys
import time
from collections.abc import Callable
from decimal import Decimal
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
PY = str(ROOT / ".venv" / "bin" / "python")
PG = "postgresql://postgres@127.0.0.1:5432"


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--intakes", type=int, default=500)
    ap.add_argument("--db", default="hz_bench_plan_figures")
    args = ap.parse_args()
    began = time.perf_counter()
    os.environ.update(
        DATABASE_URL=f"postgis://postgres@127.0.0.1:5432/{args.db}",
        DJANGO_SETTINGS_MODULE="config.settings.production",
        DJANGO_SECRET_KEY=secrets.token_urlsafe(48),
        CELERY_BROKER_URL="redis://127.0.0.1:6379/14",
        CACHE_URL="redis://127.0.0.1:6379/13",
        DJANGO_DEBUG="0",
        LOG_LEVEL="WARNING",
    )
    import psycopg

    with psycopg.connect(f"{PG}/postgres", autocommit=True) as conn:
        conn.execute(f"DROP DATABASE IF EXISTS {args.db} WITH (FORCE)")
        conn.execute(f"CREATE DATABASE {args.db}")
    with psycopg.connect(f"{PG}/{args.db}", autocommit=True) as conn:
        conn.execute("CREATE EXTENSION IF NOT EXISTS postgis")
    subprocess.run([PY, "manage.py", "migrate", "--noinput", "-v0"], cwd=ROOT, check=True)  # noqa: S603

    import django

    django.setup()
    from django.contrib.gis.geos import MultiPolygon, Point, Polygon
    from django.db import connection, transaction
    from django.test.utils import CaptureQueriesContext

    from accounts.choices import Role
    from accounts.scope import Scope
    from core import periods
    from core.periods import BEIJING
    from places.services import division_upsert
    from water import locks, plan_selectors, plan_services
    from water.models import DailyVolume, Intake, Meter

    everything = Scope(user_id=None, role=Role.ADMIN, everything=True)
    box = MultiPolygon(Polygon.from_bbox((87.4, 43.6, 87.8, 44.0)), srid=4326)
    city, _ = division_upsert(code="650100", name="乌鲁木齐市", boundary=box, actor="bench")
    n = args.intakes
    with transaction.atomic():
        intakes = Intake.objects.bulk_create(
            [
                Intake(
                    code=f"P-{i:04d}",
                    name=f"bench {i}",
                    source_type="river",
                    location=Point(87.6, 43.8, srid=4326),
                    division=city,
                    main_use="industry" if i % 3 == 0 else "agriculture",
                )
                for i in range(n)
            ]
        )
        meters = Meter.objects.bulk_create(
            [
                Meter(serial=f"PM-{i:04d}", intake=intake, installed_at=dt.datetime(2023, 1, 1, tzinfo=BEIJING))
                for i, intake in enumerate(intakes)
            ]
        )
        rows = []
        day = dt.date(2024, 1, 1)
        while day.year == 2024:
            for k, meter in enumerate(meters):
                rows.append(
                    DailyVolume(meter=meter, day=day, measured_m3=Decimal(100 + k % 50), covered_s=86400, n_readings=24)
                )
            day += dt.timedelta(days=1)
        DailyVolume.objects.bulk_create(rows, batch_size=10_000)
        lines = [
            plan_services.AllocationLine(intake, m, Decimal(3000 + (k % 7) * 100))
            for k, intake in enumerate(Intake.objects.select_related("division").order_by("id"))
            for m in range(1, 13)
        ]
        plan_services.plan_create(
            actor="bench", scope=everything, year=2024, division=city, title="bench", allocations=lines
        )
        plan_services.redline_create(
            actor="bench",
            scope=everything,
            year=2024,
            division=city,
            total_use_cap_m3=Decimal(20_000_000),
            gdp_10k_yuan=Decimal(44_000_000),
            gdp_source="bench",
            iva_10k_yuan=Decimal(8_000_000),
            iva_source="bench",
        )
    print(
        f"seeded {n} intakes, {len(rows):,} daily rows, {len(lines):,} plan lines ({time.perf_counter() - began:.0f} s)"
    )

    t = time.perf_counter()
    for m in range(1, 7):
        plan_services.ledger_lock(actor="bench", scope=everything, division=city, month=dt.date(2024, m, 1))
    print(
        f"lock January–June (frozen copies of {n} meters' days): {(time.perf_counter() - t) / 6 * 1000:.0f} ms a month"
    )

    def best(label: str, fn: Callable[[], object]) -> None:
        times = []
        for _ in range(5):
            with CaptureQueriesContext(connection) as ctx:
                t0 = time.perf_counter()
                fn()
                times.append(time.perf_counter() - t0)
        print(f"{label:<56} {min(times) * 1000:8.1f} ms   {len(ctx.captured_queries)} queries")

    today = dt.date(2025, 1, 1)

    def summary_of(period: periods.Period) -> Callable[[], object]:
        return lambda: plan_selectors.plan_summary(scope=everything, period=period, today=today)

    best("plan_summary, year 2024 (half of it locked)", summary_of(periods.year(2024)))
    best("plan_summary, 2024-Q3", summary_of(periods.quarter(2024, 3)))
    best("plan_summary, 2024-H1 (all locked)", summary_of(periods.half_year(2024, 1)))
    rng = periods.date_range(dt.date(2024, 6, 17), dt.date(2024, 7, 31))
    best("plan_summary, 17 June – 31 July (partial months)", summary_of(rng))
    best("redline_summary, 2024", lambda: plan_selectors.redline_summary(scope=everything, year=2024))

    def report_reads() -> None:
        for q in (periods.quarter(2024, 3), periods.quarter(2023, 3)):
            plan_selectors.plan_summary(scope=everything, period=q, today=today)
            plan_selectors.volume_by_provenance(scope=everything, period=q)
        plan_selectors.redline_summary(scope=everything, year=2024)

    def report_reads_shared() -> None:
        with plan_selectors.shared_month_sums():
            report_reads()

    best("a report's reads (Q3 + 同比 + red lines), one by one", report_reads)
    best("the same in one shared read (as the report does)", report_reads_shared)
    best("ingest lock check (horizon_us, once per batch)", locks.horizon_us)
    summary = plan_selectors.plan_summary(scope=everything, period=periods.year(2024), today=today)
    print(
        f"year: use {summary.use_m3:,.0f} m³, plan {summary.plan_m3:,.0f} m³, tier {summary.tier}, "
        f"forecast {summary.forecast_m3:,.0f} m³"
    )
    print(f"total {time.perf_counter() - began:.0f} s — load average {' '.join(f'{x:.2f}' for x in os.getloadavg())}")


if __name__ == "__main__":
    main()
