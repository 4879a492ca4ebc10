"""Report builders: one per section, each reading the domain apps through their selectors only and
returning plain JSON-ready dicts, plus the drill-down link of every figure (`links`).

`build_report(scope=, period=, division_code=)` assembles them; `progress` (optional) is called with
0–100 as sections finish (the snapshot task reports it).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import Any

from accounts.scope import Scope
from core.periods import Period, same_period_last_year
from places.models import Division
from reports.builders import oversight, patrols, quality, reuse, water

SCHEMA_VERSION = 1
SECTIONS = ("water", "reuse", "patrols", "quality", "oversight")

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
    now: dt.datetime | None = None,
    progress: Callable[[int], None] | None = None,
) -> dict[str, Any]:
    """The whole report as plain JSON values: period, the comparison period (同比), division, each
    section with its `yoy`, and `links` (figure path → API URL listing the rows it summed)."""
    previous = same_period_last_year(period)
    division = None
    if division_code:
        name = Division.objects.filter(code=division_code).values_list("name", flat=True).first()
        division = {"code": division_code, "name": name}
    report: dict[str, Any] = {
        "schema": SCHEMA_VERSION,
        "period": period_dict(period),
        "comparison_period": period_dict(previous),
        "division": division,
        "jurisdiction": None if scope.everything else scope.prefix,
    }
    links: dict[str, str] = {}
    builders: dict[str, Callable[..., tuple[dict[str, Any], dict[str, str]]]] = {
        "water": lambda **kw: water.build(now=now, **kw),
        "reuse": reuse.build,
        "patrols": patrols.build,
        "quality": quality.build,
        "oversight": oversight.build,
    }
    for n, name in enumerate(SECTIONS, start=1):
        section, section_links = builders[name](
            scope=scope, period=period, previous=previous, division_code=division_code
        )
        report[name] = section
        links.update(section_links)
        if progress is not None:
            progress(int(80 * n / len(SECTIONS)))
    report["links"] = links
    return report
