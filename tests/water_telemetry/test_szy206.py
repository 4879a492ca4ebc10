"""SZY 206 / SL/T 427 codec: fields, options, time labels, acknowledgements, round trips, refusals."""

from __future__ import annotations

import random
from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest

from tests.water_telemetry.samples import SZY_SAMPLE
from water.telemetry import (
    BadBCD,
    BadCRC,
    BadLength,
    BadTime,
    MalformedFrame,
    TruncatedFrame,
    UnknownFunction,
    UnknownProtocol,
    build_ack,
    decode_frame,
    get_profile,
    szy206,
)
from water.telemetry.crc import crc8_e5
from water.telemetry.timeutil import BEIJING, resolve_day_label

ADDRESS = szy206.encode_address("650102", 1234)


def _with_crc(frame: bytearray | bytes) -> bytes:
    """Recompute CS after editing a frame's user data."""
    out = bytearray(frame)
    length = out[1]
    out[3 + length] = crc8_e5(out[3 : 3 + length])
    return bytes(out)


def report(moment: datetime, values: list[Decimal | int | None] | None = None, **kw: object) -> bytes:
    return szy206.encode_self_report(
        address=ADDRESS,
        values=values if values is not None else [Decimal("1.250"), 4321],
        observed_at=moment,
        **kw,  # type: ignore[arg-type]
    )


# --- control byte and address ---------------------------------------------------------------------------------


def test_control_byte_round_trip() -> None:
    for c in range(256):
        assert szy206.Control.from_byte(c).to_byte() == c


def test_address_a2_byte_order_is_an_option() -> None:
    raw = bytes.fromhex("5303810D00")
    little = szy206.parse_address(raw, "little")
    big = szy206.parse_address(raw, "big")
    assert (little.division, little.station_no) == ("530381", 13)
    assert big.station_no == 0x0D00
    # The hex key does not depend on the option; the canonical form normalises the vendor difference.
    assert little.hex == big.hex == "5303810D00"
    assert little.canonical == "530381000D"
    assert szy206.parse_address(bytes.fromhex("530381000D"), "big").canonical == "530381000D"


def test_address_modes_and_kinds() -> None:
    assert szy206.parse_address(bytes.fromhex("0012AB34CD")).code == "12AB34CD"
    assert szy206.parse_address(szy206.encode_address("650102", 0)).kind == "invalid"
    assert szy206.parse_address(szy206.encode_address("650102", 60000)).kind == "station"
    assert szy206.parse_address(szy206.encode_address("650102", 60001)).kind == "relay"
    assert szy206.parse_address(szy206.encode_address("650102", 65535)).kind == "broadcast"
    assert szy206.parse_address(bytes.fromhex("5A03810D00")).division is None  # non-BCD A1: still keyed by hex
    with pytest.raises(ValueError, match="6 digits"):
        szy206.encode_address("65010", 1)


# --- time labels: month and year edges -------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("day", "received", "expected"),
    [
        # A label for day 31 received on the 1st belongs to the previous month …
        (31, datetime(2024, 2, 1, 0, 3, tzinfo=BEIJING), datetime(2024, 1, 31, 23, 59, 30, tzinfo=BEIJING)),
        # … and to the previous year across New Year.
        (31, datetime(2025, 1, 1, 0, 0, 10, tzinfo=BEIJING), datetime(2024, 12, 31, 23, 59, 30, tzinfo=BEIJING)),
        # Receive time in UTC is still the 31st, but Beijing has started the 1st: month ends are Beijing's.
        (31, datetime(2024, 12, 31, 16, 0, 10, tzinfo=UTC), datetime(2024, 12, 31, 23, 59, 30, tzinfo=BEIJING)),
        # Leap day.
        (29, datetime(2024, 3, 1, 0, 1, tzinfo=BEIJING), datetime(2024, 2, 29, 23, 59, 30, tzinfo=BEIJING)),
        # Same day, the ordinary case.
        (15, datetime(2024, 6, 15, 10, 0, tzinfo=BEIJING), datetime(2024, 6, 15, 23, 59, 30, tzinfo=BEIJING)),
    ],
)
def test_day_label_month_resolution(day: int, received: datetime, expected: datetime) -> None:
    # 23:59:30 on "day" from a clock that is a little fast is still this month unless a day ahead.
    got = resolve_day_label(day, 23, 59, 30, received_at=received)
    assert got == expected
    assert got.utcoffset() == timedelta(hours=8)


def test_fast_clock_at_month_end_lands_in_next_month() -> None:
    got = resolve_day_label(1, 0, 0, 5, received_at=datetime(2024, 12, 31, 23, 59, 58, tzinfo=BEIJING))
    assert got == datetime(2025, 1, 1, 0, 0, 5, tzinfo=BEIJING)


def test_day_label_recovers_any_recent_instant() -> None:
    # Any true instant from 20 days before to 23 hours after receipt (a fast clock) comes back exactly,
    # whatever the month lengths around it.
    rng = random.Random(31)
    start = datetime(2019, 1, 1, tzinfo=UTC)
    for _ in range(3000):
        received = start + timedelta(seconds=rng.randint(0, 12 * 365 * 86400))
        true = (received - timedelta(seconds=rng.randint(-23 * 3600, 20 * 86400))).astimezone(BEIJING)
        got = resolve_day_label(true.day, true.hour, true.minute, true.second, received_at=received)
        assert got == true.replace(microsecond=0), (received, true)


def test_day_no_nearby_month_has_is_refused() -> None:
    with pytest.raises(BadTime):
        resolve_day_label(30, 12, 0, 0, received_at=datetime(2024, 3, 1, 8, tzinfo=BEIJING))  # no 30 February
    with pytest.raises(BadTime):
        resolve_day_label(29, 12, 0, 0, received_at=datetime(2023, 3, 1, 8, tzinfo=BEIJING))  # 2023 not leap
    with pytest.raises(BadTime):
        resolve_day_label(32, 12, 0, 0, received_at=datetime(2023, 3, 1, 8, tzinfo=BEIJING))
    with pytest.raises(ValueError, match="aware"):
        resolve_day_label(1, 0, 0, 0, received_at=datetime(2024, 1, 1))  # noqa: DTZ001 - the point of the test


def test_month_edge_through_decode_frame() -> None:
    frame = report(datetime(2024, 12, 31, 23, 58, 0, tzinfo=BEIJING))
    decoded = decode_frame(frame, received_at=datetime(2025, 1, 1, 0, 0, 5, tzinfo=BEIJING))
    assert decoded.times["label"] == datetime(2024, 12, 31, 23, 58, tzinfo=BEIJING)
    assert decoded.readings[0].observed_at.year == 2024


def test_label_no_month_fits_is_refused_with_the_station() -> None:
    frame = report(datetime(2024, 1, 30, 12, 0, tzinfo=BEIJING))
    with pytest.raises(BadTime) as info:
        decode_frame(frame, received_at=datetime(2024, 3, 1, 8, 0, tzinfo=BEIJING))  # no 30 February
    assert (info.value.protocol, info.value.station) == ("szy206", ADDRESS.hex().upper())


def test_seven_byte_label_carries_month_and_year() -> None:
    moment = datetime(2023, 2, 28, 17, 5, 9, tzinfo=BEIJING)
    frame = report(moment, edition="2021")
    decoded = decode_frame(
        frame, received_at=datetime(2024, 6, 1, tzinfo=UTC), profile=get_profile("slt427-2021-pairs")
    )
    assert decoded.times["label"] == moment  # received_at does not matter for the 7-byte form
    assert decoded.frame.edition == "2021"  # type: ignore[union-attr]


@pytest.mark.parametrize("label", ["0045082A0A", "6045080900", "0060080900", "0045240900", "0045080000", "00450832FF"])
def test_impossible_five_byte_labels(label: str) -> None:
    frame = bytearray(SZY_SAMPLE)
    frame[-7:-2] = bytes.fromhex(label)
    with pytest.raises((BadTime, BadBCD)):
        szy206.decode(_with_crc(frame))


def test_impossible_seven_byte_label() -> None:
    frame = bytearray(report(datetime(2023, 2, 28, 17, 5, 9, tzinfo=BEIJING), edition="2021"))
    frame[-6] = 0x30  # day 28 → 30 in February
    with pytest.raises(BadTime):
        szy206.decode(_with_crc(frame), edition="2021")


# --- editions, pairs, sign rules -------------------------------------------------------------------------------


def test_auto_edition_picks_the_tp_length_that_divides() -> None:
    moment = datetime(2024, 5, 9, 8, 45, tzinfo=BEIJING)
    assert szy206.decode(report(moment, edition="2016")).edition == "2016"
    assert szy206.decode(report(moment, edition="2021")).edition == "2021"
    with pytest.raises(BadLength):
        szy206.decode(report(moment, edition="2016"), edition="2021")


def test_pairs_versus_flow_only() -> None:
    pairs = decode_frame(SZY_SAMPLE, received_at=datetime(2024, 5, 9, 9, tzinfo=BEIJING))
    flows = decode_frame(
        SZY_SAMPLE, received_at=datetime(2024, 5, 9, 9, tzinfo=BEIJING), profile=get_profile("szy206-2016-flow-only")
    )
    assert [e.id for e in pairs.values] == ["flow_1", "volume_1"]
    assert [e.id for e in flows.values] == ["flow_1", "flow_2"]
    assert flows.value("flow_2") == Decimal("106.182")
    assert flows.readings[0].cumulative_m3 is None
    assert pairs.readings[0].cumulative_m3 == Decimal(106182)


def test_sl427_sign_and_unit_bits() -> None:
    moment = datetime(2024, 5, 9, 8, 45, tzinfo=BEIJING)
    negative = szy206.decode(report(moment, [Decimal("-2.500"), 10], flow_unit="m3/h"))
    assert negative.items[0].value == Decimal("-2.500")
    assert negative.items[0].unit == "m3/h"
    assert negative.items[0].raw[4] >> 4 == 0xF  # sign 11, unit 11
    for top in (0x40, 0x80, 0x10, 0x20):  # sign 01/10, unit 01/10 are undefined
        frame = bytearray(SZY_SAMPLE)
        frame[14] = top
        with pytest.raises(BadBCD):
            szy206.decode(_with_crc(frame))


def test_hm1212_sign_rule() -> None:
    moment = datetime(2024, 5, 9, 8, 45, tzinfo=BEIJING)
    frame = report(moment, [Decimal("-7123456.789"), 5], sign_rule="hm1212")
    decoded = szy206.decode(frame, sign_rule="hm1212")
    assert decoded.items[0].value == Decimal("-7123456.789")
    assert szy206.decode(SZY_SAMPLE, sign_rule="hm1212").items[1].value == Decimal(106182)


def test_missing_values_are_none_and_give_no_reading() -> None:
    moment = datetime(2024, 5, 9, 8, 45, tzinfo=BEIJING)
    decoded = decode_frame(report(moment, [None, None]), received_at=moment + timedelta(seconds=3))
    assert decoded.value("flow_1") is None
    assert decoded.value("volume_1") is None
    assert decoded.readings == ()
    assert decoded.frame.items[0].raw == b"\xaa" * 5  # type: ignore[union-attr]


def test_other_data_types() -> None:
    moment = datetime(2024, 5, 9, 8, 45, tzinfo=BEIJING)
    frame = report(moment, [Decimal("12.345"), Decimal("-1.250"), None], data_type=0x2)
    decoded = szy206.decode(frame)
    assert [(e.id, e.value) for e in decoded.items] == [
        ("level_1", Decimal("12.345")),
        ("level_2", Decimal("-1.250")),
        ("level_3", None),
    ]
    rain = szy206.decode(report(moment, [Decimal("12.5")], data_type=0x1))
    assert rain.items[0].value == Decimal("12.5")


def test_alarm_and_status_words() -> None:
    moment = datetime(2024, 5, 9, 8, 45, tzinfo=BEIJING)
    decoded = decode_frame(report(moment, alarm=0b1000_0000_0001, status=0b110_0001), received_at=moment)
    assert decoded.alarm_flags == ("ac_power_loss", "set_value_control")
    assert decoded.status_flags == {"work_mode": 1, "door": 1, "power_source_battery": 1}
    # The byte order is a profile option.
    swapped = decode_frame(
        report(moment, alarm=0x0110, word_order="big"),
        received_at=moment,
        profile=get_profile("szy206-2016", status_word_order="big"),
    )
    assert swapped.alarm == 0x0110


# --- link check, downlink, acknowledgements ---------------------------------------------------------------------


@pytest.mark.parametrize("code", [0xF0, 0xF1, 0xF2])
def test_link_check_and_its_ack(code: int) -> None:
    frame = szy206.encode_link_check(ADDRESS, code)
    decoded = decode_frame(frame, received_at=datetime(2024, 1, 1, tzinfo=UTC))
    assert decoded.function == 0x02
    assert decoded.frame.link == code  # type: ignore[union-attr]
    ack = build_ack(decoded)
    assert ack is not None
    answer = szy206.decode(ack)
    assert not answer.uplink
    assert (answer.afn, answer.data, answer.address.hex) == (0x02, b"\x00", ADDRESS.hex().upper())


def test_unknown_link_code() -> None:
    frame = szy206.encode_frame(control=0x80, address=ADDRESS, afn=0x02, data=b"\xf7")
    with pytest.raises(UnknownFunction) as info:
        szy206.decode(frame)
    assert info.value.station == ADDRESS.hex().upper()


def test_downlink_frames_decode_header_only_and_get_no_ack() -> None:
    frame = szy206.encode_frame(control=0x03, address=ADDRESS, afn=0xC0, data=b"\x00")
    decoded = decode_frame(frame, received_at=datetime(2024, 1, 1, tzinfo=UTC))
    assert not decoded.uplink
    assert build_ack(decoded) is None
    with pytest.raises(ValueError, match="uplink"):
        szy206.build_ack(decoded.frame)  # type: ignore[arg-type]


def test_split_frame_divs_is_echoed_in_the_ack() -> None:
    frame = szy206.encode_frame(control=0xB3, address=ADDRESS, afn=0xC0, data=b"\x11\x22", divs=5)
    assert frame[3:5] == bytes([0xF3, 0x05])  # encode_frame sets DIV when DIVS is given
    decoded = szy206.decode(frame)
    assert decoded.divs == 5
    assert decoded.items == ()  # a fragment: kept raw, not parsed as a whole report
    assert decoded.data == b"\x11\x22"
    ack = szy206.build_ack(decoded)
    assert ack[3:5] == bytes([0x73, 0x05])


def test_b0_realtime_answer_values() -> None:
    data = szy206.encode_flow5(Decimal("3.210")) + szy206.encode_flow5(99, decimals=0)
    frame = szy206.encode_frame(control=0xB3, address=ADDRESS, afn=0xB0, data=data)
    decoded = decode_frame(frame, received_at=datetime(2024, 1, 1, tzinfo=UTC))
    assert decoded.value("flow_1") == Decimal("3.210")
    assert decoded.value("volume_1") == Decimal(99)
    assert decoded.readings == ()  # no time label: nothing to store


# --- round trips of generated frames ---------------------------------------------------------------------------


def test_round_trip_generated_reports() -> None:
    rng = random.Random(206)
    for _ in range(300):
        edition = rng.choice(["2016", "2021"])
        pairs = rng.random() < 0.7
        channels = rng.randint(1, 4)
        values: list[Decimal | int | None] = []
        for _ in range(channels):
            values.append(None if rng.random() < 0.1 else Decimal(rng.randint(-999_999_999, 999_999_999)).scaleb(-3))
            if pairs:
                values.append(None if rng.random() < 0.1 else rng.randint(0, 999_999_999))
        moment = datetime(2020, 1, 1, tzinfo=BEIJING) + timedelta(seconds=rng.randint(0, 10 * 365 * 86400))
        division, number = f"{rng.randint(110000, 829999)}", rng.randint(1, 65535)
        order = rng.choice(["little", "big"])
        address = szy206.encode_address(division, number, a2_byte_order=order)  # type: ignore[arg-type]
        alarm, status = rng.getrandbits(16), rng.getrandbits(16)
        frame = szy206.encode_self_report(
            address=address,
            values=values,
            observed_at=moment,
            pairs=pairs,
            alarm=alarm,
            status=status,
            edition=edition,  # type: ignore[arg-type]
            delay_min=rng.randint(0, 255),
        )
        profile = get_profile(
            "default", flow_volume_pairs=pairs, edition=edition, a2_byte_order=order, channel=rng.randint(1, channels)
        )
        received = moment + timedelta(seconds=rng.randint(0, 3600))
        decoded = decode_frame(frame, received_at=received, profile=profile)
        assert [e.value for e in decoded.values] == values
        assert decoded.times["label"] == moment.replace(microsecond=0)
        assert (decoded.alarm, decoded.status) == (alarm, status)
        assert decoded.addresses["division"] == division
        assert decoded.addresses["station_no"] == number
        # The ack decodes too.
        ack = build_ack(decoded)
        assert ack is not None
        assert szy206.decode(ack).afn == 0xC0


# --- refusals --------------------------------------------------------------------------------------------------


def test_truncated() -> None:
    for cut in range(1, len(SZY_SAMPLE)):
        with pytest.raises((TruncatedFrame, UnknownProtocol)):
            szy206.decode(SZY_SAMPLE[:cut])


def test_wrong_lengths() -> None:
    with pytest.raises(BadLength):
        szy206.decode(SZY_SAMPLE + b"\x16")
    frame = bytearray(SZY_SAMPLE)
    frame[1] = 0x19  # L one short: the byte before 16 is no longer where CS is expected
    with pytest.raises((BadLength, MalformedFrame)):
        szy206.decode(frame)
    small = bytes([0x68, 0x06, 0x68]) + bytes(6) + bytes([0x00, 0x16])
    with pytest.raises(BadLength):
        szy206.decode(small)


def test_bad_end_and_start() -> None:
    with pytest.raises(MalformedFrame):
        szy206.decode(SZY_SAMPLE[:-1] + b"\x17")
    with pytest.raises(MalformedFrame):
        szy206.decode(SZY_SAMPLE[:2] + b"\x69" + SZY_SAMPLE[3:])
    with pytest.raises(UnknownProtocol):
        szy206.decode(b"\x69" + SZY_SAMPLE[1:])


def test_bad_crc_names_the_station() -> None:
    frame = bytearray(SZY_SAMPLE)
    frame[-2] ^= 0xFF
    with pytest.raises(BadCRC) as info:
        szy206.decode(frame)
    assert info.value.station == "5303810D00"
    assert (info.value.expected, info.value.actual) == (0x35, 0x35 ^ 0xFF)
    lenient = szy206.decode(frame, check_crc=False)
    assert not lenient.crc_ok


def test_unknown_afn() -> None:
    for afn in (0x00, 0x01, 0x70, 0xA0, 0xFF):
        frame = szy206.encode_frame(control=0xB3, address=ADDRESS, afn=afn, data=b"\x00")
        with pytest.raises(UnknownFunction) as info:
            szy206.decode(frame)
        assert info.value.code == afn


def test_bcd_digit_above_nine_in_a_value() -> None:
    frame = bytearray(SZY_SAMPLE)
    frame[11] = 0x5A  # flow 00 5A 00 00 00
    with pytest.raises(BadBCD) as info:
        szy206.decode(_with_crc(frame))
    assert info.value.station == "5303810D00"


def test_values_not_a_whole_number_of_items() -> None:
    user = bytes([0xB3]) + ADDRESS + bytes([0xC0]) + bytes(7) + bytes(4) + bytes.fromhex("0045080900")
    frame = bytes([0x68, len(user), 0x68]) + user + bytes([crc8_e5(user), 0x16])
    with pytest.raises(BadLength):
        szy206.decode(frame, edition="2016")
    # "auto" now counts single 5-byte values (pairs only when the count is even): 7 value bytes + a 5-byte Tp
    # read as one value + a 7-byte Tp, whose day field is then impossible.
    with pytest.raises((BadLength, BadTime)):
        szy206.decode(frame)


def test_acks_built_once_per_station_answer_each_frame_as_built_fresh() -> None:
    """The gateway reuses an ack per (C, station, AFN, DIVS): every frame still gets the one it would get if built
    afresh, and another station, C, AFN or DIVS gets its own."""
    other = szy206.encode_address("650102", 1235)
    t1, t2 = datetime(2024, 3, 5, 10, 0, tzinfo=BEIJING), datetime(2024, 3, 5, 10, 5, tzinfo=BEIJING)

    def report(address: bytes, at: datetime, fcb: int = 3) -> bytes:
        return szy206.encode_self_report(address=address, values=[Decimal("1.5"), 42], observed_at=at, fcb=fcb)

    frames = [
        report(ADDRESS, t1),
        report(ADDRESS, t2),
        report(other, t1),
        report(ADDRESS, t1, fcb=2),
        szy206.encode_link_check(ADDRESS, 0xF2),
        szy206.encode_frame(control=0xB3, address=ADDRESS, afn=0xC0, data=b"\x00", divs=2),
    ]
    acks = [szy206.build_ack(szy206.decode(f)) for f in frames * 2]
    fresh = [
        szy206.encode_frame(
            control=f[3] & 0x3F,
            address=f[5:10] if f[3] & 0x40 else f[4:9],
            afn=f[10] if f[3] & 0x40 else f[9],
            data=b"\x00",
            divs=f[4] if f[3] & 0x40 else None,
        )
        for f in frames * 2
    ]
    assert acks == fresh
    assert len(set(acks[:6])) == 5  # the two frames of one station and kind share their ack, the others differ


def test_decode_with_crc_checked_skips_only_the_checksum() -> None:
    """The gateway's splitter has verified CS: decode trusts it and decodes the same frame."""
    frame = szy206.encode_self_report(
        address=ADDRESS, values=[Decimal("1.5"), 42], observed_at=datetime(2024, 3, 5, 10, 0, tzinfo=BEIJING)
    )
    checked = szy206.decode(frame)
    trusted = szy206.decode(frame, crc_checked=True)
    assert (trusted.items, trusted.label, trusted.crc_ok) == (checked.items, checked.label, True)
    bad = frame[:-2] + bytes([frame[-2] ^ 0xFF, frame[-1]])
    with pytest.raises(BadCRC):
        szy206.decode(bad)
