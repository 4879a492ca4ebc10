"""BCD edge cases: digits above 9, signs, no-data markers, byte order, widths."""

from __future__ import annotations

from decimal import Decimal

import pytest

from water.telemetry import BadBCD
from water.telemetry.bcd import (
    BCD_BYTE,
    bcd_byte,
    decode_bcd,
    decode_signed_bcd,
    encode_bcd,
    encode_signed_bcd,
    is_no_data,
    scaled,
    unscaled,
)


def test_decode_big_and_little_endian() -> None:
    assert decode_bcd(bytes.fromhex("00010490")) == 10490
    assert decode_bcd(bytes.fromhex("82611000"), little_endian=True) == 106182
    assert decode_bcd(b"\x00") == 0
    assert decode_bcd(memoryview(bytes.fromhex("1234"))) == 1234


@pytest.mark.parametrize("raw", ["0A", "A0", "1F", "F1", "123B", "9999AB"])
def test_digit_above_nine_is_refused(raw: str) -> None:
    with pytest.raises(BadBCD):
        decode_bcd(bytes.fromhex(raw))


def test_empty_field_is_refused() -> None:
    with pytest.raises(BadBCD):
        decode_bcd(b"")


def test_byte_table() -> None:
    assert BCD_BYTE[0x59] == 59
    assert BCD_BYTE[0x99] == 99
    assert BCD_BYTE[0x5A] == -1
    assert BCD_BYTE[0xA5] == -1
    assert sum(v >= 0 for v in BCD_BYTE) == 100


@pytest.mark.parametrize("raw", ["AA", "AAAA", "AAAAAAAAAA", "FF", "FFFFFF"])
def test_no_data_markers(raw: str) -> None:
    data = bytes.fromhex(raw)
    assert is_no_data(data)
    assert decode_signed_bcd(data) is None


@pytest.mark.parametrize("raw", ["", "AAAB", "FFFE", "AAFF", "00"])
def test_not_no_data(raw: str) -> None:
    assert not is_no_data(bytes.fromhex(raw))


def test_signed_ff_prefix() -> None:
    assert decode_signed_bcd(bytes.fromhex("FF0127")) == -127  # odd digit count: prefix FF0
    assert decode_signed_bcd(bytes.fromhex("FF1234")) == -1234
    assert decode_signed_bcd(bytes.fromhex("001234")) == 1234
    with pytest.raises(BadBCD):
        decode_signed_bcd(bytes.fromhex("FF12A4"))


def test_signed_round_trip() -> None:
    for value in (-9999, -1, 0, 1, 5, 123456, None):
        assert decode_signed_bcd(encode_signed_bcd(value, 4)) == value
    assert encode_signed_bcd(None, 3) == b"\xaa\xaa\xaa"
    assert encode_signed_bcd(-127, 3) == bytes.fromhex("FF0127")


def test_encode_refuses_what_does_not_fit() -> None:
    with pytest.raises(ValueError, match="does not fit"):
        encode_bcd(12345, 2)
    with pytest.raises(ValueError, match="negative"):
        encode_bcd(-1, 2)
    with pytest.raises(ValueError, match="at least 2 bytes"):
        encode_signed_bcd(-1, 1)
    with pytest.raises(ValueError, match="does not fit"):
        encode_signed_bcd(-12345, 3)  # only 2 bytes (4 digits) after the FF sign byte


def test_encode_byte_orders() -> None:
    assert encode_bcd(106182, 5) == bytes.fromhex("0000106182")
    assert encode_bcd(106182, 5, little_endian=True) == bytes.fromhex("8261100000")
    assert bcd_byte(59) == 0x59
    with pytest.raises(ValueError, match="two-digit"):
        bcd_byte(100)


def test_scaling_keeps_declared_decimals() -> None:
    assert str(scaled(10490, 3)) == "10.490"
    assert str(scaled(5, 1)) == "0.5"
    assert scaled(7, 0) == Decimal(7)
    assert unscaled(Decimal("10.49"), 3) == 10490
    assert unscaled("-0.5", 1) == -5
    with pytest.raises(ValueError, match="decimals"):
        unscaled(Decimal("1.2345"), 3)
