"""Server time of the readings pages and their actions (issue 15) on the demo, on PostGIS.

    .venv/bin/python benchmarks/console_readings.py [--runs 7] [--reuse-db]

1. builds its own PostGIS database (hz_bench_readings, dropped first), migrates it and runs load_demo
   (a year of the demo city's readings, the spike held for review and its alert);
2. signs in (a session, as the browser) the demo reviewer and operator;
3. GETs each page and POSTs each action through the WSGI application in process (no server, no
   network): the median of the runs after the first, and the SQL queries of the last run. Actions
   alternate between two states (accept / clear, two corrected values) so that every run writes.

Target (issue 15): every action under 300 ms of server time."""

from __future__ import annotations

import argparse
import datetime as dt
import statistics
import sys
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "benchmarks"))

import bench_db  # noqa: E402 - this folder's shared database set-up

DB = "hz_bench_readings"
TARGET_MS = 300.0


def _load() -> None:
    from django.core.management import call_command

    call_command("load_demo", verbosity=0)


def _timed(client: Any, method: str, path: str, data: dict[str, Any] | None = None) -> tuple[float, int, int]:
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as ctx:
        t = time.perf_counter()
        resp = client.post(path, data or {}) if method == "POST" else client.get(path)
        ms = (time.perf_counter() - t) * 1000
    if resp.status_code not in (200, 302):
        raise SystemExit(f"{method} {path}: {resp.status_code} {resp.content[:500]!r}")
    return ms, len(ctx), resp.status_code


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--runs", type=int, default=7)
    parser.add_argument("--reuse-db", action="store_true")
    args = parser.parse_args()
    env = bench_db.django_env(DB)
    t0 = time.perf_counter()
    if not args.reuse_db:
        bench_db.create_database(DB, env)
    bench_db.setup_django(env)
    if not args.reuse_db:
        _load()
        print(f"demo loaded in {time.perf_counter() - t0:.0f} s")
    from django.db import connection
    from django.test import Client

    from accounts.models import User
    from accounts.scope import scope_for
    from console.views.readings.common import reading_url, stamp
    from core import periods
    from water import selectors
    from water.models import Alert, Reading

    with connection.cursor() as cursor:
        cursor.execute("ANALYZE")
    reviewer, operator = User.objects.get(username="reviewer"), User.objects.get(username="operator")
    clients = {}
    for name, user in (("reviewer", reviewer), ("operator", operator)):
        c = Client(HTTP_ACCEPT_LANGUAGE="zh-hans")
        c.force_login(user)
        clients[name] = c
    flagged = selectors.flagged_readings(scope=scope_for(reviewer), first=dt.date(2024, 1, 1),
                                         last=dt.date(2024, 12, 31))  # fmt: skip
    if not flagged:
        raise SystemExit("the demo has no flagged reading")
    spike = flagged[0]
    url = reading_url(spike["meter_id"], spike["observed_at"])
    alert = Alert.objects.filter(resolved_at__isnull=True).order_by("id").first()
    op_meter = selectors.meter_list(scope=scope_for(operator)).filter(removed_at__isnull=True).order_by("id").first()
    if op_meter is None or alert is None:
        raise SystemExit("the demo lacks an operator's meter or an open alert")
    last = Reading.objects.filter(meter=op_meter).order_by("-observed_at").first()
    assert last is not None  # noqa: S101 - the demo's meters have a year of readings
    reading = Reading.objects.get(meter_id=spike["meter_id"], observed_at=spike["observed_at"])

    def seen() -> str:
        r = Reading.objects.get(meter_id=reading.meter_id, observed_at=reading.observed_at)
        return f"{r.cumulative_m3}|{r.review}"

    def entry(i: int) -> dict[str, Any]:
        at = periods.to_beijing(last.observed_at + dt.timedelta(minutes=7 * (i + 1)))
        return {"meter": op_meter.pk, "observed_at": at.strftime("%Y-%m-%dT%H:%M"),
                "cumulative_m3": str(last.cumulative_m3 + i + 1), "note": "bench"}  # fmt: skip

    original = reading.cumulative_m3
    rows: list[tuple[str, str, str, Any]] = [
        ("reviewer", "GET", "/water/readings/review/", None),
        ("reviewer", "GET", "/water/readings/review/?start=2024-01-01&end=2024-12-31&kind=jump", None),
        ("reviewer", "GET", url, None),
        ("reviewer", "GET", url + "?days=30", None),
        ("reviewer", "GET", f"/water/alerts/{alert.pk}/", None),
        ("operator", "GET", "/", None),
        ("operator", "GET", "/water/readings/new/", None),
        ("reviewer", "POST", url + "{accept|clear}/", None),
        ("reviewer", "POST", url + "correct/", None),
        ("operator", "POST", "/water/readings/new/", None),
        ("reviewer", "POST", f"/water/alerts/{alert.pk}/acknowledge/", None),
    ]
    print(f"{'who':9s} {'first ms':>8s} {'median ms':>9s} {'max ms':>7s} {'queries':>7s}  request")
    worst_action = 0.0
    for who, method, path, __ in rows:
        samples, first, queries = [], 0.0, 0
        for i in range(args.runs):
            target, data = path, None
            if path.endswith("{accept|clear}/"):
                act = "accept" if i % 2 == 0 else "clear"
                target, data = path.replace("{accept|clear}/", f"{act}/"), {"seen": seen(), "reason": "bench"}
            elif path.endswith("correct/"):
                value = original + (1 if i % 2 == 0 else 2)
                data = {"seen": seen(), "cumulative_m3": str(value), "reason": "bench"}
            elif path == "/water/readings/new/" and method == "POST":
                data = entry(i)
            ms, queries, __ = _timed(clients[who], method, target, data)
            if i:
                samples.append(ms)
            else:
                first = ms
        med = statistics.median(samples)
        if method == "POST":
            worst_action = max(worst_action, med)
        flag = "" if med < TARGET_MS else f"  <-- over {TARGET_MS:.0f} ms"
        shown = path.replace(stamp(spike["observed_at"]), "<spike>")
        print(f"{who:9s} {first:8.0f} {med:9.0f} {max(samples):7.0f} {queries:7d}  {method} {shown}{flag}")
    print(f"slowest action median {worst_action:.0f} ms (target < {TARGET_MS:.0f} ms)")


if __name__ == "__main__":
    main()
