"""The telemetry gateway over real TCP sockets (server in-process on a free port, real database).

Issue 4 "Bad input", each case and where it is covered:
- truncated frames: `test_truncated_and_wrong_length_frames_write_nothing` (and the splitter tests);
- wrong lengths: the same test (L byte that does not match) and `test_decode_errors_are_counted_per_station`
  (an SL 651 element longer than the body, valid CRC);
- bad CRC: `test_bad_crc_is_counted_and_not_acknowledged`;
- unknown function codes, BCD digits above 9, impossible dates (valid CRCs):
  `test_decode_errors_are_counted_per_station`; the time label across a month end:
  `test_szy_time_label_across_the_month_end`;
- a 1 MB stream of random bytes: `test_one_megabyte_of_random_bytes`;
- a client that never sends: `test_silent_client_is_dropped_after_the_idle_timeout`.
None crashes the gateway or writes a reading (each test checks what was stored).
Issue 18: what the framer rejects (wrong ASCII length, non-hex header or CRC, bad CRC, wrong SZY 206 length,
garbage) logged with its reason, counted per station, and the log rate-limited: `test_gateway_rejects.py`.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import random
from decimal import Decimal

import pytest

from accounts.scope import Scope
from core.periods import BEIJING
from water import selectors
from water.models import DailyVolume, Reading, TelemetryStation
from water.telemetry import build_ack, decode_frame, get_profile, sl651, szy206
from water.telemetry.crc import crc8_e5
from water.telemetry.gateway import Gateway
from water.telemetry.simulator import make_frame, register_at
from water.telemetry.spec import parse_profile_spec

from .conftest import (
    SAMPLE_SL_ADDRESS,
    SAMPLE_SZY_ADDRESS,
    SL_ADDRESS,
    SZY_ADDRESS,
    UNKNOWN_ADDRESS,
    minutes_ago,
    run_gateway,
    send,
    wait_for,
)
from .samples import SL651_KEEPALIVE, SL651_TIMED_UP, SZY_SAMPLE

pytestmark = pytest.mark.django_db(transaction=True)

ADMIN = Scope(user_id=None, role="admin", everything=True)


def station(address: str, protocol: str = "szy206") -> TelemetryStation:
    return TelemetryStation.objects.get(protocol=protocol, address=address)


def expected_ack(frame: bytes, profile: str) -> bytes:
    decoded = decode_frame(frame, received_at=dt.datetime.now(BEIJING), profile=parse_profile_spec(profile))
    ack = build_ack(decoded)
    assert ack is not None
    return ack


# --- both protocols, with their acknowledgements ---------------------------------------------------------------


def test_szy206_report_is_stored_with_its_frame_and_acknowledged(tele):
    moment = minutes_ago(5)
    frame = make_frame("szy206", SZY_ADDRESS, moment)

    async def body(gw: Gateway) -> bytes:
        received, _ = await send(gw.port, frame, acks=1)
        return received

    received, gw = run_gateway(body)
    assert received == expected_ack(frame, "szy206-2016")
    ack = szy206.decode(received)
    assert not ack.control.uplink
    assert ack.afn == 0xC0
    assert ack.data == b"\x00"
    reading = Reading.objects.get(meter=tele.szy, observed_at=moment)
    assert reading.cumulative_m3 == register_at(SZY_ADDRESS, moment)
    assert reading.source == "rtu"
    assert bytes(reading.raw_frame) == frame
    assert reading.flow_m3s == pytest.approx(0.017)
    counters = station(SZY_ADDRESS)
    assert (counters.frames, counters.readings_stored, counters.acks_sent, counters.meter_id) == (1, 1, 1, tele.szy.pk)
    assert counters.last_remote.startswith("127.0.0.1:")
    assert counters.last_seen is not None
    assert gw.stats.readings_stored == 1


def test_szy206_link_check_is_answered_at_once(tele):
    login = szy206.encode_link_check(bytes.fromhex(SZY_ADDRESS), 0xF0)

    async def body(gw: Gateway) -> bytes:
        received, _ = await send(gw.port, login, acks=1)
        return received

    received, _ = run_gateway(body)
    ack = szy206.decode(received)
    assert (ack.afn, ack.control.uplink, ack.data) == (0x02, False, b"\x00")
    assert not Reading.objects.filter(meter=tele.szy).exclude(source="install").exists()


def test_sl651_report_is_confirmed_and_stored(tele):
    moment = minutes_ago(7)
    frame = make_frame("sl651", SL_ADDRESS, moment)

    async def body(gw: Gateway) -> bytes:
        received, _ = await send(gw.port, frame, acks=1)
        return received

    received, _ = run_gateway(body)
    assert received == expected_ack(frame, "sl651;volume_element=FF01")
    confirmation = sl651.decode(received)
    assert not confirmation.uplink
    assert confirmation.end == sl651.EOT
    assert confirmation.function == 0x32
    reading = Reading.objects.get(meter=tele.sl, observed_at=moment)
    assert reading.cumulative_m3 == register_at(SL_ADDRESS, moment)
    assert bytes(reading.raw_frame) == frame
    assert station(SL_ADDRESS, "sl651").readings_stored == 1


def test_sl651_keepalive_counts_but_gets_no_confirmation(tele):
    keepalive = sl651.encode_keepalive(
        centre=1, station=bytes.fromhex(SL_ADDRESS), password=0x1234, serial=3, sent_at=minutes_ago(1)
    )

    async def body(gw: Gateway) -> bytes:
        received, _ = await send(gw.port, keepalive, acks=1, timeout=0.5)
        await wait_for(lambda: gw.stats.frames == 1)
        return received

    received, _gw = run_gateway(body)
    assert received == b""
    assert station(SL_ADDRESS, "sl651").frames == 1


def test_a_resend_is_a_harmless_duplicate(tele):
    frame = make_frame("szy206", SZY_ADDRESS, minutes_ago(3))

    async def body(gw: Gateway) -> tuple[bytes, bytes]:
        first, _ = await send(gw.port, frame, acks=1)
        again, _ = await send(gw.port, frame, acks=1)
        return first, again

    (first, again), _gw = run_gateway(body)
    assert first == again != b""
    assert Reading.objects.filter(meter=tele.szy, source="rtu").count() == 1
    counters = station(SZY_ADDRESS)
    assert (counters.readings_stored, counters.readings_duplicate, counters.acks_sent) == (1, 1, 2)


# --- framing over the stream ------------------------------------------------------------------------------------


def test_resync_after_garbage(tele):
    moments = [minutes_ago(20), minutes_ago(19)]
    frames = [make_frame("szy206", SZY_ADDRESS, m) for m in moments]
    stream = b"\x00\xff garbage \x68\x01\x02" + frames[0] + b"\x7e\x7e\x01junk" + frames[1] + b"\x16\x16"

    async def body(gw: Gateway) -> bytes:
        received, _ = await send(gw.port, stream, acks=2)
        return received

    received, gw = run_gateway(body)
    assert received == expected_ack(frames[0], "szy206-2016") * 2
    assert set(Reading.objects.filter(meter=tele.szy, source="rtu").values_list("observed_at", flat=True)) == set(
        moments
    )
    assert gw.stats.garbage_bytes >= len(stream) - sum(map(len, frames))


def test_frames_split_across_reads(tele):
    moment = minutes_ago(30)
    frame = make_frame("sl651", SL_ADDRESS, moment)
    pieces = [frame[i : i + 3] for i in range(0, len(frame), 3)]

    async def body(gw: Gateway) -> bytes:
        received, _ = await send(gw.port, *pieces, acks=1, pause=0.005)
        return received

    received, _ = run_gateway(body)
    assert received == expected_ack(frame, "sl651;volume_element=FF01")
    assert Reading.objects.filter(meter=tele.sl, observed_at=moment).exists()


def test_several_frames_in_one_read(tele):
    moments = [minutes_ago(100 - i) for i in range(10)]
    stream = b"".join(make_frame("szy206", SZY_ADDRESS, m) for m in moments)

    async def body(gw: Gateway) -> bytes:
        received, _ = await send(gw.port, stream, acks=10)
        return received

    received, gw = run_gateway(body)
    assert received.count(b"\x16") >= 10
    assert gw.stats.acks_sent == 10
    assert Reading.objects.filter(meter=tele.szy, source="rtu").count() == 10
    assert station(SZY_ADDRESS).frames == 10


def test_szy_time_label_across_the_month_end(tele):
    """Received 1 March 00:00:30 (Beijing), labelled day 29 23:59: that is 29 February (2024 is a leap year);
    a day-30 label fits no month around then and is refused, not stored in the wrong month."""
    received_at = dt.datetime(2024, 3, 1, 0, 0, 30, tzinfo=BEIJING)
    label_time = dt.datetime(2024, 2, 29, 23, 59, tzinfo=BEIJING)
    good = szy206.encode_self_report(
        address=bytes.fromhex(SZY_ADDRESS), values=[Decimal("0.5"), 5000], observed_at=label_time
    )
    # Day 30 23:59 with the same bytes otherwise: patch the label's day and repair the checksum.
    bad = bytearray(good)
    label_at = len(bad) - 2 - 5
    bad[label_at + 3] = 0x30
    bad[-2] = crc8_e5(bytes(bad[3:-2]))

    async def body(gw: Gateway) -> bytes:
        received, _ = await send(gw.port, good + bytes(bad), acks=1)
        await wait_for(lambda: gw.stats.decode_errors == 1)
        return received

    _, gw = run_gateway(body, clock=lambda: received_at)
    reading = Reading.objects.get(meter=tele.szy, source="rtu")
    assert reading.observed_at == label_time
    assert reading.cumulative_m3 == 5000
    assert gw.stats.decode_errors == 1
    assert "BadTime" in station(SZY_ADDRESS).last_error


# --- refusals, counted ------------------------------------------------------------------------------------------


def test_unknown_station_is_counted_and_not_acknowledged(tele):
    frame = make_frame("szy206", UNKNOWN_ADDRESS, minutes_ago(2))

    async def body(gw: Gateway) -> bytes:
        received, _ = await send(gw.port, frame, acks=1, timeout=0.5)
        return received

    received, gw = run_gateway(body)
    assert received == b""
    assert gw.stats.unknown_station_frames == 1
    unknown = station(UNKNOWN_ADDRESS)
    assert unknown.meter_id is None
    assert unknown.frames == 1
    assert Reading.objects.filter(source="rtu").count() == 0


def test_an_unknown_station_is_picked_up_once_its_meter_is_registered(tele):
    from water import services

    address = "6501020700"
    moment = minutes_ago(4)
    frame = make_frame("szy206", address, moment)

    async def first(gw: Gateway) -> bytes:
        received, _ = await send(gw.port, frame, acks=1, timeout=0.3)
        return received

    received, _ = run_gateway(first)
    assert received == b""
    meter = services.meter_create(
        actor="test",
        intake=tele.intake,
        serial="SZY-7",
        installed_at=tele.szy.installed_at,
        protocol="szy206",
        rtu_address="650102 0700",
        decoding_profile="szy206-2016",
    )

    async def second(gw: Gateway) -> bytes:
        received, _ = await send(gw.port, frame, acks=1)
        return received

    received, _ = run_gateway(second)
    assert received != b""
    assert Reading.objects.filter(meter=meter, observed_at=moment).exists()
    counters = station(address)
    assert counters.meter_id == meter.pk
    assert counters.frames == 2


def test_bad_crc_is_counted_and_not_acknowledged(tele):
    frame = bytearray(make_frame("szy206", SZY_ADDRESS, minutes_ago(2)))
    frame[-2] ^= 0x01

    async def body(gw: Gateway) -> bytes:
        received, _ = await send(gw.port, bytes(frame), acks=1, timeout=0.5)
        return received

    received, gw = run_gateway(body)
    assert received == b""
    assert gw.stats.bad_crc == 1
    counters = station(SZY_ADDRESS)
    assert (counters.bad_crc, counters.frames) == (1, 0)
    assert not Reading.objects.filter(source="rtu").exists()


def test_decode_errors_are_counted_per_station(tele):
    # domain.md sample frames altered with valid checksums (tests/water_telemetry/test_fuzz.py corpus).
    bad_bcd = bytes.fromhex("681A68B35303810D00C0005A000000826110000001106000004508090A2816")
    unknown_afn = szy206.encode_frame(control=0xB3, address=bytes.fromhex(SAMPLE_SZY_ADDRESS), afn=0x70, data=b"\0")
    month_13 = bytes.fromhex(
        "7E7E05001122334403E832002B020034171318110016F1F1001122334448F0F0"
        "17071811002019000040261900004039230001049038121099034050"
    )
    too_long = bytes.fromhex(
        "7E7E05001122334403E832002B020034170718110016F1F1001122334448F0F0"
        "1707181100201900004026190000403923000104903822109903A42E"
    )

    async def body(gw: Gateway) -> None:
        await send(gw.port, bad_bcd + unknown_afn + month_13 + too_long, acks=1, timeout=0.5)
        await wait_for(lambda: gw.stats.decode_errors == 4)

    _, gw = run_gateway(body)
    assert gw.stats.decode_errors == 4
    assert station(SAMPLE_SZY_ADDRESS).decode_errors == 2
    assert station(SAMPLE_SL_ADDRESS, "sl651").decode_errors == 2
    assert not Reading.objects.filter(source="rtu").exists()


def test_truncated_and_wrong_length_frames_write_nothing(tele):
    frame = make_frame("szy206", SZY_ADDRESS, minutes_ago(2))
    truncated = frame[:-5]
    wrong_length = bytes([0x68, frame[1] + 1]) + frame[2:]

    async def body(gw: Gateway) -> bool:
        await send(gw.port, wrong_length, acks=1, timeout=0.3)
        _, _ = await send(gw.port, truncated, acks=1, timeout=0.3)
        return await wait_for(lambda: gw.stats.connections_open == 0)

    closed, gw = run_gateway(body)
    assert closed
    assert gw.stats.garbage_bytes == len(truncated) + len(wrong_length)
    assert gw.stats.frames == 0
    assert not Reading.objects.filter(source="rtu").exists()


def test_a_refused_reading_does_not_sink_its_batch(tele):
    """One batch: good readings of two meters, the domain.md timed report (observed 2017, before the meter was
    installed) and a reading conflicting with a stored one. The good ones are stored, the others counted."""
    good = [make_frame("szy206", SZY_ADDRESS, minutes_ago(50 - i)) for i in range(3)]
    good += [make_frame("sl651", SL_ADDRESS, minutes_ago(50 - i)) for i in range(3)]
    stored_moment = minutes_ago(60)
    first = szy206.encode_self_report(address=bytes.fromhex(SZY_ADDRESS), values=[0, 100], observed_at=stored_moment)
    conflicting = szy206.encode_self_report(
        address=bytes.fromhex(SZY_ADDRESS), values=[0, 200], observed_at=stored_moment
    )

    async def body(gw: Gateway) -> None:
        await send(gw.port, first, acks=1)
        await send(gw.port, b"".join(good[:3]) + SL651_TIMED_UP + conflicting + b"".join(good[3:]), acks=8)

    _, gw = run_gateway(body, flush_interval=0.3)
    assert Reading.objects.filter(meter=tele.szy, source="rtu").count() == 4
    assert Reading.objects.filter(meter=tele.sl, source="rtu").count() == 3
    assert Reading.objects.get(meter=tele.szy, observed_at=stored_moment).cumulative_m3 == 100
    assert not Reading.objects.filter(meter=tele.sample_sl).exclude(source="install").exists()
    assert gw.stats.readings_refused == 2
    sample = station(SAMPLE_SL_ADDRESS, "sl651")
    assert sample.readings_refused == 1
    assert "installed" in sample.last_error
    szy = station(SZY_ADDRESS)
    assert (szy.readings_stored, szy.readings_refused) == (4, 1)
    # The gateway writes in the deployment's language (zh-hans here), not the test thread's.
    assert "cumulative_m3" in szy.last_error
    assert "100.000 m³" in szy.last_error


def test_one_megabyte_of_random_bytes(tele):
    rng = random.Random(4)
    noise = rng.randbytes(1 << 20)
    moment = minutes_ago(9)
    frame = make_frame("szy206", SZY_ADDRESS, moment)

    async def body(gw: Gateway) -> bytes:
        chunks = [noise[i : i + 65536] for i in range(0, len(noise), 65536)]
        await send(gw.port, *chunks, acks=1, timeout=1.0)
        received, _ = await send(gw.port, frame, acks=1)  # the gateway still serves
        return received

    received, gw = run_gateway(body)
    assert received == expected_ack(frame, "szy206-2016")
    assert list(Reading.objects.filter(source="rtu").values_list("observed_at", flat=True)) == [moment]
    assert gw.stats.bytes_received == len(noise) + len(frame)
    assert gw.stats.garbage_bytes > len(noise) * 0.99


# --- connections ------------------------------------------------------------------------------------------------


def test_silent_client_is_dropped_after_the_idle_timeout(tele):
    async def body(gw: Gateway) -> tuple[bool, list[int], list[int]]:
        loop = asyncio.get_running_loop()
        seen: list[int] = []
        # A timer of the same event loop, due 0.25 s from now: the gateway's idle timer for this connection
        # is due 0.3 s after it is accepted, later, and the loop runs timers in deadline order however busy
        # the machine is. So this count is taken before the idle timeout can have fired: an ordering, not
        # a wall-clock window.
        loop.call_later(0.25, lambda: seen.append(gw.stats.connections_idle_dropped))
        reader, writer = await asyncio.open_connection("127.0.0.1", gw.port)
        data = await asyncio.wait_for(reader.read(100), 5.0)  # EOF: the gateway closed the connection
        at_close = list(seen)
        writer.close()
        return data == b"", seen, at_close

    (closed, seen, at_close), gw = run_gateway(body, idle_timeout=0.3)
    assert closed
    # Nothing dropped when the earlier timer ran, and that timer ran before the connection was closed.
    assert seen == [0]
    assert at_close == seen
    assert gw.stats.connections_idle_dropped == 1


def test_a_trickling_client_is_dropped_too(tele):
    async def body(gw: Gateway) -> bool:
        reader, writer = await asyncio.open_connection("127.0.0.1", gw.port)
        for _ in range(20):  # a byte of garbage every 50 ms never completes a frame
            try:
                writer.write(b"\x00")
                await writer.drain()
            except ConnectionError:
                return True  # the gateway has closed the connection
            await asyncio.sleep(0.05)
        try:
            data = await asyncio.wait_for(reader.read(100), 5.0)
        except ConnectionError:
            return True
        writer.close()
        return data == b""

    closed, gw = run_gateway(body, idle_timeout=0.3)
    assert closed
    assert gw.stats.connections_idle_dropped == 1


def test_connections_are_bounded(tele):
    async def body(gw: Gateway) -> tuple[bytes, bytes]:
        held = [await asyncio.open_connection("127.0.0.1", gw.port) for _ in range(2)]
        await wait_for(lambda: gw.stats.connections_open == 2)
        reader, writer = await asyncio.open_connection("127.0.0.1", gw.port)
        extra = await asyncio.wait_for(reader.read(100), 5.0)  # closed at once: EOF
        writer.close()
        frame = make_frame("szy206", SZY_ADDRESS, minutes_ago(1))
        held[0][1].write(frame)
        ack = await asyncio.wait_for(held[0][0].read(100), 5.0)  # the held ones still work
        for _, w in held:
            w.close()
        return extra, ack

    (extra, ack), gw = run_gateway(body, max_connections=2)
    assert extra == b""
    assert ack != b""
    assert gw.stats.connections_refused == 1


def test_graceful_shutdown_stores_every_decoded_reading(tele):
    moments = [minutes_ago(200 - i) for i in range(50)]
    stream = b"".join(make_frame("sl651", SL_ADDRESS, m) for m in moments)

    async def body(gw: Gateway) -> bytes:
        reader, writer = await asyncio.open_connection("127.0.0.1", gw.port)
        writer.write(stream)
        await writer.drain()
        assert await wait_for(lambda: gw.stats.readings_queued == 50)
        assert gw.stats.readings_stored == 0  # the flush interval has not come round yet
        await gw.stop()
        acks = await asyncio.wait_for(reader.read(1 << 16), 5.0)
        writer.close()
        return acks

    acks, _gw = run_gateway(body, flush_interval=60.0, batch_size=1000, stop=False)
    assert Reading.objects.filter(meter=tele.sl, source="rtu").count() == 50
    assert acks.count(b"\x7e\x7e") == 50  # confirmed before the connection closed
    assert station(SL_ADDRESS, "sl651").readings_stored == 50


# --- downstream: volumes and monitoring ---------------------------------------------------------------------------


def test_gateway_readings_show_up_in_volumes(tele):
    end = minutes_ago(0)
    moments = [end - dt.timedelta(minutes=10 * (30 - i)) for i in range(30)]
    stream = b"".join(make_frame("szy206", SZY_ADDRESS, m) for m in moments)

    async def body(gw: Gateway) -> None:
        await send(gw.port, stream, acks=30)

    run_gateway(body)
    last = register_at(SZY_ADDRESS, moments[-1])
    total = sum((d.volume_m3 for d in DailyVolume.objects.filter(meter=tele.szy)), Decimal(0))
    # Installed at 0 m³: every m³ the register moved is in the daily rows (the long gap since installation is
    # shared between ~1,000 days at 6 decimals each, hence the rounding allowance).
    assert abs(total - last) < Decimal("0.001")
    volumes = selectors.intake_volumes(
        scope=ADMIN, intake_id=tele.intake.pk, first=dt.date(2024, 1, 1), last=end.date(), interval="month"
    )
    assert abs(Decimal(str(volumes["total"]["volume_m3"])) - last) < Decimal("0.001")
    assert volumes["total"]["reports"] == 30
    assert sum(d.n_readings for d in DailyVolume.objects.filter(meter=tele.szy)) == 30


def test_the_domain_sample_frame_is_stored_through_the_default_profile(tele):
    """domain.md §3.2 worked sample, meter with a blank profile (szy206 → preset szy206-2016): flow 5.900,
    volume 106182 m³ at day 09 08:45 of the month it was received in (or the month before)."""
    received_at = dt.datetime(2026, 11, 10, 12, 0, tzinfo=BEIJING)

    async def body(gw: Gateway) -> bytes:
        received, _ = await send(gw.port, SZY_SAMPLE, SL651_KEEPALIVE, acks=1)
        return received

    received, _ = run_gateway(body, clock=lambda: received_at)
    assert received == expected_ack(SZY_SAMPLE, "szy206-2016")
    reading = Reading.objects.get(meter=tele.sample_szy, source="rtu")
    assert reading.observed_at == dt.datetime(2026, 11, 9, 8, 45, tzinfo=BEIJING)
    assert reading.cumulative_m3 == 106182
    assert reading.flow_m3s == pytest.approx(5.9)
    assert get_profile("szy206-2016").flow_volume_pairs
