"""Issue 18 "Bad input" over real TCP sockets (both backends): bytes the framer rejects — a wrong length in the
ASCII header, non-hex characters where hex is due, a bad checksum, a wrong SZY 206 length, garbage — are each
logged with the peer, the connection's station, the reason and a hex excerpt, counted (gateway-wide and for the
station), nothing of them is stored, and the connection keeps being served; the log is rate-limited per
connection, so a flood cannot fill it."""

from __future__ import annotations

import asyncio
import logging

import pytest

from water.models import Reading, TelemetryStation
from water.telemetry import sl651_ascii as ascii_
from water.telemetry.gateway import Gateway
from water.telemetry.simulator import make_frame

from .conftest import SL_ADDRESS, minutes_ago, run_gateway, send, wait_for

pytestmark = pytest.mark.django_db(transaction=True)

LOGGER = "water.telemetry.gateway"


def ascii_frame() -> bytearray:
    moment = minutes_ago(30)
    return bytearray(
        ascii_.encode_report(
            centre=1,
            station=bytes.fromhex(SL_ADDRESS),
            password=0x1234,
            serial=7,
            sent_at=moment,
            observed_at=moment,
            groups=[("Q", "0.250"), ("VT", "12.10")],
        )
    )


def ascii_wrong_length() -> bytes:
    raw = ascii_frame()
    marker = int(raw[19:23], 16)
    raw[19:23] = f"{marker - 2:04X}".encode()  # the header says 2 characters fewer than the frame holds
    return bytes(raw)


def ascii_non_hex_header() -> bytes:
    raw = ascii_frame()
    raw[5] = ord("G")  # inside the station address
    return bytes(raw)


def ascii_non_hex_crc() -> bytes:
    raw = ascii_frame()
    raw[-4:] = b"12XZ"
    return bytes(raw)


def hex_bad_crc() -> bytes:
    raw = bytearray(make_frame("sl651", SL_ADDRESS, minutes_ago(40)))
    raw[-1] ^= 0x55
    return bytes(raw)


def szy_wrong_length() -> bytes:
    raw = bytearray(make_frame("szy206", "6501020100", minutes_ago(40)))
    raw[1] -= 3  # L three bytes short: no 16H where it says
    return bytes(raw)


VARIANTS = [
    ("ascii wrong length", ascii_wrong_length, "SL 651 ASCII length (no end character where the header's length"),
    ("ascii non-hex header", ascii_non_hex_header, "SL 651 ASCII header has non-hex characters"),
    ("ascii non-hex crc", ascii_non_hex_crc, "SL 651 ASCII CRC has non-hex characters"),
    ("bad crc", hex_bad_crc, "bad CRC"),
    ("szy wrong length", szy_wrong_length, "SZY 206 length (no end byte 16H"),
    ("garbage", lambda: b"\x00\xff garbage, no frame start \x00\x13", "garbage (no frame start)"),
]


@pytest.mark.parametrize(("name", "make", "reason"), VARIANTS, ids=[v[0] for v in VARIANTS])
def test_rejected_bytes_are_logged_counted_not_stored_and_the_connection_served(tele, caplog, name, make, reason):
    bad = make()
    first = make_frame("sl651", SL_ADDRESS, minutes_ago(20), serial=1)
    second = make_frame("sl651", SL_ADDRESS, minutes_ago(15), serial=2)
    caplog.set_level(logging.INFO, logger=LOGGER)

    async def body(gw: Gateway) -> tuple[bytes, bool]:
        # One write: the station's frame names it, the bad bytes follow, then a good frame on the same connection.
        received, closed = await send(gw.port or 0, first + bad + second, acks=2)
        await wait_for(lambda: gw.stats.acks_sent == 2)
        return received, closed

    (_received, closed), gw = run_gateway(body)
    assert not closed
    assert gw.stats.acks_sent == 2  # the frame after the bad bytes was stored and acknowledged
    assert gw.stats.frames == 2
    assert gw.stats.rejected_runs == 1
    assert gw.stats.garbage_bytes == len(bad)
    assert Reading.objects.filter(meter=tele.sl, source="rtu").count() == 2  # the good frames' readings, nothing else
    station = TelemetryStation.objects.get(protocol="sl651", address=SL_ADDRESS)
    assert station.frames == 2
    assert station.readings_stored == 2
    if name == "bad crc":
        assert (station.bad_crc, station.decode_errors, gw.stats.bad_crc) == (1, 0, 1)
    else:
        assert (station.bad_crc, station.decode_errors, gw.stats.bad_crc) == (0, 1, 0)
        assert station.last_error.startswith("rejected by the framer: " + reason[:20])
    lines = [
        r.getMessage() for r in caplog.records if r.name == LOGGER and r.getMessage().startswith("telemetry: rejected ")
    ]
    assert len(lines) == 1, lines
    line = lines[0]
    assert reason in line
    assert f"rejected {len(bad)} bytes from 127.0.0.1:" in line
    assert f"station sl651 {SL_ADDRESS}" in line
    assert bad[:32].hex().upper() in line


def test_unidentified_connection_is_logged_without_station_and_charged_to_none(tele, caplog):
    caplog.set_level(logging.INFO, logger=LOGGER)
    good = make_frame("sl651", SL_ADDRESS, minutes_ago(10))

    async def body(gw: Gateway) -> bytes:
        received, _ = await send(gw.port or 0, ascii_non_hex_header(), good, acks=1, pause=0.3)
        return received

    received, gw = run_gateway(body)
    assert received  # the good frame behind the bad one is still answered
    assert gw.stats.rejected_runs == 1
    line = next(m for r in caplog.records if (m := r.getMessage()).startswith("telemetry: rejected "))
    assert "station (not identified)" in line
    assert "non-hex" in line
    # Nothing charged to the station: the bad bytes came (in a read of their own) before any frame named it.
    station = TelemetryStation.objects.get(protocol="sl651", address=SL_ADDRESS)
    assert (station.decode_errors, station.bad_crc, station.frames) == (0, 0, 1)


def test_a_flood_of_rejected_bytes_is_logged_up_to_the_limit_then_summed_up(tele, caplog):
    caplog.set_level(logging.INFO, logger=LOGGER)
    frames = [make_frame("sl651", SL_ADDRESS, minutes_ago(200 - i), serial=i + 1) for i in range(41)]
    junk = b"\x00junk\xff"
    # 40 rejected runs in one write (each run ends at the good frame after it), then, in a later log window,
    # one more: the first five are logged, the next 35 only counted and summed up when the window ends.
    flood = frames[0] + b"".join(junk + f for f in frames[1:])

    async def body(gw: Gateway) -> None:
        reader, writer = await asyncio.open_connection("127.0.0.1", gw.port or 0)
        writer.write(flood)
        await writer.drain()
        assert await wait_for(lambda: gw.stats.rejected_runs == 40 and gw.stats.acks_sent == 41)
        await asyncio.sleep(0.6)  # the window (0.5 s) ends
        writer.write(junk + frames[0])
        await writer.drain()
        assert await wait_for(lambda: gw.stats.rejected_runs == 41 and gw.stats.acks_sent == 42)
        writer.close()
        await writer.wait_closed()
        del reader

    run_gateway(body, reject_log_burst=5, reject_log_window=0.5)
    messages = [r.getMessage() for r in caplog.records if r.name == LOGGER]
    logged = [m for m in messages if m.startswith("telemetry: rejected ")]
    assert len(logged) == 6  # five of the flood, one of the next window
    assert all("garbage (no frame start)" in m and junk.hex().upper() in m for m in logged)
    assert sum("further rejected bytes are only counted for 0.5 s" in m for m in messages) == 1
    summaries = [m for m in messages if "more rejected runs not logged" in m]
    assert summaries == [
        f"telemetry: 127.0.0.1:{summaries[0].split(':')[2].split()[0]} station sl651 {SL_ADDRESS}: "
        "35 more rejected runs not logged (limit 5 per 0.5 s)"
    ]
    assert len(messages) < 60  # the per-frame lines of 42 good frames are debug; the flood did not fill the log
    station = TelemetryStation.objects.get(protocol="sl651", address=SL_ADDRESS)
    assert station.decode_errors == 41
    assert station.readings_stored == 41
    assert Reading.objects.filter(meter=tele.sl, source="rtu").count() == 41
