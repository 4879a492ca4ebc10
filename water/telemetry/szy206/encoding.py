"""SZY 206 encoding: frames, items, self-reports, link checks, and the centre's acknowledgements."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, tzinfo
from decimal import Decimal
from typing import Literal

from water.telemetry.bcd import encode_bcd, unscaled
from water.telemetry.crc import crc8_e5
from water.telemetry.szy206.frame import (
    ACKED_AFNS,
    DATA_TYPES,
    END,
    LINK_CODES,
    START,
    ByteOrder,
    Control,
    SignRule,
    SzyFrame,
    encode_label,
)
from water.telemetry.timeutil import BEIJING


def encode_frame(
    *, control: Control | int, address: bytes, afn: int, data: bytes = b"", divs: int | None = None
) -> bytes:
    """Build ``68 L 68 C [DIVS] A AFN data CS 16``; DIV is set in C exactly when ``divs`` is given."""
    c = control if isinstance(control, int) else control.to_byte()
    c = (c | 0x40) if divs is not None else (c & ~0x40)
    if len(address) != 5:
        raise ValueError("address must be 5 bytes")
    user = bytes([c]) + (bytes([divs]) if divs is not None else b"") + bytes(address) + bytes([afn]) + bytes(data)
    if len(user) > 255:
        raise ValueError(f"user data of {len(user)} bytes does not fit L")
    return bytes([START, len(user), START]) + user + bytes([crc8_e5(user), END])


def encode_flow5(
    value: Decimal | int | str | None,
    *,
    decimals: int = 3,
    sign_rule: SignRule = "sl427",
    unit: Literal["m3/s", "m3/h"] = "m3/s",
) -> bytes:
    """Inverse of the 5-byte value decoding (None → all AA)."""
    if value is None:
        return b"\xaa" * 5
    number = unscaled(value, decimals)
    negative, number = number < 0, abs(number)
    if sign_rule == "sl427":
        if number > 999_999_999:
            raise ValueError(f"{value} needs more than 9 digits")
        be = bytearray(encode_bcd(number, 5))
        be[0] |= (0xC0 if negative else 0) | (0x30 if unit == "m3/h" else 0)
    else:
        if number > 7_999_999_999:
            raise ValueError(f"{value} does not fit the hm1212 layout")
        be = bytearray(encode_bcd(number, 5))
        be[0] |= 0x80 if negative else 0
    return bytes(be[::-1])


def encode_item(value: Decimal | int | str | None, data_type: int) -> bytes:
    """One value of a non-flow data type (low byte first; F top nibble for negative signed kinds)."""
    dtype = DATA_TYPES[data_type]
    if value is None:
        return b"\xaa" * dtype.size
    number = unscaled(value, dtype.decimals)
    if number < 0:
        if not dtype.signed:
            raise ValueError(f"{dtype.name} cannot be negative")
        be = bytearray(encode_bcd(-number, dtype.size))
        if be[0] & 0xF0:
            raise ValueError(f"{value} leaves no room for the sign nibble")
        be[0] |= 0xF0
        return bytes(be[::-1])
    return encode_bcd(number, dtype.size, little_endian=True)


def encode_self_report(
    *,
    address: bytes,
    values: Sequence[Decimal | int | str | None],
    observed_at: datetime,
    data_type: int = 0x3,
    pairs: bool = True,
    alarm: int = 0,
    status: int = 0,
    delay_min: int = 0,
    edition: Literal["2016", "2021"] = "2016",
    fcb: int = 3,
    sign_rule: SignRule = "sl427",
    volume_decimals: int = 0,
    flow_unit: Literal["m3/s", "m3/h"] = "m3/s",
    word_order: ByteOrder = "little",
    tz: tzinfo = BEIJING,
) -> bytes:
    """An uplink AFN C0 self-report, as a meter sends it (used by tests, the benchmark and the simulator).

    ``values`` are in wire order: for data type 3 with ``pairs`` that is flow, volume, flow, volume, …
    """
    parts: list[bytes] = []
    for index, value in enumerate(values):
        if data_type == 0x3:
            if pairs and index % 2:
                parts.append(encode_flow5(value, decimals=volume_decimals, sign_rule=sign_rule))
            else:
                parts.append(encode_flow5(value, decimals=3, sign_rule=sign_rule, unit=flow_unit))
        else:
            parts.append(encode_item(value, data_type))
    data = (
        b"".join(parts)
        + alarm.to_bytes(2, word_order)
        + status.to_bytes(2, word_order)
        + encode_label(observed_at, edition=edition, delay_min=delay_min, tz=tz)
    )
    control = Control(uplink=True, div=False, fcb=fcb, data_type=data_type)
    return encode_frame(control=control, address=address, afn=0xC0, data=data)


def encode_link_check(address: bytes, code: int = 0xF2, *, control: int = 0x80) -> bytes:
    """An uplink AFN 02 link check (F0 login, F1 logout, F2 keep-alive)."""
    if code not in LINK_CODES:
        raise ValueError("link-check code must be F0, F1 or F2")
    return encode_frame(control=control, address=address, afn=0x02, data=bytes([code]))


def needs_ack(frame: SzyFrame) -> bool:
    """Whether the centre answers this frame: uplink link checks and self-reports."""
    return frame.control.uplink and frame.afn in ACKED_AFNS


def build_ack(frame: SzyFrame) -> bytes:
    """The acknowledgement a meter expects (domain.md §3.2 [V: hm1212 setAskPayload]).

    C echoed with DIR cleared (DIV/FCB/data type kept, DIVS echoed), the same A and AFN, one data byte 00, a
    fresh CS. Only uplink frames are acknowledged.
    """
    if not frame.control.uplink:
        raise ValueError("only uplink frames are acknowledged")
    control = frame.control.to_byte() & 0x7F
    key = (control, frame.address.hex, frame.afn, frame.divs)
    ack = _ACKS.get(key)
    if ack is None:
        # The ack depends on nothing else: built once per station and kind of frame (issue 18 speed).
        ack = encode_frame(
            control=control, address=bytes.fromhex(frame.address.hex), afn=frame.afn, data=b"\x00", divs=frame.divs
        )
        if len(_ACKS) >= _ACKS_MAX:
            _ACKS.clear()
        _ACKS[key] = ack
    return ack


_ACKS: dict[tuple[int, str, int, int | None], bytes] = {}
_ACKS_MAX = 65536
