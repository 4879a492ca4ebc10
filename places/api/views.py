from __future__ import annotations

from typing import Any

from django.db.models import QuerySet
from drf_spectacular.utils import extend_schema, extend_schema_view

from accounts.scope import scope_for
from core.api.views import ReadOnlyGeoViewSet
from places import selectors
from places.api.serializers import DivisionSerializer, LakeSerializer, ReachSerializer, RiverSerializer
from places.filters import DivisionFilter, LakeFilter, ReachFilter, RiverFilter


@extend_schema_view(list=extend_schema(summary="Divisions in your jurisdiction (GeoJSON)"))
class DivisionViewSet(ReadOnlyGeoViewSet):
    serializer_class = DivisionSerializer
    filterset_class = DivisionFilter
    bbox_filter_field = "boundary"

    def get_queryset(self) -> QuerySet[Any]:
        return selectors.division_list(scope=scope_for(self.request.user))


@extend_schema_view(list=extend_schema(summary="Rivers managed in or flowing through your jurisdiction (GeoJSON)"))
class RiverViewSet(ReadOnlyGeoViewSet):
    serializer_class = RiverSerializer
    filterset_class = RiverFilter
    bbox_filter_field = "geometry"

    def get_queryset(self) -> QuerySet[Any]:
        return selectors.river_list(scope=scope_for(self.request.user))


@extend_schema_view(list=extend_schema(summary="Reaches in your jurisdiction (GeoJSON)"))
class ReachViewSet(ReadOnlyGeoViewSet):
    serializer_class = ReachSerializer
    filterset_class = ReachFilter
    bbox_filter_field = "geometry"

    def get_queryset(self) -> QuerySet[Any]:
        return selectors.reach_list(scope=scope_for(self.request.user))


@extend_schema_view(list=extend_schema(summary="Lakes and reservoirs in your jurisdiction (GeoJSON)"))
class LakeViewSet(ReadOnlyGeoViewSet):
    serializer_class = LakeSerializer
    filterset_class = LakeFilter
    bbox_filter_field = "geometry"

    def get_queryset(self) -> QuerySet[Any]:
        return selectors.lake_list(scope=scope_for(self.request.user))
