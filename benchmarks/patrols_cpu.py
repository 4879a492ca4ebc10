"""Server CPU per patrol post, measured in-process (issue 5): the figure the 2-core target depends on.

    .venv/bin/python benchmarks/patrols_cpu.py                  # 200 first posts + 200 resends
    .venv/bin/python benchmarks/patrols_cpu.py -n 300 --profile  # and a cProfile of the first posts

Creates a PostGIS database (``hz_patrolcpu`` by default), migrates and seeds it as
``benchmarks/patrols_post.py`` does (a 20 km reach, one chief), then posts 2,000-point patrols through
Django's full request stack (``django.test.Client``: middleware, DRF, authentication by token,
the view, the service, the database) in this process, and prints per post:

* this process's CPU time (``time.process_time``: Python, numpy, GEOS, psycopg's side);
* the CPU time of the database connection's PostgreSQL backend (from /proc, its ``pg_backend_pid()``);
* wall time.

for first posts and for resends of the same bytes, in rounds of ``--round-size`` posts: the median
and the minimum over the rounds (on a machine shared with other test runs, CPU time per request
still grows with the load, as the cores' caches and hyperthreads are shared; the minimum is the
figure least disturbed). Bodies are built before the clock starts. The
database is dropped at the end unless ``--keep``.
"""

from __future__ import annotations

import argparse
import cProfile
import json
import os
import pstats
import random
import secrets
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "benchmarks"))

from patrols_post import PG, PY, SEED, build_body, psql, run  # noqa: E402


def _cpu(pid: int) -> float:
    tick = os.sysconf("SC_CLK_TCK")
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / tick


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("-n", type=int, default=200, help="first posts (and as many resends)")
    parser.add_argument("--points", type=int, default=2000)
    parser.add_argument("--crs", default="EPSG:4326", choices=["EPSG:4326", "GCJ-02"])
    parser.add_argument("--db", default="hz_patrolcpu")
    parser.add_argument("--round-size", type=int, default=25, help="posts per timed round")
    parser.add_argument(
        "--gc-freeze", action="store_true", help="gc.freeze() after the warm-up, as a worker would once loaded"
    )
    parser.add_argument("--profile", action="store_true", help="print a cProfile of the first posts")
    parser.add_argument("--keep", action="store_true", help="keep the database afterwards")
    parser.add_argument("--queries", action="store_true", help="print the SQL of one first post and one resend")
    args = parser.parse_args()

    db = args.db
    env = {
        "DJANGO_SETTINGS_MODULE": "config.settings.production",
        "DATABASE_URL": f"postgis://{PG['user']}@{PG['host']}:{PG['port']}/{db}",
        "DJANGO_SECRET_KEY": secrets.token_urlsafe(48),
        "CELERY_BROKER_URL": "redis://127.0.0.1:6379/14",
        "CACHE_URL": "rediscache://127.0.0.1:6379/13",
        "DJANGO_ALLOWED_HOSTS": "testserver",
        "LOG_LEVEL": "WARNING",
        "DB_CONN_MAX_AGE": "600",
    }
    os.environ.update(env)
    full_env = {**os.environ}
    psql(f"DROP DATABASE IF EXISTS {db} WITH (FORCE)")
    psql(f"CREATE DATABASE {db}")
    try:
        psql("CREATE EXTENSION IF NOT EXISTS postgis", db=db)
        run([PY, "manage.py", "migrate", "--noinput"], full_env)
        seed = run([PY, "manage.py", "shell", "--no-imports", "-c", SEED.replace("NCLIENTS", "1")], full_env).stdout
        data = json.loads(seed[seed.index("SEED") + 4 :])
        rng = random.Random(5)
        bodies = [
            build_body(rng, data["reach"], data["coords"], 0, i, args.points, args.crs) for i in range(args.n + 4)
        ]

        import django

        django.setup()
        from django.db import connection
        from django.test import Client

        client = Client(HTTP_AUTHORIZATION=f"Token {data['tokens'][0]}")

        def post(body: bytes) -> int:
            return client.post("/api/v1/patrols/", data=body, content_type="application/json").status_code

        for body in bodies[-3:]:  # warm-up: imports, caches, the connection
            assert post(body) == 201, "warm-up post failed"  # noqa: S101
            assert post(body) == 200  # noqa: S101
        if args.gc_freeze:
            import gc

            gc.freeze()
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_backend_pid()")
            backend = int(cursor.fetchone()[0])

        if args.queries:
            from django.test.utils import CaptureQueriesContext

            for label, body in (("first post", bodies[args.n]), ("resend", bodies[args.n])):
                with CaptureQueriesContext(connection) as ctx:
                    post(body)
                print(f"-- {label}: {len(ctx.captured_queries)} queries")
                for q in ctx.captured_queries:
                    print(f"   {len(q['sql']):>7} chars  {q['sql'][:300]}")
        measured = bodies[: args.n]
        rounds = max(1, args.n // args.round_size)
        for name, expected in (("first posts", 201), ("resends", 200)):
            profiler = cProfile.Profile(time.process_time) if args.profile and expected == 201 else None
            per_round: list[tuple[float, float, float]] = []
            loads = [os.getloadavg()[0]]
            for r in range(rounds):
                batch = measured[r * args.round_size : (r + 1) * args.round_size]
                pg0, cpu0, wall0 = _cpu(backend), time.process_time(), time.perf_counter()
                if profiler is not None:
                    profiler.enable()
                statuses = [post(body) for body in batch]
                if profiler is not None:
                    profiler.disable()
                cpu1, wall1, pg1 = time.process_time(), time.perf_counter(), _cpu(backend)
                loads.append(os.getloadavg()[0])
                if set(statuses) != {expected}:
                    raise RuntimeError(f"{name}: statuses {sorted(set(statuses))}, expected {expected}")
                n = len(batch)
                per_round.append((1000 * (cpu1 - cpu0) / n, 1000 * (pg1 - pg0) / n, 1000 * (wall1 - wall0) / n))
            django_ms = sorted(r[0] for r in per_round)
            pg_ms = sorted(r[1] for r in per_round)
            total = sorted(r[0] + r[1] for r in per_round)
            print(
                f"{name:<12} {rounds}×{args.round_size} posts, CPU per post (median of rounds; min): "
                f"Django {statistics.median(django_ms):6.2f} ({django_ms[0]:.2f}) + PostgreSQL "
                f"{statistics.median(pg_ms):5.2f} ({pg_ms[0]:.2f}) = {statistics.median(total):6.2f} ms "
                f"({total[0]:.2f}); wall {statistics.median(r[2] for r in per_round):6.2f} ms; "
                f"load average {statistics.mean(loads):.2f}",
                flush=True,
            )
            if profiler is not None:
                stats = pstats.Stats(profiler)
                stats.sort_stats("cumulative").print_stats(45)
                stats.sort_stats("tottime").print_stats(30)
        print(f"load average after: {os.getloadavg()[0]:.2f} on {os.cpu_count()} CPUs")
        return 0
    finally:
        from django.db import connections

        connections.close_all()
        if not args.keep:
            psql(f"DROP DATABASE IF EXISTS {db} WITH (FORCE)")


if __name__ == "__main__":
    sys.exit(main())
