"""Server time of the case board and the case steps (issue 15: under 300 ms each), on PostGIS.

    .venv/bin/python benchmarks/console_cases.py [--open 1000] [--closed 2000] [--runs 7] [--reuse-db]

1. builds its own PostGIS database (hz_bench_cases, dropped first, migrated): two districts, 40 reaches,
   120 chiefs, `--open` open cases spread over the states before closed (a quarter of the assigned and
   rectifying ones past their deadline and flagged) and `--closed` closed ones, each with its first step;
2. ANALYZEs it (planner statistics, as autovacuum gives a deployed database), and signs in (a session,
   as the browser) a city reviewer and the chief with the most cases (the set-up of _console.py);
4. GETs the board's pages, tabs and filters and the case page through the WSGI application in process
   (no server, no network), warm: the median of the runs after the first, and the SQL queries of the last;
5. POSTs steps through the page (assign, start rectification, a stale form, a bulk assign of 20), each
   on a case of its own, and prints the median.
"""

from __future__ import annotations

import argparse
import datetime as dt
import random
import statistics
import sys
import time
import uuid
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "benchmarks"))

from _console import TARGET_MS, load, over, prepare, sign_in, timed  # noqa: E402 - the console benchmarks' set-up

DB = "hz_bench_cases"


def build(n_open: int, n_closed: int) -> None:
    from django.contrib.gis.geos import LineString, MultiPolygon, Point, Polygon

    from accounts.choices import Role
    from accounts.models import User
    from core.periods import BEIJING
    from patrols.choices import CaseCategory, CaseClosure, CaseSource, CaseStatus
    from patrols.models import Case, CaseEvent
    from places.choices import ChiefLevel
    from places.services import chief_assign, division_upsert, reach_upsert, river_upsert

    t = time.perf_counter()
    rnd = random.Random(15)
    division_upsert(
        code="650100",
        name="乌鲁木齐市",
        boundary=MultiPolygon(Polygon.from_bbox((87.4, 43.6, 87.8, 44.0)), srid=4326),
        actor="bench",
    )
    districts = []
    for code, name, x in (("650102", "天山区", 87.6), ("650103", "沙依巴克区", 87.4)):
        d, _ = division_upsert(
            code=code,
            name=name,
            actor="bench",
            boundary=MultiPolygon(Polygon.from_bbox((x, 43.6, x + 0.2, 44.0)), srid=4326),
        )
        districts.append(d)
    river_upsert(
        code="HL-B",
        name="乌鲁木齐河",
        division_code="650100",
        actor="bench",
        geometry=LineString((87.41, 43.61), (87.79, 43.99), srid=4326),
    )
    reaches = []
    for i in range(40):
        d = districts[i % 2]
        x = 87.41 + 0.2 * (i % 2) + 0.004 * (i // 2)
        r, _ = reach_upsert(
            code=f"HL-B-{i:02d}",
            name=f"乌鲁木齐河第{i + 1}段",
            river_code="HL-B",
            division_code=d.code,
            geometry=LineString((x, 43.62), (x + 0.003, 43.7), srid=4326),
            actor="bench",
        )
        reaches.append(r)
    levels = [ChiefLevel.DISTRICT, ChiefLevel.TOWNSHIP, ChiefLevel.VILLAGE]
    chiefs = []
    for i in range(120):
        reach = reaches[i % 40]
        u = User.objects.create(username=f"bench-chief-{i}", role=Role.CHIEF, jurisdiction=reach.division.code)
        chief_assign(chief=u, level=levels[i // 40], reach=reach, valid_from=dt.date(2024, 1, 1), actor="bench")
        chiefs.append((u, reach))
    User.objects.create(username="bench-reviewer", role=Role.REVIEWER, jurisdiction="650100")
    start = dt.datetime(2024, 1, 1, tzinfo=BEIJING)
    now = dt.datetime.now(tz=dt.UTC)
    open_states = [s for s in CaseStatus if s != CaseStatus.CLOSED]
    cases, events = [], []
    for k in range(n_open + n_closed):
        u, reach = rnd.choice(chiefs)
        found = start + dt.timedelta(seconds=rnd.randrange(300 * 86400))
        status = rnd.choice(open_states) if k < n_open else CaseStatus.CLOSED
        kw: dict[str, Any] = {}
        if status != CaseStatus.REPORTED:
            kw.update(
                responsible_unit=f"{reach.division.name}水务局",
                deadline=found.date() + dt.timedelta(days=30),
                assigned_at=found + dt.timedelta(days=1),
            )
        if status in (CaseStatus.ASSIGNED, CaseStatus.RECTIFYING) and rnd.random() < 0.25:
            kw["overdue_at"] = now
        elif status in (CaseStatus.ASSIGNED, CaseStatus.RECTIFYING):
            kw["deadline"] = now.date() + dt.timedelta(days=rnd.randrange(1, 60))
        if status == CaseStatus.CLOSED:
            kw.update(closed_at=found + dt.timedelta(days=20), closed_via=CaseClosure.VERIFIED)
        c = Case(
            id=uuid.uuid4(),
            category=rnd.choice(list(CaseCategory)),
            status=status,
            source=CaseSource.COMPLAINT,
            reach=reach,
            location=Point(reach.geometry.coords[0][0], 43.65, srid=4326),
            reporter=u,
            description="河岸堆放建筑垃圾，约 20 立方米",
            found_at=found,
            **kw,
        )
        cases.append(c)
        events.append(
            CaseEvent(case=c, from_status="", to_status=CaseStatus.REPORTED, actor=u, actor_label=u.username, at=found)
        )
    Case.objects.bulk_create(cases, batch_size=1000)
    CaseEvent.objects.bulk_create(events, batch_size=1000)
    print(f"built {n_open} open and {n_closed} closed cases in {time.perf_counter() - t:.1f} s")


def _clients() -> dict[str, Any]:
    from django.db.models import Count

    from accounts.models import User
    from patrols.models import Case

    reviewer = User.objects.get(username="bench-reviewer")
    top = Case.objects.values("reporter_id").annotate(n=Count("pk")).order_by("-n").first()
    chief = User.objects.get(pk=top["reporter_id"])  # type: ignore[index]
    return {"reviewer": sign_in(reviewer), "chief": sign_in(chief)}


def time_pages(clients: dict[str, Any], runs: int) -> float:

    from patrols.models import Case
    from places.models import Reach

    reach = Reach.objects.order_by("code").first()
    case = Case.objects.filter(status="submitted").order_by("-found_at").first()
    if reach is None or case is None:
        raise SystemExit("the benchmark database lacks reaches or submitted cases")
    open_q = "&".join(f"status={s}" for s in ("reported", "assigned", "rectifying", "submitted", "verified"))
    paths = [
        ("reviewer", "/river/cases/"),
        ("reviewer", f"/river/cases/?{open_q}"),
        ("reviewer", "/river/cases/?status=reported"),
        ("reviewer", "/river/cases/?status=rectifying&sort=deadline"),
        ("reviewer", "/river/cases/?page=20"),
        ("reviewer", "/river/cases/?division=650102&category=dumping"),
        ("reviewer", f"/river/cases/?reach={reach.pk}&start=2024-03-01&end=2024-09-30"),
        ("reviewer", "/river/cases/?deadline_from=2024-03-01&deadline_to=2024-12-31"),
        ("reviewer", f"/river/cases/?overdue=true&{open_q}"),
        ("reviewer", "/river/cases/?status=assigned&page=2"),
        ("chief", "/river/cases/"),
        ("chief", "/river/cases/?status=rectifying"),
        ("reviewer", f"/river/cases/{case.pk}/"),
    ]
    worst = 0.0
    print(f"{'who':9s} {'first ms':>8s} {'median ms':>9s} {'max ms':>7s} {'queries':>7s} {'KiB':>6s}  page")
    for who, path in paths:
        headers = {"HTTP_HX_REQUEST": "true"} if "page=2" in path else {}
        t = timed(
            lambda _i, who=who, path=path, headers=headers: clients[who].get(path, **headers), runs, expect=(200,)
        )
        worst = max(worst, t.median)
        kib = len(t.response.content) / 1024
        print(
            f"{who:9s} {t.first:8.0f} {t.median:9.0f} {t.max:7.0f} {t.queries:7d} {kib:6.0f}  "
            f"{path}{' (htmx)' if headers else ''}{over(t.median)}"
        )
    return worst


def time_actions(clients: dict[str, Any], runs: int) -> float:
    from patrols.models import Case

    client = clients["reviewer"]
    reported = list(Case.objects.filter(status="reported").order_by("found_at")[: runs * 3 + 20])
    assigned = list(Case.objects.filter(status="assigned").order_by("found_at")[:runs])
    figures: dict[str, list[float]] = {"assign": [], "rectify": [], "stale form (409)": [], "bulk assign of 20": []}

    def post(path: str, data: dict[str, Any], expect: int) -> float:
        return timed(lambda _i: client.post(path, data), expect=(expect,)).first

    for i in range(runs):
        c = reported.pop()
        deadline = (c.found_at + dt.timedelta(days=30)).date().isoformat()
        figures["assign"].append(
            post(
                f"/river/cases/{c.pk}/assign/",
                {"state": "reported", "deadline": deadline, "responsible_unit": "天山区水务局"},
                302,
            )
        )
        figures["stale form (409)"].append(post(f"/river/cases/{c.pk}/clear/", {"state": "reported"}, 409))
        a = assigned[i]
        figures["rectify"].append(post(f"/river/cases/{a.pk}/rectify/", {"state": "assigned"}, 302))
    batch = reported[:20]
    figures["bulk assign of 20"].append(
        post(
            "/river/cases/assign/",
            {"case": [str(c.pk) for c in batch], "responsible_unit": "市河长办", "deadline": "2030-12-31"},
            302,
        )
    )
    worst = 0.0
    print(f"{'step':24s} {'median ms':>9s} {'max ms':>7s} runs")
    for name, samples in figures.items():
        med = statistics.median(samples)
        if not name.startswith("bulk"):
            worst = max(worst, med)
        flag = "" if name.startswith("bulk") else over(med)
        print(f"{name:24s} {med:9.0f} {max(samples):7.0f} {len(samples)}{flag}")
    return worst


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--open", type=int, default=1000)
    ap.add_argument("--closed", type=int, default=2000)
    ap.add_argument("--runs", type=int, default=7)
    ap.add_argument("--reuse-db", action="store_true", help="time the pages on the database of an earlier run")
    args = ap.parse_args()
    print(load())
    prepare(DB, reuse=args.reuse_db, build=lambda: build(args.open, args.closed))
    clients = _clients()
    pages = time_pages(clients, args.runs)
    steps = time_actions(clients, args.runs)
    print(
        f"slowest page median {pages:.0f} ms, slowest step median {steps:.0f} ms (target < {TARGET_MS:.0f} ms) "
        f"— {load()}"
    )


if __name__ == "__main__":
    main()
