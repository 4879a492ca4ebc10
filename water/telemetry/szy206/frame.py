"""SZY 206 frame layout: constants, the AFN and data-type tables, alarm/status bits, the C byte, the address A, the
time label Tp and the decoded frame `SzyFrame` (the package docstring has the frame diagram).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, tzinfo
from functools import lru_cache
from typing import Literal, NamedTuple

from water.telemetry.bcd import BCD_BYTE, bcd_byte
from water.telemetry.crc import BytesLike
from water.telemetry.errors import (
    BadBCD,
    BadLength,
    BadTime,
)
from water.telemetry.model import Element
from water.telemetry.timeutil import BEIJING, make_time, place_day_label, require_aware

PROTOCOL = "szy206"
START = 0x68
END = 0x16
MIN_L = 7  # C + A(5) + AFN
MAX_FRAME = 255 + 5

Edition = Literal["2016", "2021", "auto"]
ByteOrder = Literal["little", "big"]
SignRule = Literal["sl427", "hm1212"]

TP_LEN = {"2016": 5, "2021": 7}

# AFN table, domain.md §3.2 [V: wainshine AFN_MAP; hm1212 BinaryMessageType].
AFN_NAMES: dict[int, str] = {
    0x02: "link check",
    0x10: "set address",
    0x11: "set clock",
    0x12: "set work mode",
    0x15: "set recharge volume",
    0x16: "set remaining-volume alarm",
    0x17: "set level base and limits",
    0x18: "set pressure limits",
    0x19: "set water-quality upper limits",
    0x1A: "set water-quality lower limits",
    0x1B: "set initial volume",
    0x1F: "set flow upper limit",
    0x20: "set report thresholds and storage interval",
    0x30: "IC card on",
    0x31: "IC card off",
    0x32: "set-value control on",
    0x33: "set-value control off",
    0x34: "set-value amount",
    0x50: "query address",
    0x51: "query clock",
    0x52: "query work mode",
    0x53: "query self-report kinds and intervals",
    0x54: "query real-time kinds",
    0x55: "query recharge and remaining volume",
    0x5E: "query alarm and status",
    0x5F: "query three-phase voltage and current",
    0x61: "query image",
    0x81: "self-report alarm",
    0x82: "manual entry",
    0x83: "image self-report",
    0x84: "voltage self-report",
    0x90: "reset",
    0x91: "clear history",
    0x92: "start pump or valve",
    0x93: "stop pump or valve",
    0x94: "switch channel",
    0x95: "switch relay",
    0x96: "change password",
    0xB0: "real-time values",
    0xB1: "stored data",
    0xC0: "self-report real-time data",
}
# The ranges domain.md gives (10H–4FH set, 50H–65H query, 90H–96H control) are accepted whole; codes outside
# every range are refused as UnknownFunction.
KNOWN_AFNS = frozenset(
    [0x02, 0xB0, 0xB1, 0xC0, 0x81, 0x82, 0x83, 0x84, *range(0x10, 0x50), *range(0x50, 0x66), *range(0x90, 0x97)]
)
# Uplink messages the centre answers (domain.md §3.2 "Acknowledgement"; link check and self-reports).
ACKED_AFNS = frozenset({0x02, 0xC0, 0x81, 0x82})

LINK_CODES = {0xF0: "login", 0xF1: "logout", 0xF2: "keep-alive"}


@dataclass(frozen=True, slots=True)
class DataType:
    """C byte D3–D0: item kind, size in bytes, decimals, signedness, unit."""

    kind: str
    name: str
    size: int
    decimals: int
    signed: bool
    unit: str


# Sizes: domain.md §3.2 table [V: rhilex, hm1212, wainshine]. Decimals for 2 and 3 are in domain.md; the others
# come from the SL 427 toolkit only (domain.md: "Sizes and decimals are from wainshine only"). 0, D and E have no
# fixed item: their data is kept raw.
DATA_TYPES: dict[int, DataType] = {
    0x1: DataType("rain", "rainfall", 3, 1, False, "mm"),
    0x2: DataType("level", "water level", 4, 3, True, "m"),
    0x3: DataType("flow", "flow / volume", 5, 3, True, "m3/s"),
    0x4: DataType("velocity", "velocity", 3, 3, True, "m/s"),
    0x5: DataType("gate", "gate position", 3, 2, False, "m"),
    0x6: DataType("power", "power", 3, 0, False, "kW"),
    0x7: DataType("meteo", "air pressure or meteorology", 3, 0, False, ""),
    0x8: DataType("wind", "wind speed or electricity", 3, 0, False, ""),
    0x9: DataType("temperature", "water temperature", 3, 0, False, "°C"),
    0xA: DataType("quality", "water quality", 3, 0, True, ""),
    0xB: DataType("soil", "soil moisture", 3, 0, False, "%"),
    0xC: DataType("evaporation", "evaporation", 3, 0, False, "mm"),
    0xF: DataType("pressure", "water pressure", 3, 0, False, "MPa"),
}
DATA_TYPE_NAMES = {
    0x0: "command or acknowledgement",
    0xD: "alarm/status (down) or statistical rainfall (up)",
    0xE: "composite parameters",
    **{code: t.name for code, t in DATA_TYPES.items()},
}

# Alarm word bits (SL 427) and status word bits, domain.md §3.2 [V: wainshine ALARM_BITS/TERMINAL_BITS].
ALARM_BITS: dict[int, str] = {
    0: "ac_power_loss",
    1: "battery_low",
    2: "level_over_limit",
    3: "flow_over_limit",
    4: "quality_over_limit",
    5: "flow_meter_fault",
    6: "pump_state",
    7: "level_meter_fault",
    8: "pressure_over_limit",
    9: "temperature_over_limit",
    10: "ic_card",
    11: "set_value_control",
    12: "remaining_volume_below_limit",
    13: "cabinet_door",
}
STATUS_BITS: dict[int, str] = {
    2: "ic_card_valid",
    3: "set_value_control",
    4: "pump",
    5: "door",
    6: "power_source_battery",
}


@dataclass(frozen=True, slots=True)
class Control:
    """The C byte."""

    uplink: bool
    div: bool
    fcb: int
    data_type: int

    @classmethod
    def from_byte(cls, c: int) -> Control:
        """Split C into DIR, DIV, FCB and the data-type code."""
        return cls(bool(c & 0x80), bool(c & 0x40), (c >> 4) & 0x03, c & 0x0F)

    def to_byte(self) -> int:
        """Pack back into one byte."""
        return (
            (0x80 if self.uplink else 0) | (0x40 if self.div else 0) | ((self.fcb & 3) << 4) | (self.data_type & 0x0F)
        )


_CONTROLS = tuple(Control.from_byte(c) for c in range(256))  # decoded once; C is looked up per frame


@dataclass(frozen=True, slots=True)
class SzyAddress:
    """Address field A.

    ``hex`` is the five bytes exactly as sent (upper-case hex): it does not depend on the A2 byte-order option,
    so it is the key to look a meter up by before its profile is known. ``division``/``station_no`` are the
    readable mode-1 parts, ``code`` the mode-2 station code.
    """

    hex: str
    mode: int
    division: str | None
    station_no: int | None
    code: str | None
    kind: str

    @property
    def canonical(self) -> str:
        """Vendor-independent form: division + station number as 4 hex digits, big-endian (mode 1)."""
        if self.mode == 1 and self.division is not None and self.station_no is not None:
            return f"{self.division}{self.station_no:04X}"
        return self.hex


@lru_cache(maxsize=4096)
def parse_address(raw: bytes, a2_byte_order: ByteOrder = "little") -> SzyAddress:
    """Decode the 5-byte address (cached: a gateway sees the same few stations over and over)."""
    if len(raw) != 5:
        raise BadLength("an SZY 206 address has 5 bytes", protocol=PROTOCOL)
    text = raw.hex().upper()
    if raw[0] == 0x00:
        # Mode 2: 00 + 8 hex digits of station code.
        return SzyAddress(text, 2, None, None, text[2:], "code")
    division = text[:6] if text[:6].isdigit() else None  # A1 is BCD; a non-BCD A1 still identifies by hex
    number = int.from_bytes(raw[3:5], a2_byte_order)
    if number == 0:
        kind = "invalid"
    elif number <= 60000:
        kind = "station"
    elif number <= 65534:
        kind = "relay"
    else:
        kind = "broadcast"
    return SzyAddress(text, 1, division, number, None, kind)


def encode_address(division: str, station_no: int, *, a2_byte_order: ByteOrder = "little") -> bytes:
    """Mode-1 address: 6-digit division code (BCD) + station number (2 bytes binary)."""
    if len(division) != 6 or not division.isdigit():
        raise ValueError("division must be 6 digits (GB/T 2260)")
    if not 0 <= station_no <= 0xFFFF:
        raise ValueError("station number must fit in 2 bytes")
    return bytes.fromhex(division) + station_no.to_bytes(2, a2_byte_order)


class TimeLabel(NamedTuple):
    """Tp. ``month``/``year`` are None for the 5-byte SZY 206-2016 label; ``delay_min`` is the allowed delay."""

    second: int
    minute: int
    hour: int
    day: int
    month: int | None
    year: int | None
    delay_min: int

    def resolve(self, received_at: datetime, tz: tzinfo = BEIJING) -> datetime:
        """Aware instant: the 7-byte label directly, the 5-byte one in the month nearest before ``received_at``."""
        if self.month is None or self.year is None:
            require_aware(received_at)
            # Fields were range-checked by parse_label.
            return place_day_label(self.day, self.hour, self.minute, self.second, received_at.astimezone(tz))
        return make_time(2000 + self.year, self.month, self.day, self.hour, self.minute, self.second, tz)


def parse_label(raw: BytesLike) -> TimeLabel:
    """Decode a 5- or 7-byte Tp; field ranges are checked here so an impossible label is refused early."""
    n = len(raw)
    if n != 5 and n != 7:
        raise BadLength(f"Tp has 5 or 7 bytes, not {n}", protocol=PROTOCOL)
    b = BCD_BYTE
    second, minute, hour, day = b[raw[0]], b[raw[1]], b[raw[2]], b[raw[3]]
    if second < 0 or minute < 0 or hour < 0 or day < 0:
        raise BadBCD(f"BCD digit above 9 in Tp {bytes(raw).hex().upper()}", protocol=PROTOCOL)
    if not (second <= 59 and minute <= 59 and hour <= 23 and 1 <= day <= 31):
        raise BadTime(f"impossible Tp day {day} {hour:02d}:{minute:02d}:{second:02d}", protocol=PROTOCOL)
    if n == 7:
        month, year = b[raw[4]], b[raw[5]]
        if month < 0 or year < 0:
            raise BadBCD(f"BCD digit above 9 in Tp {bytes(raw).hex().upper()}", protocol=PROTOCOL)
        make_time(2000 + year, month, day, hour, minute, second, BEIJING)  # validates the calendar date
        return TimeLabel(second, minute, hour, day, month, year, raw[6])
    return TimeLabel(second, minute, hour, day, None, None, raw[4])


def encode_label(
    moment: datetime, *, edition: Literal["2016", "2021"] = "2016", delay_min: int = 0, tz: tzinfo = BEIJING
) -> bytes:
    """Aware datetime → Tp of the edition (5 or 7 bytes) in the device zone."""
    require_aware(moment, "moment")
    if not 0 <= delay_min <= 255:
        raise ValueError("delay_min is one binary byte")
    local = moment.astimezone(tz)
    fields = [local.second, local.minute, local.hour, local.day]
    if edition == "2021":
        fields += [local.month, local.year - 2000]
    return bytes(bcd_byte(v) for v in fields) + bytes([delay_min])


@dataclass(slots=True)
class SzyFrame:
    """A decoded 68H frame. Treat as read-only (not ``frozen``: that costs ~130 ns per field on the hot path).

    ``data`` is the area after AFN up to CS (values, alarm/status words and Tp included), kept for raw display
    and re-decoding. ``items`` are the decoded values (function 3 with pairs: flow_1, volume_1, flow_2, …).
    """

    raw: bytes
    control: Control
    divs: int | None
    address: SzyAddress
    afn: int
    data: bytes
    crc: int
    crc_ok: bool
    items: tuple[Element, ...] = ()
    alarm: int | None = None
    status: int | None = None
    label: TimeLabel | None = None
    link: int | None = None
    edition: str | None = None

    @property
    def uplink(self) -> bool:
        """True for frames from the terminal."""
        return self.control.uplink

    @property
    def afn_name(self) -> str:
        """Readable AFN."""
        return AFN_NAMES.get(self.afn, f"AFN {self.afn:02X}H")
