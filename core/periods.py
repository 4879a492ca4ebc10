"""Reporting periods in Beijing time.

Timestamps are stored in UTC, but every report (daily, 旬, monthly, quarterly,
half-yearly, yearly) is defined by calendar dates in Beijing time, so a period
is a half-open interval [start, end) of aware datetimes at Beijing midnights.

China uses one time zone.  ``Asia/Shanghai`` is the zone to use: tzdata's
``Asia/Urumqi`` is UTC+6 (Xinjiang local solar time), which is not the
official time even in Xinjiang.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Final
from zoneinfo import ZoneInfo

__all__ = [
    "BEIJING",
    "KINDS",
    "Period",
    "date_range",
    "day",
    "ensure_aware",
    "half_year",
    "month",
    "period_containing",
    "previous_quarter",
    "quarter",
    "same_period_last_year",
    "split",
    "ten_day",
    "to_beijing",
    "year",
]

BEIJING: Final = ZoneInfo("Asia/Shanghai")

DAY: Final = "day"
TEN_DAY: Final = "ten_day"  # 旬
MONTH: Final = "month"
QUARTER: Final = "quarter"
HALF: Final = "half"
YEAR: Final = "year"
RANGE: Final = "range"  # arbitrary run of whole days
KINDS: Final = frozenset({DAY, TEN_DAY, MONTH, QUARTER, HALF, YEAR, RANGE})

# Kinds that period_containing() and split() understand (a range has no natural "containing" unit).
_CONTAINING_KINDS: Final = (DAY, TEN_DAY, MONTH, QUARTER, HALF, YEAR)
_SPLIT_INTERVALS: Final = (DAY, MONTH, QUARTER)


def ensure_aware(dt: datetime) -> datetime:
    """Return ``dt`` unchanged if it is timezone-aware.

    Raises:
        ValueError: for a naive datetime, whose meaning (UTC? Beijing?) is ambiguous.
    """
    if not isinstance(dt, datetime):
        raise TypeError(f"expected a datetime, got {type(dt).__name__}")
    if dt.tzinfo is None or dt.utcoffset() is None:
        raise ValueError(f"naive datetime {dt.isoformat()} refused: attach a time zone (UTC or Beijing)")
    return dt


def to_beijing(dt: datetime) -> datetime:
    """Convert an aware datetime to Beijing time (naive datetimes raise ValueError)."""
    return ensure_aware(dt).astimezone(BEIJING)


def _midnight(d: date) -> datetime:
    # No DST in China since 1991, and the 1986–1991 switches happened at 02:00, so a Beijing
    # midnight always exists and is unambiguous.
    return datetime(d.year, d.month, d.day, tzinfo=BEIJING)


@dataclass(frozen=True, slots=True)
class Period:
    """A half-open interval [start, end) in Beijing time, with a kind and a display label."""

    start: datetime
    end: datetime
    kind: str
    label: str

    def __post_init__(self) -> None:
        ensure_aware(self.start)
        ensure_aware(self.end)
        if not self.start < self.end:
            raise ValueError(f"period start {self.start.isoformat()} is not before its end {self.end.isoformat()}")
        if self.kind not in KINDS:
            raise ValueError(f"unknown period kind {self.kind!r}; expected one of {sorted(KINDS)}")
        # Normalise so that .date() and display always mean Beijing calendar dates.
        object.__setattr__(self, "start", self.start.astimezone(BEIJING))
        object.__setattr__(self, "end", self.end.astimezone(BEIJING))

    def __str__(self) -> str:
        return self.label

    def contains(self, dt: datetime) -> bool:
        """Whether the aware datetime ``dt`` lies in [start, end)."""
        return self.start <= ensure_aware(dt) < self.end

    @property
    def first_date(self) -> date:
        """First Beijing calendar date of the period."""
        return self.start.date()

    @property
    def last_date(self) -> date:
        """Last Beijing calendar date touched by the period (inclusive)."""
        return (self.end - timedelta(microseconds=1)).date()

    @property
    def days(self) -> int:
        """Number of Beijing calendar days the period covers (touches)."""
        return (self.last_date - self.first_date).days + 1


# --------------------------------------------------------------------------- constructors


def _check_year(y: int) -> None:
    # date() supports 1..9999, but the year after is needed for exclusive ends.
    if not isinstance(y, int) or isinstance(y, bool) or not 1 <= y <= 9998:
        raise ValueError(f"year must be an integer in 1..9998, got {y!r}")


def _check_in(name: str, value: int, lo: int, hi: int) -> None:
    if not isinstance(value, int) or isinstance(value, bool) or not lo <= value <= hi:
        raise ValueError(f"{name} must be an integer in {lo}..{hi}, got {value!r}")


def _first_of_next_month(y: int, m: int) -> date:
    return date(y + 1, 1, 1) if m == 12 else date(y, m + 1, 1)


def day(d: date) -> Period:
    """The Beijing calendar day ``d``; label "2024-03-05"."""
    if isinstance(d, datetime):
        # A datetime's date() depends on its zone; make the caller say which day they mean.
        raise TypeError("day() takes a date; use period_containing(dt, 'day') for a datetime")
    return Period(_midnight(d), _midnight(d + timedelta(days=1)), DAY, d.isoformat())


def month(year: int, m: int) -> Period:
    """Calendar month ``m`` of ``year``; label "2024-03"."""
    _check_year(year)
    _check_in("month", m, 1, 12)
    return Period(_midnight(date(year, m, 1)), _midnight(_first_of_next_month(year, m)), MONTH, f"{year:04d}-{m:02d}")


def ten_day(year: int, m: int, n: int) -> Period:
    """旬 ``n`` of month ``m``: 1 = days 1–10, 2 = days 11–20, 3 = day 21 to month end.

    Label "2024-02-D3" (D for dekad, the WMO name of a 旬).
    """
    _check_year(year)
    _check_in("month", m, 1, 12)
    _check_in("ten-day number", n, 1, 3)
    start = date(year, m, 10 * (n - 1) + 1)
    end = _first_of_next_month(year, m) if n == 3 else date(year, m, 10 * n + 1)
    return Period(_midnight(start), _midnight(end), TEN_DAY, f"{year:04d}-{m:02d}-D{n}")


def quarter(year: int, q: int) -> Period:
    """Quarter ``q`` (1..4) of ``year``; label "2024-Q1"."""
    _check_year(year)
    _check_in("quarter", q, 1, 4)
    first_month = 3 * (q - 1) + 1
    return Period(
        _midnight(date(year, first_month, 1)),
        _midnight(_first_of_next_month(year, first_month + 2)),
        QUARTER,
        f"{year:04d}-Q{q}",
    )


def half_year(year: int, h: int) -> Period:
    """Half ``h`` (1 = Jan–Jun, 2 = Jul–Dec) of ``year``; label "2024-H1"."""
    _check_year(year)
    _check_in("half", h, 1, 2)
    start = date(year, 1, 1) if h == 1 else date(year, 7, 1)
    end = date(year, 7, 1) if h == 1 else date(year + 1, 1, 1)
    return Period(_midnight(start), _midnight(end), HALF, f"{year:04d}-H{h}")


def year(year: int) -> Period:
    """The calendar year; label "2024"."""
    _check_year(year)
    return Period(_midnight(date(year, 1, 1)), _midnight(date(year + 1, 1, 1)), YEAR, f"{year:04d}")


def date_range(start: date, end: date) -> Period:
    """Whole Beijing days from ``start`` to ``end`` INCLUSIVE; label "2024-01-05/2024-02-10".

    Raises:
        ValueError: if ``end`` is before ``start``.
    """
    if isinstance(start, datetime) or isinstance(end, datetime):
        raise TypeError("date_range() takes dates, not datetimes")
    if end < start:
        raise ValueError(f"date range end {end.isoformat()} is before its start {start.isoformat()}")
    return Period(_midnight(start), _midnight(end + timedelta(days=1)), RANGE, f"{start.isoformat()}/{end.isoformat()}")


def _containing_date(d: date, kind: str) -> Period:
    if kind == DAY:
        return day(d)
    if kind == TEN_DAY:
        return ten_day(d.year, d.month, min(3, (d.day - 1) // 10 + 1))
    if kind == MONTH:
        return month(d.year, d.month)
    if kind == QUARTER:
        return quarter(d.year, (d.month - 1) // 3 + 1)
    if kind == HALF:
        return half_year(d.year, 1 if d.month <= 6 else 2)
    if kind == YEAR:
        return year(d.year)
    raise ValueError(f"unsupported period kind {kind!r}; expected one of {', '.join(_CONTAINING_KINDS)}")


def period_containing(dt: datetime, kind: str) -> Period:
    """The period of ``kind`` (day, ten_day, month, quarter, half, year) containing the instant ``dt``.

    ``dt`` must be aware; its Beijing calendar date decides, so 2024-03-31T16:30Z is in April.
    """
    return _containing_date(to_beijing(dt).date(), kind)


# --------------------------------------------------------------------------- derived periods


def split(period: Period, interval: str) -> Iterator[Period]:
    """Yield consecutive sub-periods of ``interval`` (day, month, quarter) covering ``period``.

    Sub-periods at the edges are clipped to ``period``; they keep the kind and label of the
    unit they belong to (a range starting 2024-01-15 yields "2024-01" covering Jan 15–31).
    """
    if interval not in _SPLIT_INTERVALS:
        expected = ", ".join(_SPLIT_INTERVALS)
        raise ValueError(f"unsupported split interval {interval!r}; expected one of {expected}")
    cursor = period.start
    while cursor < period.end:
        unit = period_containing(cursor, interval)
        yield Period(max(unit.start, period.start), min(unit.end, period.end), interval, unit.label)
        cursor = unit.end


def previous_quarter(dt: datetime) -> Period:
    """The quarter before the one containing ``dt`` (in Beijing time).

    Meant for a job running at the start of a quarter to report on the one just closed.
    """
    current = period_containing(dt, QUARTER)
    return period_containing(current.start - timedelta(microseconds=1), QUARTER)


def _minus_one_year(d: date) -> date:
    # 29 February has no counterpart in the previous year; 28 February is the usual 同比 choice.
    if d.month == 2 and d.day == 29:
        return date(d.year - 1, 2, 28)
    return d.replace(year=d.year - 1)


def same_period_last_year(period: Period) -> Period:
    """The same period one year earlier, for year-on-year (同比) comparison.

    Calendar periods map to the same kind (2024-Q1 → 2023-Q1, 2024-02-D3 → 2023-02-D3,
    i.e. 21–28 Feb).  A date range, or a clipped sub-period from :func:`split`, shifts both
    its first and last dates back a year, 29 Feb becoming 28 Feb.
    """
    first, last = period.first_date, period.last_date
    if first.year <= 1:
        raise ValueError(f"no year before {period.label}")
    if period.kind in _CONTAINING_KINDS and _containing_date(first, period.kind) == period:
        return _containing_date(_minus_one_year(first), period.kind)
    return date_range(_minus_one_year(first), _minus_one_year(last))
