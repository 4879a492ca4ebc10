"""The water section: use against plan per intake and in total (tiers, forecast), red-line indicators
against targets, online-monitoring coverage and arrival rate.

Figures come from the water selectors `plan_summary`, `redline_summary` and `monitoring_summary`.
`plan_available` says whether a plan covers the period (without one, use is still reported and the plan
figures are null); `monitoring.available` whether any meter was installed in the period;
`redlines.available` whether targets were set for the year.

Speed (issue 8): the quarter, its year to date, the red-line year and the 同比 quarter all sum the same
daily rows, so the section is built inside `water.plan_selectors.shared_month_sums`: each table's
year is read once as meter × month sums and every figure (use, amendments, the volumes by provenance
of `volume_by_provenance`, the red-line total) derives from them.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

from accounts.scope import Scope
from core import periods
from core.periods import Period
from quality.zone_selectors import zone_compliance
from reports.builders.common import change, link, num, period_params, ratio
from reports.selectors import ReportSite
from water import selectors as water_selectors
from water.plan_selectors import shared_month_sums, volume_by_provenance

PLAN_FIELDS = (
    "use_m3",
    "plan_m3",
    "ratio",
    "over_m3",
    "tier",
    "forecast_m3",
    "estimated_m3",
    "held_m3",
)


def _value(v: Any) -> Any:
    if isinstance(v, Decimal | float):
        return num(v)
    if v is None or isinstance(v, bool | int | str):
        return v
    return str(getattr(v, "value", v))


def site_intake_ids(scope: Scope, site: ReportSite) -> set[int]:
    """The intakes whose water a reach's or lake's report counts: those on the reach's river (an intake
    names its river, not the reach) or on the lake."""
    on = {"river_id": site.river_id} if site.kind == "reach" else {"lake_id": site.id}
    return set(water_selectors.intake_list(scope=scope).filter(**on).values_list("pk", flat=True))


SUMMED = ("use_m3", "over_m3", "forecast_m3", "estimated_m3", "held_m3", "amendments_after_lock_m3")


def _site_totals(intakes: list[Any]) -> dict[str, Any]:
    """The plan figures of a reach's or lake's intakes, summed from their rows (the tier is the
    division plan's, so it is left out)."""
    out: dict[str, Any] = {f: num(sum((getattr(i, f) or Decimal(0) for i in intakes), Decimal(0))) for f in SUMMED}
    plans = [i.plan_m3 for i in intakes if i.plan_m3 is not None]
    out["plan_m3"] = num(sum(plans, Decimal(0))) if plans else None
    out["ratio"] = ratio(out["use_m3"], out["plan_m3"]) if out["plan_m3"] else None
    out["tier"] = None
    return out


def _plan(
    scope: Scope, period: Period, division_code: str | None, today: dt.date | None, site: ReportSite | None
) -> dict[str, Any]:
    s = water_selectors.plan_summary(scope=scope, period=period, division_code=division_code, today=today)
    # The same intakes and month sums as plan_summary (shared within `build`), not another pass.
    by_intake = volume_by_provenance(scope=scope, period=period, division_code=division_code)
    intakes = list(s.intakes)
    if site is None:
        out: dict[str, Any] = {f: _value(getattr(s, f)) for f in (*PLAN_FIELDS, "amendments_after_lock_m3")}
    else:
        ids = site_intake_ids(scope, site)
        intakes = [i for i in intakes if i.intake_id in ids]
        by_intake = {iid: v for iid, v in by_intake.items() if iid in ids}
        out = _site_totals(intakes)
    planned = out["plan_m3"] is not None
    out["plan_available"] = planned
    if not planned:
        out["tier"] = None  # "within" means nothing without a plan
    out["measured_m3"] = num(sum((v.measured_m3 for v in by_intake.values()), Decimal(0)))
    out["corrected_m3"] = num(sum((v.corrected_m3 for v in by_intake.values()), Decimal(0)))
    out["intakes"] = [
        {
            "intake_id": i.intake_id,
            "code": i.code,
            "name": i.name,
            "division_code": i.division_code,
            **{f: _value(getattr(i, f)) for f in PLAN_FIELDS},
            "corrected_m3": num(by_intake[i.intake_id].corrected_m3 if i.intake_id in by_intake else None),
        }
        for i in intakes
    ]
    return out


MONITORING_FIELDS = (
    "required_intakes",
    "monitored_intakes",
    "coverage",
    "meters",
    "online",
    "offline",
    "expected_reports",
    "received_reports",
    "arrival_rate",
    "completeness",
    "timeliness",
)


def _monitoring(scope: Scope, period: Period, division_code: str | None, now: dt.datetime | None) -> dict[str, Any]:
    m = water_selectors.monitoring_summary(scope=scope, period=period, division_code=division_code, now=now)
    out = {"available": m.meters > 0, **{f: _value(getattr(m, f)) for f in MONITORING_FIELDS}}
    by_intake = getattr(m, "by_intake", None) or []
    out["by_intake"] = [_plain(row) for row in by_intake]
    return out


def _plain(row: Any) -> Any:
    """A row of a selector (dataclass or dict) as plain JSON values."""
    if row is None or isinstance(row, str | int):  # most values, as they are (bool is an int)
        return row
    if isinstance(row, dict):
        return {k: _plain(v) for k, v in row.items()}
    if isinstance(row, list | tuple):
        return [_plain(v) for v in row]
    to_dict = getattr(row, "to_dict", None)
    if callable(to_dict):
        return _plain(to_dict())
    if hasattr(row, "__dataclass_fields__"):
        return {k: _plain(getattr(row, k)) for k in row.__dataclass_fields__}
    if isinstance(row, dt.date):
        return row.isoformat()
    return _value(row)


# Where an indicator's actual comes from, for the reader (the selectors' codes, and the zone
# compliance's: computed from the zones' sections, partly declared, or declared only).
SOURCES_ZH = {
    "system": "系统计量",
    "entered": "填报",
    "missing": "缺失",
    "sections": "监测断面计算",
    "sections_and_declared": "监测断面计算+申报",
    "declared": "申报",
}
ZONE_SOURCES = frozenset({"sections", "sections_and_declared", "declared"})


def _redlines(scope: Scope, period: Period, division_code: str | None) -> dict[str, Any]:
    # What was measured by the period's end: a Q1 report shows the year to date with the forecast and a
    # state, and calls a red line met only in a report that reaches the year's end.
    s = water_selectors.redline_summary(
        scope=scope, year=period.last_date.year, division_code=division_code, as_of=period.last_date
    )
    indicators = [
        {
            "key": i.key,
            "name_zh": i.name_zh,
            "name_en": i.name_en,
            "unit": i.unit,
            "target": _value(i.target),
            "actual": _value(i.actual),
            "source": _value(i.source),
            "met": i.met,
            "forecast": _value(i.forecast),
            "state": i.state,
            "state_zh": water_selectors.REDLINE_STATES.get(i.state or ""),
        }
        for i in s.indicators
    ]
    # Function-zone compliance over the red-line year to the period's end, from the zones' sections.
    window = periods.date_range(dt.date(s.year, 1, 1), period.last_date)
    zc = zone_compliance(scope=scope, period=window, division_code=division_code).to_dict()
    zc = {**zc, "rate": _value(zc["rate"]), "start": window.first_date.isoformat(), "end": window.last_date.isoformat()}
    # The zone-compliance indicator is the summary's: water computes it from these zones through
    # core.providers (quality's zone_compliance over the same window); the note says complying/judged.
    for indicator, i in zip(indicators, s.indicators, strict=True):
        if i.key == "zone_compliance" and i.source in ZONE_SOURCES:
            indicator["note"] = i.note
    for indicator in indicators:
        indicator["source_zh"] = SOURCES_ZH.get(indicator["source"] or "", indicator["source"])
    return {
        "available": any(i.target is not None for i in s.indicators),
        "year": s.year,
        "as_of": s.as_of.isoformat() if s.as_of else None,
        "year_over": s.year_over,
        "indicators": indicators,
        "zone_compliance": zc,
    }


# A reach's or lake's report leaves online monitoring and the red lines out (counted by division).
_NO_MONITORING: dict[str, Any] = {"available": False, **dict.fromkeys(MONITORING_FIELDS), "by_intake": []}


def _figures(
    scope: Scope,
    period: Period,
    division_code: str | None,
    now: dt.datetime | None,
    site: ReportSite | None,
    *,
    last_year: bool = False,
) -> dict[str, Any]:
    today = None if now is None else now.date()
    out = _plan(scope, period, division_code, today, site)
    if out["ratio"] is None and out["plan_m3"]:
        out["ratio"] = ratio(out["use_m3"], out["plan_m3"])
    if site is not None:
        out["arrival_rate"] = out["monitoring_coverage"] = None
        out["monitoring"] = dict(_NO_MONITORING)
        if not last_year:
            out["redlines"] = {"available": False, "left_out": True, "indicators": []}
        return out
    mon = _monitoring(scope, period, division_code, now)
    out["arrival_rate"] = mon["arrival_rate"]
    out["monitoring_coverage"] = mon["coverage"]
    out["monitoring"] = mon
    if not last_year:
        out["redlines"] = _redlines(scope, period, division_code)
    return out


def build(
    *,
    scope: Scope,
    period: Period,
    previous: Period,
    division_code: str | None,
    now: dt.datetime | None = None,
    site: ReportSite | None = None,
) -> tuple[dict[str, Any], dict[str, str]]:
    # The period, its year to date, the red-line year and the 同比 period all sum the same daily rows:
    # within one block each table's year is read once (meter × month) and every figure derives from it.
    with shared_month_sums():
        out = _figures(scope, period, division_code, now, site)
        last = _figures(scope, previous, division_code, now, site, last_year=True)
    out["yoy"] = {
        k: change(out[k], last[k])
        for k in ("use_m3", "plan_m3", "measured_m3", "estimated_m3", "corrected_m3", "held_m3")
    }
    out["yoy"]["ratio"] = change(out["ratio"], last["ratio"], share=True)
    out["yoy"]["arrival_rate"] = change(out["arrival_rate"], last["arrival_rate"], share=True)
    out["yoy"]["monitoring_coverage"] = change(out["monitoring_coverage"], last["monitoring_coverage"], share=True)
    p = period_params(period, division_code)
    volumes = link("water:volume-list", start=p["start"], end=p["end"], interval="month")
    links = {
        "water.use_m3": volumes,
        "water.estimated_m3": volumes,
        "water.measured_m3": volumes,
        "water.corrected_m3": link("water:reading-list", start=p["start"], end=p["end"], corrected="true"),
        "water.amendments_after_lock_m3": link("water:reading-list", start=p["start"], end=p["end"], after_lock="true"),
        "water.held_m3": link("water:reading-flagged", start=p["start"], end=p["end"]),
        "water.plan_m3": link("water:plan-list", year=period.last_date.year, division=division_code),
        "water.arrival_rate": link("water:monitoring-list", **p),
        "water.monitoring_coverage": link("water:intake-list", online_required="true", division=division_code),
        "water.redlines": link("water:redline-list", year=period.last_date.year, division=division_code),
    }
    for row in out["intakes"]:
        row["link"] = link("water:intake-volumes", row["intake_id"], start=p["start"], end=p["end"])
    return out, links
