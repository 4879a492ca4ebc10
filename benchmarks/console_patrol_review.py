"""Server time of the patrol review pages (issue 15 item 2) with 1,000 flagged patrols, on PostGIS.

    .venv/bin/python benchmarks/console_patrol_review.py [--flagged 1000] [--normal 3000] [--runs 8] [--reuse-db]

1. builds its own PostGIS database (hz_bench_patrol_review, dropped first) and migrates it;
2. loads two districts with four reaches each, a chief per reach, and through the service
   (`patrols.services.patrol_submit`, as the phones post them) `--flagged` flagged patrols (stationary
   and GPS jumps, 100 points each) and `--normal` unflagged ones over 2024, plus one 2,000-point patrol
   with a jump for the review page;
3. ANALYZEs (planner statistics, as autovacuum gives a deployed database);
4. GETs the review queue (first page, a later page, each filter, a sort) and the review page through
   the WSGI application in process (a signed-in reviewer, no server, no network), warm: the median of
   the runs after the first, with the number of SQL queries of the last run and their time (the
   set-up and timing of _console.py).

Target (issue 15): the queue pages and filters in under 300 ms of server time. The machine is shared:
the load average is printed with the figures.
"""

from __future__ import annotations

import argparse
import datetime as dt
import sys
import time
import uuid
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "benchmarks"))

from _console import TARGET_MS, load, over, prepare, sign_in, timed  # noqa: E402 - the console benchmarks' set-up

DB = "hz_bench_patrol_review"
BJ = dt.timezone(dt.timedelta(hours=8))
T0 = dt.datetime(2024, 3, 4, 9, 0, tzinfo=BJ)


def _line(*pts: tuple[float, float]) -> Any:
    from django.contrib.gis.geos import LineString, MultiLineString

    return MultiLineString(LineString(list(pts), srid=4326), srid=4326)


def _box(x0: float, y0: float, x1: float, y1: float) -> Any:
    from django.contrib.gis.geos import MultiPolygon, Polygon

    return MultiPolygon(Polygon(((x0, y0), (x1, y0), (x1, y1), (x0, y1), (x0, y0)), srid=4326), srid=4326)


def _along(reach: Any, start_m: float, length_m: float, n: int) -> list[list[float]]:
    import numpy as np
    import shapely

    from patrols.track import local_reach

    local = local_reach(bytes(reach.geometry.wkb), buffer_m=300)
    line: Any = shapely.get_geometry(local.line, 0)
    xy = shapely.get_coordinates(shapely.line_interpolate_point(line, np.linspace(start_m, start_m + length_m, n)))
    lon, lat = local.unproject(xy[:, 0] + 20.0, xy[:, 1])
    return [[round(a, 8), round(b, 8)] for a, b in zip(lon.tolist(), lat.tolist(), strict=True)]


def _submit(chief: Any, reach: Any, coords: list[list[float]], start: dt.datetime, step_s: float) -> Any:
    from patrols import services

    times = [(start + dt.timedelta(seconds=step_s * i)).isoformat() for i in range(len(coords))]
    patrol, __ = services.patrol_submit(
        actor=chief,
        patrol_id=uuid.uuid4(),
        reach_id=reach.pk,
        started_at=start,
        ended_at=start + dt.timedelta(seconds=step_s * (len(coords) - 1)),
        companions=0,
        mode="foot",
        crs="EPSG:4326",
        track={"type": "LineString", "coordinates": coords},
        times=times,
    )
    return patrol


def build(flagged: int, normal: int) -> None:
    from accounts.choices import Role
    from accounts.models import User
    from places.choices import ChiefLevel
    from places.services import chief_assign, division_upsert, reach_upsert, river_upsert

    a = "bench"
    division_upsert(code="650100", name="乌鲁木齐市", boundary=_box(87.0, 43.0, 88.6, 44.6), actor=a)
    division_upsert(code="650102", name="天山区", boundary=_box(87.8, 43.0, 88.6, 44.6), actor=a)
    division_upsert(code="650103", name="沙依巴克区", boundary=_box(87.0, 43.0, 87.8, 44.6), actor=a)
    reaches, chiefs = [], []
    for d, code in enumerate(("650103", "650102")):
        for k in range(4):
            x0, y0 = 87.1 + 0.8 * d + 0.15 * k, 43.2 + 0.1 * k
            river_upsert(
                code=f"HL-{d}{k}",
                name=f"河流{d}{k}",
                division_code="650100",
                geometry=_line((x0, y0), (x0 + 0.1, y0 + 0.1)),
                actor=a,
            )
            geometry = _line((x0, y0), (x0 + 0.1, y0 + 0.1))
            reach, __ = reach_upsert(
                code=f"HL-{d}{k}-01",
                name=f"河段{d}{k}",
                river_code=f"HL-{d}{k}",
                division_code=code,
                geometry=geometry,
                actor=a,
            )
            chief, __ = User.objects.update_or_create(
                username=f"bench_chief_{d}{k}",
                defaults={"role": Role.CHIEF, "jurisdiction": code, "display_name": f"河长{d}{k}"},
            )
            chief_assign(chief=chief, level=ChiefLevel.VILLAGE, reach=reach, valid_from=dt.date(2024, 1, 1), actor=a)
            reaches.append(reach)
            chiefs.append(chief)
    User.objects.update_or_create(
        username="bench_review_reviewer", defaults={"role": Role.REVIEWER, "jurisdiction": "650100"}
    )
    t = time.perf_counter()
    shapes = {}
    for i, reach in enumerate(reaches):
        shapes[(i, "still")] = _along(reach, 500, 10, 100)
        shapes[(i, "jump")] = _along(reach, 300, 600, 50) + _along(reach, 5000, 600, 50)
        shapes[(i, "walk")] = _along(reach, 300, 2500, 100)
    for n in range(flagged + normal):
        i = n % len(reaches)
        kind = ("still" if n % 3 else "jump") if n < flagged else "walk"
        # One patrol per chief and 8-hour slot: no overlaps; spread over 2024.
        start = T0 + dt.timedelta(hours=8 * (n // len(reaches)))
        _submit(chiefs[i], reaches[i], shapes[(i, kind)], start, 30.0 if kind == "still" else 12.0)
        if n and n % 1000 == 0:
            print(f"  {n} patrols posted ({time.perf_counter() - t:.0f} s)", flush=True)
    big = _along(reaches[0], 300, 3000, 1000) + _along(reaches[0], 8000, 3000, 1000)
    _submit(chiefs[0], reaches[0], big, T0 - dt.timedelta(days=2), 3.0)
    print(
        f"built {flagged} flagged and {normal} unflagged patrols, one of 2,000 points ({time.perf_counter() - t:.0f} s)"
    )


def time_pages(runs: int) -> None:
    from accounts.models import User
    from patrols.models import Patrol

    client = sign_in(User.objects.get(username="bench_review_reviewer"))
    chief = User.objects.get(username="bench_chief_12")
    big = Patrol.objects.filter(points_received=2000).get()
    pending = Patrol.objects.filter(review_status="pending").count()
    print(f"{pending} patrols await review of {Patrol.objects.count()}")
    paths = [
        "/river/review/",
        "/river/review/?page=10",
        "/river/review/?flag=teleport",
        "/river/review/?flag=stationary",
        "/river/review/?division=650102",
        f"/river/review/?chief={chief.pk}",
        "/river/review/?start=2024-03-01&end=2024-03-31",
        "/river/review/?flag=teleport&division=650103&page=2",
        "/river/review/?sort=-distance_m",
        f"/river/review/{big.pk}/",
    ]
    worst = 0.0
    print(f"{'median ms':>9s} {'max ms':>7s} {'sql ms':>6s} {'queries':>7s} {'rows':>5s} {'KiB':>5s}  page")
    for path in paths:
        t = timed(lambda _i, path=path: client.get(path), runs, expect=(200,))
        resp, med = t.response, t.median
        worst = max(worst, med)
        html = resp.content.decode()
        rows = html.count("<tr>") - 1 if "ledger-table" in html else html.count("<tr")
        kib = len(resp.content) / 1024
        figures = f"{med:9.0f} {t.max:7.0f} {t.sql_ms:6.0f} {t.queries:7d} {rows:5d} {kib:5.0f}"
        print(f"{figures}  {path}{over(med)}")
    print(f"slowest median {worst:.0f} ms (target < {TARGET_MS:.0f} ms) — {load()}")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--flagged", type=int, default=1000)
    ap.add_argument("--normal", type=int, default=3000)
    ap.add_argument("--runs", type=int, default=8)
    ap.add_argument("--reuse-db", action="store_true", help="time the pages on the database of an earlier run")
    args = ap.parse_args()
    began = time.perf_counter()
    print(load())
    prepare(DB, reuse=args.reuse_db, build=lambda: build(args.flagged, args.normal))
    time_pages(args.runs)
    print(f"total {time.perf_counter() - began:.0f} s")


if __name__ == "__main__":
    main()
