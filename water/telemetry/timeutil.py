"""Time fields of both protocols, made timezone-aware.

- RTU clocks run on Beijing time (UTC+8); naive protocol times are Asia/Shanghai (domain.md §6 "Time zone").
  ``Asia/Urumqi`` is UTC+6 in current tzdata, so it must not be used for device clocks; a profile may still
  name another zone for a device knowingly set to local time.
- SL 651 times are BCD ``YYMMDDhhmmss`` (send) and ``YYMMDDhhmm`` (observation), years 20YY (§3.3 "Body").
- The SZY 206-2016 time label Tp has second, minute, hour and day only (§3.2 "Tp"): year and month come from
  the receive time, and the month must be chosen so a label for day 31 received on the 1st lands in the
  previous month (and a label for the 1st received late on the 31st, from a fast clock, in the next month).
"""

from __future__ import annotations

import calendar
from datetime import datetime, timedelta, tzinfo
from functools import lru_cache
from zoneinfo import ZoneInfo

from water.telemetry.bcd import BCD_BYTE
from water.telemetry.crc import BytesLike
from water.telemetry.errors import BadBCD, BadTime

BEIJING = ZoneInfo("Asia/Shanghai")

# How far a day-only label may lie after the receive time and still be read as "this month" rather than a
# month earlier: covers RTU clocks running fast. Larger skews are indistinguishable from a month-old label.
LABEL_FUTURE_TOLERANCE = timedelta(days=1)


@lru_cache(maxsize=32)
def zone(name: str) -> tzinfo:
    """Cached ZoneInfo lookup (profiles name their device clock zone)."""
    return ZoneInfo(name)


def make_time(year: int, month: int, day: int, hour: int, minute: int, second: int, tz: tzinfo) -> datetime:
    """An aware datetime, or `BadTime` for an impossible date (30 February, hour 24, month 0…)."""
    try:
        return datetime(year, month, day, hour, minute, second, tzinfo=tz)
    except ValueError:
        raise BadTime(
            f"impossible time {year:04d}-{month:02d}-{day:02d} {hour:02d}:{minute:02d}:{second:02d}"
        ) from None


def sl651_time(data: BytesLike, tz: tzinfo = BEIJING) -> datetime:
    """SL 651 ``YYMMDDhhmm[ss]`` BCD (5 or 6 bytes) → aware datetime in ``tz``."""
    b = BCD_BYTE
    year, month, day, hour, minute = b[data[0]], b[data[1]], b[data[2]], b[data[3]], b[data[4]]
    second = b[data[5]] if len(data) > 5 else 0
    if year < 0 or month < 0 or day < 0 or hour < 0 or minute < 0 or second < 0:
        raise BadBCD(f"BCD digit above 9 in time field {bytes(data).hex().upper()}")
    try:
        return datetime(2000 + year, month, day, hour, minute, second, tzinfo=tz)
    except ValueError:
        raise BadTime(
            f"impossible time 20{year:02d}-{month:02d}-{day:02d} {hour:02d}:{minute:02d}:{second:02d}"
        ) from None


def encode_sl651_time(moment: datetime, nbytes: int, tz: tzinfo = BEIJING) -> bytes:
    """Aware datetime → SL 651 BCD time of 5 (no seconds) or 6 bytes, in the device zone ``tz``."""
    if moment.tzinfo is None:
        raise ValueError("encode_sl651_time needs an aware datetime")
    local = moment.astimezone(tz)
    if not 2000 <= local.year <= 2099:
        raise ValueError(f"SL 651 years are 20YY; {local.year} does not fit")
    parts = [local.year - 2000, local.month, local.day, local.hour, local.minute, local.second][:nbytes]
    return bytes(((v // 10) << 4) | (v % 10) for v in parts)


def require_aware(moment: datetime, what: str = "received_at") -> None:
    """Refuse naive datetimes: a naive receive time would silently shift every label by the host's offset."""
    if moment.tzinfo is None or moment.utcoffset() is None:
        raise ValueError(f"{what} must be timezone-aware")


_MONTH_DAYS = (31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31)


def _days_in(year: int, month: int) -> int:
    if month == 2 and calendar.isleap(year):
        return 29
    return _MONTH_DAYS[month - 1]


def _shift_month(year: int, month: int, delta: int) -> tuple[int, int]:
    index = year * 12 + (month - 1) + delta
    return index // 12, index % 12 + 1


def resolve_day_label(
    day: int,
    hour: int,
    minute: int,
    second: int,
    *,
    received_at: datetime,
    tz: tzinfo = BEIJING,
    future_tolerance: timedelta = LABEL_FUTURE_TOLERANCE,
) -> datetime:
    """Place a day/hour/minute/second label (no year, no month) in the month nearest before ``received_at``.

    Candidates are next month, this month and last month (in the device zone, so month ends are Beijing month
    ends); the latest one not later than ``received_at + future_tolerance`` wins. A day that none of them has
    (e.g. day 30 received on 1 March) or a day/clock field out of range raises `BadTime`: guessing a month two
    back would store a reading in the wrong month.
    """
    require_aware(received_at)
    if not (1 <= day <= 31 and 0 <= hour <= 23 and 0 <= minute <= 59 and 0 <= second <= 59):
        raise BadTime(f"impossible time label day {day} {hour:02d}:{minute:02d}:{second:02d}")
    return place_day_label(day, hour, minute, second, received_at.astimezone(tz), future_tolerance)


def place_day_label(
    day: int, hour: int, minute: int, second: int, local: datetime, future_tolerance: timedelta = LABEL_FUTURE_TOLERANCE
) -> datetime:
    """The month choice of `resolve_day_label`, for fields already range-checked and ``local`` already in the
    device zone (the decoder's hot path calls this directly)."""
    tz = local.tzinfo
    limit = local + future_tolerance
    year, month = local.year, local.month
    if limit.month != month:
        # Only when the tolerance window reaches into next month (a fast clock near a month end) can next month
        # win; it is the latest candidate, so it is tried first.
        y, m = _shift_month(year, month, 1)
        if day <= _days_in(y, m):
            candidate = datetime(y, m, day, hour, minute, second, tzinfo=tz)
            if candidate <= limit:
                return candidate
    if day <= _days_in(year, month):
        candidate = datetime(year, month, day, hour, minute, second, tzinfo=tz)
        if candidate <= limit:
            return candidate
    y, m = _shift_month(year, month, -1)
    if day <= _days_in(y, m):
        return datetime(y, m, day, hour, minute, second, tzinfo=tz)  # before this month began, so ≤ limit
    raise BadTime(f"time label day {day} fits no month around {local:%Y-%m-%d}")
