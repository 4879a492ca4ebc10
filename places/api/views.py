from __future__ import annotations

from typing import Any

from django.db.models import QuerySet
from django.utils.translation import gettext as _
from drf_spectacular.utils import extend_schema, extend_schema_view
from rest_framework import mixins, status, viewsets
from rest_framework.decorators import action
from rest_framework.request import Request
from rest_framework.response import Response

from accounts.choices import Role
from accounts.permissions import HUMAN_ROLES, STAFF_ROLES
from accounts.scope import scope_for
from accounts.selectors import account_choices
from core.api.idempotency import IdempotencyMixin
from core.api.views import ID_REGEX, ReadOnlyGeoViewSet
from core.kernel import reference
from places import selectors, services
from places.api.serializers import (
    AssignmentCreateSerializer,
    AssignmentEndSerializer,
    AssignmentSerializer,
    DivisionSerializer,
    LakeSerializer,
    ReachSerializer,
    RiverSerializer,
)
from places.filters import AssignmentFilter, DivisionFilter, LakeFilter, ReachFilter, RiverFilter


@extend_schema_view(list=extend_schema(summary="Divisions in your jurisdiction (GeoJSON)"))
class DivisionViewSet(ReadOnlyGeoViewSet):
    """Administrative divisions (GB/T 2260) in your jurisdiction, with their boundaries."""

    serializer_class = DivisionSerializer
    filterset_class = DivisionFilter
    bbox_filter_field = "boundary"

    def get_queryset(self) -> QuerySet[Any]:
        return selectors.division_list(scope=scope_for(self.request.user))


@extend_schema_view(list=extend_schema(summary="Rivers managed in or flowing through your jurisdiction (GeoJSON)"))
class RiverViewSet(ReadOnlyGeoViewSet):
    """Rivers managed in or flowing through your jurisdiction."""

    serializer_class = RiverSerializer
    filterset_class = RiverFilter
    bbox_filter_field = "geometry"

    def get_queryset(self) -> QuerySet[Any]:
        return selectors.river_list(scope=scope_for(self.request.user))


@extend_schema_view(list=extend_schema(summary="Reaches in your jurisdiction (GeoJSON)"))
class ReachViewSet(ReadOnlyGeoViewSet):
    """River reaches (河段): a river's section inside one division, each with its river chiefs."""

    serializer_class = ReachSerializer
    filterset_class = ReachFilter
    bbox_filter_field = "geometry"

    def get_queryset(self) -> QuerySet[Any]:
        return selectors.reach_list(scope=scope_for(self.request.user))


@extend_schema_view(list=extend_schema(summary="Lakes and reservoirs in your jurisdiction (GeoJSON)"))
class LakeViewSet(ReadOnlyGeoViewSet):
    """Lakes and reservoirs (湖泊、水库) in your jurisdiction, each with its lake chiefs."""

    serializer_class = LakeSerializer
    filterset_class = LakeFilter
    bbox_filter_field = "geometry"

    def get_queryset(self) -> QuerySet[Any]:
        return selectors.lake_list(scope=scope_for(self.request.user))


@extend_schema_view(
    list=extend_schema(summary="Chief appointments on reaches and lakes in your jurisdiction"),
    create=extend_schema(summary="Appoint a chief to a reach or lake", request=AssignmentCreateSerializer),
)
class AssignmentViewSet(
    IdempotencyMixin,
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    mixins.CreateModelMixin,
    viewsets.GenericViewSet,
):
    """River- and lake-chief appointments (河湖长任命): who is chief of which reach or lake, at which
    level, from when to when."""

    # Operators (取水户) see their own intakes only, and these rows belong to no intake (issue 14: an
    # operator read the whole jurisdiction's chief appointments).
    read_roles = HUMAN_ROLES - {Role.OPERATOR}
    serializer_class = AssignmentSerializer
    filterset_class = AssignmentFilter
    lookup_value_regex = ID_REGEX
    write_roles = STAFF_ROLES

    def get_queryset(self) -> QuerySet[Any]:
        return selectors.assignment_list(scope=scope_for(self.request.user))

    def create(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        data = AssignmentCreateSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        v = data.validated_data
        scope = scope_for(request.user)
        reach = lake = None
        if v.get("reach") is not None:
            reach = reference(selectors.reach_list(scope=scope), v["reach"], field="reach")
        else:
            lake = reference(selectors.lake_list(scope=scope), v["lake"], field="lake")
        chief = reference(
            account_choices(role=Role.CHIEF),
            v["chief"],
            field="chief",
            message=_("No active chief account with this id."),
        )
        assignment = services.chief_assign(
            chief=chief,
            level=v["level"],
            reach=reach,
            lake=lake,
            valid_from=v["valid_from"],
            valid_until=v.get("valid_until"),
            actor=request.user,
        )
        return Response(AssignmentSerializer(assignment).data, status=status.HTTP_201_CREATED)

    @extend_schema(request=AssignmentEndSerializer, responses=AssignmentSerializer)
    @action(detail=True, methods=["post"])
    def end(self, request: Request, pk: str | None = None) -> Response:
        assignment = self.get_object()
        data = AssignmentEndSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        assignment = services.assignment_end(
            assignment=assignment, valid_until=data.validated_data["valid_until"], actor=request.user
        )
        return Response(AssignmentSerializer(assignment).data)
