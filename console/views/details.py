"""Detail pages (console.md "Detail"): a header card of the figures that matter, a map where the thing
has a place, then its related rows and history. Each row is looked up through the app's selector with
the caller's scope, so a row outside it is a 404, as in the API."""

from __future__ import annotations

import datetime as dt
import uuid
from typing import Any

from django.http import Http404, HttpRequest, HttpResponse
from django.urls import NoReverseMatch, reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from accounts.scope import Scope
from console import formats as f
from console.ledgers.definitions import GEOMETRY, flag_words
from console.views.base import console_page, page, scope, to_json
from core import periods
from patrols import selectors as patrol_selectors
from patrols.choices import PatrolFlag, ValidityReason
from quality import selectors as quality_selectors
from water import plan_selectors
from water import selectors as water_selectors

FLAG_EXPLANATIONS = {
    PatrolFlag.TELEPORT: gettext_lazy(
        "Two points of the track are further apart than a person can travel in the time between them."
    ),
    PatrolFlag.STATIONARY: gettext_lazy("The track hardly moves: the phone stayed in one place."),
    PatrolFlag.OUTSIDE_REACH: gettext_lazy("Most of the track lies outside the reach it was recorded for."),
    PatrolFlag.OVERLAP: gettext_lazy("Its time overlaps another patrol of the same chief."),
    PatrolFlag.AUTO_ENDED: gettext_lazy("The phone never ended it; the system closed it at its last point."),
    PatrolFlag.ABANDONED: gettext_lazy("The phone never ended it and its points make no track."),
}


def _figures(*pairs: tuple[Any, Any]) -> list[dict[str, str]]:
    return [{"label": str(label), "value": str(value)} for label, value in pairs]


def _crumb(url_name: str, label: Any) -> tuple[Any, str]:
    try:
        return label, reverse(url_name)
    except NoReverseMatch:
        return label, ""


# ------------------------------------------------------------------------------------------ intakes


def _data_year(intake_id: int) -> int:
    """The year to show first: this year when it has data, else the latest year that has."""
    from water.models import DailyVolume

    last = DailyVolume.objects.filter(meter__intake_id=intake_id).order_by("-day").values_list("day", flat=True)
    day = last.first()
    return day.year if day else periods.to_beijing(timezone.now()).year


@console_page("console:intake_list")
def intake_detail(request: HttpRequest, pk: int) -> HttpResponse:
    sc = scope(request)
    intake = water_selectors.intake_list(scope=sc).filter(pk=pk).first()
    if intake is None:
        raise Http404
    raw_year = request.GET.get("year", "")
    errors: list[str] = []
    year = _data_year(intake.pk)
    if raw_year:
        if raw_year.isdigit() and 2000 <= int(raw_year) <= 2100:
            year = int(raw_year)
        else:
            errors.append(_("year: a year such as 2024."))
    first, last = dt.date(year, 1, 1), dt.date(year, 12, 31)
    volumes = water_selectors.intake_volumes(scope=sc, intake_id=intake.pk, first=first, last=last, interval="month")
    plan = plan_selectors.intake_month_plan(scope=sc, intake_id=intake.pk, year=year)
    months = []
    labels: list[str] = []
    use: list[float] = []
    planned_series: list[float | None] = []
    for n, fig in enumerate(volumes["periods"], start=1):
        planned = plan.get(n) if plan else None
        months.append(
            {
                "label": fig["label"],
                "measured": f.number(fig["measured_m3"]),
                "estimated": f.number(fig["estimated_m3"]),
                "corrected": f.number(fig["corrected_m3"]),
                "total": f.number(fig["volume_m3"]),
                "plan": f.number(planned),
                "coverage": f.percent(fig["coverage"]),
            }
        )
        labels.append(_("month %(n)s") % {"n": n})
        use.append(float(fig["volume_m3"]))
        planned_series.append(float(planned) if planned is not None else None)
    chart = {
        "labels": labels,
        "use": use,
        "plan": planned_series,
        "names": {"use": _("Use (m³)"), "plan": _("Plan (m³)")},
    }
    meters = [
        {
            "serial": m.serial,
            "protocol": m.get_protocol_display(),
            "type": m.meter_type,
            "installed": f.when(m.installed_at),
            "removed": f.when(m.removed_at),
            "url": reverse("console:reading_list") + f"?meter={m.pk}",
        }
        for m in intake.meters.all()
    ]
    readings = [
        {
            "meter": r.meter.serial,
            "observed": f.when(r.observed_at),
            "value": f.number(r.cumulative_m3, 3),
            "source": r.get_source_display(),
            "review": r.get_review_display() or "—",
            "corrected": f.yes_no(r.corrected),
            "received": f.when(r.received_at),
        }
        for r in water_selectors.reading_list(scope=sc).filter(meter__intake=intake).order_by("-observed_at")[:20]
    ]
    total = volumes["total"]
    figures = _figures(
        (_("Division"), intake.division.name),
        (_("Source type"), intake.get_source_type_display()),
        (_("Main use"), intake.get_main_use_display()),
        (_("Permit number"), f.text(intake.permit_number)),
        (_("Permitted per year"), f.m3(intake.permitted_annual_m3)),
        (_("Use in %(year)s") % {"year": year}, f.m3(total["volume_m3"])),
        (_("Plan in %(year)s") % {"year": year}, f.m3(sum(plan.values())) if plan else _("no plan")),
    )
    context = {
        "intake": intake,
        "figures": figures,
        "meters": meters,
        "months": months,
        "readings": readings,
        "year": year,
        "errors": errors,
        "chart_json": to_json(chart),
        "operators": ", ".join(str(u) for u in intake.operators.all()),
        "readings_url": reverse("console:reading_list") + f"?serial={meters[0]['serial']}" if meters else "",
    }
    return page(
        request,
        "console/detail/intake.html",
        context,
        title=f"{intake.code} {intake.name}",
        crumbs=[_crumb("console:intake_list", _("Intakes"))],
        status=400 if errors else 200,
    )


# ------------------------------------------------------------------------------------------ patrols


def _uuid(value: str) -> uuid.UUID:
    try:
        return uuid.UUID(value)
    except ValueError as exc:
        raise Http404 from exc


@console_page("console:patrol_list")
def patrol_detail(request: HttpRequest, pk: str) -> HttpResponse:
    # The page's map fetches its geometry (console:map_feature): no track is read here.
    patrols = patrol_selectors.patrol_list(scope=scope(request)).defer("track_preview", *GEOMETRY)
    patrol = patrols.filter(pk=_uuid(pk)).first()
    if patrol is None:
        raise Http404
    flags = []
    for code in patrol.flags or []:
        try:
            flag = PatrolFlag(code)
        except ValueError:
            flags.append({"label": code, "why": ""})
            continue
        flags.append({"label": flag.label, "why": FLAG_EXPLANATIONS.get(flag, "")})
    reasons = []
    for code in patrol.invalid_reasons or []:
        try:
            reasons.append(str(ValidityReason(code).label))
        except ValueError:
            reasons.append(str(code))
    figures = _figures(
        (_("Chief"), str(patrol.chief)),
        (_("Reach"), patrol.site.name),
        (_("Level"), patrol.get_level_display()),
        (_("Started (Beijing)"), f.when(patrol.started_at)),
        (_("Ended (Beijing)"), f.when(patrol.ended_at)),
        (_("Distance"), f.km(patrol.distance_m)),
        (_("Person-times"), patrol.person_times),
        (_("Coverage of the reach"), f.percent(patrol.coverage)),
        (_("Share inside the reach"), f.percent(patrol.inside_share)),
        (_("Valid"), f.yes_no(patrol.valid)),
        (_("Review"), patrol.get_review_status_display()),
    )
    cases = [
        {
            "url": reverse("console:case_detail", args=[c.pk]),
            "category": c.get_category_display(),
            "status": c.get_status_display(),
            "found": f.when(c.found_at),
        }
        for c in patrol_selectors.case_list(scope=scope(request)).filter(patrol=patrol).order_by("found_at")
    ]
    context = {
        "patrol": patrol,
        "figures": figures,
        "flags": flags,
        "reasons": reasons,
        "flag_text": flag_words(patrol.flags),
        "cases": cases,
        "points": f"{patrol.points_kept} / {patrol.points_received}",
    }
    title = _("Patrol of %(reach)s on %(day)s") % {
        "reach": patrol.site.name,
        "day": periods.to_beijing(patrol.started_at).date().isoformat(),
    }
    return page(
        request,
        "console/detail/patrol.html",
        context,
        title=title,
        crumbs=[_crumb("console:patrol_list", _("Patrols"))],
    )


# Cases: console/views/cases/ (the board, the case page with its workflow, the desk report).


# ------------------------------------------------------------------------------------------ quality


@console_page("console:section_list")
def section_detail(request: HttpRequest, pk: int) -> HttpResponse:
    section = quality_selectors.section_list(scope=scope(request)).filter(pk=pk).first()
    if section is None:
        raise Http404
    errors: list[str] = []
    raw_year = request.GET.get("year", "")
    year = _section_year(scope(request), section.pk)
    if raw_year:
        if raw_year.isdigit() and 2000 <= int(raw_year) <= 2100:
            year = int(raw_year)
        else:
            errors.append(_("year: a year such as 2024."))
    yearly = quality_selectors.section_evaluation(section=section, period=periods.year(year)).to_dict(items=True)
    months = []
    chart: dict[str, Any] = {
        "labels": [],
        "classes": [],
        "target": section.target_class,
        "names": {"class": _("Class"), "target": _("Target class")},
    }
    # The class month by month from one read of the year's results (not two queries per month).
    for m, ev in enumerate(quality_selectors.section_months(section=section, period=periods.year(year)), start=1):
        chart["labels"].append(_("month %(n)s") % {"n": m})
        chart["classes"].append(ev.cls)
        months.append(
            {"month": f"{year}-{m:02d}", "class": _class_label(ev.cls), "samples": ev.means.samples if ev.means else 0}
        )
    items = [
        {
            "name": i.get("name") or i.get("item"),
            "value": f.text(i.get("rounded")),
            "unit": i.get("unit", ""),
            "class": _class_label(i.get("class")),
            "counted": f.yes_no(i.get("counted")),
            "exceedance": f.number(i["exceedance_multiple"], 2) if i.get("exceedance_multiple") is not None else "—",
        }
        for i in yearly.get("items", [])
    ]
    pollutants = "、".join(str(p.get("name") or p.get("item")) for p in yearly.get("main_pollutants") or []) or "—"
    figures = _figures(
        (_("Category"), section.get_category_display()),
        (_("Water body"), section.get_water_body_display()),
        (_("Division"), section.division.name),
        (_("Target class"), section.get_target_class_display()),
        (_("Class in %(year)s") % {"year": year}, _class_label(yearly.get("class"))),
        (_("Main pollutants"), pollutants),
    )
    context = {
        "section": section,
        "figures": figures,
        "months": months,
        "items": items,
        "year": year,
        "errors": errors,
        "chart_json": to_json(chart),
        "description": yearly.get("description") or "",
    }
    return page(
        request,
        "console/detail/section.html",
        context,
        title=f"{section.code} {section.name}",
        crumbs=[_crumb("console:section_list", _("Water-quality sections"))],
        status=400 if errors else 200,
    )


ROMAN = {1: "Ⅰ", 2: "Ⅱ", 3: "Ⅲ", 4: "Ⅳ", 5: "Ⅴ", 6: "劣Ⅴ"}


def _class_label(cls: Any) -> str:
    if cls is None:
        return "—"
    return _("Class %(roman)s") % {"roman": ROMAN.get(int(cls), str(cls))}


def _section_year(sc: Scope, section_id: int) -> int:
    """The year to show first: the year of the section's latest sample (else this year)."""
    latest = (
        quality_selectors.sample_list(scope=sc)
        .filter(section_id=section_id)
        .order_by("-sampled_at")
        .values_list("sampled_at", flat=True)
        .first()
    )
    return periods.to_beijing(latest or timezone.now()).year
