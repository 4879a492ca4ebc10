"""Online-monitoring arithmetic (water.monitoring) and the counts the volume engine keeps for it, with
figures computed by hand. No database."""

from __future__ import annotations

import datetime as dt
import random
from decimal import Decimal

import pytest

from core.periods import BEIJING
from water import monitoring
from water.choices import MeterState
from water.volume_engine import Point, Rules, daily_totals, to_us

D = Decimal
DAY = dt.timedelta(days=1)


def at(day: int, hour: float, month: int = 1) -> dt.datetime:
    return dt.datetime(2024, month, day, tzinfo=BEIJING) + dt.timedelta(hours=hour)


@pytest.mark.parametrize(
    ("installed", "removed", "interval_s", "expected"),
    [
        (at(1, 0), None, 3600, 24),  # a whole day of hourly slots
        (at(1, 10.5), None, 3600, 13),  # installed 10:30: slots 11:00 … 23:00
        (at(1, 10), None, 3600, 14),  # installed on a slot start: that slot is owed
        (at(1, 0), at(1, 15), 3600, 15),  # removed 15:00: slots 00:00 … 14:00
        (at(1, 0), at(1, 15.5), 3600, 16),  # removed 15:30: the 15:00 slot too
        (at(1, 15), None, 3600, 9),  # the replacement installed 15:00: 15:00 … 23:00 (15 + 9 = 24)
        (at(1, 0), None, 900, 96),  # quarter-hourly
        (at(1, 0), None, 25_200, 4),  # every 7 h: 00:00, 07:00, 14:00, 21:00 (the last slot is cut at midnight)
        (at(2, 0), None, 3600, 0),  # installed after the day
    ],
)
def test_expected_slots_of_one_day(installed, removed, interval_s, expected):
    assert monitoring.expected_slots(installed, removed, at(1, 0), at(2, 0), interval_s) == expected
    by_day = monitoring.expected_by_day(installed, removed, at(1, 0), at(2, 0), interval_s)
    assert sum(by_day.values()) == expected


def test_expected_slots_over_a_quarter_and_mid_period_installation():
    q1 = (at(1, 0), dt.datetime(2024, 4, 1, tzinfo=BEIJING))
    assert monitoring.expected_slots(at(1, 0, month=1) - DAY * 400, None, *q1, 3600) == 91 * 24
    # Installed 2 January 10:30, period 1–3 January: 13 + 24.
    assert monitoring.expected_slots(at(2, 10.5), None, at(1, 0), at(4, 0), 3600) == 37
    # Up to `as_of` only (the current period): 1 January 00:00 to 05:20 owes 00:00 … 05:00.
    assert monitoring.expected_slots(at(1, 0), None, at(1, 0), at(1, 5 + 1 / 3), 3600) == 6
    full, partial = monitoring.partial_days(at(2, 10.5), at(3, 15), at(1, 0), at(4, 0), 3600)
    assert (full, partial) == (24, {dt.date(2024, 1, 2): 13, dt.date(2024, 1, 3): 15})


def test_expected_by_day_sums_to_expected_slots_for_any_stretch():
    rng = random.Random(7)
    for _ in range(300):
        interval_s = rng.choice([600, 900, 3600, 7200, 25_200, 86_400])
        start = at(1, 0) + dt.timedelta(seconds=rng.randint(0, 40 * 86_400))
        end = start + dt.timedelta(seconds=rng.randint(1, 30 * 86_400))
        installed = start + dt.timedelta(seconds=rng.randint(-5 * 86_400, 5 * 86_400))
        removed = rng.choice([None, end + dt.timedelta(seconds=rng.randint(-8 * 86_400, 86_400))])
        if removed is not None and removed <= installed:
            removed = None
        total = monitoring.expected_slots(installed, removed, start, end, interval_s)
        assert sum(monitoring.expected_by_day(installed, removed, start, end, interval_s).values()) == total


@pytest.mark.parametrize(
    ("silent_s", "state"),
    [(0, MeterState.ONLINE), (7200, MeterState.ONLINE), (7201, MeterState.OFFLINE), (86_400, MeterState.OFFLINE)],
)
def test_online_until_twice_the_interval(silent_s, state):
    last = at(1, 5)
    got, silent = monitoring.meter_state(
        installed_at=at(1, 0),
        removed_at=None,
        last_report_at=last,
        interval_s=3600,
        at=last + dt.timedelta(seconds=silent_s),
        factor=2,
    )
    assert (got, silent) == (state, silent_s)


def test_meter_without_reports_counts_from_its_installation_and_removed_meter_is_neither():
    state, silent = monitoring.meter_state(
        installed_at=at(1, 0), removed_at=None, last_report_at=None, interval_s=3600, at=at(1, 3), factor=2
    )
    assert (state, silent) == (MeterState.OFFLINE, 3 * 3600)
    state, _ = monitoring.meter_state(
        installed_at=at(1, 0), removed_at=at(1, 2), last_report_at=at(1, 1), interval_s=3600, at=at(1, 3), factor=2
    )
    assert state == MeterState.REMOVED


def test_counts_are_capped_per_meter_day():
    c = monitoring.Counts(expected=48)
    c.add_day(24, 96, 24, 90)  # a meter reporting every 15 min on an hourly contract
    c.add_day(24, 12, 12, 6)
    assert (c.received, c.slots, c.timely, c.reports) == (36, 36, 30, 108)
    assert (c.arrival_rate, c.completeness, c.timeliness) == (36 / 48, 36 / 48, 30 / 48)
    assert monitoring.Counts().arrival_rate is None


def _points(install: dt.datetime, reports: list[tuple[dt.datetime, int]]) -> list[Point]:
    """An installation reading and reports (instant, seconds after it that it arrived)."""
    pts = [Point(install, D(0), counted=False)]
    for i, (t, delay) in enumerate(reports, start=1):
        pts.append(Point(t, D(i), us=None, received_us=to_us(t + dt.timedelta(seconds=delay))))
    return pts


def test_daily_rows_count_reports_slots_and_timely_reports():
    rules = Rules(slot_us=3_600_000_000, timely_us=600_000_000)
    pts = _points(
        at(1, 0),
        [(at(1, 1), 30), (at(1, 1 + 1 / 3), 600), (at(1, 2), 601), (at(1, 4), -10), (at(2, 0), 5)],
    )
    days = daily_totals(pts, rules)
    first, second = days[dt.date(2024, 1, 1)], days[dt.date(2024, 1, 2)]
    # 01:00 and 01:20 share a slot; 600 s late is still timely, 601 s is not; a clock a little ahead is timely.
    assert (first.n_readings, first.n_slots, first.n_timely) == (4, 3, 3)
    assert (second.n_readings, second.n_slots, second.n_timely) == (1, 1, 1)


def test_the_installation_slot_is_not_filled_when_the_meter_came_mid_slot():
    rules = Rules(slot_us=3_600_000_000)
    days = daily_totals(_points(at(1, 10.5), [(at(1, 10.75), 0), (at(1, 11), 0), (at(1, 11.5), 0)]), rules)
    # 10:45 is a report but its slot (10:00) began before the installation and is not owed: 13 owed, 1 filled.
    assert (days[dt.date(2024, 1, 1)].n_readings, days[dt.date(2024, 1, 1)].n_slots) == (3, 1)
    days = daily_totals(_points(at(1, 10), [(at(1, 10.75), 0)]), rules)
    assert days[dt.date(2024, 1, 1)].n_slots == 1  # installed on the slot start: the slot is owed and filled


def test_appending_gives_the_same_counts_as_computing_at_once():
    rules = Rules(slot_us=3_600_000_000, timely_us=600_000_000)
    rng = random.Random(3)
    reports, t = [], at(1, 0.25)
    for _ in range(200):
        t += dt.timedelta(minutes=rng.choice([20, 30, 60, 60, 90, 400]))
        reports.append((t, rng.choice([10, 100, 700, 4000])))
    pts = _points(at(1, 0.25), reports)
    whole = daily_totals(pts, rules)
    summed: dict[dt.date, list[int]] = {}
    cut = 0
    while cut < len(pts):
        nxt = min(len(pts), cut + rng.randint(1, 25))
        since = pts[cut - 1].at if cut else None
        context = pts[max(0, cut - 3) : cut]
        for day, totals in daily_totals([*context, *pts[cut:nxt]], rules, since=since).items():
            row = summed.setdefault(day, [0, 0, 0])
            row[0] += totals.n_readings
            row[1] += totals.n_slots
            row[2] += totals.n_timely
        cut = nxt
    assert {d: [t.n_readings, t.n_slots, t.n_timely] for d, t in whole.items()} == summed
