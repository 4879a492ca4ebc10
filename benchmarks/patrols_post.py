"""Posting patrols with 2,000-point tracks (issue 5): 16 concurrent clients against 2 gunicorn workers
on PostGIS. Targets: p99 under 150 ms and at least 100 patrols/s; a resend cheaper than a first post.

    .venv/bin/python benchmarks/patrols_post.py                 # defaults below
    .venv/bin/python benchmarks/patrols_post.py --seconds 30 --per-client 100 --crs GCJ-02

What it does, all on 127.0.0.1 and cleaned up on exit (also on Ctrl-C or failure):

1. creates a PostGIS database (``hz_bench_patrols`` by default; ``CREATE EXTENSION postgis``) and
   migrates it;
2. seeds a 20 km reach near Urumqi, 16 chiefs appointed to it and a login token for each;
3. starts gunicorn (2 sync workers, production settings, a pidfile) and waits for /healthz;
4. warms each worker up with a few posts (imports, the reach's projection cache);
5. first posts: 16 client threads, each posting its own chief's patrols (distinct UUIDs, tracks of
   ``--points`` positions 3 s apart along the reach with GPS jitter and one spike each, times in
   ISO 8601 with +08:00), one connection per request (sync workers close it), until
   ``--per-client`` posts each or ``--seconds`` elapsed;
6. resends: the same clients post the same bodies again (the phone lost the answer);
7. prints throughput and p50/p95/p99 latency of both phases, the server's CPU time per request
   (gunicorn workers and the database's PostgreSQL backends, from /proc: the figure that does not
   depend on what else the machine is running) and this load generator's own CPU per request (it
   shares the 2 cores with the server), checks the row count, stops gunicorn and drops the
   database.

``--threads N`` runs the 2 workers as gthread workers with N threads each (the deployment runs gthread
workers with 4 threads; threads let a worker compute while another request waits on PostgreSQL).

The workers load ``config.wsgi`` as a deployment does, which imports every view and then calls
``gc.freeze()``: the objects of the loaded application are never traversed again by the cyclic
garbage collector, whose full collections otherwise walk ~130,000 of them (30–75 ms each, every ~20
posts, as the tracks' parsed coordinates get promoted).

Bodies are built before the clock starts, so the client's own JSON encoding is not measured.
"""

from __future__ import annotations

import argparse
import datetime as dt
import http.client
import itertools
import json
import math
import os
import random
import secrets
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PY = str(ROOT / ".venv" / "bin" / "python")
GUNICORN = str(ROOT / ".venv" / "bin" / "gunicorn")
HOST = "127.0.0.1"
PG = {"host": "127.0.0.1", "port": "5432", "user": "postgres"}

SEED = r"""
import datetime as dt, json, math
from django.contrib.gis.geos import LineString, MultiLineString, MultiPolygon, Polygon
from accounts.choices import Role
from accounts.models import User
from accounts.services import token_issue
from places.services import chief_assign, division_upsert, reach_upsert, river_upsert

box = MultiPolygon(Polygon.from_bbox((87.3, 43.5, 87.9, 44.1)), srid=4326)
division_upsert(code="650100", name="乌鲁木齐市", boundary=box, actor="bench")
division_upsert(code="650102", name="天山区", boundary=box, actor="bench")
# A meandering 20 km reach running north-north-east.
pts = [(87.55 + 0.0009 * i + 0.004 * math.sin(i / 15), 43.70 + 0.0016 * i) for i in range(101)]
line = MultiLineString(LineString(pts), srid=4326)
river_upsert(code="HL-B", name="bench river", division_code="650100", geometry=line, actor="bench")
reach, _ = reach_upsert(code="HL-B-01", name="bench reach", river_code="HL-B", division_code="650102",
                        geometry=line, actor="bench")
out = {"reach": reach.pk, "coords": pts, "tokens": []}
for k in range(NCLIENTS):
    user = User.objects.create(username=f"bench_chief_{k}", role=Role.CHIEF, jurisdiction="650102")
    chief_assign(chief=user, level="township", reach=reach, valid_from=dt.date(2024, 1, 1), actor="bench")
    out["tokens"].append(token_issue(user=user)[1])
print("SEED" + json.dumps(out))
"""


def run(cmd: list[str], env: dict[str, str], **kw: object) -> subprocess.CompletedProcess[str]:
    return subprocess.run(cmd, env=env, check=True, text=True, capture_output=True, cwd=ROOT, **kw)  # type: ignore[call-overload]  # noqa: S603


def psql(sql: str, db: str = "postgres") -> None:
    # The PostgreSQL client from PATH, as .ci/run uses it; a fixed argument list, no shell.
    command = ["psql", "-h", PG["host"], "-p", PG["port"], "-U", PG["user"], "-d", db, "-v", "ON_ERROR_STOP=1"]
    subprocess.run(  # noqa: S603
        [*command, "-qc", sql],
        check=True,
        capture_output=True,
        text=True,
    )


def free_port() -> int:
    with socket.socket() as s:
        s.bind((HOST, 0))
        return int(s.getsockname()[1])


# --------------------------------------------------------------------------- tracks


def _densify(coords: list[list[float]], n: int) -> list[tuple[float, float]]:
    """n points evenly spaced (in degrees, fine for a synthetic walk) along the polyline."""
    seg = [math.dist(a, b) for a, b in itertools.pairwise(coords)]
    total = sum(seg)
    out, i, acc = [], 0, 0.0
    for k in range(n):
        target = total * k / (n - 1) * 0.5  # walk half the reach
        while i < len(seg) - 1 and acc + seg[i] < target:
            acc += seg[i]
            i += 1
        f = (target - acc) / seg[i] if seg[i] else 0.0
        a, b = coords[i], coords[i + 1]
        out.append((a[0] + f * (b[0] - a[0]), a[1] + f * (b[1] - a[1])))
    return out


def build_body(
    rng: random.Random, reach_id: int, reach_coords: list[list[float]], k: int, i: int, n: int, crs: str
) -> bytes:
    from core.geo import wgs84_to_gcj02

    base = _densify(reach_coords, n)
    # ~30 m to the bank, a few metres of GPS jitter, and one spike 2 km away.
    coords = [[lon + 0.0004 + rng.gauss(0, 0.00003), lat + rng.gauss(0, 0.00003)] for lon, lat in base]
    spike = rng.randrange(10, n - 10)
    coords[spike] = [coords[spike][0] + 0.02, coords[spike][1]]
    if crs == "GCJ-02":
        coords = [list(wgs84_to_gcj02(lon, lat)) for lon, lat in coords]
    coords = [[round(lon, 7), round(lat, 7)] for lon, lat in coords]
    tz = dt.timezone(dt.timedelta(hours=8))
    start = dt.datetime(2024, 3, 1, 8, tzinfo=tz) + dt.timedelta(hours=3 * i)
    times = [(start + dt.timedelta(seconds=3 * j)).isoformat() for j in range(n)]
    body = {
        "id": str(uuid.UUID(int=rng.getrandbits(128), version=4)),
        "reach": reach_id,
        "started_at": start.isoformat(),
        "ended_at": (start + dt.timedelta(seconds=3 * (n - 1))).isoformat(),
        "companions": rng.randrange(0, 4),
        "mode": "foot",
        "track": {"type": "LineString", "coordinates": coords},
        "times": times,
        "crs": crs,
    }
    return json.dumps(body, separators=(",", ":")).encode()


# --------------------------------------------------------------------------- load


def post(port: int, token: str, body: bytes) -> tuple[int, float]:
    t0 = time.perf_counter()
    conn = http.client.HTTPConnection(HOST, port, timeout=30)
    try:
        conn.request(
            "POST",
            "/api/v1/patrols/",
            body=body,
            headers={"Authorization": f"Token {token}", "Content-Type": "application/json"},
        )
        resp = conn.getresponse()
        resp.read()
        status = resp.status
    finally:
        conn.close()
    return status, (time.perf_counter() - t0) * 1000


def phase(
    port: int, tokens: list[str], bodies: list[list[bytes]], seconds: float
) -> tuple[list[float], dict[int, int], float, list[int]]:
    """Each client posts its bodies in turn until done or the time is up. Returns latencies (ms),
    status counts, wall seconds and how many bodies each client sent."""
    latencies: list[float] = []
    counts = [0] * len(tokens)
    statuses: dict[int, int] = {}
    lock = threading.Lock()
    barrier = threading.Barrier(len(tokens) + 1)
    deadline = [0.0]

    def client(k: int) -> None:
        barrier.wait()
        for body in bodies[k]:
            if time.perf_counter() > deadline[0]:
                break
            status, ms = post(port, tokens[k], body)
            counts[k] += 1
            with lock:
                latencies.append(ms)
                statuses[status] = statuses.get(status, 0) + 1

    threads = [threading.Thread(target=client, args=(k,)) for k in range(len(tokens))]
    for t in threads:
        t.start()
    deadline[0] = time.perf_counter() + seconds
    t0 = time.perf_counter()
    barrier.wait()
    for t in threads:
        t.join()
    return latencies, statuses, time.perf_counter() - t0, counts


def _cpu_seconds(pids: list[int]) -> dict[int, float]:
    """utime + stime of each process, from /proc (Linux)."""
    tick = os.sysconf("SC_CLK_TCK")
    out = {}
    for pid in pids:
        try:
            fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        out[pid] = (int(fields[11]) + int(fields[12])) / tick
    return out


def _used(before: dict[int, float], after: dict[int, float]) -> float:
    """CPU seconds used between two samples by the processes alive at both."""
    return sum(after[pid] - before[pid] for pid in after if pid in before)


def server_pids(master: int, db: str) -> list[int]:
    """The gunicorn workers (children of the master) and the PostgreSQL backends of the database."""
    pids = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
            cmdline = (entry / "cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace")
        except OSError:
            continue
        ppid = int(stat.rsplit(")", 1)[1].split()[1])
        if ppid == master or (cmdline.startswith("postgres:") and f" {db} " in cmdline):
            pids.append(int(entry.name))
    return pids


class LoadSampler:
    """The 1-minute load average, sampled every half second while the block runs (other test runs on
    the machine show here: the server's CPU per request is the figure that does not depend on them)."""

    def __init__(self) -> None:
        self.samples: list[float] = []
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def _run(self) -> None:
        while not self._stop.wait(0.5):
            self.samples.append(os.getloadavg()[0])

    def __enter__(self) -> LoadSampler:
        self.samples.append(os.getloadavg()[0])
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join()
        self.samples.append(os.getloadavg()[0])

    def __str__(self) -> str:
        s = self.samples
        return f"mean {sum(s) / len(s):.2f}, max {max(s):.2f} on {os.cpu_count()} CPUs"


def pct(values: list[float], p: float) -> float:
    s = sorted(values)
    return s[min(len(s) - 1, max(0, math.ceil(p / 100 * len(s)) - 1))] if s else float("nan")


def report(name: str, lat: list[float], statuses: dict[int, int], wall: float) -> None:
    ok = sum(v for k, v in statuses.items() if 200 <= k < 300)
    print(
        f"{name:<12} {len(lat):>6} requests in {wall:6.2f} s: {ok / wall:7.1f} patrols/s; "
        f"latency ms p50 {pct(lat, 50):6.1f}  p95 {pct(lat, 95):6.1f}  p99 {pct(lat, 99):6.1f}  "
        f"max {max(lat) if lat else float('nan'):6.1f}; statuses {dict(sorted(statuses.items()))}"
    )


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--clients", type=int, default=16)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--threads", type=int, default=1, help="threads per worker (1: sync workers)")
    parser.add_argument("--points", type=int, default=2000)
    parser.add_argument("--per-client", type=int, default=120, help="most posts per client in each phase")
    parser.add_argument("--seconds", type=float, default=60.0, help="time bound of each phase")
    parser.add_argument("--crs", default="EPSG:4326", choices=["EPSG:4326", "GCJ-02"])
    parser.add_argument("--db", default="hz_bench_patrols")
    parser.add_argument("--keep", action="store_true", help="keep the database afterwards (for inspection)")
    args = parser.parse_args()

    sys.path.insert(0, str(ROOT))
    db = args.db
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "config.settings.production",
        "DATABASE_URL": f"postgis://{PG['user']}@{PG['host']}:{PG['port']}/{db}",
        "DJANGO_SECRET_KEY": secrets.token_urlsafe(48),
        "CELERY_BROKER_URL": "redis://127.0.0.1:6379/14",
        "CACHE_URL": "rediscache://127.0.0.1:6379/13",
        "DJANGO_ALLOWED_HOSTS": HOST,
        "LOG_LEVEL": "WARNING",
        "DB_CONN_MAX_AGE": "600",
    }
    port = free_port()
    tmp = tempfile.mkdtemp(prefix="hz-bench-")
    pidfile = Path(tmp) / "gunicorn.pid"
    gunicorn: subprocess.Popen[bytes] | None = None
    psql(f"DROP DATABASE IF EXISTS {db}")
    psql(f"CREATE DATABASE {db}")
    try:
        psql("CREATE EXTENSION IF NOT EXISTS postgis", db=db)
        print(f"database {db}: migrating …", flush=True)
        run([PY, "manage.py", "migrate", "--noinput"], env)
        seed = run(
            [PY, "manage.py", "shell", "--no-imports", "-c", SEED.replace("NCLIENTS", str(args.clients))], env
        ).stdout
        data = json.loads(seed[seed.index("SEED") + 4 :])
        reach_id, reach_coords, tokens = data["reach"], data["coords"], data["tokens"]

        print(
            f"building {args.clients}×({args.per_client}+3) bodies of {args.points} points ({args.crs}) …", flush=True
        )
        rng = random.Random(5)
        bodies = [
            [build_body(rng, reach_id, reach_coords, k, i, args.points, args.crs) for i in range(args.per_client + 3)]
            for k in range(args.clients)
        ]
        print(f"body size {len(bodies[0][0]) / 1024:.0f} KiB", flush=True)

        gunicorn = subprocess.Popen(  # noqa: S603
            [
                GUNICORN,
                "config.wsgi:application",
                "-w",
                str(args.workers),
                "--threads",
                str(args.threads),
                "-b",
                f"{HOST}:{port}",
                "-p",
                str(pidfile),
                "--access-logfile",
                "/dev/null",
                "--error-logfile",
                str(Path(tmp) / "gunicorn.log"),
            ],
            env=env,
            cwd=ROOT,
        )
        for _ in range(100):
            try:
                conn = http.client.HTTPConnection(HOST, port, timeout=2)
                conn.request("GET", "/healthz")
                if conn.getresponse().status == 200:
                    break
            except OSError:
                time.sleep(0.2)
        else:
            raise RuntimeError("gunicorn did not come up")

        # Warm-up: the last 3 bodies of each client, posted and resent, outside the measurement.
        warm = [b[-3:] for b in bodies]
        phase(port, tokens, warm, 60)
        measured = [b[: args.per_client] for b in bodies]

        kind = "sync" if args.threads == 1 else f"gthread ×{args.threads}"
        print(
            f"\n{args.clients} clients, {args.workers} gunicorn {kind} workers, PostGIS, {args.points}-point tracks; "
            f"load average before: {os.getloadavg()[0]:.2f} on {os.cpu_count()} CPUs"
        )
        # The warm-up opened every worker's persistent connection (DB_CONN_MAX_AGE in env), so the same
        # backends serve both phases.
        pids = server_pids(int(pidfile.read_text().strip()), db)
        pg = [p for p in pids if Path(f"/proc/{p}/cmdline").read_bytes().startswith(b"postgres")]
        cpu0, pg0 = _cpu_seconds(pids), _cpu_seconds(pg)
        client0 = time.process_time()
        with LoadSampler() as load1:
            lat1, st1, wall1, counts = phase(port, tokens, measured, args.seconds)
        client1 = time.process_time()
        cpu1, pg1 = _cpu_seconds(pids), _cpu_seconds(pg)
        report("first posts", lat1, st1, wall1)
        print(f"{'':12} load average (1 min) during the phase: {load1}")
        # Resend exactly what the first phase sent (the time bound may have cut it short).
        sent = [b[: counts[k]] for k, b in enumerate(measured)]
        with LoadSampler() as load2:
            lat2, st2, wall2, _ = phase(port, tokens, sent, args.seconds)
        client2 = time.process_time()
        cpu2, pg2 = _cpu_seconds(pids), _cpu_seconds(pg)
        report("resends", lat2, st2, wall2)
        print(f"{'':12} load average (1 min) during the phase: {load2}")
        n1, n2 = max(1, len(lat1)), max(1, len(lat2))
        print(
            f"server CPU per request: first post {_used(cpu0, cpu1) * 1000 / n1:.1f} ms "
            f"(PostgreSQL {_used(pg0, pg1) * 1000 / n1:.1f}), resend {_used(cpu1, cpu2) * 1000 / n2:.1f} ms "
            f"(PostgreSQL {_used(pg1, pg2) * 1000 / n2:.1f})"
        )
        print(
            f"load generator CPU per request (this process, all client threads): first post "
            f"{(client1 - client0) * 1000 / n1:.1f} ms, resend {(client2 - client1) * 1000 / n2:.1f} ms"
        )

        count = run(
            [
                PY,
                "manage.py",
                "shell",
                "--no-imports",
                "-c",
                "from patrols.models import Patrol; print(Patrol.objects.count())",
            ],
            env,
        ).stdout.strip()
        expected = st1.get(201, 0) + args.clients * 3
        print(f"patrol rows: {count} (expected {expected}: 201s of the measured phase + the warm-up)")
        target = pct(lat1, 99) < 150 and st1.get(201, 0) / wall1 >= 100
        cheaper = pct(lat2, 50) < pct(lat1, 50)
        print(
            f"targets: p99 < 150 ms and ≥ 100 patrols/s: {'met' if target else 'NOT met'}; "
            f"resend cheaper than first post: {'yes' if cheaper else 'NO'}"
        )
        return 0 if target and cheaper and str(expected) == count else 1
    finally:
        if gunicorn is not None:
            try:
                pid = int(pidfile.read_text().strip())
                os.kill(pid, signal.SIGTERM)
            except (OSError, ValueError):
                gunicorn.terminate()
            try:
                gunicorn.wait(timeout=30)
            except subprocess.TimeoutExpired:
                gunicorn.kill()
        if not args.keep:
            psql(f"DROP DATABASE IF EXISTS {db} WITH (FORCE)")


if __name__ == "__main__":
    sys.exit(main())
