"""Every sample frame of domain.md §3 decodes to the values shown there."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from decimal import Decimal

from tests.water_telemetry.samples import (
    SL651_CRC8397,
    SL651_KEEPALIVE,
    SL651_TEST_DOWN,
    SL651_TEST_UP,
    SL651_TIMED_UP,
    SZY_SAMPLE,
)
from water.telemetry import build_ack, decode_frame, get_profile, sl651, szy206, to_json
from water.telemetry.timeutil import BEIJING

# A receive time in the month the 5-byte label (day 09) belongs to: 9 May 2024, 08:46 Beijing.
RECEIVED = datetime(2024, 5, 9, 0, 46, tzinfo=UTC)


def test_szy_worked_sample() -> None:
    decoded = decode_frame(SZY_SAMPLE, received_at=RECEIVED, profile=get_profile("szy206-2016"))
    assert decoded.protocol == "szy206"
    assert decoded.crc_ok
    assert decoded.uplink  # C = B3: uplink …
    frame = decoded.frame
    assert isinstance(frame, szy206.SzyFrame)
    assert frame.control == szy206.Control(uplink=True, div=False, fcb=3, data_type=3)  # … FCB 3, function 3
    assert frame.raw[1] == 0x1A  # L: 26 bytes of user data
    assert decoded.station == "5303810D00"
    assert decoded.addresses["division"] == "530381"
    assert decoded.addresses["station_no"] == 13
    assert decoded.function == 0xC0
    assert decoded.function_name == "self-report real-time data"
    assert decoded.value("flow_1") == Decimal("5.900")
    assert decoded.value("volume_1") == Decimal("106182")
    assert frame.items[0].unit == "m3/s"  # unit bits 00
    assert frame.label is not None
    assert (frame.label.day, frame.label.hour, frame.label.minute, frame.label.second) == (9, 8, 45, 0)
    assert frame.label.delay_min == 10
    assert decoded.times["label"] == datetime(2024, 5, 9, 8, 45, tzinfo=BEIJING)
    assert frame.crc == 0x35
    assert frame.data[-9:-5] == bytes.fromhex("01106000")  # alarm, status words as sent
    assert [(r.address, r.cumulative_m3, r.flow_m3s) for r in decoded.readings] == [
        ("5303810D00", Decimal("106182"), Decimal("5.900"))
    ]
    assert decoded.readings[0].observed_at.astimezone(UTC) == datetime(2024, 5, 9, 0, 45, tzinfo=UTC)


def test_szy_sample_ack() -> None:
    decoded = decode_frame(SZY_SAMPLE, received_at=RECEIVED)
    # C echoed with DIR cleared (B3 → 33), same A and AFN, data 00, fresh CS (domain.md §3.2).
    ack = build_ack(decoded)
    assert ack is not None
    assert ack[:11] == bytes.fromhex("680868335303810D00C000")
    assert ack[-1] == 0x16
    assert szy206.decode(ack).control.uplink is False


def test_sl651_keepalive() -> None:
    decoded = decode_frame(SL651_KEEPALIVE, received_at=RECEIVED)
    frame = decoded.frame
    assert isinstance(frame, sl651.Sl651Frame)
    assert decoded.protocol == "sl651"
    assert decoded.crc_ok
    assert decoded.function == 0x2F
    assert decoded.station == "0012345678"
    assert decoded.addresses["centre"] == 1
    assert frame.password == 0x1234
    assert frame.serial == 3
    assert decoded.times["sent"] == datetime(2059, 10, 11, 15, 51, 11, tzinfo=BEIJING)
    assert decoded.values == ()
    assert frame.end == sl651.ETX


def test_sl651_test_report_up() -> None:
    decoded = decode_frame(SL651_TEST_UP, received_at=RECEIVED)
    frame = decoded.frame
    assert isinstance(frame, sl651.Sl651Frame)
    assert decoded.function == 0x30
    assert frame.length == 0x2B
    assert frame.station_class == 0x48
    assert decoded.times["observed"] == datetime(2059, 10, 11, 15, 49, tzinfo=BEIJING)
    assert decoded.value("20") == Decimal("0.5")  # rain 0.5 mm
    assert decoded.value("26") == Decimal("0.5")  # accumulated 0.5 mm
    assert decoded.value("39") == Decimal("0.127")  # level 0.127 m
    assert decoded.value("38") == Decimal("11.15")  # battery 11.15 V
    assert [e.id for e in decoded.values] == ["20", "26", "39", "38"]
    assert decoded.unknown_elements == ()


def test_sl651_test_report_down_and_our_confirmation_reproduces_it() -> None:
    decoded = decode_frame(SL651_TEST_DOWN, received_at=RECEIVED)
    frame = decoded.frame
    assert isinstance(frame, sl651.Sl651Frame)
    assert not decoded.uplink
    assert decoded.station == "0012345678"
    assert frame.centre == 1
    assert frame.end == sl651.ESC  # stay online
    assert frame.serial == 3
    up = decode_frame(SL651_TEST_UP, received_at=RECEIVED)
    assert build_ack(up, keep_online=True) == SL651_TEST_DOWN


def test_sl651_timed_report_up() -> None:
    decoded = decode_frame(SL651_TIMED_UP, received_at=RECEIVED)
    frame = decoded.frame
    assert isinstance(frame, sl651.Sl651Frame)
    assert decoded.function == 0x32
    assert decoded.station == "0011223344"
    assert frame.centre == 5
    assert frame.password == 0x03E8
    assert frame.serial == 0x34
    assert decoded.times["sent"] == datetime(2017, 7, 18, 11, 0, 16, tzinfo=BEIJING)
    assert decoded.times["observed"] == datetime(2017, 7, 18, 11, 0, tzinfo=BEIJING)
    assert decoded.value("39") == Decimal("10.490")  # level 10.490 m
    assert decoded.value("38") == Decimal("10.99")  # voltage 10.99 V
    assert decoded.value("20") == Decimal("4.0")
    assert decoded.value("26") == Decimal("4.0")


def test_sl651_crc_8397_frame() -> None:
    decoded = decode_frame(SL651_CRC8397, received_at=RECEIVED)
    assert decoded.crc_ok
    assert decoded.frame.crc == 0x8397
    assert decoded.station == "0010100001"
    assert decoded.value("39") == Decimal("0.550")
    assert decoded.value("38") == Decimal("12.68")
    assert decoded.unknown_elements == ("22",)  # 22H is not in the part of Table C.1 domain.md lists
    assert decoded.value("22") == Decimal("4.0")


def test_json_of_every_sample_is_valid_and_complete() -> None:
    for raw in (SZY_SAMPLE, SL651_KEEPALIVE, SL651_TEST_UP, SL651_TEST_DOWN, SL651_TIMED_UP, SL651_CRC8397):
        data = json.loads(to_json(decode_frame(raw, received_at=RECEIVED)))
        for key in ("protocol", "crc_ok", "addresses", "function", "times", "values", "alarm", "status", "readings"):
            assert key in data
        assert data["raw"] == raw.hex().upper()
