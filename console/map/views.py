"""Views of the one map: the page, its layers (GeoJSON), feature cards (HTML fragments) and the
geometry of one thing for a detail page's map. Glue only: parameters are parsed by `params`, rows
come from the apps' selectors with the caller's scope (`layers`, `cards`).

Session-authenticated. An anonymous request to the page goes to the log-in page; to a layer, a card
or a feature it gets 401 in the API's error shape. Devices (telemetry accounts) have no console.
"""

from __future__ import annotations

import datetime as dt
import uuid
from typing import Any

import orjson
from django.conf import settings
from django.contrib.gis.db.models import Extent
from django.db.models import Max
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET

from accounts.choices import Role
from accounts.scope import Scope, scope_for
from console.map import cards, layers, params
from console.map.catalog import LAYER_CATALOG
from console.views.base import console_page, page
from core import periods
from core.api.exceptions import error_body
from core.exceptions import InvalidInput, NotFound
from oversight.selectors import petition_list
from patrols.selectors import case_list, patrol_detail, patrol_list
from places.selectors import division_list, reach_list
from water.selectors import intake_list

GEOJSON = "application/geo+json"
# Whole China (WGS84) when a user's jurisdiction has no geometry yet.
CHINA_BOUNDS = (73.5, 18.0, 135.0, 53.6)


def _error(status: int, code: str, message: str, fields: dict[str, Any] | None = None) -> JsonResponse:
    return JsonResponse(error_body(code, message, fields), status=status, json_dumps_params={"ensure_ascii": False})


def _console_scope(request: HttpRequest) -> Scope | JsonResponse:
    """The caller's scope, or the error answer for an anonymous caller or a device account."""
    user = request.user
    if not user.is_authenticated:
        return _error(401, "not_authenticated", "Log in first.")
    scope = scope_for(user)
    if scope.role in (Role.DEVICE, None):
        return _error(403, "permission_denied", "This account has no console.")
    return scope


def _today() -> dt.date:
    return periods.to_beijing(timezone.now()).date()


def default_period(scope: Scope) -> periods.Period:
    """The month of the latest patrol or case in the caller's scope (so that the first view shows
    data, as on the demo city), else the current month (Beijing)."""
    latest = [
        patrol_list(scope=scope).aggregate(m=Max("started_at"))["m"],
        case_list(scope=scope).aggregate(m=Max("found_at"))["m"],
    ]
    found = [v for v in latest if v is not None]
    day = periods.to_beijing(max(found)).date() if found else _today()
    return periods.month(day.year, day.month)


def jurisdiction_bounds(scope: Scope) -> tuple[float, float, float, float]:
    """The box the first view fits: an operator's intakes; otherwise the divisions of the jurisdiction
    (their boundaries), else its reaches, else its intakes, else China."""
    candidates: list[Any] = []
    if scope.role == Role.OPERATOR:
        candidates.append(intake_list(scope=scope).prefetch_related(None).aggregate(e=Extent("location"))["e"])
    else:
        candidates.append(division_list(scope=scope).aggregate(e=Extent("boundary"))["e"])
        candidates.append(reach_list(scope=scope).aggregate(e=Extent("geometry"))["e"])
        candidates.append(intake_list(scope=scope).prefetch_related(None).aggregate(e=Extent("location"))["e"])
    for extent in candidates:
        if extent:
            x1, y1, x2, y2 = (float(v) for v in extent)
            if x1 == x2 and y1 == y2:  # one point: a small box around it
                return (x1 - 0.01, y1 - 0.01, x2 + 0.01, y2 + 0.01)
            return (x1, y1, x2, y2)
    return CHINA_BOUNDS


def _layer_params(request: HttpRequest, scope: Scope) -> tuple[params.LayerParams, str | None]:
    q = request.GET
    division_code = q.get("division") or None
    p = params.LayerParams(
        bbox=params.parse_bbox(q.get("bbox")),
        zoom=params.parse_zoom(q.get("zoom")),
        period=params.parse_period(q.get("start"), q.get("end"), default=default_period(scope)),
        division_prefix=params.parse_division(division_code, scope=scope),
        states=tuple(params.parse_choice(q.get("state"), "state", layers.CASE_STATE_GROUPS)),
        categories=tuple(params.parse_choice(q.get("category"), "category", layers.CASE_CATEGORIES)),
    )
    return p, division_code


@require_GET
@console_page("console:map")
def map_page(request: HttpRequest) -> HttpResponse:
    """一张图: the map page in the console's shell. Everything the script needs is in data attributes
    (no inline script under the CSP)."""
    scope = scope_for(request.user)
    period = default_period(scope)
    tile_url = settings.CONSOLE_MAP_TILE_URL
    config = {
        "bounds": jurisdiction_bounds(scope),
        "layerUrl": reverse("console:map_layer", args=["__layer__"]),
        "cardUrl": reverse("console:map_card", args=["__kind__", "__id__"]),
        "tiles": {"url": tile_url, "attribution": settings.CONSOLE_MAP_TILE_ATTRIBUTION} if tile_url else None,
        "layers": [{"name": li.name, "on": li.on, "period": li.period} for li in LAYER_CATALOG],
    }
    context = {
        "catalog": LAYER_CATALOG,
        "config_json": orjson.dumps(config).decode(),
        "start": period.first_date.isoformat(),
        "end": period.last_date.isoformat(),
        "tile_url": tile_url,
        "case_states": layers.CASE_STATE_GROUPS,
        "case_categories": layers.CASE_CATEGORIES,
    }
    return page(request, "console/map/page.html", context, title=_("One map"))


@require_GET
def map_layer(request: HttpRequest, layer: str) -> HttpResponse:
    """One layer as a GeoJSON FeatureCollection: ?bbox=&zoom=&start=&end=&division= (cases also
    ?state=reported,rectifying,closed&category=…). A bad value is a 400 naming the parameter."""
    scope = _console_scope(request)
    if isinstance(scope, JsonResponse):
        return scope
    fn = layers.LAYERS.get(layer)
    if fn is None:
        return _error(404, "not_found", "No such layer.")
    try:
        p, division_code = _layer_params(request, scope)
        kwargs: dict[str, Any] = {"division_code": division_code} if layer == "intakes" else {}
        body = fn(scope=scope, p=p, **kwargs)
    except InvalidInput as exc:
        return _error(400, exc.code, exc.message, exc.fields)
    response = HttpResponse(body, content_type=GEOJSON)
    response["Cache-Control"] = "private, no-store"
    return response


def _pk(kind: str, raw: str) -> Any:
    if kind in cards.UUID_KINDS:
        try:
            return uuid.UUID(raw)
        except ValueError:
            raise NotFound("No such feature.") from None
    if not raw.isdigit() or len(raw) > 18:
        raise NotFound("No such feature.")
    return int(raw)


@require_GET
def map_card(request: HttpRequest, kind: str, pk: str) -> HttpResponse:
    """The card of a clicked feature (an HTML fragment); ?start=&end= is the map's period."""
    scope = _console_scope(request)
    if isinstance(scope, JsonResponse):
        return scope
    builder = cards.CARDS.get(kind)
    if builder is None:
        return _error(404, "not_found", "No such kind of feature.")
    try:
        period = params.parse_period(request.GET.get("start"), request.GET.get("end"), default=default_period(scope))
        card = builder(scope=scope, pk=_pk(kind, pk), period=period)
    except InvalidInput as exc:
        return _error(400, exc.code, exc.message, exc.fields)
    except NotFound as exc:
        return _error(404, exc.code, exc.message)
    return render(request, "console/map/card.html", {"card": card})


# --------------------------------------------------------------------------- detail pages


def _geometry(geom: Any) -> orjson.Fragment:
    return orjson.Fragment(geom.json)


def _feature(fid: str, geom: Any, sym: str, **props: Any) -> dict[str, Any]:
    return {"type": "Feature", "id": fid, "geometry": _geometry(geom), "properties": {"sym": sym, **props}}


@require_GET
def map_feature(request: HttpRequest, kind: str, pk: str) -> HttpResponse:
    """The geometry a detail page's map draws: a patrol's cleaned track over its reach, a case's
    location on its reach, an intake's point. 404 outside the caller's scope."""
    scope = _console_scope(request)
    if isinstance(scope, JsonResponse):
        return scope
    try:
        key = _pk(kind, pk)
        features: list[dict[str, Any]] = []
        if kind == "patrol":
            patrol = patrol_detail(scope=scope).filter(pk=key).first()
            if patrol is None:
                raise NotFound("No such patrol.")
            features.append(
                _feature(
                    f"{patrol.site_kind}.{patrol.site.pk}", patrol.site.geometry, "reach-context", name=patrol.site.name
                )
            )
            track = patrol.cleaned_track or patrol.track_preview
            if track is not None:
                flagged = bool(patrol.flags)
                sym = "track-flagged" if flagged else ("track-valid" if patrol.valid else "track-invalid")
                features.append(_feature(f"patrol.{patrol.pk}", track, sym, name=str(patrol.chief)))
        elif kind == "case":
            case = case_list(scope=scope).filter(pk=key).first()
            if case is None:
                raise NotFound("No such case.")
            state = next(g for g, st in layers.CASE_STATE_GROUPS.items() if case.status in st)
            features.append(
                _feature(f"{case.site_kind}.{case.site.pk}", case.site.geometry, "reach-context", name=case.site.name)
            )
            features.append(
                _feature(
                    f"case.{case.pk}",
                    case.location,
                    f"case-{state}",
                    overdue=case.overdue_at is not None and state != "closed",
                )
            )
        elif kind == "intake":
            intake = intake_list(scope=scope).prefetch_related(None).filter(pk=key).first()
            if intake is None:
                raise NotFound("No such intake.")
            if intake.river is not None:
                features.append(
                    _feature(f"river.{intake.river_id}", intake.river.geometry, "reach-context", name=intake.river.name)
                )
            if intake.lake is not None:
                features.append(_feature(f"lake.{intake.lake_id}", intake.lake.geometry, "lake", name=intake.lake.name))
            features.append(_feature(f"intake.{intake.pk}", intake.location, "intake-point", name=intake.name))
        elif kind == "petition":
            petition = petition_list(scope=scope).filter(pk=key).first()
            if petition is None or petition.location is None:
                raise NotFound("No such petition.")
            reach = petition.reach
            if reach is not None:
                features.append(_feature(f"reach.{reach.pk}", reach.geometry, "reach-context", name=reach.name))
            features.append(_feature(f"petition.{petition.pk}", petition.location, "petition", name=petition.number))
        else:
            raise NotFound("No such kind of feature.")
    except NotFound as exc:
        return _error(404, exc.code, exc.message)
    body = orjson.dumps({"type": "FeatureCollection", "features": features})
    response = HttpResponse(body, content_type=GEOJSON)
    response["Cache-Control"] = "private, no-store"
    return response
