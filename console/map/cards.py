"""What the card of a clicked map feature shows, read through the apps' selectors with the caller's
scope (a feature outside it is NotFound, a 404). Each card links to its ledger page.

Ledger URL names are the console's (`console:intake_detail` …). A name the console does not define
(yet) gives no link rather than an error: the card is still useful, and the link appears with the page.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from django.db.models import Count, Q, Sum
from django.urls import NoReverseMatch, reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from accounts.scope import Scope
from console import formats
from console.map.layers import CASE_STATE_GROUPS, QUALITY_SYM, intake_states, state_instant
from console.periods import spoken
from core import periods
from core.exceptions import NotFound
from patrols.choices import CaseStatus, PatrolFlag
from patrols.selectors import case_list, patrol_list, reach_chiefs
from places.choices import ChiefLevel
from places.selectors import division_list, lake_list, river_list
from quality.gb3838 import CLASS_LABELS
from quality.selectors import evaluate_sections, section_list
from reuse.selectors import pipeline_list, plant_list, station_list
from water.plan_selectors import plan_summary
from water.selectors import intake_list

# The over-plan tiers of water.conf WATER_PLAN_TIERS, as people say them.
TIER_LABELS = {
    # xgettext:no-python-format
    "5-10": gettext_lazy("5–10 % over plan"),
    # xgettext:no-python-format
    "10-20": gettext_lazy("10–20 % over plan"),
    # xgettext:no-python-format
    "20-30": gettext_lazy("20–30 % over plan"),
    # xgettext:no-python-format
    "30+": gettext_lazy("30 % or more over plan"),
}


def detail_url(name: str, *args: Any, query: str = "") -> str | None:
    """The console page `name` (in the console namespace), or None while the console has none."""
    try:
        url = reverse(f"console:{name}", args=args)
    except NoReverseMatch:
        return None
    return f"{url}?{query}" if query else url


@dataclass
class Card:
    """A feature's card: a title, a kind label, rows of (label, value), optional lists, a link."""

    kind: str
    kind_label: str
    title: str
    subtitle: str = ""
    rows: list[tuple[str, str]] = field(default_factory=list)
    lists: list[tuple[str, list[str]]] = field(default_factory=list)
    link: str | None = None
    link_label: str = ""
    badge: str = ""
    badge_class: str = ""


_km, _m3, _pct, _date = formats.km, formats.m3, formats.percent, formats.when


def month_of(period: periods.Period) -> periods.Period:
    """The month the cards' "this month" figures are for: the month of the map period's last day."""
    last = period.last_date
    return periods.month(last.year, last.month)


def _get(qs: Any, pk: Any) -> Any:
    obj = qs.filter(pk=pk).first()
    if obj is None:
        raise NotFound("No such feature in your scope.")
    return obj


def reach_card(*, scope: Scope, pk: int, period: periods.Period) -> Card:
    """A reach: its chiefs by level, the month's patrols and km, its open cases."""
    try:
        chiefs = reach_chiefs(scope=scope, reach_id=pk, on=period.last_date)
    except NotFound:
        raise NotFound("No such feature in your scope.") from None
    reach = chiefs.reach
    month = month_of(period)
    effort = (
        patrol_list(scope=scope)
        .filter(reach_id=pk, started_at__gte=month.start, started_at__lt=month.end)
        .aggregate(n=Count("id"), m=Sum("distance_m"), valid=Count("id", filter=Q(valid=True)))
    )
    open_cases = case_list(scope=scope).filter(reach_id=pk).exclude(status=CaseStatus.CLOSED).count()
    levels = dict(ChiefLevel.choices)
    chief_rows = [
        f"{levels[level]}：" + "、".join(str(a.chief) for a in assignments)
        for level, assignments in chiefs.by_level.items()
        if assignments
    ]
    card = Card(
        kind="reach",
        kind_label=_("Reach"),
        title=reach.name,
        subtitle=f"{reach.code} · {reach.river.name} · {reach.division.name}",
        rows=[
            (_("Length"), _km(reach.length_m)),
            (
                _("Patrols in %(month)s") % {"month": spoken(month)},
                _("%(n)s (%(valid)s valid)") % {"n": effort["n"], "valid": effort["valid"]},
            ),
            (_("Patrol distance in %(month)s") % {"month": spoken(month)}, _km(effort["m"] or 0)),
            (_("Open cases"), str(open_cases)),
        ],
        lists=[(_("Chiefs"), chief_rows or [_("No chief appointed")])],
        link=detail_url("patrol_list", query=f"reach={pk}"),
        link_label=_("Patrols on this reach"),
    )
    return card


def intake_card(*, scope: Scope, pk: int, period: periods.Period) -> Card:
    """An intake: its meters and their states, its state, its use against plan over the period."""
    intake = _get(intake_list(scope=scope).prefetch_related(None), pk)
    at = state_instant(period)
    state, meters = intake_states(scope=scope, intake_ids=[pk], at=at)[pk]
    summary = plan_summary(scope=scope, period=period, division_code=intake.division.code)
    use = next((row for row in summary.intakes if row.intake_id == pk), None)
    states = {"online": _("online"), "offline": _("offline"), "alarm": _("alarm"), "none": _("no meter")}
    meter_states = {"online": _("online"), "offline": _("offline"), "removed": _("removed")}
    rows = [
        (_("Source"), intake.get_source_type_display()),
        (_("Division"), intake.division.name),
        (_("Permit"), intake.permit_number or "—"),
        (_("Permitted per year"), _m3(intake.permitted_annual_m3)),
        (_("Use in %(period)s") % {"period": spoken(period)}, _m3(use.use_m3 if use else None)),
        (_("Plan in %(period)s") % {"period": spoken(period)}, _m3(use.plan_m3 if use else None)),
        (_("Use against plan"), _pct(use.ratio if use else None)),
    ]
    if use and use.tier in TIER_LABELS:
        rows.append((_("Over-plan tier"), str(TIER_LABELS[use.tier])))
    last_report = _("last report")
    meter_rows = [
        f"{m['serial']}: {meter_states.get(m['state'], m['state'])}, {last_report} {_date(m['last'])}" for m in meters
    ]
    return Card(
        kind="intake",
        kind_label=_("Intake"),
        title=intake.name,
        subtitle=intake.code,
        rows=rows,
        lists=[(_("Meters"), meter_rows or [_("No meter in service")])],
        link=detail_url("intake_detail", pk),
        link_label=_("Intake ledger"),
        badge=states[state],
        badge_class=f"hz-badge--{state}",
    )


def case_card(*, scope: Scope, pk: Any, period: periods.Period) -> Card:
    case = _get(case_list(scope=scope), pk)
    group = next(g for g, statuses in CASE_STATE_GROUPS.items() if case.status in statuses)
    overdue = case.overdue_at is not None and case.status != CaseStatus.CLOSED
    rows = [
        (_("Category"), case.get_category_display()),
        (_("Status"), case.get_status_display()),
        (_("Reach"), case.site.name),
        (_("Found"), _date(case.found_at)),
        (_("Responsible unit"), case.responsible_unit or "—"),
        (_("Deadline"), case.deadline.isoformat() if case.deadline else "—"),
    ]
    return Card(
        kind="case",
        kind_label=_("Case"),
        title=case.get_category_display(),
        subtitle=case.description[:120],
        rows=rows,
        link=detail_url("case_detail", case.pk),
        link_label=_("Case record"),
        badge=_("overdue") if overdue else case.get_status_display(),
        badge_class="hz-badge--alarm" if overdue else f"hz-badge--{group}",
    )


def patrol_card(*, scope: Scope, pk: Any, period: periods.Period) -> Card:
    patrol = _get(patrol_list(scope=scope), pk)
    flag_labels = dict(PatrolFlag.choices)
    flags = "、".join(str(flag_labels.get(f, f)) for f in patrol.flags) if patrol.flags else "—"
    rows = [
        (_("Chief"), str(patrol.chief)),
        (_("Reach"), patrol.site.name),
        (_("Started"), _date(patrol.started_at)),
        (_("Distance"), _km(patrol.distance_m)),
        (_("Coverage"), _pct(patrol.coverage)),
        (_("Flags"), flags),
    ]
    return Card(
        kind="patrol",
        kind_label=_("Patrol"),
        title=f"{patrol.site.name} {_date(patrol.started_at)}",
        rows=rows,
        link=detail_url("patrol_detail", patrol.pk),
        link_label=_("Patrol record"),
        badge=_("valid") if patrol.valid else _("not valid"),
        badge_class="hz-badge--online" if patrol.valid else "hz-badge--offline",
    )


def section_card(*, scope: Scope, pk: int, period: periods.Period) -> Card:
    section = _get(section_list(scope=scope), pk)
    evaluation = evaluate_sections(sections=[section], period=period)[0]
    cls = evaluation.cls
    label = CLASS_LABELS.get(cls) if cls else None
    return Card(
        kind="section",
        kind_label=_("Quality section"),
        title=section.name,
        subtitle=section.code,
        rows=[
            (_("Category"), section.get_category_display()),
            (_("Class in %(period)s") % {"period": spoken(period)}, label or _("not evaluated")),
            (_("Target class"), CLASS_LABELS.get(section.target_class, "—") if section.target_class else "—"),
        ],
        link=detail_url("section_detail", pk),
        link_label=_("Section ledger"),
        badge=label or "",
        badge_class=f"hz-{QUALITY_SYM.get(cls, 'quality-none')}" if cls else "",
    )


def _simple(kind: str, kind_label: str, obj: Any, rows: list[tuple[str, str]], link: str | None) -> Card:
    return Card(
        kind=kind,
        kind_label=kind_label,
        title=obj.name,
        subtitle=obj.code,
        rows=rows,
        link=link,
        link_label=_("Ledger"),
    )


def division_card(*, scope: Scope, pk: int, period: periods.Period) -> Card:
    d = _get(division_list(scope=scope), pk)
    return _simple("division", _("Division"), d, [(_("Level"), d.get_level_display())], None)


def river_card(*, scope: Scope, pk: int, period: periods.Period) -> Card:
    r = _get(river_list(scope=scope), pk)
    return _simple("river", _("River"), r, [(_("Length"), _km(r.length_m)), (_("Division"), r.division.name)], None)


def lake_card(*, scope: Scope, pk: int, period: periods.Period) -> Card:
    lake = _get(lake_list(scope=scope), pk)
    rows = [(_("Kind"), lake.get_kind_display()), (_("Water area"), f"{lake.area_m2 / 1e6:,.3f} km²")]
    return _simple("lake", _("Lake or reservoir"), lake, rows, None)


def plant_card(*, scope: Scope, pk: int, period: periods.Period) -> Card:
    plant = _get(plant_list(scope=scope), pk)
    rows = [
        (_("Design capacity"), f"{float(plant.design_capacity_m3d):,.0f} m³/d"),
        (_("Division"), plant.division.name),
    ]
    return _simple("plant", _("Reclaimed-water plant"), plant, rows, detail_url("plant_list"))


def _project_card(kind: str, label: str, qs: Any, pk: int, ledger: str) -> Card:
    project = _get(qs, pk)
    rows = [(_("Status"), project.get_status_display()), (_("Division"), project.division.name)]
    if project.capacity_m3d is not None:
        rows.append((_("Capacity"), f"{float(project.capacity_m3d):,.0f} m³/d"))
    if project.length_m is not None:
        rows.append((_("Length"), _km(project.length_m)))
    return _simple(kind, label, project, rows, detail_url(ledger))


def station_card(*, scope: Scope, pk: int, period: periods.Period) -> Card:
    return _project_card("station", _("Pump station"), station_list(scope=scope), pk, "project_list")


def pipeline_card(*, scope: Scope, pk: int, period: periods.Period) -> Card:
    return _project_card("pipeline", _("Pipeline"), pipeline_list(scope=scope), pk, "pipeline_list")


CARDS = {
    "reach": reach_card,
    "intake": intake_card,
    "case": case_card,
    "patrol": patrol_card,
    "section": section_card,
    "division": division_card,
    "river": river_card,
    "lake": lake_card,
    "plant": plant_card,
    "station": station_card,
    "pipeline": pipeline_card,
}
UUID_KINDS = frozenset({"case", "patrol"})
