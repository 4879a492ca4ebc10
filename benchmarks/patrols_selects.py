"""The patrol post's SELECTs, raw SQL against the ORM (issue 20, item 4): µs per call on PostGIS and SpatiaLite.

    .venv/bin/python benchmarks/patrols_selects.py                 # both backends
    .venv/bin/python benchmarks/patrols_selects.py --backend postgis -n 2000

For each backend a child process creates a test database (``config.settings.test``: PostGIS
``test_<--db>`` or a SpatiaLite file under /tmp), migrates it, seeds it as
``benchmarks/patrols_post.py`` does (a 20 km reach, one chief appointed to it, the migration's
validity rules) and posts ``--patrols`` patrols three hours apart through the API, so that the
overlap search finds a few neighbours. Then it times, in this process, each SELECT of the patrol
post written as raw SQL (through ``core.sql.cursor()``, with the conversions the service needs) and
as the ORM query that replaces it, asserts that both return the same rows, and prints µs per call
(this process's CPU time, the best of ``--repeat`` interleaved runs of ``-n`` calls: the figure
least disturbed by a loaded machine; PostgreSQL's side is the same SQL either way)
and the difference.

The four SELECTs (patrols/services):

* appointments: the chief's appointment on the reach current on a day, with the reach's length,
  its division's code and the validity rules of the appointment's level: one raw query (a LEFT JOIN
  on the rules by level, which has no foreign key) or two ORM queries;
* validity rules: the rules of a level (when a stored patrol is recomputed, not on a post);
* neighbours: the chief's completed patrols overlapping a time window (every first post);
* resend: the patrol posted with these exact bytes (every post): raw id lookup then the ORM's
  ``get`` of the patrol, or one ORM query; timed on a hit (a resend) and on a miss (a first post).

The threshold (stated in patrols/sql.py): raw SQL stays where the ORM would cost at least 0.3 ms
per post or 5 % of that post's server CPU from ``benchmarks/patrols_cpu.py``.
"""

from __future__ import annotations

import argparse
import contextlib
import datetime as dt
import io
import json
import os
import random
import subprocess
import sys
import time
import uuid
from collections.abc import Callable
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "benchmarks"))

from patrols_post import PG, SEED, build_body  # noqa: E402


def _best_us(fns: tuple[Callable[[], Any], ...], n: int, repeat: int) -> list[float]:
    """This process's CPU time per call of each function (the client's side: building the query,
    binding, converting rows; all of it on SpatiaLite), the best of `repeat` runs, the functions'
    runs interleaved so that a change in the machine's load falls on all of them."""
    best = [float("inf")] * len(fns)
    for _ in range(repeat):
        for k, fn in enumerate(fns):
            t0 = time.process_time()
            for _ in range(n):
                fn()
            best[k] = min(best[k], (time.process_time() - t0) / n)
    return [b * 1e6 for b in best]


def child(args: argparse.Namespace) -> int:
    import django

    django.setup()
    from django.db import connection
    from django.db.models import Q
    from django.test import Client

    connection.creation.create_test_db(verbosity=0, autoclobber=True, serialize=False)
    try:
        from core import sql as core_sql
        from patrols import conf
        from patrols.choices import PatrolStatus
        from patrols.models import Patrol, PatrolValidityRule
        from patrols.services._common import _HEAVY
        from places.models import ChiefAssignment, Division, Reach

        out = io.StringIO()
        with contextlib.redirect_stdout(out):
            exec(SEED.replace("NCLIENTS", "1"), {})  # noqa: S102 - the benchmark's own seed script
        text = out.getvalue()
        data = json.loads(text[text.index("SEED") + 4 :])
        client = Client(HTTP_AUTHORIZATION=f"Token {data['tokens'][0]}")
        rng = random.Random(5)
        bodies = [build_body(rng, data["reach"], data["coords"], 0, i, 300, "EPSG:4326") for i in range(args.patrols)]
        for body in bodies:
            status = client.post("/api/v1/patrols/", data=body, content_type="application/json").status_code
            assert status == 201, status  # noqa: S101
        stored = Patrol.objects.order_by("started_at").values_list("pk", "chief_id", "body_sha256", "started_at")
        mid = list(stored)[args.patrols // 2]
        _, chief_id, body_sha256, started_at = mid
        reach_id, level = data["reach"], "township"
        on = started_at.date()
        db = core_sql.db()

        # ---- appointments (every post)
        def appointments_raw() -> Any:
            a, s, d = ChiefAssignment._meta.db_table, Reach._meta.db_table, Division._meta.db_table
            r = PatrolValidityRule._meta.db_table
            sql = (
                "SELECT a.level, s.length_m, d.code, "  # noqa: S608 - names from the models, values bound
                "v.jurisdiction, v.min_duration_s, v.min_length_m, v.min_gap_hours "
                f"FROM {a} a JOIN {s} s ON s.id = a.reach_id JOIN {d} d ON d.id = s.division_id "
                f"LEFT JOIN {r} v ON v.level = a.level "
                "WHERE a.chief_id = %s AND a.reach_id = %s AND a.valid_from <= %s "
                "AND (a.valid_until IS NULL OR a.valid_until >= %s)"
            )
            with core_sql.cursor() as cursor:
                cursor.execute(sql, [chief_id, reach_id, on, on])
                rows = cursor.fetchall()
            return sorted((lv, float(size), code, *rule) for lv, size, code, *rule in rows)

        def appointments_orm() -> Any:
            rows = list(
                ChiefAssignment.objects.filter(chief_id=chief_id, reach_id=reach_id, valid_from__lte=on)
                .filter(Q(valid_until__isnull=True) | Q(valid_until__gte=on))
                .values_list("level", "reach__length_m", "reach__division__code")
            )
            rules: dict[str, list[tuple[Any, ...]]] = {}
            for lv, *rule in PatrolValidityRule.objects.filter(level__in={row[0] for row in rows}).values_list(
                "level", "jurisdiction", "min_duration_s", "min_length_m", "min_gap_hours"
            ):
                rules.setdefault(lv, []).append(tuple(rule))
            return sorted(
                (lv, float(size), code, *rule)
                for lv, size, code in rows
                for rule in rules.get(lv, [(None, None, None, None)])
            )

        # ---- validity rules of a level (recompute)
        def rules_raw() -> Any:
            table = PatrolValidityRule._meta.db_table
            sql = f"SELECT jurisdiction, min_duration_s, min_length_m, min_gap_hours FROM {table} WHERE level = %s"  # noqa: S608
            with core_sql.cursor() as cursor:
                cursor.execute(sql, [level])
                return sorted(cursor.fetchall())

        def rules_orm() -> Any:
            return sorted(
                PatrolValidityRule.objects.filter(level=level).values_list(
                    "jurisdiction", "min_duration_s", "min_length_m", "min_gap_hours"
                )
            )

        # ---- neighbours (every first post)
        gap = dt.timedelta(hours=8)
        ended_at = started_at + dt.timedelta(hours=1)
        since = started_at - gap
        exclude = uuid.uuid4()

        def _aware(value: dt.datetime) -> dt.datetime:
            return value if value.tzinfo is not None else value.replace(tzinfo=dt.UTC)

        def neighbours_raw() -> Any:
            sql = (
                f"SELECT id, started_at, ended_at, valid, flags, review_status FROM {Patrol._meta.db_table} "  # noqa: S608
                "WHERE chief_id = %s AND status = %s AND started_at < %s AND started_at > %s AND ended_at > %s "
                "AND id <> %s"
            )
            times = [db.ops.adapt_datetimefield_value(t) for t in (ended_at, since - conf.max_duration(), since)]
            pk = Patrol._meta.pk
            with core_sql.cursor() as cursor:
                cursor.execute(sql, [chief_id, PatrolStatus.COMPLETED.value, *times, pk.get_db_prep_value(exclude, db)])
                rows = cursor.fetchall()
            return sorted(
                (
                    other if isinstance(other, uuid.UUID) else uuid.UUID(str(other)),
                    _aware(started),
                    _aware(ended),
                    bool(valid),
                    json.loads(flags) if isinstance(flags, str) else flags,
                    review,
                )
                for other, started, ended, valid, flags, review in rows
            )

        def neighbours_orm() -> Any:
            return sorted(
                Patrol.objects.filter(
                    chief_id=chief_id,
                    status=PatrolStatus.COMPLETED,
                    started_at__lt=ended_at,
                    started_at__gt=since - conf.max_duration(),
                    ended_at__gt=since,
                )
                .exclude(pk=exclude)
                .values_list("id", "started_at", "ended_at", "valid", "flags", "review_status")
            )

        # ---- resend (every post)
        def resend_raw() -> Any:
            with core_sql.cursor() as cursor:
                cursor.execute(
                    f"SELECT id FROM {Patrol._meta.db_table} WHERE body_sha256 = %s AND chief_id = %s",  # noqa: S608
                    [body_sha256, chief_id],
                )
                row = cursor.fetchone()
            return None if row is None else Patrol.objects.defer(*_HEAVY).get(pk=row[0]).pk

        def resend_orm() -> Any:
            found = Patrol.objects.defer(*_HEAVY).filter(body_sha256=body_sha256, chief_id=chief_id)[:1]
            return found[0].pk if found else None

        missing = "0" * 64

        def miss_raw() -> Any:
            with core_sql.cursor() as cursor:
                cursor.execute(
                    f"SELECT id FROM {Patrol._meta.db_table} WHERE body_sha256 = %s AND chief_id = %s",  # noqa: S608
                    [missing, chief_id],
                )
                row = cursor.fetchone()
            return None if row is None else row[0]

        def miss_orm() -> Any:
            found = Patrol.objects.defer(*_HEAVY).filter(body_sha256=missing, chief_id=chief_id)[:1]
            return found[0].pk if found else None

        results = []
        for name, raw, orm in (
            ("appointments (post)", appointments_raw, appointments_orm),
            ("validity rules (recompute)", rules_raw, rules_orm),
            ("neighbours (first post)", neighbours_raw, neighbours_orm),
            ("resend lookup (resend)", resend_raw, resend_orm),
            ("resend lookup (first post)", miss_raw, miss_orm),
        ):
            a, b = raw(), orm()
            assert a == b, f"{name}: raw {a!r} != ORM {b!r}"  # noqa: S101
            assert a or raw is miss_raw, f"{name}: no rows, nothing measured"  # noqa: S101
            rows = len(a) if isinstance(a, list) else int(a is not None)
            raw_us, orm_us = _best_us((raw, orm), args.n, args.repeat)
            results.append({"name": name, "rows": rows, "raw": raw_us, "orm": orm_us})
        print("RESULT" + json.dumps({"vendor": connection.vendor, "results": results}))
        return 0
    finally:
        connection.creation.destroy_test_db(connection.settings_dict["NAME"], verbosity=0)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--backend", choices=["postgis", "spatialite", "both"], default="both")
    parser.add_argument("-n", type=int, default=1000, help="calls per timed run")
    parser.add_argument("--repeat", type=int, default=5, help="timed runs; the best is reported")
    parser.add_argument("--patrols", type=int, default=40, help="patrols seeded (three hours apart)")
    parser.add_argument("--db", default="hz_patrolselects", help="PostGIS database name (test_ prefixed)")
    parser.add_argument("--child", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        return child(args)

    urls = {
        "postgis": f"postgis://{PG['user']}@{PG['host']}:{PG['port']}/{args.db}",
        "spatialite": f"spatialite:////tmp/{args.db}.sqlite3",
    }
    backends = ["postgis", "spatialite"] if args.backend == "both" else [args.backend]
    print(
        f"load average {os.getloadavg()[0]:.2f} on {os.cpu_count()} CPUs; "
        f"CPU µs per call (this process), best of {args.repeat}×{args.n}"
    )
    print(f"{'backend':<11} {'query':<28} {'rows':>4} {'raw µs':>8} {'ORM µs':>8} {'ORM − raw':>10}")
    for backend in backends:
        env = {
            **os.environ,
            "DJANGO_SETTINGS_MODULE": "config.settings.test",
            "DATABASE_URL": urls[backend],
            "TEST_SPATIALITE_NAME": f"/tmp/test_{args.db}.sqlite3",  # noqa: S108 - a benchmark's scratch file
            "CELERY_TASK_ALWAYS_EAGER": "1",
        }
        cmd = [sys.executable, __file__, "--child", "-n", str(args.n), "--repeat", str(args.repeat)]
        cmd += ["--patrols", str(args.patrols), "--db", args.db]
        done = subprocess.run(cmd, env=env, cwd=ROOT, capture_output=True, text=True, check=False)  # noqa: S603
        if done.returncode:
            sys.stderr.write(done.stdout + done.stderr)
            return done.returncode
        result = json.loads(done.stdout[done.stdout.index("RESULT") + 6 :])
        for r in result["results"]:
            print(
                f"{backend:<11} {r['name']:<28} {r['rows']:>4} {r['raw']:>8.0f} {r['orm']:>8.0f} "
                f"{r['orm'] - r['raw']:>+10.0f}"
            )
    print(f"load average after {os.getloadavg()[0]:.2f}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
