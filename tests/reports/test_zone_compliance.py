"""The report's red-line zone-compliance indicator comes from the water-function zones' sections
(issue 19 item 6): the zones judged over the red-line year to the period's end, zones without
sections on their declared compliance (marked "declared"), the entered figure only where no zone is
judged. Hand-computed: see tests/quality/test_zone_compliance.py for the zones."""

from __future__ import annotations

from decimal import Decimal

import pytest

from accounts.scope import scope_for
from core.periods import quarter, year
from places.models import Division
from quality.services import section_update
from reports.builders.water import _redlines

# The quality tests' fixtures (sections on the shared geography, a sample recorder, the zones Z1–Z6).
from tests.quality.conftest import record, sections  # noqa: F401
from tests.quality.test_zone_compliance import zones  # noqa: F401
from water import plan_services

pytestmark = pytest.mark.django_db


@pytest.fixture
def targets(users, geography):
    return plan_services.redline_create(
        actor="test",
        scope=scope_for(users["admin"]),
        year=2024,
        division=Division.objects.get(code="650100"),
        zone_compliance_target=Decimal("0.80"),
        zone_compliance=Decimal("0.90"),
        zone_compliance_source="环境部门通报 (entered)",
    )


def _zone(red):
    return next(i for i in red["indicators"] if i["key"] == "zone_compliance")


def test_the_entered_figure_stands_where_no_zone_is_judged(users, targets):
    red = _redlines(scope_for(users["admin"]), quarter(2024, 1), None)
    z = _zone(red)
    assert (z["actual"], z["source"], z["source_zh"]) == (0.9, "entered", "填报")
    assert red["zone_compliance"]["available"] is False


def test_zones_replace_the_entered_figure(users, targets, zones):  # noqa: F811
    """Q1: Z1 and Z3 comply from their sections, Z2 fails, Z4 is declared compliant, Z5 not judged:
    3/4 = 0.75 < 0.80. The year is not over: at risk, not "not met"."""
    red = _redlines(scope_for(users["admin"]), quarter(2024, 1), None)
    z = _zone(red)
    assert z["actual"] == 0.75
    assert (z["source"], z["source_zh"]) == ("sections_and_declared", "监测断面计算+申报")
    assert z["note"] == "3/4"
    assert (z["met"], z["state"]) == (None, "at_risk")
    detail = red["zone_compliance"]
    assert (detail["start"], detail["end"]) == ("2024-01-01", "2024-03-31")
    assert (detail["judged"], detail["complying"], detail["from_sections"], detail["declared"]) == (4, 3, 3, 1)
    sources = {row["code"]: row["source"] for row in detail["zones"]}
    assert sources == {"Z1": "sections", "Z2": "sections", "Z3": "sections", "Z4": "declared", "Z5": None}


def test_a_whole_year_is_met_or_not_met(users, targets, zones, sections):  # noqa: F811
    # Z2's sections tied to no zone: Z2 is not judged (nothing declared for it).
    for key in ("river_w", "lake_w"):
        section_update(section=sections[key], actor="test", function_zone=None)
    red = _redlines(scope_for(users["admin"]), year(2024), None)
    z = _zone(red)
    # Z1, Z3 (sections) and Z4 (declared) of three judged zones: 1 ≥ 0.80, met.
    assert (z["actual"], z["met"], z["state"], z["source"]) == (1.0, True, "met", "sections_and_declared")
    section_update(section=sections["river_w"], actor="test", function_zone=zones["Z1"])
    z = _zone(_redlines(scope_for(users["admin"]), year(2024), None))
    # Z1 now holds a class IV section: 2/3 < 0.80, not met.
    assert (z["met"], z["state"], z["note"]) == (False, "not_met", "2/3")
    assert z["actual"] == pytest.approx(2 / 3)
