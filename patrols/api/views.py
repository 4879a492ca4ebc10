"""The patrols API (SPEC §3, issue 5). Views are glue: scope through a selector, validate an input
serializer, call one service, serialize the output."""

from __future__ import annotations

import datetime as dt
import hashlib
from collections.abc import Callable, Iterable
from typing import Any

from django.db.models import Prefetch, QuerySet
from django.http import FileResponse, HttpResponse
from django.utils.translation import gettext as _
from django_filters.rest_framework import DjangoFilterBackend
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema, extend_schema_view
from rest_framework import mixins, status, viewsets
from rest_framework.decorators import action
from rest_framework.exceptions import NotFound, ValidationError
from rest_framework.parsers import FormParser, MultiPartParser
from rest_framework.request import Request
from rest_framework.response import Response

from accounts.choices import Role
from accounts.permissions import STAFF_ROLES
from accounts.scope import scope_for
from core.api.export_views import ExportMixin as CoreExportMixin
from core.api.filters import BBoxFilter
from core.api.idempotency import IdempotencyMixin
from core.api.views import ID_REGEX, ApiView, ReadOnlyGeoViewSet
from core.exports import Column, export_response
from core.periods import BEIJING
from patrols import conf, fastjson, selectors, services
from patrols.api.serializers import (
    CaseAssignSerializer,
    CaseDetailSerializer,
    CaseFeatureSerializer,
    CaseNoteSerializer,
    CasePhotoSerializer,
    CaseReportSerializer,
    ChiefsQuerySerializer,
    ComplianceQuerySerializer,
    ComplianceRowSerializer,
    FrequencyRuleSerializer,
    LitterCreateSerializer,
    LitterSerializer,
    PatrolDetailSerializer,
    PatrolEndSerializer,
    PatrolFeatureSerializer,
    PatrolPointsSerializer,
    PatrolRawSerializer,
    PatrolResultSerializer,
    PatrolReviewSerializer,
    PatrolStartSerializer,
    PatrolSubmitSerializer,
    RecheckRecordSerializer,
    RecheckSampleSerializer,
    RecheckSerializer,
    ValidityRuleSerializer,
    parse_patrol_submit,
    patrol_result,
)
from patrols.filters import CaseFilter, LitterFilter, PatrolFilter, RecheckFilter, beijing_midnight, within_division
from patrols.models import Case, CaseEvent, CasePhoto
from places.choices import ChiefLevel

READ_ROLES = frozenset({Role.ADMIN, Role.REVIEWER, Role.CHIEF})
CHIEF_ONLY = frozenset({Role.CHIEF})
CHIEF_AND_STAFF = frozenset({Role.CHIEF, Role.REVIEWER, Role.ADMIN})
UUID_REGEX = r"[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}"


def _json_body(request: Request) -> Any:
    """The JSON body parsed by the fast parser when it is plain UTF-8 JSON, else by DRF's parsers
    (which answer 415 for another media type and name any JSON error), so the result and every
    error are DRF's. Parsed into a local, not kept on the request (docs/conventions.md, bulk bodies)."""
    media_type, _sep, params = request.content_type.partition(";")
    charset = params.strip().lower()
    if media_type.strip().lower() == "application/json" and charset in ("", "charset=utf-8"):
        data = fastjson.loads_or_unparsed(request.body)
        if data is not fastjson.UNPARSED:
            return data
    return request.data


def _validated(serializer_class: type, request: Request, data: Any = None) -> dict[str, Any]:
    serializer = serializer_class(data=request.data if data is None else data)
    serializer.is_valid(raise_exception=True)
    return dict(serializer.validated_data)


class ExportMixin(CoreExportMixin):
    def get_export_max_rows(self) -> int:
        return conf.export_max_rows()


# =========================================================================== patrols


@extend_schema_view(
    list=extend_schema(summary="Patrol ledger as a map layer (GeoJSON; tracks simplified to 5 m)"),
    retrieve=extend_schema(
        summary="A patrol with its cleaned track (?geometry=raw: the track as received, with times)",
        parameters=[OpenApiParameter("geometry", str, enum=["cleaned", "raw"])],
    ),
)
class PatrolViewSet(IdempotencyMixin, ExportMixin, ReadOnlyGeoViewSet):
    serializer_class = PatrolFeatureSerializer
    filterset_class = PatrolFilter
    bbox_filter_field = "track_preview"
    lookup_value_regex = UUID_REGEX
    read_roles = READ_ROLES
    action_roles = {
        "create": CHIEF_ONLY,
        "start": CHIEF_ONLY,
        "points": CHIEF_ONLY,
        "end": CHIEF_ONLY,
        "review": STAFF_ROLES,
        "export": READ_ROLES,
    }

    export_name = "patrols"
    export_title = "巡河台账 patrols"
    export_columns = (
        Column("id", "编号", "Id", width=38),
        Column("started_at", "开始", "Started", "datetime", 18),
        Column("ended_at", "结束", "Ended", "datetime", 18),
        Column("chief", "河长", "Chief"),
        Column("level", "级别", "Level"),
        Column("reach", "河段编码", "Reach code", width=18),
        Column("reach_name", "河段", "Reach", width=24),
        Column("division", "行政区", "Division"),
        Column("mode", "方式", "Mode"),
        Column("person_times", "人次", "Person-times", "int"),
        Column("distance_km", "里程(公里)", "Distance (km)", "number3"),
        Column("duration_min", "时长(分钟)", "Duration (min)", "number"),
        Column("coverage", "覆盖率", "Coverage", "number"),
        Column("valid", "有效", "Valid", "bool"),
        Column("invalid_reasons", "无效原因", "Invalid reasons", width=24),
        Column("flags", "疑点", "Flags", width=24),
        Column("review_status", "审核", "Review"),
    )

    def get_queryset(self) -> QuerySet[Any]:
        scope = scope_for(self.request.user)
        if self.action in ("list", "export"):
            return selectors.patrol_list(scope=scope)
        if self.action == "retrieve":
            return selectors.patrol_detail(scope=scope)
        return selectors.patrol_writable(scope=scope)

    def get_serializer_class(self) -> type:
        if self.action == "retrieve":
            return PatrolRawSerializer if self.request.query_params.get("geometry") == "raw" else PatrolDetailSerializer
        return PatrolFeatureSerializer

    def export_rows(self, queryset: QuerySet[Any]) -> Iterable[dict[str, Any]]:
        for p in queryset.iterator(chunk_size=2000):
            yield {
                "id": str(p.pk),
                "started_at": p.started_at,
                "ended_at": p.ended_at,
                "chief": p.chief.username,
                "level": p.level,
                "reach": p.reach.code,
                "reach_name": p.reach.name,
                "division": p.reach.division.code,
                "mode": p.mode,
                "person_times": p.person_times,
                "distance_km": p.distance_m / 1000,
                "duration_min": p.track_duration_s / 60,
                "coverage": p.coverage,
                "valid": p.valid,
                "invalid_reasons": ", ".join(p.invalid_reasons),
                "flags": ", ".join(p.flags),
                "review_status": p.review_status,
            }

    @extend_schema(
        summary="Record a whole patrol (201; a resend of the same id and content: 200 with the stored patrol)",
        request=PatrolSubmitSerializer,
        responses={201: PatrolResultSerializer, 200: PatrolResultSerializer},
    )
    def create(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        # A phone that lost the answer resends the same bytes: one indexed lookup answers it, before
        # any parsing. A resend with the same content in another layout takes the full path and is
        # recognised by the content hash in the service.
        body_sha256 = hashlib.sha256(request.body).hexdigest()
        stored = services.patrol_find_resend(chief=request.user, body_sha256=body_sha256)
        if stored is not None:
            return Response(patrol_result(stored), status=status.HTTP_200_OK)
        v = parse_patrol_submit(_json_body(request))
        patrol, created = services.patrol_submit(
            actor=request.user,
            patrol_id=v["id"],
            reach_id=v["reach"],
            started_at=v["started_at"],
            ended_at=v["ended_at"],
            companions=v["companions"],
            mode=v["mode"],
            crs=v["crs"],
            track=v["track"],
            times=v["times"],
            body_sha256=body_sha256,
        )
        return Response(patrol_result(patrol), status=201 if created else 200)

    @extend_schema(
        summary="Start a patrol sent in parts (201; the same start again: 200)",
        request=PatrolStartSerializer,
        responses={201: PatrolResultSerializer, 200: PatrolResultSerializer},
    )
    @action(detail=False, methods=["post"])
    def start(self, request: Request) -> Response:
        v = _validated(PatrolStartSerializer, request)
        patrol, created = services.patrol_start(
            actor=request.user,
            patrol_id=v["id"],
            reach_id=v["reach"],
            started_at=v["started_at"],
            companions=v["companions"],
            mode=v["mode"],
            crs=v["crs"],
        )
        return Response(PatrolResultSerializer(patrol).data, status=201 if created else 200)

    @extend_schema(
        summary="Add a numbered batch of points to a patrol in progress (the same batch again is a no-op)",
        request=PatrolPointsSerializer,
        responses={200: OpenApiResponse(description='{"id", "seq", "points_received", "created"}')},
    )
    @action(detail=True, methods=["post"])
    def points(self, request: Request, pk: str | None = None) -> Response:
        patrol = self.get_object()
        v = _validated(PatrolPointsSerializer, request)
        received, created = services.patrol_append(
            patrol=patrol, actor=request.user, seq=v["seq"], coordinates=v["coordinates"], times=v["times"]
        )
        return Response({"id": str(patrol.pk), "seq": v["seq"], "points_received": received, "created": created})

    @extend_schema(
        summary="End a patrol sent in parts; computed exactly as a one-shot post of the same track",
        request=PatrolEndSerializer,
        responses=PatrolResultSerializer,
    )
    @action(detail=True, methods=["post"])
    def end(self, request: Request, pk: str | None = None) -> Response:
        patrol = self.get_object()
        v = _validated(PatrolEndSerializer, request)
        patrol, _changed = services.patrol_end(patrol=patrol, actor=request.user, ended_at=v["ended_at"])
        return Response(PatrolResultSerializer(patrol).data)

    @extend_schema(
        summary="Accept or reject a (flagged) patrol", request=PatrolReviewSerializer, responses=PatrolResultSerializer
    )
    @action(detail=True, methods=["post"])
    def review(self, request: Request, pk: str | None = None) -> Response:
        patrol = self.get_object()
        v = _validated(PatrolReviewSerializer, request)
        patrol = services.patrol_review(patrol=patrol, actor=request.user, decision=v["decision"], note=v["note"])
        return Response(PatrolResultSerializer(patrol).data)


# =========================================================================== cases


def _case_action(
    name: str, service: Callable[..., Case], serializer: type = CaseNoteSerializer, summary: str = ""
) -> Any:
    def handler(self: CaseViewSet, request: Request, pk: str | None = None) -> Response:
        case = self.get_object()
        v = _validated(serializer, request)
        case = service(case=case, actor=request.user, **v)
        return Response(CaseFeatureSerializer(selectors.case_list(scope=scope_for(request.user)).get(pk=case.pk)).data)

    # DRF routes an action by its function name, so the name is set before decorating.
    handler.__name__ = handler.__qualname__ = name
    decorated = action(detail=True, methods=["post"], url_path=name, url_name=name)(handler)
    return extend_schema(summary=summary, request=serializer, responses=CaseFeatureSerializer)(decorated)


@extend_schema_view(
    list=extend_schema(summary="Case ledger as a map layer (GeoJSON points)"),
    retrieve=extend_schema(summary="A case with its workflow history and photos"),
)
class CaseViewSet(IdempotencyMixin, ExportMixin, ReadOnlyGeoViewSet):
    serializer_class = CaseFeatureSerializer
    filterset_class = CaseFilter
    bbox_filter_field = "location"
    lookup_value_regex = UUID_REGEX
    read_roles = READ_ROLES
    action_roles = {
        "create": CHIEF_AND_STAFF,
        "assign": STAFF_ROLES,
        "rectify": CHIEF_AND_STAFF,
        "submit": frozenset({Role.CHIEF, Role.ADMIN}),
        "verify": STAFF_ROLES,
        "reject": STAFF_ROLES,
        "close": STAFF_ROLES,
        "clear": CHIEF_AND_STAFF,
        "photos": READ_ROLES,
        "photo_upload": CHIEF_AND_STAFF,
        "photo_file": READ_ROLES,
        "export": READ_ROLES,
    }
    _READ_ACTIONS = frozenset({"list", "retrieve", "export", "photos", "photo_file"})

    export_name = "cases"
    export_title = "问题台账 cases"
    export_columns = (
        Column("id", "编号", "Id", width=38),
        Column("found_at", "发现时间", "Found", "datetime", 18),
        Column("category", "类别", "Category"),
        Column("status", "状态", "Status"),
        Column("source", "来源", "Source"),
        Column("reach", "河段编码", "Reach code", width=18),
        Column("division", "行政区", "Division"),
        Column("reporter", "上报人", "Reporter"),
        Column("responsible_unit", "责任单位", "Responsible unit", width=20),
        Column("deadline", "整改期限", "Deadline", "date"),
        Column("closed_at", "销号时间", "Closed", "datetime", 18),
        Column("closed_via", "销号方式", "Closed via"),
        Column("overdue", "逾期", "Overdue", "bool"),
        Column("lon", "经度", "Longitude", "number3"),
        Column("lat", "纬度", "Latitude", "number3"),
        Column("description", "描述", "Description", width=40),
    )

    def get_queryset(self) -> QuerySet[Any]:
        scope = scope_for(self.request.user)
        if self.action in self._READ_ACTIONS:
            qs = selectors.case_list(scope=scope)
            if self.action == "retrieve":
                qs = qs.prefetch_related(
                    Prefetch("events", queryset=CaseEvent.objects.order_by("at", "id")),
                    Prefetch("photos", queryset=CasePhoto.objects.order_by("uploaded_at", "id")),
                )
            return qs
        return selectors.case_writable(scope=scope)

    def get_serializer_class(self) -> type:
        return CaseDetailSerializer if self.action == "retrieve" else CaseFeatureSerializer

    def export_rows(self, queryset: QuerySet[Any]) -> Iterable[dict[str, Any]]:
        for c in queryset.iterator(chunk_size=2000):
            yield {
                "id": str(c.pk),
                "found_at": c.found_at,
                "category": c.category,
                "status": c.status,
                "source": c.source,
                "reach": c.reach.code,
                "division": c.reach.division.code,
                "reporter": c.reporter.username,
                "responsible_unit": c.responsible_unit,
                "deadline": c.deadline,
                "closed_at": c.closed_at,
                "closed_via": c.closed_via,
                "overdue": c.overdue_at is not None,
                "lon": c.location.x,
                "lat": c.location.y,
                "description": c.description,
            }

    @extend_schema(
        summary="Report a case (201; a resend of the same id and content: 200)",
        request=CaseReportSerializer,
        responses={201: CaseFeatureSerializer, 200: CaseFeatureSerializer},
    )
    def create(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        serializer = CaseReportSerializer(data=request.data, context={})
        serializer.is_valid(raise_exception=True)
        v = serializer.validated_data
        scope = scope_for(request.user)
        reach = selectors.reach_for_write(scope=scope, reach_id=v["reach"], on=v["found_at"].astimezone(BEIJING).date())
        patrol = None
        if v["patrol"] is not None:
            patrol = selectors.patrol_writable(scope=scope).filter(pk=v["patrol"]).first()
            if patrol is None:
                raise ValidationError({"patrol": [_("No such patrol of yours.")]})
        case, created = services.case_report(
            actor=request.user,
            case_id=v["id"],
            category=v["category"],
            source=v["source"],
            reach=reach,
            location=v["location"],
            description=v["description"],
            found_at=v["found_at"],
            patrol=patrol,
            legal_basis=v["legal_basis"],
        )
        out = selectors.case_list(scope=scope).get(pk=case.pk)
        return Response(CaseFeatureSerializer(out).data, status=201 if created else 200)

    assign = _case_action("assign", services.case_assign, CaseAssignSerializer, "交办: name the unit and deadline")
    rectify = _case_action("rectify", services.case_rectify, summary="整改: rectification has started")
    submit = _case_action("submit", services.case_submit, summary="提交验收: submit the rectification for checking")
    verify = _case_action("verify", services.case_verify, summary="验收: accept the rectification")
    reject = _case_action("reject", services.case_reject, summary="退回: back to rectifying (note required)")
    close = _case_action("close", services.case_close, summary="销号: close a verified case")
    clear = _case_action(
        "clear",
        services.case_clear_on_spot,
        summary="立查立清: reported → closed on the spot (needs a photo as evidence)",
    )

    @extend_schema(summary="Photos of a case", responses=CasePhotoSerializer(many=True))
    # The upload shares this route (photos.mapping.post) and its parsers; a GET parses no body.
    @action(detail=True, methods=["get"], pagination_class=None, parser_classes=[MultiPartParser, FormParser])
    def photos(self, request: Request, pk: str | None = None) -> Response:
        case = self.get_object()
        photos = CasePhoto.objects.filter(case=case).order_by("uploaded_at", "id")
        return Response(CasePhotoSerializer(photos, many=True).data)

    @extend_schema(
        summary="Upload a photo (multipart field `photo`; JPEG, PNG or WebP). The same image again: 200",
        request={
            "multipart/form-data": {"type": "object", "properties": {"photo": {"type": "string", "format": "binary"}}}
        },
        responses={201: CasePhotoSerializer, 200: CasePhotoSerializer},
    )
    @photos.mapping.post
    def photo_upload(self, request: Request, pk: str | None = None) -> Response:
        case = self.get_object()
        upload = request.FILES.get("photo")
        if upload is None:
            raise ValidationError({"photo": [_("Send the image as the multipart field 'photo'.")]})
        photo, created = services.case_photo_add(case=case, actor=request.user, upload=upload)
        return Response(CasePhotoSerializer(photo).data, status=201 if created else 200)

    @extend_schema(summary="The stored image", responses={(200, "image/*"): OpenApiResponse(OpenApiTypes.BINARY)})
    @action(detail=True, methods=["get"], url_path=r"photos/(?P<photo_id>[0-9]{1,18})/file", url_name="photo-file")
    def photo_file(self, request: Request, pk: str | None = None, photo_id: str | None = None) -> FileResponse:
        case = self.get_object()
        photo = CasePhoto.objects.filter(case=case, pk=int(photo_id or 0)).first()
        if photo is None:
            raise NotFound(_("No such photo."))
        return FileResponse(photo.file.open("rb"), content_type=photo.content_type)


# =========================================================================== litter


@extend_schema_view(
    list=extend_schema(summary="Litter removal ledger"),
    create=extend_schema(
        summary="Record litter removed from a reach", request=LitterCreateSerializer, responses={201: LitterSerializer}
    ),
)
class LitterViewSet(
    IdempotencyMixin,
    ExportMixin,
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    mixins.CreateModelMixin,
    viewsets.GenericViewSet,
):
    serializer_class = LitterSerializer
    filterset_class = LitterFilter
    filter_backends = [DjangoFilterBackend, BBoxFilter]
    bbox_filter_field = "reach__geometry"
    lookup_value_regex = ID_REGEX
    read_roles = READ_ROLES
    write_roles = CHIEF_AND_STAFF
    action_roles = {"export": READ_ROLES}

    export_name = "litter"
    export_title = "垃圾清理 litter"
    export_columns = (
        Column("id", "编号", "Id", "int"),
        Column("removed_on", "清理日期", "Removed on", "date"),
        Column("reach", "河段编码", "Reach code", width=18),
        Column("division", "行政区", "Division"),
        Column("tonnes", "吨", "Tonnes", "number3"),
        Column("patrol", "巡河", "Patrol", width=38),
        Column("recorded_by", "记录人", "Recorded by"),
        Column("note", "备注", "Note", width=30),
    )

    def get_queryset(self) -> QuerySet[Any]:
        return selectors.litter_list(scope=scope_for(self.request.user))

    def export_rows(self, queryset: QuerySet[Any]) -> Iterable[dict[str, Any]]:
        for r in queryset.iterator(chunk_size=2000):
            yield {
                "id": r.pk,
                "removed_on": r.removed_on,
                "reach": r.reach.code,
                "division": r.reach.division.code,
                "tonnes": r.tonnes,
                "patrol": str(r.patrol_id) if r.patrol_id else None,
                "recorded_by": r.recorded_by.username,
                "note": r.note,
            }

    def create(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        v = _validated(LitterCreateSerializer, request)
        scope = scope_for(request.user)
        reach = selectors.reach_for_write(scope=scope, reach_id=v["reach"], on=v["removed_on"])
        patrol = None
        if v["patrol"] is not None:
            patrol = selectors.patrol_writable(scope=scope).filter(pk=v["patrol"]).first()
            if patrol is None:
                raise ValidationError({"patrol": [_("No such patrol in your scope.")]})
        record, created = services.litter_record(
            actor=request.user,
            reach=reach,
            removed_on=v["removed_on"],
            tonnes=v["tonnes"],
            patrol=patrol,
            note=v["note"],
            client_id=v["client_id"],
        )
        out = selectors.litter_list(scope=scope).get(pk=record.pk)
        return Response(LitterSerializer(out).data, status=status.HTTP_201_CREATED if created else status.HTTP_200_OK)


# =========================================================================== rechecks


@extend_schema_view(list=extend_schema(summary="Rechecks (回头看) of closed cases"))
class RecheckViewSet(IdempotencyMixin, mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    serializer_class = RecheckSerializer
    filterset_class = RecheckFilter
    lookup_value_regex = ID_REGEX
    read_roles = STAFF_ROLES
    write_roles = STAFF_ROLES

    def get_queryset(self) -> QuerySet[Any]:
        return selectors.recheck_list(scope=scope_for(self.request.user))

    @extend_schema(
        summary="Draw closed cases at random for a recheck",
        request=RecheckSampleSerializer,
        responses={201: OpenApiResponse(description='{"batch", "seed", "rechecks": [...]}')},
    )
    @action(detail=False, methods=["post"])
    def sample(self, request: Request) -> Response:
        v = _validated(RecheckSampleSerializer, request)
        cases = selectors.case_list(scope=scope_for(request.user))
        if v.get("start"):
            cases = cases.filter(closed_at__gte=beijing_midnight(v["start"]))
        if v.get("end"):
            cases = cases.filter(closed_at__lt=beijing_midnight(v["end"] + dt.timedelta(days=1)))
        if v.get("division"):
            cases = within_division(cases, "reach__division__code", v["division"])
        batch, _rechecks = services.recheck_sample(
            actor=request.user, cases=cases, count=v["count"], seed=v.get("seed")
        )
        rows = selectors.recheck_list(scope=scope_for(request.user)).filter(batch=batch)
        return Response(
            {
                "batch": batch,
                "seed": int(batch.rsplit("-", 1)[1], 16),
                "rechecks": RecheckSerializer(rows, many=True).data,
            },
            status=status.HTTP_201_CREATED,
        )

    @extend_schema(summary="Record what a recheck found", request=RecheckRecordSerializer, responses=RecheckSerializer)
    @action(detail=True, methods=["post"])
    def record(self, request: Request, pk: str | None = None) -> Response:
        recheck = self.get_object()
        v = _validated(RecheckRecordSerializer, request)
        recheck = services.recheck_record(recheck=recheck, actor=request.user, **v)
        return Response(RecheckSerializer(self.get_queryset().get(pk=recheck.pk)).data)


# =========================================================================== chiefs, compliance, rules


class ChiefsView(ApiView):
    """A reach's chiefs at each level on a date (default today)."""

    read_roles = READ_ROLES

    @extend_schema(
        summary="A reach's chiefs at each level",
        parameters=[OpenApiParameter("reach", int, required=True), OpenApiParameter("on", OpenApiTypes.DATE)],
        responses=OpenApiResponse(description='{"reach", "reach_code", "on", "levels": {"city": [...], ...}}'),
    )
    def get(self, request: Request) -> Response:
        v = _validated(ChiefsQuerySerializer, request, data=request.query_params.dict())
        found = selectors.reach_chiefs(scope=scope_for(request.user), reach_id=v["reach"], on=v.get("on"))
        levels = {
            level: [
                {
                    "assignment": a.pk,
                    "chief": a.chief_id,
                    "username": a.chief.username,
                    "name": a.chief.display_name,
                    "valid_from": a.valid_from,
                    "valid_until": a.valid_until,
                }
                for a in found.by_level[level]
            ]
            for level in ChiefLevel.values
        }
        return Response(
            {
                "reach": found.reach.pk,
                "reach_code": found.reach.code,
                "reach_name": found.reach.name,
                "on": found.on,
                "levels": levels,
            }
        )


class ComplianceView(ApiView):
    """Patrol frequency compliance per chief and level (JSON, CSV or Excel)."""

    read_roles = READ_ROLES

    columns = (
        Column("chief_username", "河长", "Chief"),
        Column("chief_name", "姓名", "Name", width=24),
        Column("level", "级别", "Level"),
        Column("rule", "频次要求", "Rule", width=36),
        Column("periods", "周期数", "Periods", "int"),
        Column("required", "应巡", "Required", "int"),
        Column("done", "已巡", "Done", "int"),
        Column("valid", "有效", "Valid", "int"),
        Column("missing", "缺巡", "Missing", "int"),
        Column("compliant", "达标", "Compliant", "bool"),
    )

    @extend_schema(
        summary="Required, done, valid and missing patrols per chief and level",
        parameters=[ComplianceQuerySerializer],
        responses=ComplianceRowSerializer(many=True),
    )
    def get(self, request: Request) -> Response | HttpResponse:
        v = _validated(ComplianceQuerySerializer, request, data=request.query_params.dict())
        rows = selectors.compliance(
            scope=scope_for(request.user),
            start=v["start"],
            end=v["end"],
            chief_id=v.get("chief"),
            level=v.get("level"),
            division=v.get("division"),
            detail=v["detail"],
        )
        if v["format"] in ("csv", "xlsx"):
            data = ComplianceRowSerializer(rows, many=True).data
            return export_response(
                fmt=v["format"],
                filename=f"compliance-{v['start']}-{v['end']}",
                columns=self.columns,
                rows=data,
                title="巡河频次 compliance",
            )
        return Response(
            {"start": v["start"], "end": v["end"], "results": ComplianceRowSerializer(rows, many=True).data}
        )


class ValidityRuleView(ApiView):
    read_roles = READ_ROLES

    @extend_schema(summary="Patrol validity rules (edited in the admin)", responses=ValidityRuleSerializer(many=True))
    def get(self, request: Request) -> Response:
        rules = selectors.validity_rule_list(scope=scope_for(request.user))
        return Response(ValidityRuleSerializer(rules, many=True).data)


class FrequencyRuleView(ApiView):
    read_roles = READ_ROLES

    @extend_schema(summary="Patrol frequency rules (edited in the admin)", responses=FrequencyRuleSerializer(many=True))
    def get(self, request: Request) -> Response:
        rules = selectors.frequency_rule_list(scope=scope_for(request.user))
        return Response(FrequencyRuleSerializer(rules, many=True).data)
