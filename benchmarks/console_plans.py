"""Server time of the plan, red-line and month-lock pages and their actions on the demo, on PostGIS.

    .venv/bin/python benchmarks/console_plans.py [--runs 6] [--reuse-db]

1. builds its own PostGIS database (hz_bench_console_plans, dropped first), migrates it and loads the
   demo (`manage.py load_demo`: the demo intakes with a year of readings, the 2024 plan with an
   amendment, the 2024 red lines, January–June locked);
2. signs in (a session, as the browser) an administrator;
3. GETs each page through the WSGI application in process (no server, no network), warm: the median of
   the runs after the first and the number of SQL queries of the last run; then times each action
   once (amend, set red lines, lock a month, unlock it), each a POST and its redirect's page.

Target (issue 15 item 4): every page and action under 300 ms of server time.
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "benchmarks"))

import bench_db  # noqa: E402 - this folder's shared setup

DB = "hz_bench_console_plans"
ENV = bench_db.django_env(DB)
TARGET_MS = 300.0


def load_demo() -> None:
    subprocess.run(  # noqa: S603 - this checkout's manage.py, fixed arguments
        [bench_db.PY, "manage.py", "load_demo"], cwd=ROOT, env={**os.environ, **ENV}, check=True,
        stdout=subprocess.DEVNULL,
    )  # fmt: skip


def _timed(client, method: str, path: str, data: dict | None = None) -> tuple[float, int, int]:
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as ctx:
        t = time.perf_counter()
        resp = client.get(path) if method == "GET" else client.post(path, data or {})
        ms = (time.perf_counter() - t) * 1000
    return ms, resp.status_code, len(ctx)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--runs", type=int, default=6)
    ap.add_argument("--reuse-db", action="store_true", help="time the pages on the database of an earlier run")
    args = ap.parse_args()
    began = time.perf_counter()
    if not args.reuse_db:
        bench_db.create_database(DB, ENV)
        load_demo()
    bench_db.setup_django(ENV)
    from django.db import connection
    from django.test import Client

    from accounts.choices import Role
    from accounts.models import User
    from console.views.plans.redlines import seen_token
    from water.models import LedgerLock, RedLineTarget, WaterPlan

    with connection.cursor() as cursor:
        cursor.execute("ANALYZE")
    admin, _ = User.objects.update_or_create(username="bench_plans_admin", defaults={"role": Role.ADMIN,
                                                                                     "jurisdiction": ""})  # fmt: skip
    client = Client(HTTP_ACCEPT_LANGUAGE="zh-hans")
    client.force_login(admin)
    plan = WaterPlan.objects.order_by("-year", "division__code").first()
    code = plan.division.code
    pages = [
        f"/water/plans/{plan.pk}/",
        f"/water/redlines/year/?year={plan.year}&division={code}",
        f"/water/locks/calendar/?year={plan.year}&division={code}",
    ]
    worst = 0.0
    print(f"{'median ms':>9s} {'max ms':>7s} {'queries':>7s}  page")
    for path in pages:
        samples, queries = [], 0
        for i in range(args.runs):
            ms, status, queries = _timed(client, "GET", path)
            if status != 200:
                raise SystemExit(f"{path}: {status}")
            if i:
                samples.append(ms)
        med = statistics.median(samples)
        worst = max(worst, med)
        flag = "" if med < TARGET_MS else f"  <-- over {TARGET_MS:.0f} ms"
        print(f"{med:9.0f} {max(samples):7.0f} {queries:7d}  GET {path}{flag}")
    line = plan.versions.get(number=plan.version).allocations.order_by("intake_id", "month").first()
    target = RedLineTarget.objects.filter(year=plan.year, division=plan.division).first()
    locked = set(LedgerLock.objects.filter(month__year=plan.year, unlocked_at__isnull=True, division=plan.division)
                 .values_list("month__month", flat=True))  # fmt: skip
    free = next(m for m in range(12, 0, -1) if m not in locked)
    actions = [
        (f"/water/plans/{plan.pk}/amend/", {"version": str(plan.version), "reason": "性能测试调整",
                                             "allocations[0].intake": str(line.intake_id),
                                             "allocations[0].month": str(line.month),
                                             "allocations[0].volume_m3": str(line.volume_m3 + 1)}),
        (f"/water/redlines/{target.pk}/edit/", {"seen": seen_token(target),
                                                "total_use_cap_m3": str((target.total_use_cap_m3 or 0) + 1),
                                                "reason": "性能测试"}) if target else None,
        ("/water/locks/lock/", {"division": code, "year": str(plan.year), "month": f"{plan.year}-{free:02d}",
                                "note": "性能测试"}),
    ]  # fmt: skip
    for item in actions:
        if item is None:
            continue
        path, data = item
        ms, status, queries = _timed(client, "POST", path, data)
        if status != 302:
            raise SystemExit(f"{path}: {status}")
        worst = max(worst, ms)
        flag = "" if ms < TARGET_MS else f"  <-- over {TARGET_MS:.0f} ms"
        print(f"{ms:9.0f} {ms:7.0f} {queries:7d}  POST {path}{flag}")
    lock = LedgerLock.objects.filter(note="性能测试", unlocked_at__isnull=True).first()
    body = {"division": code, "year": str(plan.year), "lock": str(lock.pk), "reason": "性能测试"}
    ms, status, queries = _timed(client, "POST", "/water/locks/unlock/", body)
    if status != 302:
        raise SystemExit(f"unlock: {status}")
    worst = max(worst, ms)
    print(f"{ms:9.0f} {ms:7.0f} {queries:7d}  POST /water/locks/unlock/{'' if ms < TARGET_MS else '  <-- over'}")
    print(f"slowest {worst:.0f} ms (target < {TARGET_MS:.0f} ms) — load {os.getloadavg()[0]:.2f}")
    print(f"total {time.perf_counter() - began:.0f} s")


if __name__ == "__main__":
    main()
