"""decode_frame and profiles: detection, readings through units/multiplier/channel, JSON, presets."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest

from tests.water_telemetry.samples import SL651_TIMED_UP, SZY_SAMPLE, SZY_SAMPLE_TEXT
from water.telemetry import (
    PRESETS,
    BadLength,
    Profile,
    ProfileMismatch,
    UnknownProtocol,
    decode_frame,
    detect_protocol,
    frame_from_text,
    get_profile,
    profile_to_dict,
    sl651,
    station_of,
    szy206,
    to_dict,
    to_json,
)
from water.telemetry.timeutil import BEIJING

RECEIVED = datetime(2024, 5, 9, 1, 0, tzinfo=UTC)


def test_detect_protocol() -> None:
    assert detect_protocol(SZY_SAMPLE) == "szy206"
    assert detect_protocol(SL651_TIMED_UP) == "sl651"
    assert detect_protocol(b"\x01ABC") == "sl651-ascii"
    assert detect_protocol(b"") is None
    assert detect_protocol(b"\x7e") is None


def test_unknown_and_unsupported_starts() -> None:
    for raw in (b"", b"\x00\x01\x02", b"##0101"):
        with pytest.raises(UnknownProtocol):
            decode_frame(raw, received_at=RECEIVED)
    with pytest.raises(BadLength):  # an SOH frame is decoded now: this one's length field says 0 characters
        decode_frame(b"\x01" + b"0" * 40, received_at=RECEIVED)


def test_received_at_must_be_aware() -> None:
    with pytest.raises(ValueError, match="aware"):
        decode_frame(SZY_SAMPLE, received_at=datetime(2024, 5, 9))  # noqa: DTZ001 - the point of the test


def test_profile_for_the_other_protocol_is_refused() -> None:
    with pytest.raises(ProfileMismatch):
        decode_frame(SZY_SAMPLE, received_at=RECEIVED, profile=get_profile("sl651"))
    with pytest.raises(ProfileMismatch):
        decode_frame(SL651_TIMED_UP, received_at=RECEIVED, profile=get_profile("szy206-2016"))


def test_presets_are_valid_and_named() -> None:
    assert {"default", "szy206-2016", "szy206-2016-flow-only", "slt427-2021", "slt427-2021-pairs", "sl651"} <= set(
        PRESETS
    )
    for name, profile in PRESETS.items():
        assert profile.name == name
        json.dumps(profile_to_dict(profile))
    with pytest.raises(ValueError, match="unknown profile"):
        get_profile("nope")
    assert get_profile("sl651", volume_element="FF01").volume_element == "FF01"
    assert PRESETS["sl651"].volume_element is None  # presets are not changed by overrides


@pytest.mark.parametrize(
    "changes",
    [
        {"volume_unit": "gallon"},
        {"flow_unit": "cfs"},
        {"channel": 0},
        {"flow_element": "ff01"},
        {"volume_element": "123"},
        {"clock_tz": "Mars/Olympus"},
        {"edition": "2019"},
        {"protocol": "hj212"},
        {"volume_decimals": 9},
    ],
)
def test_profile_validation(changes: dict[str, object]) -> None:
    with pytest.raises(ValueError):  # noqa: PT011 - each field has its own message
        Profile(**changes)  # type: ignore[arg-type]


def test_units_and_multiplier() -> None:
    profile = get_profile("szy206-2016", volume_unit="10^4 m3", multiplier=Decimal(2), flow_unit="m3/h")
    reading = decode_frame(SZY_SAMPLE, received_at=RECEIVED, profile=profile).readings[0]
    assert reading.cumulative_m3 == Decimal(106182) * 10000 * 2
    assert reading.flow_m3s == Decimal("5.900") / 3600 * 2
    litres = get_profile("szy206-2016", volume_unit="L")
    assert decode_frame(SZY_SAMPLE, received_at=RECEIVED, profile=litres).readings[0].cumulative_m3 == Decimal(
        "106.182"
    )


def test_flow_unit_bits_are_honoured_in_auto() -> None:
    moment = datetime(2024, 5, 9, 8, 0, tzinfo=BEIJING)
    raw = szy206.encode_self_report(
        address=bytes.fromhex("5303810D00"), values=[Decimal("36.000"), 5], observed_at=moment, flow_unit="m3/h"
    )
    reading = decode_frame(raw, received_at=moment).readings[0]
    assert reading.flow_m3s == Decimal("0.01")


def test_channel_selection() -> None:
    moment = datetime(2024, 5, 9, 8, 0, tzinfo=BEIJING)
    raw = szy206.encode_self_report(
        address=bytes.fromhex("5303810D00"), values=[Decimal("1.000"), 10, Decimal("2.000"), 20], observed_at=moment
    )
    second = decode_frame(raw, received_at=moment, profile=get_profile("szy206-2016", channel=2)).readings[0]
    assert (second.cumulative_m3, second.flow_m3s) == (Decimal(20), Decimal("2.000"))
    third = decode_frame(raw, received_at=moment, profile=get_profile("szy206-2016", channel=3))
    assert third.readings == ()


def test_device_clock_zone_option() -> None:
    # A device knowingly set to Xinjiang local time (UTC+6): its labels are read in that zone.
    profile = get_profile("szy206-2016", clock_tz="Asia/Urumqi")
    decoded = decode_frame(SZY_SAMPLE, received_at=RECEIVED, profile=profile)
    assert decoded.times["label"].utcoffset() == timedelta(hours=6)
    assert decoded.readings[0].observed_at.astimezone(UTC) == datetime(2024, 5, 9, 2, 45, tzinfo=UTC)


def test_json_output() -> None:
    decoded = decode_frame(SZY_SAMPLE, received_at=RECEIVED)
    data = json.loads(to_json(decoded))
    assert data["protocol"] == "szy206"
    assert data["crc_ok"] is True
    assert data["function"] == {"code": "C0", "name": "self-report real-time data"}
    assert data["addresses"]["station"] == "5303810D00"
    assert data["values"]["flow_1"]["value"] == 5.9
    assert data["values"]["flow_1"]["decimals"] == 3
    assert data["values"]["volume_1"]["value"] == 106182
    assert data["times"]["label"] == "2024-05-09T08:45:00+08:00"
    assert data["header"]["delay_min"] == 10
    assert data["alarm"]["flags"] == ["ac_power_loss", "remaining_volume_below_limit"]
    assert data["status"]["flags"] == {"work_mode": 0, "door": 1, "power_source_battery": 1}
    assert data["readings"] == [
        {
            "address": "5303810D00",
            "observed_at": "2024-05-09T08:45:00+08:00",
            "observed_at_utc": "2024-05-09T00:45:00+00:00",
            "cumulative_m3": "106182",
            "flow_m3s": "5.900",
        }
    ]
    assert to_dict(decoded)["raw"] == SZY_SAMPLE.hex().upper()


def test_json_of_arrays_and_repeated_elements() -> None:
    station = bytes.fromhex("0012345678")
    moment = datetime(2024, 7, 1, 9, 0, tzinfo=BEIJING)
    raw = sl651.encode_report(
        centre=1,
        station=station,
        password=0,
        serial=1,
        sent_at=moment,
        observed_at=moment,
        function=0x34,
        elements=[
            sl651.encode_element(0xF4, tuple([Decimal("0.5")] * 11 + [None]), nbytes=12, decimals=0),
            sl651.encode_element(0x39, Decimal("1.000"), nbytes=4, decimals=3),
            b"\xf0\xf0" + bytes.fromhex("2407011000"),
            sl651.encode_element(0x39, Decimal("1.100"), nbytes=4, decimals=3),
        ],
    )
    data = to_dict(decode_frame(raw, received_at=moment))
    assert data["values"]["F4"]["value"] == [0.5] * 11 + [None]
    assert data["values"]["39"]["observed_at"] == "2024-07-01T09:00:00+08:00"
    assert data["values"]["39#2"]["observed_at"] == "2024-07-01T10:00:00+08:00"
    assert data["header"]["end"] == "ETX"
    json.dumps(data)


def test_frame_from_text() -> None:
    assert frame_from_text(SZY_SAMPLE_TEXT) == SZY_SAMPLE
    assert frame_from_text("7e7e-01:02\n03") == bytes.fromhex("7E7E010203")
    assert frame_from_text("\x01ST 1234") == b"\x01ST 1234"  # not hex: taken as an ASCII frame


def test_station_of_reads_headers_without_decoding() -> None:
    broken = bytearray(SZY_SAMPLE)
    broken[-2] ^= 0xFF
    assert station_of(broken) == "5303810D00"
    assert station_of(SL651_TIMED_UP) == "0011223344"
    down = sl651.encode_frame(
        centre=9,
        station=bytes.fromhex("0012345678"),
        password=0,
        function=0x32,
        body=bytes(8),
        uplink=False,
        end=sl651.EOT,
    )
    assert station_of(down) == "0012345678"
    split = szy206.encode_frame(control=0xB3, address=bytes.fromhex("5303810D00"), afn=0xC0, data=b"\x00", divs=2)
    assert station_of(split) == "5303810D00"
    assert station_of(b"\x68\x1a") is None
    assert station_of(b"garbage") is None


def test_split_szy_frame_is_not_complete() -> None:
    split = szy206.encode_frame(control=0xB3, address=bytes.fromhex("5303810D00"), afn=0xC0, data=b"\x00", divs=2)
    decoded = decode_frame(split, received_at=RECEIVED)
    assert not decoded.complete
    assert decoded.values == ()
    assert decoded.readings == ()


def test_frame_from_text_accepts_0x_prefixes() -> None:
    assert frame_from_text("0x68 0x1A") == b"\x68\x1a"
