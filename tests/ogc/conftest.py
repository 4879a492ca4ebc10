"""Data for the OGC API tests: the shared geography plus intakes, reclaimed-water plants and cases."""

from __future__ import annotations

import datetime as dt
import uuid
from decimal import Decimal
from typing import Any

import pytest
from django.contrib.gis.geos import Point

from accounts.models import User
from accounts.scope import SYSTEM_SCOPE
from core.geo import WGS84_SRID
from patrols.choices import CaseCategory, CaseSource
from patrols.services import case_report
from reuse.services import plant_create
from water.services import intake_create

BJ = dt.timezone(dt.timedelta(hours=8))


def _pt(x: float, y: float) -> Point:
    return Point(x, y, srid=WGS84_SRID)


@pytest.fixture
def layers(geography: dict[str, Any], users: dict[str, User]) -> dict[str, Any]:
    """Two intakes (one in each district, the operator's in Tianshan), a plant in each district, and
    cases: two reported by the Tianshan chief on the east reach, one by the Saybagh reviewer on the
    west reach."""
    admin = users["admin"]
    intake_e = intake_create(
        actor=admin,
        code="QS-E",
        name="东取水口",
        source_type="river",
        location=_pt(87.7, 43.9),
        division=geography["tianshan"],
        main_use="industry",
        operators=[users["operator"]],
    )
    intake_w = intake_create(
        actor=admin,
        code="QS-W",
        name="西取水口",
        source_type="groundwater",
        location=_pt(87.5, 43.7),
        division=geography["saybagh"],
        main_use="supply",
    )
    plant_e = plant_create(
        scope=SYSTEM_SCOPE,
        actor=admin,
        code="WS-E",
        name="东污水厂",
        division_code="650102",
        location=_pt(87.65, 43.75),
        design_capacity_m3d=Decimal("100000"),
        commissioned_on=dt.date(2015, 6, 1),
    )
    plant_w = plant_create(
        scope=SYSTEM_SCOPE,
        actor=admin,
        code="WS-W",
        name="西污水厂",
        division_code="650103",
        location=_pt(87.45, 43.75),
        design_capacity_m3d=Decimal("50000"),
        commissioned_on=dt.date(2020, 1, 1),
    )
    chief = users["chief_650102"]
    cases = []
    for i, (who, reach, day, category) in enumerate(
        [
            (chief, geography["reach_e"], 3, CaseCategory.DUMPING),
            (chief, geography["reach_e"], 10, CaseCategory.OCCUPATION),
            (users["reviewer_650103"], geography["reach_w"], 5, CaseCategory.DUMPING),
        ]
    ):
        case, _ = case_report(
            actor=who,
            case_id=uuid.UUID(int=i + 1),
            category=category,
            source=CaseSource.COMPLAINT,
            reach=reach,
            location=_pt(87.7 if reach == geography["reach_e"] else 87.5, 43.85),
            description=f"case {i}",
            found_at=dt.datetime(2024, 3, day, 10, 0, tzinfo=BJ),
        )
        cases.append(case)
    return {"intake_e": intake_e, "intake_w": intake_w, "plant_e": plant_e, "plant_w": plant_w, "cases": cases}
