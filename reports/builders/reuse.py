"""The reclaimed-water section: treated, produced, used by class, reuse rate against its target."""

from __future__ import annotations

from typing import Any

from accounts.scope import Scope
from core.periods import Period
from reports.builders.common import change, link, month_param, num, period_params
from reuse.selectors import reuse_rate


def _figures(scope: Scope, period: Period, division_code: str | None) -> dict[str, Any]:
    r = reuse_rate(scope=scope, period=period, division_code=division_code)
    return {
        "treated_m3": num(r.treated_m3),
        "produced_m3": num(r.produced_m3),
        "delivered_m3": num(r.delivered_m3),
        "used_m3": num(r.used_m3),
        "rate": r.rate,
        "target": num(r.target),
        "meets_target": r.meets_target,
        "gap_m3": num(r.gap_m3),
        "ecological_counted": r.ecological_counted,
        "ecological_m3": num(r.ecological_m3),
        "prorated_months": list(r.prorated_months),
        "by_class": [
            {
                "use_class": c.use_class,
                "label": c.label,
                "used_m3": num(c.used_m3),
                "excluded_m3": num(c.excluded_m3),
                "share_of_treated": c.rate,
                "deliveries": c.deliveries,
                "users": c.users,
            }
            for c in r.by_class.values()
        ],
        "counts": dict(r.counts),
    }


def build(
    *, scope: Scope, period: Period, previous: Period, division_code: str | None
) -> tuple[dict[str, Any], dict[str, str]]:
    out = _figures(scope, period, division_code)
    last = _figures(scope, previous, division_code)
    out["yoy"] = {k: change(out[k], last[k]) for k in ("treated_m3", "produced_m3", "used_m3")}
    out["yoy"]["rate"] = change(out["rate"], last["rate"], share=True)
    months = {"start": month_param(period.first_date), "end": month_param(period.last_date), "division": division_code}
    links = {
        "reuse.treated_m3": link("reuse:volume-list", **months),
        "reuse.produced_m3": link("reuse:volume-list", **months),
        "reuse.used_m3": link("reuse:delivery-list", **months),
        "reuse.rate": link("reuse:rate", **period_params(period, division_code)),
    }
    for row in out["by_class"]:
        row["link"] = link("reuse:delivery-list", use_class=row["use_class"], **months)
    return out, links
