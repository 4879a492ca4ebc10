"""Case views: the ledger, report, the workflow actions and photos."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any

from django.db.models import Prefetch, QuerySet
from django.http import FileResponse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiResponse, extend_schema, extend_schema_view
from rest_framework.decorators import action
from rest_framework.exceptions import NotFound, ValidationError
from rest_framework.parsers import FormParser, MultiPartParser
from rest_framework.request import Request
from rest_framework.response import Response

from accounts.choices import Role
from accounts.permissions import STAFF_ROLES
from accounts.scope import scope_for
from core.api.idempotency import IdempotencyMixin
from core.api.views import ReadOnlyGeoViewSet
from core.exports import Column
from core.kernel import reference
from core.periods import BEIJING
from patrols import selectors, services
from patrols.api.serializers import (
    CaseAssignSerializer,
    CaseDetailSerializer,
    CaseFeatureSerializer,
    CaseNoteSerializer,
    CasePhotoSerializer,
    CaseReportSerializer,
)
from patrols.api.views._common import CHIEF_AND_STAFF, READ_ROLES, UUID_REGEX, ExportMixin, _validated
from patrols.filters import CaseFilter
from patrols.models import Case, CaseEvent, CasePhoto

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
    export_title = gettext_lazy("case ledger")
    export_columns = (
        Column("id", gettext_lazy("Id"), width=38),
        Column("found_at", gettext_lazy("Found"), "datetime", 18),
        Column("category", gettext_lazy("Category")),
        Column("status", gettext_lazy("Status")),
        Column("source", gettext_lazy("Source")),
        Column("reach", gettext_lazy("Reach code"), width=18),
        Column("division", gettext_lazy("Division")),
        Column("reporter", gettext_lazy("Reporter")),
        Column("responsible_unit", gettext_lazy("Responsible unit"), width=20),
        Column("deadline", gettext_lazy("Deadline"), "date"),
        Column("closed_at", gettext_lazy("Closed"), "datetime", 18),
        Column("closed_via", gettext_lazy("Closed via")),
        Column("overdue", gettext_lazy("Overdue"), "bool"),
        Column("lon", gettext_lazy("Longitude"), "number3"),
        Column("lat", gettext_lazy("Latitude"), "number3"),
        Column("description", gettext_lazy("Description"), width=40),
        Column("lake", gettext_lazy("Lake code"), width=18),
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
                "reach": c.reach.code if c.reach is not None else None,
                "lake": c.lake.code if c.lake is not None else None,
                "division": c.site.division.code,
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
        reach, lake = selectors.site_for_write(
            scope=scope, reach_id=v["reach"], lake_id=v["lake"], on=v["found_at"].astimezone(BEIJING).date()
        )
        patrol = None
        if v["patrol"] is not None:
            patrol = reference(
                selectors.patrol_writable(scope=scope),
                v["patrol"],
                field="patrol",
                message=_("No such patrol of yours."),
            )
        case, created = services.case_report(
            actor=request.user,
            case_id=v["id"],
            category=v["category"],
            source=v["source"],
            reach=reach,
            lake=lake,
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
