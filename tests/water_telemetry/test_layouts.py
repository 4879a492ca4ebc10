"""Issue 18, decoder: bodies by function, series, missing values, ASCII in and out, SZY 206 value counts and
split frames, SL 651 M3 NAK, refusals by name. The frames of domain.md §3.3a decode as it says."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest

from water.telemetry import (
    BadLength,
    BadTime,
    FrameError,
    MalformedFrame,
    PacketAssembler,
    UnsupportedFrame,
    build_ack,
    decode_frame,
    get_profile,
    sl651,
    szy206,
    to_json,
)
from water.telemetry import sl651_ascii as ascii_
from water.telemetry import sl651_layouts as layouts
from water.telemetry.crc import crc8_e5
from water.telemetry.framing import FrameSplitter
from water.telemetry.timeutil import BEIJING

STATION = bytes.fromhex("6501020457")
SENT = datetime(2024, 7, 1, 9, 0, 12, tzinfo=BEIJING)
OBSERVED = datetime(2024, 7, 1, 8, 0, tzinfo=BEIJING)
RECEIVED = datetime(2024, 7, 1, 1, 0, 20, tzinfo=UTC)

# domain.md §3.3a, ASCII example (CRC computed there).
ASCII_SAMPLE = (
    b"\x01010012345678123432004A\x020002261001120000ST 0012345678 I TT 2610011200 Q 1.234 SBL1 56.25 VT 12.10 \x03F976"
)
# domain.md §3.3a, SZY 206 with one flow value, all AA (missing), CRC-8 computed there.
SZY_ONE_MISSING = bytes.fromhex("681568B36501020700C0AAAAAAAAAA00000000003014150 26A16".replace(" ", ""))


def head(serial: int = 9, sent: datetime = SENT) -> bytes:
    return serial.to_bytes(2, "big") + sl651.encode_sl651_time(sent, 6, BEIJING)


def uplink(function: int, body: bytes) -> bytes:
    return sl651.encode_frame(centre=1, station=STATION, password=0x1234, function=function, body=body)


def series_body(values: bytes, *, step: bytes = b"\x00\x00\x05", ident: bytes = b"\x39\x23") -> bytes:
    return (
        head()
        + b"\xf1\xf1"
        + STATION
        + b"I"
        + b"\xf0\xf0"
        + sl651.encode_sl651_time(OBSERVED, 5, BEIJING)
        + b"\x04\x18"
        + step
        + ident
        + values
    )


# --- domain.md §3.3a frames -----------------------------------------------------------------------------------


def test_ascii_sample_decodes_as_domain_md_says() -> None:
    decoded = decode_frame(ASCII_SAMPLE, received_at=RECEIVED, profile=get_profile("sl651", volume_element="68"))
    frame = decoded.frame
    assert isinstance(frame, sl651.Sl651Frame)
    assert frame.encoding == "ascii"
    assert (frame.centre, frame.station_hex, frame.password, frame.function, frame.length) == (
        1,
        "0012345678",
        0x1234,
        0x32,
        0x4A,
    )
    assert frame.serial == 2
    assert frame.sent_at == datetime(2026, 10, 1, 12, 0, tzinfo=BEIJING)
    assert decoded.times["observed"] == datetime(2026, 10, 1, 12, 0, tzinfo=BEIJING)
    assert frame.station_class_name == "intake"
    assert decoded.value("27") == Decimal("1.234")
    assert decoded.value("68") == Decimal("56.25")
    assert decoded.value("38") == Decimal("12.10")
    assert decoded.readings[0].flow_m3s == Decimal("1.234")
    assert decoded.readings[0].cumulative_m3 == Decimal("56.25")
    out = json.loads(to_json(decoded))
    assert out["header"]["encoding"] == "ascii"
    assert out["values"]["27"]["value"] == 1.234


def test_ascii_ack_is_ascii_and_round_trips() -> None:
    decoded = decode_frame(ASCII_SAMPLE, received_at=RECEIVED)
    ack = build_ack(decoded)
    assert ack is not None
    assert ack[0] == sl651.SOH
    answer = sl651.decode(ack)
    assert answer.encoding == "ascii"
    assert not answer.uplink
    assert (answer.function, answer.serial, answer.end, answer.station_hex) == (0x32, 2, sl651.EOT, "0012345678")
    assert answer.sent_raw == bytes.fromhex("261001120000")
    built = ascii_.encode_report(
        centre=1,
        station=bytes.fromhex("0012345678"),
        password=0x1234,
        serial=2,
        sent_at=datetime(2026, 10, 1, 12, 0, tzinfo=BEIJING),
        observed_at=datetime(2026, 10, 1, 12, 0, tzinfo=BEIJING),
        groups=[("Q", "1.234"), ("SBL1", "56.25"), ("VT", "12.10")],
    )
    assert built == ASCII_SAMPLE


def test_szy_one_flow_value_all_aa_is_a_valid_frame() -> None:
    assert crc8_e5(SZY_ONE_MISSING[3:-2]) == 0x6A
    # The default profile pairs (flow, volume); one value cannot pair, so it is a flow — and it is missing.
    decoded = decode_frame(SZY_ONE_MISSING, received_at=RECEIVED, profile=get_profile("szy206-2016"))
    assert [e.id for e in decoded.values] == ["flow_1"]
    assert decoded.values[0].value is None
    assert decoded.missing == 1
    assert decoded.readings == ()
    assert build_ack(decoded) is not None  # valid: acknowledged


def test_szy_three_values_are_flows_and_two_are_a_pair() -> None:
    three = szy206.encode_self_report(
        address=bytes.fromhex("6501020700"), values=["1.5", "2.5", "3.5"], pairs=False, observed_at=OBSERVED
    )
    decoded = decode_frame(three, received_at=RECEIVED, profile=get_profile("szy206-2016"))
    assert [e.id for e in decoded.values] == ["flow_1", "flow_2", "flow_3"]
    two = szy206.encode_self_report(address=bytes.fromhex("6501020700"), values=["1.5", 100], observed_at=OBSERVED)
    decoded = decode_frame(two, received_at=RECEIVED, profile=get_profile("szy206-2016"))
    assert [e.id for e in decoded.values] == ["flow_1", "volume_1"]
    flows = decode_frame(two, received_at=RECEIVED, profile=get_profile("szy206-2016-flow-only"))
    assert [e.id for e in flows.values] == ["flow_1", "flow_2"]


def test_status_alarm_reply_46h_has_its_own_layout() -> None:
    body = head() + b"\xf1\xf1" + STATION + b"\x45\x20" + (0b1000_0011).to_bytes(4, "big")
    decoded = decode_frame(uplink(0x46, body), received_at=RECEIVED)
    assert decoded.alarm == 0b1000_0011
    assert set(decoded.alarm_flags) == {"ac_power_outage", "battery_low", "cabinet_door_closed"}
    frame = decoded.frame
    assert isinstance(frame, sl651.Sl651Frame)
    assert frame.station_class is None
    assert frame.observed_at is None
    with pytest.raises(MalformedFrame):  # the report layout's class byte is not there
        decode_frame(uplink(0x46, head() + b"\xf1\xf1" + STATION + b"I\x45\x20" + bytes(4)), received_at=RECEIVED)


def test_series_31h_each_value_at_its_own_time_and_missing_slots() -> None:
    values = b"\xff\xff\xff\xff" * 2 + bytes.fromhex("00010490") + bytes.fromhex("00010500")
    decoded = decode_frame(
        uplink(0x31, series_body(values)), received_at=RECEIVED, profile=get_profile("sl651", volume_element="39")
    )
    assert [e.observed_at for e in decoded.values] == [OBSERVED + timedelta(minutes=5 * i) for i in range(4)]
    assert [e.value for e in decoded.values] == [None, None, Decimal("10.490"), Decimal("10.500")]
    assert decoded.missing == 2
    # Readings only for measured slots, each at its own time.
    assert [(r.observed_at, r.cumulative_m3) for r in decoded.readings] == [
        (OBSERVED + timedelta(minutes=10), Decimal("10.490")),
        (OBSERVED + timedelta(minutes=15), Decimal("10.500")),
    ]
    frame = decoded.frame
    assert isinstance(frame, sl651.Sl651Frame)
    assert frame.info == {"step_minutes": 5, "series": "39", "count": 4}
    assert build_ack(decoded) is not None


def test_series_all_aa_values_are_missing_not_an_error() -> None:
    decoded = decode_frame(uplink(0x31, series_body(b"\xaa" * 8)), received_at=RECEIVED)
    assert [e.value for e in decoded.values] == [None, None]
    assert decoded.missing == 2


@pytest.mark.parametrize(
    ("body", "error"),
    [
        (series_body(bytes.fromhex("000104")), BadLength),  # shorter than its declared value size
        (series_body(bytes.fromhex("00010490"), step=b"\x00\x00\x00"), BadTime),  # time step of 0
        (series_body(b"", ident=b"\x39\x23"), BadLength),  # identifier, no values
    ],
)
def test_series_bad_input(body: bytes, error: type[Exception]) -> None:
    with pytest.raises(error):
        decode_frame(uplink(0x31, body), received_at=RECEIVED)


def test_period_reply_38h_and_hourly_step() -> None:
    values = bytes.fromhex("00010490") * 3
    decoded = decode_frame(uplink(0x38, series_body(values, step=b"\x00\x01\x00")), received_at=RECEIVED)
    assert [e.observed_at for e in decoded.values] == [OBSERVED + timedelta(hours=i) for i in range(3)]


def test_clock_version_and_config_replies() -> None:
    clock = decode_frame(uplink(0x51, head() + b"\xf1\xf1" + STATION), received_at=RECEIVED)
    frame = clock.frame
    assert isinstance(frame, sl651.Sl651Frame)
    assert frame.info == {"clock": SENT}
    version = decode_frame(uplink(0x45, head() + b"\xf1\xf1" + STATION + b"\x05V1.02"), received_at=RECEIVED)
    assert version.value("version") == "V1.02"
    params = decode_frame(
        uplink(0x43, head() + b"\xf1\xf1" + STATION + b"\x20\x08\x01\x21\x08\x05"), received_at=RECEIVED
    )
    assert (params.value("par_20"), params.value("par_21")) == (Decimal(1), Decimal(5))
    with pytest.raises(BadLength):
        decode_frame(uplink(0x45, head() + b"\xf1\xf1" + STATION + b"\x09V1"), received_at=RECEIVED)


@pytest.mark.parametrize("function", sorted(layouts.REFUSED))
def test_unimplemented_functions_are_refused_by_name(function: int) -> None:
    raw = uplink(function, head() + b"\xf1\xf1" + STATION + b"I")
    with pytest.raises(UnsupportedFrame, match=f"{function:02X}H"):
        decode_frame(raw, received_at=RECEIVED)


def test_report_with_elements_never_decodes_to_nothing() -> None:
    # The real-RTU trap: one value then an FF run. The run is the value's own missing marker.
    body = head() + b"\xf1\xf1" + STATION + b"I\xf0\xf0" + sl651.encode_sl651_time(OBSERVED, 5, BEIJING)
    body += b"\x39\x23\xff\xff\xff\xff" + b"\x38\x12\x12\x10"
    decoded = decode_frame(uplink(0x32, body), received_at=RECEIVED)
    assert [(e.id, e.value) for e in decoded.values] == [("39", None), ("38", Decimal("12.10"))]
    assert decoded.missing == 1


# --- ASCII bad input and series ------------------------------------------------------------------------------


def ascii_up(function: int, text: str) -> bytes:
    return ascii_.encode_frame(centre=1, station=STATION, password=0x1234, function=function, body=text)


def test_ascii_series_and_missing() -> None:
    text = ascii_.body_head(3, SENT) + f"ST {STATION.hex().upper()} I TT 2407010800 DRN05 Z FFFF 10.49 10.50 VT 12.1 "
    decoded = decode_frame(ascii_up(0x31, text), received_at=RECEIVED)
    assert [(e.id, e.value, e.observed_at) for e in decoded.values] == [
        ("39", None, OBSERVED),
        ("39", Decimal("10.49"), OBSERVED + timedelta(minutes=5)),
        ("39", Decimal("10.50"), OBSERVED + timedelta(minutes=10)),
        ("38", Decimal("12.1"), OBSERVED),
    ]
    assert decoded.missing == 1


@pytest.mark.parametrize(
    ("raw", "error"),
    [
        # wrong length in the header: 004A announces more characters than the frame has
        (ASCII_SAMPLE.replace(b"32004A", b"32004B"), "TruncatedFrame"),
        # non-hex characters where hex is due (password)
        (ASCII_SAMPLE.replace(b"1234", b"12G4", 1), "MalformedFrame"),
        (None, "BadTime"),  # time step of 0
        (None, "MalformedFrame"),  # a value that is not a number
    ],
)
def test_ascii_bad_input(raw: bytes | None, error: str) -> None:
    if raw is None:
        group = "DRN00 Z 1.0 " if error == "BadTime" else "Z 1.2x "
        raw = ascii_up(0x32, ascii_.body_head(3, SENT) + f"ST {STATION.hex().upper()} I TT 2407010800 {group}")
    with pytest.raises(FrameError) as info:
        sl651.decode(raw, check_crc=False)
    assert type(info.value).__name__ == error


def test_splitter_frames_ascii_between_garbage_and_hex() -> None:
    hex_frame = uplink(0x2F, head())
    stream = b"xx\x01\x01" + ASCII_SAMPLE + b"\x00" + hex_frame + ASCII_SAMPLE[:30]
    splitter = FrameSplitter()
    frames = splitter.feed(stream)
    assert frames == [ASCII_SAMPLE, hex_frame]
    assert splitter.feed(ASCII_SAMPLE[30:]) == [ASCII_SAMPLE]


# --- multi-packet ----------------------------------------------------------------------------------------------


def _packets(body: bytes, count: int, *, ascii_text: bool = False) -> list[bytes]:
    size = -(-len(body) // count)
    out = []
    for i in range(count):
        part = body[i * size : (i + 1) * size]
        end = sl651.ETX if i == count - 1 else sl651.ETB
        if ascii_text:
            out.append(
                ascii_.encode_frame(
                    centre=1,
                    station=STATION,
                    password=0x1234,
                    function=0x32,
                    body=part.decode(),
                    end=end,
                    packet=(count, i + 1),
                )
            )
        else:
            out.append(
                sl651.encode_frame(
                    centre=1, station=STATION, password=0x1234, function=0x32, body=part, end=end, packet=(count, i + 1)
                )
            )
    return out


def test_m3_missing_packets_get_a_nak_listing_them_then_the_message_completes() -> None:
    body = head() + b"\xf1\xf1" + STATION + b"I\xf0\xf0" + sl651.encode_sl651_time(OBSERVED, 5, BEIJING)
    body += b"\x39\x23\x00\x01\x04\x90" * 6
    packets = _packets(body, 4)
    assembler = PacketAssembler()
    profile = get_profile("sl651")
    for raw in (packets[0], packets[3]):  # 2 and 3 lost
        assert assembler.add(decode_frame(raw, received_at=RECEIVED, profile=profile)) is None
    nak = assembler.take_nak()
    assert nak is not None
    assert assembler.take_nak() is None
    answer = sl651.decode(nak)
    assert answer.end == sl651.NAK
    assert not answer.uplink
    assert answer.info == {"missing_packets": [2, 3]}
    assert assembler.add(decode_frame(packets[1], received_at=RECEIVED, profile=profile)) is None
    merged = assembler.add(decode_frame(packets[2], received_at=RECEIVED, profile=profile))
    assert merged is not None
    assert len(merged.values) == 6


def test_ascii_multi_packet_and_nak() -> None:
    text = ascii_.body_head(3, SENT) + f"ST {STATION.hex().upper()} I TT 2407010800 " + "Z 10.49 " * 8
    packets = _packets(text.encode(), 3, ascii_text=True)
    assembler = PacketAssembler()
    assert assembler.add(decode_frame(packets[2], received_at=RECEIVED)) is None
    nak = assembler.take_nak()
    assert nak is not None
    assert sl651.decode(nak).info == {"missing_packets": [1, 2]}
    assert assembler.add(decode_frame(packets[0], received_at=RECEIVED)) is None
    merged = assembler.add(decode_frame(packets[1], received_at=RECEIVED))
    assert merged is not None
    assert len(merged.values) == 8


def test_szy_split_frames_are_joined() -> None:
    whole = szy206.encode_self_report(address=bytes.fromhex("6501020700"), values=["1.5", 100], observed_at=OBSERVED)
    data = whole[10:-2]  # after C, A, AFN
    control = whole[3]
    first = szy206.encode_frame(control=control, address=whole[4:9], afn=0xC0, data=data[:7], divs=2)
    last = szy206.encode_frame(control=control, address=whole[4:9], afn=0xC0, data=data[7:], divs=1)
    profile = get_profile("szy206-2016")
    assembler = PacketAssembler()
    assert assembler.add(decode_frame(first, received_at=RECEIVED, profile=profile)) is None
    merged = assembler.add(decode_frame(last, received_at=RECEIVED, profile=profile))
    assert merged is not None
    assert [r.cumulative_m3 for r in merged.readings] == [Decimal(100)]
    # The last fragment alone (its first one lost) is refused, counted as a decode error.
    assembler = PacketAssembler()
    lone = szy206.encode_frame(control=control, address=whole[4:9], afn=0xC0, data=data[7:], divs=1)
    stray = szy206.encode_frame(control=control, address=whole[4:9], afn=0xC0, data=data[:3], divs=3)
    assert assembler.add(decode_frame(stray, received_at=RECEIVED, profile=profile)) is None
    with pytest.raises(BadLength):
        assembler.add(decode_frame(lone, received_at=RECEIVED, profile=profile))


# --- downlink bodies -------------------------------------------------------------------------------------------


def test_period_query_round_trip() -> None:
    start, end = datetime(2024, 7, 1, 0, tzinfo=BEIJING), datetime(2024, 7, 1, 12, tzinfo=BEIJING)
    body = head() + layouts.encode_period_query(start, end, 5, "39", 0x23, BEIJING)
    raw = sl651.encode_frame(
        centre=1, station=STATION, password=0x1234, function=0x38, body=body, uplink=False, end=sl651.ENQ
    )
    frame = sl651.decode(raw)
    assert frame.info == {"start": start, "end": end, "step_minutes": 5, "element": "39", "ddef": 0x23}
