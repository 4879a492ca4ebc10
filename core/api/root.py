"""The API's front doors: /api/v1/ lists the apps' roots, and the schema view honours ?format=json|yaml.

The project turns DRF's URL format override off (`?format=` belongs to the exports and reports), so
the schema endpoint reads its own `?format=` rather than answering YAML to a client that asked for JSON.
"""

from __future__ import annotations

from functools import lru_cache
from typing import Any

from django.urls import URLPattern, URLResolver, get_resolver
from django.utils.translation import gettext as _
from drf_spectacular.renderers import OpenApiJsonRenderer, OpenApiYamlRenderer
from drf_spectacular.utils import extend_schema
from drf_spectacular.views import SpectacularAPIView
from rest_framework import serializers
from rest_framework.exceptions import ValidationError
from rest_framework.permissions import IsAuthenticated
from rest_framework.renderers import BaseRenderer, JSONRenderer
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.reverse import reverse
from rest_framework.views import APIView


def _walk(patterns: list[Any], prefix: str) -> list[str]:
    out: list[str] = []
    for p in patterns:
        text = str(p.pattern).removeprefix("^").removesuffix("$").removesuffix("\\Z")
        if "<" in text or "(" in text or "[" in text:
            continue  # a route with a parameter: a detail or an action, not a front door
        if isinstance(p, URLResolver):
            out.extend(_walk(p.url_patterns, prefix + text))
        elif isinstance(p, URLPattern):
            out.append(prefix + text)
    return out


@lru_cache(maxsize=1)
def api_endpoints() -> dict[str, list[str]]:
    """Every /api/v1/ route without a path parameter, by app (the first path segment), from the URL conf."""
    resolver = get_resolver()
    v1 = next(p for p in resolver.url_patterns if isinstance(p, URLResolver) and str(p.pattern) == "api/v1/")
    by_app: dict[str, list[str]] = {}
    for route in _walk(v1.url_patterns, "/api/v1/"):
        app = route.removeprefix("/api/v1/").split("/", 1)[0]
        if app:
            by_app.setdefault(app, []).append(route)
    return {app: sorted(routes) for app, routes in sorted(by_app.items())}


_SCHEMA_FORMATS: dict[str, type[BaseRenderer]] = {"json": OpenApiJsonRenderer, "yaml": OpenApiYamlRenderer}


class SchemaView(SpectacularAPIView):
    """The OpenAPI document; `?format=json` or `?format=yaml` chooses the encoding (else Accept does)."""

    def perform_content_negotiation(self, request: Request, force: bool = False) -> tuple[BaseRenderer, str]:
        wanted = request.query_params.get("format")
        if wanted is None:
            return super().perform_content_negotiation(request, force)
        renderer_class = _SCHEMA_FORMATS.get(wanted)
        if renderer_class is None:
            if force:  # the error about ?format= itself: in the API's error shape, as JSON
                return JSONRenderer(), JSONRenderer.media_type
            raise ValidationError({"format": [_("One of %(values)s.") % {"values": ", ".join(_SCHEMA_FORMATS)}]})
        renderer = renderer_class()
        return renderer, renderer.media_type


class _RootSerializer(serializers.Serializer):
    schema = serializers.URLField()
    docs = serializers.URLField()
    apps = serializers.DictField(child=serializers.ListField(child=serializers.URLField()))


class ApiRootView(APIView):
    """GET /api/v1/: the OpenAPI document, its browsable docs, and each app's endpoints that take no
    path parameter (lists, exports, reports), read from the URL conf so the list cannot go stale."""

    permission_classes = [IsAuthenticated]

    @extend_schema(responses=_RootSerializer, summary="The API's root: links to each app and the schema")
    def get(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        return Response(
            {
                "schema": reverse("schema", request=request),
                "docs": reverse("docs", request=request),
                "apps": {
                    app: [request.build_absolute_uri(route) for route in routes]
                    for app, routes in api_endpoints().items()
                },
            }
        )
