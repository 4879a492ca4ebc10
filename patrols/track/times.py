"""Parsing the posted times: ISO 8601 with an offset, one per point, strictly increasing; the layouts
phones send are decoded column-wise."""

from __future__ import annotations

import datetime as dt
from typing import Any

import numpy as np

from core.geo import json_type_name
from patrols.track.base import TrackError

_EPOCH = dt.datetime(1970, 1, 1, tzinfo=dt.UTC)
_MS = dt.timedelta(milliseconds=1)

# The layouts a phone sends, "YYYY-MM-DDTHH:MM:SS" + optional ".fff" or ".ffffff" + "Z" or "±HH:MM",
# by the length of what follows the seconds: (fraction digits, offset length).
_TAILS = {1: (0, 1), 6: (0, 6), 5: (3, 1), 10: (3, 6), 8: (6, 1), 13: (6, 6)}
_ZERO = ord("0")
_DAYS_IN_MONTH = np.array([31, 31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31], dtype=np.int32)  # [0]: unused


def _layout(frac: int, off: int) -> tuple[np.ndarray, np.ndarray]:
    """Lowest and highest ASCII code allowed at each position of the layout."""
    text = "dddd-dd-ddTdd:dd:dd" + ("." + "d" * frac if frac else "") + ("Z" if off == 1 else "sdd:dd")
    lo = np.array([_ZERO if c == "d" else ord("+") if c == "s" else ord(c) for c in text], dtype=np.uint8)
    hi = np.array([_ZERO + 9 if c == "d" else ord("-") if c == "s" else ord(c) for c in text], dtype=np.uint8)
    return lo, hi


_LAYOUTS = {width + 19: _layout(*tail) for width, tail in _TAILS.items()}


def _number(v: np.ndarray, start: int, width: int) -> np.ndarray:
    """The decimal number in rows start..start+width of an (L, n) array of digit values."""
    out = v[start]
    for row in range(start + 1, start + width):
        out = out * 10 + v[row]
    return out


def _epoch_ms_fast(values: list[Any]) -> np.ndarray | None:
    """Epoch milliseconds of times in the one fixed layout phones send (every time the same length,
    ``YYYY-MM-DDTHH:MM:SS[.fff|.ffffff](Z|±HH:MM)``), decoded column-wise with numpy: ~0.2 ms for
    2,000 times instead of ~0.9 ms through ``datetime.fromisoformat``. Every character is checked
    (digits where digits belong, the separators, month, day of that month, hour, minute, second and
    offset in range), so what passes is exactly what ``fromisoformat`` reads, read the same way;
    anything else returns None and the caller parses one by one (and names the bad time)."""
    n = len(values)
    if not n or set(map(type, values)) != {str}:
        return None
    width = len(values[0])
    layout = _LAYOUTS.get(width)
    if layout is None or set(map(len, values)) != {width}:
        return None
    try:
        raw = "".join(values).encode("ascii")
    except UnicodeEncodeError:
        return None
    a = np.frombuffer(raw, dtype=np.uint8).reshape(n, width)
    lo, hi = layout
    if not bool(((a >= lo) & (a <= hi)).all()):
        return None
    frac, off = _TAILS[width - 19]
    if off == 6 and bool((a[:, width - 6] == ord(",")).any()):  # between "+" and "-" in ASCII
        return None
    v = a.T.astype(np.int32) - _ZERO  # one row per character position, as digit values
    year, month, day = _number(v, 0, 4), _number(v, 5, 2), _number(v, 8, 2)
    hour, minute, second = _number(v, 11, 2), _number(v, 14, 2), _number(v, 17, 2)
    month_ok = (month >= 1) & (month <= 12)
    leap = ((year % 4 == 0) & (year % 100 != 0)) | (year % 400 == 0)
    last_day = _DAYS_IN_MONTH[np.where(month_ok, month, 0)] + (leap & (month == 2))
    ok = month_ok & (year >= 1) & (day >= 1) & (day <= last_day) & (hour <= 23) & (minute <= 59) & (second <= 59)
    offset_min = np.zeros(n, dtype=np.int64)
    if off == 6:
        oh, om = _number(v, width - 5, 2), _number(v, width - 2, 2)
        ok &= (oh <= 23) & (om <= 59)
        offset_min = np.where(a[:, width - 6] == ord("-"), -1, 1) * (oh * 60 + om).astype(np.int64)
    if not bool(ok.all()):
        return None
    # Days since 1970-01-01 of a proleptic Gregorian date (H. Hinnant's days_from_civil).
    y = year - (month <= 2)
    era = y // 400
    yoe = y - era * 400
    doy = (153 * np.where(month > 2, month - 3, month + 9) + 2) // 5 + day - 1
    days = (era * 146_097 + yoe * 365 + yoe // 4 - yoe // 100 + doy - 719_468).astype(np.int64)
    minutes = (days * 24 + hour) * 60 + minute - offset_min
    millis = _number(v, 20, 3) if frac else 0  # floored to the millisecond, like the slow path
    return (minutes * 60 + second) * 1000 + millis


def parse_times(values: object, *, count: int | None, field: str = "times") -> np.ndarray:
    """ISO 8601 times with an offset → Unix epoch milliseconds (int64), strictly increasing.

    ``count`` is the number of positions the times belong to (None: not checked here).

    Raises:
        TrackError: naming ``field``, with the index in the message.
    """
    if not isinstance(values, list):
        raise TrackError(field, f"expected an array of ISO 8601 times, got {json_type_name(values)}")
    if count is not None and len(values) != count:
        raise TrackError(field, f"{len(values)} times for {count} positions: give exactly one time per position")
    fast = _epoch_ms_fast(values)
    if fast is not None and bool(np.all(np.diff(fast) > 0)):
        return fast
    out: list[int] = []
    for i, value in enumerate(values):
        if type(value) is not str:
            raise TrackError(field, f"[{i}]: expected an ISO 8601 time string, got {json_type_name(value)}")
        try:
            parsed = dt.datetime.fromisoformat(value)
        except ValueError:
            raise TrackError(field, f"[{i}]: {value!r} is not an ISO 8601 time") from None
        if parsed.tzinfo is None or parsed.utcoffset() is None:
            raise TrackError(field, f"[{i}]: give the time with its UTC offset, e.g. 2024-03-01T08:00:00+08:00")
        # Floor to the millisecond, like the fast path's datetime64[ms].
        ms = (parsed - _EPOCH) // _MS
        if out and ms <= out[-1]:
            raise TrackError(field, f"[{i}]: times must be strictly increasing ({value} is not after the previous one)")
        out.append(ms)
    return np.asarray(out, dtype=np.int64)
