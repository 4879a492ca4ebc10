"""Views of plans, red lines and ledger locks (issue 3 items 5 and 6): glue between the scoped
selectors (water.plan_selectors), the input serializers and the services (water.plan_services).
Out of scope is a 404; a role that may not act, or a row seen but not writable (a district reviewer
and the city's plan), is a 403."""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from typing import Any

from django.db.models import QuerySet
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema, extend_schema_view
from rest_framework import mixins, serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.exceptions import ValidationError
from rest_framework.request import Request
from rest_framework.response import Response

from accounts.choices import Role
from accounts.permissions import HUMAN_ROLES, STAFF_ROLES
from accounts.scope import Scope, scope_for
from core import periods
from core.api.export_views import ExportMixin
from core.api.idempotency import IdempotencyMixin
from core.api.views import ID_REGEX
from core.divisions import division_prefix, is_division_code
from core.exports import Column
from core.kernel import reference
from places import selectors as places_selectors
from places.models import Division
from water import plan_selectors, plan_services, selectors
from water.api.plan_serializers import (
    LockCreateSerializer,
    LockSerializer,
    PlanAmendSerializer,
    PlanAtSerializer,
    PlanCreateSerializer,
    PlanSerializer,
    PlanSummarySerializer,
    PlanUpdateSerializer,
    PlanVersionSerializer,
    RedLineSerializer,
    RedLineSummaryQuerySerializer,
    RedLineWriteSerializer,
    UnlockSerializer,
    UsageQuerySerializer,
)
from water.filters import LockFilter, PlanFilter, RedLineFilter
from water.models import Intake, LedgerLock, PlanAllocation, RedLineTarget, WaterPlan

METHODS = ["get", "post", "patch", "head", "options"]


def _query(serializer_class: type[serializers.Serializer], request: Request, *, ignore: tuple[str, ...] = ()) -> Any:
    ser = serializer_class(data={k: v for k, v in request.query_params.items() if k not in ignore})
    ser.is_valid(raise_exception=True)
    return ser.validated_data


def _division(scope: Scope, code: str) -> Division:
    return reference(places_selectors.division_list(scope=scope), code, field="division", by="code")


def _lines(scope: Scope, raw: Iterable[dict[str, Any]]) -> list[plan_services.AllocationLine]:
    """Plan lines with their intakes, which must be in the caller's scope (one query)."""
    raw = list(raw)
    intakes = {
        i.pk: i
        for i in selectors.intake_list(scope=scope)
        .select_related(None)
        .prefetch_related(None)
        .select_related("division")
        .filter(pk__in={r["intake"] for r in raw})
    }
    missing = {
        f"allocations[{n}].intake": [_("No such intake in your jurisdiction.")]
        for n, r in enumerate(raw)
        if r["intake"] not in intakes
    }
    if missing:
        raise ValidationError(missing)
    return [plan_services.AllocationLine(intakes[r["intake"]], r["month"], r["volume_m3"], r["use"]) for r in raw]


# ------------------------------------------------------------------------------------------- plans


def _line_dict(a: PlanAllocation) -> dict[str, Any]:
    return {"intake": a.intake_id, "code": a.intake.code, "month": a.month, "use": a.use, "volume_m3": a.volume_m3}


def _months_json(data: dict[str, Any]) -> dict[str, Any]:
    """plan_months output with floats (Decimals are m³ to the centimetre, exact in a float)."""

    def conv(row: dict[str, Any]) -> dict[str, Any]:
        out = dict(row)
        for key in ("months", "quarters", "halves"):
            out[key] = [float(v) for v in row[key]]
        out["year"] = float(row["year"])
        return out

    return {"intakes": [conv(r) for r in data["intakes"]], "total": conv(data["total"])}


class PlanLineSerializer(serializers.Serializer):
    """A plan line as the allocations page lists it (_line_dict)."""

    intake = serializers.IntegerField()
    code = serializers.CharField()
    month = serializers.IntegerField()
    use = serializers.CharField()
    volume_m3 = serializers.DecimalField(max_digits=14, decimal_places=2, coerce_to_string=False)


# GET amendments: the versions as plan_history gives them, a plain list (not paginated).
_PLAN_HISTORY = {
    "type": "array",
    "items": {
        "type": "object",
        "required": ["number", "reason", "created_by", "created_at", "current", "total_m3", "changes"],
        "properties": {
            "number": {"type": "integer"},
            "reason": {"type": "string"},
            "created_by": {"type": "string"},
            "created_at": {"type": "string", "format": "date-time"},
            "current": {"type": "boolean"},
            "total_m3": {"type": "number"},
            "changes": {
                "type": "array",
                "items": {
                    "type": "object",
                    "properties": {
                        "intake": {"type": "integer"},
                        "code": {"type": "string"},
                        "month": {"type": "integer"},
                        "use": {"type": "string"},
                        "before_m3": {"type": "number", "nullable": True},
                        "after_m3": {"type": "number", "nullable": True},
                    },
                },
            },
        },
    },
}

_AT_PARAMS = [
    OpenApiParameter("at", str, description="ISO 8601 instant with offset: the plan as it stood then"),
    OpenApiParameter("version", int, description="a version number"),
]


@extend_schema_view(
    list=extend_schema(summary="Supply-and-use plans visible to you (?year= &division=)"),
    retrieve=extend_schema(
        summary="A plan with its months, quarters, halves and year per intake", parameters=_AT_PARAMS
    ),
    create=extend_schema(
        summary="Issue a plan (version 1) with its lines", request=PlanCreateSerializer, responses={201: PlanSerializer}
    ),
    partial_update=extend_schema(
        summary="Change a plan's title or notes", request=PlanUpdateSerializer, responses=PlanSerializer
    ),
)
class PlanViewSet(IdempotencyMixin, mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    """Annual supply-and-use plans (供用水计划). Admins and reviewers (in their jurisdiction) issue and
    amend; every human role reads the plans of its divisions (or around its intakes), with the lines
    of its intakes only."""

    serializer_class = PlanSerializer
    filterset_class = PlanFilter
    lookup_value_regex = ID_REGEX
    read_roles = HUMAN_ROLES
    write_roles = STAFF_ROLES
    http_method_names = METHODS

    def get_queryset(self) -> QuerySet[WaterPlan]:
        return plan_selectors.plan_list(scope=scope_for(self.request.user)).order_by("-year", "division__code")

    def _plan(self) -> WaterPlan:
        return plan_selectors.plan_get(scope=scope_for(self.request.user), plan_id=int(self.kwargs["pk"]))

    def _allocations(self, plan: WaterPlan) -> tuple[QuerySet[PlanAllocation], Any]:
        q = _query(PlanAtSerializer, self.request, ignore=("page", "page_size", "intake"))
        lines = plan_selectors.plan_allocations(
            scope=scope_for(self.request.user), plan=plan, at=q.get("at"), version=q.get("version")
        )
        return lines, q

    def retrieve(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        plan = self._plan()
        lines, q = self._allocations(plan)
        shown = plan_selectors.plan_version_for(plan=plan, at=q.get("at"), version=q.get("version"))
        return Response(
            {
                **PlanSerializer(plan).data,
                "shown_version": shown.number if shown else None,
                "at": q.get("at"),
                "unit": "m3",
                **_months_json(plan_selectors.plan_months(lines)),
            }
        )

    def create(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        ser = PlanCreateSerializer(data=request.data)
        ser.is_valid(raise_exception=True)
        v = ser.validated_data
        scope = scope_for(request.user)
        plan = plan_services.plan_create(
            actor=request.user,
            scope=scope,
            year=v["year"],
            division=_division(scope, v["division"]),
            title=v["title"],
            notes=v["notes"],
            allocations=_lines(scope, v.get("allocations", [])),
        )
        return Response(PlanSerializer(plan).data, status=status.HTTP_201_CREATED)

    def partial_update(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        plan = self._plan()
        ser = PlanUpdateSerializer(data=request.data, partial=True)
        ser.is_valid(raise_exception=True)
        changes = dict(ser.validated_data)
        reason = changes.pop("reason", "")
        plan = plan_services.plan_update(
            plan=plan, actor=request.user, scope=scope_for(request.user), changes=changes, reason=reason
        )
        return Response(PlanSerializer(plan).data)

    @extend_schema(
        summary="A plan's lines (current, or as they stood ?at= an instant, or of ?version=)",
        parameters=[*_AT_PARAMS, OpenApiParameter("intake", int)],
        responses=PlanLineSerializer(many=True),
    )
    @action(detail=True, methods=["get"])
    def allocations(self, request: Request, pk: str | None = None) -> Response:
        plan = self._plan()
        lines, __ = self._allocations(plan)
        intake = request.query_params.get("intake")
        if intake is not None:
            if not intake.isdigit() or len(intake) > 18:
                raise ValidationError({"intake": [_("An intake id.")]})
            lines = lines.filter(intake_id=int(intake))
        page = self.paginate_queryset(lines)
        return self.get_paginated_response([_line_dict(a) for a in page or []])

    @extend_schema(
        summary="A plan's versions (GET, with what each changed) or a new amendment (POST)",
        request=PlanAmendSerializer,
        responses={200: _PLAN_HISTORY, 201: PlanVersionSerializer},
    )
    @action(detail=True, methods=["get", "post"])
    def amendments(self, request: Request, pk: str | None = None) -> Response:
        plan = self._plan()
        scope = scope_for(request.user)
        if request.method == "GET":
            return Response(plan_selectors.plan_history(scope=scope, plan=plan))
        ser = PlanAmendSerializer(data=request.data)
        ser.is_valid(raise_exception=True)
        v = ser.validated_data
        version = plan_services.plan_amend(
            plan=plan, actor=request.user, scope=scope, reason=v["reason"], allocations=_lines(scope, v["allocations"])
        )
        return Response(PlanVersionSerializer(version).data, status=status.HTTP_201_CREATED)


# ------------------------------------------------------------------------------------------- usage

USAGE_COLUMNS = (
    Column("code", gettext_lazy("Intake code")),
    Column("name", gettext_lazy("Intake"), width=28),
    Column("division", gettext_lazy("Division code")),
    Column("use_m3", gettext_lazy("Use (m³, as locked)"), kind="number", width=18),
    Column("amendments_after_lock_m3", gettext_lazy("Amendments after lock (m³)"), kind="number", width=18),
    Column("plan_m3", gettext_lazy("Plan (m³)"), kind="number", width=16),
    Column("ratio", gettext_lazy("Use ÷ plan"), kind="number3"),
    Column("over_m3", gettext_lazy("Over plan (m³)"), kind="number", width=16),
    Column("tier", gettext_lazy("Over-plan tier")),
    Column("forecast_m3", gettext_lazy("Forecast for the year (m³)"), kind="number", width=18),
    Column("estimated_m3", gettext_lazy("Estimated (m³)"), kind="number", width=16),
    Column("held_m3", gettext_lazy("Held for review (m³)"), kind="number", width=16),
)


@extend_schema_view(
    list=extend_schema(
        summary="Use against plan per intake and in total over [start, end], with tiers and a forecast",
        parameters=[
            OpenApiParameter("start", str, required=True, description="first Beijing date, included"),
            OpenApiParameter("end", str, required=True, description="last Beijing date, included"),
            OpenApiParameter("division", str, description="inside this GB/T 2260 division code"),
        ],
    )
)
class PlanUsageViewSet(ExportMixin, viewsets.GenericViewSet):
    """`GET plans/usage/?start=&end=&division=` (plan_summary as JSON: use as locked and amendments
    after lock, plan prorated by days, ratio, over, tier, forecast to the end of the plan year) and
    `GET plans/usage/export/?start=&end=&division=&format=csv|xlsx` (one row per intake and a total)."""

    query_params = dict.fromkeys(("list", "export"), frozenset(UsageQuerySerializer().fields))  # core.api.query

    serializer_class = PlanSummarySerializer
    read_roles = HUMAN_ROLES
    pagination_class = None
    filter_backends: list[Any] = []
    export_name = "plan-usage"
    export_title = gettext_lazy("use against plan")
    export_columns = USAGE_COLUMNS

    def get_queryset(self) -> QuerySet[Intake]:
        q = _query(UsageQuerySerializer, self.request)
        qs = selectors.intake_list(scope=scope_for(self.request.user)).select_related(None).prefetch_related(None)
        code = q.get("division")
        if code:
            if not is_division_code(code):
                raise ValidationError({"division": [_("A 6-, 9- or 12-digit GB/T 2260 code.")]})
            qs = qs.filter(division__code__startswith=division_prefix(code))
        return qs

    def _summary(self) -> Any:
        q = _query(UsageQuerySerializer, self.request)
        return plan_selectors.plan_summary(
            scope=scope_for(self.request.user),
            period=periods.date_range(q["start"], q["end"]),
            division_code=q.get("division"),
        )

    def list(self, request: Request) -> Response:
        return Response(self._summary().to_dict())

    def export_rows(self, queryset: QuerySet[Any]) -> Iterator[dict[str, Any]]:
        summary = self._summary().to_dict()
        for row in summary["intakes"]:
            yield {**row, "division": row["division_code"]}
        yield {**summary, "code": _("total"), "name": summary["period_label"], "division": summary["division_code"]}


# --------------------------------------------------------------------------------------- red lines


@extend_schema_view(
    list=extend_schema(summary="Red-line targets visible to you (?year= &division=)"),
    retrieve=extend_schema(summary="One year's red-line targets and entered actuals"),
    create=extend_schema(
        summary="Set a year's red-line targets (and entered actuals with their source)",
        request=RedLineWriteSerializer,
        responses={201: RedLineSerializer},
    ),
    partial_update=extend_schema(
        summary="Change targets or entered actuals (audited)",
        request=RedLineWriteSerializer,
        responses=RedLineSerializer,
    ),
)
class RedLineViewSet(IdempotencyMixin, mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    serializer_class = RedLineSerializer
    filterset_class = RedLineFilter
    lookup_value_regex = ID_REGEX
    read_roles = HUMAN_ROLES
    write_roles = STAFF_ROLES
    http_method_names = METHODS

    def get_queryset(self) -> QuerySet[RedLineTarget]:
        return plan_selectors.redline_list(scope=scope_for(self.request.user)).order_by("-year", "division__code")

    def create(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        ser = RedLineWriteSerializer(data=request.data)
        ser.is_valid(raise_exception=True)
        v = dict(ser.validated_data)
        v.pop("reason", None)
        scope = scope_for(request.user)
        year, division = v.pop("year"), _division(scope, v.pop("division"))
        target = plan_services.redline_create(actor=request.user, scope=scope, year=year, division=division, **v)
        return Response(RedLineSerializer(target).data, status=status.HTTP_201_CREATED)

    def partial_update(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        scope = scope_for(request.user)
        target = plan_selectors.redline_get(scope=scope, target_id=int(self.kwargs["pk"]))
        ser = RedLineWriteSerializer(data=request.data, partial=True)
        ser.is_valid(raise_exception=True)
        changes = dict(ser.validated_data)
        fixed = sorted({"year", "division"} & set(changes))
        if fixed:
            raise ValidationError(
                {name: [_("Cannot be changed; set the targets of that year or division.")] for name in fixed}
            )
        reason = changes.pop("reason", "")
        target = plan_services.redline_update(
            target=target, actor=request.user, scope=scope, changes=changes, reason=reason
        )
        return Response(RedLineSerializer(target).data)

    @extend_schema(
        summary="The red-line indicators of a year: targets, actuals (system or entered), and whether met once "
        "the year is over; before that the year to date, the forecast to the year's end and a state",
        description="Zone compliance is computed from the sections tied to each key water-function zone over "
        "the year to `as_of` (source `sections`, `sections_and_declared` or `declared`, note complying/judged "
        "zones), as the reports show it; the entered figure (source `entered`) where no zone is judged.",
        parameters=[
            OpenApiParameter("year", int, required=True),
            OpenApiParameter("division", str),
            OpenApiParameter(
                "as_of",
                OpenApiTypes.DATE,
                description="the last day counted (default: the year's end, or yesterday in the current year)",
            ),
        ],
    )
    @action(detail=False, methods=["get"], pagination_class=None, filter_backends=[])
    def summary(self, request: Request) -> Response:
        q = _query(RedLineSummaryQuerySerializer, request)
        data = plan_selectors.redline_summary(
            scope=scope_for(request.user), year=q["year"], division_code=q.get("division"), as_of=q.get("as_of")
        )
        return Response(data.to_dict())


# ------------------------------------------------------------------------------------------- locks


@extend_schema_view(
    list=extend_schema(summary="Ledger locks visible to you (?month=YYYY-MM &division= &active=)"),
    retrieve=extend_schema(summary="One ledger lock"),
    create=extend_schema(
        summary="Review and lock a month of a division's intake ledger",
        request=LockCreateSerializer,
        responses={201: LockSerializer},
    ),
)
class LedgerLockViewSet(IdempotencyMixin, mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    """A reviewer locks a month of the ledger (the month's figures are frozen; later readings and
    corrections are amendments after lock, see `GET readings/?after_lock=true`); only an admin
    unlocks, with a reason."""

    serializer_class = LockSerializer
    filterset_class = LockFilter
    lookup_value_regex = ID_REGEX
    read_roles = HUMAN_ROLES
    write_roles = STAFF_ROLES
    action_roles = {"unlock": frozenset({Role.ADMIN})}
    http_method_names = ["get", "post", "head", "options"]

    def get_queryset(self) -> QuerySet[LedgerLock]:
        return plan_selectors.lock_list(scope=scope_for(self.request.user)).order_by("-month", "division__code", "-id")

    def create(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        ser = LockCreateSerializer(data=request.data)
        ser.is_valid(raise_exception=True)
        v = ser.validated_data
        scope = scope_for(request.user)
        lock = plan_services.ledger_lock(
            actor=request.user,
            scope=scope,
            division=_division(scope, v["division"]),
            month=v["month"],
            note=v["note"],
        )
        return Response(LockSerializer(self.get_queryset().get(pk=lock.pk)).data, status=status.HTTP_201_CREATED)

    @extend_schema(
        summary="Unlock a month (admins; a reason is required; audited)",
        request=UnlockSerializer,
        responses=LockSerializer,
    )
    @action(detail=True, methods=["post"])
    def unlock(self, request: Request, pk: str | None = None) -> Response:
        scope = scope_for(request.user)
        lock = plan_selectors.lock_get(scope=scope, lock_id=int(pk or 0))
        ser = UnlockSerializer(data=request.data)
        ser.is_valid(raise_exception=True)
        lock = plan_services.ledger_unlock(
            lock=lock, actor=request.user, scope=scope, reason=ser.validated_data["reason"]
        )
        return Response(LockSerializer(self.get_queryset().get(pk=lock.pk)).data)
