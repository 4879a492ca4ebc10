"""``GET /api/v1/water/monitoring/stations/``: the telemetry gateway's per-station counters.

Scoped like the meters (`water.telemetry.selectors.station_list`): admins see every station, including those
no meter claims yet (to commission them); reviewers and chiefs the stations of meters in their jurisdiction;
operators those of their own intakes; device tokens are refused (403). Kept in its own module because the
rest of /monitoring/ is built elsewhere.
"""

from __future__ import annotations

from typing import Any

import django_filters
from django.db.models import QuerySet
from drf_spectacular.utils import extend_schema, extend_schema_view
from rest_framework import mixins, serializers, viewsets
from rest_framework.decorators import action
from rest_framework.request import Request
from rest_framework.response import Response

from accounts.permissions import HUMAN_ROLES, STAFF_ROLES
from accounts.scope import scope_for
from core.api.filters import BooleanFilter, IdFilter
from core.api.views import ID_REGEX
from water.choices import CommandKind, CommandSource, CommandState, TelemetryProtocol
from water.models import StationCommand, StationCommandEvent, TelemetryStation
from water.telemetry.command_services import station_command_cancel, station_command_create
from water.telemetry.selectors import station_command_list, station_list


class TelemetryStationSerializer(serializers.ModelSerializer):
    """One station as listed: its counters, when and from where it was last heard, and its meter."""

    meter_serial = serializers.CharField(source="meter.serial", default=None, allow_null=True, read_only=True)
    intake = serializers.IntegerField(source="meter.intake_id", default=None, allow_null=True, read_only=True)
    intake_code = serializers.CharField(source="meter.intake.code", default=None, allow_null=True, read_only=True)

    class Meta:
        model = TelemetryStation
        fields = [
            "id",
            "protocol",
            "address",
            "meter",
            "meter_serial",
            "intake",
            "intake_code",
            "frames",
            "bad_crc",
            "unknown_elements",
            "decode_errors",
            "readings_stored",
            "readings_duplicate",
            "readings_refused",
            "acks_sent",
            "bad_password",
            "missing_values",
            "clock_drift_s",
            "first_seen",
            "last_seen",
            "last_remote",
            "last_error",
            "updated_at",
        ]
        read_only_fields = fields


class TelemetryStationFilter(django_filters.FilterSet):
    protocol = django_filters.ChoiceFilter(choices=TelemetryProtocol.choices)
    address = django_filters.CharFilter(method="filter_address", label="station address (hex, any case)")
    meter = IdFilter(field_name="meter_id")
    intake = IdFilter(field_name="meter__intake_id")
    unknown = BooleanFilter(field_name="meter", lookup_expr="isnull", label="no meter claims it")

    class Meta:
        model = TelemetryStation
        fields = ["protocol", "address", "meter", "intake", "unknown"]

    def filter_address(self, queryset: QuerySet[Any], name: str, value: str) -> QuerySet[Any]:
        return queryset.filter(address=value.replace(" ", "").upper())


@extend_schema_view(
    list=extend_schema(summary="Telemetry stations in your scope, with the gateway's counters"),
    retrieve=extend_schema(summary="One telemetry station's counters"),
)
class TelemetryStationViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    serializer_class = TelemetryStationSerializer
    filterset_class = TelemetryStationFilter
    lookup_value_regex = ID_REGEX
    read_roles = HUMAN_ROLES
    http_method_names = ["get", "head", "options"]

    def get_queryset(self) -> QuerySet[TelemetryStation]:
        return station_list(scope=scope_for(self.request.user))


# --- the per-station command queue (issue 18) --------------------------------------------------------------------


class StationCommandEventSerializer(serializers.ModelSerializer):
    class Meta:
        model = StationCommandEvent
        fields = ["state", "at", "detail"]
        read_only_fields = fields


class StationCommandSerializer(serializers.ModelSerializer):
    """A command with its state history."""

    meter_serial = serializers.CharField(source="meter.serial", read_only=True)
    events = StationCommandEventSerializer(many=True, read_only=True)

    class Meta:
        model = StationCommand
        fields = [
            "id",
            "meter",
            "meter_serial",
            "protocol",
            "address",
            "kind",
            "params",
            "source",
            "state",
            "attempts",
            "max_attempts",
            "serial",
            "answer",
            "error",
            "created_at",
            "sent_at",
            "answered_at",
            "events",
        ]
        read_only_fields = fields


class StationCommandCreateSerializer(serializers.Serializer):
    """``{meter, kind, params?, max_attempts?}``; period queries take ``params: {start, end, step_minutes?,
    element?}``."""

    meter = serializers.IntegerField(min_value=1)
    kind = serializers.ChoiceField(choices=CommandKind.choices)
    params = serializers.DictField(required=False, default=dict)
    max_attempts = serializers.IntegerField(required=False, min_value=1, max_value=10)


class CancelSerializer(serializers.Serializer):
    reason = serializers.CharField(required=False, allow_blank=True, max_length=200, default="")


class StationCommandFilter(django_filters.FilterSet):
    meter = IdFilter(field_name="meter_id")
    state = django_filters.ChoiceFilter(choices=CommandState.choices)
    kind = django_filters.ChoiceFilter(choices=CommandKind.choices)
    source = django_filters.ChoiceFilter(choices=CommandSource.choices)

    class Meta:
        model = StationCommand
        fields = ["meter", "state", "kind", "source"]


@extend_schema_view(
    list=extend_schema(summary="Commands to telemetry stations in your scope (newest first)"),
    retrieve=extend_schema(summary="One command with its state history"),
    create=extend_schema(
        summary="Queue a command for a meter's RTU (audited)",
        request=StationCommandCreateSerializer,
        responses=StationCommandSerializer,
    ),
)
class StationCommandViewSet(
    mixins.ListModelMixin, mixins.RetrieveModelMixin, mixins.CreateModelMixin, viewsets.GenericViewSet
):
    """Admins and reviewers (meters in their jurisdiction) queue commands; the gateway delivers them."""

    serializer_class = StationCommandSerializer
    filterset_class = StationCommandFilter
    lookup_value_regex = ID_REGEX
    read_roles = STAFF_ROLES
    write_roles = STAFF_ROLES
    http_method_names = ["get", "post", "head", "options"]

    def get_queryset(self) -> QuerySet[StationCommand]:
        return station_command_list(scope=scope_for(self.request.user))

    def create(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        data = StationCommandCreateSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        values = data.validated_data
        command = station_command_create(
            scope=scope_for(request.user),
            actor=request.user,
            meter_id=values["meter"],
            kind=values["kind"],
            params=values["params"],
            max_attempts=values.get("max_attempts"),
        )
        return Response(StationCommandSerializer(self.get_queryset().get(pk=command.pk)).data, status=201)

    @extend_schema(
        summary="Cancel a command not answered yet (audited)",
        request=CancelSerializer,
        responses=StationCommandSerializer,
    )
    @action(detail=True, methods=["post"])
    def cancel(self, request: Request, pk: str | None = None) -> Response:
        command = self.get_object()
        body = CancelSerializer(data=request.data or {})
        body.is_valid(raise_exception=True)
        station_command_cancel(command=command, actor=request.user, reason=body.validated_data["reason"])
        return Response(StationCommandSerializer(self.get_queryset().get(pk=command.pk)).data)
