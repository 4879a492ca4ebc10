"""How fast a monthly delivery CSV is imported through the API, and how long a year's reuse rate takes.

    DJANGO_SETTINGS_MODULE=config.settings.test DATABASE_URL=postgis://postgres@127.0.0.1:5432/hz_bench_reuse \
        .venv/bin/python benchmarks/reuse_import.py

Creates a throwaway test database, a plant and N_USERS metered users, then POSTs one CSV of
N_USERS × 12 monthly deliveries (one audit row each) to /api/v1/reuse/deliveries/ and times it; then
times GET /api/v1/reuse/rate/ for the year with a monthly series. Prints rows/s and milliseconds.
"""

from __future__ import annotations

import os
import statistics
import sys
import time
from pathlib import Path

from accounts.scope import SYSTEM_SCOPE

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.test")

import django

django.setup()

from django.test.utils import get_runner  # noqa: E402

N_USERS = 500
RATE_RUNS = 20


def main() -> None:
    from django.conf import settings

    runner = get_runner(settings)(verbosity=0)
    old = runner.setup_databases()
    try:
        import datetime as dt
        from decimal import Decimal

        from django.contrib.gis.geos import MultiPolygon, Point, Polygon
        from rest_framework.test import APIClient

        from accounts.choices import Role
        from accounts.models import User
        from accounts.services import token_issue
        from places.services import division_upsert
        from reuse import services

        box = MultiPolygon(Polygon.from_bbox((87.4, 43.6, 87.8, 44.0)), srid=4326)
        division_upsert(code="650100", name="乌鲁木齐市", boundary=box, actor="bench")
        services.plant_create(
            scope=SYSTEM_SCOPE,
            actor="bench",
            code="P-B",
            name="bench",
            division_code="650100",
            location=Point(87.6, 43.8, srid=4326),
            design_capacity_m3d=Decimal(1_000_000),
        )
        for i in range(N_USERS):
            services.water_user_create(
                scope=SYSTEM_SCOPE,
                actor="bench",
                code=f"U-{i:04d}",
                name=f"user {i}",
                division_code="650100",
                sub_use="greening",
                plant_code="P-B",
            )
        services.plant_volumes_record(
            scope=SYSTEM_SCOPE,
            actor="bench",
            rows=[
                {
                    "plant": "P-B",
                    "month": dt.date(2024, m, 1),
                    "treated_m3": Decimal(20_000_000),
                    "produced_m3": Decimal(10_000_000),
                }
                for m in range(1, 13)
            ],
        )
        admin = User.objects.create(username="bench-admin", role=Role.ADMIN)
        _, secret = token_issue(user=admin)
        client = APIClient()
        client.credentials(HTTP_AUTHORIZATION=f"Token {secret}")

        lines = ["plant,month,user,use_class,sub_use,volume_m3"]
        lines += [f"P-B,2024-{m:02d},U-{i:04d},,,{1000 + i}.5" for i in range(N_USERS) for m in range(1, 13)]
        body = ("\n".join(lines) + "\n").encode()
        t0 = time.perf_counter()
        resp = client.post("/api/v1/reuse/deliveries/", body, content_type="text/csv")
        elapsed = time.perf_counter() - t0
        if resp.status_code != 201:
            raise SystemExit(f"import failed: {resp.status_code} {resp.content[:500]!r}")
        rows = N_USERS * 12
        print(f"backend: {settings.DATABASES['default']['ENGINE'].rsplit('.', 1)[-1]}")
        print(f"CSV import of {rows} deliveries: {elapsed:.2f} s ({rows / elapsed:,.0f} rows/s, audited row by row)")

        samples = []
        for _ in range(RATE_RUNS):
            t0 = time.perf_counter()
            resp = client.get("/api/v1/reuse/rate/?start=2024-01-01&end=2024-12-31&interval=month")
            samples.append((time.perf_counter() - t0) * 1000)
            if resp.status_code != 200:
                raise SystemExit(f"rate failed: {resp.status_code}")
        print(f"rate for 2024 with a monthly series over {rows} rows: median {statistics.median(samples):.1f} ms")
    finally:
        runner.teardown_databases(old)


if __name__ == "__main__":
    main()
