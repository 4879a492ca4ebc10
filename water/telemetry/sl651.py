"""SL 651-2014 HEX/BCD frames (the 7E7E family), decode and encode. domain.md §3.3.

Frame (all multi-byte fields big-endian)::

    uplink:   7E 7E | centre (1) | station (5) | password (2) | function (1) | dir+len (2) | STX | body | end | CRC16
    downlink: 7E 7E | station (5) | centre (1) | password (2) | function (1) | dir+len (2) | STX | body | end | CRC16
    multi-packet: SYN (16H) instead of STX, then 3 bytes (12-bit packet total, 12-bit sequence) before the body.

- dir+len: high nibble 0000 uplink / 1000 downlink; low 12 bits = bytes after STX (or SYN, packet header
  included) up to the end character.
- End character: ETX 03 (done), ETB 17 (more packets follow), ENQ 05, ACK 06, NAK 15, EOT 04, ESC 1B.
- CRC-16/MODBUS over every byte before it, sent high byte first.
- Report body: serial (2, hex), send time (6, BCD YYMMDDhhmmss), ``F1 F1`` + station (5), station class (1),
  ``F0 F0`` + observation time (5, BCD YYMMDDhhmm), then element groups: identifier, data definition (high
  5 bits = byte count, low 3 bits = decimals), BCD data (``FF`` prefix negative, all ``AA`` invalid).
  ``FF xx`` identifiers are user-defined extensions: ``FF``, ``xx``, data definition, data [the layout the SL 651
  toolkits decode]. A further ``F0 F0`` group inside the body changes the observation time of what follows.
- F4 carries twelve 5-minute rainfall values (1 byte hex, 0.1 mm), F5–FC twelve 5-minute relative levels (2 bytes
  hex, 0.01 m); ``FF``/``FFFF`` marks a missing slot [SL 651 toolkit].

Bodies are decoded by function in `water.telemetry.sl651_layouts` (31H/38H series, 46H status, 45H version,
51H clock, 40H–43H configuration, …); a function without an implemented layout is refused by name. SOH/ASCII
frames are decoded by `water.telemetry.sl651_ascii` (`decode` hands them over).
"""

from __future__ import annotations

from collections import OrderedDict
from dataclasses import dataclass, replace
from datetime import datetime, tzinfo
from decimal import Decimal
from typing import Any

from water.telemetry.bcd import decode_signed_bcd, encode_signed_bcd, scaled, unscaled
from water.telemetry.crc import BytesLike, crc16_modbus
from water.telemetry.errors import (
    BadBCD,
    BadCRC,
    BadLength,
    BadTime,
    FrameError,
    MalformedFrame,
    TruncatedFrame,
    UnknownFunction,
    UnknownProtocol,
)
from water.telemetry.model import Element, ElementValue
from water.telemetry.timeutil import BEIJING, encode_sl651_time, sl651_time

PROTOCOL = "sl651"

SOH, STX, ETX, EOT, ENQ, ACK, NAK, SYN, ETB, ESC = 0x01, 0x02, 0x03, 0x04, 0x05, 0x06, 0x15, 0x16, 0x17, 0x1B
END_CHARS = frozenset({ETX, ETB, ENQ, ACK, NAK, EOT, ESC})
END_NAMES = {ETX: "ETX", ETB: "ETB", ENQ: "ENQ", ACK: "ACK", NAK: "NAK", EOT: "EOT", ESC: "ESC"}
HEADER_LEN = 14  # 7E7E + 11 header bytes + STX/SYN
OVERHEAD = 17  # header + end character + CRC
MAX_BODY = 0x0FFF
MAX_FRAME = MAX_BODY + OVERHEAD

# Appendix B (domain.md §3.3 "Function codes").
FUNCTIONS: dict[int, str] = {
    0x2F: "link keep-alive",
    0x30: "test report",
    0x31: "equal-interval hydrological report",
    0x32: "timed report",
    0x33: "additional report",
    0x34: "hourly report",
    0x35: "manual entry",
    0x36: "image",
    0x37: "query real-time data",
    0x38: "query period data",
    0x39: "query manual entries",
    0x3A: "query specified elements",
    0x40: "write basic configuration",
    0x41: "read basic configuration",
    0x42: "write run parameters",
    0x43: "read run parameters",
    0x44: "pump-motor real-time data",
    0x45: "software version",
    0x46: "status and alarm",
    0x47: "initialise storage",
    0x48: "factory reset",
    0x49: "change password",
    0x4A: "set clock",
    0x4B: "IC-card state",
    0x4C: "pump control",
    0x4D: "valve control",
    0x4E: "gate control",
    0x4F: "set-volume control",
    0x50: "event log",
    0x51: "query clock",
}
# 00–2E, 3B–3F and 52–DF are reserved (refused); E0–FF are user-defined (accepted, body kept raw).
KNOWN_FUNCTIONS = frozenset(FUNCTIONS) | frozenset(range(0xE0, 0x100))
# Uplink bodies laid out as serial, send time, F1F1 station, class, F0F0 time, element groups.
ELEMENT_FUNCTIONS = frozenset({0x30, 0x32, 0x33, 0x34, 0x37, 0x38, 0x3A, 0x44, 0x46})
# Reports a station sends on its own and the centre confirms in M2 (domain.md §3.3 "Link modes").
REPORT_FUNCTIONS = frozenset({0x30, 0x31, 0x32, 0x33, 0x34, 0x35, 0x36})
KEEPALIVE = 0x2F

# Appendix A (domain.md §3.3 "Station class codes").
STATION_CLASSES: dict[int, str] = {
    0x50: "rainfall",
    0x48: "river",
    0x4B: "reservoir/lake",
    0x5A: "sluice/dam",
    0x44: "pumping station",
    0x54: "tidal",
    0x4D: "soil moisture",
    0x47: "groundwater",
    0x51: "water quality",
    0x49: "intake",
    0x4F: "outfall",
}

# Table C.1 entries domain.md lists: id → (name, unit).
ELEMENTS: dict[int, tuple[str, str]] = {
    0x04: ("time step (DRxnn)", "min"),
    0x05: ("period length (DT)", "h"),
    0x1A: ("1-hour rainfall", "mm"),
    0x1B: ("2-hour rainfall", "mm"),
    0x1C: ("3-hour rainfall", "mm"),
    0x1D: ("6-hour rainfall", "mm"),
    0x1E: ("12-hour rainfall", "mm"),
    0x1F: ("daily rainfall", "mm"),
    0x20: ("current rainfall", "mm"),
    0x26: ("rainfall accumulated", "mm"),
    0x27: ("instantaneous flow", "m3/s"),
    **{0x28 + i: (f"intake/outfall flow {i + 1}", "m3/s") for i in range(8)},
    0x30: ("total outflow", "m3/s"),
    0x31: ("device flow", "m3/s"),
    0x36: ("mean velocity", "m/s"),
    0x37: ("current velocity", "m/s"),
    0x38: ("supply voltage", "V"),
    0x39: ("instantaneous river level", "m"),
    0x3A: ("downstream level", "m"),
    0x3B: ("upstream level", "m"),
    **{0x3C + i: (f"intake/outfall level {i + 1}", "m") for i in range(8)},
    0x45: ("station status and alarm", ""),
    0x46: ("pH", ""),
    0x47: ("dissolved oxygen", "mg/L"),
    0x48: ("conductivity", "uS/cm"),
    0x49: ("turbidity", "NTU"),
    0x4A: ("CODMn", "mg/L"),
    0x4C: ("ammonia nitrogen", "mg/L"),
    0x4D: ("total phosphorus", "mg/L"),
    0x4E: ("total nitrogen", "mg/L"),
    **{0x60 + i: (f"water meter {i + 1} remaining volume", "m3") for i in range(8)},
    **{0x68 + i: (f"water meter {i + 1} hourly volume", "m3/h") for i in range(8)},
    0x70: ("AC voltage phase A", "V"),
    0x71: ("AC voltage phase B", "V"),
    0x72: ("AC voltage phase C", "V"),
    0x73: ("AC current phase A", "A"),
    0x74: ("AC current phase B", "A"),
    0x75: ("AC current phase C", "A"),
    0xF4: ("5-minute rainfall ×12", "mm"),
    **{0xF5 + i: (f"5-minute relative level ×12, series {i + 1}", "m") for i in range(8)},
}
STATUS_ELEMENT = 0x45
RAIN_ARRAY = 0xF4
LEVEL_ARRAYS = frozenset(range(0xF5, 0xFD))

# 45H / Table 58 bit meanings (domain.md §3.3). Bits 7 and 10 read "1 = closed" / "1 = stopped".
STATUS_BITS: dict[int, str] = {
    0: "ac_power_outage",
    1: "battery_low",
    2: "level_alarm",
    3: "flow_alarm",
    4: "quality_alarm",
    5: "flow_meter_fault",
    6: "level_meter_fault",
    7: "cabinet_door_closed",
    8: "memory_fault",
    9: "ic_card_active",
    10: "pump_stopped",
    11: "remaining_volume_over_limit",
}

_HEX2 = tuple(f"{b:02X}" for b in range(256))


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


def decode(raw: BytesLike, *, tz: tzinfo = BEIJING, check_crc: bool = True) -> Sl651Frame:
    """Decode one complete 7E7E frame. Raises a `FrameError` subclass for anything malformed.

    With ``check_crc=False`` a frame with a wrong CRC is still decoded (``crc_ok=False``), for the operator CLI.
    A multi-packet (SYN) packet is returned with its fragment in ``body`` and no elements; feed it to a
    `Reassembler`.
    """
    raw = bytes(raw)
    n = len(raw)
    if n and raw[0] == SOH:
        from water.telemetry import sl651_ascii

        return sl651_ascii.decode(raw, tz=tz, check_crc=check_crc)
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


# Per identifier byte: how its data decodes. 0 = not in Table C.1 (kept, flagged unknown), 1 = BCD number,
# 2 = status bit word (45H), 3 = 5-minute rainfall array (F4H), 4 = 5-minute level array (F5H–FCH).
_KIND = [0] * 256
for _ident in ELEMENTS:
    _KIND[_ident] = 1
_KIND[STATUS_ELEMENT] = 2
_KIND[RAIN_ARRAY] = 3
for _ident in LEVEL_ARRAYS:
    _KIND[_ident] = 4
_KIND[0x04] = 5  # DRxnn time step: DD HH MM BCD → minutes
_SPEC = [ELEMENTS.get(i, ("unknown", "")) for i in range(256)]
# Element(...) goes through the NamedTuple's Python-level __new__; tuple.__new__ builds the same immutable
# object in C (about 0.1–0.2 µs less per element, on the decoder's hot path). All eight fields are given.
_new = tuple.__new__


def parse_elements(
    body: bytes, pos: int, tz: tzinfo = BEIJING
) -> tuple[tuple[Element, ...], tuple[str, ...], datetime | None]:
    """Element groups from ``pos`` to the end of ``body``.

    Returns the elements, the ids not in Table C.1 (reserved ids and ``FF xx`` extensions), and the first
    observation time. Known BCD elements with a digit above 9 raise `BadBCD`; unknown ones keep ``value=None``
    and their raw bytes, so one vendor-specific group does not cost the frame its standard values.
    """
    out: list[Element] = []
    unknown: list[str] = []
    observed: datetime | None = None
    first: datetime | None = None
    n = len(body)
    hex2, kinds, specs = _HEX2, _KIND, _SPEC
    while pos < n:
        ident = body[pos]
        if pos + 1 >= n:
            raise BadLength(f"element {hex2[ident]} without data definition")
        second = body[pos + 1]
        if ident == 0xFF:
            if pos + 2 >= n:
                raise BadLength(f"extension FF {hex2[second]} without data definition")
            key = "FF" + hex2[second]
            ddef = body[pos + 2]
            pos += 3
            kind = 0
        elif ident == 0xF0 and second == 0xF0:
            if pos + 7 > n:
                raise BadLength("F0 F0 observation time cut short")
            observed = sl651_time(body[pos + 2 : pos + 7], tz)
            if first is None:
                first = observed
            pos += 7
            continue
        else:
            key = hex2[ident]
            ddef = second
            pos += 2
            kind = kinds[ident]
        nbytes = ddef >> 3
        if nbytes == 0:
            raise BadLength(f"element {key} declares 0 data bytes")
        stop = pos + nbytes
        if stop > n:
            raise BadLength(f"element {key} declares {nbytes} bytes, {n - pos} left")
        data = body[pos:stop]
        pos = stop
        decimals = ddef & 0x07
        value: ElementValue
        if kind <= 1:
            lead = data[0]
            try:
                if lead != 0xAA and lead != 0xFF:  # the common case: a positive number, one C-level parse
                    number = int(data.hex())
                    value = Decimal(number).scaleb(-decimals) if decimals else Decimal(number)
                else:  # no-data marker or sign byte
                    signed = decode_signed_bcd(data)
                    value = None if signed is None else scaled(signed, decimals)
            except (ValueError, BadBCD):
                if kind:
                    raise BadBCD(f"element {key}: BCD digit above 9 in {data.hex().upper()}") from None
                value = None
            if kind:
                name, unit = specs[ident]
                out.append(_new(Element, (key, name, value, unit, decimals, data, observed, True)))
            else:
                unknown.append(key)
                label = "extension" if ident == 0xFF else "unknown"
                out.append(_new(Element, (key, label, value, "", decimals, data, observed, False)))
        elif kind == 2:
            name, unit = specs[ident]
            out.append(_new(Element, (key, name, int.from_bytes(data, "big"), unit, 0, data, observed, True)))
        elif kind == 5:
            name, unit = specs[ident]
            out.append(_new(Element, (key, name, step_minutes(data, key), unit, 0, data, observed, True)))
        elif kind == 3:
            name, unit = specs[ident]
            rain = tuple(None if b == 0xFF else scaled(b, 1) for b in data)
            out.append(_new(Element, (key, name, rain, unit, 1, data, observed, True)))
        else:
            if nbytes % 2:
                raise BadLength(f"element {key} holds 2-byte values, not {nbytes} bytes")
            name, unit = specs[ident]
            words = [int.from_bytes(data[i : i + 2], "big") for i in range(0, nbytes, 2)]
            levels = tuple(None if w == 0xFFFF else scaled(w, 2) for w in words)
            out.append(_new(Element, (key, name, levels, unit, 2, data, observed, True)))
    return tuple(out), tuple(unknown), first


def step_minutes(data: bytes, key: str = "04") -> int:
    """DRxnn time step (3 BCD bytes: days, hours, minutes) → minutes; a step of 0 is refused (a series whose
    values would all share one instant)."""
    if len(data) != 3:
        raise BadLength(f"time step {key} has 3 bytes (DD HH MM), not {len(data)}")
    try:
        days, hours, minutes = (int(f"{b:02X}") for b in data)
    except ValueError:
        raise BadBCD(f"time step {key}: BCD digit above 9 in {data.hex().upper()}") from None
    total = days * 1440 + hours * 60 + minutes
    if total == 0:
        raise BadTime("time step of 0")
    return total


def decode_value(ident: int, key: str, data: bytes, decimals: int) -> ElementValue:
    """One value of element ``ident`` (as `parse_elements` decodes it), for series whose values share one
    identifier and data definition."""
    kind = _KIND[ident] if ident != 0xFF else 0
    if kind <= 1:
        try:
            signed = decode_signed_bcd(data)
        except (ValueError, BadBCD):
            if kind:
                raise BadBCD(f"element {key}: BCD digit above 9 in {data.hex().upper()}") from None
            return None
        return None if signed is None else scaled(signed, decimals)
    if kind == 2:
        return int.from_bytes(data, "big")
    if kind == 5:
        return step_minutes(data, key)
    if kind == 3:
        return tuple(None if b == 0xFF else scaled(b, 1) for b in data)
    if len(data) % 2:
        raise BadLength(f"element {key} holds 2-byte values, not {len(data)} bytes")
    words = [int.from_bytes(data[i : i + 2], "big") for i in range(0, len(data), 2)]
    return tuple(None if w == 0xFFFF else scaled(w, 2) for w in words)


def element_spec(key: str) -> tuple[str, str, bool]:
    """(name, unit, known) of an element id as `Element` carries it (``"39"``, ``"FF01"``)."""
    if key.startswith("FF") and len(key) == 4:
        return "extension", "", False
    ident = int(key, 16)
    if _KIND[ident] == 0:
        return "unknown", "", False
    name, unit = _SPEC[ident]
    return name, unit, True


# --- multi-packet -----------------------------------------------------------------------------------------------


class Reassembler:
    """Joins SYN packets (ETB … ETX) into one message, in sequence order whatever the arrival order.

    Bounded: at most ``max_pending`` incomplete messages and ``max_bytes`` of held fragments; the oldest
    incomplete message is dropped first (counted in ``dropped``). One instance per connection.
    """

    def __init__(self, *, max_pending: int = 16, max_bytes: int = 1 << 20) -> None:
        self.max_pending = max_pending
        self.max_bytes = max_bytes
        self.dropped = 0
        self._held = 0
        self._pending: OrderedDict[tuple[bytes, int, int, bool, int], dict[int, Sl651Frame]] = OrderedDict()

    def add(self, frame: Sl651Frame, tz: tzinfo = BEIJING) -> Sl651Frame | None:
        """Return the whole message when ``frame`` completes it (or is not a packet at all), else None."""
        if frame.packet is None:
            return frame
        count, seq = frame.packet
        key = (frame.station, frame.centre, frame.function, frame.uplink, count)
        parts = self._pending.get(key)
        if parts is None:
            parts = self._pending[key] = {}
        old = parts.get(seq)
        self._held += len(frame.body) - (len(old.body) if old else 0)
        parts[seq] = frame
        if len(parts) < count:
            self._evict()
            return None
        del self._pending[key]
        ordered = [parts[i] for i in range(1, count + 1)]
        self._held -= sum(len(p.body) for p in ordered)
        first, last = ordered[0], ordered[-1]
        merged = replace(
            first,
            raw=b"".join(p.raw for p in ordered),
            body=b"".join(p.body for p in ordered),
            length=sum(p.length for p in ordered),
            end=last.end,
            crc=last.crc,
            crc_ok=all(p.crc_ok for p in ordered),
            packet=None,
            packets=count,
        )
        try:
            if merged.encoding == "ascii":
                parsed = layouts.parse_ascii_body(merged.function, merged.uplink, merged.end, merged.body, tz)
            else:
                parsed = layouts.parse_body(merged.function, merged.uplink, merged.end, merged.body, tz)
        except FrameError as exc:
            exc.protocol = PROTOCOL
            exc.station = exc.station or merged.station_hex
            raise
        (
            merged.serial,
            merged.sent_raw,
            merged.sent_at,
            merged.body_station,
            merged.station_class,
            merged.observed_at,
            merged.elements,
            merged.unknown,
            merged.missing,
            merged.info,
        ) = parsed
        return merged

    def missing_after(self, frame: Sl651Frame) -> list[int]:
        """After `add` returned None for the last packet of a message (sequence = total, M3): the packet numbers
        still missing, for the NAK (empty for any other packet)."""
        if frame.packet is None or frame.packet[1] != frame.packet[0]:
            return []
        count = frame.packet[0]
        key = (frame.station, frame.centre, frame.function, frame.uplink, count)
        parts = self._pending.get(key, {})
        return [seq for seq in range(1, count + 1) if seq not in parts]

    def _evict(self) -> None:
        while self._pending and (len(self._pending) > self.max_pending or self._held > self.max_bytes):
            _, parts = self._pending.popitem(last=False)
            self._held -= sum(len(p.body) for p in parts.values())
            self.dropped += 1

    @property
    def pending(self) -> int:
        """Incomplete messages held."""
        return len(self._pending)


# --- encoding -------------------------------------------------------------------------------------------------


def encode_frame(
    *,
    centre: int,
    station: bytes,
    password: int,
    function: int,
    body: bytes,
    uplink: bool = True,
    end: int = ETX,
    packet: tuple[int, int] | None = None,
) -> bytes:
    """Build a HEX/BCD frame with its length, direction and CRC (SYN + packet header when ``packet`` is given)."""
    if len(station) != 5:
        raise ValueError("station address must be 5 bytes")
    if not 0 <= centre <= 255 or not 0 <= password <= 0xFFFF:
        raise ValueError("centre is one byte, password two")
    if end not in END_CHARS:
        raise ValueError(f"{end:02X}H is not an end character")
    payload = bytes(body)
    start = STX
    if packet is not None:
        count, seq = packet
        if not 1 <= seq <= count <= 0x0FFF:
            raise ValueError("packet must be (total, sequence) with 1 ≤ sequence ≤ total ≤ 4095")
        payload = ((count << 12) | seq).to_bytes(3, "big") + payload
        start = SYN
    if len(payload) > MAX_BODY:
        raise ValueError(f"body of {len(payload)} bytes exceeds {MAX_BODY}")
    address = bytes([centre]) + bytes(station) if uplink else bytes(station) + bytes([centre])
    marker = (0 if uplink else 0x8000) | len(payload)
    frame = b"\x7e\x7e" + address + password.to_bytes(2, "big") + bytes([function]) + marker.to_bytes(2, "big")
    frame += bytes([start]) + payload + bytes([end])
    return frame + crc16_modbus(frame).to_bytes(2, "big")


def encode_element(ident: int | str, value: ElementValue, *, nbytes: int, decimals: int) -> bytes:
    """One element group: identifier (``FF xx`` for extensions), data definition, data."""
    if not 1 <= nbytes <= 31 or not 0 <= decimals <= 7:
        raise ValueError("data definition holds 1–31 bytes and 0–7 decimals")
    key = ident if isinstance(ident, str) else f"{ident:02X}"
    head = bytes.fromhex(key)
    code = head[0]
    ddef = bytes([(nbytes << 3) | decimals])
    if code == STATUS_ELEMENT and isinstance(value, int):
        data = value.to_bytes(nbytes, "big")
    elif code == RAIN_ARRAY and isinstance(value, tuple):
        data = bytes(0xFF if v is None else unscaled(v, 1) for v in value)
    elif code in LEVEL_ARRAYS and isinstance(value, tuple):
        data = b"".join(b"\xff\xff" if v is None else unscaled(v, 2).to_bytes(2, "big") for v in value)
    elif value is None or isinstance(value, Decimal | int | str):
        data = encode_signed_bcd(None if value is None else unscaled(value, decimals), nbytes)
    else:
        raise ValueError(f"cannot encode {value!r} for element {key}")
    if len(data) != nbytes:
        raise ValueError(f"element {key}: {len(data)} data bytes, definition says {nbytes}")
    # For FF xx the head is two bytes: identifier and extension byte, then the data definition.
    return head + ddef + data


def encode_report(
    *,
    centre: int,
    station: bytes,
    password: int,
    serial: int,
    sent_at: datetime,
    observed_at: datetime,
    elements: list[bytes] | tuple[bytes, ...],
    function: int = 0x32,
    station_class: int = 0x49,
    end: int = ETX,
    tz: tzinfo = BEIJING,
) -> bytes:
    """An uplink report (test/timed/additional/hourly …) with already-encoded element groups."""
    body = (
        serial.to_bytes(2, "big")
        + encode_sl651_time(sent_at, 6, tz)
        + b"\xf1\xf1"
        + bytes(station)
        + bytes([station_class])
        + b"\xf0\xf0"
        + encode_sl651_time(observed_at, 5, tz)
        + b"".join(elements)
    )
    return encode_frame(centre=centre, station=station, password=password, function=function, body=body, end=end)


def encode_keepalive(
    *, centre: int, station: bytes, password: int, serial: int, sent_at: datetime, tz: tzinfo = BEIJING
) -> bytes:
    """An uplink 2FH link keep-alive (body: serial and send time)."""
    body = serial.to_bytes(2, "big") + encode_sl651_time(sent_at, 6, tz)
    return encode_frame(centre=centre, station=station, password=password, function=KEEPALIVE, body=body)


def build_nak(packet: Sl651Frame, missing: list[int], *, sent_at: datetime, tz: tzinfo = BEIJING) -> bytes:
    """M3: the centre's NAK for a multi-packet message whose last packet arrived with others missing. Same
    function and password, serial 0 (the serial travels in packet 1, which may be among the missing), the
    centre's time, then the missing packet numbers (2 bytes each; ASCII: hex numbers separated by spaces)."""
    if packet.encoding == "ascii":
        from water.telemetry import sl651_ascii

        text = sl651_ascii.body_head(0, sent_at, tz) + " ".join(f"{seq:X}" for seq in missing)
        return sl651_ascii.encode_frame(centre=packet.centre, station=packet.station, password=packet.password,
                                        function=packet.function, body=text, uplink=False, end=NAK)  # fmt: skip
    body = b"\x00\x00" + encode_sl651_time(sent_at, 6, tz) + b"".join(seq.to_bytes(2, "big") for seq in missing)
    return encode_frame(centre=packet.centre, station=packet.station, password=packet.password,
                        function=packet.function, body=body, uplink=False, end=NAK)  # fmt: skip


def needs_confirmation(frame: Sl651Frame, *, keepalive: bool = False) -> bool:
    """Whether the centre confirms this frame in M2: a complete uplink report (2FH only if ``keepalive``)."""
    if not frame.uplink or frame.packet is not None:
        return False
    return frame.function in REPORT_FUNCTIONS or (keepalive and frame.function == KEEPALIVE)


def build_confirmation(
    frame: Sl651Frame, *, end: int = EOT, sent_at: datetime | None = None, tz: tzinfo = BEIJING
) -> bytes:
    """The centre's M2/M4 confirmation: a downlink frame with the same function, password and serial.

    ``end`` is EOT (04, "done, leave") or ESC (1B, "stay online"). The send time echoes the station's unless
    ``sent_at`` is given; the echo reproduces domain.md's "30 test down" sample byte for byte.
    """
    if end not in (EOT, ESC, ACK):
        raise ValueError("a confirmation ends with EOT, ESC or ACK")
    if frame.encoding == "ascii":
        from water.telemetry import sl651_ascii

        return sl651_ascii.build_confirmation(frame, end=end, sent_at=sent_at, tz=tz)
    if frame.serial is None:
        raise ValueError("frame has no decoded serial number (multi-packet fragment or user-defined function)")
    time_raw = frame.sent_raw if sent_at is None else encode_sl651_time(sent_at, 6, tz)
    body = frame.serial.to_bytes(2, "big") + time_raw
    return encode_frame(
        centre=frame.centre,
        station=frame.station,
        password=frame.password,
        function=frame.function,
        body=body,
        uplink=False,
        end=end,
    )


# Body layouts by function (imported last: that module reads this one's tables and element parser).
from water.telemetry import sl651_layouts as layouts  # noqa: E402
