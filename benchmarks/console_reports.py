"""Server time of the console's report pages on the demo city, on PostGIS.

    .venv/bin/python benchmarks/console_reports.py [--runs 8] [--reuse-db]

1. builds its own PostGIS database (hz_bench_console_reports, dropped first) and loads the demo
   (`manage.py load_demo`: the demo city's 2024 ledgers, and the reports demo: the 2024-H1 city report
   signed off, 2024-Q1 built), then ANALYZEs it;
2. signs in the demo reviewer (a session, as the browser);
3. times each page through the Django test client in process (no server, no network), warm: the median
   of the runs after the first, and the number of SQL queries of the last run. The writes are timed too:
   the build form's POST (the request and the queueing of its task, Celery not eager: the build itself
   is the task's and is timed apart), a refused POST (bad input), the sign-off POST.

Target (issue 15): each page or action under 300 ms of server time. The machine is shared: the load
average is printed with the figures.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "benchmarks"))

from _console import TARGET_MS, load, over, prepare, sign_in, timed  # noqa: E402 - the console benchmarks' set-up

DB = "hz_bench_console_reports"


def _timed(call: Any, runs: int) -> tuple[float, float, float, int, Any]:
    t = timed(lambda _i: call(), runs)
    return t.first, t.median, t.max, t.queries, t.response


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--runs", type=int, default=8)
    ap.add_argument("--reuse-db", action="store_true", help="time the pages on the database of an earlier run")
    args = ap.parse_args()
    began = time.perf_counter()
    print(load())
    took = prepare(DB, reuse=args.reuse_db, demo=True)
    if not args.reuse_db:
        print(f"demo loaded in {took:.0f} s")
    from celery import current_app

    from accounts.models import User
    from reports import services
    from reports.models import ReportSnapshot

    client = sign_in(User.objects.get(username="reviewer"))
    signed = ReportSnapshot.objects.filter(status="signed_off").order_by("id").first()
    ready = ReportSnapshot.objects.filter(status="ready").order_by("id").first()
    if signed is None or ready is None:
        raise SystemExit("the demo lacks its report snapshots (reports demo)")

    # The build form's POST: the request and the queueing of its task (Celery not eager: the message waits
    # in the in-memory broker and this script plays the worker). Each run asks for another report (a
    # quarter of 2023 for the city or a district, then a new version of 2024-Q1), so each creates a row.
    current_app.conf.task_always_eager = False
    asks = [
        {"kind": "quarter", "quarter": f"2023-Q{q}", "division": code, "reason": "benchmark"}
        for code in ("650100", ready.division_code)
        for q in (1, 2, 3, 4)
    ][: max(2, args.runs - 1)]
    asks.append(
        {
            "kind": "range",
            "start": str(ready.period_start),
            "end": str(ready.period_end),
            "division": ready.division_code,
            "reason": "benchmark",
        }
    )
    it = iter(asks)
    first, med, worst, queries, resp = _timed(lambda: client.post("/reports/new/", next(it)), len(asks))
    rows = [("POST", "/reports/new/ (request + queue)", first, med, worst, queries, resp.status_code)]
    v2 = ReportSnapshot.objects.filter(
        period_start=ready.period_start, division_code=ready.division_code, status="building"
    ).get()
    t = time.perf_counter()
    services.snapshot_build(snapshot_id=v2.pk)  # the task's work, timed apart (a 2024-Q1 version to diff)
    build_s = time.perf_counter() - t

    pages = [
        ("GET", "/reports/", {}),
        ("GET", "/reports/?status=signed_off", {}),
        ("GET", "/reports/new/", {}),
        ("GET", f"/reports/{signed.pk}/", {}),
        ("GET", f"/reports/{v2.pk}/", {}),
        ("GET", f"/reports/{v2.pk}/progress/", {}),
        ("GET", f"/reports/{v2.pk}/status/", {"HTTP_HX_REQUEST": "true"}),
        ("GET", f"/reports/{v2.pk}/diff/?against={ready.pk}", {}),
        ("GET", f"/reports/{signed.pk}/file/pdf/", {}),
        ("GET", f"/reports/{signed.pk}/file/xlsx/", {}),
    ]
    for method, path, extra in pages:
        first, med, worst, queries, resp = _timed(lambda path=path, extra=extra: client.get(path, **extra), args.runs)
        rows.append((method, path, first, med, worst, queries, resp.status_code))
    bad = {"kind": "quarter", "quarter": "2024-Q5", "division": ready.division_code}
    first, med, worst, queries, resp = _timed(lambda: client.post("/reports/new/", bad), args.runs)
    rows.append(("POST", "/reports/new/ (bad quarter → 400)", first, med, worst, queries, resp.status_code))
    first, med, worst, queries, resp = _timed(lambda: client.post(f"/reports/{v2.pk}/sign-off/"), 1)
    rows.append(("POST", f"/reports/{v2.pk}/sign-off/", first, first, first, queries, resp.status_code))
    first, med, worst, queries, resp = _timed(lambda: client.post(f"/reports/{v2.pk}/sign-off/"), args.runs)
    rows.append(("POST", f"/reports/{v2.pk}/sign-off/ again (409)", first, med, worst, queries, resp.status_code))

    print(f"{'':4s} {'first ms':>8s} {'median ms':>9s} {'max ms':>7s} {'queries':>7s} {'status':>6s}  page")
    slowest = 0.0
    for method, path, first, med, worst, queries, status in rows:
        slowest = max(slowest, med)
        print(f"{method:4s} {first:8.0f} {med:9.0f} {worst:7.0f} {queries:7d} {status:6d}  {path}{over(med)}")
    print(f"build of the 2024-Q1 city report (the task's time, not a page): {build_s:.1f} s")
    print(f"slowest page median {slowest:.0f} ms (target < {TARGET_MS:.0f} ms) — {load()}")
    print(f"total {time.perf_counter() - began:.0f} s")


if __name__ == "__main__":
    main()
