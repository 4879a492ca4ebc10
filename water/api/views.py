"""Views of the water API: thin glue between the selectors (scoped reads), the input serializers and
the services. Out of scope is a 404; a role that may not act is a 403."""

from __future__ import annotations

import gc
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from django.db.models import QuerySet
from django.http import HttpResponse
from django.utils import timezone
from django.utils.translation import gettext as _
from drf_spectacular.utils import OpenApiParameter, extend_schema, extend_schema_view
from rest_framework import mixins, serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.exceptions import UnsupportedMediaType, ValidationError
from rest_framework.request import Request
from rest_framework.response import Response

from accounts.choices import Role
from accounts.models import User
from accounts.permissions import HUMAN_ROLES, STAFF_ROLES, user_role
from accounts.scope import Scope, scope_for
from accounts.selectors import account_choices
from core import periods
from core.api.export_views import EXPORT_RESPONSES
from core.api.idempotency import IdempotencyMixin
from core.api.pagination import PageNumberPagination
from core.api.parsers import CSVParser, charset_of
from core.api.views import ID_REGEX, ReadOnlyGeoViewSet
from core.exports import export_response
from core.geo import InputCRS
from core.kernel import reference
from places import selectors as places_selectors
from water import conf, exports, ingest, selectors, services
from water.api.parsers import JSONParser, parse_json
from water.api.serializers import (
    REVIEW_DECISIONS,
    AcknowledgeSerializer,
    AlertSerializer,
    ExportQuerySerializer,
    FlaggedReadingSerializer,
    IngestResultSerializer,
    IntakeSerializer,
    IntakeVolumeRowSerializer,
    IntakeVolumesSerializer,
    IntakeWriteSerializer,
    MeterCreateSerializer,
    MeterDaysSerializer,
    MeterMonitoringSerializer,
    MeterReplaceSerializer,
    MeterSerializer,
    MeterUpdateSerializer,
    MonitoringDaysQuerySerializer,
    MonitoringPageSerializer,
    MonitoringQuerySerializer,
    PeriodQuerySerializer,
    ReadingBatchSerializer,
    ReadingCorrectSerializer,
    ReadingReviewSerializer,
    ReadingSerializer,
)
from water.choices import ReadingSource
from water.filters import AlertFilter, IntakeFilter, MeterFilter, ReadingFilter
from water.models import Alert, Intake, Meter

INGEST_ROLES = frozenset({Role.ADMIN, Role.REVIEWER, Role.OPERATOR, Role.DEVICE})
WRITE_METHODS = ["get", "post", "patch", "delete", "head", "options"]
_PERIOD_PARAMS = [
    OpenApiParameter("start", str, description="first Beijing date (YYYY-MM-DD), included", required=True),
    OpenApiParameter("end", str, description="last Beijing date (YYYY-MM-DD), included", required=True),
    OpenApiParameter("interval", str, enum=["day", "month", "quarter"], description="default month"),
]
_FORMAT_PARAM = [OpenApiParameter("format", str, enum=["csv", "xlsx"], description="default csv")]


def _query(serializer_class: type[serializers.Serializer], request: Request, *, ignore: tuple[str, ...] = ()) -> Any:
    data = {k: v for k, v in request.query_params.items() if k not in ignore}
    ser = serializer_class(data=data)
    ser.is_valid(raise_exception=True)
    return ser.validated_data


def _user(pk: int | None, role: Role, field: str) -> User | None:
    if pk is None:
        return None
    return reference(
        account_choices(role=role), pk, field=field, message=f"No active {role.value} account with this id."
    )


# --------------------------------------------------------------------------------------- intakes


@extend_schema_view(
    list=extend_schema(summary="Intakes in your scope (GeoJSON)"),
    retrieve=extend_schema(summary="One intake (GeoJSON Feature)"),
    create=extend_schema(
        summary="Add an intake to the ledger", request=IntakeWriteSerializer, responses={201: IntakeSerializer}
    ),
    partial_update=extend_schema(summary="Change an intake", request=IntakeWriteSerializer, responses=IntakeSerializer),
    destroy=extend_schema(summary="Delete an intake that has no meters"),
)
class IntakeViewSet(IdempotencyMixin, ReadOnlyGeoViewSet):
    """The intake ledger. Admins and reviewers (in their jurisdiction) write; every human role reads
    what its scope holds (operators: their own intakes)."""

    serializer_class = IntakeSerializer
    filterset_class = IntakeFilter
    bbox_filter_field = "location"
    write_roles = STAFF_ROLES
    http_method_names = WRITE_METHODS

    def get_queryset(self) -> QuerySet[Intake]:
        return selectors.intake_list(scope=scope_for(self.request.user))

    def _input(self, *, partial: bool) -> dict[str, Any]:
        data = self.request.data
        crs = data.get("crs") if isinstance(data, dict) else None
        # A crs that is not one of the names (any JSON value may come) is left to the serializer: 400.
        context = {"crs": crs if isinstance(crs, str) and crs in {c.value for c in InputCRS} else InputCRS.WGS84}
        ser = IntakeWriteSerializer(data=data, partial=partial, context=context)
        ser.is_valid(raise_exception=True)
        v = dict(ser.validated_data)
        v.pop("crs", None)
        return self._resolve(v, scope_for(self.request.user))

    @staticmethod
    def _resolve(v: dict[str, Any], scope: Scope) -> dict[str, Any]:
        """Turn codes and ids into rows the caller may use (a reviewer files intakes in their
        jurisdiction only)."""
        if "division" in v:
            v["division"] = reference(
                places_selectors.division_list(scope=scope), v["division"], field="division", by="code"
            )
        if v.get("river") is not None:
            v["river"] = reference(places_selectors.river_list(scope=scope), v["river"], field="river")
        if v.get("lake") is not None:
            v["lake"] = reference(places_selectors.lake_list(scope=scope), v["lake"], field="lake")
        if "operators" in v:
            ids = set(v["operators"])
            found = list(account_choices(role=Role.OPERATOR).filter(pk__in=ids))
            missing = sorted(ids - {u.pk for u in found})
            if missing:
                raise ValidationError(
                    {"operators": [_("No active operator accounts with ids %(missing)s.") % {"missing": missing}]}
                )
            v["operators"] = found
        return v

    def _out(self, intake: Intake) -> Response:
        return Response(IntakeSerializer(self.get_queryset().get(pk=intake.pk)).data)

    def create(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        intake = services.intake_create(actor=request.user, **self._input(partial=False))
        response = self._out(intake)
        response.status_code = status.HTTP_201_CREATED
        return response

    def partial_update(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        intake = self.get_object()
        changes = self._input(partial=True)
        services.intake_update(intake=intake, actor=request.user, changes=changes)
        return self._out(intake)

    def destroy(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        services.intake_delete(intake=self.get_object(), actor=request.user)
        return Response(status=status.HTTP_204_NO_CONTENT)

    @extend_schema(
        summary="An intake's volumes by day, month or quarter, with provenance and coverage",
        parameters=_PERIOD_PARAMS,
        responses=IntakeVolumesSerializer,
    )
    @action(detail=True, methods=["get"])
    def volumes(self, request: Request, pk: str | None = None) -> Response:
        q = _query(PeriodQuerySerializer, request)
        data = selectors.intake_volumes(
            scope=scope_for(request.user),
            intake_id=int(pk or 0),
            first=q["start"],
            last=q["end"],
            interval=q["interval"],
        )
        return Response(IntakeVolumesSerializer(data).data)

    @extend_schema(summary="The intake ledger as CSV or Excel", parameters=_FORMAT_PARAM, responses=EXPORT_RESPONSES)
    @action(detail=False, methods=["get"])
    def export(self, request: Request) -> HttpResponse:
        q = _query(ExportQuerySerializer, request, ignore=tuple(IntakeFilter.base_filters))
        qs = self.filter_queryset(self.get_queryset())
        return export_response(
            fmt=q["format"],
            filename="intakes",
            columns=exports.INTAKE_COLUMNS,
            rows=exports.intake_rows(qs),
            title=_("intake ledger"),
        )


# --------------------------------------------------------------------------------------- meters


@extend_schema_view(
    list=extend_schema(summary="Meters of the intakes in your scope"),
    create=extend_schema(
        summary="Install a meter on an intake", request=MeterCreateSerializer, responses={201: MeterSerializer}
    ),
    partial_update=extend_schema(
        summary="Change a meter's description, RTU or register rules",
        request=MeterUpdateSerializer,
        responses=MeterSerializer,
    ),
    destroy=extend_schema(summary="Delete a meter entered by mistake (no readings yet)"),
)
class MeterViewSet(
    IdempotencyMixin,
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    viewsets.GenericViewSet,
):
    """Online water meters at intakes: serial, RTU address and protocol, installation period and reporting interval."""

    serializer_class = MeterSerializer
    filterset_class = MeterFilter
    lookup_value_regex = ID_REGEX
    write_roles = STAFF_ROLES
    http_method_names = WRITE_METHODS

    def get_queryset(self) -> QuerySet[Meter]:
        return selectors.meter_list(scope=scope_for(self.request.user))

    def _out(self, meter: Meter, code: int = status.HTTP_200_OK) -> Response:
        return Response(MeterSerializer(self.get_queryset().get(pk=meter.pk)).data, status=code)

    def create(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        ser = MeterCreateSerializer(data=request.data)
        ser.is_valid(raise_exception=True)
        v = dict(ser.validated_data)
        intake = reference(selectors.intake_list(scope=scope_for(request.user)), v.pop("intake"), field="intake")
        v["device"] = _user(v.get("device"), Role.DEVICE, "device")
        meter = services.meter_create(actor=request.user, intake=intake, **v)
        return self._out(meter, status.HTTP_201_CREATED)

    def partial_update(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        meter = self.get_object()
        ser = MeterUpdateSerializer(data=request.data, partial=True)
        ser.is_valid(raise_exception=True)
        changes = dict(ser.validated_data)
        if "device" in changes:
            changes["device"] = _user(changes["device"], Role.DEVICE, "device")
        services.meter_update(meter=meter, actor=request.user, changes=changes)
        return self._out(meter)

    def destroy(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        services.meter_delete(meter=self.get_object(), actor=request.user)
        return Response(status=status.HTTP_204_NO_CONTENT)

    @extend_schema(
        summary="Replace a meter: close it and open its successor on the same intake",
        request=MeterReplaceSerializer,
        responses={201: MeterSerializer},
    )
    @action(detail=True, methods=["post"])
    def replace(self, request: Request, pk: str | None = None) -> Response:
        meter = self.get_object()
        ser = MeterReplaceSerializer(data=request.data)
        ser.is_valid(raise_exception=True)
        v = dict(ser.validated_data)
        if "device" in v:
            v["device"] = _user(v["device"], Role.DEVICE, "device")
        successor = services.meter_replace(meter=meter, actor=request.user, **v)
        return self._out(successor, status.HTTP_201_CREATED)

    @extend_schema(summary="The meter ledger as CSV or Excel", parameters=_FORMAT_PARAM, responses=EXPORT_RESPONSES)
    @action(detail=False, methods=["get"])
    def export(self, request: Request) -> HttpResponse:
        q = _query(ExportQuerySerializer, request, ignore=tuple(MeterFilter.base_filters))
        qs = self.filter_queryset(self.get_queryset())
        return export_response(
            fmt=q["format"],
            filename="meters",
            columns=exports.METER_COLUMNS,
            rows=exports.meter_rows(qs),
            title=_("meter ledger"),
        )


# --------------------------------------------------------------------------------------- readings


@contextmanager
def _gc_paused() -> Iterator[None]:
    """A batch allocates some 100,000 short-lived objects and no reference cycles; the cycle collector
    would otherwise walk the whole heap several times per batch."""
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()


@extend_schema_view(list=extend_schema(summary="Stored readings of meters in your scope"))
class ReadingViewSet(IdempotencyMixin, viewsets.GenericViewSet):
    """Readings: the batch ingest (devices, operators, reviewers, admins), the list, and the review
    desk (corrections and decisions on flagged readings, reviewers and admins)."""

    serializer_class = ReadingSerializer
    filterset_class = ReadingFilter
    parser_classes = [JSONParser, CSVParser]
    pagination_class = PageNumberPagination
    read_roles = HUMAN_ROLES
    action_roles = {"create": INGEST_ROLES, "correct": STAFF_ROLES, "review": STAFF_ROLES}

    def get_queryset(self) -> QuerySet[Any]:
        return selectors.reading_list(scope=scope_for(self.request.user)).order_by("meter_id", "observed_at")

    def list(self, request: Request) -> Response:
        page = self.paginate_queryset(self.filter_queryset(self.get_queryset()))
        return self.get_paginated_response(ReadingSerializer(page, many=True).data)

    @extend_schema(
        summary="Send a batch of readings (JSON or text/csv); all or nothing",
        description=(
            "A resend is counted as duplicates and changes nothing. Any bad row refuses the whole batch: 400 "
            "naming each row and field (readings[i].field; i counts data rows from 0, in CSV too); 404 "
            "(code unknown_meter) when the batch names meters that do not exist or that the caller may not "
            "write, such as another device's; 409 when a row gives another value for a stored meter and "
            "instant. CSV columns: meter,observed_at,cumulative_m3[,flow_m3s]."
        ),
        request={"application/json": ReadingBatchSerializer, "text/csv": bytes},
        responses={200: IngestResultSerializer, 201: IngestResultSerializer},
    )
    def create(self, request: Request) -> Response:
        # The body is parsed here into locals rather than through request.data: DRF's Request is in a
        # reference cycle (its parser context points back at it), so a parsed batch (some 20,000
        # objects) hanging from it would live until a full garbage collection and the worker's memory
        # would climb batch after batch. Locals are freed when the view returns.
        media = (request.content_type or "").split(";")[0].strip().lower()
        if media not in (JSONParser.media_type, CSVParser.media_type):
            raise UnsupportedMediaType(media)
        body = request.body  # RequestDataTooBig (413) past API_MAX_BODY_BYTES
        limits: dict[str, Any] = {
            "now": timezone.now(),
            "future_tolerance_s": conf.future_tolerance_s(),
            "max_rows": conf.ingest_max_rows(),
        }
        is_csv = media == CSVParser.media_type
        if user_role(request.user) == Role.OPERATOR:
            source = ReadingSource.MANUAL
        else:
            source = ReadingSource.CSV if is_csv else ReadingSource.API
        with _gc_paused():
            if is_csv:
                rows = ingest.parse_csv_batch(body, charset=charset_of(request.content_type), **limits)
            else:
                rows = ingest.parse_json_batch(parse_json(body), **limits)
            result = services.reading_ingest_batch(
                rows=rows, scope=scope_for(request.user), source=source, actor=request.user
            )
            del rows
        return Response(
            {"created": result.created, "duplicates": result.duplicates},
            status=status.HTTP_201_CREATED if result.created else status.HTTP_200_OK,
        )

    @extend_schema(
        summary="Correct a stored reading's register value (audited)",
        request=ReadingCorrectSerializer,
        responses=ReadingSerializer,
    )
    @action(detail=False, methods=["post"])
    def correct(self, request: Request) -> Response:
        ser = ReadingCorrectSerializer(data=request.data)
        ser.is_valid(raise_exception=True)
        v = ser.validated_data
        reading = selectors.reading_get(scope=scope_for(request.user), serial=v["meter"], observed_at=v["observed_at"])
        reading = services.reading_correct(
            reading=reading, cumulative_m3=v["cumulative_m3"], reason=v["reason"], actor=request.user
        )
        return Response(ReadingSerializer(reading).data)

    @extend_schema(
        summary="Accept or reject a flagged reading, or clear the decision (audited)",
        request=ReadingReviewSerializer,
        responses=ReadingSerializer,
    )
    @action(detail=False, methods=["post"])
    def review(self, request: Request) -> Response:
        ser = ReadingReviewSerializer(data=request.data)
        ser.is_valid(raise_exception=True)
        v = ser.validated_data
        reading = selectors.reading_get(scope=scope_for(request.user), serial=v["meter"], observed_at=v["observed_at"])
        reading = services.reading_review(
            reading=reading, decision=REVIEW_DECISIONS[v["decision"]], reason=v["reason"], actor=request.user
        )
        return Response(ReadingSerializer(reading).data)

    @extend_schema(
        summary="Readings held for review (jumps and decreases) observed in a period",
        parameters=_PERIOD_PARAMS[:2],
        responses=FlaggedReadingSerializer(many=True),
        filters=False,
    )
    @action(detail=False, methods=["get"])
    def flagged(self, request: Request) -> Response:
        q = _query(PeriodQuerySerializer, request)
        rows = selectors.flagged_readings(scope=scope_for(request.user), first=q["start"], last=q["end"])
        page: list[dict[str, Any]] | None = self.paginate_queryset(rows)  # type: ignore[arg-type]
        return self.get_paginated_response(FlaggedReadingSerializer(page, many=True).data)


# --------------------------------------------------------------------------------------- volumes


class VolumeViewSet(viewsets.GenericViewSet):
    """Every intake in scope with its volumes per period (the figures a quarterly report reads)."""

    query_params = {"list": frozenset(PeriodQuerySerializer().fields)}  # core.api.query

    pagination_class = PageNumberPagination
    serializer_class = IntakeVolumeRowSerializer

    def get_queryset(self) -> QuerySet[Intake]:
        return selectors.intake_list(scope=scope_for(self.request.user))

    @extend_schema(
        summary="Volumes of every intake in your scope, by day, month or quarter",
        parameters=_PERIOD_PARAMS,
        responses=IntakeVolumeRowSerializer(many=True),
    )
    def list(self, request: Request) -> Response:
        q = _query(PeriodQuerySerializer, request, ignore=("page", "page_size"))
        scope = scope_for(request.user)
        intakes = self.paginate_queryset(
            self.get_queryset().select_related(None).prefetch_related(None).only("id", "code", "name").order_by("code")
        )
        figures = selectors.volume_totals(
            scope=scope,
            first=q["start"],
            last=q["end"],
            interval=q["interval"],
            intake_ids=[i.pk for i in intakes or []],
        )
        empty = selectors.empty_figures(q["start"], q["end"], q["interval"])
        rows = [
            {"intake": i.pk, "code": i.code, "name": i.name, "periods": [f.as_dict() for f in figures.get(i.pk, empty)]}
            for i in intakes or []
        ]
        return self.get_paginated_response(IntakeVolumeRowSerializer(rows, many=True).data)


# ----------------------------------------------------------------------------- online monitoring


@extend_schema_view(
    list=extend_schema(
        summary="Online monitoring: arrival rate, completeness, timeliness and coverage, with every meter",
        description=(
            "`summary` covers every meter and intake in your scope (and in `division`); `results` lists the "
            "meters, paginated, narrowed by `intake` and `state` (online, offline, removed). States are taken "
            "at `summary.as_of`, the earlier of the period's end and now; ratios are fractions 0–1."
        ),
        parameters=[
            *_PERIOD_PARAMS[:2],
            OpenApiParameter("division", str, description="division code: its intakes and those inside it"),
            OpenApiParameter("intake", int, description="only this intake's meters in results"),
            OpenApiParameter("state", str, enum=["online", "offline", "removed"]),
        ],
        responses=MonitoringPageSerializer,
    )
)
class MonitoringViewSet(viewsets.GenericViewSet):
    query_params = {"list": frozenset(MonitoringQuerySerializer().fields)}  # core.api.query
    pagination_class = PageNumberPagination
    serializer_class = MeterMonitoringSerializer
    queryset = Meter.objects.none()  # for the schema; the figures come from selectors.monitoring_report

    def list(self, request: Request) -> Response:
        q = _query(MonitoringQuerySerializer, request, ignore=("page", "page_size"))
        summary, meters = selectors.monitoring_report(
            scope=scope_for(request.user),
            period=periods.date_range(q["start"], q["end"]),
            division_code=q.get("division"),
        )
        if "intake" in q:
            meters = [m for m in meters if m.intake_id == q["intake"]]
        if "state" in q:
            meters = [m for m in meters if m.state == q["state"]]
        page: list[selectors.MeterMonitoring] | None = self.paginate_queryset(meters)  # type: ignore[arg-type]
        paged = self.get_paginated_response([m.to_dict() for m in page or []]).data
        return Response({"summary": summary.to_dict(), **paged})


class MonitoringMeterViewSet(viewsets.GenericViewSet):
    serializer_class = MeterDaysSerializer
    lookup_value_regex = ID_REGEX
    queryset = Meter.objects.none()  # for the schema; the meter is found (in scope) by the selector

    @extend_schema(
        summary="A meter's monitoring figures per Beijing day",
        parameters=_PERIOD_PARAMS[:2],
        responses=MeterDaysSerializer,
    )
    @action(detail=True, methods=["get"])
    def days(self, request: Request, pk: str | None = None) -> Response:
        q = _query(MonitoringDaysQuerySerializer, request)
        figure, days = selectors.meter_monitoring_days(
            scope=scope_for(request.user), meter_id=int(pk or 0), first=q["start"], last=q["end"]
        )
        return Response({"meter": figure.to_dict(), "days": [d.to_dict() for d in days]})


@extend_schema_view(
    list=extend_schema(summary="Monitoring alerts on the intakes in your scope"),
    retrieve=extend_schema(summary="One alert"),
)
class AlertViewSet(IdempotencyMixin, mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    """Alerts raised by the periodic jobs; every human role reads those of its scope, reviewers and
    admins acknowledge them."""

    serializer_class = AlertSerializer
    filterset_class = AlertFilter
    pagination_class = PageNumberPagination
    lookup_value_regex = ID_REGEX
    action_roles = {"acknowledge": STAFF_ROLES}

    def get_queryset(self) -> QuerySet[Alert]:
        return selectors.alert_list(scope=scope_for(self.request.user))

    @extend_schema(
        summary="Acknowledge an alert (audited; again changes nothing)",
        request=AcknowledgeSerializer,
        responses=AlertSerializer,
    )
    @action(detail=True, methods=["post"])
    def acknowledge(self, request: Request, pk: str | None = None) -> Response:
        alert = self.get_object()
        AcknowledgeSerializer(data=request.data or {}).is_valid(raise_exception=True)
        alert = services.alert_acknowledge(alert=alert, actor=request.user)
        return Response(AlertSerializer(self.get_queryset().get(pk=alert.pk)).data)
