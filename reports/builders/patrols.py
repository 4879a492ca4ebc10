"""The patrol section: effort (person-times, km) by level and division, frequency compliance, flagged
patrols, cases by category (found, cleared on the spot, closed, overdue), closure rate, litter."""

from __future__ import annotations

from typing import Any

from django.utils.translation import gettext_lazy

from accounts.scope import Scope
from core.periods import Period
from patrols import report_selectors as selectors
from patrols.choices import CaseCategory, CaseStatus, ChiefLevel
from reports import conf
from reports.builders.common import change, link, num, period_params
from reports.selectors import ReportSite

WATER_LABELS = {"rivers": gettext_lazy("Rivers"), "lakes": gettext_lazy("Lakes and reservoirs")}

# The two patrol counts, under their Chinese names, with what each counts (issue 19).
COUNT_DEFINITIONS = {
    "patrols": {
        "name_zh": "巡河次数",
        "name_en": "Patrols",
        "definition_zh": "河湖长本人完成的巡河（湖）次数，一次巡河计一次，随行人员不另计；有效巡河另列。",
        "definition_en": "Completed patrols by the chiefs themselves, one per patrol, companions not counted; "
        "valid patrols are shown apart.",
    },
    "person_times": {
        "name_zh": "巡河人次",
        "name_en": "Person-times",
        "definition_zh": "参加巡河（湖）的人数之和：每次巡河计河湖长本人及随行人员各一人次。",
        "definition_en": "People on patrol: each patrol counts the chief and each companion once.",
    },
}

TOTALS = (
    "patrols",
    "valid",
    "flagged",
    "person_times",
    "km",
    "cases_found",
    "cases_cleared_on_spot",
    "cases_closed",
    "cases_overdue",
    "litter_tonnes",
)


COMPLIANCE_WATER_LABELS = {
    "rivers": ("河长", gettext_lazy("River chiefs")),
    "lakes": ("湖长", gettext_lazy("Lake and reservoir chiefs")),
    "rivers_and_lakes": ("河长兼湖长", gettext_lazy("Chiefs of both rivers and lakes")),
}


def _figures(scope: Scope, period: Period, division_code: str | None, site: ReportSite | None) -> dict[str, Any]:
    on = {"reach_id": site.id} if site and site.kind == "reach" else {"lake_id": site.id} if site else {}
    r = selectors.patrol_report(scope=scope, period=period, division_code=division_code, **on)
    c = selectors.compliance_report(scope=scope, period=period, division_code=division_code, **on)
    return {
        "patrols": r["patrols"],
        "valid": r["valid"],
        "flagged": r["flagged"],
        "flagged_pending": r["flagged_pending"],
        "flagged_rejected": r["flagged_rejected"],
        "person_times": r["person_times"],
        "km": r["km"],
        "cases_found": r["cases_found"],
        "cases_cleared_on_spot": r["cases_cleared_on_spot"],
        "cases_closed": r["cases_closed"],
        "cases_closed_of_found": r["cases_closed_of_found"],
        "cases_overdue": r["cases_overdue"],
        "closure_rate": r["closure_rate"],
        "litter_tonnes": num(r["litter_tonnes"], 3),
        "litter_records": r["litter_records"],
        "by_level": [{"level": lvl, "label": str(ChiefLevel(lvl).label), **fig} for lvl, fig in r["by_level"].items()],
        "by_division": r["by_division"],
        # Rivers (reaches) and lakes and reservoirs apart: effort, cases and litter of each.
        "by_water": [
            {"water": kind, "label": str(WATER_LABELS[kind]), **fig, "litter_tonnes": num(fig["litter_tonnes"], 3)}
            for kind, fig in r["by_water"].items()
        ],
        "cases_by_category": [
            {"category": cat, "label": str(CaseCategory(cat).label), **fig}
            for cat, fig in r["cases_by_category"].items()
        ],
        "cases_by_state": [
            {"category": cat, "label": str(CaseCategory(cat).label), **states}
            for cat, states in r["cases_by_state"].items()
        ],
        "compliance": {
            "chiefs": c["chiefs"],
            "compliant_chiefs": c["compliant_chiefs"],
            "required": c["required"],
            "done": c["done"],
            "person_times": c["person_times"],
            "valid": c["valid"],
            "missing": c["missing"],
            "rate": c["rate"],
            "by_level": c["by_level"],
            # River chiefs and lake chiefs apart (issue 19); a chief of both is counted on neither side.
            "by_water": [
                {
                    "water": kind,
                    "label_zh": COMPLIANCE_WATER_LABELS[kind][0],
                    "label": str(COMPLIANCE_WATER_LABELS[kind][1]),
                    **fig,
                }
                for kind, fig in c["by_water"].items()
            ],
        },
    }


def _links(out: dict[str, Any], period: Period, division_code: str | None, site: ReportSite | None) -> dict[str, str]:
    # A reach's or lake's report links to the ledgers' rows on it (they take the same `reach=`/`lake=`).
    p = {**period_params(period, division_code), **(site.params() if site else {})}
    on = site.params() if site else {}

    def rows(figure: str, **extra: Any) -> str:
        return link("reports:rows", figure=figure, **p, **extra)

    patrols = link("patrols:patrol-list", status="completed", **p)
    links = {
        "patrols.patrols": patrols,
        "patrols.person_times": patrols,
        "patrols.km": patrols,
        "patrols.valid": rows("patrols_valid"),
        "patrols.flagged": rows("patrols_flagged"),
        "patrols.cases_found": link("patrols:case-list", **p),
        "patrols.cases_cleared_on_spot": link("patrols:case-list", closed_via="on_spot", **p),
        "patrols.cases_closed": rows("cases_closed"),
        "patrols.cases_overdue": rows("cases_overdue"),
        "patrols.closure_rate": rows("cases_closed_of_found"),
        "patrols.litter_tonnes": link("patrols:litter-list", **p),
        "patrols.compliance": link("patrols:compliance", start=p["start"], end=p["end"], division=division_code, **on),
    }
    for row in out["by_level"]:
        row["link"] = link("patrols:patrol-list", status="completed", level=row["level"], **p)
    for row in out["by_division"]:
        row["link"] = link(
            "patrols:patrol-list", status="completed", start=p["start"], end=p["end"], division=row["code"], **on
        )
    for row in out["by_water"]:
        row["link"] = rows("patrols", water=row["water"])
    for row in out["cases_by_category"]:
        row["link"] = link("patrols:case-list", category=row["category"], **p)
    return links


def build(
    *, scope: Scope, period: Period, previous: Period, division_code: str | None, site: ReportSite | None = None
) -> tuple[dict[str, Any], dict[str, str]]:
    """The section and its drill-down links (of one reach or lake when `site` is given)."""
    out = _figures(scope, period, division_code, site)
    last = _figures(scope, previous, division_code, site)
    out["yoy"] = {key: change(out[key], last[key]) for key in TOTALS}
    out["yoy"]["closure_rate"] = change(out["closure_rate"], last["closure_rate"], share=True)
    out["yoy"]["compliance_rate"] = change(out["compliance"]["rate"], last["compliance"]["rate"], share=True)
    out["case_states"] = [{"state": s.value, "label": str(s.label)} for s in CaseStatus]
    headline = conf.patrol_headline()
    out["headline"] = {"figure": headline, "value": out[headline], **COUNT_DEFINITIONS[headline]}
    out["count_definitions"] = COUNT_DEFINITIONS
    return out, _links(out, period, division_code, site)
