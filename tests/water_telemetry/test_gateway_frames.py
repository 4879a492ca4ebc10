"""Issue 18 over real TCP sockets (both backends): ASCII in and out, 31H series with missing values, M3 NAK,
SZY 206 one-value frames and split frames, functions refused by name — each stored (or not) and counted."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest

from water import services
from water.models import Reading, TelemetryStation
from water.telemetry import sl651, szy206
from water.telemetry import sl651_ascii as ascii_
from water.telemetry.framing import FrameSplitter
from water.telemetry.gateway import Gateway
from water.telemetry.simulator import make_frame, register_at

from .conftest import INSTALLED, SL_ADDRESS, SZY_ADDRESS, minutes_ago, run_gateway, send, wait_for

pytestmark = pytest.mark.django_db(transaction=True)

ASCII_ADDRESS = "6501020009"


def station(address: str, protocol: str = "sl651") -> TelemetryStation:
    return TelemetryStation.objects.get(protocol=protocol, address=address)


def head(moment: dt.datetime, serial: int = 5) -> bytes:
    return serial.to_bytes(2, "big") + sl651.encode_sl651_time(moment, 6)


def ff01_series(start: dt.datetime, values: list[int | None]) -> bytes:
    """31H of the simulator's SL 651 station: the cumulative volume (FF01, 6 bytes, 1 decimal) every 5 minutes."""
    address = bytes.fromhex(SL_ADDRESS)
    data = b"".join(
        sl651.encode_element("FF01", None if v is None else Decimal(v), nbytes=6, decimals=1)[3:] for v in values
    )
    body = (
        head(start + dt.timedelta(minutes=30))
        + b"\xf1\xf1"
        + address
        + b"I\xf0\xf0"
        + sl651.encode_sl651_time(start, 5)
        + b"\x04\x18\x00\x00\x05"
        + b"\xff\x01\x31"
        + data
    )
    return sl651.encode_frame(centre=1, station=address, password=0x1234, function=0x31, body=body)


def test_ascii_report_is_stored_and_confirmed_in_ascii(tele):
    meter = services.meter_create(
        actor="test",
        intake=tele.intake,
        serial="SL-ASCII",
        installed_at=INSTALLED,
        protocol="sl651",
        rtu_address=ASCII_ADDRESS,
        decoding_profile="sl651;volume_element=WV",
    )
    moment = minutes_ago(9)
    frame = ascii_.encode_report(
        centre=1,
        station=bytes.fromhex(ASCII_ADDRESS),
        password=0x1234,
        serial=12,
        sent_at=moment,
        observed_at=moment,
        groups=[("Q", "0.250"), ("WV", "12345.6"), ("VT", "12.10")],
    )

    async def body(gw: Gateway) -> bytes:
        received, _ = await send(gw.port, frame, acks=1)
        return received

    received, _ = run_gateway(body)
    assert received[0] == sl651.SOH
    answer = sl651.decode(received)
    assert (answer.encoding, answer.function, answer.serial, answer.end) == ("ascii", 0x32, 12, sl651.EOT)
    reading = Reading.objects.get(meter=meter, observed_at=moment)
    assert reading.cumulative_m3 == Decimal("12345.6")
    assert reading.source == "rtu"
    assert bytes(reading.raw_frame) == frame
    assert station(ASCII_ADDRESS).readings_stored == 1


def test_series_with_missing_values_stores_each_measured_value_at_its_time(tele):
    start = minutes_ago(60)
    values = [register_at(SL_ADDRESS, start + dt.timedelta(minutes=5 * i)) for i in range(6)]
    values[1] = values[2] = None
    frame = ff01_series(start, values)

    async def body(gw: Gateway) -> bytes:
        received, _ = await send(gw.port, frame, acks=1)
        await wait_for(lambda: gw.stats.acks_sent == 1)
        return received

    received, _ = run_gateway(body)
    assert sl651.decode(received).function == 0x31
    stored = dict(Reading.objects.filter(meter=tele.sl, source="rtu").values_list("observed_at", "cumulative_m3"))
    assert stored == {start + dt.timedelta(minutes=5 * i): Decimal(v) for i, v in enumerate(values) if v is not None}
    counters = station(SL_ADDRESS)
    assert (counters.readings_stored, counters.missing_values, counters.decode_errors) == (4, 2, 0)


def test_m3_missing_packet_gets_a_nak_then_the_resent_packet_completes_the_message(tele):
    start = minutes_ago(90)
    values = [register_at(SL_ADDRESS, start + dt.timedelta(minutes=5 * i)) for i in range(12)]
    whole = ff01_series(start, values)
    body = sl651.decode(whole).body
    third = -(-len(body) // 3)
    packets = [
        sl651.encode_frame(
            centre=1,
            station=bytes.fromhex(SL_ADDRESS),
            password=0x1234,
            function=0x31,
            body=body[i * third : (i + 1) * third],
            end=sl651.ETX if i == 2 else sl651.ETB,
            packet=(3, i + 1),
        )
        for i in range(3)
    ]

    async def same_connection(gw: Gateway) -> bytes:
        received, _ = await send(gw.port, packets[0] + packets[2], packets[1], acks=2, pause=0.2)
        return received

    received, _ = run_gateway(same_connection)
    nak, confirmation = (sl651.decode(f) for f in FrameSplitter().feed(received))
    assert (nak.end, nak.info) == (sl651.NAK, {"missing_packets": [2]})
    assert (confirmation.end, confirmation.function) == (sl651.EOT, 0x31)
    assert Reading.objects.filter(meter=tele.sl, source="rtu").count() == 12


def test_function_refused_by_name_is_counted_not_acknowledged(tele):
    address = bytes.fromhex(SL_ADDRESS)
    image = sl651.encode_frame(
        centre=1,
        station=address,
        password=0x1234,
        function=0x36,
        body=head(minutes_ago(5)) + b"\xf1\xf1" + address + b"I",
    )
    good_moment = minutes_ago(4)
    good = make_frame("sl651", SL_ADDRESS, good_moment)

    async def body(gw: Gateway) -> bytes:
        received, _ = await send(gw.port, image + good, acks=1)
        return received

    received, gw = run_gateway(body)
    assert sl651.decode(received).function == 0x32  # only the report is confirmed; the gateway kept serving
    counters = station(SL_ADDRESS)
    assert counters.decode_errors == 1
    assert "36H (image) is not implemented" in counters.last_error
    assert counters.readings_stored == 1
    assert Reading.objects.filter(meter=tele.sl, source="rtu").count() == 1
    assert gw.stats.decode_errors == 1


def test_szy_one_missing_value_is_acknowledged_and_counted(tele):
    frame = szy206.encode_self_report(
        address=bytes.fromhex(SZY_ADDRESS), values=[None], pairs=False, observed_at=minutes_ago(3)
    )

    async def body(gw: Gateway) -> bytes:
        received, _ = await send(gw.port, frame, acks=1)
        await wait_for(lambda: gw.stats.acks_sent == 1)
        return received

    received, _ = run_gateway(body)
    assert szy206.decode(received).afn == 0xC0
    counters = station(SZY_ADDRESS, "szy206")
    assert (counters.missing_values, counters.decode_errors, counters.readings_stored) == (1, 0, 0)


def test_szy_split_frame_is_joined_and_stored(tele):
    moment = minutes_ago(6)
    whole = szy206.encode_self_report(
        address=bytes.fromhex(SZY_ADDRESS), values=["0.017", register_at(SZY_ADDRESS, moment)], observed_at=moment
    )
    data = whole[10:-2]
    parts = [
        szy206.encode_frame(control=whole[3], address=whole[4:9], afn=0xC0, data=data[:8], divs=2),
        szy206.encode_frame(control=whole[3], address=whole[4:9], afn=0xC0, data=data[8:], divs=1),
    ]

    async def body(gw: Gateway) -> bytes:
        received, _ = await send(gw.port, *parts, acks=1)
        return received

    received, _ = run_gateway(body)
    assert szy206.decode(received).afn == 0xC0
    assert Reading.objects.get(meter=tele.szy, observed_at=moment).cumulative_m3 == register_at(SZY_ADDRESS, moment)
