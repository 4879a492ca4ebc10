"""The water-quality section: good-water shares (classes I–III) per category with their counts."""

from __future__ import annotations

from typing import Any

from accounts.scope import Scope
from core.periods import Period
from quality.selectors import quality_summary
from reports.builders.common import change, link, num, period_params
from reports.selectors import ReportSite

ROMAN = {1: "I", 2: "II", 3: "III", 4: "IV", 5: "V", 6: "劣V"}

CATEGORIES = (
    ("rivers", "河流", "rivers"),
    ("lakes", "湖库", "lakes and reservoirs"),
    ("drinking_sources", "集中式饮用水源地", "drinking-water sources"),
)


def _excluded(e: Any) -> dict[str, Any]:
    return {
        "code": e.section.code,
        "name": e.section.name,
        "months": list(e.excluded_months),
        "reasons": sorted({x.reason for x in e.exclusions}),
    }


def _figures(scope: Scope, period: Period, division_code: str | None, site: ReportSite | None) -> dict[str, Any]:
    # A reach's or lake's report: the sections on it only.
    on = {"reach_id": site.id} if site and site.kind == "reach" else {"lake_id": site.id} if site else {}
    summary = quality_summary(scope=scope, period=period, division_code=division_code, **on)
    out: dict[str, Any] = {}
    for key, zh, en in CATEGORIES:
        c = summary.categories[key]
        out[key] = {
            "name_zh": zh,
            "name_en": en,
            "good_ratio": num(c.good_ratio),
            "good": c.good,
            "evaluated": c.evaluated,
            "not_evaluated": len(c.not_evaluated),
            "counts": dict(c.shares.groups),
            "by_class": {ROMAN[k]: v for k, v in c.shares.by_class.items()},
            "status": c.status,
            "sections": [
                {
                    "code": e.section.code,
                    "name": e.section.name,
                    "class": e.cls,
                    "good": e.good,
                    "samples": e.means.samples if e.means else 0,
                    "excluded_months": list(e.excluded_months),
                }
                for e in c.sections
            ],
            # Left out of the period's statistics, with the reason given (quality SectionExclusion).
            "excluded": [_excluded(e) for e in c.excluded],
            "partly_excluded": [_excluded(e) for e in c.sections if e.excluded_months],
        }
    return out


def build(
    *, scope: Scope, period: Period, previous: Period, division_code: str | None, site: ReportSite | None = None
) -> tuple[dict[str, Any], dict[str, str]]:
    out = _figures(scope, period, division_code, site)
    last = _figures(scope, previous, division_code, site)
    out["yoy"] = {
        key: {
            "good_ratio": change(out[key]["good_ratio"], last[key]["good_ratio"], share=True),
            "good": change(out[key]["good"], last[key]["good"]),
            "evaluated": change(out[key]["evaluated"], last[key]["evaluated"]),
        }
        for key, _, _ in CATEGORIES
    }
    p = period_params(period, division_code)
    links: dict[str, str] = {}
    for key, _, _ in CATEGORIES:
        # The summary endpoint lists every section with its class and samples; the samples ledger has
        # the rows the period means were computed from.
        links[f"quality.{key}.good_ratio"] = link("quality:summary", **p)
        links[f"quality.{key}.samples"] = link("quality:sample-list", **p)
    return out, links
