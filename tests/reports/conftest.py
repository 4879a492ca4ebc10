"""A small fixed dataset for the report tests, on the shared geography (city 650100; Tianshan 650102
with reach_e and lake_e; Saybagh 650103 with reach_w and lake_w). Every figure the tests expect is
computed by hand from the rows below; the period is 2024 Q2 (1 April – 30 June, Beijing), compared
with 2023 Q2.

Patrols (completed unless said; person-times = companions + 1):
  P1 township chief_e, reach_e, 2024-04-10, 3,000 m, 2 companions (3), valid
  P2 township chief_e, reach_e, 2024-05-10, 4,500 m, 0 companions (1), valid
  P3 village chief_w, reach_w, 2024-06-30 23:30 BJ, 1,250 m, 1 companion (2), invalid, flagged (pending)
  P4 village chief_w, reach_w, 2024-07-01 00:10 BJ, 999 m (next quarter)
  P5 township chief_e, reach_e, 2024-05-20, in progress (not counted)
  P0 township chief_e, reach_e, 2023-05-01, 2,000 m, 1 companion (2), valid (last year)
Cases:
  C1 occupation, reach_e, found 2024-04-05, cleared on the spot the same day
  C2 dumping, reach_e, found 2024-04-20, assigned (deadline 2024-05-20), flagged overdue 2024-05-21
  C3 dumping, reach_e, found 2024-03-15, closed after verification 2024-04-15
  C4 construction, reach_w, found 2024-06-01, closed after verification 2024-07-03
  C5 other, reach_e, found 2024-06-15, reported
  C0 occupation, reach_e, found 2023-05-01, reported (last year)
Litter: reach_e 2024-04-02 1.250 t; reach_w 2024-06-30 0.500 t; reach_w 2024-07-01 9 t; reach_e
  2023-06-01 0.750 t.
Frequency rule (the seeded table replaced): township chiefs, one patrol a month, all year.
Quality (GB 3838, monthly samples April–June 2024): river_e class III, river_w IV, lake_e III, lake_w
  劣V, source_e good; 2023 Q2: river_e and river_w both class III.
Reuse: P-E treated 2,000,000 (Apr) + 2,000,000 (May), produced 500,000 + 600,000; P-W treated
  1,000,000 (Jun), produced 200,000; deliveries greening 300,000 (Apr) + 200,000 (May), ecological
  100,000 (May), cooling 150,000 (Jun). 2023: P-E treated 1,000,000 (Apr), greening 100,000 (Apr).
Water: meter WM-E1 (intake QSK-E, Tianshan) reads hourly from 2024-04-01 00:00 to 2024-07-01 00:00
  BJ, 10 m³ an hour (21,840 m³); WM-W1 nothing. Plan 2024 of 650100: QSK-E 10,000 m³ a month.
"""

from __future__ import annotations

import datetime as dt
import uuid
from decimal import Decimal
from types import SimpleNamespace
from typing import Any

import pytest
from django.contrib.gis.geos import LineString, Point

from accounts.choices import Role
from accounts.scope import SYSTEM_SCOPE, scope_for
from core.periods import BEIJING
from patrols.choices import CaseCategory, CaseClosure, CaseSource, CaseStatus, ReviewStatus
from patrols.models import Case, LitterRemoval, Patrol, PatrolFrequencyRule
from places.choices import ChiefLevel
from places.models import Division
from places.services import chief_assign
from quality import gb3838
from quality.services import SampleInput, samples_record, section_create
from reuse import services as reuse_services
from reuse.choices import SubUse
from tests.water.conftest import water  # noqa: F401 - the water fixture, reused

GOOD_RIVER = {"NH3-N": 0.8, "COD": 18, "TP": 0.15, "DO": 6.5}  # class III
IV_RIVER = {"NH3-N": 1.3, "COD": 18, "TP": 0.15, "DO": 6.5}  # class IV (NH3-N)
GOOD_LAKE = {"NH3-N": 0.3, "COD": 14, "TP": 0.045, "TN": 2.5}  # class III on the lake column
BAD_LAKE = {"NH3-N": 0.3, "COD": 14, "TP": 0.25}  # 劣Ⅴ on the lake column
SOURCE = {"NH3-N": 0.2, "COD": 12, "TP": 0.02, "sulfate": 80, "iron": {"value": 0.1, "unit": "mg/L"}}


def bj(y: int, m: int, d: int, h: int = 10, mi: int = 0) -> dt.datetime:
    return dt.datetime(y, m, d, h, mi, tzinfo=BEIJING)


def _track(reach: Any) -> LineString:
    coords = list(reach.geometry.coords)
    first = coords[0][0] if isinstance(coords[0][0], tuple) else coords[0]
    return LineString([first, (first[0] + 0.001, first[1] + 0.001)], srid=4326)


def make_patrol(
    chief: Any,
    reach: Any,
    level: str,
    started: dt.datetime,
    metres: float,
    companions: int,
    *,
    valid: bool = True,
    review: str = ReviewStatus.NOT_REQUIRED,
    completed: bool = True,
) -> Patrol:
    return Patrol.objects.create(
        id=uuid.uuid4(),
        chief=chief,
        reach=reach,
        level=level,
        status="completed" if completed else "in_progress",
        mode="foot",
        companions=companions,
        person_times=companions + 1,
        started_at=started,
        ended_at=started + dt.timedelta(hours=1) if completed else None,
        raw_track=_track(reach) if completed else None,
        distance_m=metres,
        valid=valid,
        review_status=review,
        flags=["stationary"] if review != ReviewStatus.NOT_REQUIRED else [],
    )


def make_case(
    reporter: Any, reach: Any, category: str, found: dt.datetime, status: str = CaseStatus.REPORTED, **kw: Any
) -> Case:
    return Case.objects.create(
        id=uuid.uuid4(),
        category=category,
        status=status,
        source=CaseSource.COMPLAINT,
        reach=reach,
        location=Point(87.7, 43.9, srid=4326),
        description="test",
        reporter=reporter,
        found_at=found,
        **kw,
    )


@pytest.fixture
def dataset(
    db: Any,
    geography: dict[str, Any],
    users: dict[str, Any],
    make_user: Any,
    water: Any,  # noqa: F811
    client_for: Any,
) -> SimpleNamespace:
    g = geography
    chief_e = users["chief_650102"]
    chief_w = make_user(Role.CHIEF, "650103", username="t_chief_w")
    chief_assign(
        chief=chief_e, level=ChiefLevel.TOWNSHIP, reach=g["reach_e"], valid_from=dt.date(2023, 1, 1), actor="t"
    )
    chief_assign(chief=chief_w, level=ChiefLevel.VILLAGE, reach=g["reach_w"], valid_from=dt.date(2023, 1, 1), actor="t")
    PatrolFrequencyRule.objects.all().delete()
    PatrolFrequencyRule.objects.create(
        level=ChiefLevel.TOWNSHIP, period="month", required_count=1, season_start_month=1, season_end_month=12
    )
    re, rw = g["reach_e"], g["reach_w"]
    T, V = ChiefLevel.TOWNSHIP, ChiefLevel.VILLAGE
    make_patrol(chief_e, re, T, bj(2024, 4, 10), 3000, 2)
    make_patrol(chief_e, re, T, bj(2024, 5, 10), 4500, 0)
    make_patrol(chief_w, rw, V, bj(2024, 6, 30, 23, 30), 1250, 1, valid=False, review=ReviewStatus.PENDING)
    make_patrol(chief_w, rw, V, bj(2024, 7, 1, 0, 10), 999, 0)
    make_patrol(chief_e, re, T, bj(2024, 5, 20), 0, 0, completed=False)
    make_patrol(chief_e, re, T, bj(2023, 5, 1), 2000, 1)

    staff = "t"
    make_case(
        chief_e,
        re,
        CaseCategory.OCCUPATION,
        bj(2024, 4, 5),
        CaseStatus.CLOSED,
        closed_via=CaseClosure.ON_SPOT,
        closed_at=bj(2024, 4, 5, 11),
    )
    make_case(
        chief_e,
        re,
        CaseCategory.DUMPING,
        bj(2024, 4, 20),
        CaseStatus.ASSIGNED,
        responsible_unit=staff,
        deadline=dt.date(2024, 5, 20),
        assigned_at=bj(2024, 4, 21),
        overdue_at=bj(2024, 5, 21, 0, 41),
    )
    make_case(
        chief_e,
        re,
        CaseCategory.DUMPING,
        bj(2024, 3, 15),
        CaseStatus.CLOSED,
        responsible_unit=staff,
        deadline=dt.date(2024, 4, 30),
        closed_via=CaseClosure.VERIFIED,
        closed_at=bj(2024, 4, 15),
    )
    make_case(
        chief_w,
        rw,
        CaseCategory.CONSTRUCTION,
        bj(2024, 6, 1),
        CaseStatus.CLOSED,
        responsible_unit=staff,
        deadline=dt.date(2024, 7, 30),
        closed_via=CaseClosure.VERIFIED,
        closed_at=bj(2024, 7, 3),
    )
    make_case(chief_e, re, CaseCategory.OTHER, bj(2024, 6, 15))
    make_case(chief_e, re, CaseCategory.OCCUPATION, bj(2023, 5, 1))

    admin = users["admin"]
    for reach, day, tonnes in (
        (re, dt.date(2024, 4, 2), "1.250"),
        (rw, dt.date(2024, 6, 30), "0.500"),
        (rw, dt.date(2024, 7, 1), "9"),
        (re, dt.date(2023, 6, 1), "0.750"),
    ):
        LitterRemoval.objects.create(reach=reach, removed_on=day, tonnes=Decimal(tonnes), recorded_by=admin)

    # Quality
    sec = {
        "river_e": section_create(
            code="QS-E-R",
            name="天山区断面",
            category="river",
            reach=re,
            location=Point(87.65, 43.85),
            target_class=3,
            actor="test",
        ),
        "river_w": section_create(
            code="QS-W-R",
            name="沙区断面",
            category="river",
            reach=rw,
            location=Point(87.5, 43.7),
            target_class=3,
            actor="test",
        ),
        "lake_e": section_create(
            code="QS-E-L",
            name="红雁池库心",
            category="lake",
            lake=g["lake_e"],
            location=Point(87.63, 43.71),
            target_class=3,
            actor="test",
        ),
        "lake_w": section_create(
            code="QS-W-L",
            name="西湖湖心",
            category="lake",
            lake=g["lake_w"],
            location=Point(87.43, 43.71),
            target_class=3,
            actor="test",
        ),
        "source_e": section_create(
            code="QS-E-S",
            name="红雁池水源地",
            category="drinking_source",
            lake=g["lake_e"],
            location=Point(87.625, 43.705),
            target_class=2,
            actor="test",
        ),
    }
    samples = []
    for m in (4, 5, 6):
        for key, values in (
            ("river_e", GOOD_RIVER),
            ("river_w", IV_RIVER),
            ("lake_e", GOOD_LAKE),
            ("lake_w", BAD_LAKE),
            ("source_e", SOURCE),
        ):
            samples.append((sec[key], bj(2024, m, 10), values))
        samples.append((sec["river_e"], bj(2023, m, 10), GOOD_RIVER))
        samples.append((sec["river_w"], bj(2023, m, 10), GOOD_RIVER))
    inputs = []
    for section, when, values in samples:
        measurements, errors = gb3838.parse_values(values)
        assert not errors, errors
        inputs.append(SampleInput(section, when, "manual", tuple(measurements.values())))
    samples_record(samples=inputs, actor="test")

    # Reuse
    reuse_services.plant_create(
        scope=SYSTEM_SCOPE,
        actor="t",
        code="P-E",
        name="东区污水处理厂",
        division_code="650102",
        location=Point(87.7, 43.8, srid=4326),
        design_capacity_m3d=Decimal(100_000),
    )
    reuse_services.plant_create(
        scope=SYSTEM_SCOPE,
        actor="t",
        code="P-W",
        name="西区污水处理厂",
        division_code="650103",
        location=Point(87.5, 43.8, srid=4326),
        design_capacity_m3d=Decimal(50_000),
    )
    for code, name, div, sub, plant in (
        ("U-GREEN", "绿化", "650102", SubUse.GREENING, "P-E"),
        ("U-ECO", "生态补水", "650102", SubUse.ECOLOGICAL_REPLENISHMENT, "P-E"),
        ("U-COOL", "冷却", "650103", SubUse.COOLING, "P-W"),
    ):
        reuse_services.water_user_create(
            scope=SYSTEM_SCOPE, actor="t", code=code, name=name, division_code=div, sub_use=sub, plant_code=plant
        )
    d = dt.date
    reuse_services.plant_volumes_record(
        scope=SYSTEM_SCOPE,
        actor="t",
        rows=[
            {"plant": "P-E", "month": d(2024, 4, 1), "treated_m3": Decimal(2_000_000), "produced_m3": Decimal(500_000)},
            {"plant": "P-E", "month": d(2024, 5, 1), "treated_m3": Decimal(2_000_000), "produced_m3": Decimal(600_000)},
            {"plant": "P-W", "month": d(2024, 6, 1), "treated_m3": Decimal(1_000_000), "produced_m3": Decimal(200_000)},
            {"plant": "P-E", "month": d(2023, 4, 1), "treated_m3": Decimal(1_000_000), "produced_m3": Decimal(200_000)},
        ],
    )
    reuse_services.deliveries_record(
        scope=SYSTEM_SCOPE,
        actor="t",
        rows=[
            {"user": "U-GREEN", "month": d(2024, 4, 1), "volume_m3": Decimal(300_000)},
            {"user": "U-GREEN", "month": d(2024, 5, 1), "volume_m3": Decimal(200_000)},
            {"user": "U-ECO", "month": d(2024, 5, 1), "volume_m3": Decimal(100_000)},
            {"user": "U-COOL", "month": d(2024, 6, 1), "volume_m3": Decimal(150_000)},
            {"user": "U-GREEN", "month": d(2023, 4, 1), "volume_m3": Decimal(100_000)},
        ],
    )

    # Water: hourly readings of WM-E1 through the quarter, 10 m³ an hour from its installation reading.
    start = bj(2024, 4, 1, 0)
    rows = [
        {"meter": "WM-E1", "observed_at": (start + dt.timedelta(hours=i)).isoformat(), "cumulative_m3": 1000 + 10 * i}
        for i in range(24 * 91 + 1)
    ]
    resp = client_for(admin).post("/api/v1/water/readings/", {"readings": rows}, format="json")
    assert resp.status_code == 201, resp.content
    return SimpleNamespace(
        chief_e=chief_e,
        chief_w=chief_w,
        sections=sec,
        water=water,
        admin=admin,
        scope=scope_for(admin),
        city=Division.objects.get(code="650100"),
    )


@pytest.fixture
def plan(dataset: SimpleNamespace) -> Any:
    """The 2024 plan of the city: QSK-E 10,000 m³ a month (so 30,000 m³ in Q2)."""
    from water.plan_services import AllocationLine, plan_create

    return plan_create(
        actor=dataset.admin,
        scope=dataset.scope,
        year=2024,
        division=dataset.city,
        title="2024年供用水计划",
        allocations=[
            AllocationLine(intake=dataset.water.intake_e, month=m, volume_m3=Decimal(10_000)) for m in range(1, 13)
        ],
    )
