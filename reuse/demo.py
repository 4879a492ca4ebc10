"""Demo reclaimed-water ledger for 2024, and 2023 as its year-on-year base (load_demo). DEMO DATA, NOT
RECORDS: the plants, projects and users are those the seed report names (河西 and 城北新区 tail-water
reuse, the 2 万 t/d lift pump station and the 24 km pipeline in the Midong chemical park), with
invented codes, capacities, dates, positions and volumes shaped to the report's story: tail water
goes to greening in summer, the park's network starts in September 2024 (2023 has none of it).
Never load in production.

Idempotent: rows are found by code and left as they are when nothing changed; volumes are written
with replace, so a second run changes nothing and a changed table here corrects the stored months.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

from django.contrib.gis.geos import LineString, Point

from accounts.scope import SYSTEM_SCOPE
from core.geo import WGS84_SRID
from places.models import Division
from reuse.choices import (
    EffluentStandard,
    PipeMaterial,
    PlantKind,
    ProjectKind,
    ProjectStatus,
    SubUse,
    UseClass,
    VolumeSource,
)
from reuse.models import Plant, Project, WaterUser
from reuse.months import days_in_month
from reuse.services import (
    deliveries_record,
    plant_create,
    plant_update,
    plant_volumes_record,
    project_create,
    project_update,
    water_user_create,
    water_user_update,
)

ACTOR = "load_demo"
YEAR = 2024

HEXI, CHENGBEI, PARK = "WWTP-650104-01", "WWTP-650109-01", "WWTP-650109-02"

PLANTS: list[dict[str, Any]] = [
    {
        "code": HEXI,
        "name": "河西污水处理厂",
        "kind": PlantKind.MUNICIPAL,
        "division_code": "650104",
        "location": (87.555, 43.92),
        "design_capacity_m3d": Decimal(200_000),
        "actual_capacity_m3d": Decimal(180_000),
        "effluent_standard": EffluentStandard.GB18918_1A,
        "commissioned_on": dt.date(2008, 10, 1),
        "operator_name": "乌鲁木齐市排水公司 (demo)",
    },
    {
        "code": CHENGBEI,
        "name": "城北新区污水处理厂",
        "kind": PlantKind.MUNICIPAL,
        "division_code": "650109",
        "location": (87.66, 44.03),
        "design_capacity_m3d": Decimal(100_000),
        "actual_capacity_m3d": Decimal(90_000),
        "effluent_standard": EffluentStandard.GB18918_1A,
        "commissioned_on": dt.date(2015, 6, 30),
        "operator_name": "乌鲁木齐市排水公司 (demo)",
    },
    {
        "code": PARK,
        "name": "米东化工园区污水处理厂",
        "kind": PlantKind.INDUSTRIAL_PARK,
        "division_code": "650109",
        "location": (87.695, 44.054),
        "design_capacity_m3d": Decimal(30_000),
        "actual_capacity_m3d": Decimal(25_000),
        "effluent_standard": EffluentStandard.GB18918_1A,
        "commissioned_on": dt.date(2012, 9, 1),
        "operator_name": "米东化工园区管委会 (demo)",
    },
]

# Geodesic length 24.004 km on WGS84 (the report's "24公里再生水管网"); the test checks it is 24 km ± 1 %.
PIPELINE_ROUTE = [(87.7, 44.06), (87.742, 44.083), (87.79, 44.101), (87.833, 44.127), (87.9077, 44.2096)]

PROJECTS: list[dict[str, Any]] = [
    {
        "code": "RP-650104-01",
        "name": "河西污水处理厂尾水回用工程",
        "kind": ProjectKind.TAIL_WATER_REUSE,
        "division_code": "650104",
        "plant_code": HEXI,
        "status": ProjectStatus.OPERATING,
        "started_on": dt.date(2023, 9, 1),
        "completed_on": dt.date(2024, 4, 20),
        "operating_since": dt.date(2024, 5, 1),
        "investment_yuan": Decimal("86000000.00"),
        "capacity_m3d": Decimal(60_000),
        "location": (87.555, 43.92),
        "description": "尾水深度处理后夏季全部用于绿化灌溉 (demo)",
    },
    {
        "code": "RP-650109-01",
        "name": "城北新区污水处理厂尾水回用工程",
        "kind": ProjectKind.TAIL_WATER_REUSE,
        "division_code": "650109",
        "plant_code": CHENGBEI,
        "status": ProjectStatus.OPERATING,
        "started_on": dt.date(2023, 10, 1),
        "completed_on": dt.date(2024, 4, 25),
        "operating_since": dt.date(2024, 5, 1),
        "investment_yuan": Decimal("42000000.00"),
        "capacity_m3d": Decimal(30_000),
        "location": (87.66, 44.03),
        "description": "尾水深度处理后夏季全部用于绿化灌溉 (demo)",
    },
    {
        "code": "RP-650109-02",
        "name": "米东化工园区再生水提升泵站",
        "kind": ProjectKind.PUMP_STATION,
        "division_code": "650109",
        "plant_code": PARK,
        "status": ProjectStatus.OPERATING,
        "started_on": dt.date(2024, 3, 15),
        # The seed report (published 2024-08-21, its figures "截至2024年6月底") calls it finished.
        "completed_on": dt.date(2024, 6, 28),
        "operating_since": dt.date(2024, 7, 1),
        "investment_yuan": Decimal("23500000.00"),
        "capacity_m3d": Decimal(20_000),
        "location": (87.7, 44.06),
        "description": "2万吨/日再生水提升泵站 (demo)",
    },
    {
        "code": "RP-650109-03",
        "name": "米东化工园区再生水管网",
        "kind": ProjectKind.PIPELINE,
        "division_code": "650109",
        "plant_code": PARK,
        "status": ProjectStatus.OPERATING,
        "started_on": dt.date(2024, 3, 15),
        # The seed report (published 2024-08-21, its figures "截至2024年6月底") calls it finished.
        "completed_on": dt.date(2024, 6, 28),
        "operating_since": dt.date(2024, 7, 1),
        "investment_yuan": Decimal("61000000.00"),
        "capacity_m3d": Decimal(20_000),
        "route": PIPELINE_ROUTE,
        "diameter_mm": 600,
        "material": PipeMaterial.DUCTILE_IRON,
        "description": "24公里再生水管网, 再生水用于园区绿化、工业生产 (demo)",
    },
]

USERS: list[dict[str, Any]] = [
    {
        "code": "RU-650104-01",
        "name": "新市区园林绿化",
        "division_code": "650104",
        "plant_code": HEXI,
        "sub_use": SubUse.GREENING,
        "contract_volume_m3": Decimal(12_000_000),
        "location": (87.57, 43.9),
    },
    {
        "code": "RU-650104-02",
        "name": "北湖景观水体",
        "division_code": "650104",
        "plant_code": HEXI,
        "sub_use": SubUse.LANDSCAPE,
        "contract_volume_m3": Decimal(2_500_000),
        "location": (87.585, 43.95),
    },
    {
        "code": "RU-650104-03",
        "name": "乌鲁木齐河生态补水",
        "division_code": "650104",
        "plant_code": HEXI,
        "sub_use": SubUse.ECOLOGICAL_REPLENISHMENT,
        "contract_volume_m3": Decimal(3_500_000),
        "location": (87.6, 43.96),
    },
    {
        "code": "RU-650104-04",
        "name": "环卫道路清扫 (未计量)",
        "division_code": "650104",
        "plant_code": HEXI,
        "sub_use": SubUse.ROAD_CLEANING,
        "contract_volume_m3": Decimal(500_000),
        "metered": False,
    },
    {
        "code": "RU-650109-01",
        "name": "米东区苗圃",
        "division_code": "650109",
        "plant_code": CHENGBEI,
        "sub_use": SubUse.NURSERY,
        "contract_volume_m3": Decimal(1_000_000),
        "location": (87.68, 44.08),
    },
    {
        "code": "RU-650109-02",
        "name": "城北新区绿化",
        "division_code": "650109",
        "plant_code": CHENGBEI,
        "sub_use": SubUse.GREENING,
        "contract_volume_m3": Decimal(6_000_000),
        "location": (87.65, 44.05),
    },
    {
        "code": "RU-650109-03",
        "name": "米东区地下水回补",
        "division_code": "650109",
        "plant_code": CHENGBEI,
        "sub_use": SubUse.GROUNDWATER_RECHARGE,
        "contract_volume_m3": Decimal(1_200_000),
        "location": (87.7, 44.0),
    },
    {
        "code": "RU-650109-04",
        "name": "化工园区热电厂冷却水",
        "division_code": "650109",
        "plant_code": PARK,
        "sub_use": SubUse.COOLING,
        "contract_volume_m3": Decimal(3_650_000),
        "location": (87.79, 44.101),
    },
    {
        "code": "RU-650109-05",
        "name": "化工园区企业工艺用水",
        "division_code": "650109",
        "plant_code": PARK,
        "sub_use": SubUse.PROCESS,
        "contract_volume_m3": Decimal(1_460_000),
        "location": (87.833, 44.127),
    },
    {
        "code": "RU-650109-06",
        "name": "化工园区绿化",
        "division_code": "650109",
        "plant_code": PARK,
        "sub_use": SubUse.GREENING,
        "contract_volume_m3": Decimal(200_000),
        "location": (87.742, 44.083),
    },
]

# Wastewater treated per day (m³/d) and its seasonal factor by month (more in summer).
TREATED_M3D = {HEXI: 175_000, CHENGBEI: 85_000, PARK: 22_000}
SEASON = [0.94, 0.93, 0.96, 0.99, 1.03, 1.06, 1.08, 1.08, 1.04, 1.0, 0.96, 0.94]
SUMMER, SHOULDER, GROWING = (5, 6, 7, 8, 9), (4, 10), (4, 5, 6, 7, 8, 9, 10)
PARK_NETWORK = (9, 10, 11, 12)  # the pump station and pipeline operate from 2024-09-01

# Per user (or per unmetered use): m³/d delivered in a month, by month number. Greening in summer is
# ordinary data: the tail water of both plants "夏季全部用于绿化灌溉".
DAILY_USE: dict[str, Any] = {
    "RU-650104-01": lambda m: 62_000 if m in SUMMER else 25_000 if m in SHOULDER else 0,
    "RU-650104-02": lambda m: 6_000,
    "RU-650104-03": lambda m: 15_000 if m in GROWING else 0,
    "RU-650109-01": lambda m: 5_000 if m in (4, 5, 6, 7, 8, 9) else 0,
    "RU-650109-02": lambda m: 30_000 if m in SUMMER else 12_000 if m in SHOULDER else 0,
    "RU-650109-03": lambda m: 3_000,
    "RU-650109-04": lambda m: 10_000 if m in PARK_NETWORK else 0,
    "RU-650109-05": lambda m: 4_000 if m in PARK_NETWORK else 0,
    "RU-650109-06": lambda m: 2_000 if m in (9, 10) else 0,
}
UNMETERED: list[tuple[str, str, Any]] = [
    # plant, sub-use, m³/d by month: road cleaning trucks fill at the plant, counted by trips, not metered.
    (HEXI, SubUse.ROAD_CLEANING, lambda m: 2_000 if m in GROWING else 0),
]
# Produced = delivered plus what the plant's network loses and uses itself.
PRODUCTION_OVERHEAD = Decimal("1.03")
# 2023, the year-on-year base: the plants treated 3 % less and their users took 8 % less.
PREVIOUS_YEAR = 2023
PREVIOUS_TREATED = Decimal("0.97")
PREVIOUS_DELIVERED = Decimal("0.92")


def _point(xy: tuple[float, float]) -> Point:
    return Point(*xy, srid=WGS84_SRID)


def _upsert(model: type[Any], create: Any, update: Any, spec: dict[str, Any], obj_key: str) -> None:
    existing = model.objects.filter(code=spec["code"]).first()
    if existing is None:
        create(actor=ACTOR, scope=SYSTEM_SCOPE, **spec)
        return
    changes = {k: v for k, v in spec.items() if k not in ("code", "status")}
    for old, new in (("division_code", "division"), ("plant_code", "plant")):
        if old in changes:
            changes[new] = changes.pop(old)
    update(**{obj_key: existing}, actor=ACTOR, scope=SYSTEM_SCOPE, changes=changes)


def monthly_tables(year: int = YEAR) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """The plant volumes and deliveries of 2024, or of 2023 (the year-on-year base: a little less
    treated and delivered, and nothing through the Midong park network, built in 2024). Pure: also
    used by the tests."""
    plant_of = {u["code"]: u["plant_code"] for u in USERS}
    volumes: list[dict[str, Any]] = []
    deliveries: list[dict[str, Any]] = []
    previous = year == PREVIOUS_YEAR
    for m in range(1, 13):
        month = dt.date(year, m, 1)
        days = days_in_month(month)
        delivered = dict.fromkeys(TREATED_M3D, Decimal(0))
        for code, per_day in DAILY_USE.items():
            if previous and plant_of[code] == PARK:
                continue  # the park's pump station and pipeline were built in 2024
            volume = Decimal(per_day(m) * days)
            if previous:
                volume = (volume * PREVIOUS_DELIVERED).quantize(Decimal(1))
            if volume:
                deliveries.append({"user": code, "month": month, "volume_m3": volume})
                delivered[plant_of[code]] += volume
        for plant, sub_use, per_day in UNMETERED:
            volume = Decimal(per_day(m) * days)
            if volume:
                deliveries.append(
                    {
                        "plant": plant,
                        "use_class": UseClass.URBAN,
                        "sub_use": sub_use,
                        "month": month,
                        "volume_m3": volume,
                    }
                )
                delivered[plant] += volume
        for plant, per_day in TREATED_M3D.items():
            treated = Decimal(per_day) * Decimal(str(SEASON[m - 1])) * days
            treated = (treated * (PREVIOUS_TREATED if previous else 1)).quantize(Decimal(1))
            produced = (delivered[plant] * PRODUCTION_OVERHEAD).quantize(Decimal(1))
            volumes.append({"plant": plant, "month": month, "treated_m3": treated, "produced_m3": produced})
    return volumes, deliveries


def load_reuse_demo(*, stdout: Any = None, **_: Any) -> None:
    if Division.objects.filter(code__in=["650104", "650109"]).count() != 2:
        if stdout is not None:
            stdout.write("reuse: the demo districts 650104 and 650109 are missing (load the places demo first)")
        return
    for spec in PLANTS:
        _upsert(Plant, plant_create, plant_update, {**spec, "location": _point(spec["location"])}, "plant")
    for spec in PROJECTS:
        geo: dict[str, Any] = {}
        if "location" in spec:
            geo["location"] = _point(spec["location"])
        if "route" in spec:
            geo["route"] = LineString(spec["route"], srid=WGS84_SRID)
        _upsert(Project, project_create, project_update, {**spec, **geo}, "project")
    for spec in USERS:
        geo = {"location": _point(spec["location"])} if "location" in spec else {}
        _upsert(WaterUser, water_user_create, water_user_update, {**spec, **geo}, "user")
    previous_volumes, previous_deliveries = monthly_tables(PREVIOUS_YEAR)
    volumes, deliveries = monthly_tables()
    volumes, deliveries = previous_volumes + volumes, previous_deliveries + deliveries
    plant_volumes_record(rows=volumes, actor=ACTOR, source=VolumeSource.DEMO, replace=True, scope=SYSTEM_SCOPE)
    deliveries_record(rows=deliveries, actor=ACTOR, source=VolumeSource.DEMO, replace=True, scope=SYSTEM_SCOPE)
