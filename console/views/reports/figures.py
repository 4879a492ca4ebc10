"""The report's figure tables as the PDF lays them out (reports/pdf.py: one table per section, this
period, the same period last year and the change), formatted here for the page, each figure with its
drill-down to the console ledger that lists its rows (console.views.home.ledger_link)."""

from __future__ import annotations

from typing import Any

from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

from console import formats as f
from console.views.home import ledger_link

Spec = tuple[Promise, str, str]  # label, key in the section, kind (m3, pct, int, km, t)

WATER: tuple[Spec, ...] = (
    (_("Water use (m³)"), "use_m3", "m3"),
    (_("Planned use (m³)"), "plan_m3", "m3"),
    (_("Use against plan"), "ratio", "pct"),
    (_("Use over plan (m³)"), "over_m3", "m3"),
    (_("Estimated volume (m³)"), "estimated_m3", "m3"),
    (_("Corrected volume (m³)"), "corrected_m3", "m3"),
    (_("Volume held for review (m³)"), "held_m3", "m3"),
    (_("Monitoring coverage"), "monitoring_coverage", "pct"),
    (_("Arrival rate"), "arrival_rate", "pct"),
)
REUSE: tuple[Spec, ...] = (
    (_("Sewage treated (m³)"), "treated_m3", "m3"),
    (_("Reclaimed water produced (m³)"), "produced_m3", "m3"),
    (_("Reclaimed water used (m³)"), "used_m3", "m3"),
    (_("Reuse rate"), "rate", "pct"),
)
PATROLS: tuple[Spec, ...] = (
    (_("Patrols"), "patrols", "int"),
    (_("Person-times"), "person_times", "int"),
    (_("Patrol distance (km)"), "km", "km"),
    (_("Flagged patrols"), "flagged", "int"),
    (_("Frequency compliance"), "compliance_rate", "pct"),
    (_("Cases found"), "cases_found", "int"),
    (_("Cleared on the spot"), "cases_cleared_on_spot", "int"),
    (_("Cases closed"), "cases_closed", "int"),
    (_("Overdue cases"), "cases_overdue", "int"),
    (_("Closure rate"), "closure_rate", "pct"),
    (_("Litter removed (t)"), "litter_tonnes", "t"),
)
QUALITY = (
    (_("Rivers"), "rivers"),
    (_("Lakes and reservoirs"), "lakes"),
    (_("Drinking-water sources"), "drinking_sources"),
)
OVERSIGHT: tuple[Spec, ...] = (
    (_("Rectification tasks"), "tasks.total", "int"),
    (_("Tasks completed"), "tasks.completed", "int"),
    (_("Tasks in progress"), "tasks.in_progress", "int"),
    (_("Tasks overdue"), "tasks.overdue", "int"),
    (_("Tasks signed off"), "tasks.signed_off", "int"),
    (_("Petitions received"), "petitions.received", "int"),
    (_("Petitions closed"), "petitions.closed", "int"),
    (_("Petitions in progress"), "petitions.in_progress", "int"),
    (_("Petitions substantiated"), "petitions.substantiated", "int"),
    (_("Rechecks done"), "rechecks.done", "int"),
    (_("Relapses found"), "rechecks.relapses", "int"),
)
SECTIONS = (("water", WATER), ("reuse", REUSE), ("patrols", PATROLS), ("oversight", OVERSIGHT))
LABELS: dict[str, Promise] = {f"{s}.{key}": label for s, spec in SECTIONS for label, key, _k in spec}
LABELS.update({f"quality.{key}.good_ratio": label for label, key in QUALITY})


def value(v: Any, kind: str) -> str:
    if v is None:
        return f.DASH
    if isinstance(v, bool):
        return f.yes_no(v)
    if kind == "pct":
        return f.percent(v, 2)
    if kind == "int":
        return f.number(v)
    if kind == "t":
        return f.number(v, 3)
    if kind in ("m3", "km"):
        return f.number(v, 2) if kind == "km" else f.number(v)
    if isinstance(v, int):
        return f.number(v)
    return f.number(v, 2) if isinstance(v, float) else str(v)


def change(yoy: dict[str, Any] | None, kind: str) -> str:
    """同比: a share's change in percentage points, a quantity's as a difference and in %."""
    if not yoy:
        return f.DASH
    if kind == "pct":
        pp = yoy.get("change_pp")
        return f.DASH if pp is None else _("%(sign)s%(pp).2f pp") % {"sign": "+" if pp >= 0 else "", "pp": pp}
    ch = yoy.get("change")
    if ch is None:
        return f.DASH
    text = ("+" if ch >= 0 else "") + value(ch, kind)
    rel = yoy.get("change_ratio")
    return text + (f" ({rel * 100:+.1f}%)" if rel is not None else "")


# The diff's reasons (reports.services._reason) in the page's language: the service writes them in
# English into the stored diff; each known phrase is replaced by its translation.
REASONS: tuple[tuple[str, Promise], ...] = (
    ("late readings or corrections after the ledger lock", _("late readings or corrections after the ledger lock")),
    (
        "readings corrected or reviewed (corrected volume changed)",
        _("readings corrected or reviewed (corrected volume changed)"),
    ),
    (
        "flagged readings reviewed, or new ones held (volume held for review changed)",
        _("flagged readings reviewed, or new ones held (volume held for review changed)"),
    ),
    (
        "late readings filled a gap (estimated volume changed)",
        _("late readings filled a gap (estimated volume changed)"),
    ),
    ("the plan was amended", _("the plan was amended")),
    (
        "water ledger rows added or corrected (readings, plans, red-line targets)",
        _("water ledger rows added or corrected (readings, plans, red-line targets)"),
    ),
    (
        "monthly plant volumes or deliveries added or corrected",
        _("monthly plant volumes or deliveries added or corrected"),
    ),
    (
        "patrols, cases or litter records added or changed (late posts, case transitions)",
        _("patrols, cases or litter records added or changed (late posts, case transitions)"),
    ),
    ("samples added or corrected", _("samples added or corrected")),
    (
        "rectification tasks, petitions or rechecks recorded or reviewed late",
        _("rectification tasks, petitions or rechecks recorded or reviewed late"),
    ),
    ("source rows changed", _("source rows changed")),
)


def reason_text(reason: str) -> str:
    for english, translated in REASONS:
        reason = reason.replace(english, str(translated))
    return reason


def _kind(path: str) -> str:
    leaf = path.rsplit(".", 1)[-1]
    if leaf.endswith(("ratio", "rate", "coverage", "completeness", "timeliness", "share", "share_of_treated")):
        return "pct"
    if leaf.endswith("_m3"):
        return "m3"
    if leaf.endswith("tonnes"):
        return "t"
    if leaf == "km":
        return "km"
    return "num"


def figure_label(path: str) -> str:
    """A diff row's figure in words where the page names it (the tables' figures), else its path."""
    label = LABELS.get(path)
    return f"{label} · {path}" if label else path


def figure_value(path: str, v: Any) -> str:
    return value(v, _kind(path)) if isinstance(v, int | float | bool) or v is None else str(v)


def _flat(section: dict[str, Any]) -> dict[str, Any]:
    """Nested groups one level down flattened as the PDF does for oversight ("tasks.total")."""
    out = dict(section)
    for k, v in section.items():
        if isinstance(v, dict) and k not in ("yoy",):
            out.update({f"{k}.{kk}": vv for kk, vv in v.items()})
    return out


def section_tables(report: dict[str, Any]) -> list[dict[str, Any]]:
    links = report.get("links") or {}
    titles = {
        "water": _("Water use against plan, and online monitoring"),
        "reuse": _("Reclaimed water"),
        "patrols": _("River chiefs' patrols and cases"),
        "oversight": _("Oversight and petitions"),
    }
    out: list[dict[str, Any]] = []
    for name, spec in SECTIONS:
        section = report.get(name)
        if section is None:
            continue
        data = _flat(section)
        if name == "patrols":
            data["compliance_rate"] = (section.get("compliance") or {}).get("rate")
        yoy = section.get("yoy") or {}
        rows = []
        for label, key, kind in spec:
            y = yoy.get(key) or {}
            link = links.get(f"{name}.{key}") or (links.get("patrols.compliance") if key == "compliance_rate" else "")
            rows.append(
                {
                    "label": label,
                    "key": f"{name}.{key}",
                    "value": value(data.get(key), kind),
                    "previous": value(y.get("previous"), kind),
                    "change": change(y, kind),
                    "link": ledger_link(link),
                }
            )
        out.append({"name": name, "title": titles[name], "rows": rows})
        if name == "water":
            out[-1]["redlines"] = _redlines(section)
    quality = report.get("quality")
    if quality is not None:
        rows = []
        for label, key in QUALITY:
            cat = quality.get(key) or {}
            y = ((quality.get("yoy") or {}).get(key) or {}).get("good_ratio") or {}
            rows.append(
                {
                    "label": label,
                    "key": f"quality.{key}.good_ratio",
                    "value": value(cat.get("good_ratio"), "pct"),
                    "note": f"{cat.get('good', 0)}/{cat.get('evaluated', 0)}",
                    "previous": value(y.get("previous"), "pct"),
                    "change": change(y, "pct"),
                    "link": ledger_link(links.get(f"quality.{key}.good_ratio", "")),
                }
            )
        out.insert(3, {"name": "quality", "title": _("Share of good water"), "rows": rows})
    return out


def _redlines(water: dict[str, Any]) -> list[dict[str, str]]:
    red = water.get("redlines") or {}
    rows = []
    for i in red.get("indicators") or []:
        kind = "pct" if i.get("unit") == "ratio" else "m3"
        rows.append(
            {
                "name": i.get("name_zh") or i.get("name_en") or i.get("key", ""),
                "target": value(i.get("target"), kind),
                "actual": value(i.get("actual"), kind),
                "state": i.get("state_zh") or f.yes_no(i.get("met")),
            }
        )
    return rows
