"""SL 651 ASCII (SOH) frames, decode and encode. domain.md §3.3a "ASCII encoding".

Wire::

    SOH | centre (2 hex chars) | station (10) | password (4) | function (2) | dir+len (4) | STX | body | end | CRC (4)

(downlink: station before centre, as in HEX frames). dir+len is the same 4-bit flag + 12-bit length as HEX,
written as hex text; the length counts body characters. A multi-packet message has SYN and the 3-byte packet
field as 6 hex characters before the body (counted in the length, as in HEX). The CRC is CRC-16/MODBUS over the
raw bytes from SOH through the end character, written high byte first as 4 hex characters. The body layouts
are in `water.telemetry.sl651_layouts` (`parse_ascii_body`).

Decoded frames are `sl651.Sl651Frame` with ``encoding="ascii"``: the header fields hold the numbers the text
encodes (``station`` the 5 address bytes), ``body`` the body text as bytes; confirmations to an ASCII station
are ASCII (`build_confirmation`).
"""

from __future__ import annotations

from datetime import datetime, tzinfo
from typing import Any

from water.telemetry import sl651_layouts as layouts
from water.telemetry.crc import BytesLike, crc16_modbus
from water.telemetry.errors import BadCRC, BadLength, FrameError, MalformedFrame, TruncatedFrame, UnknownFunction
from water.telemetry.sl651 import tables
from water.telemetry.sl651.frame import Sl651Frame
from water.telemetry.timeutil import BEIJING, encode_sl651_time

PROTOCOL = tables.PROTOCOL
HEADER_LEN = 24  # SOH + 2 + 10 + 4 + 2 + 4 + STX/SYN
OVERHEAD = 29  # header + end character + 4 CRC characters
MAX_FRAME = tables.MAX_BODY + OVERHEAD
_HEX = b"0123456789ABCDEFabcdef"


def _hex(raw: bytes, start: int, stop: int, what: str, station: str | None = None) -> int:
    part = raw[start:stop]
    if part.translate(None, _HEX):  # anything left is not a hex character (one C-level pass)
        raise MalformedFrame(
            f"non-hex characters {part!r} where the {what} belongs", protocol=PROTOCOL, station=station
        )
    return int(part, 16)


def decode(raw: BytesLike, *, tz: tzinfo = BEIJING, check_crc: bool = True) -> Sl651Frame:
    """Decode one complete SOH frame. Raises a `FrameError` subclass for anything malformed."""
    raw = bytes(raw)
    n = len(raw)
    if n < OVERHEAD:
        raise TruncatedFrame(f"{n} bytes cannot hold an SL 651 ASCII header", protocol=PROTOCOL)
    marker = _hex(raw, 19, 23, "up/down flag and length")
    direction = marker >> 12
    if direction not in (0x0, 0x8):
        raise MalformedFrame(f"direction nibble {direction:X} is neither 0 (up) nor 8 (down)", protocol=PROTOCOL)
    uplink = direction == 0
    station_text = raw[3:13] if uplink else raw[1:11]
    centre = _hex(raw, 1, 3, "centre address") if uplink else _hex(raw, 11, 13, "centre address")
    _hex(raw, 1, 13, "addresses")
    station = bytes.fromhex(station_text.decode("ascii"))
    station_hex = station.hex().upper()
    length = marker & 0x0FFF
    total = length + OVERHEAD
    if n < total:
        raise TruncatedFrame(
            f"length {length} announces {total} bytes, got {n}", protocol=PROTOCOL, station=station_hex
        )
    if n > total:
        raise BadLength(f"length {length} announces {total} bytes, got {n}", protocol=PROTOCOL, station=station_hex)
    start = raw[23]
    end = raw[24 + length]
    if start not in (tables.STX, tables.SYN):
        raise MalformedFrame(f"{start:02X}H where STX/SYN belongs", protocol=PROTOCOL, station=station_hex)
    if end not in tables.END_CHARS:
        raise MalformedFrame(f"{end:02X}H where the end character belongs", protocol=PROTOCOL, station=station_hex)
    sent = _hex(raw, 25 + length, 29 + length, "CRC", station_hex)
    calc = crc16_modbus(memoryview(raw)[: 25 + length])
    crc_ok = sent == calc
    if not crc_ok and check_crc:
        raise BadCRC(
            f"CRC {sent:04X}, computed {calc:04X}", expected=calc, actual=sent, protocol=PROTOCOL, station=station_hex
        )
    password = _hex(raw, 13, 17, "password", station_hex)
    function = _hex(raw, 17, 19, "function code", station_hex)
    if function not in tables.KNOWN_FUNCTIONS:
        raise UnknownFunction(
            f"function {function:02X}H is reserved", code=function, protocol=PROTOCOL, station=station_hex
        )
    common: dict[str, Any] = {
        "raw": raw,
        "uplink": uplink,
        "centre": centre,
        "station": station,
        "station_hex": station_hex,
        "password": password,
        "function": function,
        "length": length,
        "start": start,
        "end": end,
        "crc": sent,
        "crc_ok": crc_ok,
        "encoding": "ascii",
    }
    if start == tables.SYN:
        if length < 6:
            raise BadLength("SYN packet without its packet field", protocol=PROTOCOL, station=station_hex)
        word = _hex(raw, 24, 30, "packet field", station_hex)
        count, seq = word >> 12, word & 0x0FFF
        if not 1 <= seq <= count:
            raise BadLength(f"packet {seq} of {count}", protocol=PROTOCOL, station=station_hex)
        return Sl651Frame(**common, packet=(count, seq), body=raw[30 : 24 + length])
    body = raw[24 : 24 + length]
    try:
        parsed = layouts.parse_ascii_body(function, uplink, end, body, tz)
    except FrameError as exc:
        exc.protocol = PROTOCOL
        exc.station = exc.station or station_hex
        raise
    return Sl651Frame(**common, packet=None, body=body, **parsed._asdict())


def encode_frame(
    *,
    centre: int,
    station: bytes,
    password: int,
    function: int,
    body: str,
    uplink: bool = True,
    end: int = tables.ETX,
    packet: tuple[int, int] | None = None,
) -> bytes:
    """Build an SOH frame around ``body`` text (SYN + packet field when ``packet`` is given)."""
    if len(station) != 5:
        raise ValueError("station address must be 5 bytes")
    if not 0 <= centre <= 255 or not 0 <= password <= 0xFFFF:
        raise ValueError("centre is one byte, password two")
    if end not in tables.END_CHARS:
        raise ValueError(f"{end:02X}H is not an end character")
    payload = body.encode("ascii")
    start = tables.STX
    if packet is not None:
        count, seq = packet
        if not 1 <= seq <= count <= 0x0FFF:
            raise ValueError("packet must be (total, sequence) with 1 ≤ sequence ≤ total ≤ 4095")
        payload = f"{(count << 12) | seq:06X}".encode() + payload
        start = tables.SYN
    if len(payload) > tables.MAX_BODY:
        raise ValueError(f"body of {len(payload)} characters exceeds {tables.MAX_BODY}")
    address = f"{centre:02X}{station.hex().upper()}" if uplink else f"{station.hex().upper()}{centre:02X}"
    marker = (0 if uplink else 0x8000) | len(payload)
    head = f"{address}{password:04X}{function:02X}{marker:04X}".encode()
    frame = bytes([tables.SOH]) + head + bytes([start]) + payload + bytes([end])
    return frame + f"{crc16_modbus(frame):04X}".encode()


def body_head(serial: int, sent_at: datetime | bytes, tz: tzinfo = BEIJING) -> str:
    """Serial (4 hex characters) and send time (12 digits) that start every ASCII body."""
    raw = sent_at if isinstance(sent_at, bytes) else encode_sl651_time(sent_at, 6, tz)
    return f"{serial:04X}{raw.hex()}"


def format_value(value: object) -> str:
    """A value as ASCII body text (None → the all-F missing marker)."""
    return "FFFF" if value is None else str(value)


def encode_report(
    *,
    centre: int,
    station: bytes,
    password: int,
    serial: int,
    sent_at: datetime,
    observed_at: datetime,
    groups: list[tuple[str, object]],
    function: int = 0x32,
    station_class: str = "I",
    end: int = tables.ETX,
    tz: tzinfo = BEIJING,
) -> bytes:
    """An ASCII report: ``ST`` address class, ``TT`` time, then (mnemonic, value) groups, each followed by a
    space (domain.md's example frame byte for byte)."""
    text = body_head(serial, sent_at, tz) + f"ST {station.hex().upper()} {station_class} "
    text += f"TT {encode_sl651_time(observed_at, 5, tz).hex()} "
    text += "".join(f"{name} {format_value(value)} " for name, value in groups)
    return encode_frame(centre=centre, station=station, password=password, function=function, body=text, end=end)


def build_confirmation(
    frame: Sl651Frame, *, end: int, sent_at: datetime | None = None, tz: tzinfo = BEIJING, extra: str = ""
) -> bytes:
    """The centre's confirmation of an ASCII frame, in ASCII: same function and password, serial and send
    time (echoed unless ``sent_at`` is given)."""
    if frame.serial is None:
        raise ValueError("frame has no decoded serial number")
    text = body_head(frame.serial, frame.sent_raw if sent_at is None else sent_at, tz) + extra
    return encode_frame(
        centre=frame.centre,
        station=frame.station,
        password=frame.password,
        function=frame.function,
        body=text,
        uplink=False,
        end=end,
    )
