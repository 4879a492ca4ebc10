"""The volume arithmetic on its own (water.volume_engine): no database."""

from __future__ import annotations

import datetime as dt
import random
from decimal import Decimal

import pytest

from core.periods import BEIJING
from water.volume_engine import (
    Kind,
    Point,
    Provenance,
    Rules,
    active_seconds,
    classify,
    coverage,
    daily_totals,
    intervals,
    split_by_day,
    volume_between,
)

D = Decimal
HOURLY = Rules(gap_s=D(7200))


def at(day: int, hour: int = 0, minute: int = 0, month: int = 3) -> dt.datetime:
    return dt.datetime(2024, month, day, hour, minute, tzinfo=BEIJING)


def pts(*pairs: tuple[dt.datetime, str], **kw: object) -> list[Point]:
    return [Point(t, D(v), **kw) for t, v in pairs]  # type: ignore[arg-type]


def test_interval_crossing_midnight_is_interpolated_at_the_edge():
    # 22:00 → 02:00: 40 m³ in 4 h, 2 h on each side of midnight. With a gap limit of 5 h this is a
    # normal interval, interpolated at midnight: measured on both days.
    rules = Rules(gap_s=D(5 * 3600))
    days = daily_totals(pts((at(10, 22), "100"), (at(11, 2), "140")), rules)
    assert days[dt.date(2024, 3, 10)].measured == D(20)
    assert days[dt.date(2024, 3, 11)].measured == D(20)
    assert days[dt.date(2024, 3, 10)].estimated == 0


def test_split_uses_beijing_midnight_not_utc():
    # 15:00Z → 17:00Z is 23:00 → 01:00 Beijing: split at 16:00Z.
    start = dt.datetime(2024, 3, 10, 15, tzinfo=dt.UTC)
    end = dt.datetime(2024, 3, 10, 17, tzinfo=dt.UTC)
    assert split_by_day(start, end) == [(dt.date(2024, 3, 10), D(3600)), (dt.date(2024, 3, 11), D(3600))]


def test_rollover_at_register_maximum_counts_the_wrapped_volume():
    rules = Rules(register_max=D(1000), gap_s=D(7200))
    series = pts((at(1, 0), "990"), (at(1, 1), "10"))
    (iv,) = intervals(series, rules)
    assert iv.kind is Kind.ROLLOVER
    assert iv.volume == D(20)
    assert not iv.held
    assert daily_totals(series, rules)[dt.date(2024, 3, 1)].measured == D(20)


def test_large_backward_step_is_a_decrease_even_with_a_register_maximum():
    # 100 → 90 would "wrap" by 990 of a 1000 range: not a rollover.
    assert classify(D(-10), D(3600), Rules(register_max=D(1000))) is Kind.DECREASE


def test_rollover_must_also_be_plausible_for_the_capacity():
    # Wrapping 990 → 10 implies 20 m³ in 1 s; capacity 1 m³/s: not a rollover.
    rules = Rules(register_max=D(1000), max_flow_m3s=D(1))
    assert classify(D(-980), D(1), rules) is Kind.DECREASE
    assert classify(D(-980), D(60), rules) is Kind.ROLLOVER


def test_decrease_is_flagged_and_held_out_with_its_neighbour():
    series = pts((at(1, 0), "100"), (at(1, 1), "90"), (at(1, 2), "102"), (at(1, 3), "103"))
    ivs = intervals(series, HOURLY)
    assert [iv.kind for iv in ivs] == [Kind.DECREASE, Kind.OK, Kind.OK]
    assert [iv.suspect for iv in ivs] == [True, False, False]
    assert [iv.held for iv in ivs] == [True, True, False]
    day = daily_totals(series, HOURLY)[dt.date(2024, 3, 1)]
    assert day.volume == D(1)  # only 102 → 103 counts until a review
    assert day.held == D(12)  # what 90 → 102 would add
    assert day.n_flagged == 1


def test_rejecting_the_bad_reading_joins_its_neighbours_as_corrected():
    series = [
        Point(at(1, 0), D(100)),
        Point(at(1, 1), D(90), review="rejected"),
        Point(at(1, 2), D(102)),
        Point(at(1, 3), D(103)),
    ]
    day = daily_totals(series, HOURLY)[dt.date(2024, 3, 1)]
    assert day.corrected == D(2)  # 100 → 102 joins across the rejected reading
    assert day.measured == D(1)
    assert day.held == 0
    assert day.n_flagged == 0
    assert day.n_readings == 3  # a rejected reading is not a report that counts


def test_accepting_a_decrease_counts_it_as_zero_and_the_rest_as_corrected():
    series = [
        Point(at(1, 0), D(100)),
        Point(at(1, 1), D(5), review="accepted"),  # e.g. a register reset that nobody recorded
        Point(at(1, 2), D(17)),
    ]
    day = daily_totals(series, HOURLY)[dt.date(2024, 3, 1)]
    assert day.volume == D(12)
    assert day.corrected == D(12)
    assert day.held == 0


def test_jump_above_capacity_is_held_and_the_step_back_is_the_same_spike():
    rules = Rules(max_flow_m3s=D(1), gap_s=D(7200))  # 3600 m³ per hour at most
    series = pts((at(1, 0), "100"), (at(1, 1), "50100"), (at(1, 2), "101"), (at(1, 3), "102"))
    ivs = intervals(series, rules)
    assert [iv.kind for iv in ivs] == [Kind.JUMP, Kind.DECREASE, Kind.OK]
    # Only the spike's reading is suspect: the return to normal is not a second problem.
    assert [iv.suspect for iv in ivs] == [True, False, False]
    assert [iv.held for iv in ivs] == [True, True, False]
    day = daily_totals(series, rules)[dt.date(2024, 3, 1)]
    assert day.volume == D(1)
    assert day.held == D(50000)
    assert day.n_flagged == 1


def test_jump_exactly_at_capacity_is_not_a_jump():
    assert classify(D(3600), D(3600), Rules(max_flow_m3s=D(1))) is Kind.OK
    assert classify(D("3600.001"), D(3600), Rules(max_flow_m3s=D(1))) is Kind.JUMP


def test_accepted_jump_counts_as_corrected():
    rules = Rules(max_flow_m3s=D(1), gap_s=D(7200))
    series = [Point(at(1, 0), D(100)), Point(at(1, 1), D(5000), review="accepted"), Point(at(1, 2), D(5001))]
    day = daily_totals(series, rules)[dt.date(2024, 3, 1)]
    assert day.corrected == D(4901)
    assert day.held == 0


def test_gap_across_days_keeps_its_volume_and_is_estimated():
    # No report from 10 March 06:00 to 13 March 18:00 (84 h) while 10 m³/h kept flowing.
    series = pts((at(10, 5), "0"), (at(10, 6), "10"), (at(13, 18), "850"), (at(13, 19), "860"))
    days = daily_totals(series, HOURLY)
    assert days[dt.date(2024, 3, 10)].measured == D(10)
    assert days[dt.date(2024, 3, 10)].estimated == D(180)  # 18 of 84 h
    assert days[dt.date(2024, 3, 11)].estimated == D(240)
    assert days[dt.date(2024, 3, 12)].estimated == D(240)
    assert days[dt.date(2024, 3, 13)].estimated == D(180)
    assert days[dt.date(2024, 3, 13)].measured == D(10)
    assert sum(d.volume for d in days.values()) == D(860)  # nothing lost
    # Estimated time is not covered.
    assert days[dt.date(2024, 3, 11)].covered_s == 0
    assert days[dt.date(2024, 3, 10)].covered_s == 3600


def test_gap_inside_one_day_is_measured():
    # The day's volume is exact whatever happened between 02:00 and 20:00.
    days = daily_totals(pts((at(1, 2), "0"), (at(1, 20), "180")), HOURLY)
    assert days[dt.date(2024, 3, 1)].measured == D(180)
    assert days[dt.date(2024, 3, 1)].estimated == 0


def test_corrected_reading_makes_its_steps_corrected():
    series = [Point(at(1, 0), D(0)), Point(at(1, 1), D(10), corrected=True), Point(at(1, 2), D(20))]
    day = daily_totals(series, HOURLY)[dt.date(2024, 3, 1)]
    assert day.corrected == D(20)
    assert day.measured == 0


def test_install_readings_bound_the_series_but_are_not_reports():
    series = [Point(at(1, 0), D(0), counted=False), Point(at(1, 1), D(10)), Point(at(1, 2), D(20))]
    day = daily_totals(series, HOURLY)[dt.date(2024, 3, 1)]
    assert day.measured == D(20)
    assert day.n_readings == 2


def test_out_of_order_points_give_the_same_days():
    rng = random.Random(7)
    series = [Point(at(1) + dt.timedelta(hours=h), D(h * 12)) for h in range(60)]
    shuffled = series[:]
    rng.shuffle(shuffled)
    assert daily_totals(shuffled, HOURLY) == daily_totals(series, HOURLY)


def test_day_range_limits_the_output():
    series = [Point(at(1) + dt.timedelta(hours=h), D(h)) for h in range(72)]
    days = daily_totals(series, HOURLY, dt.date(2024, 3, 2), dt.date(2024, 3, 2))
    assert list(days) == [dt.date(2024, 3, 2)]
    assert days[dt.date(2024, 3, 2)].measured == D(24)


def _random_series(rng: random.Random, n: int, rules: Rules) -> list[Point]:
    """Hourly-ish readings with noise, a rollover, spikes, decreases, gaps and random reviews."""
    t = at(1)
    v = D(900)
    out = []
    for _ in range(n):
        t += dt.timedelta(minutes=rng.choice([60, 60, 60, 30, 90, 300, 2000]))
        v += D(rng.randint(0, 400)) / 10
        r = rng.random()
        value = v
        if r < 0.04:
            value = v + D(50_000)  # spike
        elif r < 0.07:
            value = max(D(0), v - D(rng.randint(1, 50)))  # decrease
        if rules.register_max is not None:
            value = value % rules.register_max
        review = rng.choice(["", "", "", "", "", "", "accepted", "rejected"]) if r < 0.1 else ""
        out.append(Point(t, value, review=review, corrected=rng.random() < 0.02))
    return out


@pytest.mark.parametrize("seed", range(12))
def test_daily_totals_sum_to_the_period_volume(seed):
    rules = Rules(register_max=D(20_000), max_flow_m3s=D(2), gap_s=D(7200))
    rng = random.Random(seed)
    series = _random_series(rng, 300, rules)
    days = daily_totals(series, rules)
    first, last = min(days), max(days)
    period = volume_between(
        series,
        rules,
        dt.datetime(first.year, first.month, first.day, tzinfo=BEIJING),
        dt.datetime(last.year, last.month, last.day, tzinfo=BEIJING) + dt.timedelta(days=1),
    )
    assert sum(d.measured for d in days.values()) == pytest.approx(period.measured, abs=D("0.00001"))
    assert sum(d.estimated for d in days.values()) == pytest.approx(period.estimated, abs=D("0.00001"))
    assert sum(d.corrected for d in days.values()) == pytest.approx(period.corrected, abs=D("0.00001"))
    assert sum(d.held for d in days.values()) == pytest.approx(period.held, abs=D("0.00001"))
    assert sum(d.n_flagged for d in days.values()) == len(period.flagged)


@pytest.mark.parametrize("seed", range(12))
def test_appending_adds_exactly_what_a_full_recompute_gives(seed):
    """The ingest's append path: the days of the whole series equal the days of a prefix plus what
    daily_totals(…, since=last of prefix) adds for the rest."""
    rules = Rules(register_max=D(20_000), max_flow_m3s=D(2), gap_s=D(7200))
    rng = random.Random(100 + seed)
    series = _random_series(rng, 200, rules)
    cut = rng.randint(5, 190)
    prefix, rest = series[:cut], series[cut:]
    # The append path sees only the last three non-rejected readings of the prefix (and a rejected
    # one after them when the prefix ends with one).
    kept = [p for p in prefix if p.review != "rejected"][-3:]
    if prefix[-1].review == "rejected":
        kept.append(prefix[-1])
    increment = daily_totals([*kept, *rest], rules, since=prefix[-1].at)
    combined = dict(daily_totals(prefix, rules))
    for day, t in increment.items():
        base = combined.get(day)
        if base is None:
            combined[day] = t
            continue
        for name in ("measured", "estimated", "corrected", "held", "covered_s", "n_readings", "n_flagged"):
            setattr(base, name, getattr(base, name) + getattr(t, name))
    full = daily_totals(series, rules)
    assert set(combined) == set(full)
    for day, t in full.items():
        c = combined[day]
        assert c.measured == pytest.approx(t.measured, abs=D("0.000002")), day
        assert c.estimated == pytest.approx(t.estimated, abs=D("0.000002")), day
        assert c.corrected == pytest.approx(t.corrected, abs=D("0.000002")), day
        assert c.held == pytest.approx(t.held, abs=D("0.000002")), day
        assert c.covered_s == pytest.approx(t.covered_s, abs=1e-6), day
        assert (c.n_readings, c.n_flagged) == (t.n_readings, t.n_flagged), day


def test_coverage_and_active_time():
    installed = at(1, 12)
    assert active_seconds(installed, None, at(1), at(2)) == 12 * 3600
    assert active_seconds(installed, at(1, 18), at(1), at(2)) == 6 * 3600
    assert active_seconds(installed, None, at(5), at(1, 0, 0, month=4)) == 27 * 86400
    assert coverage(43200, 86400) == 0.5
    assert coverage(0, 0) is None


def test_provenance_label_of_a_sum():
    from water.volume_engine import provenance_of

    assert provenance_of(D(1), D(0), D(0)) is Provenance.MEASURED
    assert provenance_of(D(1), D(1), D(0)) is Provenance.ESTIMATED
    assert provenance_of(D(1), D(1), D(1)) is Provenance.CORRECTED
