"""SL 651 encoding: frames, element groups, reports, keep-alives, and the centre's answers (NAK, confirmation)."""

from __future__ import annotations

from datetime import datetime, tzinfo
from decimal import Decimal

from water.telemetry.bcd import encode_signed_bcd, unscaled
from water.telemetry.crc import crc16_modbus
from water.telemetry.model import ElementValue
from water.telemetry.sl651.frame import Sl651Frame
from water.telemetry.sl651.tables import (
    END_CHARS,
    EOT,
    ETX,
    KEEPALIVE,
    LEVEL_ARRAYS,
    MAX_BODY,
    NAK,
    RAIN_ARRAY,
    REPORT_FUNCTIONS,
    STATUS_ELEMENT,
    STX,
    SYN,
)
from water.telemetry.timeutil import BEIJING, encode_sl651_time


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


def build_nak_hex(packet: Sl651Frame, missing: list[int], *, sent_at: datetime, tz: tzinfo = BEIJING) -> bytes:
    """The HEX/BCD NAK (the public `sl651.build_nak`, in `codec`, hands ASCII packets to `sl651_ascii`): the
    missing packet numbers, 2 bytes each."""
    body = b"\x00\x00" + encode_sl651_time(sent_at, 6, tz) + b"".join(seq.to_bytes(2, "big") for seq in missing)
    return encode_frame(
        centre=packet.centre,
        station=packet.station,
        password=packet.password,
        function=packet.function,
        body=body,
        uplink=False,
        end=NAK,
    )


def needs_confirmation(frame: Sl651Frame, *, keepalive: bool = False) -> bool:
    """Whether the centre confirms this frame in M2: a complete uplink report (2FH only if ``keepalive``)."""
    if not frame.uplink or frame.packet is not None:
        return False
    return frame.function in REPORT_FUNCTIONS or (keepalive and frame.function == KEEPALIVE)


def build_confirmation_hex(
    frame: Sl651Frame, *, end: int = EOT, sent_at: datetime | None = None, tz: tzinfo = BEIJING
) -> bytes:
    """The HEX/BCD confirmation (the public `sl651.build_confirmation`, in `codec`, checks ``end`` and hands
    ASCII frames to `sl651_ascii`). The echo reproduces domain.md's "30 test down" sample byte for byte."""
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
