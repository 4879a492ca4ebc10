"""The map's layers as GeoJSON FeatureCollections (bytes), one function per layer.

Every layer starts from the owning app's selector with the caller's scope, so a row the API would not
show is not drawn either (no second permission system). Geometries are written by the database
(AsGeoJSON) and lines and polygons are simplified there to about a screen pixel of the requested zoom
(`Simplify`: ST_Simplify on PostGIS and on SpatiaLite), so a month of patrol tracks stays small; the
features are assembled with orjson around the database's GeoJSON text, never parsed in Python.

Each feature carries `sym`, the legend entry it is drawn with; the page's legend shows the entries
of the layers shown and how many features each has, so the legend matches the map.

A fixed number of queries per layer, whatever the number of features (tests hold them to it).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterable
from typing import Any

import orjson
from django.contrib.gis.db.models import GeometryField
from django.contrib.gis.db.models.functions import AsGeoJSON, GeoFunc
from django.db.models import Q, QuerySet, Value
from django.db.models.fields import FloatField
from django.utils import timezone

from accounts.scope import Scope
from console.map.params import LayerParams
from core import periods
from patrols.choices import CaseCategory, CaseStatus, ReviewStatus
from patrols.selectors import case_list, patrol_list
from places.choices import ChiefLevel
from places.selectors import assignment_list, division_list, lake_list, reach_list, river_list
from quality.gb3838 import CLASS_LABELS
from quality.selectors import evaluate_sections, section_list
from reuse.selectors import pipeline_list, plant_list, station_list
from water import conf as water_conf
from water.choices import MeterState
from water.monitoring import meter_state
from water.plan_selectors import WITHIN, period_plan_use
from water.selectors import alert_list, intake_list, last_reports, meter_list

# Decimal places of coordinates sent: 1e-5° is about a metre (enough for a track on a screen),
# 1e-6° about 10 cm (points: intakes, cases, sections).
LINE_PRECISION = 5
POINT_PRECISION = 6

# Case states as the map groups them (reference/console.md: reported red, in rectification orange,
# closed green): what still waits for a unit is "rectifying" until it is closed.
CASE_STATE_GROUPS: dict[str, tuple[str, ...]] = {
    "reported": (CaseStatus.REPORTED,),
    "rectifying": (CaseStatus.ASSIGNED, CaseStatus.RECTIFYING, CaseStatus.SUBMITTED, CaseStatus.VERIFIED),
    "closed": (CaseStatus.CLOSED,),
}
_CASE_GROUP_OF = {status: group for group, statuses in CASE_STATE_GROUPS.items() for status in statuses}
CASE_CATEGORIES: dict[str, str] = {c.value: str(c.label) for c in CaseCategory}

# A reach's line width follows the most senior chief appointed to it (river-chief maps draw
# city-level rivers widest).
_LEVEL_RANK = {level: i for i, level in enumerate(ChiefLevel.values)}

# Water-quality class → legend entry (reference/console.md: Ⅰ–Ⅱ blue, Ⅲ green, Ⅳ yellow, Ⅴ orange,
# 劣Ⅴ red; [R: common practice, check with the bureau]).
QUALITY_SYM = {1: "quality-1-2", 2: "quality-1-2", 3: "quality-3", 4: "quality-4", 5: "quality-5", 6: "quality-6"}


class Simplify(GeoFunc):
    """ST_Simplify(geometry, tolerance): Douglas–Peucker in the geometry's own units (degrees here,
    used only for drawing: never for a length or an area). PostGIS and SpatiaLite both have it."""

    function = "ST_Simplify"
    geom_param_pos = (0,)

    def __init__(self, expression: Any, tolerance: float, **extra: Any) -> None:
        super().__init__(expression, Value(float(tolerance), output_field=FloatField()), **extra)

    @property
    def output_field(self) -> GeometryField:
        return GeometryField(srid=self.geo_field.srid)


def _geojson(field: str, *, tolerance: float | None, precision: int) -> AsGeoJSON:
    expr: Any = Simplify(field, tolerance) if tolerance else field
    return AsGeoJSON(expr, precision=precision)


def _feature(fid: str, geometry: str | bytes, properties: dict[str, Any]) -> dict[str, Any]:
    return {"type": "Feature", "id": fid, "geometry": orjson.Fragment(geometry), "properties": properties}


def _collection(layer: str, features: Iterable[dict[str, Any]], **meta: Any) -> bytes:
    return orjson.dumps({"type": "FeatureCollection", "layer": layer, **meta, "features": list(features)})


def _in_box(qs: QuerySet[Any], field: str, p: LayerParams) -> QuerySet[Any]:
    return qs.filter(**{f"{field}__intersects": p.bbox}) if p.bbox is not None else qs


def _in_division(qs: QuerySet[Any], lookup: str, p: LayerParams) -> QuerySet[Any]:
    return qs.filter(**{f"{lookup}__startswith": p.division_prefix}) if p.division_prefix else qs


def _beijing(value: dt.datetime | None) -> str | None:
    return periods.to_beijing(value).isoformat(timespec="minutes") if value else None


# --------------------------------------------------------------------------- reference geography


def divisions_layer(*, scope: Scope, p: LayerParams) -> bytes:
    qs = _in_box(_in_division(division_list(scope=scope), "code", p), "boundary", p).exclude(boundary=None)
    rows = qs.annotate(g=_geojson("boundary", tolerance=p.tolerance, precision=LINE_PRECISION)).values_list(
        "pk", "code", "name", "level", "g"
    )
    return _collection(
        "divisions",
        (
            _feature(f"division.{pk}", g, {"id": pk, "code": code, "name": name, "level": level, "sym": "division"})
            for pk, code, name, level, g in rows
            if g
        ),
    )


def rivers_layer(*, scope: Scope, p: LayerParams) -> bytes:
    qs = river_list(scope=scope)
    if p.division_prefix:
        inside = reach_list(scope=scope).filter(division__code__startswith=p.division_prefix).values("river_id")
        qs = qs.filter(Q(division__code__startswith=p.division_prefix) | Q(pk__in=inside))
    rows = (
        _in_box(qs, "geometry", p)
        .annotate(g=_geojson("geometry", tolerance=p.tolerance, precision=LINE_PRECISION))
        .values_list("pk", "code", "name", "length_m", "g")
    )
    return _collection(
        "rivers",
        (
            _feature(
                f"river.{pk}", g, {"id": pk, "code": code, "name": name, "km": round(length / 1000, 2), "sym": "river"}
            )
            for pk, code, name, length, g in rows
            if g
        ),
    )


def _reach_levels(scope: Scope, on: dt.date) -> dict[int, str]:
    """Each reach's most senior chief level on a date (one query)."""
    levels: dict[int, str] = {}
    for reach_id, level in (
        assignment_list(scope=scope, on=on).filter(reach__isnull=False).order_by().values_list("reach_id", "level")
    ):
        if reach_id not in levels or _LEVEL_RANK[level] < _LEVEL_RANK[levels[reach_id]]:
            levels[reach_id] = level
    return levels


def reaches_layer(*, scope: Scope, p: LayerParams) -> bytes:
    qs = _in_box(_in_division(reach_list(scope=scope), "division__code", p), "geometry", p)
    rows = qs.annotate(g=_geojson("geometry", tolerance=p.tolerance, precision=LINE_PRECISION)).values_list(
        "pk", "code", "name", "river__name", "division__name", "length_m", "g"
    )
    levels = _reach_levels(scope, p.period.last_date)

    def props(pk: int, code: str, name: str, river: str, division: str, length: float) -> dict[str, Any]:
        level = levels.get(pk)
        return {
            "id": pk,
            "code": code,
            "name": name,
            "river": river,
            "division": division,
            "km": round(length / 1000, 2),
            "level": level,
            "sym": f"reach-{level or 'none'}",
        }

    return _collection("reaches", (_feature(f"reach.{r[0]}", r[6], props(*r[:6])) for r in rows if r[6]))


def lakes_layer(*, scope: Scope, p: LayerParams) -> bytes:
    qs = _in_box(_in_division(lake_list(scope=scope), "division__code", p), "geometry", p)
    rows = qs.annotate(g=_geojson("geometry", tolerance=p.tolerance, precision=LINE_PRECISION)).values_list(
        "pk", "code", "name", "kind", "area_m2", "g"
    )
    return _collection(
        "lakes",
        (
            _feature(
                f"lake.{pk}",
                g,
                {"id": pk, "code": code, "name": name, "kind": kind, "km2": round(area / 1e6, 3), "sym": "lake"},
            )
            for pk, code, name, kind, area, g in rows
            if g
        ),
    )


# --------------------------------------------------------------------------- water


def intake_states(
    *, scope: Scope, intake_ids: list[int], at: dt.datetime
) -> dict[int, tuple[str, list[dict[str, Any]]]]:
    """Each intake's state at `at` and its meters' states: "alarm" with an alert open at `at`, else "online"
    with a meter online, "offline" with meters none of which is online, "none" with no meter in
    service. Three queries whatever the number of intakes."""
    factor = water_conf.offline_factor()
    meters = list(
        meter_list(scope=scope)
        .filter(intake_id__in=intake_ids, installed_at__lte=at)
        .filter(Q(removed_at__isnull=True) | Q(removed_at__gt=at))
        .order_by("serial")
        .values_list("pk", "serial", "intake_id", "installed_at", "removed_at", "expected_interval_s")
    )
    last = last_reports([m[0] for m in meters], at)
    alarmed = set(
        alert_list(scope=scope)
        .filter(Q(resolved_at__isnull=True) | Q(resolved_at__gt=at), intake_id__in=intake_ids, raised_at__lte=at)
        .order_by()
        .values_list("intake_id", flat=True)
        .distinct()
    )
    by_intake: dict[int, list[dict[str, Any]]] = {i: [] for i in intake_ids}
    for pk, serial, intake_id, installed, removed, interval in meters:
        obs = last.get(pk, (None, None))[0]
        mstate, _silent = meter_state(
            installed_at=installed, removed_at=removed, last_report_at=obs, interval_s=interval, at=at, factor=factor
        )
        by_intake[intake_id].append({"serial": serial, "state": mstate.value, "last": obs})
    out: dict[int, tuple[str, list[dict[str, Any]]]] = {}
    for intake_id, ms in by_intake.items():
        if intake_id in alarmed:
            state = "alarm"
        elif any(m["state"] == MeterState.ONLINE for m in ms):
            state = "online"
        elif ms:
            state = "offline"
        else:
            state = "none"
        out[intake_id] = (state, ms)
    return out


def state_instant(period: periods.Period) -> dt.datetime:
    """The instant a period's states are taken at: its end, or now for a period not over (as the
    dashboard's monitoring figures)."""
    return min(timezone.now(), period.end)


def intakes_layer(*, scope: Scope, p: LayerParams, division_code: str | None = None) -> bytes:
    qs = _in_box(_in_division(intake_list(scope=scope).prefetch_related(None), "division__code", p), "location", p)
    rows = list(
        qs.order_by("code")
        .annotate(g=AsGeoJSON("location", precision=POINT_PRECISION))
        .values_list("pk", "code", "name", "source_type", "division__name", "g")
    )
    ids = [r[0] for r in rows]
    states = intake_states(scope=scope, intake_ids=ids, at=state_instant(p.period)) if ids else {}
    tiers: dict[int, tuple[str, float | None]] = {}
    if ids:
        # The period's use against plan only (no year to date or forecast: the map shows neither).
        uses = period_plan_use(scope=scope, period=p.period, division_code=division_code)
        tiers = {iid: (row.tier, row.ratio) for iid, row in uses.items()}

    def props(pk: int, code: str, name: str, source: str, division: str) -> dict[str, Any]:
        state = states[pk][0]
        tier, ratio = tiers.get(pk, (WITHIN, None))
        return {
            "id": pk,
            "code": code,
            "name": name,
            "source": source,
            "division": division,
            "state": state,
            "tier": tier,
            "plan_ratio": None if ratio is None else round(ratio, 4),
            "sym": f"intake-{state}",
            "ring": None if tier == WITHIN else "tier-" + tier.replace("+", "plus"),
        }

    return _collection(
        "intakes",
        (_feature(f"intake.{r[0]}", r[5], props(*r[:5])) for r in rows),
        at=state_instant(p.period).isoformat(),
    )


# --------------------------------------------------------------------------- patrols and cases


def patrols_layer(*, scope: Scope, p: LayerParams) -> bytes:
    """Tracks of the patrols started in the period (their stored preview, further simplified for the
    zoom); valid dark, flagged dashed, invalid light."""
    qs = patrol_list(scope=scope).filter(
        started_at__gte=p.period.start, started_at__lt=p.period.end, track_preview__isnull=False
    )
    qs = _in_box(_in_division(qs, "reach__division__code", p), "track_preview", p)
    rows = (
        qs.order_by("started_at", "id")
        .annotate(g=_geojson("track_preview", tolerance=p.tolerance, precision=LINE_PRECISION))
        .values_list(
            "id",
            "started_at",
            "distance_m",
            "valid",
            "flags",
            "review_status",
            "chief__display_name",
            "chief__username",
            "reach__name",
            "g",
        )
    )

    def props(
        pk: Any,
        started: dt.datetime,
        dist: float,
        valid: bool,
        flags: list[str],
        review: str,
        chief: str,
        username: str,
        reach: str,
    ) -> dict[str, Any]:
        flagged = bool(flags) or review == ReviewStatus.PENDING
        sym = "track-flagged" if flagged else ("track-valid" if valid else "track-invalid")
        return {
            "id": str(pk),
            "started": _beijing(started),
            "km": round(dist / 1000, 2),
            "valid": valid,
            "flagged": flagged,
            "chief": chief or username,
            "reach": reach,
            "sym": sym,
        }

    return _collection("patrols", (_feature(f"patrol.{r[0]}", r[9], props(*r[:9])) for r in rows if r[9]))


def cases_layer(*, scope: Scope, p: LayerParams) -> bytes:
    """Cases open at some time in the period or found in it (found before its end, not closed before
    its start), drawn in their current state; `states` and `categories` narrow them."""
    qs = case_list(scope=scope).filter(
        Q(found_at__lt=p.period.end), Q(closed_at__isnull=True) | Q(closed_at__gte=p.period.start)
    )
    if p.states:
        qs = qs.filter(status__in=[s for group in p.states for s in CASE_STATE_GROUPS[group]])
    if p.categories:
        qs = qs.filter(category__in=p.categories)
    qs = _in_box(_in_division(qs, "reach__division__code", p), "location", p)
    rows = (
        qs.order_by("found_at", "id")
        .annotate(g=AsGeoJSON("location", precision=POINT_PRECISION))
        .values_list("id", "category", "status", "found_at", "deadline", "overdue_at", "reach__name", "g")
    )

    def props(
        pk: Any,
        category: str,
        status: str,
        found: dt.datetime,
        deadline: dt.date | None,
        overdue_at: dt.datetime | None,
        reach: str,
    ) -> dict[str, Any]:
        group = _CASE_GROUP_OF[status]
        return {
            "id": str(pk),
            "category": category,
            "status": status,
            "state": group,
            "found": _beijing(found),
            "deadline": deadline.isoformat() if deadline else None,
            "reach": reach,
            "overdue": overdue_at is not None and status != CaseStatus.CLOSED,
            "sym": f"case-{group}",
        }

    return _collection("cases", (_feature(f"case.{r[0]}", r[7], props(*r[:7])) for r in rows))


# --------------------------------------------------------------------------- reuse


def plants_layer(*, scope: Scope, p: LayerParams) -> bytes:
    qs = _in_box(_in_division(plant_list(scope=scope), "division__code", p), "location", p)
    rows = qs.annotate(g=AsGeoJSON("location", precision=POINT_PRECISION)).values_list(
        "pk", "code", "name", "design_capacity_m3d", "g"
    )
    return _collection(
        "plants",
        (
            _feature(
                f"plant.{pk}", g, {"id": pk, "code": code, "name": name, "capacity_m3d": float(cap), "sym": "plant"}
            )
            for pk, code, name, cap, g in rows
        ),
    )


def stations_layer(*, scope: Scope, p: LayerParams) -> bytes:
    qs = _in_box(_in_division(station_list(scope=scope), "division__code", p), "location", p)
    rows = (
        qs.exclude(location=None)
        .annotate(g=AsGeoJSON("location", precision=POINT_PRECISION))
        .values_list("pk", "code", "name", "status", "capacity_m3d", "g")
    )
    return _collection(
        "stations",
        (
            _feature(
                f"station.{pk}",
                g,
                {
                    "id": pk,
                    "code": code,
                    "name": name,
                    "status": status,
                    "capacity_m3d": float(cap) if cap is not None else None,
                    "sym": "station",
                },
            )
            for pk, code, name, status, cap, g in rows
        ),
    )


def pipelines_layer(*, scope: Scope, p: LayerParams) -> bytes:
    qs = _in_box(_in_division(pipeline_list(scope=scope), "division__code", p), "route", p)
    rows = (
        qs.exclude(route=None)
        .annotate(g=_geojson("route", tolerance=p.tolerance, precision=LINE_PRECISION))
        .values_list("pk", "code", "name", "status", "length_m", "g")
    )
    return _collection(
        "pipelines",
        (
            _feature(
                f"pipeline.{pk}",
                g,
                {
                    "id": pk,
                    "code": code,
                    "name": name,
                    "status": status,
                    "km": round(length / 1000, 2) if length is not None else None,
                    "sym": "pipeline",
                },
            )
            for pk, code, name, status, length, g in rows
            if g
        ),
    )


# --------------------------------------------------------------------------- quality


def sections_layer(*, scope: Scope, p: LayerParams) -> bytes:
    """Sections coloured by their class over the period (GB 3838 single-factor, the quality app's
    evaluation); a section with no sample in the period is "not evaluated"."""
    qs = _in_box(_in_division(section_list(scope=scope), "division__code", p), "location", p)
    sections = list(qs.order_by("code"))
    evaluations = evaluate_sections(sections=sections, period=p.period)

    def feature(e: Any) -> dict[str, Any]:
        s = e.section
        cls = e.cls
        geometry = orjson.dumps(
            {
                "type": "Point",
                "coordinates": [round(s.location.x, POINT_PRECISION), round(s.location.y, POINT_PRECISION)],
            }
        )
        return _feature(
            f"section.{s.pk}",
            geometry,
            {
                "id": s.pk,
                "code": s.code,
                "name": s.name,
                "category": s.category,
                "class": cls,
                "class_label": CLASS_LABELS.get(cls) if cls else None,
                "target_class": s.target_class,
                "sym": QUALITY_SYM.get(cls, "quality-none") if cls else "quality-none",
            },
        )

    return _collection("sections", (feature(e) for e in evaluations))


LayerFn = Callable[..., bytes]
LAYERS: dict[str, LayerFn] = {
    "divisions": divisions_layer,
    "rivers": rivers_layer,
    "reaches": reaches_layer,
    "lakes": lakes_layer,
    "intakes": intakes_layer,
    "patrols": patrols_layer,
    "cases": cases_layer,
    "plants": plants_layer,
    "stations": stations_layer,
    "pipelines": pipelines_layer,
    "sections": sections_layer,
}
