"""Readings ingest through the HTTP batch endpoint into PostGIS, against a raw COPY of the same rows.

    .venv/bin/python benchmarks/water_ingest.py [--clients 4] [--meters 200] [--batches 240] [--workers 2]

What it does (about two minutes on the 2-core machine):

1. creates its own database (hz_bench_water, dropped first), migrates it, seeds one intake and one
   meter per meter slot, and one device account (with a device token) per client, each owning an
   equal share of the meters;
2. serves the project with gunicorn (2 sync workers, production settings) on 127.0.0.1;
3. sends batches of 5,000 readings (each client: its meters × consecutive hours, in order, as an RTU
   gateway does) from `--clients` threads over keep-alive HTTP connections, all bodies built before
   the clock starts; prints readings/s, and the peak RSS of each worker after each quarter of the
   batches (it must stay flat);
4. checks that every reading is stored once and that the daily volumes are current (they sum to the
   register change of each meter);
5. resends every batch (all duplicates) and prints its rate: it must not be slower than the first send;
6. COPYs the same rows into an empty copy of the readings table (same columns, keys and constraints)
   on one connection, in PostgreSQL's default text format and in binary, each in batches of 5,000
   with a commit each and as one single COPY; prints every rate and the endpoint's share of each.

Targets (issue 3): ≥ 60,000 readings/s, ≥ 40 % of the raw COPY rate, resend no slower, RSS flat.
"""

from __future__ import annotations

import argparse
import datetime as dt
import http.client
import json
import os
import secrets
import signal
import socket
import subprocess
import sys
import threading
import time
from decimal import Decimal
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
PY = str(ROOT / ".venv" / "bin" / "python")
GUNICORN = str(ROOT / ".venv" / "bin" / "gunicorn")
DB = "hz_bench_water"
PG = "postgresql://postgres@127.0.0.1:5432"
BATCH = 5000
T0 = dt.datetime(2024, 1, 1, tzinfo=dt.timezone(dt.timedelta(hours=8)))


def env() -> dict[str, str]:
    return dict(
        os.environ,
        DATABASE_URL=f"postgis://postgres@127.0.0.1:5432/{DB}",
        DJANGO_SETTINGS_MODULE="config.settings.production",
        DJANGO_SECRET_KEY=secrets.token_urlsafe(48),
        CELERY_BROKER_URL="redis://127.0.0.1:6379/14",
        CACHE_URL="redis://127.0.0.1:6379/13",
        DJANGO_DEBUG="0",
        LOG_LEVEL="WARNING",
    )


def create_database() -> None:
    import psycopg

    with psycopg.connect(f"{PG}/postgres", autocommit=True) as conn:
        conn.execute(f"DROP DATABASE IF EXISTS {DB} WITH (FORCE)")
        conn.execute(f"CREATE DATABASE {DB}")
    with psycopg.connect(f"{PG}/{DB}", autocommit=True) as conn:
        conn.execute("CREATE EXTENSION IF NOT EXISTS postgis")

    subprocess.run([PY, "manage.py", "migrate", "--noinput", "-v0"], cwd=ROOT, env=env(), check=True)  # noqa: S603


def seed(clients: int, meters: int, lock: bool = False) -> tuple[list[str], list[list[str]], dict[str, int]]:
    """One intake + meter per slot; one device account and token per client. In-process Django."""
    os.environ.update(env())
    import django

    django.setup()
    from django.contrib.gis.geos import MultiPolygon, Point, Polygon

    from accounts.choices import Role, TokenKind
    from accounts.models import User
    from accounts.services import token_issue
    from places.services import division_upsert
    from water import services

    box = MultiPolygon(Polygon.from_bbox((87.4, 43.6, 87.8, 44.0)), srid=4326)
    division, _ = division_upsert(code="650100", name="乌鲁木齐市", boundary=box, actor="bench")
    tokens, owned, ids = [], [], {}
    per_client = meters // clients
    for c in range(clients):
        device = User.objects.create(username=f"bench-gw-{c}", role=Role.DEVICE)
        _, secret = token_issue(user=device, kind=TokenKind.DEVICE, name="bench")
        tokens.append(secret)
        serials = []
        for k in range(per_client):
            n = c * per_client + k
            intake = services.intake_create(
                actor="bench",
                code=f"B-{n:04d}",
                name=f"bench {n}",
                source_type="river",
                location=Point(87.6, 43.8, srid=4326),
                division=division,
                main_use="supply",
                capacity_m3s=Decimal(1),
            )
            meter = services.meter_create(
                actor="bench",
                intake=intake,
                serial=f"BM-{n:04d}",
                installed_at=T0,
                install_reading_m3=Decimal(1000),
                device=device,
            )
            serials.append(meter.serial)
            ids[meter.serial] = meter.pk
        owned.append(serials)
    if lock:
        # December 2023 locked: every batch then finds an active lock and checks its rows against it.
        from accounts.scope import Scope
        from water import plan_services

        plan_services.ledger_lock(
            actor="bench",
            scope=Scope(user_id=None, role=Role.ADMIN, everything=True),
            division=division,
            month=dt.date(2023, 12, 1),
            note="bench",
        )
    from django.db import connections

    connections.close_all()
    return tokens, owned, ids


def rate_of(serial: str) -> float:
    return 5 + (int(serial[-4:]) * 37) % 45  # m³ per hour, well under 1 m³/s


def value(serial: str, hour: int) -> float:
    # A steady rate with a repeatable wobble: never decreasing, never a jump.
    return round(1000 + hour * rate_of(serial) + (hour * 7919 + int(serial[-4:])) % 97 / 100, 3)


def build(owned: list[list[str]], batches: int) -> list[list[tuple[bytes, list[tuple[str, int, float]]]]]:
    """Per client: its batches as (JSON body, rows)."""
    per_client = batches // len(owned)
    out = []
    for serials in owned:
        span = BATCH // len(serials)
        mine = []
        for b in range(per_client):
            rows = []
            for s in serials:
                for h in range(b * span + 1, (b + 1) * span + 1):
                    rows.append((s, h, value(s, h)))
            body = {
                "readings": [
                    {
                        "meter": s,
                        "observed_at": (T0 + dt.timedelta(hours=h)).isoformat(),
                        "cumulative_m3": v,
                        "flow_m3s": round(rate_of(s) / 3600, 6),
                    }
                    for s, h, v in rows
                ]
            }
            mine.append((json.dumps(body).encode(), rows))
        out.append(mine)
    return out


def free_port() -> int:
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    return port


class Server:
    def __init__(self, workers: int) -> None:
        self.port = free_port()
        self.pidfile = f"/tmp/hz_bench_water_{self.port}.pid"  # noqa: S108 - a throwaway pid file
        self.proc = subprocess.Popen(  # noqa: S603 - this checkout's gunicorn, fixed arguments
            [
                GUNICORN,
                "config.wsgi",
                "-w",
                str(workers),
                "-b",
                f"127.0.0.1:{self.port}",
                "-p",
                self.pidfile,
                "--timeout",
                "300",
                "--log-level",
                "warning",
            ],
            cwd=ROOT,
            env=env(),
            start_new_session=True,
        )
        for _ in range(100):
            try:
                c = http.client.HTTPConnection("127.0.0.1", self.port, timeout=2)
                c.request("GET", "/healthz")
                c.getresponse().read()
                break
            except OSError:
                time.sleep(0.2)
        time.sleep(1.0)

    def workers(self) -> list[int]:
        master = int(Path(self.pidfile).read_text().strip())
        children = Path(f"/proc/{master}/task/{master}/children").read_text().split()
        return [int(pid) for pid in children]

    def rss(self) -> list[tuple[int, int, int]]:
        """(pid, VmRSS MiB, VmHWM MiB) per worker."""
        out = []
        for pid in self.workers():
            status = Path(f"/proc/{pid}/status").read_text()
            fields = dict(line.split(":", 1) for line in status.splitlines() if ":" in line)
            out.append((pid, int(fields["VmRSS"].split()[0]) // 1024, int(fields["VmHWM"].split()[0]) // 1024))
        return out

    def stop(self) -> None:
        if self.proc.poll() is None:
            os.killpg(self.proc.pid, signal.SIGTERM)
            self.proc.wait(timeout=30)


def send_all(port: int, tokens: list[str], bodies, on_progress=None) -> tuple[float, list[dict]]:
    """Every client sends its batches in order over one keep-alive connection; returns (seconds, answers)."""
    answers: list[dict] = []
    errors: list[str] = []
    lock = threading.Lock()
    total = sum(len(b) for b in bodies)
    done = [0]
    barrier = threading.Barrier(len(tokens) + 1)

    def client(token: str, mine) -> None:
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=300)
        headers = {"Content-Type": "application/json", "Authorization": f"Token {token}", "Accept": "application/json"}
        barrier.wait()
        for body, _ in mine:
            conn.request("POST", "/api/v1/water/readings/", body=body, headers=headers)
            resp = conn.getresponse()
            data = resp.read()
            if resp.status not in (200, 201):
                with lock:
                    errors.append(f"HTTP {resp.status}: {data[:300]!r}")
                return
            with lock:
                answers.append(json.loads(data))
                done[0] += 1
                if on_progress is not None:
                    on_progress(done[0], total)
        conn.close()

    threads = [threading.Thread(target=client, args=(t, b)) for t, b in zip(tokens, bodies, strict=True)]
    for t in threads:
        t.start()
    barrier.wait()
    start = time.perf_counter()
    for t in threads:
        t.join()
    elapsed = time.perf_counter() - start
    if errors:
        raise SystemExit("ingest failed: " + errors[0])
    return elapsed, answers


def raw_copy(bodies, ids: dict[str, int]) -> tuple[dict[str, float], int]:
    """Rows/s of COPY FROM STDIN into an empty copy of water_reading, one connection, the rows
    prepared as Python values before the clock starts: in PostgreSQL's default text format and in
    binary, each in batches of 5,000 with a commit each and as one COPY."""
    import psycopg

    batches = []
    for mine in bodies:
        for _, rows in mine:
            batches.append([(ids[s], T0 + dt.timedelta(hours=h), Decimal(repr(v)), None, "api") for s, h, v in rows])
    n = sum(len(b) for b in batches)
    columns = "bench_copy (meter_id, observed_at, cumulative_m3, flow_m3s, source)"
    results = {}
    with psycopg.connect(f"{PG}/{DB}") as conn:
        for fmt in ("text", "binary"):
            for single in (False, True):
                conn.execute("DROP TABLE IF EXISTS bench_copy")
                conn.execute("CREATE TABLE bench_copy (LIKE water_reading INCLUDING ALL)")
                conn.commit()
                sql = f"COPY {columns} FROM STDIN" + (" (FORMAT BINARY)" if fmt == "binary" else "")
                start = time.perf_counter()
                cur = conn.cursor()
                for group in [[row for batch in batches for row in batch]] if single else batches:
                    with cur.copy(sql) as copy:
                        if fmt == "binary":
                            copy.set_types(["int8", "timestamptz", "numeric", "float8", "text"])
                        for row in group:
                            copy.write_row(row)
                    conn.commit()
                results[f"{fmt}, {'one COPY' if single else 'batches of 5,000'}"] = n / (time.perf_counter() - start)
        conn.execute("DROP TABLE bench_copy")
        conn.commit()
    return results, n


def _one(conn: Any, sql: str) -> Any:
    row = conn.execute(sql).fetchone()
    if row is None:
        raise SystemExit(f"no row from {sql}")
    return row[0]


def verify(ids: dict[str, int], hours: int) -> None:
    """Every reading stored once; each meter's daily volumes sum to its register change."""
    import psycopg

    with psycopg.connect(f"{PG}/{DB}") as conn:
        stored = _one(conn, "SELECT count(*) FROM water_reading WHERE source <> 'install'")
        want = len(ids) * hours
        if stored != want:
            raise SystemExit(f"stored {stored} readings, expected {want}")
        sums: dict[str, Decimal] = dict(
            conn.execute(
                "SELECT m.serial, sum(d.measured_m3 + d.estimated_m3 + d.corrected_m3) FROM water_dailyvolume d "
                "JOIN water_meter m ON m.id = d.meter_id GROUP BY m.serial"
            ).fetchall()
        )
        for serial in ids:
            expected = Decimal(repr(value(serial, hours))) - 1000
            if abs(sums.get(serial, 0) - expected) > Decimal("0.001"):
                raise SystemExit(f"{serial}: daily volumes sum to {sums.get(serial)}, register moved {expected}")
        flagged = _one(conn, "SELECT coalesce(sum(n_flagged), 0) FROM water_dailyvolume")
        if flagged:
            raise SystemExit(f"{flagged} readings flagged in a clean series")


def main() -> None:
    global DB  # the helpers read the one database name
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--clients", type=int, default=4)
    ap.add_argument("--meters", type=int, default=200)
    ap.add_argument("--batches", type=int, default=240)
    ap.add_argument("--workers", type=int, default=2)
    ap.add_argument("--db", default=DB, help=f"database to create (dropped first; default {DB})")
    ap.add_argument(
        "--lock",
        action="store_true",
        help="lock the month before the readings first (ledger lock: every batch checks it)",
    )
    args = ap.parse_args()
    DB = args.db
    began = time.perf_counter()
    print(f"database {DB}: create, migrate, seed {args.meters} meters for {args.clients} device clients")
    create_database()
    tokens, owned, ids = seed(args.clients, args.meters, args.lock)
    bodies = build(owned, args.batches)
    n_batches = sum(len(b) for b in bodies)
    n_rows = n_batches * BATCH
    hours = (BATCH // (args.meters // args.clients)) * (args.batches // args.clients)
    print(
        f"{n_batches} batches of {BATCH} readings ({n_rows:,} readings, {hours} hours per meter), "
        f"{sum(len(b) for c in bodies for b, _ in c) / n_batches / 1e6:.2f} MB per body"
    )

    server = Server(args.workers)
    try:
        print(f"gunicorn: {args.workers} sync workers on 127.0.0.1:{server.port}, production settings")
        marks = {round(n_batches * q / 4) for q in (1, 2, 3, 4)}
        rss_log: list[str] = []

        def progress(done: int, total: int) -> None:
            if done in marks:
                hwm = ", ".join(f"pid {pid}: RSS {r} MiB, peak {h} MiB" for pid, r, h in server.rss())
                rss_log.append(f"  after {done:>4} batches: {hwm}")

        elapsed, answers = send_all(server.port, tokens, bodies, progress)
        created = sum(a["created"] for a in answers)
        rate = n_rows / elapsed
        per_batch = elapsed / n_batches * args.clients * 1000
        print(
            f"first send: {n_rows:,} readings in {elapsed:.2f} s = {rate:,.0f} readings/s "
            f"({created:,} created, {per_batch:.0f} ms per batch per client)"
        )
        print("peak RSS of the workers (must stay flat):")
        print("\n".join(rss_log))
        verify(ids, hours)
        print("check: every reading stored once; daily volumes sum to each meter's register change; nothing flagged")

        r_elapsed, r_answers = send_all(server.port, tokens, bodies)
        dups = sum(a["duplicates"] for a in r_answers)
        print(
            f"resend: {n_rows:,} readings in {r_elapsed:.2f} s = {n_rows / r_elapsed:,.0f} readings/s "
            f"({dups:,} duplicates, {sum(a['created'] for a in r_answers)} created); "
            f"{r_elapsed / elapsed:.2f}× the first send's time"
        )
        print("  after resend: " + ", ".join(f"pid {p}: RSS {r} MiB, peak {h} MiB" for p, r, h in server.rss()))
    finally:
        server.stop()

    copies, n = raw_copy(bodies, ids)
    print(f"raw COPY of the same {n:,} rows into an empty copy of the readings table (one connection):")
    for label, r in copies.items():
        print(f"  {label:<28} {r:>9,.0f} rows/s   endpoint = {rate / r:.0%} of it")
    default = copies["text, batches of 5,000"]
    share = rate / default
    print(
        f"targets: ≥ 60,000 readings/s: {'met' if rate >= 60_000 else 'NOT met'}; ≥ 40 % of COPY (default text "
        f"format, same 5,000-row transactions): {'met' if share >= 0.40 else 'NOT met'} ({share:.0%}); "
        f"resend no slower: {'met' if r_elapsed <= elapsed else 'NOT met'}; RSS flat: see above"
    )
    print(f"load average during the run: {os.getloadavg()[0]:.2f} (2 cores); total {time.perf_counter() - began:.0f} s")


if __name__ == "__main__":
    main()
