"""The oversight API (/api/v1/oversight/): ledgers of rounds, findings, tasks, milestones, progress,
petitions (GeoJSON), supervision orders, circulars and rechecks; the workflow actions; the hand-over
import; figures.

Roles: admins and reviewers read within their jurisdiction and write; member units (`unit`) read and
act on exactly the items handed to them (anything else is a 404); chiefs, operators and devices are
refused (403), anonymous callers 401.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable
from typing import Any

from django.contrib.gis.geos import Point
from django.db.models import Prefetch, QuerySet
from django.http import HttpResponse
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import mixins, status, viewsets
from rest_framework.decorators import action
from rest_framework.parsers import FormParser, JSONParser, MultiPartParser
from rest_framework.request import Request
from rest_framework.response import Response

from accounts.choices import Role
from accounts.permissions import STAFF_ROLES
from accounts.scope import Scope, scope_for
from core.api.export_views import ExportMixin
from core.api.idempotency import IdempotencyMixin
from core.api.parsers import CSVBody, CSVParser
from core.api.views import ID_REGEX, ApiView, ReadOnlyGeoViewSet
from core.exceptions import InvalidInput, NotFound
from core.exports import Column
from core.geo import WGS84_SRID
from core.kernel import reference
from core.periods import date_range
from oversight import handover, selectors, services
from oversight.api import serializers as s
from oversight.choices import OrderSubject
from oversight.filters import (
    CircularFilter,
    FindingFilter,
    MilestoneFilter,
    OrderFilter,
    PetitionFilter,
    RecheckFilter,
    TaskFilter,
)
from oversight.models import InspectionRound, Milestone, Petition, Task
from places.models import Reach

READ_ROLES = frozenset({Role.ADMIN, Role.REVIEWER, Role.UNIT})
UNIT_AND_STAFF = READ_ROLES


class _Base(IdempotencyMixin, viewsets.GenericViewSet):
    read_roles = READ_ROLES
    write_roles = STAFF_ROLES
    lookup_value_regex = ID_REGEX

    @property
    def scope(self) -> Scope:
        return scope_for(self.request.user)


def _files(request: Request) -> list[Any]:
    return list(request.FILES.getlist("files")) if hasattr(request, "FILES") else []


def _data(request: Request) -> dict[str, Any]:
    """The request's fields without the uploaded files (multipart) or as sent (JSON)."""
    data = request.data
    if hasattr(data, "dict"):
        return {k: v for k, v in data.dict().items() if k != "files"}
    return dict(data) if isinstance(data, dict) else {}


class RoundViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, _Base):
    """Inspection rounds (督察轮次): the central or provincial inspection a finding, task or petition came from."""

    serializer_class = s.RoundSerializer

    def get_queryset(self) -> QuerySet[Any]:
        return selectors.round_list(scope=self.scope)

    @extend_schema(request=s.RoundInput, responses={201: s.RoundSerializer})
    def create(self, request: Request) -> Response:
        v = s.validated(s.RoundInput, request.data)
        rnd = services.round_create(actor=request.user, **v)
        return Response(s.RoundSerializer(rnd).data, status=status.HTTP_201_CREATED)


class FindingViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, _Base):
    """Inspection findings (督察反馈问题) of a round, each to be rectified through one or more tasks."""

    serializer_class = s.FindingSerializer
    filterset_class = FindingFilter

    def get_queryset(self) -> QuerySet[Any]:
        return selectors.finding_list(scope=self.scope)

    @extend_schema(request=s.FindingInput, responses={201: s.FindingSerializer})
    def create(self, request: Request) -> Response:
        v = s.validated(s.FindingInput, request.data)
        rnd = InspectionRound.objects.filter(code=v.pop("round")).first()
        if rnd is None:
            raise InvalidInput("No such round.", fields={"round": ["No such round."]})
        finding = services.finding_create(
            actor=request.user, scope=self.scope, round=rnd, division_code=v.pop("division"), **v
        )
        return Response(s.FindingSerializer(finding).data, status=status.HTTP_201_CREATED)


class TaskViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, ExportMixin, _Base):
    """Rectification tasks (整改任务) with their milestones and timeliness."""

    serializer_class = s.TaskSerializer
    filterset_class = TaskFilter
    action_roles = {
        "start": UNIT_AND_STAFF,
        "progress": UNIT_AND_STAFF,
        "complete": UNIT_AND_STAFF,
        "return_": STAFF_ROLES,
        "sign_off": STAFF_ROLES,
        "milestones": STAFF_ROLES,
        "export": READ_ROLES,
    }
    export_name, export_title = "oversight-tasks", "整改任务 tasks"
    export_columns = (
        Column("code", "编号", "Code"),
        Column("title", "整改任务", "Task", width=40),
        Column("round", "督察轮次", "Round"),
        Column("division", "行政区", "Division"),
        Column("lead_unit", "牵头单位", "Lead unit", width=24),
        Column("responsible_units", "责任单位", "Units", width=30),
        Column("starts_on", "开始", "Starts", "date"),
        Column("deadline", "完成时限", "Deadline", "date"),
        Column("status", "状态", "Status"),
        Column("completed_on", "完成日期", "Completed", "date"),
        Column("timeliness", "时效", "Timeliness"),
        Column("signed_off_at", "销号时间", "Signed off", "datetime", 18),
        Column("reopened_count", "反弹重开", "Reopened", "int"),
    )

    def get_queryset(self) -> QuerySet[Any]:
        qs = selectors.task_list(scope=self.scope).prefetch_related("responsible_units")
        if self.action == "retrieve":
            qs = qs.prefetch_related(Prefetch("milestones", queryset=Milestone.objects.order_by("due_on", "id")))
        return qs

    def get_serializer_class(self) -> type:
        return s.TaskDetailSerializer if self.action == "retrieve" else s.TaskSerializer

    def export_rows(self, queryset: QuerySet[Any]) -> Iterable[dict[str, Any]]:
        for t in queryset:
            yield {
                "code": t.code,
                "title": t.title,
                "round": t.finding.round.code,
                "division": t.finding.division.code,
                "lead_unit": t.lead_unit.display_name or t.lead_unit.username,
                "responsible_units": "、".join(u.display_name or u.username for u in t.responsible_units.all()),
                "starts_on": t.starts_on,
                "deadline": t.deadline,
                "status": t.get_status_display(),
                "completed_on": t.completed_on,
                "timeliness": t.timeliness,
                "signed_off_at": t.signed_off_at,
                "reopened_count": t.reopened_count,
            }

    def _answer(self, task: Task) -> Response:
        return Response(s.TaskDetailSerializer(self.get_queryset().prefetch_related("milestones").get(pk=task.pk)).data)

    @extend_schema(request=s.TaskInput, responses={201: s.TaskDetailSerializer})
    def create(self, request: Request) -> Response:
        v = s.validated(s.TaskInput, request.data)
        finding = reference(selectors.finding_list(scope=self.scope), v.pop("finding"), field="finding")
        task = services.task_create(actor=request.user, scope=self.scope, finding=finding, **v)
        return Response(s.TaskDetailSerializer(self.get_queryset().get(pk=task.pk)).data, status=201)

    @extend_schema(request=None, responses=s.TaskDetailSerializer)
    @action(detail=True, methods=["post"])
    def start(self, request: Request, pk: str | None = None) -> Response:
        return self._answer(services.task_start(actor=request.user, task=self.get_object()))

    @extend_schema(request=s.ProgressInput, responses={201: s.ProgressSerializer})
    @action(detail=True, methods=["post"], parser_classes=[JSONParser, MultiPartParser, FormParser])
    def progress(self, request: Request, pk: str | None = None) -> Response:
        task = self.get_object()
        v = s.validated(s.ProgressInput, _data(request))
        milestone = None
        if v.get("milestone"):
            milestone = Milestone.objects.filter(pk=v["milestone"], task=task).first()
            if milestone is None:
                raise InvalidInput("Not a milestone of this task.", fields={"milestone": ["Not of this task."]})
        p = services.progress_report(
            actor=request.user, task=task, text=v["text"], milestone=milestone, files=_files(request)
        )
        return Response(s.ProgressSerializer(p).data, status=201)

    @extend_schema(request=s.CompleteInput, responses=s.TaskDetailSerializer)
    @action(detail=True, methods=["post"])
    def complete(self, request: Request, pk: str | None = None) -> Response:
        v = s.validated(s.CompleteInput, request.data)
        return self._answer(services.task_complete(actor=request.user, task=self.get_object(), **v))

    @extend_schema(request=s.ReasonInput, responses=s.TaskDetailSerializer)
    @action(detail=True, methods=["post"], url_path="return")
    def return_(self, request: Request, pk: str | None = None) -> Response:
        v = s.validated(s.ReasonInput, request.data)
        return self._answer(services.task_return(actor=request.user, task=self.get_object(), reason=v["reason"]))

    @extend_schema(request=s.NoteInput, responses=s.TaskDetailSerializer)
    @action(detail=True, methods=["post"], url_path="sign-off")
    def sign_off(self, request: Request, pk: str | None = None) -> Response:
        v = s.validated(s.NoteInput, request.data)
        return self._answer(services.task_sign_off(actor=request.user, task=self.get_object(), note=v["note"]))

    @extend_schema(request=s.MilestoneInput, responses={201: s.MilestoneSerializer})
    @action(detail=True, methods=["post"])
    def milestones(self, request: Request, pk: str | None = None) -> Response:
        v = s.validated(s.MilestoneInput, request.data)
        m = services.milestone_add(actor=request.user, task=self.get_object(), **v)
        return Response(s.MilestoneSerializer(m).data, status=201)


class MilestoneViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, _Base):
    """Milestones of rectification tasks (整改节点): what must be done by when; a unit completes its own."""

    serializer_class = s.MilestoneSerializer
    filterset_class = MilestoneFilter
    action_roles = {"complete": UNIT_AND_STAFF}

    def get_queryset(self) -> QuerySet[Any]:
        return selectors.milestone_list(scope=self.scope)

    @extend_schema(request=s.MilestoneDoneInput, responses=s.MilestoneSerializer)
    @action(detail=True, methods=["post"])
    def complete(self, request: Request, pk: str | None = None) -> Response:
        v = s.validated(s.MilestoneDoneInput, request.data)
        m = services.milestone_complete(actor=request.user, milestone=self.get_object(), **v)
        return Response(s.MilestoneSerializer(m).data)


class ProgressViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, _Base):
    """Progress reports on rectification tasks (整改进展), with their immutable attachments."""

    serializer_class = s.ProgressSerializer
    query_params = {"list": frozenset({"task"})}  # core.api.query: read in get_queryset

    def get_queryset(self) -> QuerySet[Any]:
        qs = selectors.progress_list(scope=self.scope)
        task = self.request.query_params.get("task")
        return qs.filter(task__code=task) if task else qs


class PetitionViewSet(IdempotencyMixin, ExportMixin, ReadOnlyGeoViewSet):
    """Petitions (信访件) as GeoJSON Features (geometry null without a point); ?bbox= keeps those with one."""

    serializer_class = s.PetitionSerializer
    filterset_class = PetitionFilter
    bbox_filter_field = "location"
    read_roles = READ_ROLES
    action_roles = {
        "import_": STAFF_ROLES,
        "submit": UNIT_AND_STAFF,
        "accept": STAFF_ROLES,
        "return_": STAFF_ROLES,
        "open_case": STAFF_ROLES,
        "export": READ_ROLES,
    }
    export_name, export_title = "oversight-petitions", "信访件 petitions"
    export_columns = (
        Column("number", "受理编号", "number"),
        Column("round", "督察轮次", "Round"),
        Column("batch", "批次", "Batch", "int"),
        Column("received_on", "受理日期", "Received", "date"),
        Column("channel", "来源渠道", "channel"),
        Column("complaint", "反映问题", "complaint", width=50),
        Column("division", "行政区划代码", "division"),
        Column("category", "污染类型", "category"),
        Column("unit", "责任单位", "unit", width=24),
        Column("deadline", "办理时限", "deadline", "date"),
        Column("lon", "经度", "lon", "number3"),
        Column("lat", "纬度", "lat", "number3"),
        Column("reach", "河段编码", "reach"),
        Column("lake", "湖泊编码", "lake"),
        Column("intake", "取水口编码", "intake"),
        Column("public", "是否公开", "public", "bool"),
        Column("substantiated", "是否属实", "Substantiated"),
        Column("result", "调查核实情况", "Result", width=40),
        Column("measures", "处理和整改情况", "Measures", width=40),
        Column("status", "办理状态", "Status"),
        Column("closed_on", "办结日期", "Closed", "date"),
        Column("case", "四乱问题", "Case", width=38),
    )

    def get_queryset(self) -> QuerySet[Any]:
        return selectors.petition_list(scope=scope_for(self.request.user))

    def export_rows(self, queryset: QuerySet[Any]) -> Iterable[dict[str, Any]]:
        for p in queryset.iterator(chunk_size=2000):
            yield {
                "number": p.number,
                "round": p.batch.round.code,
                "batch": p.batch.number,
                "received_on": p.received_on,
                "channel": p.channel,
                "complaint": p.complaint,
                "division": p.division.code,
                "category": p.category,
                "unit": p.unit.display_name or p.unit.username,
                "deadline": p.deadline,
                "lon": p.location.x if p.location else None,
                "lat": p.location.y if p.location else None,
                "reach": getattr(p.reach, "code", None),
                "lake": getattr(p.lake, "code", None),
                "intake": getattr(p.intake, "code", None),
                "public": p.public,
                "substantiated": p.get_substantiated_display() if p.substantiated else "",
                "result": p.result,
                "measures": p.measures,
                "status": p.get_status_display(),
                "closed_on": p.closed_on,
                "case": str(p.case_id) if p.case_id else None,
            }

    def _answer(self, petition: Petition, code: int = 200) -> Response:
        return Response(s.PetitionSerializer(self.get_queryset().get(pk=petition.pk)).data, status=code)

    @extend_schema(
        summary="Import a hand-over batch (XLSX, CSV or JSON); refused whole with each bad row named",
        request={"application/json": s.PetitionBatchInput, "multipart/form-data": None, "text/csv": None},
    )
    @action(detail=False, methods=["post"], url_path="import", parser_classes=[JSONParser, MultiPartParser, CSVParser])
    def import_(self, request: Request) -> Response:
        scope = scope_for(request.user)
        if isinstance(request.data, CSVBody):
            rows = handover.read_csv(bytes(request.data), request.data.charset)
            meta = request.query_params
        elif request.FILES.get("file") is not None:
            upload = request.FILES["file"]
            rows = handover.read_upload(upload.read(), filename=upload.name or "")
            meta = request.data
        else:
            v = s.validated(s.PetitionBatchInput, request.data)
            rows, meta = v["rows"], {k: v[k] for k in ("round", "batch", "received_on")}
        head = s.validated(s.BatchMetaInput, {k: meta.get(k) for k in ("round", "batch", "received_on")})
        rnd = InspectionRound.objects.filter(code=head["round"]).first()
        if rnd is None:
            raise InvalidInput("No such round.", fields={"round": ["No such round."]})
        result = services.petition_import(
            actor=request.user,
            scope=scope,
            round=rnd,
            batch_number=head["batch"],
            received_on=head["received_on"],
            rows=rows,
        )
        return Response(
            {"round": rnd.code, "batch": result.batch.number, "created": result.created, "unchanged": result.unchanged},
            status=201 if result.created else 200,
        )

    @extend_schema(request=s.SubmitInput, responses=s.PetitionSerializer)
    @action(detail=True, methods=["post"], parser_classes=[JSONParser, MultiPartParser, FormParser])
    def submit(self, request: Request, pk: str | None = None) -> Response:
        v = s.validated(s.SubmitInput, _data(request))
        p = services.petition_submit(actor=request.user, petition=self.get_object(), files=_files(request), **v)
        return self._answer(p)

    @extend_schema(request=s.AcceptInput, responses=s.PetitionSerializer)
    @action(detail=True, methods=["post"])
    def accept(self, request: Request, pk: str | None = None) -> Response:
        v = s.validated(s.AcceptInput, request.data)
        return self._answer(services.petition_accept(actor=request.user, petition=self.get_object(), **v))

    @extend_schema(request=s.ReasonInput, responses=s.PetitionSerializer)
    @action(detail=True, methods=["post"], url_path="return")
    def return_(self, request: Request, pk: str | None = None) -> Response:
        v = s.validated(s.ReasonInput, request.data)
        return self._answer(services.petition_return(actor=request.user, petition=self.get_object(), **v))

    @extend_schema(request=s.OpenCaseInput, responses={201: s.PetitionSerializer})
    @action(detail=True, methods=["post"], url_path="open-case")
    def open_case(self, request: Request, pk: str | None = None) -> Response:
        petition = self.get_object()
        v = s.validated(s.OpenCaseInput, request.data)
        reach = None
        if v.get("reach"):
            reach = Reach.objects.filter(code=v["reach"]).first()
            if reach is None:
                raise InvalidInput("No such reach.", fields={"reach": ["No such reach."]})
        if ("lon" in v) != ("lat" in v):
            raise InvalidInput("Give lon and lat together.", fields={"lon": ["Give lon and lat together."]})
        location = Point(v["lon"], v["lat"], srid=WGS84_SRID) if "lon" in v else None
        p = services.petition_open_case(
            actor=request.user, petition=petition, category=v["category"], reach=reach, location=location
        )
        return self._answer(p, 201)


class OrderViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, _Base):
    """Supervision orders (督办单)."""

    serializer_class = s.OrderSerializer
    filterset_class = OrderFilter
    action_roles = {"reply": UNIT_AND_STAFF}

    def get_queryset(self) -> QuerySet[Any]:
        return selectors.order_list(scope=self.scope)

    def _item(self, subject: str, ref: str) -> Any:
        scope = self.scope
        item: Any = None
        if subject == OrderSubject.TASK:
            item = selectors.task_list(scope=scope).filter(code=ref).first()
        elif subject == OrderSubject.MILESTONE and ref.isdigit():
            item = (
                selectors.milestone_list(scope=scope)
                .select_related("task__finding__division", "task__lead_unit")
                .filter(pk=int(ref))
                .first()
            )
        elif subject == OrderSubject.PETITION:
            item = selectors.petition_list(scope=scope).filter(number=ref).first()
        elif subject == OrderSubject.CASE:
            try:
                case_id = uuid.UUID(ref)
            except ValueError:
                case_id = None
            item = selectors.order_case(scope=scope, case_id=case_id) if case_id else None
        if item is None:
            raise InvalidInput(f"No {subject} {ref!r} in your jurisdiction.", fields={"item": ["No such item."]})
        return item

    @extend_schema(request=s.OrderInput, responses={201: s.OrderSerializer})
    def create(self, request: Request) -> Response:
        v = s.validated(s.OrderInput, request.data)
        item = self._item(v["subject"], v["item"])
        order = services.order_issue(
            actor=request.user,
            subject=v["subject"],
            item=item,
            text=v["text"],
            reply_due=v["reply_due"],
            unit=v.get("unit"),
        )
        return Response(s.OrderSerializer(order).data, status=201)

    @extend_schema(request=s.ReplyInput, responses=s.OrderSerializer)
    @action(detail=True, methods=["post"])
    def reply(self, request: Request, pk: str | None = None) -> Response:
        v = s.validated(s.ReplyInput, request.data)
        return Response(s.OrderSerializer(services.order_reply(actor=request.user, order=self.get_object(), **v)).data)


class CircularViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, _Base):
    """Circulars (通报): overdue items by unit, as PDF; signed ones never change."""

    serializer_class = s.CircularSerializer
    filterset_class = CircularFilter
    read_roles = STAFF_ROLES

    def get_queryset(self) -> QuerySet[Any]:
        return selectors.circular_list(scope=self.scope)

    @extend_schema(request=s.CircularInput, responses={201: s.CircularSerializer})
    def create(self, request: Request) -> Response:
        v = s.validated(s.CircularInput, request.data)
        c = services.circular_create(
            actor=request.user,
            scope=self.scope,
            first_date=v["start"],
            last_date=v["end"],
            division_code=v["division"],
            title=v["title"],
        )
        return Response(s.CircularSerializer(c).data, status=201)

    @extend_schema(request=None, responses=s.CircularSerializer)
    @action(detail=True, methods=["post"])
    def sign(self, request: Request, pk: str | None = None) -> Response:
        return Response(
            s.CircularSerializer(services.circular_sign(actor=request.user, circular=self.get_object())).data
        )

    @extend_schema(responses={(200, "application/pdf"): bytes})
    @action(detail=True, methods=["get"])
    def pdf(self, request: Request, pk: str | None = None) -> HttpResponse:
        c = self.get_object()
        body = type(c).objects.filter(pk=c.pk).values_list("pdf", flat=True).get()
        response = HttpResponse(bytes(body), content_type="application/pdf")
        response["Content-Disposition"] = f'attachment; filename="circular-{c.pk}.pdf"'
        return response

    def destroy(self, request: Request, pk: str | None = None) -> Response:
        services.circular_delete(actor=request.user, circular=self.get_object())
        return Response(status=204)


class RecheckViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, _Base):
    """Look-back rechecks (回头看)."""

    serializer_class = s.OversightRecheckSerializer
    filterset_class = RecheckFilter
    read_roles = STAFF_ROLES

    def get_queryset(self) -> QuerySet[Any]:
        return selectors.recheck_list(scope=self.scope)

    @extend_schema(request=s.SampleInput, responses={201: s.OversightRecheckSerializer(many=True)})
    @action(detail=False, methods=["post"])
    def sample(self, request: Request) -> Response:
        v = s.validated(s.SampleInput, request.data)
        batch, rows = services.recheck_sample(
            actor=request.user,
            scope=self.scope,
            item=v["item"],
            count=v["count"],
            seed=v.get("seed"),
            division_code=v.get("division"),
        )
        fresh = self.get_queryset().filter(pk__in=[r.pk for r in rows])
        return Response({"batch": batch, "rechecks": s.OversightRecheckSerializer(fresh, many=True).data}, status=201)

    @extend_schema(request=s.RecordInput, responses=s.OversightRecheckSerializer)
    @action(detail=True, methods=["post"])
    def record(self, request: Request, pk: str | None = None) -> Response:
        v = s.validated(s.RecordInput, request.data)
        r = services.recheck_record(actor=request.user, recheck=self.get_object(), **v)
        return Response(s.OversightRecheckSerializer(self.get_queryset().get(pk=r.pk)).data)


class FiguresView(ApiView):
    """`GET ?start=&end=&division=`: the oversight figures of a period (as of its last day)."""

    read_roles = READ_ROLES
    query_params = frozenset({"start", "end", "division"})

    @extend_schema(
        summary="Oversight figures of a period (tasks, petitions, rechecks) as of its last day",
        parameters=[
            OpenApiParameter("start", OpenApiTypes.DATE, required=True),
            OpenApiParameter("end", OpenApiTypes.DATE, required=True),
            OpenApiParameter("division", str, required=False),
        ],
        responses=OpenApiTypes.OBJECT,
    )
    def get(self, request: Request) -> Response:
        v = s.validated(s.FiguresInput, request.query_params)
        if v["end"] < v["start"]:
            raise InvalidInput("The end is before the start.", fields={"end": ["Before start."]})
        scope = scope_for(request.user)
        code = v.get("division") or None
        if code and not scope.covers_code(code):
            raise NotFound(f"No division {code} in your jurisdiction.")
        return Response(
            selectors.oversight_figures(scope=scope, period=date_range(v["start"], v["end"]), division_code=code)
        )
