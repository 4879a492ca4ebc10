"""Water-function-zone compliance from the sections tied to each zone (issue 19 item 6): each zone judged
against its own target class by QUALITY_ZONE_COMPLIANCE_RULE, zones without evaluated sections on
their declared compliance, the share of complying zones; every figure computed by hand below."""

from __future__ import annotations

from decimal import Decimal
from fractions import Fraction

import pytest
from django.core.exceptions import ImproperlyConfigured

from accounts.scope import scope_for
from core.exceptions import InvalidInput
from core.periods import quarter, year
from quality.models import FunctionZone
from quality.services import function_zone_upsert, section_update
from quality.zone_selectors import zone_compliance
from tests.quality.conftest import beijing

pytestmark = pytest.mark.django_db

RIVER_III = {"NH3-N": 0.8, "COD": 18, "TP": 0.15, "DO": 6.5}  # III (NH3-N 0.8 ≤ 1.0)
RIVER_IV = {"NH3-N": 1.1, "COD": 18, "TP": 0.15, "DO": 6.5}  # IV (NH3-N 1.1 > 1.0); mean with III: 0.95 → III
LAKE_III = {"NH3-N": 0.3, "COD": 14, "TP": 0.045}  # III on the lake column
LAKE_WORSE = {"NH3-N": 0.3, "COD": 14, "TP": 0.25}  # 劣Ⅴ on the lake column
SOURCE_II = {"NH3-N": 0.2, "COD": 12, "TP": 0.02}  # II: NH3-N ≤ 0.5, COD ≤ 15, lake TP ≤ 0.025


def _zone(code, division, target, **kw):
    zone, _ = function_zone_upsert(
        code=code, name=f"功能区{code}", division=division, target_class=target, actor="test", **kw
    )
    return zone


@pytest.fixture
def zones(geography, sections, record):
    """Z1 (Tianshan, III): river_e III and lake_e III → complies under both rules.
    Z2 (Saybagh, III): river_w IV and lake_w 劣Ⅴ → fails under both.
    Z3 (Tianshan, II): the drinking source, II → complies.
    Z4 (Saybagh, II): no section, declared compliant → counts, as declared.
    Z5 (Tianshan, III): no section, nothing declared → not judged.
    Z6 (Saybagh): not a key zone → left out."""
    tianshan = sections["river_e"].division
    saybagh = sections["river_w"].division
    z = {
        "Z1": _zone("Z1", tianshan, 3),
        "Z2": _zone("Z2", saybagh, 3),
        "Z3": _zone("Z3", tianshan, 2),
        "Z4": _zone("Z4", saybagh, 2, declared_compliant=True, declared_source="环境部门通报"),
        "Z5": _zone("Z5", tianshan, 3),
        "Z6": _zone("Z6", saybagh, 3, key_zone=False, declared_compliant=False, declared_source="通报"),
    }
    ties = {"river_e": "Z1", "lake_e": "Z1", "river_w": "Z2", "lake_w": "Z2", "source_e": "Z3"}
    for key, zone in ties.items():
        section_update(section=sections[key], actor="test", function_zone=z[zone])
    values = {
        "river_e": RIVER_III,
        "lake_e": LAKE_III,
        "river_w": RIVER_IV,
        "lake_w": LAKE_WORSE,
        "source_e": SOURCE_II,
    }
    for m in (1, 2, 3):
        for key, v in values.items():
            record(sections[key], beijing(2024, m), v)
    return z


def _by_code(result):
    return {r.zone.code: r for r in result.zones}


def test_zones_are_judged_from_their_sections_or_their_declaration(users, zones):
    result = zone_compliance(scope=scope_for(users["admin"]), period=quarter(2024, 1))
    z = _by_code(result)
    assert set(z) == {"Z1", "Z2", "Z3", "Z4", "Z5"}  # Z6 is not a key zone
    assert (z["Z1"].compliant, z["Z1"].source, len(z["Z1"].sections)) == (True, "sections", 2)
    assert (z["Z2"].compliant, z["Z2"].source) == (False, "sections")
    assert sorted(e.cls for e in z["Z2"].sections) == [4, 6]
    assert (z["Z3"].compliant, z["Z3"].source, [e.cls for e in z["Z3"].sections]) == (True, "sections", [2])
    assert (z["Z4"].compliant, z["Z4"].source) == (True, "declared")
    assert (z["Z5"].compliant, z["Z5"].source) == (None, None)
    # Z1, Z3, Z4 of the four judged zones (Z5 not judged): 3/4.
    assert (result.complying, result.judged, result.from_sections, result.declared) == (3, 4, 3, 1)
    assert result.fraction == Fraction(3, 4)
    assert result.rate == Decimal("0.75")
    d = result.to_dict()
    assert d["rule"] == "all_sections"
    assert {row["code"]: row["source"] for row in d["zones"]}["Z4"] == "declared"
    assert {row["code"]: row["declared_source"] for row in d["zones"]}["Z4"] == "环境部门通报"


def test_the_zones_target_class_decides_not_the_sections(users, zones, sections):
    # river_e is class III: it meets Z1's III, but not a class II zone.
    function_zone_upsert(code="Z1", name="功能区Z1", division=zones["Z1"].division, target_class=2, actor="test")
    z = _by_code(zone_compliance(scope=scope_for(users["admin"]), period=quarter(2024, 1)))
    assert z["Z1"].compliant is False
    assert sections["river_e"].target_class == 3  # the section's own target is not what is judged


def test_mean_concentration_rule(users, zones, sections, settings, record):
    """A zone of a III section (NH3-N 0.8) and a IV section (NH3-N 1.1): all sections → fails; the mean of
    the two (NH3-N 0.95, COD 18, TP 0.15, DO 6.5) is III → complies."""
    section_update(section=sections["river_w"], actor="test", function_zone=zones["Z1"])
    section_update(section=sections["lake_e"], actor="test", function_zone=None)
    scope = scope_for(users["admin"])
    assert _by_code(zone_compliance(scope=scope, period=quarter(2024, 1)))["Z1"].compliant is False
    settings.QUALITY_ZONE_COMPLIANCE_RULE = "mean_concentration"
    result = zone_compliance(scope=scope, period=quarter(2024, 1))
    assert result.rule == "mean_concentration"
    z = _by_code(result)
    assert z["Z1"].compliant is True
    # Z2 now holds lake_w alone (劣Ⅴ): fails under either rule.
    assert z["Z2"].compliant is False
    settings.QUALITY_ZONE_COMPLIANCE_RULE = "majority"
    with pytest.raises(ImproperlyConfigured, match="QUALITY_ZONE_COMPLIANCE_RULE"):
        zone_compliance(scope=scope, period=quarter(2024, 1))


def test_a_period_without_samples_falls_back_to_the_declaration(users, zones):
    function_zone_upsert(
        code="Z2",
        name="功能区Z2",
        division=zones["Z2"].division,
        target_class=3,
        actor="test",
        declared_compliant=True,
        declared_source="通报",
    )
    q1 = _by_code(zone_compliance(scope=scope_for(users["admin"]), period=quarter(2024, 1)))
    assert (q1["Z2"].compliant, q1["Z2"].source) == (False, "sections")  # sampled: the sections decide
    q2 = zone_compliance(scope=scope_for(users["admin"]), period=quarter(2024, 2))
    z = _by_code(q2)
    assert (z["Z2"].compliant, z["Z2"].source) == (True, "declared")
    assert (z["Z1"].compliant, z["Z3"].compliant) == (None, None)  # nothing sampled, nothing declared
    assert (q2.complying, q2.judged) == (2, 2)  # Z2 and Z4, both declared


def test_division_and_scope(users, zones):
    tianshan = zone_compliance(scope=scope_for(users["admin"]), period=year(2024), division_code="650102")
    assert sorted(r.zone.code for r in tianshan.zones) == ["Z1", "Z3", "Z5"]
    assert (tianshan.complying, tianshan.judged) == (2, 2)
    saybagh = zone_compliance(scope=scope_for(users["reviewer_650103"]), period=year(2024))
    assert sorted(r.zone.code for r in saybagh.zones) == ["Z2", "Z4"]
    assert (saybagh.complying, saybagh.judged, saybagh.rate) == (1, 2, Decimal("0.5"))


def test_a_declared_compliance_needs_its_source(geography, sections):
    with pytest.raises(InvalidInput) as exc:
        function_zone_upsert(
            code="Z9",
            name="无来源",
            division=sections["river_e"].division,
            target_class=3,
            actor="test",
            declared_compliant=False,
        )
    assert "declared_source" in exc.value.fields
    assert not FunctionZone.objects.filter(code="Z9").exists()
