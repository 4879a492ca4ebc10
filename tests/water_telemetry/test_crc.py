"""CRC known-answer tests and table-versus-bitwise agreement."""

from __future__ import annotations

import random

import pytest

from tests.water_telemetry.samples import ALL_SL651, SZY_SAMPLE
from water.telemetry.crc import crc8_e5, crc8_e5_bitwise, crc16_modbus, crc16_modbus_bitwise, crc16_modbus_table


def test_crc16_modbus_check_value() -> None:
    # The catalogue check value of CRC-16/MODBUS over "123456789".
    assert crc16_modbus(b"123456789") == 0x4B37
    assert crc16_modbus_bitwise(b"123456789") == 0x4B37


def test_crc16_empty_is_init() -> None:
    assert crc16_modbus(b"") == 0xFFFF


def test_crc8_e5_on_the_szy_sample() -> None:
    # domain.md §3.2: CRC-8/0xE5 over the 26 user-data bytes gives 0x35.
    user = SZY_SAMPLE[3:-2]
    assert len(user) == 26
    assert crc8_e5(user) == 0x35 == SZY_SAMPLE[-2]
    assert crc8_e5_bitwise(user) == 0x35


def test_crc8_not_the_e1_constant() -> None:
    # domain.md §3.2: the rhilex constant 0xE1 does not reproduce the sample.
    crc = 0
    for byte in SZY_SAMPLE[3:-2]:
        crc ^= byte
        for _ in range(8):
            crc = ((crc << 1) ^ 0xE1) & 0xFF if crc & 0x80 else (crc << 1) & 0xFF
    assert crc != 0x35


@pytest.mark.parametrize("frame", ALL_SL651, ids=["2F", "30up", "30down", "32up", "8397"])
def test_crc16_on_every_sl651_sample_high_byte_first(frame: bytes) -> None:
    assert crc16_modbus(frame[:-2]).to_bytes(2, "big") == frame[-2:]


def test_tables_match_bitwise_reference_for_all_lengths_and_views() -> None:
    rng = random.Random(651)
    for n in range(70):
        for _ in range(10):
            data = rng.randbytes(n)
            assert crc8_e5(data) == crc8_e5_bitwise(data)
            assert crc16_modbus(data) == crc16_modbus_bitwise(data)
            assert crc16_modbus(bytearray(data)) == crc16_modbus_bitwise(data)
            # Odd offsets into a memoryview: the word-at-a-time path must not depend on alignment.
            assert crc16_modbus(memoryview(b"\x00" + data)[1:]) == crc16_modbus_bitwise(data)
            # The pure-Python fallback (used when the native module is missing) agrees as well.
            assert crc16_modbus_table(memoryview(b"\x00" + data)[1:]) == crc16_modbus_bitwise(data)
            assert crc8_e5(memoryview(b"\x00" + data)[1:]) == crc8_e5_bitwise(data)
