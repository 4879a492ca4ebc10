"""Online-monitoring arithmetic (domain.md §3.5): expected reports, arrival rate, completeness,
timeliness and a meter's online state. Pure functions: no database.

Definitions (the material read has no single national formula, so these are this system's, stated
once here and in water/README.md):

* **Report slots.** A meter with report interval I owes one report per slot: the slots of a Beijing
  day are [midnight + k·I, midnight + (k+1)·I), the last one cut at the next midnight when I does not
  divide a day. A slot is *expected* of a meter when it starts while the meter is installed
  (installed_at ≤ slot start < removed_at) and inside the period, before `as_of` (now, for the
  current period). So a meter installed at 10:30 with hourly reports owes 13 slots that day (11:00 to
  23:00), a replacement at 15:00 hands the slots from 15:00 on to the new meter, and the two meters of
  an intake never owe the same slot.
* **Arrival rate (到报率)** = reports received ÷ reports expected. Reports are readings other than the
  installation and removal readings, rejected ones excluded; per meter and day at most the expected
  number count (a meter that reports twice as often does not make up for a day it was silent).
* **Completeness (完整率)** = expected slots holding at least one report ÷ expected slots.
* **Timeliness (及时率)** = reports received within WATER_TIMELY_TOLERANCE_S of their instant ÷
  reports expected (the domain note's denominator), capped per meter and day as above.
* **Online.** A meter is online at an instant when its last report (or, before any, its installation)
  is at most WATER_OFFLINE_FACTOR × I old; a removed meter is neither online nor offline.

Ratios are fractions 0–1, None when nothing was expected (a 0 % would blame a meter for a period it
was not installed in).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from water.choices import MeterState
from water.volume_engine import day_of_number, to_us

# Beijing is UTC+8 without daylight saving (see water.volume_engine); days are fixed runs of 86,400 s.
DAY_US = 86_400_000_000
OFFSET_US = 8 * 3_600_000_000


def _day_number(us: int) -> int:
    return (us + OFFSET_US) // DAY_US


def _day_start_us(n: int) -> int:
    return n * DAY_US - OFFSET_US


def _ceil_div(a: int, b: int) -> int:
    return -(-a // b)


def slots_per_day(interval_s: int) -> int:
    """Report slots in a whole day: ⌈86,400 / I⌉."""
    return _ceil_div(86_400, interval_s)


def _slots_in_day(lo_us: int, hi_us: int, n: int, slot_us: int) -> int:
    """Slot starts of day n lying in [lo, hi) (lo and hi inside the day or at its ends)."""
    start = _day_start_us(n)
    if hi_us <= lo_us:
        return 0
    return _ceil_div(hi_us - start, slot_us) - _ceil_div(lo_us - start, slot_us)


def _window(
    installed_at: dt.datetime, removed_at: dt.datetime | None, start: dt.datetime, end: dt.datetime
) -> tuple[int, int]:
    lo = max(installed_at, start)
    hi = end if removed_at is None else min(end, removed_at)
    return to_us(lo), to_us(hi)


def expected_slots(
    installed_at: dt.datetime, removed_at: dt.datetime | None, start: dt.datetime, end: dt.datetime, interval_s: int
) -> int:
    """How many reports a meter owes in [start, end): the slot starts in its installation and in the
    stretch. Whole days are counted at once, so a year costs as little as a day."""
    lo, hi = _window(installed_at, removed_at, start, end)
    if hi <= lo:
        return 0
    slot_us = interval_s * 1_000_000
    first, last = _day_number(lo), _day_number(hi - 1)
    if first == last:
        return _slots_in_day(lo, hi, first, slot_us)
    total = _slots_in_day(lo, _day_start_us(first + 1), first, slot_us)
    total += (last - first - 1) * slots_per_day(interval_s)
    return total + _slots_in_day(_day_start_us(last), hi, last, slot_us)


def expected_by_day(
    installed_at: dt.datetime, removed_at: dt.datetime | None, start: dt.datetime, end: dt.datetime, interval_s: int
) -> dict[dt.date, int]:
    """expected_slots per Beijing day of [start, end) (days owing nothing are left out)."""
    lo, hi = _window(installed_at, removed_at, start, end)
    out: dict[dt.date, int] = {}
    if hi <= lo:
        return out
    slot_us = interval_s * 1_000_000
    for n in range(_day_number(lo), _day_number(hi - 1) + 1):
        count = _slots_in_day(max(lo, _day_start_us(n)), min(hi, _day_start_us(n + 1)), n, slot_us)
        if count:
            out[day_of_number(n)] = count
    return out


def partial_days(
    installed_at: dt.datetime, removed_at: dt.datetime | None, start: dt.datetime, end: dt.datetime, interval_s: int
) -> tuple[int, dict[dt.date, int]]:
    """(the slots of a whole day, {day: slots} for the days that owe fewer: the first and last days of
    the meter's stretch); the days between owe a whole day each."""
    full = slots_per_day(interval_s)
    lo, hi = _window(installed_at, removed_at, start, end)
    if hi <= lo:
        return full, {}
    slot_us = interval_s * 1_000_000
    out = {}
    for n in {_day_number(lo), _day_number(hi - 1)}:
        count = _slots_in_day(max(lo, _day_start_us(n)), min(hi, _day_start_us(n + 1)), n, slot_us)
        if count != full:
            out[day_of_number(n)] = count
    return full, out


def ratio(numerator: int | float, denominator: int | float) -> float | None:
    """numerator ÷ denominator, None when nothing was expected."""
    if denominator <= 0:
        return None
    return numerator / denominator


@dataclass(slots=True)
class Counts:
    """Report counts of a meter (or of a sum of meters) over some days, already capped per meter-day."""

    expected: int = 0
    received: int = 0
    slots: int = 0
    timely: int = 0
    reports: int = 0  # every report, uncapped

    def add_day(self, expected: int, n_readings: int, n_slots: int, n_timely: int) -> None:
        """Add one meter-day of the daily rows (expected counted separately, see add_expected)."""
        self.reports += n_readings
        self.received += min(n_readings, expected)
        self.slots += min(n_slots, expected)
        self.timely += min(n_timely, expected)

    def add(self, other: Counts) -> None:
        self.expected += other.expected
        self.received += other.received
        self.slots += other.slots
        self.timely += other.timely
        self.reports += other.reports

    @property
    def arrival_rate(self) -> float | None:
        return ratio(self.received, self.expected)

    @property
    def completeness(self) -> float | None:
        return ratio(self.slots, self.expected)

    @property
    def timeliness(self) -> float | None:
        return ratio(self.timely, self.expected)


def meter_state(
    *,
    installed_at: dt.datetime,
    removed_at: dt.datetime | None,
    last_report_at: dt.datetime | None,
    interval_s: int,
    at: dt.datetime,
    factor: float,
) -> tuple[MeterState, float | None]:
    """A meter's state at `at` and how long it had been silent then (s; None when removed). Online
    when silent for at most factor × interval: a report exactly 2× ago is still within 2×."""
    if removed_at is not None and removed_at <= at:
        return MeterState.REMOVED, None
    reference = installed_at if last_report_at is None else max(installed_at, last_report_at)
    silent = (at - reference).total_seconds()
    return (MeterState.ONLINE if silent <= factor * interval_s else MeterState.OFFLINE), silent


def rounded(value: float | None, digits: int = 6) -> float | None:
    return None if value is None else round(value, digits)


__all__ = [
    "Counts",
    "expected_by_day",
    "expected_slots",
    "meter_state",
    "partial_days",
    "ratio",
    "slots_per_day",
]
