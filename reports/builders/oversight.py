"""The oversight section (督察整改与信访): rectification tasks, petitions and look-back rechecks, as of the
period's last day (the seed's "截至…" sentence) plus what happened inside the period, read through
oversight.selectors.oversight_figures_many. Every figure links to the ledger rows it counted
(`?figure=&start=&end=&division=` lists them with the same filter that counted them)."""

from __future__ import annotations

from typing import Any

from accounts.scope import Scope
from core.periods import Period
from oversight.selectors import oversight_figures_many
from reports.builders.common import change, link, period_params


def sentence_zh(out: dict[str, Any], period: Period) -> str:
    """The figures as the seed writes them (its first paragraph)."""
    t, p = out["tasks"], out["petitions"]
    end = period.last_date
    return (
        f"截至{end.year}年{end.month}月{end.day}日，牵头的{t['total']}项整改任务已完成{t['completed']}项，"
        f"其余{t['in_progress']}项正在持续推进中；转办的{p['received']}件信访件已办结{p['closed']}件，"
        f"其余{p['in_progress']}件正在持续推进中。"
    )


def build(
    *, scope: Scope, period: Period, previous: Period, division_code: str | None
) -> tuple[dict[str, Any], dict[str, str]]:
    # This period and the same one last year from the same scans (the year-on-year changes need both).
    out, last = oversight_figures_many(scope=scope, periods=[period, previous], division_code=division_code)
    out["summary_zh"] = sentence_zh(out, period)
    out["yoy"] = {
        f"{group}.{key}": change(out[group][key], last[group][key])
        for group in ("tasks", "petitions", "rechecks")
        for key in out[group]
    }
    params = period_params(period, division_code)
    links: dict[str, str] = {}
    for group, path in (
        ("tasks", "oversight:task-list"),
        ("petitions", "oversight:petition-list"),
        ("rechecks", "oversight:recheck-list"),
    ):
        for key in out[group]:
            links[f"oversight.{group}.{key}"] = link(path, figure=key, **params)
    for row in out["by_division"]:
        row["link"] = link("oversight:petition-list", figure="received", **{**params, "division": row["code"]})
    return out, links
