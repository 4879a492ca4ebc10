"""One shared read of the daily rows (water.plan_selectors.shared_month_sums): inside a block every
window's figures equal those read window by window outside one, whatever order the windows come in
(months cut at either edge, a window across the new year, a locked month with an amendment after the
lock), and the block reads each table's year once however many windows it serves."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from core import periods
from tests.water.plan_fixtures import ALL, city_plan, midnight, q1_use
from water import plan_selectors, plan_services, services
from water.models import DailyVolume, LockedDailyVolume, Reading
from water.plan_selectors import _intakes, _sums, _window_use, shared_month_sums

pytestmark = pytest.mark.django_db
D = Decimal

WINDOWS = [
    (dt.date(2024, 1, 1), dt.date(2024, 3, 31)),  # Q1: whole months
    (dt.date(2024, 2, 1), dt.date(2024, 2, 29)),  # one whole month
    (dt.date(2024, 1, 15), dt.date(2024, 2, 10)),  # cut at both edges
    (dt.date(2024, 2, 29), dt.date(2024, 3, 1)),  # two cut months, one day each
    (dt.date(2024, 1, 10), dt.date(2024, 1, 20)),  # inside one month
    (dt.date(2024, 3, 10), dt.date(2024, 6, 30)),  # cut start, whole months on
    (dt.date(2024, 1, 1), dt.date(2024, 12, 31)),  # the year (the red lines)
    (dt.date(2023, 12, 15), dt.date(2024, 1, 10)),  # across the new year
    (dt.date(2023, 1, 1), dt.date(2023, 12, 31)),  # a year without rows
]


@pytest.fixture
def ledger(geography, water):
    """The Q1 use of plan_fixtures (E 100/200/100 m³ a day, W 50), January locked for Tianshan (E),
    then the reading of 1 February 00:00 corrected 50 m³ down (31 January 50 m³ less, 1 February 50
    more: an amendment after the lock)."""
    q1_use(water)
    city_plan(geography, water)
    plan_services.ledger_lock(actor="test", scope=ALL, division=geography["tianshan"], month=dt.date(2024, 1, 1))
    reading = Reading.objects.get(meter=water.meter_e, observed_at=midnight(dt.date(2024, 2, 1)))
    services.reading_correct(reading=reading, cumulative_m3=D(4050), reason="transcription", actor="test")
    return water


def _separately() -> list[object]:
    intakes, meters = _intakes(ALL, None)
    out: list[object] = []
    for first, last in WINDOWS:
        out.append(_window_use(intakes, meters, first, last))
        out.append(_sums(DailyVolume, meters, first, last))
        out.append(_sums(LockedDailyVolume, meters, first, last))
    return out


@pytest.mark.parametrize("order", ["forward", "backward"])
def test_a_shared_read_gives_the_figures_of_separate_reads(ledger, order):
    expected = _separately()
    assert plan_selectors._SHARED.get() is None
    windows = WINDOWS if order == "forward" else WINDOWS[::-1]
    with shared_month_sums():
        intakes, meters = _intakes(ALL, None)
        got = {}
        for first, last in windows:
            got[(first, last)] = [
                _window_use(intakes, meters, first, last),
                _sums(DailyVolume, meters, first, last),
                _sums(LockedDailyVolume, meters, first, last),
            ]
    assert [x for w in WINDOWS for x in got[w]] == expected
    # The lock and its amendment are in the figures compared: E's January as locked (3,100), now 50
    # m³ less, which February gained.
    q1 = expected[0]
    assert isinstance(q1, dict)
    e = q1[ledger.intake_e.pk]
    assert (e.use, e.amend) == (D(3100 + 5850 + 3100), D(-50))


def _daily_sums(ctx: CaptureQueriesContext) -> list[str]:
    """The grouped sums over the daily rows among the captured queries."""
    return [
        q["sql"]
        for q in ctx.captured_queries
        if '"water_dailyvolume"' in q["sql"] and 'SUM("water_dailyvolume"."measured_m3")' in q["sql"]
    ]


def test_a_shared_read_reads_each_year_once(ledger):
    with CaptureQueriesContext(connection) as ctx, shared_month_sums():
        for period in (periods.quarter(2024, 1), periods.half_year(2024, 1), periods.year(2024)):
            plan_selectors.plan_summary(scope=ALL, period=period, today=dt.date(2025, 1, 1))
        plan_selectors.redline_summary(scope=ALL, year=2024)
        plan_selectors.volume_by_provenance(scope=ALL, period=periods.quarter(2024, 1))
    # Each month read once: January–March (Q1 and its year to date), April–June (the half year), then
    # July–December (the year; the red lines, and Q1 again, need nothing more).
    reads = _daily_sums(ctx)
    assert len(reads) == 3
    for start in ("2024-01-01", "2024-04-01", "2024-07-01"):
        assert sum(f"'{start}'" in sql for sql in reads) == 1
    # Only the months a window cuts are read again: the year, then 15–31 January and 1–10 February (one
    # query) for the range, and 1–10 February for its year to date.
    with CaptureQueriesContext(connection) as ctx, shared_month_sums():
        plan_selectors.plan_summary(scope=ALL, period=periods.year(2024), today=dt.date(2025, 1, 1))
        rng = periods.date_range(dt.date(2024, 1, 15), dt.date(2024, 2, 10))
        plan_selectors.plan_summary(scope=ALL, period=rng, today=dt.date(2025, 1, 1))
    assert len(_daily_sums(ctx)) == 3


def test_volume_by_provenance(ledger):
    v = plan_selectors.volume_by_provenance(scope=ALL, period=periods.quarter(2024, 1))
    e, w = v[ledger.intake_e.pk], v[ledger.intake_w.pk]
    # The rows as they stand now (the lock aside): 50 m³ moved from January to February.
    assert (e.measured_m3 + e.corrected_m3 + e.estimated_m3, e.held_m3) == (D(12000), 0)
    assert w.measured_m3 + w.corrected_m3 + w.estimated_m3 == D(4550)


@pytest.mark.parametrize("shared", [False, True])
def test_month_use_adds_up_to_the_summary_use_month_by_month(ledger, shared):
    """The dashboard's monthly chart (month_use): each month the use plan_summary reports for that month
    (January as locked), and the months add up to the period's use; inside a shared read it costs no
    read of the daily rows beyond the report's own."""
    q1 = periods.quarter(2024, 1)
    if shared:
        with shared_month_sums():
            summary = plan_selectors.plan_summary(scope=ALL, period=q1)
            with CaptureQueriesContext(connection) as ctx:
                months = plan_selectors.month_use(scope=ALL, period=q1)
            assert not [q for q in ctx.captured_queries if "water_dailyvolume" in q["sql"]]
    else:
        summary = plan_selectors.plan_summary(scope=ALL, period=q1)
        months = plan_selectors.month_use(scope=ALL, period=q1)
    assert [m for m, _ in months] == [dt.date(2024, 1, 1), dt.date(2024, 2, 1), dt.date(2024, 3, 1)]
    assert sum(v for _, v in months) == summary.use_m3
    for month, value in months:
        one = plan_selectors.plan_summary(scope=ALL, period=periods.month(2024, month.month))
        assert value == one.use_m3
    # E's January as locked (3,100 m³) plus W's 50 m³ a day: the correction after the lock is February's.
    assert months[0][1] == D(3100 + 31 * 50)


def test_period_plan_use_gives_the_summary_figures_of_the_period_alone(ledger):
    """The map's reader (period_plan_use): per intake the use, plan, ratio and tier plan_summary gives,
    for windows whole, cut and locked, with one pass over the period's daily rows (not the year's)."""
    for first, last in WINDOWS:
        period = periods.date_range(first, last)
        summary = plan_selectors.plan_summary(scope=ALL, period=period)
        with CaptureQueriesContext(connection) as ctx:
            got = plan_selectors.period_plan_use(scope=ALL, period=period)
        assert {r.intake_id: (r.use_m3, r.plan_m3, r.ratio, r.tier) for r in summary.intakes} == {
            iid: (g.use_m3, g.plan_m3, g.ratio, g.tier) for iid, g in got.items()
        }, (first, last)
        assert len([q for q in ctx.captured_queries if "water_dailyvolume" in q["sql"]]) <= 1
    jan = plan_selectors.period_plan_use(scope=ALL, period=periods.month(2024, 1))[ledger.intake_e.pk]
    assert jan.use_m3 == D(3100)  # as locked, before the correction after the lock


def test_month_use_by_intake_gives_each_months_use_and_amendment(ledger):
    """The console's plan page and month-lock calendar (month_use_by_intake): per intake and month the
    use plan_summary reports for that month (January as locked) and the amendment after its lock."""
    q1 = periods.quarter(2024, 1)
    got = plan_selectors.month_use_by_intake(scope=ALL, period=q1)
    for m in (1, 2, 3):
        one = plan_selectors.plan_summary(scope=ALL, period=periods.month(2024, m))
        for r in one.intakes:
            use, amend = got.get((r.intake_id, dt.date(2024, m, 1)), (D(0), D(0)))
            assert (use, amend) == (r.use_m3, r.amendments_after_lock_m3), (m, r.code)
    # E's January as locked, and the correction that moved 50 m³ out of 31 January after the lock.
    assert got[(ledger.intake_e.pk, dt.date(2024, 1, 1))] == (D(3100), D(-50))
    assert got[(ledger.intake_e.pk, dt.date(2024, 2, 1))][1] == D(0)  # February is not locked
