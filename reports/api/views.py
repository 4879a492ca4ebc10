"""Reports API: period and quarterly reports as JSON, Excel or PDF; their drill-down rows; snapshots.

Roles: admin (all), reviewer (their jurisdiction), chief (their division, read only). Operators are
refused (403): a report aggregates every intake and chief of a division, while an operator may see
only their own intakes (their use against plan is on /water/). Devices never.
"""

from __future__ import annotations

from typing import Any

from django.http import HttpResponse
from django.urls import reverse
from django.utils.translation import gettext as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema, inline_serializer
from rest_framework import serializers as drf_serializers
from rest_framework import status
from rest_framework.exceptions import ValidationError
from rest_framework.request import Request
from rest_framework.response import Response

from accounts.choices import Role
from accounts.scope import Scope, scope_for
from core import periods
from core.api.pagination import PageNumberPagination
from core.api.views import ApiView
from core.periods import Period
from patrols import report_selectors as patrol_reports
from reports import selectors, services
from reports.api.serializers import (
    FormatQuerySerializer,
    QuarterlyQuerySerializer,
    RowsQuerySerializer,
    SnapshotDetailSerializer,
    SnapshotRequestSerializer,
    SnapshotSerializer,
    SummaryQuerySerializer,
)
from reports.builders import build_report
from reports.choices import ReportFormat, SnapshotStatus
from reports.periods import canonical, from_label
from reports.selectors import ReportSite

READ_ROLES = frozenset({Role.ADMIN, Role.REVIEWER, Role.CHIEF})
STAFF = frozenset({Role.ADMIN, Role.REVIEWER})
MIME = {
    ReportFormat.XLSX: "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    ReportFormat.PDF: "application/pdf",
}


PAGE_PARAMS = frozenset({"page", "page_size"})


def params_of(serializer_class: type[drf_serializers.Serializer]) -> frozenset[str]:
    """The query parameters a view declares to core.api.query.KnownQueryParams (which answers a 400
    naming any other before the view runs): the fields of the serializer that parses them."""
    return frozenset(serializer_class().fields)


def _query(serializer_class: type[drf_serializers.Serializer], request: Request) -> dict[str, Any]:
    """The query parsed by `serializer_class` (unknown names were refused by KnownQueryParams)."""
    known = params_of(serializer_class)
    ser = serializer_class(data={k: v for k, v in request.query_params.items() if k in known})
    ser.is_valid(raise_exception=True)
    return dict(ser.validated_data)


def file_response(content: bytes, fmt: str, name: str) -> HttpResponse:
    response = HttpResponse(content, content_type=MIME[ReportFormat(fmt)])
    response["Content-Disposition"] = f'attachment; filename="{name}.{fmt}"'
    response["Content-Length"] = str(len(content))
    return response


def report_name(period: Period, division_code: str | None, site: ReportSite | None = None) -> str:
    name = f"report-{period.label.replace('/', '_')}" + (f"-{division_code}" if division_code else "")
    return name + (f"-{site.kind}-{site.code}" if site is not None else "")


def render(report: dict[str, Any], fmt: str, name: str) -> HttpResponse | Response:
    if fmt == ReportFormat.XLSX:
        from reports.xlsx import render_xlsx

        return file_response(render_xlsx(report), fmt, name)
    if fmt == ReportFormat.PDF:
        from reports.pdf import render_pdf

        return file_response(render_pdf(report), fmt, name)
    return Response(report)


def _report(scope: Scope, period: Period, q: dict[str, Any]) -> HttpResponse | Response:
    code = services.check_division(scope=scope, division_code=q.get("division"))
    # Always built live: stored snapshots are of divisions only, so a reach's or lake's report is never
    # served from one (nor a division's from a reach's).
    site = selectors.report_site(scope=scope, reach_id=q.get("reach"), lake_id=q.get("lake"), division_code=code)
    report = build_report(scope=scope, period=period, division_code=code, site=site)
    return render(report, q["format"], report_name(period, code, site))


_FILE_RESPONSES = {
    (200, "application/json"): OpenApiResponse(OpenApiTypes.OBJECT, description="the report (?format=json)"),
    (200, MIME[ReportFormat.XLSX]): OpenApiResponse(OpenApiTypes.BINARY, description="?format=xlsx"),
    (200, MIME[ReportFormat.PDF]): OpenApiResponse(OpenApiTypes.BINARY, description="?format=pdf"),
}


class SummaryView(ApiView):
    """GET /reports/summary/?start=&end=&division=&reach=|lake=&format=json|xlsx|pdf (Beijing dates, both
    included); `reach`/`lake`: the report of one reach or lake."""

    read_roles = READ_ROLES
    query_params = params_of(SummaryQuerySerializer)  # core.api.query

    @extend_schema(summary="The report of any period", parameters=[SummaryQuerySerializer], responses=_FILE_RESPONSES)
    def get(self, request: Request) -> HttpResponse | Response:
        q = _query(SummaryQuerySerializer, request)
        return _report(scope_for(request.user), canonical(q["start"], q["end"]), q)


class QuarterlyView(ApiView):
    """GET /reports/quarterly/{year}/{q}/?division=&reach=|lake=&format=json|xlsx|pdf."""

    read_roles = READ_ROLES
    query_params = params_of(QuarterlyQuerySerializer)  # core.api.query

    @extend_schema(summary="The quarterly report", parameters=[QuarterlyQuerySerializer], responses=_FILE_RESPONSES)
    def get(self, request: Request, year: int, q: int) -> HttpResponse | Response:
        if not 1 <= q <= 4:
            raise ValidationError({"q": [_("A quarter is 1, 2, 3 or 4.")]})
        if not 2 <= year <= 9998:
            raise ValidationError({"year": [_("Out of range.")]})
        params = _query(QuarterlyQuerySerializer, request)
        return _report(scope_for(request.user), periods.quarter(year, q), params)


class RowsView(ApiView):
    """GET /reports/rows/?figure=&start=&end=&division=&category=&reach=&lake=&water=: the rows a patrol
    figure summed, where the ledgers' own filters cannot express the figure (e.g. cases closed inside
    the period); `reach`/`lake` narrow to one water body in scope (else 400 naming it), `water`
    (rivers | lakes) to one side of the report's split."""

    read_roles = READ_ROLES
    query_params = params_of(RowsQuerySerializer) | PAGE_PARAMS  # core.api.query

    @extend_schema(
        summary="Drill-down: the rows behind a report figure",
        parameters=[RowsQuerySerializer],
        responses={200: OpenApiResponse(OpenApiTypes.OBJECT, description="paginated rows")},
    )
    def get(self, request: Request) -> Response:
        q = _query(RowsQuerySerializer, request)
        scope = scope_for(request.user)
        code = services.check_division(scope=scope, division_code=q.get("division"))
        # Each of reach= and lake= in scope and, with division=, inside it (else a 400 naming it).
        for reach_id, lake_id in ((q.get("reach"), None), (None, q.get("lake"))):
            selectors.report_site(scope=scope, reach_id=reach_id, lake_id=lake_id, division_code=code)
        period = canonical(q["start"], q["end"])
        qs = patrol_reports.report_rows(
            scope=scope,
            period=period,
            figure=q["figure"],
            division_code=code,
            category=q.get("category"),
            reach_id=q.get("reach"),
            lake_id=q.get("lake"),
            water=q.get("water"),
        )
        paginator = PageNumberPagination()
        page = paginator.paginate_queryset(qs, request, view=self) or []
        return paginator.get_paginated_response([_row(obj) for obj in page])


def _site(obj: Any) -> dict[str, Any]:
    """The row's reach code and lake code (the one it is not on is null)."""
    return {
        "reach": obj.reach.code if obj.reach_id is not None else None,
        "lake": obj.lake.code if obj.lake_id is not None else None,
    }


def _row(obj: Any) -> dict[str, Any]:
    name = obj._meta.model_name
    if name == "patrol":
        return {
            "kind": "patrol",
            "id": str(obj.pk),
            "url": reverse("patrols:patrol-detail", kwargs={"pk": obj.pk}),
            "chief": obj.chief.username,
            **_site(obj),
            "level": obj.level,
            "started_at": obj.started_at,
            "person_times": obj.person_times,
            "distance_km": obj.distance_km,
            "valid": obj.valid,
            "review_status": obj.review_status,
            "flags": obj.flags,
        }
    if name == "case":
        return {
            "kind": "case",
            "id": str(obj.pk),
            "url": reverse("patrols:case-detail", kwargs={"pk": obj.pk}),
            "category": obj.category,
            "status": obj.status,
            **_site(obj),
            "found_at": obj.found_at,
            "deadline": obj.deadline,
            "closed_at": obj.closed_at,
            "closed_via": obj.closed_via,
            "overdue_at": obj.overdue_at,
        }
    return {
        "kind": "litter",
        "id": obj.pk,
        "url": reverse("patrols:litter-detail", kwargs={"pk": obj.pk}),
        **_site(obj),
        "removed_on": obj.removed_on,
        "tonnes": obj.tonnes,
    }


class SnapshotListView(ApiView):
    """GET the snapshots in your jurisdiction; POST {period, division, reason} → 202 with the id."""

    query_params = frozenset({"page", "page_size"})  # core.api.query
    read_roles = READ_ROLES
    write_roles = STAFF

    @extend_schema(
        summary="Report snapshots",
        operation_id="reports_snapshots_list",
        parameters=[
            OpenApiParameter("page", int, description="page number (from 1)"),
            OpenApiParameter("page_size", int, description="rows per page"),
        ],
        responses=inline_serializer(
            "SnapshotPage",
            fields={
                "count": drf_serializers.IntegerField(),
                "next": drf_serializers.URLField(allow_null=True),
                "previous": drf_serializers.URLField(allow_null=True),
                "results": SnapshotSerializer(many=True),
            },
        ),
    )
    def get(self, request: Request) -> Response:
        qs = selectors.snapshot_list(scope=scope_for(request.user))
        paginator = PageNumberPagination()
        page = paginator.paginate_queryset(qs, request, view=self) or []
        return paginator.get_paginated_response(SnapshotSerializer(page, many=True).data)

    @extend_schema(
        summary="Build a snapshot (Celery); 202 with its id",
        request=SnapshotRequestSerializer,
        responses={202: SnapshotSerializer},
    )
    def post(self, request: Request) -> Response:
        ser = SnapshotRequestSerializer(data=request.data)
        ser.is_valid(raise_exception=True)
        v = ser.validated_data
        period = from_label(v["period"])
        snap, __ = services.snapshot_request(
            actor=request.user,
            scope=scope_for(request.user),
            period=period,
            division_code=v.get("division"),
            reason=v.get("reason", ""),
        )
        snap = selectors.snapshot_get(scope=scope_for(request.user), snapshot_id=snap.pk)
        headers = {"Location": reverse("reports:snapshot", kwargs={"pk": snap.pk})}
        return Response(SnapshotSerializer(snap).data, status=status.HTTP_202_ACCEPTED, headers=headers)


class SnapshotDetailView(ApiView):
    """GET a snapshot: status and progress, figures and diff (JSON), or ?format=xlsx|pdf its files."""

    read_roles = READ_ROLES
    query_params = params_of(FormatQuerySerializer)  # core.api.query

    @extend_schema(
        summary="A snapshot (progress, figures, diff) or its files",
        parameters=[FormatQuerySerializer],
        responses={**_FILE_RESPONSES, (200, "application/json"): SnapshotDetailSerializer},
    )
    def get(self, request: Request, pk: int) -> HttpResponse | Response:
        fmt = _query(FormatQuerySerializer, request)["format"]
        scope = scope_for(request.user)
        snap = selectors.snapshot_get(scope=scope, snapshot_id=pk, files=fmt != ReportFormat.JSON)
        if fmt == ReportFormat.JSON:
            return Response(SnapshotDetailSerializer(snap).data)
        content = snap.xlsx if fmt == ReportFormat.XLSX else snap.pdf
        if snap.status not in (SnapshotStatus.READY, SnapshotStatus.SIGNED_OFF) or content is None:
            raise ValidationError(
                {
                    "format": [
                        _("The snapshot is %(status)s; its files exist once it is ready.")
                        % {"status": SnapshotStatus(snap.status).label}
                    ]
                }
            )
        name = f"report-{snap.period_label.replace('/', '_')}-{snap.division_code}-v{snap.version}"
        return file_response(bytes(content), fmt, name)


class SnapshotSignOffView(ApiView):
    """POST: a reviewer or admin signs a ready snapshot off (then it never changes)."""

    read_roles = STAFF
    write_roles = STAFF

    @extend_schema(summary="Sign a snapshot off", request=None, responses=SnapshotSerializer)
    def post(self, request: Request, pk: int) -> Response:
        scope = scope_for(request.user)
        snap = selectors.snapshot_get(scope=scope, snapshot_id=pk)
        snap = services.snapshot_sign_off(actor=request.user, snap=snap)
        return Response(SnapshotSerializer(selectors.snapshot_get(scope=scope, snapshot_id=snap.pk)).data)
