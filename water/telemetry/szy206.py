"""SZY 206-2016 / SL/T 427-2021 frames (the 68H family), decode and encode. domain.md §3.2.

Frame::

    68 | L | 68 | C | [DIVS] | A (5) | AFN | data … | [PW (2)] | [Tp] | CS | 16

- ``L`` counts the user-data area C … end of AUX; it excludes 68/L/68, CS and 16.
- ``CS`` is CRC-8/0xE5 over that same area (see `water.telemetry.crc`).
- ``C``: D7 DIR (1 = uplink), D6 DIV (a DIVS countdown byte follows C), D5–D4 FCB, D3–D0 data type.
- ``A``: mode 1 = 3-byte BCD division code + 2-byte binary station number (little-endian per SL 427; some
  vendors send it big-endian, hence ``a2_byte_order``); mode 2 = ``00`` + 8 hex digits.
- Self-report (AFN C0): values, 2 bytes alarm bits, 2 bytes status bits, Tp.
- Tp: 5 bytes (s, min, h, day BCD + allowed delay in minutes, binary) on SZY 206-2016 devices; 7 bytes
  (s, min, h, day, month, year BCD + delay) on SL/T 427-2021 devices. ``edition="auto"`` picks the length that
  makes the value area divide into whole items (5 and 7 differ by 2, so at most one fits any item size ≥ 3).

Choices where the sources disagree or are silent (domain.md §7 item 3) are keyword options with defaults; the
profile layer (`water.telemetry.profiles`) sets them per meter:

- ``pairs``: function-3 data as (flow, cumulative volume) pairs [hm1212] or flows only [SL 427 toolkit].
- ``sign_rule``: ``"sl427"`` (byte 5 D7–D6 sign 00/11, D5–D4 unit 00 = m³/s, 11 = m³/h) or ``"hm1212"``
  (D7 sign, D6–D4 a digit 0–7).
- ``word_order`` of the alarm/status words: default little-endian. Not stated in domain.md; both open-source
  parsers read them big-endian, but SZY 206 sends every other multi-byte field low byte first and the worked
  sample's status word ``60 00`` only names defined bits (D5 door, D6 power source) when read little-endian.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, tzinfo
from decimal import Decimal
from functools import lru_cache
from typing import Literal, NamedTuple

from water.telemetry.bcd import BCD_BYTE, bcd_byte, encode_bcd, is_no_data, scaled, unscaled
from water.telemetry.crc import BytesLike, crc8_e5
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


_IDS: dict[str, tuple[str, ...]] = {
    kind: tuple(f"{kind}_{i}" for i in range(1, 52)) for kind in ["volume"] + [t.kind for t in DATA_TYPES.values()]
}
_FLOW_IDS, _VOLUME_IDS = _IDS["flow"], _IDS["volume"]


def _flow5(item: bytes, decimals: int, sign_rule: SignRule) -> tuple[Decimal | None, str]:
    """Five BCD bytes, low byte first, with the sign/unit flags in byte 5 (domain.md §3.2 "Flow/volume")."""
    top = item[4]
    if (top == 0xAA or top == 0xFF) and is_no_data(item):
        return None, "m3/s"
    if sign_rule == "sl427":
        sign, unit_bits = top >> 6, (top >> 4) & 0x03
        if sign == 1 or sign == 2:
            raise BadBCD(f"undefined sign bits {sign:02b} in {item.hex().upper()}", protocol=PROTOCOL)
        if unit_bits == 1 or unit_bits == 2:
            raise BadBCD(f"undefined unit bits {unit_bits:02b} in {item.hex().upper()}", protocol=PROTOCOL)
        text = _NIBBLE[top & 0x0F] + item[3::-1].hex()
        negative, unit = sign == 3, ("m3/h" if unit_bits == 3 else "m3/s")
    else:  # hm1212: D7 sign, D6–D4 the top digit (0–7)
        text = _NIBBLE[(top >> 4) & 0x07] + _NIBBLE[top & 0x0F] + item[3::-1].hex()
        negative, unit = bool(top & 0x80), "m3/s"
    try:
        number = int(text)
    except ValueError:
        raise BadBCD(f"BCD digit above 9 in {item.hex().upper()}", protocol=PROTOCOL) from None
    if negative:
        number = -number
    return (Decimal(number).scaleb(-decimals) if decimals else Decimal(number)), unit


_NIBBLE = tuple("0123456789abcdef")
_new = tuple.__new__  # builds Element without the NamedTuple's Python-level __new__ (hot path)


def _plain(item: bytes, dtype: DataType) -> Decimal | None:
    """Other data types: BCD low byte first; signed kinds carry F in the top nibble for negative [wainshine]."""
    if is_no_data(item):
        return None
    text = item[::-1].hex()
    negative = dtype.signed and text[0] == "f"
    if negative:
        text = text[1:]
    try:
        number = int(text)
    except ValueError:
        raise BadBCD(f"BCD digit above 9 in {item.hex().upper()}", protocol=PROTOCOL) from None
    return scaled(-number if negative else number, dtype.decimals)


def _items(
    values: bytes, data_type: int, *, pairs: bool, sign_rule: SignRule, volume_decimals: int
) -> tuple[Element, ...]:
    dtype = DATA_TYPES[data_type]
    out: list[Element] = []
    if data_type == 0x3:
        step = 10 if pairs else 5
        if len(values) > step * len(_FLOW_IDS):
            raise BadLength(f"{len(values)} value bytes exceed {len(_FLOW_IDS)} channels")
        for index, start in enumerate(range(0, len(values), step)):
            item = values[start : start + 5]
            flow, unit = _flow5(item, 3, sign_rule)
            out.append(_new(Element, (_FLOW_IDS[index], "instantaneous flow", flow, unit, 3, item, None, True)))
            if pairs:
                item = values[start + 5 : start + 10]
                volume, _ = _flow5(item, volume_decimals, sign_rule)
                out.append(
                    _new(
                        Element,
                        (_VOLUME_IDS[index], "cumulative volume", volume, "m3", volume_decimals, item, None, True),
                    )
                )
        return tuple(out)
    size = dtype.size
    ids = _IDS[dtype.kind]
    if len(values) > size * len(ids):
        raise BadLength(f"{len(values)} value bytes exceed {len(ids)} channels")
    for index, start in enumerate(range(0, len(values), size)):
        item = values[start : start + size]
        out.append(Element(ids[index], dtype.name, _plain(item, dtype), dtype.unit, dtype.decimals, item))
    return tuple(out)


def item_size(data_type: int, *, pairs: bool) -> int | None:
    """Bytes per decoded item for a data type (None when the type has no fixed item)."""
    dtype = DATA_TYPES.get(data_type)
    if dtype is None:
        return None
    return 10 if data_type == 0x3 and pairs else dtype.size


def decode(
    raw: BytesLike,
    *,
    edition: Edition = "auto",
    a2_byte_order: ByteOrder = "little",
    pairs: bool = True,
    sign_rule: SignRule = "sl427",
    volume_decimals: int = 0,
    word_order: ByteOrder = "little",
    check_crc: bool = True,
) -> SzyFrame:
    """Decode one complete 68H frame. Raises a `FrameError` subclass for anything malformed.

    With ``check_crc=False`` a frame with a wrong CS is still decoded (``crc_ok=False``): for the operator CLI,
    never for storing readings.
    """
    raw = bytes(raw)
    n = len(raw)
    if n < 3:
        raise TruncatedFrame(f"{n} bytes cannot hold a 68H header", protocol=PROTOCOL)
    if raw[0] != START:
        raise UnknownProtocol("an SZY 206 frame starts with 68H", protocol=PROTOCOL)
    if raw[2] != START:
        raise MalformedFrame("second start byte 68H missing", protocol=PROTOCOL)
    length = raw[1]
    total = length + 5
    if n < total:
        raise TruncatedFrame(f"L={length} announces {total} bytes, got {n}", protocol=PROTOCOL)
    if n > total:
        raise BadLength(f"L={length} announces {total} bytes, got {n}", protocol=PROTOCOL)
    if raw[-1] != END:
        raise MalformedFrame(f"end byte {raw[-1]:02X}H, expected 16H", protocol=PROTOCOL)
    if length < MIN_L:
        raise BadLength(f"L={length} is below the minimum {MIN_L} (C + A + AFN)", protocol=PROTOCOL)
    control = _CONTROLS[raw[3]]
    pos = 4
    divs: int | None = None
    if control.div:
        if length < MIN_L + 1:
            raise BadLength("split frame without room for DIVS", protocol=PROTOCOL)
        divs = raw[4]
        pos = 5
    address = parse_address(raw[pos : pos + 5], a2_byte_order)
    station = address.hex
    sent = raw[3 + length]
    calc = crc8_e5(memoryview(raw)[3 : 3 + length])
    crc_ok = calc == sent
    if not crc_ok and check_crc:
        raise BadCRC(
            f"CS {sent:02X}H, computed {calc:02X}H", expected=calc, actual=sent, protocol=PROTOCOL, station=station
        )
    afn = raw[pos + 5]
    if afn not in KNOWN_AFNS:
        raise UnknownFunction(f"AFN {afn:02X}H is not defined", code=afn, protocol=PROTOCOL, station=station)
    data = raw[pos + 6 : 3 + length]
    if not control.uplink or divs is not None:
        # Downlink (centre → terminal): header only; PW and Tp layouts of commands are not decoded here.
        # Split frames (DIV): the data is one fragment of a longer message; reassembly is not implemented.
        return SzyFrame(raw, control, divs, address, afn, data, sent, crc_ok)
    try:
        return _decode_uplink(
            raw,
            control,
            divs,
            address,
            afn,
            data,
            sent,
            crc_ok,
            edition=edition,
            pairs=pairs,
            sign_rule=sign_rule,
            volume_decimals=volume_decimals,
            word_order=word_order,
        )
    except FrameError as exc:
        exc.protocol = PROTOCOL
        exc.station = exc.station or station
        raise


def _decode_uplink(
    raw: bytes,
    control: Control,
    divs: int | None,
    address: SzyAddress,
    afn: int,
    data: bytes,
    sent: int,
    crc_ok: bool,
    *,
    edition: Edition,
    pairs: bool,
    sign_rule: SignRule,
    volume_decimals: int,
    word_order: ByteOrder,
) -> SzyFrame:
    if afn == 0x02:
        if not data:
            raise BadLength("link check without its data byte")
        if data[0] not in LINK_CODES:
            raise UnknownFunction(f"link-check code {data[0]:02X}H is not F0/F1/F2", code=data[0])
        return SzyFrame(raw, control, divs, address, afn, data, sent, crc_ok, link=data[0])
    # Items are counted in single values (5 bytes for flow/volume); pairs are formed only when the profile says so
    # and the count is even (domain.md §3.3a "SZY 206: the number of values varies").
    size = item_size(control.data_type, pairs=False)
    if afn == 0xC0:
        room = len(data) - 4  # values + Tp
        if edition == "auto":
            fits = [
                ed
                for ed in ("2016", "2021")
                if room >= TP_LEN[ed] and (size is None or (room - TP_LEN[ed]) % size == 0)
            ]
            if not fits:
                raise BadLength(f"{len(data)} data bytes do not split into items, alarm, status and a 5/7-byte Tp")
            chosen = fits[0]
        else:
            chosen = edition
        tp_len = TP_LEN[chosen]
        nvalues = room - tp_len
        if nvalues < 0:
            raise BadLength(f"{len(data)} data bytes cannot hold alarm, status and a {tp_len}-byte Tp")
        if size is not None and nvalues % size:
            raise BadLength(f"{nvalues} value bytes are not a whole number of {size}-byte items")
        values = data[:nvalues]
        paired = pairs and size is not None and (nvalues // size) % 2 == 0
        items = (
            _items(values, control.data_type, pairs=paired, sign_rule=sign_rule, volume_decimals=volume_decimals)
            if size is not None
            else ()
        )
        alarm = int.from_bytes(data[nvalues : nvalues + 2], word_order)
        status = int.from_bytes(data[nvalues + 2 : nvalues + 4], word_order)
        label = parse_label(data[nvalues + 4 :])
        return SzyFrame(raw, control, divs, address, afn, data, sent, crc_ok, items, alarm, status, label, None, chosen)
    if afn == 0xB0 and size is not None and data and len(data) % size == 0:
        # Real-time query answer: the values alone (no alarm/status/Tp in this layout).
        paired = pairs and (len(data) // size) % 2 == 0
        items = _items(data, control.data_type, pairs=paired, sign_rule=sign_rule, volume_decimals=volume_decimals)
        return SzyFrame(raw, control, divs, address, afn, data, sent, crc_ok, items)
    # 81H/82H/83H/84H, B1H and query answers: header decoded, data kept raw (layouts not in domain.md).
    return SzyFrame(raw, control, divs, address, afn, data, sent, crc_ok)


def decode_joined(
    fragments: Sequence[SzyFrame],
    *,
    edition: Edition = "auto",
    pairs: bool = True,
    sign_rule: SignRule = "sl427",
    volume_decimals: int = 0,
    word_order: ByteOrder = "little",
) -> SzyFrame:
    """The message of a split frame (DIV set): the fragments' data joined in order (DIVS counting down to 1),
    decoded as one uplink frame. ``raw`` is every fragment's bytes, in order."""
    first = fragments[0]
    data = b"".join(f.data for f in fragments)
    control = Control(first.control.uplink, False, first.control.fcb, first.control.data_type)
    crc_ok = all(f.crc_ok for f in fragments)
    raw = b"".join(f.raw for f in fragments)
    try:
        return _decode_uplink(
            raw, control, None, first.address, first.afn, data, fragments[-1].crc, crc_ok, edition=edition,
            pairs=pairs, sign_rule=sign_rule, volume_decimals=volume_decimals, word_order=word_order,
        )  # fmt: skip
    except FrameError as exc:
        exc.protocol = PROTOCOL
        exc.station = exc.station or first.address.hex
        raise


class SplitAssembler:
    """Joins SZY 206 split frames (C bit D6 DIV, DIVS counting down to 1 on the last fragment) per station and
    AFN. Bounded like the SL 651 reassembler; a message whose last fragment arrives with earlier ones missing
    raises `BadLength` (counted; nothing stored; the station resends). One instance per connection."""

    def __init__(self, *, max_pending: int = 16) -> None:
        self.max_pending = max_pending
        self.dropped = 0
        self._pending: dict[tuple[str, int, int], dict[int, SzyFrame]] = {}

    def add(self, frame: SzyFrame) -> list[SzyFrame] | None:
        """The fragments of the whole message, in order, when ``frame`` completes it; else None."""
        if frame.divs is None:
            return [frame]
        if frame.divs == 0:
            raise BadLength("DIVS 0: split frames count down from 255 to 1", protocol=PROTOCOL,
                            station=frame.address.hex)  # fmt: skip
        key = (frame.address.hex, frame.afn, frame.control.data_type)
        parts = self._pending.setdefault(key, {})
        parts[frame.divs] = frame
        if frame.divs != 1:
            while len(self._pending) > self.max_pending:
                self._pending.pop(next(iter(self._pending)))
                self.dropped += 1
            return None
        del self._pending[key]
        top = max(parts)
        missing = [d for d in range(top, 0, -1) if d not in parts]
        if missing:
            raise BadLength(f"split message without fragments DIVS {missing}", protocol=PROTOCOL,
                            station=frame.address.hex)  # fmt: skip
        return [parts[d] for d in range(top, 0, -1)]


# --- encoding -------------------------------------------------------------------------------------------------


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
    return encode_frame(
        control=frame.control.to_byte() & 0x7F,
        address=bytes.fromhex(frame.address.hex),
        afn=frame.afn,
        data=b"\x00",
        divs=frame.divs,
    )
