"""The reclaimed-water API: ledgers (plants, projects, users), map layers (plants, pump stations,
pipelines), monthly volumes and deliveries (JSON or CSV), exports and the reuse rate.

Every human role reads within its jurisdiction; admins and reviewers write. Devices have no business
here (403). Rows outside the caller's jurisdiction are 404; a write that references one is a 400 on
the field that names it.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any, ClassVar

from django.db.models import QuerySet
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, pgettext_lazy
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema, extend_schema_view
from rest_framework import mixins, status, viewsets
from rest_framework.decorators import action
from rest_framework.exceptions import NotFound, ValidationError
from rest_framework.parsers import JSONParser
from rest_framework.request import Request
from rest_framework.response import Response

from accounts.choices import Role
from accounts.permissions import HUMAN_ROLES, STAFF_ROLES
from accounts.scope import scope_for
from core.api.export_views import ExportMixin
from core.api.idempotency import IdempotencyMixin
from core.api.parsers import CSVBody, CSVParser, decode_text
from core.api.views import ID_REGEX, ApiView, ReadOnlyGeoViewSet
from core.exports import Column
from core.periods import date_range
from reuse import selectors, services
from reuse.api.serializers import (
    BatchResultSerializer,
    DeliveryBatchSerializer,
    DeliverySerializer,
    PipelineSerializer,
    PlantInputSerializer,
    PlantSerializer,
    PlantVolumeSerializer,
    ProjectAdvanceSerializer,
    ProjectInputSerializer,
    ProjectSerializer,
    RateQuerySerializer,
    RateSerializer,
    StationSerializer,
    VolumeBatchSerializer,
    WaterUserInputSerializer,
    WaterUserSerializer,
    validate_rows,
)
from reuse.choices import VolumeSource
from reuse.csvio import read_rows
from reuse.filters import (
    DeliveryFilter,
    LayerProjectFilter,
    PlantFilter,
    PlantVolumeFilter,
    ProjectFilter,
    WaterUserFilter,
)
from reuse.months import month_label

# --------------------------------------------------------------------------- exports


def _code(obj: Any) -> str | None:
    return obj.code if obj is not None else None


# --------------------------------------------------------------------------- ledger writes


def _validated(serializer_class: type, request: Request) -> dict[str, Any]:
    data = serializer_class(data=request.data)
    data.is_valid(raise_exception=True)
    return dict(data.validated_data)


FIXED_ON_PATCH = {
    "code": "The code is the row's key and does not change.",
    "status": "The status changes through POST …/advance/.",
}


def _changes(serializer_class: type, request: Request, *, fixed: tuple[str, ...] = ("code",)) -> dict[str, Any]:
    """A PATCH body: the create serializer's fields, all optional, but not the fixed ones."""
    if isinstance(request.data, dict):
        refused = {name: [FIXED_ON_PATCH[name]] for name in fixed if name in request.data}
        if refused:
            raise ValidationError(refused)
    data = serializer_class(data=request.data, partial=True)
    data.is_valid(raise_exception=True)
    return dict(data.validated_data)


def _rename(values: dict[str, Any], **names: str) -> dict[str, Any]:
    return {names.get(k, k): v for k, v in values.items()}


# POST and PATCH of a ledger row (plant, project, user) through the ledger's create and update services:
# the input serializer's fields (codes renamed to the services' `<field>_code` arguments), the row
# answered with `serializer_class`. (Comments, not a docstring: the OpenAPI descriptions of the viewsets
# come from their classes' MRO and stay as they were.)
class _LedgerWrites:
    input_serializer: ClassVar[type]
    codes: ClassVar[dict[str, str]]  # input field -> the create service's argument
    fixed_on_patch: ClassVar[tuple[str, ...]] = ("code",)
    create_row: ClassVar[Callable[..., Any]]
    update_row: ClassVar[Callable[..., Any]]  # takes the row as its first argument
    serializer_class: Any
    get_object: Callable[[], Any]

    def create(self, request: Request) -> Response:
        v = _validated(self.input_serializer, request)
        row = type(self).create_row(actor=request.user, scope=scope_for(request.user), **_rename(v, **self.codes))
        return Response(self.serializer_class(row).data, status=status.HTTP_201_CREATED)

    def partial_update(self, request: Request, pk: str | None = None) -> Response:
        row = self.get_object()
        changes = _changes(self.input_serializer, request, fixed=self.fixed_on_patch)
        row = type(self).update_row(row, actor=request.user, changes=changes, scope=scope_for(request.user))
        return Response(self.serializer_class(row).data)


@extend_schema_view(
    list=extend_schema(summary="Wastewater plants in your jurisdiction (GeoJSON)"),
    retrieve=extend_schema(summary="A plant (GeoJSON Feature)"),
    create=extend_schema(summary="Add a plant", request=PlantInputSerializer, responses={201: PlantSerializer}),
    partial_update=extend_schema(summary="Change a plant", request=PlantInputSerializer, responses=PlantSerializer),
)
class PlantViewSet(_LedgerWrites, IdempotencyMixin, ExportMixin, ReadOnlyGeoViewSet):
    serializer_class = PlantSerializer
    input_serializer, codes = PlantInputSerializer, {"division": "division_code"}
    create_row = staticmethod(services.plant_create)
    update_row = staticmethod(lambda plant, **kwargs: services.plant_update(plant=plant, **kwargs))
    filterset_class = PlantFilter
    bbox_filter_field = "location"
    write_roles = STAFF_ROLES
    export_name, export_title = "reuse-plants", gettext_lazy("wastewater plants")
    export_columns = (
        Column("code", gettext_lazy("code")),
        Column("name", gettext_lazy("name"), width=28),
        Column("kind", gettext_lazy("kind")),
        Column("division", gettext_lazy("division")),
        Column("lon", gettext_lazy("lon"), "number3"),
        Column("lat", gettext_lazy("lat"), "number3"),
        Column("design_capacity_m3d", gettext_lazy("design_capacity_m3d"), "number"),
        Column("actual_capacity_m3d", gettext_lazy("actual_capacity_m3d"), "number"),
        Column("effluent_standard", gettext_lazy("effluent_standard")),
        Column("commissioned_on", gettext_lazy("commissioned_on"), "date"),
        Column("operator_name", gettext_lazy("operator_name")),
    )

    def get_queryset(self) -> QuerySet[Any]:
        return selectors.plant_list(scope=scope_for(self.request.user))

    def export_rows(self, queryset: QuerySet[Any]) -> Iterable[dict[str, Any]]:
        for p in queryset:
            yield {
                "code": p.code,
                "name": p.name,
                "kind": p.kind,
                "division": p.division.code,
                "lon": p.location.x,
                "lat": p.location.y,
                "design_capacity_m3d": p.design_capacity_m3d,
                "actual_capacity_m3d": p.actual_capacity_m3d,
                "effluent_standard": p.effluent_standard,
                "commissioned_on": p.commissioned_on,
                "operator_name": p.operator_name,
            }


PROJECT_COLUMNS = (
    Column("code", gettext_lazy("code")),
    Column("name", gettext_lazy("name"), width=30),
    Column("kind", gettext_lazy("kind")),
    Column("status", gettext_lazy("status")),
    Column("division", gettext_lazy("division")),
    Column("plant", gettext_lazy("host plant")),
    Column("started_on", gettext_lazy("started_on"), "date"),
    Column("completed_on", gettext_lazy("completed_on"), "date"),
    Column("operating_since", gettext_lazy("operating_since"), "date"),
    Column("investment_10k_yuan", gettext_lazy("investment_10k_yuan"), "number"),
    Column("capacity_m3d", gettext_lazy("capacity_m3d"), "number"),
    Column("length_km", gettext_lazy("length_km"), "number"),
    Column("diameter_mm", gettext_lazy("diameter_mm"), "int"),
    Column("material", gettext_lazy("material")),
)


@extend_schema_view(
    list=extend_schema(summary="Reclaimed-water projects in your jurisdiction"),
    retrieve=extend_schema(summary="A project"),
    create=extend_schema(summary="Add a project", request=ProjectInputSerializer, responses={201: ProjectSerializer}),
    partial_update=extend_schema(
        summary="Correct a project's ledger fields", request=ProjectInputSerializer, responses=ProjectSerializer
    ),
)
class ProjectViewSet(
    _LedgerWrites,
    IdempotencyMixin,
    ExportMixin,
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    viewsets.GenericViewSet,
):
    serializer_class = ProjectSerializer
    input_serializer, codes = ProjectInputSerializer, {"division": "division_code", "plant": "plant_code"}
    fixed_on_patch = ("code", "status")
    create_row = staticmethod(services.project_create)
    update_row = staticmethod(lambda project, **kwargs: services.project_update(project=project, **kwargs))
    filterset_class = ProjectFilter
    lookup_value_regex = ID_REGEX
    write_roles = STAFF_ROLES
    export_name, export_title, export_columns = (
        "reuse-projects",
        gettext_lazy("reclaimed-water projects"),
        PROJECT_COLUMNS,
    )

    def get_queryset(self) -> QuerySet[Any]:
        return selectors.project_list(scope=scope_for(self.request.user))

    def export_rows(self, queryset: QuerySet[Any]) -> Iterable[dict[str, Any]]:
        for p in queryset:
            yield {
                "code": p.code,
                "name": p.name,
                "kind": p.kind,
                "status": p.status,
                "division": p.division.code,
                "plant": _code(p.plant),
                "started_on": p.started_on,
                "completed_on": p.completed_on,
                "operating_since": p.operating_since,
                "investment_10k_yuan": p.investment_yuan / 10_000 if p.investment_yuan is not None else None,
                "capacity_m3d": p.capacity_m3d,
                "length_km": p.length_m / 1000 if p.length_m else None,
                "diameter_mm": p.diameter_mm,
                "material": p.material,
            }

    @extend_schema(
        summary="Move a project to its next status, with the date",
        request=ProjectAdvanceSerializer,
        responses=ProjectSerializer,
    )
    @action(detail=True, methods=["post"])
    def advance(self, request: Request, pk: str | None = None) -> Response:
        project = self.get_object()
        v = _validated(ProjectAdvanceSerializer, request)
        project = services.project_advance(project=project, status=v["status"], on=v["on"], actor=request.user)
        return Response(ProjectSerializer(project).data)


@extend_schema_view(
    list=extend_schema(summary="Reclaimed-water lift pump stations (GeoJSON points)"),
    retrieve=extend_schema(summary="A pump station (GeoJSON Feature)"),
)
class StationViewSet(ReadOnlyGeoViewSet):
    serializer_class = StationSerializer
    filterset_class = LayerProjectFilter
    bbox_filter_field = "location"

    def get_queryset(self) -> QuerySet[Any]:
        return selectors.station_list(scope=scope_for(self.request.user))


@extend_schema_view(
    list=extend_schema(summary="Reclaimed-water pipelines with geodesic lengths (GeoJSON lines)"),
    retrieve=extend_schema(summary="A pipeline (GeoJSON Feature)"),
)
class PipelineViewSet(ReadOnlyGeoViewSet):
    serializer_class = PipelineSerializer
    filterset_class = LayerProjectFilter
    bbox_filter_field = "route"

    def get_queryset(self) -> QuerySet[Any]:
        return selectors.pipeline_list(scope=scope_for(self.request.user))


USER_COLUMNS = (
    Column("code", gettext_lazy("code")),
    Column("name", gettext_lazy("name"), width=28),
    Column("division", gettext_lazy("division")),
    Column("plant", gettext_lazy("supplying plant")),
    Column("use_class", gettext_lazy("use_class")),
    Column("sub_use", gettext_lazy("sub_use")),
    Column("contract_volume_m3", gettext_lazy("contract_volume_m3"), "number"),
    Column("metered", gettext_lazy("metered"), "bool"),
)


@extend_schema_view(
    list=extend_schema(summary="Reclaimed-water users in your jurisdiction"),
    retrieve=extend_schema(summary="A reclaimed-water user"),
    create=extend_schema(
        summary="Add a reclaimed-water user", request=WaterUserInputSerializer, responses={201: WaterUserSerializer}
    ),
    partial_update=extend_schema(
        summary="Change a reclaimed-water user", request=WaterUserInputSerializer, responses=WaterUserSerializer
    ),
)
class WaterUserViewSet(
    _LedgerWrites,
    IdempotencyMixin,
    ExportMixin,
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    viewsets.GenericViewSet,
):
    # Operators (取水户) see their own intakes only, and these rows belong to no intake (issue 14: an
    # operator read every company's reclaimed-water contract volumes in the jurisdiction).
    read_roles = HUMAN_ROLES - {Role.OPERATOR}
    serializer_class = WaterUserSerializer
    input_serializer, codes = WaterUserInputSerializer, {"division": "division_code", "plant": "plant_code"}
    create_row = staticmethod(services.water_user_create)
    update_row = staticmethod(lambda user, **kwargs: services.water_user_update(user=user, **kwargs))
    filterset_class = WaterUserFilter
    lookup_value_regex = ID_REGEX
    write_roles = STAFF_ROLES
    export_name, export_title, export_columns = "reuse-users", gettext_lazy("reclaimed-water users"), USER_COLUMNS

    def get_queryset(self) -> QuerySet[Any]:
        return selectors.water_user_list(scope=scope_for(self.request.user))

    def export_rows(self, queryset: QuerySet[Any]) -> Iterable[dict[str, Any]]:
        for u in queryset:
            yield {
                "code": u.code,
                "name": u.name,
                "division": u.division.code,
                "plant": _code(u.plant),
                "use_class": u.use_class,
                "sub_use": u.sub_use,
                "contract_volume_m3": u.contract_volume_m3,
                "metered": u.metered,
            }


# --------------------------------------------------------------------------- monthly volumes

_TRUE, _FALSE = {"true", "1", "yes"}, {"false", "0", "no", ""}


def _replace_param(request: Request) -> bool:
    raw = request.query_params.get("replace", "").strip().lower()
    if raw not in _TRUE | _FALSE:
        raise ValidationError({"replace": [_("true or false.")]})
    return raw in _TRUE


def _batch(
    request: Request, *, batch_serializer: Any, columns: tuple[str, ...], required: set[str]
) -> tuple[list[dict[str, Any]], bool, str, list[int] | None]:
    """The rows of a JSON or CSV batch, validated row by row: (rows, replace, source, CSV lines)."""
    key = batch_serializer.key
    if request.content_type.split(";")[0].strip().lower() == "text/csv":
        # An empty body is not parsed at all: DRF gives an empty dict, which is an empty file here.
        body = request.data
        text = decode_text(body, body.charset) if isinstance(body, CSVBody) else ""
        raw_rows, lines = read_rows(text, columns=columns, required=required, prefix=key)
        if not raw_rows:
            raise ValidationError({key: [_("The file has a header but no rows.")]})
        rows = validate_rows(raw_rows, batch_serializer.row_serializer, key=key, lines=lines)
        return rows, _replace_param(request), VolumeSource.CSV, lines
    if "replace" in request.query_params:
        raise ValidationError({"replace": [_("In a JSON body, give replace in the body.")]})
    rows, replace = batch_serializer.validate_batch(request.data)
    return rows, replace, VolumeSource.API, None


BATCH_RESPONSES = {
    201: BatchResultSerializer,
    200: OpenApiResponse(BatchResultSerializer, description="nothing new: every row was already stored"),
    409: OpenApiResponse(description="rows already stored with other figures (send replace=true to correct)"),
}
CSV_PARAMETER = OpenApiParameter(
    "replace", bool, description="text/csv bodies only: correct stored months instead of a 409"
)


# Monthly rows: listed and exported, and recorded by a batch (JSON or CSV, all rows or none) through one
# service; 201 when a row was created, 200 when every row was already stored. (No docstring: the OpenAPI
# descriptions of the two viewsets come from their classes' MRO and stay as they were.)
class _BatchViewSet(IdempotencyMixin, ExportMixin, mixins.ListModelMixin, viewsets.GenericViewSet):
    parser_classes = [JSONParser, CSVParser]
    write_roles = STAFF_ROLES
    batch_serializer: ClassVar[Any]
    csv_columns: ClassVar[tuple[str, ...]]
    csv_required: ClassVar[frozenset[str]]
    record: ClassVar[Callable[..., services.BatchResult]]

    def create(self, request: Request) -> Response:
        rows, replace, source, lines = _batch(
            request,
            batch_serializer=self.batch_serializer,
            columns=self.csv_columns,
            required=set(self.csv_required),
        )
        result = type(self).record(
            rows=rows, actor=request.user, source=source, replace=replace, scope=scope_for(request.user), lines=lines
        )
        code = status.HTTP_201_CREATED if result.created else status.HTTP_200_OK
        return Response(BatchResultSerializer(result).data, status=code)


VOLUME_CSV_COLUMNS = ("plant", "month", "treated_m3", "produced_m3")
VOLUME_COLUMNS = (
    Column("plant", gettext_lazy("plant code")),
    Column("plant_name", gettext_lazy("plant_name"), width=24),
    Column("division", gettext_lazy("division")),
    Column("month", pgettext_lazy("model field", "month")),
    Column("treated_m3", gettext_lazy("treated_m3"), "number3"),
    Column("produced_m3", gettext_lazy("produced_m3"), "number3"),
    Column("delivered_m3", gettext_lazy("delivered_m3"), "number3"),
    Column("flags", gettext_lazy("warnings"), width=30),
)


@extend_schema_view(
    list=extend_schema(summary="Plants' monthly treated, produced and delivered volumes, with warning flags"),
    create=extend_schema(
        summary="Record plants' monthly volumes (JSON or text/csv; all rows or none)",
        request={"application/json": VolumeBatchSerializer, "text/csv": OpenApiTypes.STR},
        parameters=[CSV_PARAMETER],
        responses=BATCH_RESPONSES,
    ),
)
class PlantVolumeViewSet(_BatchViewSet):
    serializer_class = PlantVolumeSerializer
    filterset_class = PlantVolumeFilter
    export_name, export_title, export_columns = "reuse-volumes", gettext_lazy("plant monthly volumes"), VOLUME_COLUMNS
    batch_serializer = VolumeBatchSerializer
    csv_columns, csv_required = VOLUME_CSV_COLUMNS, frozenset(VOLUME_CSV_COLUMNS)
    record = staticmethod(services.plant_volumes_record)

    def get_queryset(self) -> QuerySet[Any]:
        return selectors.plant_volume_list(scope=scope_for(self.request.user))

    def export_rows(self, queryset: QuerySet[Any]) -> Iterable[dict[str, Any]]:
        for v in queryset:
            yield {
                "plant": v.plant.code,
                "plant_name": v.plant.name,
                "division": v.plant.division.code,
                "month": month_label(v.month),
                "treated_m3": v.treated_m3,
                "produced_m3": v.produced_m3,
                "delivered_m3": v.delivered_m3,
                "flags": " ".join(selectors.volume_flags(v, v.delivered_m3)),
            }


DELIVERY_CSV_COLUMNS = ("plant", "month", "user", "use_class", "sub_use", "volume_m3")
DELIVERY_COLUMNS = (
    Column("plant", gettext_lazy("plant code")),
    Column("division", gettext_lazy("division")),
    Column("month", pgettext_lazy("model field", "month")),
    Column("user", gettext_lazy("user code")),
    Column("user_name", gettext_lazy("user_name"), width=24),
    Column("use_class", gettext_lazy("use_class")),
    Column("sub_use", gettext_lazy("sub_use")),
    Column("volume_m3", gettext_lazy("volume_m3"), "number3"),
)


@extend_schema_view(
    list=extend_schema(summary="Monthly reclaimed water delivered, per metered user or per use class"),
    create=extend_schema(
        summary="Record monthly deliveries (JSON or text/csv; all rows or none)",
        request={"application/json": DeliveryBatchSerializer, "text/csv": OpenApiTypes.STR},
        parameters=[CSV_PARAMETER],
        responses=BATCH_RESPONSES,
    ),
)
class DeliveryViewSet(_BatchViewSet):
    read_roles = HUMAN_ROLES - {Role.OPERATOR}  # as WaterUserViewSet: no intake of the operator's
    serializer_class = DeliverySerializer
    filterset_class = DeliveryFilter
    export_name, export_title, export_columns = (
        "reuse-deliveries",
        gettext_lazy("reclaimed-water deliveries"),
        DELIVERY_COLUMNS,
    )
    batch_serializer = DeliveryBatchSerializer
    csv_columns, csv_required = DELIVERY_CSV_COLUMNS, frozenset({"month", "volume_m3"})
    record = staticmethod(services.deliveries_record)

    def get_queryset(self) -> QuerySet[Any]:
        return selectors.delivery_list(scope=scope_for(self.request.user))

    def export_rows(self, queryset: QuerySet[Any]) -> Iterable[dict[str, Any]]:
        for d in queryset:
            yield {
                "plant": d.plant.code,
                "division": d.plant.division.code,
                "month": month_label(d.month),
                "user": _code(d.user),
                "user_name": d.user.name if d.user else None,
                "use_class": d.use_class,
                "sub_use": d.sub_use,
                "volume_m3": d.volume_m3,
            }


# --------------------------------------------------------------------------- the rate


class RateView(ApiView):
    """GET /reuse/rate/?start=&end=&division=&ecological=&interval=."""

    @extend_schema(
        summary="Reclaimed-water utilisation rate (used ÷ treated) by use class, against the target",
        parameters=[RateQuerySerializer],
        responses=RateSerializer,
    )
    def get(self, request: Request) -> Response:
        q = RateQuerySerializer(data=request.query_params)
        q.is_valid(raise_exception=True)
        v = q.validated_data
        scope = scope_for(request.user)
        division = v.get("division")
        if division and not scope.covers_code(division):
            raise NotFound(_("No such division in your jurisdiction."))
        result = selectors.reuse_rate(
            scope=scope,
            period=date_range(v["start"], v["end"]),
            division_code=division,
            count_ecological={"counted": True, "excluded": False}.get(v.get("ecological", "")),
            interval=v.get("interval"),
        )
        return Response(RateSerializer(result).data)
