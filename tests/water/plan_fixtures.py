"""Helpers of the plan, red-line and lock tests: daily readings with hand-computable volumes, and a
2024 city plan over the two intakes of the `water` fixture."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from decimal import Decimal
from typing import Any

from accounts.choices import Role
from accounts.scope import Scope
from core.periods import BEIJING
from water import plan_services, services
from water.choices import ReadingSource
from water.ingest import Row

ALL = Scope(user_id=None, role=Role.ADMIN, everything=True)
D = Decimal


def midnight(day: dt.date) -> dt.datetime:
    return dt.datetime(day.year, day.month, day.day, tzinfo=BEIJING)


def daily_meter(meter: Any) -> None:
    """A meter reporting once a day: a day between two midnights is measured, not a gap."""
    services.meter_update(meter=meter, actor="test", changes={"expected_interval_s": 86400})


def send_daily(meter: Any, start: dt.date, per_day: Sequence[float], start_value: float) -> float:
    """Readings at the Beijing midnights after `start` (the register at `start` must be stored
    already), `per_day[i]` m³ taken on day start + i. Returns the last register value."""
    value = start_value
    rows = []
    for i, v in enumerate(per_day):
        value += v
        rows.append(Row(i, meter.serial, midnight(start + dt.timedelta(days=i + 1)), D(str(value)), None))
    services.reading_ingest_batch(rows=rows, scope=ALL, source=ReadingSource.API, actor="test")
    return value


def send_at(meter: Any, at: dt.datetime, value: float, actor: Any = "test", scope: Scope = ALL) -> Any:
    return services.reading_ingest_batch(
        rows=[Row(0, meter.serial, at, D(str(value)), None)], scope=scope, source=ReadingSource.API, actor=actor
    )


def lines(intake: Any, months: Sequence[float], use: str = "") -> list[plan_services.AllocationLine]:
    return [plan_services.AllocationLine(intake, m + 1, D(str(v)), use) for m, v in enumerate(months)]


# The 2024 profile of the tests' city plan (m³ per month).
PLAN_E = [3100, 5000, 3100] + [3000] * 9  # year 38,200
PLAN_W = [1000] * 12  # year 12,000


def city_plan(geography: dict[str, Any], water: Any, actor: Any = "test") -> Any:
    return plan_services.plan_create(
        actor=actor,
        scope=ALL,
        year=2024,
        division=geography["city"],
        title="2024年乌鲁木齐市供用水计划",
        allocations=[*lines(water.intake_e, PLAN_E), *lines(water.intake_w, PLAN_W)],
    )


def q1_use(water: Any) -> None:
    """Intake E takes 100 m³/day in January and March and 200 m³/day in February; intake W 50 m³/day."""
    daily_meter(water.meter_e)
    daily_meter(water.meter_w)
    jan1 = dt.date(2024, 1, 1)
    send_daily(water.meter_e, jan1, [100] * 31 + [200] * 29 + [100] * 31, 1000)
    send_daily(water.meter_w, jan1, [50] * 91, 0)
