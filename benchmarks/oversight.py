"""Oversight speed: a 10,000-row hand-over batch imported through the API (CSV, with its audit rows),
and the oversight section of a city-wide yearly report over 100,000 petitions and 1,000 tasks.

    DJANGO_SETTINGS_MODULE=config.settings.test DATABASE_URL=postgis://postgres@127.0.0.1:5432/hz_oversight \
        .venv/bin/python benchmarks/oversight.py

Creates a throwaway test database (test_<name>), two districts and two member units; POSTs one CSV of
IMPORT_ROWS petitions to /api/v1/oversight/petitions/import/ (timed end to end: parse, check every row,
insert, one audit row per petition); then bulk-loads SECTION_PETITIONS petitions and SECTION_TASKS tasks
(set-up, not timed) and times `reports.builders.oversight.build` for the city and the year (median of
SECTION_RUNS warm runs, current year and last year's comparison both computed). Prints the figures.
"""

from __future__ import annotations

import os
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.test")

import django

django.setup()

from django.test.utils import get_runner  # noqa: E402

IMPORT_ROWS = 10_000
SECTION_PETITIONS = 100_000
SECTION_TASKS = 1_000
SECTION_RUNS = 15


def backend_cpu() -> float | None:
    """CPU seconds (user + system) the PostgreSQL backend of this connection has used so far, read from
    /proc when the server runs on this machine (else None): the database's share of a figure, which the
    wall time of a loaded machine hides."""
    from django.db import connection

    with connection.cursor() as cur:
        cur.execute("SELECT pg_backend_pid()")
        pid = cur.fetchone()[0]
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return None
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def _cpu(before: float | None, after: float | None, runs: int = 1) -> str:
    return "n/a" if before is None or after is None else f"{(after - before) / runs * 1000:.0f} ms"


def main() -> None:
    from django.conf import settings

    runner = get_runner(settings)(verbosity=0)
    old = runner.setup_databases()
    try:
        import datetime as dt
        import random

        from django.contrib.gis.geos import MultiPolygon, Polygon
        from django.db import connection
        from rest_framework.test import APIClient

        from accounts.choices import Role
        from accounts.models import User
        from accounts.services import token_issue
        from core.models import AuditLog
        from core.periods import BEIJING, same_period_last_year, year
        from oversight import services
        from oversight.models import Finding, HandoverBatch, Petition, Task
        from oversight.services.common import SYSTEM
        from places.models import Division
        from places.services import division_upsert
        from reports.builders import oversight as section

        def box(x1: float, x2: float) -> MultiPolygon:
            return MultiPolygon(Polygon.from_bbox((x1, 43.6, x2, 44.0)), srid=4326)

        division_upsert(code="650100", name="乌鲁木齐市", boundary=box(87.4, 87.8), actor="bench")
        division_upsert(code="650102", name="天山区", boundary=box(87.6, 87.8), actor="bench")
        division_upsert(code="650103", name="沙依巴克区", boundary=box(87.4, 87.6), actor="bench")
        units = [
            User.objects.create(username=f"unit_{c}", role=Role.UNIT, display_name=f"{c}区人民政府")
            for c in ("650102", "650103")
        ]
        admin = User.objects.create(username="bench_admin", role=Role.ADMIN, jurisdiction="650100")
        _, secret = token_issue(user=admin)
        client = APIClient()
        client.credentials(HTTP_AUTHORIZATION=f"Token {secret}")
        rnd = services.round_create(
            actor="bench",
            code="R-B",
            name="bench round",
            kind="central",
            started_on=dt.date(2022, 3, 25),
            ended_on=dt.date(2022, 4, 25),
            feedback_on=dt.date(2022, 6, 1),
        )

        lines = ["受理编号,来源渠道,反映问题,行政区划代码,污染类型,责任单位,办理时限,经度,纬度,是否公开"]
        for i in range(IMPORT_ROWS):
            div = "650102" if i % 2 else "650103"
            lines.append(
                f"B{i:07d},hotline,反映某处河道倾倒垃圾 {i},{div},water,unit_{div},2022-05-31,"
                f"{87.5 + (i % 100) / 1000:.4f},43.8,是"
            )
        body = ("\n".join(lines) + "\n").encode("utf-8")
        audit_before = AuditLog.objects.count()
        b0 = backend_cpu()
        t0, c0 = time.perf_counter(), time.process_time()
        r = client.generic(
            "POST",
            "/api/v1/oversight/petitions/import/?round=R-B&batch=1&received_on=2022-03-30",
            body,
            content_type="text/csv",
        )
        import_s, import_cpu = time.perf_counter() - t0, time.process_time() - c0
        import_db = _cpu(b0, backend_cpu())
        assert r.status_code == 201, r.content[:500]  # noqa: S101 - a benchmark that measured a failure is no figure
        audits = AuditLog.objects.count() - audit_before
        print(
            f"import: {IMPORT_ROWS} petitions (CSV through the API, {audits} audit rows) in {import_s:.2f} s "
            f"= {IMPORT_ROWS / import_s:,.0f} rows/s (target < 5 s); Python CPU {import_cpu:.2f} s, "
            f"PostgreSQL backend CPU {import_db}; "
            f"load average {os.getloadavg()[0]:.1f}"
        )

        # Set-up for the section: bulk rows with a realistic spread of states (not timed).
        rng = random.Random(7)
        batch = HandoverBatch.objects.create(round=rnd, number=2, received_on=dt.date(2022, 4, 1))
        divisions = {d.code: d for d in Division.objects.filter(code__in=["650102", "650103"])}
        rows = []
        for i in range(SECTION_PETITIONS - IMPORT_ROWS):
            code = rng.choice(["650102", "650103"])
            received = dt.date(2022, 3, 26) + dt.timedelta(days=rng.randrange(0, 1000))
            closed = rng.random() < 0.97
            rows.append(
                Petition(
                    number=f"S{i:07d}",
                    batch=batch,
                    received_on=received,
                    channel="hotline",
                    complaint="x",
                    division=divisions[code],
                    category=rng.choice(["water", "air", "noise"]),
                    unit=units[code == "650103"],
                    deadline=received + dt.timedelta(days=30),
                    status="closed" if closed else "open",
                    closed_on=received + dt.timedelta(days=rng.randrange(1, 90)) if closed else None,
                    substantiated=rng.choice(["yes", "partly", "no"]),
                    content_sha256="-",
                )
            )
        Petition.objects.bulk_create(rows, batch_size=5000)
        findings = [
            Finding.objects.create(round=rnd, code=f"F{c}", text="x", category="river_lake", division=divisions[c])
            for c in divisions
        ]
        tasks = []
        for i in range(SECTION_TASKS):
            start = dt.date(2022, 6, 1) + dt.timedelta(days=rng.randrange(0, 700))
            deadline = start + dt.timedelta(days=rng.randrange(30, 400))
            done = rng.random() < 0.7
            completed = start + dt.timedelta(days=rng.randrange(10, 450)) if done else None
            tasks.append(
                Task(
                    finding=findings[i % 2],
                    code=f"T{i:05d}",
                    title="x",
                    lead_unit=units[i % 2],
                    starts_on=start,
                    deadline=deadline,
                    status="signed_off" if done else "in_progress",
                    completed_on=completed,
                    signed_off_at=dt.datetime.combine(completed, dt.time(12), tzinfo=BEIJING) if completed else None,
                )
            )
        Task.objects.bulk_create(tasks, batch_size=1000)
        with connection.cursor() as cur:
            if connection.vendor == "postgresql":
                cur.execute("ANALYZE oversight_petition; ANALYZE oversight_task;")
        period = year(2024)
        times, cpu = [], []
        out = None
        b0 = backend_cpu()
        for _ in range(SECTION_RUNS):
            t0, c0 = time.perf_counter(), time.process_time()
            out, _links = section.build(
                scope=SYSTEM, period=period, previous=same_period_last_year(period), division_code="650100"
            )
            times.append(time.perf_counter() - t0)
            cpu.append(time.process_time() - c0)
        assert out is not None  # noqa: S101 - the loop ran
        section_db = _cpu(b0, backend_cpu(), SECTION_RUNS)
        print(
            f"section: city year 2024 over {Petition.objects.count():,} petitions and {Task.objects.count():,} "
            f"tasks: median {statistics.median(times) * 1000:.0f} ms, min {min(times) * 1000:.0f} ms, "
            f"max {max(times) * 1000:.0f} ms over {SECTION_RUNS} runs (target < 300 ms); Python CPU median "
            f"{statistics.median(cpu) * 1000:.0f} ms, PostgreSQL backend CPU {section_db} a run (mean); "
            f"load average {os.getloadavg()[0]:.1f}"
        )
        print(f"  figures: tasks {out['tasks']}; petitions {out['petitions']}")
        print(f"  backend: {connection.vendor}; load average {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores")
    finally:
        runner.teardown_databases(old)


if __name__ == "__main__":
    main()
