"""The one map's layers (一张图, issue 13 item 3) at the issue's benchmark scale, on PostGIS.

    .venv/bin/python benchmarks/console_map.py [--meters 500] [--patrols 10000] [--cases 1000] [--jobs 2]
                                               [--keep]

1. creates its own database (hz_bench_console_map, dropped first; `--keep` reuses it when loaded),
   migrates it and loads the water benchmark's data with its generator (benchmarks/water_volumes.py):
   500 intakes with one meter each and a year (2024) of 15-minute readings (17.6 million), daily rows
   built by the service, plus a 2024 plan of monthly lines for every intake;
2. adds two districts with boundaries, 40 meandering reaches (a point every ~50 m), chiefs, 10,000
   patrols over 2024 with realistic tracks (an hour's walk along the reach, a fix every 5 s with ±5 m
   of GPS noise: 720 points; the stored preview simplified to 5 m as the patrol service does),
   1,000 cases in every state, 30 quality sections sampled monthly, 5 plants, 10 pump stations and
   10 pipelines;
3. times, warm, in process through the WSGI application with a logged-in session (the city
   administrator: everything in scope), every layer of /map/layers/ for June 2024 as the page asks
   for it: the whole jurisdiction at the zoom of the first view (11), and the visible box at street
   zoom (14); and the page itself; prints the median server time and the body size of each.

Targets (issue 13): every layer under 500 ms; the month's patrol layer under 2 MB.
The machine is shared by several developers: the load average is printed with the figures.
"""

from __future__ import annotations

import argparse
import datetime as dt
import math
import os
import random
import statistics
import sys
import time
import uuid
from decimal import Decimal
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "benchmarks"))

import water_volumes as wv  # noqa: E402 - the water benchmark's generator, pointed at this database

DB = "hz_bench_console_map"
wv.DB = DB
wv.ENV["DATABASE_URL"] = f"postgis://postgres@127.0.0.1:5432/{DB}"
LAYERS = (
    "divisions",
    "rivers",
    "reaches",
    "lakes",
    "intakes",
    "patrols",
    "cases",
    "plants",
    "stations",
    "pipelines",
    "sections",
)
PERIOD = {"start": "2024-06-01", "end": "2024-06-30"}
# What the page asks for: the whole jurisdiction up to zoom 12; from zoom 13 on (map.js BBOX_ZOOM) the
# visible box with a 25 % margin — here a 1366×768 screen at zoom 14 over the busiest reaches.
VIEW_BOX = {14: "87.43,43.625,87.57,43.695"}


def load() -> str:
    return "load average " + " ".join(f"{x:.2f}" for x in os.getloadavg())


def water(meters: int, jobs: int) -> None:
    from concurrent.futures import ProcessPoolExecutor

    t = time.perf_counter()
    wv.create_database()
    wv.setup_django()
    wv.seed(meters)
    n = wv.generate(meters)
    from django.db import connections

    from water.models import Meter

    ids = list(Meter.objects.order_by("id").values_list("id", flat=True))
    connections.close_all()
    with ProcessPoolExecutor(jobs) as pool:
        rows = sum(pool.map(wv.rebuild_chunk, [ids[i::jobs] for i in range(jobs)]))
    print(f"water: {n:,} readings, {rows:,} daily rows ({meters} meters × 2024) in {time.perf_counter() - t:.0f} s")


def _meander(x0: float, y0: float, length_deg: float, rnd: random.Random) -> list[tuple[float, float]]:
    """A river line heading north-east with meanders, a vertex every ~50 m."""
    n = int(length_deg / 0.0005)
    phase = rnd.uniform(0, 6.28)
    return [
        (x0 + 0.3 * length_deg * i / n + 0.004 * math.sin(phase + i / 15), y0 + length_deg * i / n) for i in range(n)
    ]


def _walk(line: list[tuple[float, float]], rnd: random.Random, points: int) -> list[tuple[float, float]]:
    """An hour's walk along `line` (about 1.2 m/s), a fix every 5 s with ±5 m of noise."""
    start = rnd.randrange(0, max(1, len(line) - 90))
    out = []
    for k in range(points):
        pos = start + k * 0.12  # 6 m per fix, vertices ~50 m apart
        i = min(int(pos), len(line) - 2)
        f = pos - i
        x = line[i][0] + f * (line[i + 1][0] - line[i][0])
        y = line[i][1] + f * (line[i + 1][1] - line[i][1])
        out.append((x + rnd.gauss(0, 0.00004), y + rnd.gauss(0, 0.00003)))
    return out


def domain_data(n_patrols: int, n_cases: int) -> None:
    from django.contrib.gis.geos import LineString, MultiLineString, MultiPolygon, Point, Polygon

    from accounts.choices import Role
    from accounts.models import User
    from accounts.scope import Scope
    from core.periods import BEIJING
    from patrols.choices import CaseCategory, CaseClosure, CaseSource, CaseStatus, ReviewStatus
    from patrols.models import Case, Patrol
    from places.choices import ChiefLevel
    from places.models import Division
    from places.services import chief_assign, division_upsert, lake_upsert, reach_upsert, river_upsert
    from quality import gb3838
    from quality.services import SampleInput, samples_record, section_create
    from reuse import services as reuse
    from water.models import Intake
    from water.plan_services import AllocationLine, plan_create

    t = time.perf_counter()
    rnd = random.Random(2024)
    everyone = Scope(user_id=None, role=Role.ADMIN, everything=True)
    city = Division.objects.get(code="650100")
    districts = []
    for code, name, x in (("650102", "天山区", 87.6), ("650103", "沙依巴克区", 87.4)):
        # A 400-vertex wavy outline, so the boundary has something to simplify.
        ring = [
            (
                x + 0.1 + 0.1 * math.cos(a * math.tau / 400) + 0.003 * math.sin(a),
                43.8 + 0.2 * math.sin(a * math.tau / 400),
            )
            for a in range(400)
        ]
        ring.append(ring[0])
        d, _ = division_upsert(code=code, name=name, boundary=MultiPolygon(Polygon(ring), srid=4326), actor="bench")
        districts.append(d)
    river_upsert(
        code="HL-B",
        name="bench river",
        division_code="650100",
        geometry=LineString(_meander(87.41, 43.61, 0.38, rnd), srid=4326),
        actor="bench",
    )
    lake_upsert(
        code="HK-B",
        name="bench lake",
        kind="reservoir",
        division_code="650102",
        geometry=MultiPolygon(Polygon.from_bbox((87.62, 43.70, 87.64, 43.72)), srid=4326),
        actor="bench",
    )
    reaches, lines = [], []
    for i in range(40):
        d = districts[i % 2]
        line = _meander(87.41 + 0.2 * (i % 2) + 0.004 * (i // 2), 43.62, 0.07, rnd)
        r, _ = reach_upsert(
            code=f"HL-B-{i:02d}",
            name=f"reach {i}",
            river_code="HL-B",
            division_code=d.code,
            geometry=LineString(line, srid=4326),
            actor="bench",
        )
        reaches.append(r)
        lines.append(line)
    levels = [ChiefLevel.DISTRICT, ChiefLevel.TOWNSHIP, ChiefLevel.VILLAGE]
    chiefs = []
    for i in range(120):
        code = reaches[i % 40].division.code
        u = User.objects.create(
            username=f"bench-chief-{i}", role=Role.CHIEF, jurisdiction=code, display_name=f"河长{i}"
        )
        chief_assign(
            chief=u, level=levels[i // 40], reach=reaches[i % 40], valid_from=dt.date(2024, 1, 1), actor="bench"
        )
        chiefs.append((u, i % 40, levels[i // 40]))
    year_s = 366 * 86400
    start = dt.datetime(2024, 1, 1, tzinfo=BEIJING)
    batch: list[Patrol] = []
    points_total = preview_total = 0
    for _ in range(n_patrols):
        u, ri, level = rnd.choice(chiefs)
        at = start + dt.timedelta(seconds=rnd.randrange(year_s - 7200))
        flagged = rnd.random() < 0.05
        companions = rnd.randrange(4)
        raw = LineString(_walk(lines[ri], rnd, 720), srid=4326)
        preview = raw.simplify(0.00005)  # about 5 m, as the patrol service's preview
        points_total += 720
        preview_total += preview.num_points
        batch.append(
            Patrol(
                id=uuid.uuid4(),
                chief=u,
                reach=reaches[ri],
                level=level,
                status="completed",
                mode="foot",
                companions=companions,
                person_times=companions + 1,
                started_at=at,
                ended_at=at + dt.timedelta(hours=1),
                raw_track=raw,
                track_preview=MultiLineString(preview, srid=4326),
                part_starts=[0],
                points_received=720,
                points_kept=720,
                distance_m=rnd.uniform(3000, 5000),
                track_duration_s=3600,
                valid=rnd.random() < 0.9,
                review_status=ReviewStatus.PENDING if flagged else ReviewStatus.NOT_REQUIRED,
                flags=["stationary"] if flagged else [],
            )
        )
        if len(batch) == 500:
            Patrol.objects.bulk_create(batch)
            batch = []
    Patrol.objects.bulk_create(batch)
    cases = []
    for _ in range(n_cases):
        u, ri, _level = rnd.choice(chiefs)
        found = start + dt.timedelta(seconds=rnd.randrange(year_s - 86400 * 40))
        status = rnd.choice(list(CaseStatus))
        kw: dict[str, Any] = {}
        if status == CaseStatus.CLOSED and rnd.random() < 0.4:
            kw = {"closed_via": CaseClosure.ON_SPOT, "closed_at": found + dt.timedelta(hours=1)}
        elif status != CaseStatus.REPORTED:
            kw = {"responsible_unit": "bench", "deadline": (found + dt.timedelta(days=30)).date()}
            if status == CaseStatus.CLOSED:
                kw.update(closed_via=CaseClosure.VERIFIED, closed_at=found + dt.timedelta(days=rnd.randrange(5, 40)))
            elif rnd.random() < 0.3:
                kw["overdue_at"] = found + dt.timedelta(days=31)
        x, y = rnd.choice(lines[ri])
        cases.append(
            Case(
                id=uuid.uuid4(),
                category=rnd.choice(list(CaseCategory)),
                status=status,
                source=CaseSource.COMPLAINT,
                reach=reaches[ri],
                location=Point(x, y, srid=4326),
                description="bench",
                reporter=u,
                found_at=found,
                **kw,
            )
        )
    Case.objects.bulk_create(cases, batch_size=1000)
    admin = User.objects.create(username="bench-admin", role=Role.ADMIN, is_superuser=True)
    lines_plan = [
        AllocationLine(intake=i, month=m, volume_m3=Decimal(150_000))
        for i in Intake.objects.all()
        for m in range(1, 13)
    ]
    plan_create(actor=admin, scope=everyone, year=2024, division=city, title="bench plan", allocations=lines_plan)
    values = [{"NH3-N": 0.8, "COD": 18, "TP": 0.15, "DO": 6.5}, {"NH3-N": 1.3, "COD": 18, "TP": 0.15, "DO": 6.5}]
    inputs = []
    for i in range(30):
        x, y = lines[i][0]
        s = section_create(
            code=f"QS-B-{i:02d}",
            name=f"section {i}",
            category="river",
            reach=reaches[i],
            location=Point(x, y, srid=4326),
            target_class=3,
            actor="bench",
        )
        for m in range(1, 13):
            measurements, _ = gb3838.parse_values(values[(i + m) % 7 == 0])
            inputs.append(
                SampleInput(s, dt.datetime(2024, m, 10, 10, tzinfo=BEIJING), "manual", tuple(measurements.values()))
            )
    samples_record(samples=inputs, actor="bench")
    for p in range(5):
        reuse.plant_create(
            scope=everyone,
            actor="bench",
            code=f"P-{p}",
            name=f"plant {p}",
            division_code=districts[p % 2].code,
            location=Point(87.5 + 0.02 * p, 43.8, srid=4326),
            design_capacity_m3d=Decimal(100_000),
        )
    for p in range(10):
        code = districts[p % 2].code
        reuse.project_create(
            scope=everyone,
            actor="bench",
            code=f"PS-{p}",
            name=f"station {p}",
            kind="pump_station",
            division_code=code,
            location=Point(87.5 + 0.01 * p, 43.75, srid=4326),
            capacity_m3d=Decimal(5_000),
        )
        route = LineString(_meander(87.45 + 0.02 * p, 43.7, 0.05, rnd), srid=4326)
        reuse.project_create(
            scope=everyone,
            actor="bench",
            code=f"PL-{p}",
            name=f"pipeline {p}",
            kind="pipeline",
            division_code=code,
            route=MultiLineString(route, srid=4326),
        )
    print(
        f"domain data: {n_patrols:,} patrols ({points_total:,} track points, previews of {preview_total:,}), "
        f"{n_cases:,} cases, 40 reaches, a plan of {len(lines_plan):,} lines, 30 sections × 12 months, "
        f"5 plants, 10 stations, 10 pipelines in {time.perf_counter() - t:.0f} s"
    )


def loaded() -> bool:
    wv.setup_django()
    from django.db import connections

    from patrols.models import Patrol

    try:
        return Patrol.objects.exists()
    except Exception:  # no database yet: load it
        return False
    finally:
        connections.close_all()  # create_database drops the database with FORCE


def time_layers(runs: int) -> None:
    import orjson
    from django.db import connection
    from django.test import Client
    from django.test.utils import CaptureQueriesContext

    from accounts.models import User

    client = Client()
    client.force_login(User.objects.get(username="bench-admin"))
    print(f"\nJune 2024, city administrator (everything in scope); median of {runs - 1} warm runs; {load()}")
    print(f"{'layer':<10} {'zoom':>4} {'features':>8} {'bytes':>11} {'queries':>7} {'ms':>8}")
    worst = 0.0
    patrol_bytes: dict[int, int] = {}
    for zoom in (11, 14):
        for name in LAYERS:
            samples, body, queries = [], b"", 0
            for i in range(runs):
                with CaptureQueriesContext(connection) as ctx:
                    t = time.perf_counter()
                    box = {"bbox": VIEW_BOX[zoom]} if zoom in VIEW_BOX else {}
                    response = client.get(f"/map/layers/{name}/", {**PERIOD, "zoom": str(zoom), **box})
                    elapsed = time.perf_counter() - t
                if response.status_code != 200:
                    raise SystemExit(f"{name}: HTTP {response.status_code} {response.content[:200]!r}")
                if i:
                    samples.append(elapsed)
                body, queries = response.content, len(ctx.captured_queries)
            n = len(orjson.loads(body)["features"])
            ms = statistics.median(samples) * 1000
            worst = max(worst, ms)
            if name == "patrols":
                patrol_bytes[zoom] = len(body)
            print(f"{name:<10} {zoom:>4} {n:>8,} {len(body):>11,} {queries:>7} {ms:>8.1f}")
    samples = []
    for i in range(runs):
        t = time.perf_counter()
        response = client.get("/map/")
        if i:
            samples.append(time.perf_counter() - t)
    print(f"{'page /map/':<24} {len(response.content):>11,} {'':>7} {statistics.median(samples) * 1000:>8.1f}")
    print(
        f"\nslowest layer {worst:.0f} ms (target < 500 ms); the month's patrol layer "
        f"{patrol_bytes[11] / 1e6:.2f} MB at zoom 11, {patrol_bytes[14] / 1e6:.2f} MB at zoom 14 (target < 2 MB); "
        f"{load()}"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--meters", type=int, default=500)
    parser.add_argument("--patrols", type=int, default=10_000)
    parser.add_argument("--cases", type=int, default=1_000)
    parser.add_argument("--jobs", type=int, default=2)
    parser.add_argument("--runs", type=int, default=6)
    parser.add_argument("--keep", action="store_true", help="reuse hz_bench_console_map when it is loaded")
    args = parser.parse_args()
    if not (args.keep and loaded()):
        wv.setup_django()
        water(args.meters, args.jobs)
        domain_data(args.patrols, args.cases)
    time_layers(args.runs)


if __name__ == "__main__":
    main()
