"""SL 651 codec: header, elements, extensions, arrays, multi-packet, confirmations, round trips, refusals."""

from __future__ import annotations

import random
from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest

from tests.water_telemetry.samples import SL651_KEEPALIVE, SL651_TEST_UP, SL651_TIMED_UP
from water.telemetry import (
    BadBCD,
    BadCRC,
    BadLength,
    BadTime,
    MalformedFrame,
    PacketAssembler,
    TruncatedFrame,
    UnknownFunction,
    UnknownProtocol,
    UnsupportedFrame,
    build_ack,
    decode_frame,
    get_profile,
    sl651,
)
from water.telemetry.crc import crc16_modbus
from water.telemetry.timeutil import BEIJING

STATION = bytes.fromhex("6501020457")  # intake: division 650102, local number 0x0457
SENT = datetime(2024, 7, 1, 9, 0, 12, tzinfo=BEIJING)
OBSERVED = datetime(2024, 7, 1, 9, 0, tzinfo=BEIJING)
RECEIVED = datetime(2024, 7, 1, 1, 0, 20, tzinfo=UTC)


def _recrc(frame: bytes | bytearray) -> bytes:
    out = bytearray(frame)
    out[-2:] = crc16_modbus(out[:-2]).to_bytes(2, "big")
    return bytes(out)


def intake_report(*elements: bytes, function: int = 0x32) -> bytes:
    return sl651.encode_report(
        centre=1,
        station=STATION,
        password=0x1234,
        serial=77,
        sent_at=SENT,
        observed_at=OBSERVED,
        elements=list(elements),
        function=function,
    )


def test_header_fields_uplink_and_station_parts() -> None:
    frame = sl651.decode(intake_report(sl651.encode_element(0x27, Decimal("1.234"), nbytes=5, decimals=3)))
    assert frame.uplink
    assert (frame.centre, frame.station_hex, frame.password, frame.function) == (1, "6501020457", 0x1234, 0x32)
    assert frame.serial == 77
    assert frame.sent_at == SENT
    assert frame.observed_at == OBSERVED
    assert frame.station_class_name == "intake"
    assert sl651.station_parts(STATION) == {"kind": "station", "division": "650102", "station_no": 0x0457}
    assert sl651.station_parts(bytes.fromhex("0012345678")) == {"kind": "hydrological", "code": "12345678"}


def test_negative_and_missing_values() -> None:
    frame = sl651.decode(
        intake_report(
            sl651.encode_element(0x39, Decimal("-0.127"), nbytes=4, decimals=3),
            sl651.encode_element(0x3A, Decimal("-12.5"), nbytes=3, decimals=1),
            sl651.encode_element(0x27, None, nbytes=5, decimals=3),
        )
    )
    assert [e.value for e in frame.elements] == [Decimal("-0.127"), Decimal("-12.5"), None]
    assert frame.elements[0].raw == bytes.fromhex("FF000127")
    assert frame.elements[2].raw == b"\xaa" * 5


def test_data_definition_sets_length_and_decimals() -> None:
    frame = sl651.decode(intake_report(bytes.fromhex("39 2B 0000012345")))  # 0x2B = 5 bytes, 3 decimals
    assert frame.elements[0].value == Decimal("12.345")
    assert frame.elements[0].decimals == 3
    frame = sl651.decode(intake_report(bytes.fromhex("39 28 0000012345")))  # 5 bytes, 0 decimals
    assert frame.elements[0].value == Decimal(12345)


def test_ff_extension_and_unknown_ids() -> None:
    frame = sl651.decode(
        intake_report(
            sl651.encode_element("FF01", Decimal("123456.78"), nbytes=6, decimals=2),
            bytes.fromhex("80 08 5A"),  # reserved id 80H with a non-BCD byte: kept raw
            sl651.encode_element(0x38, Decimal("12.1"), nbytes=2, decimals=1),
        )
    )
    assert [(e.id, e.value, e.known) for e in frame.elements] == [
        ("FF01", Decimal("123456.78"), False),
        ("80", None, False),
        ("38", Decimal("12.1"), True),
    ]
    assert frame.elements[1].raw == b"\x5a"
    assert frame.unknown == ("FF01", "80")


def test_status_word_and_alarm_flags() -> None:
    raw = intake_report(sl651.encode_element(0x45, 0b1000_1000_0001, nbytes=4, decimals=0))
    decoded = decode_frame(raw, received_at=RECEIVED)
    assert decoded.alarm == 0b1000_1000_0001
    assert decoded.alarm_flags == ("ac_power_outage", "cabinet_door_closed", "remaining_volume_over_limit")


def test_five_minute_arrays() -> None:
    rain = (Decimal("0.0"), Decimal("0.5"), None, *(Decimal("1.2") for _ in range(9)))
    levels = (*(Decimal(i).scaleb(-2) for i in range(11)), None)
    frame = sl651.decode(
        intake_report(
            sl651.encode_element(0xF4, rain, nbytes=12, decimals=0),
            sl651.encode_element(0xF5, levels, nbytes=24, decimals=0),
            sl651.encode_element(0xFC, levels, nbytes=24, decimals=0),
            function=0x34,
        )
    )
    assert frame.elements[0].raw[:4] == bytes.fromhex("0005FF0C")  # 0.1 mm per unit, FF = missing
    assert frame.elements[0].value == rain
    assert frame.elements[1].value == levels
    assert frame.elements[1].raw[-2:] == b"\xff\xff"
    assert frame.elements[2].id == "FC"


def test_f4_f5_definition_bytes_as_sent() -> None:
    # F4 60 = twelve bytes, F5 C0 = twenty-four bytes (domain.md §3.3 table).
    f4 = sl651.encode_element(0xF4, tuple([Decimal("0.1")] * 12), nbytes=12, decimals=0)
    f5 = sl651.encode_element(0xF5, tuple([Decimal("1.00")] * 12), nbytes=24, decimals=0)
    assert f4[:2] == bytes.fromhex("F460")
    assert f5[:2] == bytes.fromhex("F5C0")


def test_several_observation_times_in_one_body() -> None:
    later = OBSERVED + timedelta(hours=1)
    second_group = b"\xf0\xf0" + bytes.fromhex("2407011000")
    frame = sl651.decode(
        intake_report(
            sl651.encode_element(0x27, Decimal("1.000"), nbytes=5, decimals=3),
            second_group,
            sl651.encode_element(0x27, Decimal("2.000"), nbytes=5, decimals=3),
        )
    )
    assert [(e.value, e.observed_at) for e in frame.elements] == [
        (Decimal("1.000"), OBSERVED),
        (Decimal("2.000"), later),
    ]
    assert frame.observed_at == OBSERVED


def test_timed_report_readings_through_a_profile() -> None:
    raw = intake_report(
        sl651.encode_element(0x27, Decimal("0.250"), nbytes=5, decimals=3),
        sl651.encode_element("FF01", Decimal("8812.5"), nbytes=6, decimals=1),
    )
    plain = decode_frame(raw, received_at=RECEIVED, profile=get_profile("sl651"))
    assert [(r.cumulative_m3, r.flow_m3s) for r in plain.readings] == [(None, Decimal("0.250"))]
    assert plain.unknown_elements == ("FF01",)
    with_volume = decode_frame(raw, received_at=RECEIVED, profile=get_profile("sl651", volume_element="FF01"))
    assert [(r.address, r.observed_at, r.cumulative_m3, r.flow_m3s) for r in with_volume.readings] == [
        ("6501020457", OBSERVED, Decimal("8812.5"), Decimal("0.250"))
    ]
    assert with_volume.unknown_elements == ()  # the profile's own extension is not "unknown"


def test_downlink_and_confirmation() -> None:
    up = decode_frame(intake_report(), received_at=RECEIVED)
    ack = build_ack(up)
    assert ack is not None
    down = sl651.decode(ack)
    assert not down.uplink
    assert (down.station, down.centre, down.function, down.password, down.serial) == (STATION, 1, 0x32, 0x1234, 77)
    assert down.end == sl651.EOT
    assert down.sent_at == SENT  # echoed
    own_time = datetime(2024, 7, 1, 9, 0, 30, tzinfo=BEIJING)
    assert sl651.decode(build_ack(up, sent_at=own_time) or b"").sent_at == own_time
    assert sl651.decode(build_ack(up, keep_online=True) or b"").end == sl651.ESC
    with pytest.raises(ValueError, match="EOT, ESC or ACK"):
        sl651.build_confirmation(up.frame, end=sl651.ETX)  # type: ignore[arg-type]


def test_keepalive_confirmed_only_when_the_profile_says_so() -> None:
    decoded = decode_frame(SL651_KEEPALIVE, received_at=RECEIVED)
    assert build_ack(decoded) is None
    decoded = decode_frame(SL651_KEEPALIVE, received_at=RECEIVED, profile=get_profile("sl651", confirm_keepalive=True))
    assert build_ack(decoded) is not None


def test_downlink_frames_are_not_confirmed() -> None:
    down = sl651.encode_frame(
        centre=1,
        station=STATION,
        password=1,
        function=0x37,
        body=bytes(2) + bytes.fromhex("240701090000"),
        uplink=False,
        end=sl651.ENQ,
    )
    decoded = decode_frame(down, received_at=RECEIVED)
    assert not decoded.uplink
    assert build_ack(decoded) is None


# --- multi-packet --------------------------------------------------------------------------------------------


def _packets(whole: bytes, parts: int) -> list[bytes]:
    frame = sl651.decode(whole)
    body = frame.body
    size = -(-len(body) // parts)
    chunks = [body[i : i + size] for i in range(0, len(body), size)]
    return [
        sl651.encode_frame(
            centre=frame.centre,
            station=frame.station,
            password=frame.password,
            function=frame.function,
            body=chunk,
            packet=(len(chunks), seq),
            end=sl651.ETX if seq == len(chunks) else sl651.ETB,
        )
        for seq, chunk in enumerate(chunks, start=1)
    ]


def test_multi_packet_in_and_out_of_order() -> None:
    whole = intake_report(*[sl651.encode_element(0x3C + i, Decimal(i), nbytes=4, decimals=3) for i in range(8)])
    packets = _packets(whole, 3)
    first = decode_frame(packets[0], received_at=RECEIVED)
    assert not first.complete
    assert first.values == ()
    assert first.frame.packet == (3, 1)  # type: ignore[union-attr]
    assert build_ack(first) is None
    for order in ([0, 1, 2], [2, 0, 1]):
        assembler = PacketAssembler()
        results = [assembler.add(decode_frame(packets[i], received_at=RECEIVED)) for i in order]
        assert results[:2] == [None, None]
        merged = results[2]
        assert merged is not None
        assert merged.complete
        assert [e.id for e in merged.values] == [f"{0x3C + i:02X}" for i in range(8)]
        assert merged.frame.packets == 3  # type: ignore[union-attr]
        assert merged.raw == b"".join(packets[i] for i in range(3))
        assert build_ack(merged) is not None


def test_reassembler_is_bounded() -> None:
    reassembler = sl651.Reassembler(max_pending=2)
    group = sl651.encode_element(0x3C, Decimal(1), nbytes=4, decimals=3)
    for function in (0x32, 0x33, 0x34):
        first = _packets(intake_report(group, group, function=function), 2)[0]
        assert reassembler.add(sl651.decode(first)) is None
    assert reassembler.pending == 2
    assert reassembler.dropped == 1


def test_single_frames_pass_through_the_assembler() -> None:
    decoded = decode_frame(SL651_TIMED_UP, received_at=RECEIVED)
    assert PacketAssembler().add(decoded) is decoded


# --- round trips -------------------------------------------------------------------------------------------------


def test_round_trip_generated_reports() -> None:
    rng = random.Random(651)
    ids = [0x20, 0x26, 0x27, 0x28, 0x30, 0x38, 0x39, 0x3A, 0x46, 0x60, 0x68]
    for _ in range(300):
        expected: list[tuple[str, Decimal | None]] = []
        groups: list[bytes] = []
        for _ in range(rng.randint(0, 8)):
            nbytes, decimals = rng.randint(2, 8), rng.randint(0, 4)
            digits = 2 * (nbytes - 1)  # leave room for the FF sign byte
            number = rng.randint(-(10**digits) + 1, 10**digits - 1)
            value = None if rng.random() < 0.1 else Decimal(number).scaleb(-decimals)
            ident: int | str = rng.choice(ids) if rng.random() < 0.8 else f"FF{rng.randint(0, 255):02X}"
            groups.append(sl651.encode_element(ident, value, nbytes=nbytes, decimals=decimals))
            expected.append((ident if isinstance(ident, str) else f"{ident:02X}", value))
        sent = datetime(2020, 1, 1, tzinfo=BEIJING) + timedelta(seconds=rng.randint(0, 20 * 365 * 86400))
        observed = sent.replace(second=0)
        station = rng.randbytes(5)
        raw = sl651.encode_report(
            centre=rng.randint(1, 255),
            station=station,
            password=rng.getrandbits(16),
            serial=rng.randint(1, 65535),
            sent_at=sent,
            observed_at=observed,
            elements=groups,
            function=rng.choice([0x30, 0x32, 0x33, 0x34]),
            station_class=rng.choice(list(sl651.STATION_CLASSES)),
        )
        frame = sl651.decode(raw)
        assert [(e.id, e.value) for e in frame.elements] == expected
        assert frame.sent_at == sent.replace(microsecond=0)
        assert frame.observed_at == observed.replace(microsecond=0)
        assert frame.station == frame.body_station == station
        assert sl651.decode(sl651.build_confirmation(frame)).serial == frame.serial


# --- refusals --------------------------------------------------------------------------------------------------


def test_truncated_every_cut() -> None:
    for cut in range(len(SL651_TEST_UP)):
        with pytest.raises((TruncatedFrame, UnknownProtocol)):
            sl651.decode(SL651_TEST_UP[:cut])


def test_extra_bytes_and_bad_length_field() -> None:
    with pytest.raises(BadLength):
        sl651.decode(SL651_TEST_UP + b"\x00")
    frame = bytearray(SL651_TEST_UP)
    frame[12] -= 1  # body one byte shorter than sent
    with pytest.raises(BadLength):
        sl651.decode(frame)


def test_bad_direction_start_and_end_characters() -> None:
    frame = bytearray(SL651_TEST_UP)
    frame[11] = 0x40
    with pytest.raises(MalformedFrame):
        sl651.decode(frame)
    frame = bytearray(SL651_TEST_UP)
    frame[13] = 0x03
    with pytest.raises(MalformedFrame):
        sl651.decode(_recrc(frame))
    frame = bytearray(SL651_TEST_UP)
    frame[-3] = 0x07
    with pytest.raises(MalformedFrame):
        sl651.decode(_recrc(frame))


def test_bad_crc_names_the_station_and_lenient_mode() -> None:
    frame = bytearray(SL651_TEST_UP)
    frame[-1] ^= 0x01
    with pytest.raises(BadCRC) as info:
        sl651.decode(frame)
    assert info.value.station == "0012345678"
    decoded = decode_frame(frame, received_at=RECEIVED, check_crc=False)
    assert not decoded.crc_ok
    assert decoded.value("39") == Decimal("0.127")
    assert decoded.readings == ()
    assert build_ack(decoded) is None  # the station must resend


@pytest.mark.parametrize("function", [0x00, 0x2E, 0x3B, 0x3F, 0x52, 0xDF])
def test_reserved_function_codes(function: int) -> None:
    raw = sl651.encode_frame(centre=1, station=STATION, password=0, function=function, body=bytes(8))
    with pytest.raises(UnknownFunction) as info:
        sl651.decode(raw)
    assert info.value.code == function
    assert info.value.station == "6501020457"


def test_user_defined_function_is_refused_by_name() -> None:
    # Issue 18: a function without an implemented layout is refused by name, never "decoded" with no values.
    raw = sl651.encode_frame(centre=1, station=STATION, password=0, function=0xE5, body=b"\x01\x02\x03")
    with pytest.raises(UnsupportedFrame, match="E5H"):
        sl651.decode(raw)


def test_bcd_digit_above_nine_in_a_known_element() -> None:
    with pytest.raises(BadBCD) as info:
        sl651.decode(intake_report(bytes.fromhex("39 23 0001A490")))
    assert "39" in str(info.value)
    assert info.value.station == "6501020457"


@pytest.mark.parametrize(
    ("field", "value"),
    [("sent", "241301090000"), ("sent", "240230090000"), ("sent", "240701250000"), ("observed", "2407010960")],
)
def test_impossible_dates(field: str, value: str) -> None:
    raw = bytearray(intake_report())
    offset = 14 + 2 if field == "sent" else 14 + 2 + 6 + 2 + 5 + 1 + 2
    raw[offset : offset + len(value) // 2] = bytes.fromhex(value)
    with pytest.raises(BadTime):
        sl651.decode(_recrc(raw))


def test_bcd_digit_above_nine_in_a_time() -> None:
    raw = bytearray(intake_report())
    raw[16] = 0x2A
    with pytest.raises(BadBCD):
        sl651.decode(_recrc(raw))


def test_malformed_element_groups() -> None:
    for groups in (b"\x39", b"\x39\x00", b"\x39\x23\x00", b"\xf0\xf0\x24", b"\xff\x01", b"\xf5\x18" + bytes(3)):
        with pytest.raises(BadLength):
            sl651.decode(intake_report(groups))


def test_report_without_station_group() -> None:
    body = (77).to_bytes(2, "big") + bytes.fromhex("240701090012") + b"\x00\x00" + bytes(6)
    raw = sl651.encode_frame(centre=1, station=STATION, password=0, function=0x32, body=body)
    with pytest.raises(MalformedFrame):
        sl651.decode(raw)


def test_short_body_and_packet_header() -> None:
    raw = sl651.encode_frame(centre=1, station=STATION, password=0, function=0x32, body=bytes(5))
    with pytest.raises(BadLength):
        sl651.decode(raw)
    bad_packet = sl651.encode_frame(centre=1, station=STATION, password=0, function=0x32, body=b"", packet=(2, 1))
    frame = bytearray(bad_packet)
    frame[14:17] = ((2 << 12) | 3).to_bytes(3, "big")  # packet 3 of 2
    with pytest.raises(BadLength):
        sl651.decode(_recrc(frame))


def test_ascii_and_unknown_starts() -> None:
    with pytest.raises(MalformedFrame):  # SOH frames are decoded now: this one's header is not hex text
        sl651.decode(b"\x01" + b"12345678901234567890ZZZZ" + b"1234567890")
    with pytest.raises(UnknownProtocol):
        sl651.decode(b"\x7e\x7f" + bytes(30))
