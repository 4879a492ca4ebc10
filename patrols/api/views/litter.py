"""Litter removal views."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from django.db.models import QuerySet
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django_filters.rest_framework import DjangoFilterBackend
from drf_spectacular.utils import extend_schema, extend_schema_view
from rest_framework import mixins, status, viewsets
from rest_framework.request import Request
from rest_framework.response import Response

from accounts.scope import scope_for
from core.api.filters import BBoxFilter
from core.api.idempotency import HEADER, IdempotencyMixin
from core.api.views import ID_REGEX
from core.exports import Column
from core.kernel import reference
from patrols import selectors, services
from patrols.api.serializers import (
    LitterCreateSerializer,
    LitterSerializer,
)
from patrols.api.views._common import CHIEF_AND_STAFF, READ_ROLES, ExportMixin, _validated
from patrols.filters import LitterFilter

# =========================================================================== litter


@extend_schema_view(
    list=extend_schema(summary="Litter removal ledger"),
    create=extend_schema(
        summary="Record litter removed from a reach or a lake",
        description=(
            "201: recorded. 200: the same record sent again (under its client_id, or without one the same "
            "content from the same person within PATROL_LITTER_RESEND_MINUTES), the stored record."
        ),
        request=LitterCreateSerializer,
        responses={201: LitterSerializer, 200: LitterSerializer},
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
    """Litter removed from rivers and lakes (河道垃圾清理), in tonnes, by the chiefs and staff who removed it."""

    serializer_class = LitterSerializer
    filterset_class = LitterFilter
    filter_backends = [DjangoFilterBackend, BBoxFilter]
    bbox_filter_field = "reach__geometry"
    lookup_value_regex = ID_REGEX
    read_roles = READ_ROLES
    write_roles = CHIEF_AND_STAFF
    action_roles = {"export": READ_ROLES}

    export_name = "litter"
    export_title = gettext_lazy("litter removals")
    export_columns = (
        Column("id", gettext_lazy("Id"), "int"),
        Column("removed_on", gettext_lazy("Removed on"), "date"),
        Column("reach", gettext_lazy("Reach code"), width=18),
        Column("division", gettext_lazy("Division")),
        Column("tonnes", gettext_lazy("Tonnes"), "number3"),
        Column("patrol", gettext_lazy("Patrol"), width=38),
        Column("recorded_by", gettext_lazy("Recorded by")),
        Column("note", gettext_lazy("Note"), width=30),
        Column("lake", gettext_lazy("Lake code"), width=18),
    )

    def get_queryset(self) -> QuerySet[Any]:
        return selectors.litter_list(scope=scope_for(self.request.user))

    def export_rows(self, queryset: QuerySet[Any]) -> Iterable[dict[str, Any]]:
        for r in queryset.iterator(chunk_size=2000):
            yield {
                "id": r.pk,
                "removed_on": r.removed_on,
                "reach": r.reach.code if r.reach is not None else None,
                "lake": r.lake.code if r.lake is not None else None,
                "division": r.site.division.code,
                "tonnes": r.tonnes,
                "patrol": str(r.patrol_id) if r.patrol_id else None,
                "recorded_by": r.recorded_by.username,
                "note": r.note,
            }

    def create(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        v = _validated(LitterCreateSerializer, request)
        scope = scope_for(request.user)
        reach, lake = selectors.site_for_write(scope=scope, reach_id=v["reach"], lake_id=v["lake"], on=v["removed_on"])
        patrol = None
        if v["patrol"] is not None:
            patrol = reference(
                selectors.patrol_writable(scope=scope),
                v["patrol"],
                field="patrol",
                message=_("No such patrol in your scope."),
            )
        record, created = services.litter_record(
            actor=request.user,
            reach=reach,
            lake=lake,
            removed_on=v["removed_on"],
            tonnes=v["tonnes"],
            patrol=patrol,
            note=v["note"],
            client_id=v["client_id"],
            # A request under an Idempotency-Key is told apart by its key, not by its content.
            resend_by_content=HEADER not in request.headers,
        )
        out = selectors.litter_list(scope=scope).get(pk=record.pk)
        return Response(LitterSerializer(out).data, status=status.HTTP_201_CREATED if created else status.HTTP_200_OK)
