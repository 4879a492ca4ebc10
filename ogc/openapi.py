"""The OpenAPI 3.0 document of /ogc/ (conformance class oas30), served at /ogc/api.

Paths are relative to `servers[0].url` (…/ogc) and written out per collection
(`/collections/rivers/items`), because GDAL looks up exactly that path to learn which query
parameters a layer takes: an attribute filter is pushed to the server only when it is declared here.
"""

from __future__ import annotations

from typing import Any

from core.api.schema import ERROR_SCHEMA
from ogc.collections import Collection
from ogc.params import DEFAULT_LIMIT

_ERROR = {"$ref": "#/components/responses/Error"}
_JSON = "application/json"
_GEOJSON = "application/geo+json"


def _param(name: str, description: str, schema: dict[str, Any], *, style: str | None = None) -> dict[str, Any]:
    out: dict[str, Any] = {"name": name, "in": "query", "required": False, "description": description, "schema": schema}
    if style:
        out.update(style=style, explode=False)
    return out


def _items_parameters(c: Collection, max_limit: int) -> list[dict[str, Any]]:
    params = [
        {"$ref": "#/components/parameters/f"},
        _param(
            "limit",
            f"Features per page, 1 to {max_limit} (a larger value is served as {max_limit}); default {DEFAULT_LIMIT}.",
            {"type": "integer", "minimum": 1, "default": DEFAULT_LIMIT},
        ),
        _param("offset", "Features to skip (next links carry it).", {"type": "integer", "minimum": 0, "default": 0}),
        _param(
            "bbox",
            "min_lon,min_lat,max_lon,max_lat in CRS84: features whose geometry intersects the box.",
            {"type": "array", "minItems": 4, "maxItems": 4, "items": {"type": "number"}},
            style="form",
        ),
    ]
    if c.temporal:
        params.append(
            _param(
                "datetime",
                f"`{c.temporal}` at an RFC 3339 instant (with an offset), on a date (a Beijing calendar day), or in "
                "an interval start/end, ../end, start/..",
                {"type": "string"},
            )
        )
    for f in c.filters:
        params.append(_param(f.name, f"Features whose `{f.name}` equals this. {f.description}".strip(), f.schema()))
    return params


def _feature_schema(c: Collection) -> dict[str, Any]:
    return {
        "type": "object",
        "required": ["type", "geometry", "properties"],
        "properties": {
            "type": {"type": "string", "enum": ["Feature"]},
            "id": {"type": c.id_type},
            "geometry": {"type": "object", "nullable": True},
            "properties": {"type": "object", "nullable": True},
            "links": {"type": "array", "items": {"$ref": "#/components/schemas/link"}},
        },
    }


def build(*, server_url: str, collections: list[Collection], max_limit: int) -> dict[str, Any]:
    paths: dict[str, Any] = {
        "/": _get("Landing page", "landing", "#/components/schemas/landingPage"),
        "/api": _get("This document", "api", None, media="application/vnd.oai.openapi+json;version=3.0"),
        "/conformance": _get("Conformance classes", "conformance", "#/components/schemas/confClasses"),
        "/collections": _get("The feature collections you may read", "collections", "#/components/schemas/collections"),
    }
    for c in collections:
        op = c.id.replace("-", "_")
        paths[f"/collections/{c.id}"] = _get(str(c.title), f"describe_{op}", "#/components/schemas/collection")
        paths[f"/collections/{c.id}/items"] = {
            "get": {
                "summary": f"{c.title}: features",
                "description": c.description,
                "operationId": f"items_{op}",
                "tags": [c.id],
                "parameters": _items_parameters(c, max_limit),
                "responses": {
                    "200": {
                        "description": "GeoJSON FeatureCollection; numberMatched, numberReturned, next/prev links.",
                        "content": {_GEOJSON: {"schema": {"$ref": "#/components/schemas/featureCollection"}}},
                    },
                    "400": _ERROR,
                    "401": _ERROR,
                    "403": _ERROR,
                    "404": _ERROR,
                },
            }
        }
        paths[f"/collections/{c.id}/items/{{featureId}}"] = {
            "get": {
                "summary": f"{c.title}: one feature",
                "operationId": f"item_{op}",
                "tags": [c.id],
                "parameters": [
                    {
                        "name": "featureId",
                        "in": "path",
                        "required": True,
                        "schema": {"type": "string", "pattern": c.id_pattern},
                    },
                    {"$ref": "#/components/parameters/f"},
                ],
                "responses": {
                    "200": {"description": "A GeoJSON Feature.", "content": {_GEOJSON: {"schema": _feature_schema(c)}}},
                    "400": _ERROR,
                    "401": _ERROR,
                    "403": _ERROR,
                    "404": _ERROR,
                },
            }
        }
    return {
        "openapi": "3.0.3",
        "info": {
            "title": "Hezhang (河长) OGC API – Features",
            "version": "1.0.0",
            "description": (
                "Read-only map layers for GIS clients. Every request needs `Authorization: Token <key>`; what you see "
                "is scoped by your role and jurisdiction as in the REST API (a feature outside it is a 404). "
                f"Pages hold at most {max_limit} features. Errors: "
                '{"error": {"code", "message", "fields": {"<parameter>": [...]}}}.'
            ),
        },
        "servers": [{"url": server_url}],
        "security": [{"token": []}],
        "paths": paths,
        "components": _components(),
    }


def _get(summary: str, op: str, schema_ref: str | None, *, media: str = _JSON) -> dict[str, Any]:
    schema: dict[str, Any] = {"$ref": schema_ref} if schema_ref else {"type": "object"}
    return {
        "get": {
            "summary": summary,
            "operationId": op,
            "parameters": [{"$ref": "#/components/parameters/f"}],
            "responses": {
                "200": {"description": summary, "content": {media: {"schema": schema}}},
                "400": _ERROR,
                "401": _ERROR,
                "403": _ERROR,
                "404": _ERROR,
            },
        }
    }


def _components() -> dict[str, Any]:
    link = {
        "type": "object",
        "required": ["href", "rel"],
        "properties": {
            "href": {"type": "string"},
            "rel": {"type": "string"},
            "type": {"type": "string"},
            "title": {"type": "string"},
        },
    }
    links = {"type": "array", "items": {"$ref": "#/components/schemas/link"}}
    return {
        "securitySchemes": {
            "token": {
                "type": "apiKey",
                "in": "header",
                "name": "Authorization",
                "description": "`Token <key>` (POST /api/v1/auth/token/ or manage.py issue_token).",
            }
        },
        "parameters": {
            "f": _param("f", "Output format; only json (the default).", {"type": "string", "enum": ["json"]}),
        },
        "responses": {
            "Error": {
                "description": "An error in the API's shape, naming the bad parameter in `fields`.",
                "content": {_JSON: {"schema": {"$ref": "#/components/schemas/error"}}},
            }
        },
        "schemas": {
            "link": link,
            "error": ERROR_SCHEMA,
            "landingPage": {
                "type": "object",
                "required": ["links"],
                "properties": {"title": {"type": "string"}, "description": {"type": "string"}, "links": links},
            },
            "confClasses": {
                "type": "object",
                "required": ["conformsTo"],
                "properties": {"conformsTo": {"type": "array", "items": {"type": "string"}}},
            },
            "extent": {
                "type": "object",
                "properties": {
                    "spatial": {
                        "type": "object",
                        "properties": {
                            "bbox": {
                                "type": "array",
                                "items": {"type": "array", "minItems": 4, "maxItems": 4, "items": {"type": "number"}},
                            },
                            "crs": {"type": "string"},
                        },
                    },
                    "temporal": {
                        "type": "object",
                        "properties": {
                            "interval": {
                                "type": "array",
                                "items": {
                                    "type": "array",
                                    "minItems": 2,
                                    "maxItems": 2,
                                    "items": {"type": "string", "format": "date-time", "nullable": True},
                                },
                            },
                            "trs": {"type": "string"},
                        },
                    },
                },
            },
            "collection": {
                "type": "object",
                "required": ["id", "links"],
                "properties": {
                    "id": {"type": "string"},
                    "title": {"type": "string"},
                    "description": {"type": "string"},
                    "links": links,
                    "extent": {"$ref": "#/components/schemas/extent"},
                    "itemType": {"type": "string"},
                    "crs": {"type": "array", "items": {"type": "string"}},
                },
            },
            "collections": {
                "type": "object",
                "required": ["links", "collections"],
                "properties": {
                    "links": links,
                    "collections": {"type": "array", "items": {"$ref": "#/components/schemas/collection"}},
                },
            },
            "featureCollection": {
                "type": "object",
                "required": ["type", "features"],
                "properties": {
                    "type": {"type": "string", "enum": ["FeatureCollection"]},
                    "features": {"type": "array", "items": {"type": "object"}},
                    "links": links,
                    "timeStamp": {"type": "string", "format": "date-time"},
                    "numberMatched": {"type": "integer", "minimum": 0},
                    "numberReturned": {"type": "integer", "minimum": 0},
                },
            },
        },
    }
