"""Fixtures of the water tests: two intakes (one per district of the shared geography), a meter on
each with its own device account, and helpers to build reading rows."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from decimal import Decimal
from types import SimpleNamespace
from typing import Any

import pytest
from django.contrib.gis.geos import Point

from accounts.choices import Role
from core.periods import BEIJING
from water import services
from water.models import DailyVolume

T0 = dt.datetime(2024, 1, 1, tzinfo=BEIJING)


def hours(n: float) -> dt.timedelta:
    return dt.timedelta(hours=n)


def rows(serial: str, start: dt.datetime, values: list[float], *, step: dt.timedelta = dt.timedelta(hours=1)) -> list:
    """JSON rows for one meter: values at start, start + step, …"""
    return [
        {"meter": serial, "observed_at": (start + i * step).isoformat(), "cumulative_m3": v}
        for i, v in enumerate(values)
    ]


def day_volumes(meter: Any) -> dict[dt.date, Decimal]:
    return {d.day: d.volume_m3 for d in DailyVolume.objects.filter(meter=meter).order_by("day")}


@pytest.fixture
def water(geography: dict[str, Any], users: dict[str, Any], make_user: Callable[..., Any]) -> SimpleNamespace:
    actor = "test"
    intake_e = services.intake_create(
        actor=actor,
        code="QSK-E",
        name="天山区取水口",
        source_type="river",
        river=geography["river"],
        location=Point(87.7, 43.9, srid=4326),
        division=geography["tianshan"],
        main_use="supply",
        capacity_m3s=Decimal(1),
        permitted_annual_m3=Decimal(600_000),
        permit_number="取水(新)字[2021]第001号",
        permit_holder="第一水厂",
        operators=[users["operator"]],
    )
    intake_w = services.intake_create(
        actor=actor,
        code="QSK-W",
        name="沙依巴克区水源井",
        source_type="groundwater",
        location=Point(87.5, 43.8, srid=4326),
        division=geography["saybagh"],
        main_use="industry",
        capacity_m3s=Decimal("0.5"),
        permitted_annual_m3=Decimal(40_000),
    )
    other_device = make_user(Role.DEVICE, "", username="t_device_w")
    meter_e = services.meter_create(
        actor=actor,
        intake=intake_e,
        serial="WM-E1",
        installed_at=T0,
        install_reading_m3=Decimal(1000),
        device=users["device"],
        register_max_m3=Decimal(1_000_000),
    )
    meter_w = services.meter_create(actor=actor, intake=intake_w, serial="WM-W1", installed_at=T0, device=other_device)
    return SimpleNamespace(
        intake_e=intake_e, intake_w=intake_w, meter_e=meter_e, meter_w=meter_w, other_device=other_device
    )
