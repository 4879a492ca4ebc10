"""Quality fixtures on top of the shared geography: a river section on each reach, a point on each
lake, and a drinking-water source on the Tianshan (650102) reservoir."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import Any

import pytest
from django.contrib.gis.geos import Point

from core.periods import BEIJING
from quality import gb3838
from quality.models import Sample, Section
from quality.services import SampleInput, samples_record, section_create


def beijing(year: int, month: int, day: int = 10, hour: int = 10) -> dt.datetime:
    return dt.datetime(year, month, day, hour, tzinfo=BEIJING)


@pytest.fixture
def sections(geography: dict[str, Any]) -> dict[str, Section]:
    g = geography
    return {
        "river_e": section_create(
            code="QS-E-R",
            name="天山区断面",
            category="river",
            reach=g["reach_e"],
            location=Point(87.65, 43.85),
            target_class=3,
            actor="test",
        ),
        "river_w": section_create(
            code="QS-W-R",
            name="沙区断面",
            category="river",
            reach=g["reach_w"],
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


@pytest.fixture
def record(db: Any) -> Callable[..., Sample]:
    """record(section, when, {"w21003": 0.5, ...}, source="manual") → the stored sample."""

    def make(section: Section, when: dt.datetime, values: dict[str, Any], *, source: str = "manual") -> Sample:
        measurements, errors = gb3838.parse_values(values)
        assert not errors, errors
        result = samples_record(
            samples=[SampleInput(section, when, source, tuple(measurements.values()))], actor="test"
        )
        return (result.created or result.amended or result.duplicates)[0]

    return make
