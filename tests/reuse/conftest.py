"""A small reclaimed-water ledger on the shared test geography: one plant in each district
(650102 Tianshan east, 650103 Saybagh west), users of several classes, a pump station and a pipeline."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

import pytest
from django.contrib.gis.geos import LineString, Point

from accounts.scope import SYSTEM_SCOPE
from reuse import services
from reuse.choices import ProjectKind, ProjectStatus, SubUse

ACTOR = "test"


def pt(x: float, y: float) -> Point:
    return Point(x, y, srid=4326)


@pytest.fixture
def ledger(geography: dict[str, Any]) -> dict[str, Any]:
    plant_e = services.plant_create(
        scope=SYSTEM_SCOPE,
        actor=ACTOR,
        code="P-E",
        name="东区污水处理厂",
        division_code="650102",
        location=pt(87.7, 43.8),
        design_capacity_m3d=Decimal(100_000),
    )
    plant_w = services.plant_create(
        scope=SYSTEM_SCOPE,
        actor=ACTOR,
        code="P-W",
        name="西区污水处理厂",
        division_code="650103",
        location=pt(87.5, 43.8),
        design_capacity_m3d=Decimal(50_000),
    )
    u_green = services.water_user_create(
        scope=SYSTEM_SCOPE,
        actor=ACTOR,
        code="U-GREEN",
        name="绿化",
        division_code="650102",
        sub_use=SubUse.GREENING,
        plant_code="P-E",
    )
    u_eco = services.water_user_create(
        scope=SYSTEM_SCOPE,
        actor=ACTOR,
        code="U-ECO",
        name="生态补水",
        division_code="650102",
        sub_use=SubUse.ECOLOGICAL_REPLENISHMENT,
        plant_code="P-E",
    )
    u_cool = services.water_user_create(
        scope=SYSTEM_SCOPE,
        actor=ACTOR,
        code="U-COOL",
        name="冷却",
        division_code="650103",
        sub_use=SubUse.COOLING,
        plant_code="P-W",
    )
    station = services.project_create(
        scope=SYSTEM_SCOPE,
        actor=ACTOR,
        code="PS-E",
        name="东区提升泵站",
        kind=ProjectKind.PUMP_STATION,
        division_code="650102",
        plant_code="P-E",
        status=ProjectStatus.COMPLETED,
        started_on=dt.date(2024, 3, 1),
        completed_on=dt.date(2024, 8, 1),
        capacity_m3d=Decimal(20_000),
        location=pt(87.71, 43.81),
    )
    pipeline = services.project_create(
        scope=SYSTEM_SCOPE,
        actor=ACTOR,
        code="PL-W",
        name="西区再生水管网",
        kind=ProjectKind.PIPELINE,
        division_code="650103",
        plant_code="P-W",
        status=ProjectStatus.UNDER_CONSTRUCTION,
        started_on=dt.date(2024, 3, 1),
        route=LineString([(87.45, 43.7), (87.5, 43.75), (87.55, 43.76)], srid=4326),
        diameter_mm=400,
        material="pe",
    )
    return {
        **geography,
        "plant_e": plant_e,
        "plant_w": plant_w,
        "u_green": u_green,
        "u_eco": u_eco,
        "u_cool": u_cool,
        "station": station,
        "pipeline": pipeline,
    }


def month(m: int, year: int = 2024) -> dt.date:
    return dt.date(year, m, 1)
