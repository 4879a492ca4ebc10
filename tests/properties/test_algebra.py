"""Hypothesis properties where the rules are algebraic (issue 20 item 9): the volume engine (rollover,
order independence, additivity), track cleaning (removing points never lengthens the track), GB 3838
(a class is monotone in every item's value) and period arithmetic (periods tile time). Pure modules:
no database."""

from __future__ import annotations

import datetime as dt
import itertools
import random
from decimal import Decimal

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from core import periods
from patrols.track import TrackLimits, clean
from quality import gb3838
from water.volume_engine import Point, Rules, daily_totals, intervals

T0 = dt.datetime(2024, 3, 1, tzinfo=dt.UTC)
RULES = Rules(register_max=Decimal(100_000), max_flow_m3s=None, gap_s=Decimal(10**9))
FAST = settings(max_examples=60, deadline=None)

steps = st.lists(st.tuples(st.integers(60, 6 * 3600), st.decimals(0, 500, places=3)), min_size=1, max_size=40)


def _series(start: Decimal, increments: list[tuple[int, Decimal]], register_max: Decimal) -> list[Point]:
    at, value = T0, start
    points = [Point(at, value)]
    for seconds, volume in increments:
        at += dt.timedelta(seconds=seconds)
        value = (value + volume) % register_max  # the register wraps at its maximum
        points.append(Point(at, value))
    return points


def _total(points: list[Point], rules: Rules) -> Decimal:
    days = daily_totals(points, rules)
    return sum((t.measured + t.estimated + t.corrected for t in days.values()), Decimal(0))


@FAST
@given(start=st.decimals(0, 99_999, places=3), increments=steps)
def test_volume_is_what_flowed_across_rollovers(start: Decimal, increments: list[tuple[int, Decimal]]) -> None:
    points = _series(start, increments, RULES.register_max or Decimal(1))
    flowed = sum((v for _, v in increments), Decimal(0))
    assert abs(_total(points, RULES) - flowed) <= Decimal("0.00001") * len(increments)


@FAST
@given(start=st.decimals(0, 99_999, places=3), increments=steps, seed=st.integers(0, 2**32 - 1))
def test_volume_does_not_depend_on_the_order_readings_arrive_in(
    start: Decimal, increments: list[tuple[int, Decimal]], seed: int
) -> None:
    points = _series(start, increments, RULES.register_max or Decimal(1))
    shuffled = points[:]
    random.Random(seed).shuffle(shuffled)
    assert intervals(shuffled, RULES) == intervals(points, RULES)
    assert daily_totals(shuffled, RULES) == daily_totals(points, RULES)


@FAST
@given(start=st.decimals(0, 50_000, places=3), increments=steps, cut=st.integers(0, 40))
def test_daily_volumes_are_additive(start: Decimal, increments: list[tuple[int, Decimal]], cut: int) -> None:
    """The increment of appending readings (daily_totals since the last stored one) plus what was
    there before is the total of the whole series: the ingest's rollup relies on it."""
    points = _series(start, increments, RULES.register_max or Decimal(1))
    cut = min(cut, len(points) - 1)
    before = daily_totals(points[: cut + 1], RULES)
    increment = daily_totals(points, RULES, since=points[cut].at)
    whole = daily_totals(points, RULES)
    for day, totals in whole.items():
        combined = (before.get(day) or type(totals)()).measured + (increment.get(day) or type(totals)()).measured
        assert abs(combined - totals.measured) <= Decimal("0.000002")


coords = st.lists(
    st.tuples(st.floats(-3000, 3000), st.floats(-3000, 3000), st.integers(1, 120)), min_size=2, max_size=60
)


def _length(x: np.ndarray, y: np.ndarray, idx: np.ndarray) -> float:
    return float(np.hypot(np.diff(x[idx]), np.diff(y[idx])).sum())


@FAST
@given(points=coords, speed=st.floats(0.5, 30), run=st.integers(2, 6))
def test_cleaning_never_lengthens_the_track(points: list[tuple[float, float, int]], speed: float, run: int) -> None:
    x = np.array([p[0] for p in points])
    y = np.array([p[1] for p in points])
    t = np.cumsum([p[2] for p in points]).astype(float)
    result = clean(x, y, t, TrackLimits(max_speed_mps=speed, teleport_run_points=run))
    everything = np.arange(len(x))
    kept = sum(_length(x, y, part) for part in result.parts)
    assert kept <= _length(x, y, everything) + 1e-6
    # Every point is kept once or dropped once.
    assert sorted([*result.kept.tolist(), *result.dropped]) == everything.tolist()


CLASSED = [i for i in gb3838.ITEMS if i.direction in (gb3838.Direction.MAX, gb3838.Direction.MIN) and i.limits]


@FAST
@given(
    item=st.sampled_from(CLASSED),
    a=st.decimals(0, 10_000, places=4),
    b=st.decimals(0, 10_000, places=4),
    body=st.sampled_from([gb3838.Body.RIVER, gb3838.Body.LAKE]),
)
def test_gb3838_class_is_monotone_in_every_item(item: gb3838.Item, a: Decimal, b: Decimal, body: gb3838.Body) -> None:
    low, high = min(a, b), max(a, b)
    c_low, c_high = gb3838.item_class(item, low, body=body), gb3838.item_class(item, high, body=body)
    if c_low is None or c_high is None:
        assert c_low is None
        assert c_high is None
        return
    if item.direction == gb3838.Direction.MAX:
        assert c_low <= c_high  # more of a pollutant is never a better class
    else:
        assert c_low >= c_high  # more dissolved oxygen is never a worse class


@FAST
@given(year=st.integers(2000, 2099), month=st.integers(1, 12))
def test_periods_tile_time(year: int, month: int) -> None:
    m = periods.month(year, month)
    following = periods.month(year + (month == 12), month % 12 + 1)
    assert m.end == following.start
    tens = [periods.ten_day(year, month, n) for n in (1, 2, 3)]
    assert tens[0].start == m.start
    assert tens[-1].end == m.end
    assert all(a.end == b.start for a, b in itertools.pairwise(tens))
    assert sum(t.days for t in tens) == m.days
    q = periods.quarter(year, (month - 1) // 3 + 1)
    assert q.contains(m.start)
    assert sum(periods.quarter(year, n).days for n in range(1, 5)) == periods.year(year).days


@FAST
@given(day=st.dates(dt.date(2000, 1, 1), dt.date(2099, 12, 31)))
def test_a_day_lies_in_exactly_one_month(day: dt.date) -> None:
    at = dt.datetime.combine(day, dt.time(12), tzinfo=periods.BEIJING)
    containing = [periods.month(day.year, m) for m in range(1, 13) if periods.month(day.year, m).contains(at)]
    assert len(containing) == 1
    assert containing[0].first_date <= day <= containing[0].last_date
