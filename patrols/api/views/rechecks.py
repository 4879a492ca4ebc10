"""Recheck views: sample and record."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.db.models import QuerySet
from drf_spectacular.utils import OpenApiResponse, extend_schema, extend_schema_view
from rest_framework import mixins, status, viewsets
from rest_framework.decorators import action
from rest_framework.request import Request
from rest_framework.response import Response

from accounts.permissions import STAFF_ROLES
from accounts.scope import scope_for
from core.api.idempotency import IdempotencyMixin
from core.api.views import ID_REGEX
from patrols import selectors, services
from patrols.api.serializers import (
    RecheckRecordSerializer,
    RecheckSampleSerializer,
    RecheckSerializer,
)
from patrols.api.views._common import _validated
from patrols.filters import RecheckFilter, beijing_midnight, within_division_sites

# =========================================================================== rechecks


@extend_schema_view(list=extend_schema(summary="Rechecks (回头看) of closed cases"))
class RecheckViewSet(IdempotencyMixin, mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    """Rechecks of closed four-chaos cases (复核): a reviewer confirms a closure on site or reopens the case."""

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
            cases = within_division_sites(cases, v["division"])
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
