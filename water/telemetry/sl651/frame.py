"""SL 651 HEX/BCD frames: `Sl651Frame`, station addresses and `decode_hex` (the package docstring has the layout)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, tzinfo
from typing import Any

from water.telemetry import (
    sl651_layouts as layouts,  # body layouts by function (it reads the tables and element parser)
)
from water.telemetry.crc import BytesLike, crc16_modbus
from water.telemetry.errors import (
    BadCRC,
    BadLength,
    FrameError,
    MalformedFrame,
    TruncatedFrame,
    UnknownFunction,
    UnknownProtocol,
)
from water.telemetry.model import Element
from water.telemetry.sl651.tables import (
    END_CHARS,
    FUNCTIONS,
    KNOWN_FUNCTIONS,
    OVERHEAD,
    PROTOCOL,
    STATION_CLASSES,
    STX,
    SYN,
)
from water.telemetry.timeutil import BEIJING


@dataclass(slots=True)
class Sl651Frame:
    """A decoded 7E7E frame (or, after `Reassembler`, a whole multi-packet message). Treat as read-only.

    ``station`` is the header's 5-byte address and ``station_hex`` the same as upper-case hex (the meter lookup
    key); ``body`` the bytes after STX (after SYN and its 3-byte packet
    header) up to the end character. Body fields are None when the function's body is not decoded.
    Not ``frozen``: a frozen dataclass costs ~130 ns per field to build, 3 µs for this one, on the hot path.
    """

    raw: bytes
    uplink: bool
    centre: int
    station: bytes
    station_hex: str
    password: int
    function: int
    length: int
    start: int
    packet: tuple[int, int] | None
    end: int
    crc: int
    crc_ok: bool
    body: bytes
    serial: int | None = None
    sent_raw: bytes = b""
    sent_at: datetime | None = None
    body_station: bytes | None = None
    station_class: int | None = None
    observed_at: datetime | None = None
    elements: tuple[Element, ...] = ()
    unknown: tuple[str, ...] = ()
    missing: int = 0  # values sent as "no data" (all FF / all AA): recorded as missing, never a frame error
    info: dict[str, Any] | None = None  # per-function extras: time step, software version, clock, query range…
    packets: int = 1
    encoding: str = "hex"  # "hex" (7E7E) or "ascii" (SOH)

    @property
    def function_name(self) -> str:
        """Readable function code."""
        if self.function >= 0xE0:
            return f"user-defined {self.function:02X}H"
        return FUNCTIONS.get(self.function, f"{self.function:02X}H")

    @property
    def station_class_name(self) -> str | None:
        """Readable station class (Appendix A), e.g. ``intake`` for I (49H)."""
        if self.station_class is None:
            return None
        return STATION_CLASSES.get(self.station_class, f"{self.station_class:02X}H")

    @property
    def complete(self) -> bool:
        """False for one packet of a multi-packet message (its body is only a fragment)."""
        return self.packet is None


def station_parts(station: bytes) -> dict[str, object]:
    """Readable parts of a station address (§6.2.3.2): hydrological ``00`` + 8 BCD digits, or
    division (3 BCD bytes) + local number (2 bytes binary, big-endian like every SL 651 field)."""
    text = station.hex().upper()
    if station[0] == 0x00:
        return {"kind": "hydrological", "code": text[2:]}
    number = int.from_bytes(station[3:5], "big")
    kind = "invalid" if number == 0 else "station" if number <= 60000 else "relay" if number <= 65534 else "broadcast"
    return {"kind": kind, "division": text[:6] if text[:6].isdigit() else None, "station_no": number}


def decode_hex(raw: BytesLike, *, tz: tzinfo = BEIJING, check_crc: bool = True) -> Sl651Frame:
    """Decode one complete 7E7E frame. Raises a `FrameError` subclass for anything malformed. (The public
    `sl651.decode`, in `codec`, hands SOH/ASCII frames to `sl651_ascii` and the rest to this function.)

    With ``check_crc=False`` a frame with a wrong CRC is still decoded (``crc_ok=False``), for the operator CLI.
    A multi-packet (SYN) packet is returned with its fragment in ``body`` and no elements; feed it to a
    `Reassembler`.
    """
    raw = bytes(raw)
    n = len(raw)
    if n < 2 or raw[0] != 0x7E or raw[1] != 0x7E:
        raise UnknownProtocol("an SL 651 HEX/BCD frame starts with 7E 7E", protocol=PROTOCOL)
    if n < OVERHEAD:
        raise TruncatedFrame(f"{n} bytes cannot hold an SL 651 header", protocol=PROTOCOL)
    marker = (raw[11] << 8) | raw[12]
    direction = marker >> 12
    if direction not in (0x0, 0x8):
        raise MalformedFrame(f"direction nibble {direction:X} is neither 0 (up) nor 8 (down)", protocol=PROTOCOL)
    length = marker & 0x0FFF
    total = length + OVERHEAD
    uplink = direction == 0
    if uplink:
        centre, station = raw[2], raw[3:8]
    else:
        station, centre = raw[2:7], raw[7]
    station_hex = station.hex().upper()
    if n < total:
        raise TruncatedFrame(
            f"length {length} announces {total} bytes, got {n}", protocol=PROTOCOL, station=station_hex
        )
    if n > total:
        raise BadLength(f"length {length} announces {total} bytes, got {n}", protocol=PROTOCOL, station=station_hex)
    start = raw[13]
    end = raw[14 + length]
    if start not in (STX, SYN):
        raise MalformedFrame(f"{start:02X}H where STX/SYN belongs", protocol=PROTOCOL, station=station_hex)
    if end not in END_CHARS:
        raise MalformedFrame(f"{end:02X}H where the end character belongs", protocol=PROTOCOL, station=station_hex)
    sent = (raw[15 + length] << 8) | raw[16 + length]
    calc = crc16_modbus(memoryview(raw)[: 15 + length])
    crc_ok = sent == calc
    if not crc_ok and check_crc:
        raise BadCRC(
            f"CRC {sent:04X}, computed {calc:04X}", expected=calc, actual=sent, protocol=PROTOCOL, station=station_hex
        )
    function = raw[10]
    if function not in KNOWN_FUNCTIONS:
        raise UnknownFunction(
            f"function {function:02X}H is reserved", code=function, protocol=PROTOCOL, station=station_hex
        )
    password = (raw[8] << 8) | raw[9]
    if start == SYN:
        if length < 3:
            raise BadLength("SYN packet without its 3-byte packet header", protocol=PROTOCOL, station=station_hex)
        word = int.from_bytes(raw[14:17], "big")
        count, seq = word >> 12, word & 0x0FFF
        if not 1 <= seq <= count:
            raise BadLength(f"packet {seq} of {count}", protocol=PROTOCOL, station=station_hex)
        return Sl651Frame(
            raw=raw,
            uplink=uplink,
            centre=centre,
            station=station,
            station_hex=station_hex,
            password=password,
            function=function,
            length=length,
            start=start,
            packet=(count, seq),
            end=end,
            crc=sent,
            crc_ok=crc_ok,
            body=raw[17 : 14 + length],
        )
    body = raw[14 : 14 + length]
    try:
        parsed = layouts.parse_body(function, uplink, end, body, tz)
    except FrameError as exc:
        exc.protocol = PROTOCOL
        exc.station = exc.station or station_hex
        raise
    return Sl651Frame(
        raw,
        uplink,
        centre,
        station,
        station_hex,
        password,
        function,
        length,
        start,
        None,
        end,
        sent,
        crc_ok,
        body,
        *parsed,
    )
