"""Reads of red-line targets and the red-line summary of a year."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from django.db.models import QuerySet
from django.utils.translation import gettext as _

from accounts.choices import Role
from accounts.scope import Scope
from core import periods
from core.divisions import division_prefix
from core.exceptions import InvalidInput, NotFound
from core.providers import ZONE_COMPLIANCE, ZoneComplianceFigure, provider
from places.models import Division
from water import conf
from water.models import (
    RedLineTarget,
)
from water.selectors.plan_common import RATE, ZERO
from water.selectors.plan_figures import (
    _beijing_today,
    _jsonable,
    plan_summary,
)
from water.selectors.plan_scope import _check_division_visible, _division_q, region_q
from water.selectors.plan_sums import (
    _intakes,
    _window_use,
    shared_month_sums,
)

# --------------------------------------------------------------------------------------- red lines


def redline_list(*, scope: Scope) -> QuerySet[RedLineTarget]:
    return RedLineTarget.objects.filter(region_q(scope)).select_related("division")


def redline_get(*, scope: Scope, target_id: int) -> RedLineTarget:
    target = redline_list(scope=scope).filter(pk=target_id).first()
    if target is None:
        raise NotFound(_("No such red-line target."))
    return target


@dataclass(frozen=True, slots=True)
class RedLineIndicator:
    """One red-line indicator of a year: target, actual and where the actual comes from ("system":
    measured by the metered intakes; "entered": needs a value entered with its source; "missing")."""

    key: str
    name_zh: str
    name_en: str
    unit: str
    target: Decimal | None
    actual: Decimal | None
    source: str
    met: bool | None
    direction: str = "max"  # "max": the actual must not exceed the target; "min": must reach it
    note: str = ""
    # Before the year is over: the forecast to the year's end, and a state instead of "met":
    # on_track / at_risk / exceeded (STATES). Once the year is over: met / not_met.
    forecast: Decimal | None = None
    state: str | None = None

    def to_dict(self) -> dict[str, Any]:
        return _jsonable(
            {
                "key": self.key,
                "name_zh": self.name_zh,
                "name_en": self.name_en,
                "unit": self.unit,
                "target": self.target,
                "actual": self.actual,
                "source": self.source,
                "met": self.met,
                "direction": self.direction,
                "note": self.note,
                "forecast": self.forecast,
                "state": self.state,
                "state_zh": STATES.get(self.state or ""),
            }
        )


STATES = {
    "on_track": "正常",
    "at_risk": "有超标风险",
    "exceeded": "已超标",
    "met": "达标",
    "not_met": "未达标",
}


@dataclass(frozen=True, slots=True)
class RedLineSummary:
    year: int
    indicators: list[RedLineIndicator]
    division_code: str | None = None
    target_id: int | None = None
    # The last day the actuals count (Beijing); the year is over when it is 31 December.
    as_of: dt.date | None = None

    @property
    def year_over(self) -> bool:
        return self.as_of is None or self.as_of >= dt.date(self.year, 12, 31)

    def to_dict(self) -> dict[str, Any]:
        return {
            "year": self.year,
            "division_code": self.division_code,
            "target_id": self.target_id,
            "as_of": self.as_of.isoformat() if self.as_of else None,
            "year_over": self.year_over,
            "indicators": [i.to_dict() for i in self.indicators],
        }


# (key, Chinese, English, unit, direction)
INDICATORS = (
    ("total_use", "用水总量", "Total water use", "m3", "max"),
    ("per_gdp", "万元GDP用水量", "Water use per 10⁴ yuan GDP", "m3/10^4 yuan", "max"),
    ("per_iva", "万元工业增加值用水量", "Water use per 10⁴ yuan industrial value added", "m3/10^4 yuan", "max"),
    ("irrigation", "农田灌溉水有效利用系数", "Irrigation water efficiency coefficient", "1", "min"),
    ("zone_compliance", "重要江河湖泊水功能区水质达标率", "Water-function-zone compliance rate", "ratio", "min"),
)


def _met(actual: Decimal | None, target: Decimal | None, direction: str) -> bool | None:
    if actual is None or target is None:
        return None
    return actual <= target if direction == "max" else actual >= target


def _root_division(scope: Scope, year: int) -> str | None:
    """The division a red-line summary is for when none is given: for an admin, the widest division
    with targets that year; otherwise the caller's jurisdiction."""
    if scope.everything:
        codes = list(RedLineTarget.objects.filter(year=year).values_list("division__code", flat=True))
        if not codes:
            return None
        return min(codes, key=lambda c: (len(division_prefix(c)), c))
    if not scope.prefix:
        return None
    return (
        Division.objects.filter(code__startswith=scope.prefix).order_by("code").values_list("code", flat=True).first()
    )


def _state(actual: Decimal | None, forecast: Decimal | None, target: Decimal | None, direction: str) -> str | None:
    """Before the year's end: exceeded (a cap already passed), at_risk (the forecast misses the
    target), on_track. A "min" indicator can only be at risk or on track until the year is over."""
    if target is None:
        return None
    if direction == "max" and actual is not None and actual > target:
        return "exceeded"
    judged = forecast if forecast is not None else actual
    if judged is None:
        return None
    miss = judged > target if direction == "max" else judged < target
    return "at_risk" if miss else "on_track"


def _zone_compliance(scope: Scope, period: periods.Period, code: str | None) -> ZoneComplianceFigure | None:
    """The zone-compliance rate computed from the sections tied to each key water-function zone
    (quality's zone_compliance, the report's own figure), through core.providers: water may not import
    quality. None — the entered figure stays — when quality is not installed or no zone was judged;
    zones judged from a declared compliance only give the source "declared"."""
    figure = provider(ZONE_COMPLIANCE)
    if figure is None:
        return None
    result: ZoneComplianceFigure | None = figure(scope=scope, period=period, division_code=code)
    return result


@shared_month_sums()
def redline_summary(
    *, scope: Scope, year: int, division_code: str | None = None, as_of: dt.date | None = None
) -> RedLineSummary:
    """The red-line indicators of a year for a division (default: see `_root_division`): targets, and
    actuals — total use from the metered intakes (locked months as locked), the two intensities from
    it and the entered GDP and industrial value added (industrial use = the intakes whose main use is
    in WATER_INDUSTRIAL_USES), the irrigation coefficient as entered, and zone compliance computed from
    the sections tied to each key water-function zone over the year to `as_of` (quality's figure, the
    report's, through core.providers; the entered figure where no zone is judged). System
    figures are given only when the division lies inside the caller's scope (a district reviewer
    reading the city's targets cannot measure the city); operators get targets and actuals "missing".

    `as_of` (default: the year's end, or yesterday in Beijing for the current year) is the last day
    counted. Before the year's end the total use is the year to date, each indicator carries the
    forecast to the year's end (plan_summary's forecast: the plan's own monthly profile) and a state
    (on track / at risk / exceeded); `met` is given only once the year is over (issue 19: a Q1 report
    must not call the year's cap met)."""
    if not isinstance(year, int) or not 2000 <= year <= 2100:
        raise InvalidInput(_("Year out of range."), fields={"year": [_("A year between 2000 and 2100.")]})
    year_first, year_last = dt.date(year, 1, 1), dt.date(year, 12, 31)
    as_of = min(as_of or year_last, year_last, _beijing_today() - dt.timedelta(days=1))
    if as_of < year_first:
        as_of = year_first - dt.timedelta(days=1)  # nothing of the year has been measured yet
    year_over = as_of >= year_last
    _check_division_visible(scope, division_code)
    if division_code is not None:
        _division_q(division_code)
    if scope.role in (Role.OPERATOR, Role.DEVICE, None) and not scope.everything:
        return RedLineSummary(
            year=year,
            division_code=division_code,
            as_of=as_of,
            indicators=[
                RedLineIndicator(k, zh, en, u, None, None, "missing", None, d) for k, zh, en, u, d in INDICATORS
            ],
        )
    code = division_code or _root_division(scope, year)
    target = RedLineTarget.objects.filter(region_q(scope), year=year, division__code=code).first() if code else None
    measurable = code is None or scope.covers_code(code)
    total: Decimal | None = None
    industrial: Decimal | None = None
    total_forecast: Decimal | None = None
    industrial_forecast: Decimal | None = None
    if measurable:
        intakes, meters = _intakes(scope, code)
        uses = set(conf.industrial_uses())
        if year_over:
            figures = _window_use(intakes, meters, year_first, year_last)
            total = sum((f.use for f in figures.values()), ZERO)
            industrial = sum((f.use for iid, f in figures.items() if intakes[iid]["main_use"] in uses), ZERO)
        elif as_of >= year_first:
            ytd = plan_summary(
                scope=scope,
                period=periods.date_range(year_first, as_of),
                division_code=code,
                today=as_of + dt.timedelta(days=1),
            )
            total = ytd.use_m3 + ytd.amendments_after_lock_m3
            ind = [r for r in ytd.intakes if intakes[r.intake_id]["main_use"] in uses]
            industrial = sum((r.use_m3 + r.amendments_after_lock_m3 for r in ind), ZERO)
            total_forecast = sum((r.forecast_m3 or ZERO for r in ytd.intakes), ZERO)
            industrial_forecast = sum((r.forecast_m3 or ZERO for r in ind), ZERO)
        else:
            total = industrial = ZERO

    def entered(value: Decimal | None) -> tuple[Decimal | None, str]:
        return (value, "entered") if value is not None else (None, "missing")

    def intensity(use: Decimal | None, denominator: Decimal | None) -> tuple[Decimal | None, str]:
        if use is None or not denominator:
            return None, "missing"
        return (use / denominator).quantize(RATE, ROUND_HALF_UP), "entered"

    t = target
    # Intensities need the whole year's use: before the year's end they are forecasts only.
    per_gdp = intensity(total if year_over else None, t.gdp_10k_yuan if t else None)
    per_iva = intensity(industrial if year_over else None, t.iva_10k_yuan if t else None)
    if not year_over and t is not None:
        per_gdp = (None, "entered" if t.gdp_10k_yuan else "missing")
        per_iva = (None, "entered" if t.iva_10k_yuan else "missing")
    forecasts: dict[str, Decimal | None] = {
        "total_use": total_forecast,
        "per_gdp": intensity(total_forecast, t.gdp_10k_yuan if t else None)[0] if not year_over else None,
        "per_iva": intensity(industrial_forecast, t.iva_10k_yuan if t else None)[0] if not year_over else None,
    }
    values: dict[str, tuple[Decimal | None, Decimal | None, str, str]] = {
        "total_use": (t.total_use_cap_m3 if t else None, total, "system" if total is not None else "missing", ""),
        "per_gdp": (t.per_gdp_target if t else None, *per_gdp, t.gdp_source if t else ""),
        "per_iva": (t.per_iva_target if t else None, *per_iva, t.iva_source if t else ""),
        "irrigation": (
            t.irrigation_target if t else None,
            *entered(t.irrigation_coefficient if t else None),
            t.irrigation_source if t else "",
        ),
        "zone_compliance": (
            t.zone_compliance_target if t else None,
            *entered(t.zone_compliance if t else None),
            t.zone_compliance_source if t else "",
        ),
    }
    if measurable and as_of >= year_first:
        zones = _zone_compliance(scope, periods.date_range(year_first, as_of), code)
        if zones is not None:
            values["zone_compliance"] = (
                values["zone_compliance"][0],
                zones.rate,
                zones.source,
                f"{zones.complying}/{zones.judged}",
            )
    indicators = []
    for key, zh, en, unit, direction in INDICATORS:
        tgt, actual, source, note = values[key]
        if year_over:
            met = _met(actual, tgt, direction)
            forecast, state = None, (None if met is None else "met" if met else "not_met")
        else:
            met, forecast = None, forecasts.get(key)
            state = _state(actual, forecast, tgt, direction)
        indicators.append(
            RedLineIndicator(key, zh, en, unit, tgt, actual, source, met, direction, note, forecast, state)
        )
    return RedLineSummary(
        year=year, indicators=indicators, division_code=code, target_id=t.pk if t else None, as_of=as_of
    )
