"""Gap backfill at scale (issue 18: "a backfill of one day of 5-minute data from 500 stations within 2 minutes").

    DATABASE_URL=postgis://postgres@127.0.0.1:5432/hz_gwbench .venv/bin/python benchmarks/telemetry_backfill.py \\
        [--stations 500] [--hours 24] [--step-minutes 5] [--linger 300]

What it does:
1. creates the database if missing, migrates it, and makes ``--stations`` SL 651 meters (profile
   ``sl651;volume_element=FF01``, expected interval ``--step-minutes``) on an intake of their own; what earlier
   runs stored for them is removed first (readings, daily rows, station counters, commands), so every run
   does the same work;
2. starts ``manage.py telemetry_gateway`` as its own process (as in production);
3. plays every station as an answering RTU (`water.telemetry.simulator.fleet`): a report, then "offline" for
   ``--hours`` (the reports it keeps: 288 for a day of 5-minute data), then it reconnects with the next report
   and stays online. The gateway sees the gap, queues a 38H period query for it, sends it, and stores the
   answer (a time-step series) as ``rtu_backfill`` readings through the same ingest as the reports;
4. counts the backfilled readings in the database until all are there (or ``--linger`` runs out), then stops
   the gateway with SIGTERM.

Printed: stations, values held back, 38H queries answered, backfilled readings stored, the seconds from the
first reconnect to the last backfilled reading stored (the target's figure) and readings/s, the CPU it took
(gateway process + its PostgreSQL backends) per 1,000 readings, and the load average (the machine is shared).
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
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "benchmarks"))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.local")
os.environ.setdefault("DATABASE_URL", "postgis://postgres@127.0.0.1:5432/hz_gwbench")

from telemetry_gateway import LoadSampler, backend_cpu, cpu_seconds, ensure_database, own_backend  # noqa: E402

TARGET_SECONDS = 120.0
DIVISION = "650103"  # station addresses apart from telemetry_gateway.py's


def prepare(stations: int, step: timedelta, installed: datetime) -> tuple[list[int], list[str]]:
    import django

    django.setup()
    from django.contrib.gis.geos import MultiPolygon, Point, Polygon
    from django.core.management import call_command
    from django.db import connection, transaction

    from places.services import division_upsert
    from water import services
    from water.models import Intake, Meter
    from water.telemetry.simulator import SL651_PROFILE, station_address

    call_command("migrate", verbosity=0)
    division, _ = division_upsert(
        code="650102",
        name="天山区",
        boundary=MultiPolygon(Polygon.from_bbox((87.6, 43.6, 87.8, 44.0)), srid=4326),
        actor="benchmark",
    )
    intake = Intake.objects.filter(code="BENCH-BF").first() or services.intake_create(
        actor="benchmark",
        code="BENCH-BF",
        name="补传基准取水口",
        source_type="river",
        location=Point(87.7, 43.9, srid=4326),
        division=division,
        main_use="supply",
    )
    old = list(Meter.objects.filter(intake=intake).values_list("pk", flat=True))
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("DELETE FROM water_reading WHERE meter_id = ANY(%s) AND source <> 'install'", [old])
        cursor.execute("DELETE FROM water_dailyvolume WHERE meter_id = ANY(%s)", [old])
        cursor.execute("DELETE FROM water_telemetrystation WHERE meter_id = ANY(%s)", [old])
    for meter in Meter.objects.filter(pk__in=old):
        services.meter_delete(meter=meter, actor="benchmark")
    ids, addresses = [], []
    for index in range(1, stations + 1):
        address = station_address("sl651", index, division=DIVISION)
        meter = services.meter_create(
            actor="benchmark",
            intake=intake,
            serial=f"BENCH-BF-{index:04d}",
            installed_at=installed,
            protocol="sl651",
            rtu_address=address,
            decoding_profile=SL651_PROFILE,
            expected_interval_s=int(step.total_seconds()),
        )
        ids.append(meter.pk)
        addresses.append(address)
    return ids, addresses


def backfilled(ids: list[int]) -> int:
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("SELECT count(*) FROM water_reading WHERE meter_id = ANY(%s) AND source = 'rtu_backfill'", [ids])
        return int(cursor.fetchone()[0])


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--stations", type=int, default=500)
    parser.add_argument("--hours", type=float, default=24.0, help="how long each station was offline")
    parser.add_argument("--step-minutes", type=int, default=5, help="report interval")
    parser.add_argument("--linger", type=float, default=300.0, help="seconds to wait for the backfill at most")
    parser.add_argument("--db-writers", type=int, default=2)
    parser.add_argument("--check", action="store_true", help=f"exit 1 over {TARGET_SECONDS:.0f} s")
    args = parser.parse_args()

    url = os.environ["DATABASE_URL"]
    ensure_database(url)
    step = timedelta(minutes=args.step_minutes)
    held = int(timedelta(hours=args.hours) / step)
    end = datetime.now(UTC)
    ids, addresses = prepare(args.stations, step, end - timedelta(hours=args.hours + 6))

    from water.telemetry import simulator

    env = {**os.environ, "DATABASE_URL": url}
    log_file = tempfile.TemporaryFile(mode="w+")  # noqa: SIM115 - read back after the gateway exits
    gateway = subprocess.Popen(  # noqa: S603 - our own interpreter and manage.py, fixed arguments
        [
            sys.executable,
            "manage.py",
            "telemetry_gateway",
            "--port",
            "0",
            "--max-connections",
            str(args.stations + 100),
            "--max-connections-per-peer",
            "0",  # all from 127.0.0.1
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
        t0 = time.perf_counter()
        result = asyncio.run(
            simulator.fleet(
                host="127.0.0.1",
                port=port,
                addresses=addresses,
                count=held + 2,
                held=held,
                step=step,
                linger=args.linger,
                end=end,
            )
        )
        expected = held * args.stations
        stored = backfilled(ids)
        while stored < expected and time.perf_counter() - t0 < args.linger:
            time.sleep(0.25)
            stored = backfilled(ids)
        seconds = time.perf_counter() - t0
        sampler.stop_event.set()
        gateway_cpu = cpu_seconds(gateway.pid) - cpu_before
        db_cpu = sum(cpu - db_before.get(pid, 0.0) for pid, cpu in backend_cpu(own).items())
        gateway.send_signal(signal.SIGTERM)
        out, _ = gateway.communicate(timeout=120)
    finally:
        if gateway.poll() is None:
            gateway.kill()
    load_after = os.getloadavg()
    total_cpu = gateway_cpu + db_cpu
    stats = re.search(r"telemetry gateway stopped: (\{.*\})", out)
    queries = result.commands.get(0x38, 0)
    print(
        f"{args.stations} stations, {held} values each held back ({args.hours:g} h of {args.step_minutes}-minute "
        f"data): {expected:,} values to backfill"
    )
    print(
        f"stations             {result.reports_sent:,} reports sent, {result.acks:,} acks, {queries} 38H queries "
        f"answered, {result.failed} failed"
    )
    print(f"backfilled readings  {stored:,} of {expected:,} in the database")
    print(
        f"BACKFILL             {seconds:.1f} s from the first connection to the last backfilled reading stored "
        f"(target {TARGET_SECONDS:.0f} s): {stored / seconds:,.0f} readings/s"
    )
    print(
        f"CPU                  gateway {gateway_cpu:.2f} CPU-s, database backends {db_cpu:.2f} CPU-s: "
        f"{total_cpu / max(stored, 1) * 1000:.3f} CPU-s per 1,000 readings "
        f"({stored / total_cpu if total_cpu else 0:,.0f} readings per CPU-second)"
    )
    print(f"gateway counters     {stats.group(1) if stats else '(not printed)'}")
    peak = sampler.peak
    mean = sum(sampler.samples) / len(sampler.samples) if sampler.samples else 0.0
    print(
        f"load average         before {load_before[0]:.2f} / {load_before[1]:.2f} / {load_before[2]:.2f}; "
        f"during: peak 1-min {peak:.2f}, mean {mean:.2f}; "
        f"after {load_after[0]:.2f} / {load_after[1]:.2f} / {load_after[2]:.2f} ({os.cpu_count()} CPUs)"
    )
    for error in result.errors[:5]:
        print(f"station error: {error}")
    if gateway.returncode != 0:
        log_file.seek(0)
        print(f"gateway exited with {gateway.returncode}: {log_file.read()[-2000:]}")
        return 1
    if stored != expected:
        print(f"MISMATCH: {expected} values held back, {stored} backfilled readings stored")
        return 1
    return 1 if args.check and seconds > TARGET_SECONDS else 0


if __name__ == "__main__":
    raise SystemExit(main())
