"""Server time of the readings pages and their actions (issue 15) on the demo, on PostGIS.

    .venv/bin/python benchmarks/console_readings.py [--runs 7] [--reuse-db]

1. builds its own PostGIS database (hz_bench_readings, dropped first), migrates it and runs load_demo
   (a year of the demo city's readings, the spike held for review and its alert);
2. signs in (a session, as the browser) the demo reviewer and operator (the set-up of _console.py);
3. GETs each page and POSTs each action through the WSGI application in process (no server, no
   network): the median of the runs after the first, and the SQL queries of the last run. Actions
   alternate between two states (accept / clear, two corrected values) so that every run writes.

Target (issue 15): every action under 300 ms of server time."""

from __future__ import annotations

import argparse
import datetime as dt
import sys
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "benchmarks"))

from _console import TARGET_MS, over, prepare, sign_in, timed  # noqa: E402 - the console benchmarks' set-up

DB = "hz_bench_readings"


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--runs", type=int, default=7)
    parser.add_argument("--reuse-db", action="store_true")
    args = parser.parse_args()
    took = prepare(DB, reuse=args.reuse_db, demo=True)
    if not args.reuse_db:
        print(f"demo loaded in {took:.0f} s")

    from accounts.models import User
    from accounts.scope import scope_for
    from console.views.readings.common import reading_url, stamp
    from core import periods
    from water import selectors
    from water.models import Alert, Reading

    reviewer, operator = User.objects.get(username="reviewer"), User.objects.get(username="operator")
    clients = {"reviewer": sign_in(reviewer), "operator": sign_in(operator)}
    flagged = selectors.flagged_readings(
        scope=scope_for(reviewer), first=dt.date(2024, 1, 1), last=dt.date(2024, 12, 31)
    )
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
        return {
            "meter": op_meter.pk,
            "observed_at": at.strftime("%Y-%m-%dT%H:%M"),
            "cumulative_m3": str(last.cumulative_m3 + i + 1),
            "note": "bench",
        }

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

        def call(i: int, who: str = who, method: str = method, path: str = path) -> Any:
            target, data = path, None
            if path.endswith("{accept|clear}/"):
                act = "accept" if i % 2 == 0 else "clear"
                target, data = path.replace("{accept|clear}/", f"{act}/"), {"seen": seen(), "reason": "bench"}
            elif path.endswith("correct/"):
                value = original + (1 if i % 2 == 0 else 2)
                data = {"seen": seen(), "cumulative_m3": str(value), "reason": "bench"}
            elif path == "/water/readings/new/" and method == "POST":
                data = entry(i)
            return clients[who].post(target, data or {}) if method == "POST" else clients[who].get(target)

        t = timed(call, args.runs, expect=(200, 302))
        first, med, queries = t.first, t.median, t.queries
        if method == "POST":
            worst_action = max(worst_action, med)
        shown = path.replace(stamp(spike["observed_at"]), "<spike>")
        print(f"{who:9s} {first:8.0f} {med:9.0f} {t.max:7.0f} {queries:7d}  {method} {shown}{over(med)}")
    print(f"slowest action median {worst_action:.0f} ms (target < {TARGET_MS:.0f} ms)")


if __name__ == "__main__":
    main()
