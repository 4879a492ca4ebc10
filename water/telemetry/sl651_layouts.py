"""SL 651 message bodies, one layout per function code (domain.md §3.3a), for HEX/BCD and ASCII frames.

The "serial, send time, F1F1 + station, class, F0F0 + observation time, elements" layout is the layout of the
*reports* (30H–35H) and of the data replies 37H and 3AH. The other replies each have their own:

| function | uplink body (after serial (2) and send time (6)) |
|---|---|
| 2FH keep-alive | nothing |
| 31H equal-interval report, 38H period-data reply | F1F1 + station, class, F0F0 + time, ``04 18 DDHHMM`` |
| | time step, one element identifier and data definition, then N values (value *i* at time + *i* × step) |
| 35H manual entry | F1F1 + station, class, then ``F2 F2`` + the entry as text [R], or element groups |
| 46H status/alarm | F1F1 + station, ``45 20`` + 4 bytes of status bits (Table 58) |
| 45H software version | F1F1 + station, length (1) + version text [R: the standard's function table as recalled] |
| 4AH set-clock reply, 51H clock reply | F1F1 + station (the send time is the station's clock) |
| 40H–43H configuration / run parameters | F1F1 + station, then groups of identifier, data definition, data |

Downlink bodies (centre → station, decoded for the simulator and the operator CLI): serial and send time;
38H adds start and end hour (4 BCD bytes each, YYMMDDhh), the ``04 18`` time step and the element asked for;
3AH adds the element identifiers asked for; a NAK confirmation adds the missing packet numbers (2 bytes each)
[R: the NAK layout is this project's reading of "NAK lists bad packets", domain.md §3.3 link modes].

A function whose layout is not implemented here is refused by name (`UnsupportedFrame`): counted, logged and
not acknowledged as stored, never guessed.
"""

from __future__ import annotations

import re
from datetime import datetime, timedelta, tzinfo
from decimal import Decimal, InvalidOperation
from typing import Any, NamedTuple

from water.telemetry.bcd import is_no_data
from water.telemetry.errors import BadBCD, BadLength, BadTime, MalformedFrame, UnsupportedFrame
from water.telemetry.model import Element, ElementValue
from water.telemetry.sl651.elements import decode_value, element_spec, parse_elements, step_minutes
from water.telemetry.sl651.tables import ELEMENTS, FUNCTIONS, KEEPALIVE, LEVEL_ARRAYS, NAK, RAIN_ARRAY, STATUS_ELEMENT
from water.telemetry.timeutil import encode_sl651_time, sl651_time


class Body(NamedTuple):
    """Body fields in `sl651.Sl651Frame` order."""

    serial: int | None
    sent_raw: bytes
    sent_at: datetime | None
    body_station: bytes | None
    station_class: int | None
    observed_at: datetime | None
    elements: tuple[Element, ...]
    unknown: tuple[str, ...]
    missing: int
    info: dict[str, Any] | None


REPORT_LAYOUT = frozenset({0x30, 0x32, 0x33, 0x34, 0x37, 0x3A})
SERIES_LAYOUT = frozenset({0x31, 0x38})
CONFIG_LAYOUT = frozenset({0x40, 0x41, 0x42, 0x43})
# Uplink functions decoded (HEX). Every other known function is refused by name.
IMPLEMENTED = frozenset({0x2F, *REPORT_LAYOUT, *SERIES_LAYOUT, 0x35, *CONFIG_LAYOUT, 0x45, 0x46, 0x4A, 0x51})
# ASCII bodies are text groups; the configuration and version replies have no text layout here.
IMPLEMENTED_ASCII = frozenset({0x2F, *REPORT_LAYOUT, *SERIES_LAYOUT, 0x35, 0x46, 0x4A, 0x51})
REFUSED: frozenset[int] = frozenset({*FUNCTIONS, *range(0xE0, 0x100)} - IMPLEMENTED)

STEP_ELEMENT = 0x04
STEP_DDEF = 0x18  # 3 bytes, 0 decimals

# Table C.1, ASCII column (domain.md §3.3a): mnemonic → HEX identifier.
MNEMONICS: dict[str, int] = {
    "DT": 0x05,
    "P1": 0x1A,
    "P2": 0x1B,
    "P3": 0x1C,
    "P6": 0x1D,
    "P12": 0x1E,
    "PD": 0x1F,
    "PJ": 0x20,
    "PT": 0x26,
    "Q": 0x27,
    **{f"Q{i + 1}": 0x28 + i for i in range(8)},
    "QA": 0x30,
    "QZ": 0x31,
    "VA": 0x36,
    "VJ": 0x37,
    "VT": 0x38,
    "Z": 0x39,
    "ZB": 0x3A,
    "ZU": 0x3B,
    **{f"Z{i + 1}": 0x3C + i for i in range(8)},
    "ZT": 0x45,
    "PH": 0x46,
    "DO": 0x47,
    "COND": 0x48,
    "TURB": 0x49,
    "CODMN": 0x4A,
    "NH4N": 0x4C,
    "TP": 0x4D,
    "TN": 0x4E,
    **{f"SYL{i + 1}": 0x60 + i for i in range(8)},
    **{f"SBL{i + 1}": 0x68 + i for i in range(8)},
    "VTA": 0x70,
    "VTB": 0x71,
    "VTC": 0x72,
    "VIA": 0x73,
    "VIB": 0x74,
    "VIC": 0x75,
    "DRP": 0xF4,
    **{f"DRZ{i + 1}": 0xF5 + i for i in range(8)},
}
MNEMONIC_OF = {ident: name for name, ident in MNEMONICS.items()}
CLASS_LETTERS = frozenset("PHKZDTMGQIO")
_STEP_UNITS = {"D": 1440, "H": 60, "N": 1}
_NUMBER = re.compile(r"^[+-]?\d+(\.\d+)?$")
_new = tuple.__new__


def refuse(function: int) -> UnsupportedFrame:
    name = FUNCTIONS.get(function) or (f"user-defined {function:02X}H" if function >= 0xE0 else "reserved")
    return UnsupportedFrame(f"function {function:02X}H ({name}) is not implemented: refused, not acknowledged")


def count_missing(elements: tuple[Element, ...] | list[Element]) -> int:
    """Values sent as "no data": a number whose bytes were all FF/AA, or a missing slot of a 5-minute array."""
    missing = 0
    for element in elements:
        value = element[2]
        if value is None:
            raw = element[5]
            if element[7] or is_no_data(raw) or _no_data(raw.decode("latin-1")):
                missing += 1
        elif type(value) is tuple:
            missing += value.count(None)
    return missing


def _head(body: bytes, tz: tzinfo) -> tuple[int, bytes, datetime]:
    if len(body) < 8:
        raise BadLength(f"a body of {len(body)} bytes cannot hold serial number and send time")
    return (body[0] << 8) | body[1], body[2:8], sl651_time(body[2:8], tz)


def parse_body(function: int, uplink: bool, end: int, body: bytes, tz: tzinfo) -> Body:
    """Decode a HEX/BCD body by function (see the module docstring)."""
    if not uplink:
        return _downlink(function, end, body, tz)
    if function not in IMPLEMENTED:
        raise refuse(function)
    serial, sent_raw, sent_at = _head(body, tz)
    n = len(body)
    if function == KEEPALIVE:
        if n != 8:
            raise BadLength(f"a keep-alive body has 8 bytes, not {n}")
        return Body(serial, sent_raw, sent_at, None, None, None, (), (), 0, None)
    if n < 15 or body[8] != 0xF1 or body[9] != 0xF1:
        raise MalformedFrame("body without the F1 F1 station-address group")
    station = body[10:15]
    if function == 0x4A or function == 0x51:
        if n != 15:
            raise BadLength(f"a clock reply body has 15 bytes, not {n}")
        return Body(serial, sent_raw, sent_at, station, None, None, (), (), 0, {"clock": sent_at})
    if function == 0x46:
        if n != 21 or body[15] != STATUS_ELEMENT or body[16] != 0x20:
            raise MalformedFrame("a status/alarm reply is F1F1 + station then 45 20 + 4 status bytes")
        data = body[17:21]
        word = int.from_bytes(data, "big")
        element = _new(Element, ("45", "station status and alarm", word, "", 0, data, None, True))
        return Body(serial, sent_raw, sent_at, station, None, None, (element,), (), 0, None)
    if function == 0x45:
        if n < 16 or n != 16 + body[15]:
            raise BadLength("a version reply is F1F1 + station, length byte, that many characters")
        text = _text(body[16:])
        element = _new(Element, ("version", "software version", text, "", 0, body[16:], None, True))
        return Body(serial, sent_raw, sent_at, station, None, None, (element,), (), 0, {"version": text})
    if function in CONFIG_LAYOUT:
        elements = _config(function, body, 15)
        return Body(serial, sent_raw, sent_at, station, None, None, elements, (), 0, None)
    if n < 16:
        raise BadLength("report body cut before its station class")
    station_class = body[15]
    if n == 16:
        return Body(serial, sent_raw, sent_at, station, station_class, None, (), (), 0, None)
    if function == 0x35 and body[16] == 0xF2 and n > 17 and body[17] == 0xF2:
        text = _text(body[18:])
        element = _new(Element, ("manual", "manual entry", text, "", 0, body[18:], None, True))
        return Body(serial, sent_raw, sent_at, station, station_class, None, (element,), (), 0, None)
    if function in SERIES_LAYOUT:
        observed, elements, info = _series(body, 16, tz)
        return Body(
            serial, sent_raw, sent_at, station, station_class, observed, elements, (), count_missing(elements), info
        )
    elements, unknown, observed = parse_elements(body, 16, tz)
    missing = count_missing(elements)
    return Body(serial, sent_raw, sent_at, station, station_class, observed, elements, unknown, missing, None)


def _text(data: bytes) -> str:
    try:
        return data.decode("ascii")
    except UnicodeDecodeError:
        raise MalformedFrame(f"non-ASCII text {data.hex().upper()}") from None


def _config(function: int, body: bytes, pos: int) -> tuple[Element, ...]:
    """Configuration (40H/41H: values kept as their bytes' number) and run parameters (42H/43H: BCD numbers)."""
    out: list[Element] = []
    n = len(body)
    numeric = function in (0x42, 0x43)
    prefix = "par_" if numeric else "cfg_"
    while pos < n:
        if pos + 2 > n:
            raise BadLength("configuration identifier without data definition")
        ident, ddef = body[pos], body[pos + 1]
        nbytes, decimals = ddef >> 3, ddef & 0x07
        if nbytes == 0:
            raise BadLength(f"configuration {ident:02X} declares 0 data bytes")
        if pos + 2 + nbytes > n:
            raise BadLength(f"configuration {ident:02X} declares {nbytes} bytes, {n - pos - 2} left")
        data = body[pos + 2 : pos + 2 + nbytes]
        pos += 2 + nbytes
        # Run parameters read as any BCD-number element (38H's kind); configuration as the bytes' number.
        value: ElementValue = (
            decode_value(0x38, f"{ident:02X}", data, decimals) if numeric else int.from_bytes(data, "big")
        )
        name = "run parameter" if numeric else "configuration"
        out.append(_new(Element, (f"{prefix}{ident:02X}", name, value, "", decimals, data, None, True)))
    return tuple(out)


def _series(body: bytes, pos: int, tz: tzinfo) -> tuple[datetime | None, tuple[Element, ...], dict[str, Any] | None]:
    """F0F0 + time, ``04 18 DDHHMM``, one identifier + data definition, N values to the end of the body."""
    n = len(body)
    if pos + 7 > n or body[pos] != 0xF0 or body[pos + 1] != 0xF0:
        raise MalformedFrame("series body without its F0 F0 observation time")
    observed = sl651_time(body[pos + 2 : pos + 7], tz)
    pos += 7
    if pos == n:
        return observed, (), None  # nothing stored for the window: a valid, empty answer
    if pos + 5 > n or body[pos] != STEP_ELEMENT or body[pos + 1] != STEP_DDEF:
        raise MalformedFrame("series body without the 04 18 time step after the observation time")
    minutes = step_minutes(body[pos + 2 : pos + 5])
    pos += 5
    if pos + 2 > n:
        raise BadLength("series without its element identifier and data definition")
    ident = body[pos]
    if ident == 0xFF:
        if pos + 3 > n:
            raise BadLength("series extension without its data definition")
        key = "FF" + f"{body[pos + 1]:02X}"
        ddef = body[pos + 2]
        pos += 3
    else:
        key = f"{ident:02X}"
        ddef = body[pos + 1]
        pos += 2
    size, decimals = ddef >> 3, ddef & 0x07
    if size == 0:
        raise BadLength(f"series element {key} declares 0 data bytes")
    rest = n - pos
    if rest == 0 or rest % size:
        raise BadLength(f"series of {key}: {rest} bytes left, not a whole number of {size}-byte values")
    name, unit, known = element_spec(key)
    step = timedelta(minutes=minutes)
    out: list[Element] = []
    for i in range(rest // size):
        data = body[pos : pos + size]
        pos += size
        value = decode_value(ident, key, data, decimals) if known else _loose(data, decimals)
        out.append(_new(Element, (key, name, value, unit, decimals, data, observed + i * step, known)))
    return observed, tuple(out), {"step_minutes": minutes, "series": key, "count": len(out)}


def _loose(data: bytes, decimals: int) -> ElementValue:
    try:
        return decode_value(0x38, "", data, decimals)
    except (BadBCD, ValueError):
        return None


def _downlink(function: int, end: int, body: bytes, tz: tzinfo) -> Body:
    if function >= 0xE0 and len(body) < 8:
        return Body(None, b"", None, None, None, None, (), (), 0, None)
    serial, sent_raw, sent_at = _head(body, tz)
    n = len(body)
    info: dict[str, Any] | None = None
    if end == NAK and n > 8:
        if (n - 8) % 2:
            raise BadLength("NAK packet numbers are 2 bytes each")
        info = {"missing_packets": [int.from_bytes(body[i : i + 2], "big") for i in range(8, n, 2)]}
    elif function == 0x38 and n > 8:
        info = parse_period_query(body[8:], tz)
    elif function == 0x3A and n > 8:
        if (n - 8) % 2:
            raise BadLength("3AH asks for elements as identifier + data definition pairs")
        info = {"elements": [body[i : i + 2].hex().upper() for i in range(8, n, 2)]}
    elif function == 0x4A:
        info = {"clock": sent_at}
    return Body(serial, sent_raw, sent_at, None, None, None, (), (), 0, info)


def encode_period_query(
    start: datetime, end: datetime, step_minutes: int, element: str, ddef: int, tz: tzinfo
) -> bytes:
    """38H query fields after serial and send time: start hour, end hour (YYMMDDhh BCD), ``04 18`` step,
    element identifier (``FF xx`` for extensions) and its data definition."""
    if step_minutes <= 0 or step_minutes > 99 * 1440 + 23 * 60 + 59:
        raise ValueError("time step must be 1 minute to 99 days 23:59")
    days, rest = divmod(step_minutes, 1440)
    hours, minutes = divmod(rest, 60)
    step = bytes(((v // 10) << 4) | (v % 10) for v in (days, hours, minutes))
    return (
        encode_sl651_time(start, 6, tz)[:4]
        + encode_sl651_time(end, 6, tz)[:4]
        + bytes([STEP_ELEMENT, STEP_DDEF])
        + step
        + bytes.fromhex(element)
        + bytes([ddef])
    )


def parse_period_query(data: bytes, tz: tzinfo) -> dict[str, Any]:
    """Inverse of `encode_period_query`."""
    if len(data) not in (15, 16) or data[8] != STEP_ELEMENT or data[9] != STEP_DDEF:
        raise BadLength("a 38H query is start (4), end (4), 04 18 + step (3), element and data definition")
    start = sl651_time(data[0:4] + b"\x00", tz)
    end = sl651_time(data[4:8] + b"\x00", tz)
    minutes = step_minutes(data[10:13])
    element = data[13:-1].hex().upper()
    if end < start:
        raise BadTime("38H query ends before it starts")
    return {"start": start, "end": end, "step_minutes": minutes, "element": element, "ddef": data[-1]}


# --- ASCII bodies ---------------------------------------------------------------------------------------------


def _ascii_head(text: str, tz: tzinfo) -> tuple[int, bytes, datetime]:
    if len(text) < 16:
        raise BadLength(f"an ASCII body of {len(text)} characters cannot hold serial number and send time")
    try:
        serial = int(text[:4], 16)
    except ValueError:
        raise MalformedFrame(f"serial {text[:4]!r} is not 4 hex characters") from None
    digits = text[4:16]
    if not digits.isdigit() or not digits.isascii():
        raise MalformedFrame(f"send time {digits!r} is not 12 digits")
    sent_raw = bytes.fromhex(digits)
    return serial, sent_raw, sl651_time(sent_raw, tz)


def _ascii_time(token: str, tz: tzinfo) -> datetime:
    if len(token) != 10 or not token.isdigit() or not token.isascii():
        raise MalformedFrame(f"observation time {token!r} is not 10 digits")
    return sl651_time(bytes.fromhex(token), tz)


def _ascii_step(token: str) -> int | None:
    """``DRxnn`` (x = D days, H hours, N minutes) → minutes, or None when the token is not a time step."""
    if len(token) == 5 and token.startswith("DR") and token[2] in _STEP_UNITS and token[3:].isdigit():
        minutes = _STEP_UNITS[token[2]] * int(token[3:])
        if minutes == 0:
            raise BadTime("time step of 0")
        return minutes
    return None


def _is_value(token: str) -> bool:
    return bool(_NUMBER.match(token)) or _no_data(token)


def _no_data(token: str) -> bool:
    return len(token) >= 2 and (set(token) == {"F"} or set(token) == {"A"})


def _ascii_value(ident: int | None, key: str, token: str) -> tuple[ElementValue, int]:
    """A value token → (value, decimals). Numbers are decimal text; ZT status and the 5-minute arrays are the
    HEX data as hex text; all-F / all-A tokens are missing."""
    if ident == STATUS_ELEMENT:
        try:
            return int(token, 16), 0
        except ValueError:
            raise MalformedFrame(f"{key}: {token!r} is not hex") from None
    if ident is not None and (ident == RAIN_ARRAY or ident in LEVEL_ARRAYS):
        try:
            data = bytes.fromhex(token)
        except ValueError:
            raise MalformedFrame(f"{key}: {token!r} is not hex") from None
        return decode_value(ident, key, data, 0), 1 if ident == RAIN_ARRAY else 2
    if _no_data(token):
        return None, 0
    if not _NUMBER.match(token):
        raise MalformedFrame(f"{key}: {token!r} is not a decimal number")
    try:
        value = Decimal(token)
    except InvalidOperation:  # pragma: no cover - the pattern admits only decimals
        raise MalformedFrame(f"{key}: {token!r} is not a decimal number") from None
    decimals = len(token) - token.index(".") - 1 if "." in token else 0
    return value, decimals


def parse_ascii_body(function: int, uplink: bool, end: int, body: bytes, tz: tzinfo) -> Body:
    """Decode an ASCII body: serial (4 hex), send time (12 digits), then space-separated groups
    (``ST`` address class, ``TT`` time, ``DRxnn`` step, mnemonic value …). Elements carry the HEX identifiers,
    so profiles read ASCII and HEX stations alike; an unknown mnemonic keeps its text as id (a profile may name
    it, e.g. ``volume_element=WV``)."""
    try:
        text = body.decode("ascii")
    except UnicodeDecodeError:
        raise MalformedFrame("non-ASCII character in an ASCII body") from None
    serial, sent_raw, sent_at = _ascii_head(text, tz)
    tokens = text[16:].split()
    if not uplink:
        return _ascii_downlink(function, end, tokens, serial, sent_raw, sent_at, tz)
    if function not in IMPLEMENTED_ASCII:
        raise refuse(function)
    if function == KEEPALIVE:
        if tokens:
            raise BadLength("a keep-alive body holds serial number and send time only")
        return Body(serial, sent_raw, sent_at, None, None, None, (), (), 0, None)
    station: bytes | None = None
    station_class: int | None = None
    observed: datetime | None = None
    first: datetime | None = None
    step: int | None = None
    out: list[Element] = []
    unknown: list[str] = []
    i, count = 0, len(tokens)
    while i < count:
        token = tokens[i]
        if token == "ST":  # noqa: S105 - a group mnemonic, not a password
            if i + 1 >= count:
                raise BadLength("ST without its station address")
            address = tokens[i + 1]
            try:
                station = bytes.fromhex(address)
            except ValueError:
                raise MalformedFrame(f"station address {address!r} is not hex") from None
            if len(station) != 5:
                raise BadLength(f"station address {address!r} is not 10 characters")
            i += 2
            if i < count and len(tokens[i]) == 1 and tokens[i] in CLASS_LETTERS:
                station_class = ord(tokens[i])
                i += 1
            continue
        if token == "TT":  # noqa: S105 - a group mnemonic, not a password
            if i + 1 >= count:
                raise BadLength("TT without its observation time")
            observed = _ascii_time(tokens[i + 1], tz)
            first = first or observed
            i += 2
            continue
        minutes = _ascii_step(token)
        if minutes is not None:
            step = minutes
            i += 1
            continue
        ident = MNEMONICS.get(token)
        key = f"{ident:02X}" if ident is not None else token
        if ident is not None:
            name, unit = ELEMENTS[ident]
            known = True
        else:
            name, unit, known = "extension", "", False
            unknown.append(token)
        i += 1
        if i >= count:
            raise BadLength(f"{token} without a value")
        if step is not None and ident != STATUS_ELEMENT and (ident or 0) < 0xF4:
            # A time-step series: every value token up to the next group, value k at TT + k × step.
            if observed is None:
                raise MalformedFrame(f"series {token} without a TT observation time")
            k = 0
            while i < count and _is_value(tokens[i]):
                value, decimals = _ascii_value(ident, key, tokens[i])
                at = observed + timedelta(minutes=k * step)
                out.append(_new(Element, (key, name, value, unit, decimals, tokens[i].encode(), at, known)))
                i += 1
                k += 1
            continue
        value, decimals = _ascii_value(ident, key, tokens[i])
        out.append(_new(Element, (key, name, value, unit, decimals, tokens[i].encode(), observed, known)))
        i += 1
    if function in (0x4A, 0x51):
        return Body(serial, sent_raw, sent_at, station, station_class, None, (), (), 0, {"clock": sent_at})
    info = {"step_minutes": step} if step is not None else None
    elements = tuple(out)
    return Body(
        serial,
        sent_raw,
        sent_at,
        station,
        station_class,
        first,
        elements,
        tuple(unknown),
        count_missing(elements),
        info,
    )


def _ascii_downlink(
    function: int, end: int, tokens: list[str], serial: int, sent_raw: bytes, sent_at: datetime, tz: tzinfo
) -> Body:
    info: dict[str, Any] | None = None
    if end == NAK and tokens:
        try:
            info = {"missing_packets": [int(t, 16) for t in tokens]}
        except ValueError:
            raise MalformedFrame("NAK packet numbers are hex") from None
    elif function == 0x38 and tokens:
        if len(tokens) != 4:
            raise BadLength("an ASCII 38H query is start (YYMMDDhh), end, DRxnn, mnemonic")
        start, stop, step_token, mnemonic = tokens
        minutes = _ascii_step(step_token)
        if minutes is None:
            raise MalformedFrame(f"{step_token!r} is not a DRxnn time step")
        info = {
            "start": _ascii_time(start + "00", tz),
            "end": _ascii_time(stop + "00", tz),
            "step_minutes": minutes,
            "element": f"{MNEMONICS[mnemonic]:02X}" if mnemonic in MNEMONICS else mnemonic,
        }
    elif function == 0x4A:
        info = {"clock": sent_at}
    return Body(serial, sent_raw, sent_at, None, None, None, (), (), 0, info)


def step_token(minutes: int) -> str:
    """Minutes → the ASCII ``DRxnn`` token (whole days, hours or minutes up to 99)."""
    for unit, size in (("D", 1440), ("H", 60), ("N", 1)):
        if minutes % size == 0 and 0 < minutes // size <= 99:
            return f"DR{unit}{minutes // size:02d}"
    raise ValueError(f"a time step of {minutes} minutes has no DRxnn form")
