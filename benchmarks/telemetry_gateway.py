"""End-to-end gateway speed (issue 18: "at least 20,000 frames/s stored and acknowledged with 200 connections";
issue 4 asked for 5,000).

    DATABASE_URL=postgis://postgres@127.0.0.1:5432/hz_gwbench .venv/bin/python benchmarks/telemetry_gateway.py \\
        [--frames 60000] [--connections 200] [--protocol szy206|sl651] [--batch-size 2000] [--flush-ms 200] \\
        [--db-writers 2]

What it does:
1. creates the database if missing, migrates it, and makes sure an intake with one meter per station exists
   (``rtu_address`` = the simulated station, profile ``szy206-2016`` or ``sl651;volume_element=FF01``); the
   RTU readings and daily volumes of those meters from earlier runs are removed, so every run stores the same;
2. starts ``manage.py telemetry_gateway`` as its own process (as in production: one process, the event loop
   decoding while one database thread stores);
3. replays the frames from this process over ``--connections`` concurrent connections (each a station sending
   its backlog, ``water.telemetry.simulator``), and waits for every acknowledgement — the gateway acknowledges
   a report only after its reading has committed, so the last ack marks the end of storing;
4. stops the gateway with SIGTERM and counts the readings in the database.

Printed: frames sent, acks, readings counted in the database, frames decoded and stored per second end to end
(rows in the database ÷ seconds from the first byte sent to the last ack), the gateway's own counters, and the
load average before, during (peak of the 1-minute figure, sampled every second) and after: the machine is shared,
and the wall-clock figure is only meaningful next to it. So also the CPU it took: the gateway process and the
PostgreSQL backends serving it (read from /proc; the server runs on this machine), as CPU-seconds per 1,000
frames and frames per CPU-second, which a loaded machine changes far less (it still inflates them somewhat: shared
caches and cores), and the simulated stations' own CPU (this process, on the same cores). Where the gateway's CPU
goes stage by stage: ``benchmarks/telemetry_stages.py``.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import re
import signal
import subprocess
import sys
import tempfile
import threading
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.local")
os.environ.setdefault("DATABASE_URL", "postgis://postgres@127.0.0.1:5432/hz_gwbench")

TARGET = 20_000


def ensure_database(url: str) -> None:
    import psycopg

    match = re.match(r"postgis://([^@/]+)@([^:/]+):(\d+)/(\w+)$", url)
    if match is None:
        raise SystemExit(f"DATABASE_URL must be postgis://user@host:port/name, not {url!r}")
    user, host, port, name = match.groups()
    with psycopg.connect(f"host={host} port={port} user={user} dbname=postgres", autocommit=True) as conn:
        if conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name]).fetchone() is None:
            conn.execute(f'CREATE DATABASE "{name}"')
    with psycopg.connect(f"host={host} port={port} user={user} dbname={name}", autocommit=True) as conn:
        conn.execute("CREATE EXTENSION IF NOT EXISTS postgis")


def prepare(protocol: str, stations: int, installed: datetime) -> list[int]:
    """Migrate; (re)create the intake and one meter per station, installed at ``installed`` (just before the
    simulated window: a meter's first report after a long silence spreads its volume over every day in between,
    which is the ingest's job but not what a gateway in steady state sees); returns the meter ids."""
    import django

    django.setup()
    from django.contrib.gis.geos import MultiPolygon, Point, Polygon
    from django.core.management import call_command
    from django.db import connection, transaction

    from places.services import division_upsert
    from water import services
    from water.models import Intake, Meter
    from water.telemetry.simulator import SL651_PROFILE, SZY206_PROFILE, station_address

    call_command("migrate", verbosity=0)
    division, _ = division_upsert(
        code="650102",
        name="天山区",
        boundary=MultiPolygon(Polygon.from_bbox((87.6, 43.6, 87.8, 44.0)), srid=4326),
        actor="benchmark",
    )
    intake = Intake.objects.filter(code="BENCH-GW").first() or services.intake_create(
        actor="benchmark",
        code="BENCH-GW",
        name="网关基准取水口",
        source_type="river",
        location=Point(87.7, 43.9, srid=4326),
        division=division,
        main_use="supply",
    )
    old = list(Meter.objects.filter(intake=intake).values_list("pk", flat=True))
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("DELETE FROM water_reading WHERE meter_id = ANY(%s) AND source = 'rtu'", [old])
        cursor.execute("DELETE FROM water_dailyvolume WHERE meter_id = ANY(%s)", [old])
        cursor.execute("DELETE FROM water_telemetrystation WHERE meter_id = ANY(%s)", [old])
    for meter in Meter.objects.filter(pk__in=old):
        services.meter_delete(meter=meter, actor="benchmark")
    profile = SZY206_PROFILE if protocol == "szy206" else SL651_PROFILE
    ids = []
    for index in range(1, stations + 1):
        meter = services.meter_create(
            actor="benchmark",
            intake=intake,
            serial=f"BENCH-{protocol}-{index:04d}",
            installed_at=installed,
            protocol=protocol,
            rtu_address=station_address(protocol, index),
            decoding_profile=profile,
        )
        ids.append(meter.pk)
    return ids


def count_rows(ids: list[int]) -> tuple[int, int]:
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT count(*), count(raw_frame) FROM water_reading WHERE meter_id = ANY(%s) AND source = 'rtu'", [ids]
        )
        total, with_frame = cursor.fetchone()
    return total, with_frame


def cpu_seconds(pid: int) -> float:
    """User + system CPU seconds of a process so far (Linux /proc), or NaN elsewhere."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return float("nan")
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def backend_cpu(own_pid: int) -> dict[int, float]:
    """CPU seconds so far of every PostgreSQL backend of this database but our own connection's."""
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("SELECT pid FROM pg_stat_activity WHERE datname = current_database() AND pid <> %s", [own_pid])
        pids = [pid for (pid,) in cursor.fetchall()]
    return {pid: cpu_seconds(pid) for pid in pids}


def own_backend() -> int:
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_backend_pid()")
        return int(cursor.fetchone()[0])


class LoadSampler(threading.Thread):
    def __init__(self) -> None:
        super().__init__(daemon=True)
        self.peak = 0.0
        self.samples: list[float] = []
        self.stop_event = threading.Event()

    def run(self) -> None:
        while not self.stop_event.wait(1.0):
            one = os.getloadavg()[0]
            self.samples.append(one)
            self.peak = max(self.peak, one)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--frames", type=int, default=60_000)
    parser.add_argument("--connections", type=int, default=200)
    parser.add_argument("--protocol", choices=["szy206", "sl651"], default="szy206")
    parser.add_argument("--batch-size", type=int, default=2000)
    parser.add_argument("--flush-ms", type=float, default=200)
    parser.add_argument("--db-writers", type=int, default=2, help="gateway database writer threads")
    parser.add_argument("--chunk", type=int, default=20, help="frames per write on each connection")
    parser.add_argument("--check", action="store_true", help=f"exit 1 under {TARGET} frames/s")
    parser.add_argument("--port", type=int, default=0, help="gateway port on 127.0.0.1 (0: any free port)")
    parser.add_argument("--profile", default="", help="run the gateway under cProfile, writing its stats here")
    args = parser.parse_args()

    url = os.environ["DATABASE_URL"]
    ensure_database(url)
    per_station = -(-args.frames // args.connections)
    end = datetime.now(UTC).replace(second=0, microsecond=0) - timedelta(minutes=1)
    ids = prepare(args.protocol, args.connections, end - timedelta(minutes=per_station + 5))

    from water.telemetry import simulator

    plan = simulator.plan(
        args.protocol, count=args.frames, connections=args.connections, step=timedelta(minutes=1), end=end
    )
    print(
        f"{args.frames:,} {args.protocol} frames of {len(plan[0][0])} bytes, {per_station} per station over "
        f"{args.connections} connections"
    )

    env = {**os.environ, "DATABASE_URL": url}
    log_file = tempfile.TemporaryFile(mode="w+")  # noqa: SIM115 - read back after the gateway exits
    gateway = subprocess.Popen(  # noqa: S603 - our own interpreter and manage.py, fixed arguments
        [
            sys.executable,
            *(["-m", "cProfile", "-o", args.profile] if args.profile else []),
            "manage.py",
            "telemetry_gateway",
            "--port",
            str(args.port),
            "--max-connections",
            str(args.connections + 50),
            "--max-connections-per-peer",
            "0",  # all from 127.0.0.1
            "--batch-size",
            str(args.batch_size),
            "--flush-interval",
            str(args.flush_ms),
            "--max-queue",
            str(max(50_000, args.batch_size * 4)),
            "--db-writers",
            str(args.db_writers),
        ],
        # Its log goes to a file: a pipe nobody reads until the end fills up and blocks the gateway mid-run.
        cwd=ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=log_file,
        text=True,
    )
    try:
        line = gateway.stdout.readline() if gateway.stdout else ""
        match = re.search(r"listening on [\d.]+:(\d+)", line)
        if match is None:
            log_file.seek(0)
            raise SystemExit(f"gateway did not start: {line}{log_file.read()}")
        port = int(match.group(1))
        load_before = os.getloadavg()
        own = own_backend()
        db_before = backend_cpu(own)
        cpu_before = cpu_seconds(gateway.pid)
        sampler = LoadSampler()
        sampler.start()
        sim_before = time.process_time()
        result = asyncio.run(
            simulator.simulate(
                host="127.0.0.1", port=port, frames_by_connection=plan, chunk=args.chunk, ack_timeout=300
            )
        )
        sampler.stop_event.set()
        sim_cpu = time.process_time() - sim_before
        gateway_cpu = cpu_seconds(gateway.pid) - cpu_before
        # Backends that appeared during the run (a writer thread connects at its first batch) count from 0.
        db_cpu = sum(cpu - db_before.get(pid, 0.0) for pid, cpu in backend_cpu(own).items())
        load_during = (sampler.peak, sum(sampler.samples) / len(sampler.samples)) if sampler.samples else (0.0, 0.0)
        gateway.send_signal(signal.SIGTERM)
        out, _ = gateway.communicate(timeout=120)
    finally:
        if gateway.poll() is None:
            gateway.kill()
    stored, with_frame = count_rows(ids)
    load_after = os.getloadavg()
    rate = stored / result.total_seconds if result.total_seconds else 0.0
    stats = re.search(r"telemetry gateway stopped: (\{.*\})", out)
    print(f"frames sent          {result.frames_sent:,} in {result.send_seconds:.2f} s ({result.send_rate:,.0f}/s)")
    print(
        f"acks received        {result.acks:,} (last at {result.total_seconds:.2f} s); "
        f"{result.failed_connections} connections failed"
    )
    print(f"readings in database {stored:,} (with raw frame: {with_frame:,})")
    print(f"END TO END           {rate:,.0f} frames/s decoded and stored (target {TARGET:,})")
    print(
        f"gateway process      {gateway_cpu:.2f} CPU-s from the first frame to the last ack "
        f"({gateway_cpu / result.total_seconds:.0%} of one core): "
        f"{stored / gateway_cpu:,.0f} frames per gateway CPU-second = "
        f"{gateway_cpu / stored * 1e6:.1f} µs per frame"
    )
    total_cpu = gateway_cpu + db_cpu
    print(
        f"database backends    {db_cpu:.2f} CPU-s; gateway + database {total_cpu:.2f} CPU-s = "
        f"{total_cpu / stored * 1000:.3f} CPU-s per 1,000 frames = {stored / total_cpu:,.0f} frames per CPU-second "
        f"(the per-core figure: what one quiet core would store end to end)"
    )
    print(
        f"simulated stations   {sim_cpu:.2f} CPU-s (this process, sharing the machine's "
        f"{os.cpu_count()} CPUs with the gateway and the database: wall-clock frames/s is bounded by the CPU "
        f"all three need, so compare runs by the per-CPU-second figures and the load)"
    )
    print(f"gateway counters     {stats.group(1) if stats else '(not printed)'}")
    print(
        f"load average         before {load_before[0]:.2f} / {load_before[1]:.2f} / {load_before[2]:.2f}; "
        f"during: peak 1-min {load_during[0]:.2f}, mean {load_during[1]:.2f}; "
        f"after {load_after[0]:.2f} / {load_after[1]:.2f} / {load_after[2]:.2f} ({os.cpu_count()} CPUs)"
    )
    if gateway.returncode != 0:
        log_file.seek(0)
        print(f"gateway exited with {gateway.returncode}: {log_file.read()[-2000:]}")
        return 1
    if stored != result.frames_sent:
        print(f"MISMATCH: {result.frames_sent} frames sent, {stored} readings stored")
        return 1
    return 1 if args.check and rate < TARGET else 0


if __name__ == "__main__":
    raise SystemExit(main())
