"""Water-function-zone compliance (水功能区达标) from the sections tied to each zone (issue 19).

`zone_compliance(*, scope, period, division_code=None)` judges every key zone of the caller's scope
(inside `division_code` when given) over `period`:

* a zone with sections evaluated in the period is judged from them against the **zone's** target
  class, by `QUALITY_ZONE_COMPLIANCE_RULE` (quality/conf.py): `all_sections` (default) — it complies
  when every evaluated section meets the class; `mean_concentration` — when the item-by-item mean of
  its sections' period means meets it. Sections that do not count in statistics, and sections
  wholly excluded from the period (SectionExclusion), are left out;
* a zone without such sections keeps the compliance declared for it (`declared_compliant`, source
  "declared"); a zone with neither is not judged.

The rate is complying zones ÷ judged zones, an exact fraction (None when no zone was judged).
Three or four queries whatever the number of zones (zones, sections, their results by month).
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from decimal import Decimal
from fractions import Fraction
from typing import Any

from accounts.scope import Scope
from core.divisions import division_prefix
from core.periods import Period
from core.providers import ZoneComplianceFigure
from quality import conf, evaluation, gb3838
from quality.models import FunctionZone, Section
from quality.selectors import SectionEvaluation, evaluate_sections, resolve_division

SECTIONS, DECLARED = "sections", "declared"


@dataclass(frozen=True, slots=True)
class ZoneResult:
    zone: FunctionZone
    compliant: bool | None  # None: not judged (no evaluated section, nothing declared)
    source: str | None  # "sections", "declared" or None
    sections: tuple[SectionEvaluation, ...] = ()  # the evaluated sections it was judged from
    tied_sections: int = 0  # sections tied to the zone (counted in statistics)

    def to_dict(self) -> dict[str, Any]:
        z = self.zone
        return {
            "code": z.code,
            "name": z.name,
            "division": z.division.code,
            "target_class": z.target_class,
            "compliant": self.compliant,
            "source": self.source,
            "declared_source": z.declared_source if self.source == DECLARED else "",
            "tied_sections": self.tied_sections,
            "sections": [
                {
                    "code": e.section.code,
                    "name": e.section.name,
                    "class": e.cls,
                    "meets_target": e.cls is not None and e.cls <= z.target_class,
                }
                for e in self.sections
            ],
        }


@dataclass(frozen=True, slots=True)
class ZoneCompliance:
    period: Period
    rule: str
    zones: tuple[ZoneResult, ...] = field(default_factory=tuple)

    @property
    def judged(self) -> int:
        return sum(1 for z in self.zones if z.compliant is not None)

    @property
    def complying(self) -> int:
        return sum(1 for z in self.zones if z.compliant)

    @property
    def from_sections(self) -> int:
        return sum(1 for z in self.zones if z.source == SECTIONS)

    @property
    def declared(self) -> int:
        return sum(1 for z in self.zones if z.source == DECLARED)

    @property
    def fraction(self) -> Fraction | None:
        return Fraction(self.complying, self.judged) if self.judged else None

    @property
    def rate(self) -> Decimal | None:
        return evaluation.as_decimal(self.fraction)

    def to_dict(self) -> dict[str, Any]:
        return {
            "available": self.judged > 0,
            "rule": self.rule,
            "zones_total": len(self.zones),
            "judged": self.judged,
            "complying": self.complying,
            "from_sections": self.from_sections,
            "declared": self.declared,
            "rate": self.rate,
            "zones": [z.to_dict() for z in self.zones],
        }


def _judge(zone: FunctionZone, done: list[SectionEvaluation], rule: str, options: gb3838.Options) -> bool:
    if rule == "mean_concentration":
        bodies = {e.section.water_body for e in done}
        body = bodies.pop() if len(bodies) == 1 else gb3838.Body.LAKE  # mixed: the stricter TP column
        c = evaluation.mean_concentration_classification(
            [e.means.values for e in done if e.means], body=body, options=options
        )
        compliance = c.compliance(zone.target_class) if c is not None else None
        return bool(compliance and compliance.compliant)
    return all(e.cls is not None and e.cls <= zone.target_class for e in done)


def zone_compliance(*, scope: Scope, period: Period, division_code: str | None = None) -> ZoneCompliance:
    """The key water-function zones of the caller's scope judged over `period` (module docstring)."""
    code = resolve_division(scope=scope, division_code=division_code)
    rule = conf.zone_compliance_rule()
    zones = scope.filter(FunctionZone.objects.select_related("division").filter(key_zone=True), "division__code")
    if code:
        zones = zones.filter(division__code__startswith=division_prefix(code))
    zones_list = list(zones)
    sections = list(
        Section.objects.filter(function_zone__in=[z.pk for z in zones_list], counts_in_statistics=True)
        .select_related("division", "reach", "lake")
        .order_by("code")
    )
    by_zone: dict[int, list[SectionEvaluation]] = defaultdict(list)
    tied: dict[int, int] = defaultdict(int)
    for e in evaluate_sections(sections=sections, period=period):
        zone_id = e.section.function_zone_id
        assert zone_id is not None  # noqa: S101 - filtered above
        tied[zone_id] += 1
        if e.evaluated and not e.wholly_excluded:
            by_zone[zone_id].append(e)
    options = conf.classifier_options()
    results = []
    for zone in zones_list:
        done = by_zone.get(zone.pk, [])
        if done:
            result = ZoneResult(zone, _judge(zone, done, rule, options), SECTIONS, tuple(done), tied[zone.pk])
        elif zone.declared_compliant is not None:
            result = ZoneResult(zone, zone.declared_compliant, DECLARED, (), tied[zone.pk])
        else:
            result = ZoneResult(zone, None, None, (), tied[zone.pk])
        results.append(result)
    return ZoneCompliance(period=period, rule=rule, zones=tuple(results))


def zone_compliance_figure(
    *, scope: Scope, period: Period, division_code: str | None = None
) -> ZoneComplianceFigure | None:
    """`zone_compliance` as the figure water's red-line summary reads through core.providers (quality
    registers it in QualityConfig.ready): None when no zone was judged."""
    zc = zone_compliance(scope=scope, period=period, division_code=division_code)
    rate = zc.rate
    if rate is None:
        return None
    return ZoneComplianceFigure(
        rate=rate, complying=zc.complying, judged=zc.judged, from_sections=zc.from_sections, declared=zc.declared
    )
