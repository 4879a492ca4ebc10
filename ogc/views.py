"""Views of /ogc/ (OGC API – Features Part 1: Core, GeoJSON, OpenAPI 3.0).

They are DRF views so that authentication (API and login tokens), role permissions (devices are
refused) and the error shape are the REST API's. What they answer:

- JSON whatever the Accept header says (GDAL asks for geo+json or json, OWSLib sends no Accept, a
  browser asks for HTML): `?f=json` is accepted, any other `f` is a 400. No HTML output.
- Items are GeoJSON FeatureCollections (Content-Type application/geo+json) with numberMatched,
  numberReturned, timeStamp and self/next/prev/collection links. `limit` defaults to 100 and is
  clamped to OGC_MAX_LIMIT; `offset` pages; unknown query parameters are a 400.
- The items link of a collection carries no query string: GDAL builds a feature's URL by appending
  /{id} to it.
- Rows are the selectors' (the GeoJSON API's scope); a feature outside it is a 404; a collection
  whose GeoJSON view refuses the caller's role is a 403 (as the REST API answers) and is not listed.

They have their own OpenAPI document at /ogc/api and stay out of the DRF schema (/api/schema/).
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterable
from typing import Any
from urllib.parse import urlencode

from django.contrib.gis.db.models import Extent
from django.db.models import DateTimeField, Max, Min, Model, QuerySet
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from drf_spectacular.utils import extend_schema
from rest_framework.authentication import SessionAuthentication
from rest_framework.exceptions import NotFound, PermissionDenied
from rest_framework.negotiation import BaseContentNegotiation
from rest_framework.parsers import BaseParser
from rest_framework.renderers import BaseRenderer, JSONRenderer
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from accounts.authentication import BearerTokenAuthentication, TokenBasicAuthentication
from accounts.choices import Role
from accounts.permissions import HUMAN_ROLES, user_role
from accounts.scope import scope_for
from ogc import openapi
from ogc.collections import BY_ID, COLLECTIONS, Collection
from ogc.params import check_format, check_known, filtered, max_limit, parse_items_query

GEOJSON = "application/geo+json"
JSON = "application/json"
OPENAPI = "application/vnd.oai.openapi+json;version=3.0"
CRS84 = "http://www.opengis.net/def/crs/OGC/1.3/CRS84"
GREGORIAN = "http://www.opengis.net/def/uom/ISO-8601/0/Gregorian"
CONFORMANCE = [
    "http://www.opengis.net/spec/ogcapi-features-1/1.0/conf/core",
    "http://www.opengis.net/spec/ogcapi-features-1/1.0/conf/geojson",
    "http://www.opengis.net/spec/ogcapi-features-1/1.0/conf/oas30",
]


class AlwaysJSON(BaseContentNegotiation):
    """The view's one renderer, whatever the Accept header (JSON is the default answer)."""

    def select_renderer(
        self, request: Request, renderers: Iterable[BaseRenderer], format_suffix: str | None = None
    ) -> Any:
        renderer = next(iter(renderers))
        return renderer, renderer.media_type

    def select_parser(self, request: Request, parsers: Iterable[BaseParser]) -> Any:
        return None  # GET only


class OgcView(APIView):
    """Read-only, JSON-only; every human role may call (collections narrow it further)."""

    renderer_classes = [JSONRenderer]
    content_negotiation_class = AlwaysJSON
    # Basic with an API token as the password first (QGIS can send nothing else; its 401 challenge
    # asks for Basic), then the API's token header and the console's session.
    authentication_classes = [TokenBasicAuthentication, BearerTokenAuthentication, SessionAuthentication]
    http_method_names = ["get", "head", "options"]
    # Member units read the one collection handed to them (petitions); every collection names its roles.
    read_roles = HUMAN_ROLES | {Role.UNIT}
    # Query parameters the view takes (others are a 400); None: the view checks them itself.
    known_params: tuple[str, ...] | None = ("f",)

    def initial(self, request: Request, *args: Any, **kwargs: Any) -> None:
        super().initial(request, *args, **kwargs)  # authentication and permissions first: 401/403
        if self.known_params is not None:
            check_known(request.query_params, self.known_params)
        check_format(request.query_params)

    def url(self, name: str, **kwargs: str) -> str:
        return self.request.build_absolute_uri(reverse(f"ogc:{name}", kwargs=kwargs or None))

    def collection(self, collection_id: str) -> Collection:
        c = BY_ID.get(collection_id)
        if c is None:
            raise NotFound(_("No such collection."))
        if user_role(self.request.user) not in c.read_roles:
            raise PermissionDenied(_("Your role may not read this collection."))
        return c

    def readable(self) -> list[Collection]:
        role = user_role(self.request.user)
        return [c for c in COLLECTIONS if role in c.read_roles]

    def describe(self, c: Collection) -> dict[str, Any]:
        qs = c.queryset(scope_for(self.request.user)).order_by()
        aggregates: dict[str, Any] = {"extent": Extent(c.geometry)}
        if c.temporal:
            aggregates.update(t_min=Min(c.temporal), t_max=Max(c.temporal))
        found = qs.aggregate(**aggregates)
        extent: dict[str, Any] = {}
        if found["extent"] is not None:
            extent["spatial"] = {"bbox": [[round(v, 7) for v in found["extent"]]], "crs": CRS84}
        if c.temporal:
            is_datetime = isinstance(qs.model._meta.get_field(c.temporal), DateTimeField)
            extent["temporal"] = {
                "interval": [[_instant(found["t_min"], is_datetime), _instant(found["t_max"], is_datetime)]],
                "trs": GREGORIAN,
            }
        items = self.url("items", collection_id=c.id)
        out: dict[str, Any] = {
            "id": c.id,
            "title": str(c.title),
            "description": c.description,
            "links": [
                {
                    "href": self.url("collection", collection_id=c.id),
                    "rel": "self",
                    "type": JSON,
                    "title": str(c.title),
                },
                {"href": items, "rel": "items", "type": GEOJSON, "title": f"{c.title}: features"},
            ],
            "itemType": "feature",
            "crs": [CRS84],
        }
        if extent:
            out["extent"] = extent
        return out


def _instant(value: Any, is_datetime: bool) -> str | None:
    if value is None:
        return None
    if is_datetime:
        return str(value.astimezone(dt.UTC).isoformat().replace("+00:00", "Z"))
    # A date is a Beijing calendar day; its interval starts at Beijing midnight.
    return f"{value.isoformat()}T00:00:00+08:00"


def with_labels(c: Collection, features: list[Any]) -> list[Any]:
    """Each coded property (a choice field) gets its label beside it: `category` → `category_label`."""
    labels = c.labels()
    for feature in features:
        props = feature.get("properties") or {}
        for name in [n for n in props if n in labels]:
            label = labels[name].get(props[name])
            props[f"{name}_label"] = str(label) if label is not None else None
    return features


@extend_schema(exclude=True)
class LandingView(OgcView):
    def get(self, request: Request) -> Response:
        return Response(
            {
                "title": "Hezhang (河长) OGC API – Features",
                "description": (
                    "Rivers, reaches, lakes, divisions, intakes, reclaimed-water plants, pump stations and pipelines, "
                    "water-quality sections and patrol cases for GIS clients, scoped by your role and jurisdiction."
                ),
                "links": [
                    {"href": self.url("landing"), "rel": "self", "type": JSON, "title": "This document"},
                    {"href": self.url("api"), "rel": "service-desc", "type": OPENAPI, "title": "The API definition"},
                    {"href": self.url("conformance"), "rel": "conformance", "type": JSON, "title": "Conformance"},
                    {"href": self.url("collections"), "rel": "data", "type": JSON, "title": "Feature collections"},
                ],
            }
        )


@extend_schema(exclude=True)
class ApiView(OgcView):
    def get(self, request: Request) -> Response:
        doc = openapi.build(
            server_url=self.url("landing").rstrip("/"), collections=self.readable(), max_limit=max_limit()
        )
        return Response(doc, content_type=OPENAPI)


@extend_schema(exclude=True)
class ConformanceView(OgcView):
    def get(self, request: Request) -> Response:
        return Response({"conformsTo": CONFORMANCE})


@extend_schema(exclude=True)
class CollectionsView(OgcView):
    def get(self, request: Request) -> Response:
        return Response(
            {
                "links": [{"href": self.url("collections"), "rel": "self", "type": JSON, "title": "Collections"}],
                "collections": [self.describe(c) for c in self.readable()],
            }
        )


@extend_schema(exclude=True)
class CollectionView(OgcView):
    def get(self, request: Request, collection_id: str) -> Response:
        return Response(self.describe(self.collection(collection_id)))


@extend_schema(exclude=True)
class ItemsView(OgcView):
    known_params = None  # they depend on the collection (ogc.params.items_params)

    def get(self, request: Request, collection_id: str) -> Response:
        c = self.collection(collection_id)
        q = parse_items_query(c, request.query_params)
        qs: QuerySet[Model] = filtered(c, c.queryset(scope_for(request.user)), q).order_by("pk")
        matched = qs.count()
        rows = list(qs[q.offset : q.offset + q.limit]) if q.offset < matched else []
        features = with_labels(c, c.serializer(rows, many=True).data["features"])
        items = self.url("items", collection_id=c.id)
        params = {k: v for k, v in request.query_params.items() if k not in ("limit", "offset")}

        def page(offset: int) -> str:
            return f"{items}?{urlencode({**params, 'limit': q.limit, 'offset': offset})}"

        links = [
            {"href": page(q.offset), "rel": "self", "type": GEOJSON, "title": "This page"},
            {
                "href": self.url("collection", collection_id=c.id),
                "rel": "collection",
                "type": JSON,
                "title": str(c.title),
            },
        ]
        if q.offset + len(features) < matched:
            links.append({"href": page(q.offset + q.limit), "rel": "next", "type": GEOJSON, "title": "Next page"})
        if q.offset > 0:
            prev = page(max(0, q.offset - q.limit))
            links.append({"href": prev, "rel": "prev", "type": GEOJSON, "title": "Previous page"})
        body = {
            "type": "FeatureCollection",
            "features": features,
            "numberMatched": matched,
            "numberReturned": len(features),
            "timeStamp": timezone.now().astimezone(dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
            "links": links,
        }
        return Response(body, content_type=GEOJSON)


@extend_schema(exclude=True)
class ItemView(OgcView):
    def get(self, request: Request, collection_id: str, feature_id: str) -> Response:
        c = self.collection(collection_id)
        if not re.match(c.id_pattern, feature_id):
            raise NotFound(_("No such feature."))
        row = c.queryset(scope_for(request.user)).filter(pk=feature_id).first()
        if row is None:
            raise NotFound(_("No such feature."))
        feature = with_labels(c, [dict(c.serializer(row).data)])[0]
        feature["links"] = [
            {"href": self.url("item", collection_id=c.id, feature_id=feature_id), "rel": "self", "type": GEOJSON},
            {
                "href": self.url("collection", collection_id=c.id),
                "rel": "collection",
                "type": JSON,
                "title": str(c.title),
            },
        ]
        return Response(feature, content_type=GEOJSON)
