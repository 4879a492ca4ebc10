"""BCD (binary-coded decimal) values as both protocols send them.

Rules (domain.md):
- A BCD byte holds two decimal digits, high nibble first; a nibble above 9 is refused (`BadBCD`), never
  silently read as hex — that would turn a corrupted byte into a plausible but wrong reading.
- "No data" markers: every byte ``AA`` means missing/invalid (缺测; §3.2 flow values, §3.3 draft §6.6.3.3),
  and every byte ``FF`` is treated the same way (an all-FF field cannot be a valid BCD number, and RTUs send it
  for unset registers). Both decode to ``None``.
- SL 651 sign: a leading ``FF`` byte marks a negative number; with an odd digit count the prefix reads
  ``FF0`` — i.e. the remaining bytes are plain BCD padded with a leading zero nibble (§3.3 "Element group").
- SZY 206 sends values **low byte first** (§3.2 "Flow/volume value"); SL 651 high byte first.
"""

from __future__ import annotations

from decimal import Decimal

from water.telemetry.crc import BytesLike
from water.telemetry.errors import BadBCD

NO_DATA_BYTES = frozenset({0xAA, 0xFF})

# Per-byte value of a packed BCD byte, or -1 when a nibble is above 9 (used for time fields: one lookup per byte).
BCD_BYTE: tuple[int, ...] = tuple(
    (b >> 4) * 10 + (b & 0x0F) if (b >> 4) < 10 and (b & 0x0F) < 10 else -1 for b in range(256)
)
_TO_BCD_BYTE: tuple[int, ...] = tuple(((v // 10) << 4) | (v % 10) for v in range(100))


def is_no_data(data: BytesLike) -> bool:
    """True when the field is all ``AA`` or all ``FF`` bytes (the protocols' "no data" markers)."""
    n = len(data)
    if not n:
        return False
    first = data[0]
    if first != 0xAA and first != 0xFF:
        return False
    return bytes(data) == bytes((first,)) * n


def decode_bcd(data: BytesLike, *, little_endian: bool = False) -> int:
    """Unsigned BCD → int. Raises `BadBCD` on an empty field or a nibble above 9."""
    raw = bytes(data)
    if not raw:
        raise BadBCD("empty BCD field")
    text = (raw[::-1] if little_endian else raw).hex()
    # bytes.hex() yields only [0-9a-f], so int() fails exactly when some nibble is a-f (i.e. > 9).
    try:
        return int(text)
    except ValueError:
        raise BadBCD(f"BCD digit above 9 in {text.upper()}") from None


def encode_bcd(value: int, nbytes: int, *, little_endian: bool = False) -> bytes:
    """int ≥ 0 → packed BCD of exactly ``nbytes`` bytes (ValueError if negative or too wide)."""
    if value < 0:
        raise ValueError(f"BCD cannot hold a negative number ({value}); use encode_signed_bcd")
    text = str(value)
    if len(text) > 2 * nbytes:
        raise ValueError(f"{value} does not fit in {nbytes} BCD bytes")
    raw = bytes.fromhex(text.zfill(2 * nbytes))
    return raw[::-1] if little_endian else raw


def decode_signed_bcd(data: BytesLike) -> int | None:
    """SL 651 signed BCD (high byte first): ``FF`` prefix = negative; all-AA/all-FF = ``None``."""
    if is_no_data(data):
        return None
    if data[0] == 0xFF:
        if len(data) < 2:
            raise BadBCD("sign byte without digits")
        return -decode_bcd(data[1:])
    return decode_bcd(data)


def encode_signed_bcd(value: int | None, nbytes: int) -> bytes:
    """Inverse of `decode_signed_bcd`: ``None`` → all ``AA``; negative → ``FF`` + BCD in ``nbytes - 1`` bytes."""
    if value is None:
        return b"\xaa" * nbytes
    if value < 0:
        if nbytes < 2:
            raise ValueError("a negative SL 651 value needs at least 2 bytes (FF sign byte + digits)")
        return b"\xff" + encode_bcd(-value, nbytes - 1)
    return encode_bcd(value, nbytes)


def scaled(value: int, decimals: int) -> Decimal:
    """int 10490 with 3 decimals → Decimal('10.490'): exact, keeps the declared decimals."""
    return Decimal(value).scaleb(-decimals) if decimals else Decimal(value)


def unscaled(value: Decimal | int | str, decimals: int) -> int:
    """Decimal('10.49'), 3 → 10490. ValueError when the value has more decimals than the field allows."""
    number = Decimal(value).scaleb(decimals)
    if number != number.to_integral_value():
        raise ValueError(f"{value} has more than {decimals} decimals")
    return int(number)


def bcd_byte(value: int) -> int:
    """0…99 → one packed BCD byte."""
    if not 0 <= value <= 99:
        raise ValueError(f"{value} is not a two-digit number")
    return _TO_BCD_BYTE[value]
