"""Report builders: one per section, each reading the domain apps through their selectors only and
returning plain JSON-ready dicts, plus the drill-down link of every figure (`links`).

`build_report(scope=, period=, division_code=, site=)` assembles them; `progress` (optional) is called
with 0–100 as sections finish (the snapshot task reports it).

A report of one reach or lake (`site`, issue 19) keeps the figures that belong to it: patrols, cases,
litter and the compliance of its chiefs; water use of the intakes on the reach's river or on the lake;
quality of the sections on it. What cannot be attributed to one reach or lake (reclaimed water, the
oversight ledgers, red lines, online monitoring, the plan tier) is left out, and `left_out` says so.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import Any

from accounts.scope import Scope
from core.periods import Period, same_period_last_year
from reports.builders import oversight, patrols, quality, reuse, water
from reports.selectors import ReportSite, division_name

SCHEMA_VERSION = 1
SECTIONS = ("water", "reuse", "patrols", "quality", "oversight")

# Sections (and water figures) a report of one reach or lake leaves out, with the reason it gives.
SITE_LEFT_OUT = {
    "reuse": (
        "再生水按污水处理厂和用户统计，不能归属于单一河段或湖库",
        "Reclaimed water is counted by plant and user, not by reach or lake",
    ),
    "oversight": (
        "督察整改与信访按行政区统计，不能归属于单一河段或湖库",
        "Inspection tasks and petitions are counted by division, not by reach or lake",
    ),
    "water.redlines": ("用水红线指标按行政区考核", "Red-line targets are set for a division"),
    "water.monitoring": ("在线监测到报率按行政区统计", "Online monitoring is counted by division"),
    "water.tier": ("超计划累进分档按取水户计划整体计算", "The over-plan tier is the division's plan's"),
}

SECTION_TITLES = {
    "water": ("用水总量与计划", "Water use against plan"),
    "reuse": ("再生水利用", "Reclaimed water"),
    "patrols": ("河湖长巡河与问题整改", "River-chief patrols and cases"),
    "quality": ("水质优良比例", "Good-water shares"),
    "oversight": ("督察整改与信访", "Inspection rectification and petitions"),
}


def period_dict(period: Period) -> dict[str, Any]:
    return {
        "start": period.first_date.isoformat(),
        "end": period.last_date.isoformat(),
        "label": period.label,
        "kind": period.kind,
    }


def build_report(
    *,
    scope: Scope,
    period: Period,
    division_code: str | None = None,
    site: ReportSite | None = None,
    now: dt.datetime | None = None,
    progress: Callable[[int], None] | None = None,
) -> dict[str, Any]:
    """The whole report as plain JSON values: period, the comparison period (同比), division, the reach
    or lake (`site`, null for a division's report), each section with its `yoy`, and `links` (figure
    path → API URL listing the rows it summed)."""
    previous = same_period_last_year(period)
    division = None
    if division_code:
        division = {"code": division_code, "name": division_name(division_code)}
    report: dict[str, Any] = {
        "schema": SCHEMA_VERSION,
        "period": period_dict(period),
        "comparison_period": period_dict(previous),
        "division": division,
        "site": None if site is None else site.to_dict(),
        "jurisdiction": None if scope.everything else scope.prefix,
    }
    sections: tuple[str, ...] = SECTIONS
    if site is not None:
        sections = tuple(name for name in SECTIONS if name not in SITE_LEFT_OUT)
        report["left_out"] = [
            {"figure": key, "reason_zh": zh, "reason_en": en} for key, (zh, en) in SITE_LEFT_OUT.items()
        ]
    links: dict[str, str] = {}
    builders: dict[str, Callable[..., tuple[dict[str, Any], dict[str, str]]]] = {
        "water": lambda **kw: water.build(now=now, site=site, **kw),
        "reuse": reuse.build,
        "patrols": lambda **kw: patrols.build(site=site, **kw),
        "quality": lambda **kw: quality.build(site=site, **kw),
        "oversight": oversight.build,
    }
    for n, name in enumerate(sections, start=1):
        section, section_links = builders[name](
            scope=scope, period=period, previous=previous, division_code=division_code
        )
        report[name] = section
        links.update(section_links)
        if progress is not None:
            progress(int(80 * n / len(sections)))
    report["links"] = links
    return report
