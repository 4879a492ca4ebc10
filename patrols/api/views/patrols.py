"""Patrol views: the ledger, the one-shot post and the post in parts, review, raw track."""

from __future__ import annotations

import hashlib
from collections.abc import Iterable
from typing import Any

from django.db.models import QuerySet
from django.utils.translation import gettext_lazy
from drf_spectacular.utils import OpenApiExample, OpenApiParameter, OpenApiResponse, extend_schema, extend_schema_view
from rest_framework import status
from rest_framework.decorators import action
from rest_framework.request import Request
from rest_framework.response import Response

from accounts.permissions import STAFF_ROLES
from accounts.scope import scope_for
from core.api.idempotency import IdempotencyMixin
from core.api.views import ReadOnlyGeoViewSet
from core.exports import Column
from patrols import selectors, services
from patrols.api.serializers import (
    PatrolDetailSerializer,
    PatrolEndSerializer,
    PatrolFeatureSerializer,
    PatrolPointsSerializer,
    PatrolRawSerializer,
    PatrolResultSerializer,
    PatrolReviewSerializer,
    PatrolStartSerializer,
    PatrolSubmitSerializer,
    parse_patrol_submit,
    patrol_result,
)
from patrols.api.views._common import CHIEF_ONLY, READ_ROLES, UUID_REGEX, ExportMixin, _json_body, _validated
from patrols.filters import PatrolFilter

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
    export_title = gettext_lazy("patrol ledger")
    export_columns = (
        Column("id", gettext_lazy("Id"), width=38),
        Column("started_at", gettext_lazy("Started"), "datetime", 18),
        Column("ended_at", gettext_lazy("Ended"), "datetime", 18),
        Column("chief", gettext_lazy("Chief")),
        Column("level", gettext_lazy("Level")),
        Column("reach", gettext_lazy("Reach code"), width=18),
        Column("reach_name", gettext_lazy("Reach"), width=24),
        Column("division", gettext_lazy("Division")),
        Column("mode", gettext_lazy("Mode")),
        Column("person_times", gettext_lazy("Person-times"), "int"),
        Column("distance_km", gettext_lazy("Distance (km)"), "number3"),
        Column("duration_min", gettext_lazy("Duration (min)"), "number"),
        Column("coverage", gettext_lazy("Coverage"), "number"),
        Column("valid", gettext_lazy("Valid"), "bool"),
        Column("invalid_reasons", gettext_lazy("Invalid reasons"), width=24),
        Column("flags", gettext_lazy("Flags"), width=24),
        Column("review_status", gettext_lazy("Review")),
        Column("lake", gettext_lazy("Lake code"), width=18),
        Column("lake_name", gettext_lazy("Lake or reservoir"), width=24),
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
                "reach": p.reach.code if p.reach is not None else None,
                "reach_name": p.reach.name if p.reach is not None else None,
                "lake": p.lake.code if p.lake is not None else None,
                "lake_name": p.lake.name if p.lake is not None else None,
                "division": p.site.division.code,
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
        examples=[
            OpenApiExample(
                "A short patrol on foot",
                request_only=True,
                value={
                    "id": "3f6c1d2e-8a4b-4c5d-9e0f-1a2b3c4d5e6f",
                    "reach": 1,
                    "mode": "foot",
                    "companions": 1,
                    "crs": "EPSG:4326",
                    "started_at": "2024-05-10T09:00:00+08:00",
                    "ended_at": "2024-05-10T09:01:00+08:00",
                    "track": {
                        "type": "LineString",
                        "coordinates": [[87.6012, 43.8251], [87.6031, 43.8262], [87.6055, 43.8270]],
                    },
                    "times": ["2024-05-10T09:00:00+08:00", "2024-05-10T09:00:30+08:00", "2024-05-10T09:01:00+08:00"],
                },
                description=(
                    "`reach` must be a reach you are chief of on `started_at` (or, in its place, `lake` a lake "
                    "or reservoir you are chief of); `id` is a fresh UUID."
                ),
            )
        ],
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
            lake_id=v["lake"],
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
        examples=[
            OpenApiExample(
                "Start on foot",
                request_only=True,
                value={
                    "id": "7d1e2f3a-4b5c-4d6e-8f70-819293a4b5c6",
                    "reach": 1,
                    "mode": "foot",
                    "companions": 0,
                    "started_at": "2024-05-10T09:00:00+08:00",
                },
            )
        ],
    )
    @action(detail=False, methods=["post"])
    def start(self, request: Request) -> Response:
        v = _validated(PatrolStartSerializer, request)
        patrol, created = services.patrol_start(
            actor=request.user,
            patrol_id=v["id"],
            reach_id=v["reach"],
            lake_id=v["lake"],
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
