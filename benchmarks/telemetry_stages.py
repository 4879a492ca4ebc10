"""Where the telemetry gateway's CPU goes per frame, stage by stage (issue 18 speed), without sockets.

    DATABASE_URL=postgis://postgres@127.0.0.1:5432/hz_gwbench .venv/bin/python benchmarks/telemetry_stages.py \\
        [--frames 60000] [--connections 200] [--protocol szy206|sl651] [--batch-size 2000]

The same frames and meters as ``benchmarks/telemetry_gateway.py`` (it prepares the database the same way), each
stage run alone over all of them and timed in CPU seconds of this process (``time.process_time``; the least of
three runs, except the gateway pass and the DB write, run once), printed as µs per frame:

- framing: ``FrameSplitter.feed`` on chunks of 20 frames (what one socket read brings), checksum included; and
  the checksum alone (once per frame, as the splitter computes it);
- decode: ``decode_frame`` with the meter's profile, ``crc_checked=True`` as the gateway calls it (the splitter has
  verified the checksum);
- ack: ``build_ack`` (the acknowledgement's bytes);
- per frame in the gateway: ``Gateway._on_frame`` whole (station counters, directory, decode, downlink
  bookkeeping, ack, the reading handed to its writer's queue); minus decode and ack, that is the queueing;
- DB write: ``telemetry_readings_store`` in batches as the writers send them: this process's CPU (Python side:
  the gateway's row checks, then the ingest service building the COPY, the daily volumes, the audit row) and the
  PostgreSQL backend's CPU (from /proc). In the gateway the Python side runs in the writer threads, which share
  the interpreter lock with the event loop: it is gateway CPU like the rest.

What the stages do not cover, the socket reads, the ack writes and the event loop, is the end-to-end gateway
CPU per frame (``telemetry_gateway.py``) minus the sum printed here.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import sys
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "benchmarks"))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.local")
os.environ.setdefault("DATABASE_URL", "postgis://postgres@127.0.0.1:5432/hz_gwbench")


def _cpu(fn, *args, repeat: int = 3):
    """The least CPU time of ``repeat`` runs (the machine is shared: the least is the least disturbed)."""
    best = float("inf")
    for _ in range(repeat):
        t0 = time.process_time()
        result = fn(*args)
        best = min(best, time.process_time() - t0)
    return best, result


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--frames", type=int, default=60_000)
    parser.add_argument("--connections", type=int, default=200)
    parser.add_argument("--protocol", choices=["szy206", "sl651"], default="szy206")
    parser.add_argument("--batch-size", type=int, default=2000)
    args = parser.parse_args()

    import telemetry_gateway as bench  # the end-to-end benchmark's database preparation

    bench.ensure_database(os.environ["DATABASE_URL"])
    per_station = -(-args.frames // args.connections)
    end = datetime.now(UTC).replace(second=0, microsecond=0) - timedelta(minutes=1)
    ids = bench.prepare(args.protocol, args.connections, end - timedelta(minutes=per_station + 5))

    from django.db import connection

    from water.telemetry import simulator
    from water.telemetry.crc import crc8_e5, crc16_modbus
    from water.telemetry.framing import FrameSplitter
    from water.telemetry.gateway import Gateway, _Connection
    from water.telemetry.profiles.answers import build_ack
    from water.telemetry.profiles.decoding import decode_frame
    from water.telemetry.selectors import meter_directory
    from water.telemetry.services import SYSTEM_SCOPE, _precheck, telemetry_readings_store

    plan = simulator.plan(
        args.protocol, count=args.frames, connections=args.connections, step=timedelta(minutes=1), end=end
    )
    chunks = [b"".join(frames[i : i + 20]) for frames in plan for i in range(0, len(frames), 20)]
    frames = [f for station in plan for f in station]
    n = len(frames)
    directory, _ = meter_directory(scope=SYSTEM_SCOPE)
    family = args.protocol
    now = datetime.now(UTC)
    us = 1e6 / n
    rows: list[tuple[str, float]] = []

    def framing() -> None:
        for chunk in chunks:
            FrameSplitter().feed(chunk)

    def checksum() -> None:
        if family == "szy206":
            for raw in frames:
                crc8_e5(raw[3:-2])
        else:
            for raw in frames:
                crc16_modbus(raw[:-2])

    from water.telemetry.profiles.decoding import station_of

    profiles = [directory[(family, station_of(raw) or "")][0].profile for raw in frames]

    def decode() -> list:
        return [
            decode_frame(raw, received_at=now, profile=p, crc_checked=True)
            for raw, p in zip(frames, profiles, strict=True)
        ]

    rows.append(("framing (splitter, checksum included)", _cpu(framing)[0]))
    rows.append(("  of which the checksum (once per frame)", _cpu(checksum)[0]))
    decode_s, decoded = _cpu(decode)
    rows.append(("decode (decode_frame, profile)", decode_s))
    rows.append(("ack bytes (build_ack)", _cpu(lambda: [build_ack(d) for d in decoded])[0]))

    class _Sink:
        def write(self, data: bytes) -> None:
            pass

        def is_closing(self) -> bool:
            return False

    async def gateway_frames() -> tuple[float, list]:
        gateway = Gateway()
        gateway._directory = directory
        gateway._directory_at = time.monotonic()
        conn = _Connection(_Sink(), "127.0.0.1:1")  # type: ignore[arg-type]
        from water.telemetry.profiles.answers import PacketAssembler

        assembler = PacketAssembler()
        t0 = time.process_time()
        for raw in frames:
            gateway._on_frame(conn, raw, now, assembler)
        spent = time.process_time() - t0
        pending = [p.reading for queue in gateway._queues for p in queue]
        for executor in gateway._dbs:
            executor.shutdown()
        return spent, pending

    on_frame_s, readings = asyncio.run(gateway_frames())
    rows.append(("Gateway._on_frame whole (decode + ack + queueing)", on_frame_s))
    queue_s = on_frame_s - decode_s - rows[3][1]
    rows.append(("  of which bookkeeping and queueing (whole − decode − ack)", queue_s))

    connection.ensure_connection()
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_backend_pid()")
        backend = int(cursor.fetchone()[0])
    db_before = bench.cpu_seconds(backend)
    t_wall = time.perf_counter()
    t0 = time.process_time()
    stored = 0
    for i in range(0, len(readings), args.batch_size):
        outcomes = telemetry_readings_store(readings=readings[i : i + args.batch_size])
        stored += sum(1 for o in outcomes if o.status == "stored")
    store_s = time.process_time() - t0
    wall = time.perf_counter() - t_wall
    db_s = bench.cpu_seconds(backend) - db_before
    rows.append((f"DB write, Python side (telemetry_readings_store, batches of {args.batch_size})", store_s))
    rows.append(
        ("  of which the gateway's row checks (telemetry services._precheck)", _cpu(_precheck, readings, now)[0])
    )
    rows.append(("DB write, PostgreSQL backend", db_s))

    print(f"{n:,} {args.protocol} frames, {args.connections} stations; {stored:,} readings stored by the DB stage")
    print(f"{'stage':<78} {'µs/frame':>9}")
    for name, seconds in rows:
        print(f"{name:<78} {seconds * us:9.2f}")
    total = on_frame_s + rows[0][1] + store_s + db_s
    print(f"{'sum: framing + _on_frame + DB write (both sides)':<78} {total * us:9.2f}")
    print(f"DB stage wall time {wall:.2f} s ({n / wall:,.0f} rows/s on one connection); load {os.getloadavg()}")
    bench.count_rows(ids)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
