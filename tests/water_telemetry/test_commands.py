"""telemetry_decode, telemetry_simulate and telemetry_gateway (the last as a real process stopped by SIGTERM),
and the profile specifications a meter's decoding_profile holds."""

from __future__ import annotations

import asyncio
import json
import os
import re
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Callable
from dataclasses import replace
from decimal import Decimal
from io import StringIO
from pathlib import Path
from typing import TypeVar

import pytest
from django.core.management import CommandError, call_command
from django.db import connection, connections

from water.models import Meter, Reading, StationCommand, TelemetryStation
from water.telemetry import get_profile
from water.telemetry.gateway import Gateway
from water.telemetry.simulator import make_frame, register_at
from water.telemetry.spec import meter_profile, parse_profile_spec

from .conftest import SL_ADDRESS, SZY_ADDRESS, TEST_CONFIG, minutes_ago
from .samples import SL651_TEST_UP_TEXT, SZY_SAMPLE_TEXT

T = TypeVar("T")

ROOT = Path(__file__).resolve().parents[2]


def decode(*args: str) -> dict:
    out = StringIO()
    call_command("telemetry_decode", *args, stdout=out)
    return json.loads(out.getvalue())


# --- telemetry_decode ---------------------------------------------------------------------------------------------


def test_decode_prints_the_worked_sample():
    data = decode(SZY_SAMPLE_TEXT, "--profile", "szy206-2016", "--received", "2024-03-10T00:00:00+08:00")
    assert data["protocol"] == "szy206"
    assert data["crc_ok"] is True
    assert data["addresses"]["division"] == "530381"
    assert data["addresses"]["station_no"] == 13
    assert data["function"] == {"code": "C0", "name": data["function"]["name"]}
    assert data["times"]["label"] == "2024-03-09T08:45:00+08:00"
    assert data["values"]["flow_1"]["value"] == 5.9
    assert data["values"]["volume_1"]["value"] == 106182
    assert data["alarm"]["word"] is not None
    assert "work_mode" in data["status"]["flags"]
    assert data["readings"][0]["cumulative_m3"] == "106182"


def test_decode_sl651_with_a_profile_override():
    data = decode(SL651_TEST_UP_TEXT, "--profile", "sl651;volume_element=26", "--received", "2025-01-01T00:00:00Z")
    assert data["values"]["39"]["value"] == 0.127
    assert data["values"]["38"]["value"] == 11.15
    assert data["readings"][0]["cumulative_m3"] == "0.5"
    assert data["profile"] == "sl651;volume_element=26"


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["681A68B35303810D00C00059000000826110000001106000004508090A3616"], "BadCRC"),
        (["681A68B35303810D00C0005900"], "TruncatedFrame"),
        (["not a frame"], "UnknownProtocol"),
        ([SZY_SAMPLE_TEXT, "--profile", "nonsense"], "unknown profile"),
        ([SZY_SAMPLE_TEXT, "--profile", "szy206-2016;channel=x"], "channel"),
        ([SZY_SAMPLE_TEXT, "--received", "2024-03-10T00:00:00"], "offset"),
        ([SZY_SAMPLE_TEXT, "--profile", "sl651"], "ProfileMismatch"),
    ],
)
def test_decode_refuses_bad_input_clearly(args, message):
    with pytest.raises(CommandError, match=message):
        call_command("telemetry_decode", *args, stdout=StringIO())


def test_decode_exits_nonzero_from_the_shell():
    proc = subprocess.run(
        [sys.executable, "manage.py", "telemetry_decode", "68 1A 68 00"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert proc.returncode == 1
    assert "bad frame" in proc.stderr
    assert proc.stdout == ""


def test_decode_no_crc_shows_the_frame_anyway():
    data = decode("681A68B35303810D00C00059000000826110000001106000004508090A3616", "--no-crc")
    assert data["crc_ok"] is False
    assert data["readings"] == []


# --- profile specifications ----------------------------------------------------------------------------------------


def test_profile_specs():
    assert parse_profile_spec("") == get_profile("default")
    spec = parse_profile_spec(" sl651 ; volume_element=ff01; multiplier=10 ;confirm_keepalive=yes")
    assert (spec.volume_element, spec.multiplier, spec.confirm_keepalive) == ("FF01", Decimal(10), True)
    assert parse_profile_spec("szy206-2016;flow_element=none").flow_element is None
    for bad in ("sl651;volume_element", "sl651;edition=1999", "sl651;multiplier=-1", "szy206-2016;pairs=1"):
        with pytest.raises(ValueError, match=r"\w"):
            parse_profile_spec(bad)


def test_meter_profile_from_the_ledger_fields():
    assert meter_profile("szy206", "", Decimal(1)).name == "szy206-2016"
    assert meter_profile("sl427", "", Decimal(1)).edition == "2021"
    assert meter_profile("sl651", "", Decimal("0.1")).multiplier == Decimal("0.1")
    assert meter_profile("szy206", "default", Decimal(1)).protocol == "szy206"
    with pytest.raises(ValueError, match="speaks"):
        meter_profile("sl651", "szy206-2016", Decimal(1))


# --- telemetry_simulate against an in-process gateway --------------------------------------------------------------


@pytest.mark.django_db(transaction=True)
def test_simulate_replays_frames_and_counts_acks(tele):
    ready = threading.Event()
    holder: dict = {}

    def serve() -> None:
        async def main() -> None:
            gateway = Gateway(TEST_CONFIG)
            await gateway.start()
            holder["gateway"] = gateway
            holder["loop"] = asyncio.get_running_loop()
            ready.set()
            await gateway.serve()

        asyncio.run(main())

    thread = threading.Thread(target=serve)
    thread.start()
    try:
        assert ready.wait(30)
        out = StringIO()
        port = str(holder["gateway"].port)
        call_command(
            "telemetry_simulate",
            "--port",
            port,
            "--count",
            "40",
            "--connections",
            "2",
            "--meters",
            SZY_ADDRESS,
            "6501020300",
            stdout=out,
        )
        call_command(
            "telemetry_simulate",
            "--port",
            port,
            "--count",
            "10",
            "--connections",
            "1",
            "--protocol",
            "sl651",
            "--meters",
            SL_ADDRESS,
            stdout=out,
        )
    finally:
        if "loop" in holder:
            holder["loop"].call_soon_threadsafe(holder["gateway"].request_stop)
        thread.join(60)
    text = out.getvalue()
    assert re.search(r"40 frames sent over 2 connections .* 20 acks", text), text  # the unknown station gets none
    assert re.search(r"10 frames sent over 1 connections .* 10 acks", text), text
    assert Reading.objects.filter(meter=tele.szy, source="rtu").count() == 20
    assert Reading.objects.filter(meter=tele.sl, source="rtu").count() == 10
    assert TelemetryStation.objects.get(address="6501020300").meter_id is None


@pytest.mark.django_db(transaction=True)
def test_simulate_answers_commands_and_serves_the_backfill(tele):
    """--answer: the simulated RTU holds 6 reports back while "offline", reconnects; the gateway sees the gap,
    queues a 38H period query, the command's RTU answers it, and the held values are stored as rtu_backfill."""
    Meter.objects.filter(pk=tele.sl.pk).update(expected_interval_s=300)
    ready = threading.Event()
    holder: dict = {}

    def serve() -> None:
        async def main() -> None:
            gateway = Gateway(replace(TEST_CONFIG, command_poll=0.05, command_timeout=5.0))
            await gateway.start()
            holder["gateway"] = gateway
            holder["loop"] = asyncio.get_running_loop()
            ready.set()
            await gateway.serve()

        asyncio.run(main())

    thread = threading.Thread(target=serve)
    thread.start()
    try:
        assert ready.wait(30)
        out = StringIO()
        call_command(
            "telemetry_simulate",
            "--port",
            str(holder["gateway"].port),
            "--answer",
            "--protocol",
            "sl651",
            "--meters",
            SL_ADDRESS,
            "--count",
            "12",
            "--connections",
            "1",
            "--step",
            "300",
            "--held",
            "6",
            "--linger",
            "20",
            stdout=out,
        )
        gateway = holder["gateway"]
        deadline = time.monotonic() + 15
        while gateway.stats.readings_stored < 12 and time.monotonic() < deadline:
            time.sleep(0.05)
    finally:
        if "loop" in holder:
            holder["loop"].call_soon_threadsafe(holder["gateway"].request_stop)
        thread.join(60)
    text = out.getvalue()
    assert re.search(r"1 stations: 6 reports sent, 6 acks; 6 values held back .* 38H × 1", text), text
    assert Reading.objects.filter(meter=tele.sl, source="rtu").count() == 6
    backfilled = list(
        Reading.objects.filter(meter=tele.sl, source="rtu_backfill").values_list("cumulative_m3", "observed_at")
    )
    assert len(backfilled) == 6
    assert all(value == register_at(SL_ADDRESS, at) for value, at in backfilled)
    command = StationCommand.objects.get(meter=tele.sl)
    assert (command.kind, command.source, command.state) == ("period", "backfill", "answered")


def test_simulate_refuses_bad_options():
    with pytest.raises(CommandError, match="hex"):
        call_command("telemetry_simulate", "--meters", "XYZ", stdout=StringIO())
    with pytest.raises(CommandError, match="month"):
        call_command("telemetry_simulate", "--count", "100000", "--connections", "1", stdout=StringIO())
    with pytest.raises(CommandError, match="sl651"):
        call_command("telemetry_simulate", "--answer", "--count", "10", stdout=StringIO())
    with pytest.raises(CommandError, match="held"):
        call_command(
            "telemetry_simulate",
            "--answer",
            "--protocol",
            "sl651",
            "--count",
            "10",
            "--connections",
            "1",
            "--held",
            "9",
            stdout=StringIO(),
        )


# --- telemetry_gateway as a process -------------------------------------------------------------------------------


async def _in_thread(query: Callable[[], T]) -> T:
    """A database query from async code: in a worker thread, whose connection is closed afterwards."""

    def run() -> T:
        try:
            return query()
        finally:
            connections.close_all()

    return await asyncio.to_thread(run)


def _station_frames(address: str) -> int:
    return sum(TelemetryStation.objects.filter(address=address).values_list("frames", flat=True))


async def _wait_async(condition: Callable[[], bool], seconds: float, what: str) -> None:
    """Poll `condition` (a database query) until it holds; fail, naming `what`, at the deadline."""
    deadline = time.monotonic() + seconds
    while not await _in_thread(condition):
        if time.monotonic() > deadline:
            pytest.fail(f"timed out after {seconds} s waiting for {what}")
        await asyncio.sleep(0.05)


@pytest.mark.django_db(transaction=True)
def test_gateway_command_stops_gracefully_on_sigterm(tele):
    """The command in its own process against the test database; SIGTERM while readings wait for their
    batch: they are stored, and confirmed, before it exits."""
    settings = connection.settings_dict
    if connection.vendor == "postgresql":
        url = f"postgis://{settings['USER']}@{settings['HOST']}:{settings['PORT']}/{settings['NAME']}"
    else:
        url = f"spatialite:///{settings['NAME']}"
    env = {**os.environ, "DATABASE_URL": url, "DJANGO_SETTINGS_MODULE": "config.settings.test"}
    proc = subprocess.Popen(
        [
            sys.executable,
            "manage.py",
            "telemetry_gateway",
            "--port",
            "0",
            "--flush-interval",
            "60000",
            "--counters-interval",
            "0.1",
        ],
        cwd=ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        line = proc.stdout.readline() if proc.stdout else ""
        match = re.search(r"listening on [\d.]+:(\d+)", line)
        assert match, line + (proc.stderr.read() if proc.stderr else "")
        port = int(match.group(1))
        moments = [minutes_ago(30 - i) for i in range(5)]
        frames = b"".join(make_frame("szy206", SZY_ADDRESS, m) for m in moments)

        async def client() -> bytes:
            reader, writer = await asyncio.open_connection("127.0.0.1", port)
            writer.write(frames)
            await writer.drain()
            # SIGTERM once the gateway has decoded and queued all five: its station counters (written every
            # 0.1 s, in the same event loop that decodes and queues a frame in one step) say 5 frames.
            await _wait_async(lambda: _station_frames(SZY_ADDRESS) == 5, 30, "the gateway to decode the 5 frames")
            # Still waiting for their batch (a minute): what is stored below was stored by the SIGTERM path.
            assert await _in_thread(Reading.objects.filter(meter=tele.szy, source="rtu").count) == 0
            proc.send_signal(signal.SIGTERM)
            data = b""
            while chunk := await asyncio.wait_for(reader.read(4096), 60):  # until the gateway closes
                data += chunk
            writer.close()
            return data

        acks = asyncio.run(client())
        out, err = proc.communicate(timeout=60)
    finally:
        if proc.poll() is None:
            proc.kill()
    assert proc.returncode == 0, err
    assert "telemetry gateway stopped" in out
    assert acks.count(b"\xc0\x00") == 5  # five acknowledgements (AFN C0, data 00) before the connection closed
    assert Reading.objects.filter(meter=tele.szy, source="rtu").count() == 5
    assert TelemetryStation.objects.get(address=SZY_ADDRESS).readings_stored == 5
