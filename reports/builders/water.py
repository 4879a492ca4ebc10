"""The water section: use against plan per intake and in total (tiers, forecast), red-line indicators
against targets, online-monitoring coverage and arrival rate.

Plans, red lines and monitoring come from water selectors that arrive in separate changes
(`plan_summary`, `redline_summary`, `monitoring_summary`); each is imported when the section is built,
so the report works, with those figures null and `available` false, until they exist. Water use is
always read, from `plan_summary` when it exists, otherwise from `volume_totals` (the same daily rows).

Speed (issue 8): the quarter, its year to date, the red-line year and the 同比 quarter all sum the same
daily rows, so the section is built inside `water.plan_selectors.shared_month_sums`: each table's
year is read once as meter × month sums and every figure (use, amendments, the volumes by provenance
of `volume_by_provenance`, the red-line total) derives from them.
"""

from __future__ import annotations

import datetime as dt
import importlib
from collections.abc import Callable
from decimal import Decimal
from typing import Any

from accounts.scope import Scope
from core.divisions import division_prefix
from core.periods import Period
from reports.builders.common import change, link, num, period_params, ratio
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


def _selector(name: str) -> Callable[..., Any] | None:
    """A water selector by name, or None while its change has not landed."""
    module = importlib.import_module("water.selectors")
    return getattr(module, name, None)


def _value(v: Any) -> Any:
    if isinstance(v, Decimal | float):
        return num(v)
    if v is None or isinstance(v, bool | int | str):
        return v
    return str(getattr(v, "value", v))


def _volumes(scope: Scope, period: Period, division_code: str | None) -> dict[int, dict[str, Any]]:
    """Every intake in scope (and division) with its volume by provenance over the period, from the
    daily rows (water.selectors.volume_totals: one grouped query)."""
    intakes = water_selectors.intake_list(scope=scope)
    if division_code:
        intakes = intakes.filter(division__code__startswith=division_prefix(division_code))
    info = {
        pk: {"intake_id": pk, "code": code, "name": name, "division_code": div}
        for pk, code, name, div in intakes.order_by("code").values_list("id", "code", "name", "division__code")
    }
    figures = water_selectors.volume_totals(
        scope=scope, first=period.first_date, last=period.last_date, interval="quarter", intake_ids=list(info)
    )
    for pk, row in info.items():
        figs = figures.get(pk, [])
        for key in ("volume_m3", "measured_m3", "estimated_m3", "corrected_m3", "held_m3"):
            row[key] = sum((getattr(f, key) for f in figs), Decimal(0))
    return info


def _plan(scope: Scope, period: Period, division_code: str | None, today: dt.date | None) -> dict[str, Any]:
    plan_summary = _selector("plan_summary")
    if plan_summary is not None:
        s = plan_summary(scope=scope, period=period, division_code=division_code, today=today)
        # The same intakes and month sums as plan_summary (shared within `build`), not another pass.
        by_intake = volume_by_provenance(scope=scope, period=period, division_code=division_code)
        out: dict[str, Any] = {"plan_available": True}
        for f in (*PLAN_FIELDS, "amendments_after_lock_m3"):
            out[f] = _value(getattr(s, f, None))
        out["measured_m3"] = num(sum((v.measured_m3 for v in by_intake.values()), Decimal(0)))
        out["corrected_m3"] = num(sum((v.corrected_m3 for v in by_intake.values()), Decimal(0)))
        out["intakes"] = [
            {
                "intake_id": i.intake_id,
                "code": i.code,
                "name": i.name,
                "division_code": i.division_code,
                **{f: _value(getattr(i, f, None)) for f in PLAN_FIELDS},
                "corrected_m3": num(by_intake[i.intake_id].corrected_m3 if i.intake_id in by_intake else None),
            }
            for i in s.intakes
        ]
        return out
    volumes = _volumes(scope, period, division_code)
    provenance = {
        key: num(sum((v[key] for v in volumes.values()), Decimal(0))) for key in ("measured_m3", "corrected_m3")
    }
    # Use without plans: the daily volume rows of every intake in scope (and division).
    rows = [
        {
            "intake_id": v["intake_id"],
            "code": v["code"],
            "name": v["name"],
            "division_code": v["division_code"],
            "use_m3": num(v["volume_m3"]),
            "plan_m3": None,
            "ratio": None,
            "over_m3": None,
            "tier": None,
            "forecast_m3": None,
            "estimated_m3": num(v["estimated_m3"]),
            "held_m3": num(v["held_m3"]),
            "corrected_m3": num(v["corrected_m3"]),
        }
        for v in volumes.values()
    ]
    return {
        "plan_available": False,
        "use_m3": num(sum((v["volume_m3"] for v in volumes.values()), Decimal(0))),
        "plan_m3": None,
        "ratio": None,
        "over_m3": None,
        "tier": None,
        "forecast_m3": None,
        "estimated_m3": num(sum((v["estimated_m3"] for v in volumes.values()), Decimal(0))),
        "held_m3": num(sum((v["held_m3"] for v in volumes.values()), Decimal(0))),
        "amendments_after_lock_m3": None,
        **provenance,
        "intakes": rows,
    }


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
    monitoring_summary = _selector("monitoring_summary")
    if monitoring_summary is None:
        return {"available": False, **dict.fromkeys(MONITORING_FIELDS)}
    m = monitoring_summary(scope=scope, period=period, division_code=division_code, now=now)
    out = {"available": True, **{f: _value(getattr(m, f, None)) for f in MONITORING_FIELDS}}
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


def _redlines(scope: Scope, period: Period, division_code: str | None) -> dict[str, Any]:
    redline_summary = _selector("redline_summary")
    year = period.last_date.year
    if redline_summary is None:
        return {"available": False, "year": year, "indicators": []}
    s = redline_summary(scope=scope, year=year, division_code=division_code)
    return {
        "available": True,
        "year": s.year,
        "indicators": [
            {
                "key": i.key,
                "name_zh": i.name_zh,
                "name_en": i.name_en,
                "unit": i.unit,
                "target": _value(i.target),
                "actual": _value(i.actual),
                "source": _value(i.source),
                "met": i.met,
            }
            for i in s.indicators
        ],
    }


def _figures(
    scope: Scope, period: Period, division_code: str | None, now: dt.datetime | None, *, last_year: bool = False
) -> dict[str, Any]:
    today = None if now is None else now.date()
    out = _plan(scope, period, division_code, today)
    if out["ratio"] is None and out["plan_m3"]:
        out["ratio"] = ratio(out["use_m3"], out["plan_m3"])
    mon = _monitoring(scope, period, division_code, now)
    out["arrival_rate"] = mon["arrival_rate"]
    out["monitoring_coverage"] = mon["coverage"]
    out["monitoring"] = mon
    if not last_year:
        out["redlines"] = _redlines(scope, period, division_code)
    return out


def build(
    *, scope: Scope, period: Period, previous: Period, division_code: str | None, now: dt.datetime | None = None
) -> tuple[dict[str, Any], dict[str, str]]:
    # The period, its year to date, the red-line year and the 同比 period all sum the same daily rows:
    # within one block each table's year is read once (meter × month) and every figure derives from it.
    with shared_month_sums():
        out = _figures(scope, period, division_code, now)
        last = _figures(scope, previous, division_code, now, last_year=True)
    out["yoy"] = {
        k: change(out[k], last[k])
        for k in ("use_m3", "plan_m3", "measured_m3", "estimated_m3", "corrected_m3", "held_m3")
    }
    out["yoy"]["ratio"] = change(out["ratio"], last["ratio"], share=True)
    out["yoy"]["arrival_rate"] = change(out["arrival_rate"], last["arrival_rate"], share=True)
    out["yoy"]["monitoring_coverage"] = change(out["monitoring_coverage"], last["monitoring_coverage"], share=True)
    p = period_params(period, division_code)
    volumes = link("/water/volumes/", start=p["start"], end=p["end"], interval="month")
    links = {
        "water.use_m3": volumes,
        "water.estimated_m3": volumes,
        "water.measured_m3": volumes,
        "water.corrected_m3": link("/water/readings/", start=p["start"], end=p["end"], corrected="true"),
        "water.amendments_after_lock_m3": link("/water/readings/", start=p["start"], end=p["end"], after_lock="true"),
        "water.held_m3": link("/water/readings/flagged/", start=p["start"], end=p["end"]),
        "water.plan_m3": link("/water/plans/", year=period.last_date.year, division=division_code),
        "water.arrival_rate": link("/water/monitoring/", **p),
        "water.monitoring_coverage": link("/water/intakes/", online_required="true", division=division_code),
        "water.redlines": link("/water/redlines/", year=period.last_date.year, division=division_code),
    }
    for row in out["intakes"]:
        row["link"] = link(f"/water/intakes/{row['intake_id']}/volumes/", start=p["start"], end=p["end"])
    return out, links
