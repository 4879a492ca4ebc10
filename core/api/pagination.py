"""Pagination for plain lists and for GeoJSON FeatureCollections. Bad page parameters are a 400
naming the parameter (a client that asks for page "x" has a bug it should hear about)."""

from __future__ import annotations

from typing import Any

from django.utils.translation import gettext as _
from rest_framework import pagination
from rest_framework.exceptions import NotFound, ValidationError
from rest_framework.request import Request
from rest_framework.response import Response


class _StrictPageMixin:
    page_size_query_param: str | None = "page_size"
    max_page_size: int | None = 1000
    page_query_param: str = "page"

    def _check_params(self, request: Request) -> None:
        errors: dict[str, list[str]] = {}
        for name, minimum in ((self.page_query_param, 1), (self.page_size_query_param or "page_size", 1)):
            raw = request.query_params.get(name)
            if raw is None or (name == self.page_query_param and raw == "last"):
                continue
            try:
                value = int(raw)
            except ValueError:
                errors[name] = [_("A whole number is required.")]
                continue
            if value < minimum:
                errors[name] = [_("Must be at least %(minimum)s.") % {"minimum": minimum}]
            elif name == self.page_size_query_param and self.max_page_size and value > self.max_page_size:
                errors[name] = [_("Must be at most %(max_page_size)s.") % {"max_page_size": self.max_page_size}]
        if errors:
            raise ValidationError(errors)

    def get_schema_operation_parameters(self, view: Any) -> list[dict[str, Any]]:
        return [
            {
                "name": self.page_query_param,
                "required": False,
                "in": "query",
                "description": "Page number (from 1).",
                "schema": {"type": "integer", "minimum": 1},
            },
            {
                "name": self.page_size_query_param or "page_size",
                "required": False,
                "in": "query",
                "description": f"Rows per page (1 to {self.max_page_size}).",
                "schema": {"type": "integer", "minimum": 1, "maximum": self.max_page_size},
            },
        ]

    def paginate_queryset(self, queryset: Any, request: Request, view: Any = None) -> Any:
        self._check_params(request)
        try:
            return super().paginate_queryset(queryset, request, view)  # type: ignore[misc]
        except NotFound as exc:
            raise NotFound(_("No such page.")) from exc


class PageNumberPagination(_StrictPageMixin, pagination.PageNumberPagination):
    """`{"count", "next", "previous", "results"}`; ?page=&page_size= (≤ 1000)."""


class GeoJsonPagination(_StrictPageMixin, pagination.PageNumberPagination):
    """A FeatureCollection with `count`, `next` and `previous` members beside `features`."""

    def get_paginated_response(self, data: Any) -> Response:
        if self.page is None:  # only called after paginate_queryset() returned a page
            raise RuntimeError("get_paginated_response() before paginate_queryset()")
        return Response(
            {
                "type": "FeatureCollection",
                "count": self.page.paginator.count,
                "next": self.get_next_link(),
                "previous": self.get_previous_link(),
                "features": data["features"],
            }
        )

    def get_paginated_response_schema(self, schema: dict[str, Any]) -> dict[str, Any]:
        # `schema` is the list serializer's FeatureCollection; the page is that object plus the
        # paging members.
        paging = super().get_paginated_response_schema({"type": "array", "items": {}})
        props = {k: v for k, v in paging["properties"].items() if k != "results"}
        return {"allOf": [schema, {"type": "object", "required": ["count"], "properties": props}]}
