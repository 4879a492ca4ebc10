"""Base classes for the API's views: every view in the project derives from these, so idempotency,
the error shape and role permissions apply everywhere."""

from __future__ import annotations

from typing import Any

from django.db.models import QuerySet
from django_filters.rest_framework import DjangoFilterBackend
from rest_framework import mixins, viewsets
from rest_framework.views import APIView

from core.api.filters import BBoxFilter
from core.api.idempotency import IdempotencyMixin
from core.api.pagination import GeoJsonPagination

ID_REGEX = r"[0-9]{1,18}"


class ApiView(IdempotencyMixin, APIView):
    """A plain endpoint."""


class ReadOnlyGeoViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    """A map layer: GeoJSON FeatureCollection lists with ?bbox= and FilterSet filters; a Feature per
    row. `get_queryset` must call a selector with the caller's scope (out of scope → 404)."""

    pagination_class = GeoJsonPagination
    bbox_filter_field: str | None = None
    # Ids are positive 64-bit integers; anything else is a 404 from the URL resolver instead of a
    # database overflow.
    lookup_value_regex = ID_REGEX

    def get_queryset(self) -> QuerySet[Any]:  # pragma: no cover - every subclass defines it
        raise NotImplementedError

    filter_backends = [DjangoFilterBackend, BBoxFilter]
