"""Checksums of both protocols, table-driven (the decoder's hot path; issue 4 asks ≥ 50,000 frames/s).

- SZY 206 / SL/T 427: CRC-8, polynomial x⁷+x⁶+x⁵+x²+1 = 0xE5, initial value 0, MSB first, no reflection, no
  final XOR, over the user-data area only (C … end of AUX). domain.md §3.2 "CS" verifies this on the worked
  sample (0x35); the 0xE1 constant of one open-source parser does not reproduce it.
- SL 651-2014: CRC-16/MODBUS (init 0xFFFF, reflected polynomial 0xA001, no final XOR) over every byte before
  the checksum, transmitted **high byte first** (domain.md §3.3 "CRC", verified on the sample frames).

Speed: both registers are at most 16 bits wide, so two input bytes can be folded in with one lookup in a
65,536-entry table (built once, ~20 ms, about 2 MB each). Iterating a ``memoryview`` cast to native 16-bit
words halves the number of Python-level loop turns; the per-byte tables stay for odd tails and big-endian hosts.
"""

from __future__ import annotations

import sys
from typing import TypeAlias

BytesLike: TypeAlias = bytes | bytearray | memoryview

CRC8_POLY = 0xE5
CRC16_MODBUS_POLY_REFLECTED = 0xA001


def _crc8_table(poly: int) -> list[int]:
    table = []
    for byte in range(256):
        crc = byte
        for _ in range(8):
            crc = ((crc << 1) ^ poly) & 0xFF if crc & 0x80 else (crc << 1) & 0xFF
        table.append(crc)
    return table


def _crc16_table(poly_reflected: int) -> list[int]:
    table = []
    for byte in range(256):
        crc = byte
        for _ in range(8):
            crc = (crc >> 1) ^ poly_reflected if crc & 1 else crc >> 1
        table.append(crc)
    return table


_T8 = _crc8_table(CRC8_POLY)
_T16 = _crc16_table(CRC16_MODBUS_POLY_REFLECTED)
# Two bytes b0, b1 (b0 first) read as the little-endian word w: the CRC-8 register after both is
# T8[T8[crc ^ b0] ^ b1], i.e. a function of (crc ^ w) — crc only touches the low byte.
_T8W = [_T8[_T8[x & 0xFF] ^ (x >> 8)] for x in range(65536)]
# For the reflected 16-bit register, x = crc ^ w fully determines the state after both bytes:
# crc' = (T[x & 0xFF] >> 8) ^ T[((x >> 8) ^ T[x & 0xFF]) & 0xFF].
_T16W = [(_T16[x & 0xFF] >> 8) ^ _T16[((x >> 8) ^ _T16[x & 0xFF]) & 0xFF] for x in range(65536)]
_LITTLE = sys.byteorder == "little"


def crc8_e5(data: BytesLike) -> int:
    """CRC-8/0xE5 as SZY 206 uses it (init 0, MSB first, no reflection, no final XOR)."""
    crc = 0
    n = len(data)
    if _LITTLE and n >= 2:
        view = memoryview(data)
        even = n & ~1
        table = _T8W
        for word in view[:even].cast("H"):
            crc = table[crc ^ word]
        if n & 1:
            crc = _T8[crc ^ view[n - 1]]
        return crc
    for byte in data:
        crc = _T8[crc ^ byte]
    return crc


try:  # native CRC-16/MODBUS (about 18× the table loop below on a 100-byte frame, measured): issue 18 speed
    from fastcrc import crc16 as _native16
except ImportError:  # pragma: no cover - the dependency is declared; the loop below stays the reference
    _native16 = None  # type: ignore[assignment]


def crc16_modbus(data: BytesLike) -> int:
    """CRC-16/MODBUS (init 0xFFFF, reflected poly 0xA001). SL 651 sends the result high byte first."""
    if _native16 is not None:
        return int(_native16.modbus(data))
    return crc16_modbus_table(data)


def crc16_modbus_table(data: BytesLike) -> int:
    """The table-driven CRC-16/MODBUS in Python (the fallback of `crc16_modbus`, also tested on its own)."""
    crc = 0xFFFF
    n = len(data)
    if _LITTLE and n >= 2:
        view = memoryview(data)
        even = n & ~1
        table = _T16W
        for word in view[:even].cast("H"):
            crc = table[crc ^ word]
        if n & 1:
            crc = (crc >> 8) ^ _T16[(crc ^ view[n - 1]) & 0xFF]
        return crc
    for byte in data:
        crc = (crc >> 8) ^ _T16[(crc ^ byte) & 0xFF]
    return crc


def crc8_e5_bitwise(data: BytesLike) -> int:
    """Bit-by-bit reference of `crc8_e5`, for tests only (slow)."""
    crc = 0
    for byte in data:
        crc ^= byte
        for _ in range(8):
            crc = ((crc << 1) ^ CRC8_POLY) & 0xFF if crc & 0x80 else (crc << 1) & 0xFF
    return crc


def crc16_modbus_bitwise(data: BytesLike) -> int:
    """Bit-by-bit reference of `crc16_modbus`, for tests only (slow)."""
    crc = 0xFFFF
    for byte in data:
        crc ^= byte
        for _ in range(8):
            crc = (crc >> 1) ^ CRC16_MODBUS_POLY_REFLECTED if crc & 1 else crc >> 1
    return crc
