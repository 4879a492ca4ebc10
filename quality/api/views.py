"""The quality API: sections (GeoJSON), samples, CSV import, the classifier and the period summary.
Views are glue: scope through a selector, validate, call one service or selector, serialize."""

from __future__ import annotations

from typing import Any

from django.db.models import QuerySet
from django.utils.translation import gettext as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema, extend_schema_view
from rest_framework import mixins, status, viewsets
from rest_framework.decorators import action
from rest_framework.exceptions import ValidationError
from rest_framework.parsers import JSONParser, MultiPartParser
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from accounts.choices import Role
from accounts.permissions import HUMAN_ROLES, STAFF_ROLES
from accounts.scope import scope_for
from core.api.idempotency import IdempotencyMixin
from core.api.pagination import PageNumberPagination
from core.api.parsers import CSVBody, CSVParser
from core.api.views import ID_REGEX, ReadOnlyGeoViewSet
from core.kernel import get_in_scope, reference
from core.periods import Period, date_range
from places.models import Lake, Reach
from places.selectors import division_list, lake_list, reach_list
from quality import conf, csv_samples, gb3838, selectors, services
from quality.api.serializers import (
    ClassifySerializer,
    PeriodQuerySerializer,
    SampleCreateSerializer,
    SampleSerializer,
    SectionCreateSerializer,
    SectionExclusionCreateSerializer,
    SectionExclusionSerializer,
    SectionSerializer,
    SectionUpdateSerializer,
)
from quality.filters import SampleFilter, SectionFilter
from quality.models import Sample

PERIOD_PARAMETERS = [
    OpenApiParameter("start", OpenApiTypes.DATE, required=True, description="first day (Beijing), inclusive"),
    OpenApiParameter("end", OpenApiTypes.DATE, required=True, description="last day (Beijing), inclusive"),
]


def _period(request: Request) -> tuple[Period, str | None]:
    query = PeriodQuerySerializer(data=request.query_params)
    query.is_valid(raise_exception=True)
    v = query.validated_data
    return date_range(v["start"], v["end"]), v.get("division")


@extend_schema_view(
    list=extend_schema(summary="Monitoring sections in your jurisdiction (GeoJSON)"),
    create=extend_schema(summary="Register a section", request=SectionCreateSerializer),
    partial_update=extend_schema(
        summary="Change a section's name, target class, flag, note or location", request=SectionUpdateSerializer
    ),
)
class SectionViewSet(IdempotencyMixin, mixins.CreateModelMixin, ReadOnlyGeoViewSet):
    """Water-quality monitoring sections (断面/点位) with their target class; evaluation and exclusions per section."""

    serializer_class = SectionSerializer
    filterset_class = SectionFilter
    bbox_filter_field = "location"
    write_roles = STAFF_ROLES
    action_roles = {"evaluation": HUMAN_ROLES, "exclusions": STAFF_ROLES, "exclusion": STAFF_ROLES}
    http_method_names = ["get", "post", "patch", "delete", "head", "options"]

    def get_queryset(self) -> QuerySet[Any]:
        return selectors.section_list(scope=scope_for(self.request.user))

    def create(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        data = SectionCreateSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        v = data.validated_data
        scope = scope_for(request.user)
        reach: Reach | None = None
        lake: Lake | None = None
        if v.get("reach") is not None:
            reach = reference(reach_list(scope=scope), v["reach"], field="reach")
        else:
            lake = reference(lake_list(scope=scope), v["lake"], field="lake")
        division = None
        if v.get("division"):
            division = reference(division_list(scope=scope), v["division"], field="division", by="code")
        section = services.section_create(
            code=v["code"],
            name=v["name"],
            category=v["category"],
            reach=reach,
            lake=lake,
            division=division,
            location=v["location"],
            target_class=v["target_class"],
            counts_in_statistics=v["counts_in_statistics"],
            note=v["note"],
            actor=request.user,
        )
        section = self.get_queryset().get(pk=section.pk)
        return Response(SectionSerializer(section).data, status=status.HTTP_201_CREATED)

    def partial_update(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        section = self.get_object()
        data = SectionUpdateSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        services.section_update(section=section, actor=request.user, **data.validated_data)
        return Response(SectionSerializer(self.get_queryset().get(pk=section.pk)).data)

    @extend_schema(
        summary="Why a section got its class: period means, rounding, each item's class, main pollutants",
        parameters=PERIOD_PARAMETERS,
        responses=OpenApiTypes.OBJECT,
    )
    @action(detail=True, methods=["get"])
    def evaluation(self, request: Request, pk: str | None = None) -> Response:
        section = self.get_object()
        period, __ = _period(request)
        result = selectors.section_evaluation(section=section, period=period)
        body = result.to_dict(items=True)
        body["period"] = {"start": period.first_date, "end": period.last_date, "label": period.label}
        return Response(body)

    @extend_schema(
        methods=["GET"],
        summary="Months the section is left out of the statistics, with the reasons",
        responses=SectionExclusionSerializer(many=True),
    )
    @extend_schema(
        methods=["POST"],
        summary="Leave the section out of the statistics for whole months, with a reason",
        request=SectionExclusionCreateSerializer,
        responses={201: SectionExclusionSerializer},
    )
    @action(detail=True, methods=["get", "post"], pagination_class=None, filter_backends=[])
    def exclusions(self, request: Request, pk: str | None = None) -> Response:
        section = self.get_object()
        if request.method == "GET":
            rows = selectors.exclusion_list(scope=scope_for(request.user)).filter(section=section)
            return Response(SectionExclusionSerializer(rows, many=True).data)
        data = SectionExclusionCreateSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        exclusion = services.section_exclusion_create(section=section, actor=request.user, **data.validated_data)
        return Response(SectionExclusionSerializer(exclusion).data, status=status.HTTP_201_CREATED)

    @extend_schema(summary="Count the months again (remove an exclusion)", responses={204: None})
    @action(detail=True, methods=["delete"], url_path=r"exclusions/(?P<exclusion_id>[0-9]{1,18})")
    def exclusion(self, request: Request, pk: str | None = None, exclusion_id: str | None = None) -> Response:
        section = self.get_object()
        exclusion = get_in_scope(
            selectors.exclusion_list(scope=scope_for(request.user)).filter(section=section), pk=exclusion_id
        )
        services.section_exclusion_delete(exclusion=exclusion, actor=request.user)
        return Response(status=status.HTTP_204_NO_CONTENT)


@extend_schema_view(
    list=extend_schema(summary="Samples at sections in your jurisdiction, with their results"),
    create=extend_schema(summary="Record one sample", request=SampleCreateSerializer, responses=SampleSerializer),
    destroy=extend_schema(summary="Delete a wrong sample (audited); correct by recording it again"),
)
class SampleViewSet(
    IdempotencyMixin,
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    mixins.CreateModelMixin,
    mixins.DestroyModelMixin,
    viewsets.GenericViewSet,
):
    # Operators (取水户) see their own intakes only, and these rows belong to no intake (issue 14: an
    # operator read the whole jurisdiction's quality samples).
    """Water-quality samples at sections, with one result per GB 3838 item, as reported."""

    read_roles = HUMAN_ROLES - {Role.OPERATOR}
    serializer_class = SampleSerializer
    filterset_class = SampleFilter
    pagination_class = PageNumberPagination
    lookup_value_regex = ID_REGEX
    write_roles = STAFF_ROLES
    parser_classes = [JSONParser]

    def get_queryset(self) -> QuerySet[Any]:
        return selectors.sample_list(scope=scope_for(self.request.user))

    def create(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        data = SampleCreateSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        v = data.validated_data
        section = reference(
            selectors.section_list(scope=scope_for(request.user)),
            v["section"],
            field="section",
            message=_("No such section in your jurisdiction."),
        )
        measurements, errors = gb3838.parse_values(v["values"])
        if errors:
            raise ValidationError({"values": {k: [m] for k, m in errors.items()}})
        sample_input = services.SampleInput(
            section=section,
            sampled_at=v["sampled_at"],
            source=v["source"],
            measurements=tuple(measurements.values()),
            note=v["note"],
        )
        result = services.samples_record(samples=[sample_input], actor=request.user)
        sample = (result.created or result.amended or result.duplicates)[0]
        body = SampleSerializer(self.get_queryset().get(pk=sample.pk)).data
        return Response(body, status=status.HTTP_201_CREATED if result.created else status.HTTP_200_OK)

    def perform_destroy(self, instance: Sample) -> None:
        services.sample_delete(sample=instance, actor=self.request.user, reason="api")

    @extend_schema(
        summary="Import results from CSV (text/csv body or multipart `file`), all or nothing",
        request={"text/csv": OpenApiTypes.BINARY, "multipart/form-data": OpenApiTypes.OBJECT},
        responses=OpenApiTypes.OBJECT,
    )
    @action(detail=False, methods=["post"], url_path="import", parser_classes=[CSVParser, MultiPartParser])
    def import_csv(self, request: Request) -> Response:
        charset = None
        if isinstance(request.data, CSVBody):
            body, charset = request.data, request.data.charset
        else:
            upload = request.data.get("file")
            if upload is None or not hasattr(upload, "read"):
                raise ValidationError(
                    {"file": [_("Send the CSV as the body (text/csv) or as the multipart field file.")]}
                )
            body = upload.read()
        result = csv_samples.samples_import_csv(
            data=bytes(body),
            charset=charset,
            sections=selectors.section_list(scope=scope_for(request.user)),
            actor=request.user,
        )
        return Response(
            {
                "samples_created": len(result.created),
                "samples_amended": len(result.amended),
                "results_created": result.measurements_created,
                "duplicates": len(result.duplicates),
            },
            status=status.HTTP_201_CREATED if result.created else status.HTTP_200_OK,
        )


class ClassifyView(APIView):
    """POST /quality/classify/: classify one sample's results without storing anything: not even an
    Idempotency-Key record (a replay simply classifies again), so it is a plain APIView."""

    write_roles = HUMAN_ROLES

    @extend_schema(
        summary="Classify results by GB 3838-2002 (stores nothing)",
        request=ClassifySerializer,
        responses=OpenApiTypes.OBJECT,
    )
    def post(self, request: Request) -> Response:
        data = ClassifySerializer(data=request.data)
        data.is_valid(raise_exception=True)
        v = data.validated_data
        measurements, errors = gb3838.parse_values(v["values"])
        if errors:
            raise ValidationError({"values": {k: [m] for k, m in errors.items()}})
        values = {code: m.effective for code, m in measurements.items()}
        result = gb3838.classify(values, body=v["category"], options=conf.classifier_options())
        body = selectors.classification_dict(result, target_class=v.get("target_class"))
        by_code = {m.item.code: m for m in measurements.values()}
        body["category"] = v["category"]
        body["items"] = [
            {
                **selectors.item_dict(r, None),
                "below_detection_limit": by_code[r.item.code].below_detection_limit,
                "detection_limit": by_code[r.item.code].detection_limit,
            }
            for r in result.items
        ]
        return Response(body)


class SummaryView(APIView):
    """GET /quality/summary/?start=&end=&division=: good-water shares per category."""

    query_params = frozenset({"start", "end", "division"})

    @extend_schema(
        summary="Good-water shares (classes I–III) per category for a period, with counts and sections",
        parameters=[
            *PERIOD_PARAMETERS,
            OpenApiParameter("division", OpenApiTypes.STR, description="GB/T 2260 code (default: your jurisdiction)"),
        ],
        responses=OpenApiTypes.OBJECT,
    )
    def get(self, request: Request) -> Response:
        period, division = _period(request)
        summary = selectors.quality_summary(scope=scope_for(request.user), period=period, division_code=division)
        return Response(summary.to_dict())
