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

from accounts.permissions import HUMAN_ROLES
from accounts.scope import scope_for
from core.api.filters import IdFilter
from core.api.views import ID_REGEX
from water.choices import TelemetryProtocol
from water.models import TelemetryStation
from water.telemetry.selectors import station_list


class TelemetryStationSerializer(serializers.ModelSerializer):
    """One station as listed: its counters, when and from where it was last heard, and its meter."""

    meter_serial = serializers.CharField(source="meter.serial", default=None, read_only=True)
    intake = serializers.IntegerField(source="meter.intake_id", default=None, read_only=True)
    intake_code = serializers.CharField(source="meter.intake.code", default=None, read_only=True)

    class Meta:
        model = TelemetryStation
        fields = [
            "id", "protocol", "address", "meter", "meter_serial", "intake", "intake_code", "frames", "bad_crc",
            "unknown_elements", "decode_errors", "readings_stored", "readings_duplicate", "readings_refused",
            "acks_sent", "missing_values", "first_seen", "last_seen", "last_remote", "last_error", "updated_at",
        ]  # fmt: skip
        read_only_fields = fields


class TelemetryStationFilter(django_filters.FilterSet):
    protocol = django_filters.ChoiceFilter(choices=TelemetryProtocol.choices)
    address = django_filters.CharFilter(method="filter_address", label="station address (hex, any case)")
    meter = IdFilter(field_name="meter_id")
    intake = IdFilter(field_name="meter__intake_id")
    unknown = django_filters.BooleanFilter(field_name="meter", lookup_expr="isnull", label="no meter claims it")

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
