"""Command frames the centre sends stations, and how their answers are recognised (issue 18 downlink).
Pure codec code (no Django), used by the gateway's downlink and by the simulator.

| kind | SL 651 function (downlink, ENQ) | SZY 206 AFN |
|---|---|---|
| realtime | 37H: serial, send time | B0H |
| period | 38H: serial, send time, start/end hour, ``04 18`` step, element (`sl651_layouts.encode_period_query`) | — |
| set_clock | 4AH: serial, send time = the clock to set | 11H: clock (s, min, h, day, month, year BCD) |
| read_clock | 51H: serial, send time | 51H |
| status | 46H: serial, send time | 5EH |

SL 651 answers carry the command's function and serial (matched on both); SZY 206 answers carry the AFN only
(one command outstanding per station). SZY 206 downlink data end with a 5-byte Tp (the centre's time, allowed
delay 0) [R: domain.md §3.2 says "downlink (carries PW + Tp)" for settings; the password is left out here as
the meters' passwords are not stored].
"""

from __future__ import annotations

from datetime import datetime, tzinfo
from typing import Any

from water.telemetry import sl651, szy206
from water.telemetry import sl651_ascii as ascii_
from water.telemetry import sl651_layouts as layouts
from water.telemetry.bcd import BCD_BYTE, bcd_byte
from water.telemetry.timeutil import BEIJING

SL651_FUNCTIONS = {"realtime": 0x37, "period": 0x38, "set_clock": 0x4A, "read_clock": 0x51, "status": 0x46}
SZY206_AFNS = {"realtime": 0xB0, "set_clock": 0x11, "read_clock": 0x51, "status": 0x5E}
SL651_ANSWERS = frozenset(SL651_FUNCTIONS.values()) | {0x3A, 0x41, 0x43, 0x45}
SZY206_ANSWERS = frozenset(SZY206_AFNS.values())
MatchKey = tuple[int, int | None]  # (function or AFN, SL 651 serial or None)


def encode_sl651(
    kind: str,
    *,
    station: bytes,
    centre: int,
    password: int,
    serial: int,
    now: datetime,
    params: dict[str, Any] | None = None,
    ascii_frame: bool = False,
    tz: tzinfo = BEIJING,
) -> tuple[bytes, MatchKey]:
    """The downlink frame of a command to an SL 651 station and the key its answer carries."""
    function = SL651_FUNCTIONS[kind]
    query = b""
    text = ""
    if kind == "period":
        p = params or {}
        start, end = datetime.fromisoformat(p["start"]), datetime.fromisoformat(p["end"])
        element = str(p["element"])
        ddef = _ddef(element)
        query = layouts.encode_period_query(start, end, int(p["step_minutes"]), element, ddef, tz)
        if ascii_frame:
            name = layouts.MNEMONIC_OF.get(int(element, 16), element) if len(element) == 2 else element
            text = (
                f"{sl651.encode_sl651_time(start, 6, tz)[:4].hex()} {sl651.encode_sl651_time(end, 6, tz)[:4].hex()} "
                f"{layouts.step_token(int(p['step_minutes']))} {name}"
            )
    if ascii_frame:
        frame = ascii_.encode_frame(
            centre=centre,
            station=station,
            password=password,
            function=function,
            body=ascii_.body_head(serial, now, tz) + text,
            uplink=False,
            end=sl651.ENQ,
        )
    else:
        body = serial.to_bytes(2, "big") + sl651.encode_sl651_time(now, 6, tz) + query
        frame = sl651.encode_frame(
            centre=centre, station=station, password=password, function=function, body=body, uplink=False, end=sl651.ENQ
        )
    return frame, (function, serial)


def _ddef(element: str) -> int:
    """Data definition asked for with a 38H element: the element's usual size [Table C.1 formats in domain.md
    §3.3: level N(7,3) → 4 bytes/3 dp, flow N(9,3) → 5/3, voltage N(4,2) → 2/2]; extensions 6 bytes/1 dp as
    the simulator's FF01 register."""
    sizes = {"39": (4, 3), "27": (5, 3), "38": (2, 2), "20": (3, 1), "26": (3, 1)}
    nbytes, decimals = sizes.get(element, (6, 1) if len(element) == 4 else (4, 2))
    return (nbytes << 3) | decimals


def encode_szy206(kind: str, *, address: bytes, now: datetime, tz: tzinfo = BEIJING) -> tuple[bytes, MatchKey]:
    """The downlink frame of a command to an SZY 206 station and the key its answer carries."""
    afn = SZY206_AFNS[kind]
    data = b""
    if kind == "set_clock":
        local = now.astimezone(tz)
        data = bytes(
            bcd_byte(v) for v in (local.second, local.minute, local.hour, local.day, local.month, local.year - 2000)
        )
    data += szy206.encode_label(now, edition="2016", tz=tz)
    control = 0x03 if kind == "realtime" else 0x00  # downlink; data type flow/volume for the value query
    return szy206.encode_frame(control=control, address=address, afn=afn, data=data), (afn, None)


def answer_key(frame: sl651.Sl651Frame | szy206.SzyFrame) -> MatchKey | None:
    """The key an uplink frame answers to, or None when the frame is not an answer to a command."""
    if isinstance(frame, sl651.Sl651Frame):
        if frame.uplink and frame.function in SL651_ANSWERS:
            return frame.function, frame.serial
        return None
    if frame.control.uplink and frame.afn in SZY206_ANSWERS:
        return frame.afn, None
    return None


def szy206_clock(frame: szy206.SzyFrame, tz: tzinfo = BEIJING) -> datetime | None:
    """The clock in an SZY 206 51H answer: s, min, h, day, month, year BCD [R: as the 11H command writes it]."""
    data = frame.data
    if len(data) < 6:
        return None
    digits = [BCD_BYTE[b] for b in data[:6]]
    if min(digits) < 0:
        return None
    second, minute, hour, day, month, year = digits
    try:
        return datetime(2000 + year, month, day, hour, minute, second, tzinfo=tz)
    except ValueError:
        return None
