"""The oversight pages (督察整改与信访): the ledgers (console.ledgers.oversight), the task, petition, order
and circular detail pages with the workflow actions the user may take now, the hand-over import, and
the member unit's inbox (成员单位待办).

Every row is looked up through oversight.selectors with the caller's scope (a row not handed to a unit,
or outside a reviewer's jurisdiction, is a 404 as in the API); every action posts (CSRF) to the same
oversight service the API calls, so the roles and transitions are the services' own. A refused action
re-renders the page with the messages beside the form and the input kept (400/409/413), never a 500.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import Any

from django.contrib import messages
from django.contrib.gis.geos import Point
from django.core.exceptions import PermissionDenied
from django.db.models import Case, IntegerField, Q, QuerySet, Value, When
from django.http import FileResponse, Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.urls import path, reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST

from accounts.choices import Role
from accounts.permissions import user_role
from console import formats as f
from console.ledgers.oversight import order_item, timeliness_label, unit_name
from console.views.base import console_page, page, scope, to_json
from console.views.ledgers import ledger_view
from core.exceptions import Forbidden, NotFound, ServiceError
from core.geo import WGS84_SRID
from core.models import AuditLog
from oversight import handover, selectors, services
from oversight.choices import (
    TASK_TRANSITIONS,
    MilestoneKind,
    MilestoneStatus,
    PetitionStatus,
    ReviewState,
    Substantiated,
    TaskStatus,
    Timeliness,
)
from oversight.models import Attachment, InspectionRound, Milestone, Petition, SupervisionOrder, Task
from patrols.choices import CaseCategory
from places.models import Reach

STAFF = (Role.ADMIN, Role.REVIEWER)
Errors = dict[str, list[str]]


class FormError(Exception):
    """A form value the page itself cannot read (a date that is not one): named like a service error."""

    def __init__(self, field: str, message: str) -> None:
        super().__init__(message)
        self.fields = {field: [message]}
        self.status_code = 400


def _today() -> dt.date:
    return timezone.localdate()


def _date(request: HttpRequest, name: str, *, required: bool = True) -> dt.date | None:
    raw = request.POST.get(name, "").strip()
    if not raw:
        if required:
            raise FormError(name, _("This field is required."))
        return None
    try:
        return dt.date.fromisoformat(raw)
    except ValueError:
        raise FormError(name, _("A date such as 2024-03-08.")) from None


def _is_staff(request: HttpRequest) -> bool:
    return user_role(request.user) in STAFF


def _field_errors(exc: Any) -> Errors:
    fields = getattr(exc, "fields", None) or {}
    out: Errors = {}
    for key, value in fields.items():
        out[str(key)] = [str(m) for m in (value if isinstance(value, list | tuple) else [value])]
    if not out:
        out["form"] = [str(getattr(exc, "message", exc))]
    return out


def _run(request: HttpRequest, action: str, call: Callable[[], Any], *, done: Any, back: str,
         render: Callable[[dict[str, Any], int], HttpResponse]) -> HttpResponse:  # fmt: skip
    """Call the service; on success a message and back to the page (post/redirect/get), else the page
    again with the errors beside the action's form and the user's input kept."""
    try:
        call()
    except Forbidden as exc:
        raise PermissionDenied from exc
    except NotFound as exc:
        raise Http404 from exc
    except (ServiceError, FormError) as exc:
        form = {"action": action, "errors": _field_errors(exc), "values": request.POST}
        return render(form, int(getattr(exc, "status_code", 400)))
    messages.success(request, done)
    return HttpResponseRedirect(back)


# The reasons the services write when the user gives none (the action's name), in words.
ACTION_WORDS = {
    "start": gettext_lazy("started"), "first progress report": gettext_lazy("started by the first progress report"),
    "complete": gettext_lazy("reported completed"), "sign_off": gettext_lazy("signed off"),
    "result submitted": gettext_lazy("result submitted"), "accepted": gettext_lazy("accepted"),
}  # fmt: skip
STATUS_LABELS = {
    "oversight.task": dict(TaskStatus.choices), "oversight.milestone": dict(MilestoneStatus.choices),
    "oversight.petition": dict(PetitionStatus.choices),
}  # fmt: skip


def _audit(entity: str, ids: list[Any], names: dict[str, str] | None = None) -> list[dict[str, str]]:
    """The audit rows of these items, oldest first: who, when, what (the status change in words, or the
    fields changed) and why. `names` labels the item of each row (a milestone's title)."""
    rows = AuditLog.objects.filter(entity=entity, entity_id__in=[str(i) for i in ids]).order_by("at", "id")
    labels = STATUS_LABELS.get(entity, {})
    out = []
    for a in rows:
        before, after = a.before if isinstance(a.before, dict) else {}, a.after if isinstance(a.after, dict) else {}
        what = ""
        if before and before.get("status") != after.get("status") and "status" in after:
            old, new = before.get("status"), after["status"]
            what = f"{labels.get(str(old), old)} → {labels.get(str(new), new)}"
        elif before:
            what = "、".join(sorted(k for k in set(before) | set(after)
                                   if before.get(k) != after.get(k) and k != "updated_at"))  # fmt: skip
        reason = str(ACTION_WORDS.get(a.reason, a.reason))
        out.append({"at": f.when(a.at), "who": a.actor_label, "action": a.get_action_display(), "what": what,
                    "item": (names or {}).get(a.entity_id, ""), "reason": reason})  # fmt: skip
    return out


def _figures(*pairs: tuple[Any, Any]) -> list[dict[str, str]]:
    return [{"label": str(label), "value": str(value)} for label, value in pairs]


def _attachments(rows: Any) -> list[dict[str, str]]:
    return [
        {"url": reverse("console:oversight_attachment", args=[a.pk]), "name": a.name, "sha": a.sha256[:12],
         "size": f.number(a.size_bytes)}
        for a in rows
    ]  # fmt: skip


def _crumbs(url_name: str, label: Any) -> list[tuple[Any, str]]:
    return [(_("Oversight"), ""), (label, reverse(url_name))]


# ------------------------------------------------------------------------------------------ tasks


def _task(request: HttpRequest, pk: int) -> Task:
    task = selectors.task_list(scope=scope(request)).prefetch_related("responsible_units").filter(pk=pk).first()
    if task is None:
        raise Http404
    return task


def task_actions(request: HttpRequest, task: Task) -> list[str]:
    """The actions this user may take on the task now (the services' roles and transitions)."""
    staff = _is_staff(request)
    out = []
    for action in ("start", "complete"):
        if task.status in TASK_TRANSITIONS[action][0]:
            out.append(action)
    if task.status in (TaskStatus.NOT_STARTED, TaskStatus.IN_PROGRESS):
        out.append("progress")
    if staff and task.status in TASK_TRANSITIONS["sign_off"][0]:
        out += ["sign_off", "return"]
    if staff and task.status not in (TaskStatus.SIGNED_OFF,):
        out.append("milestone")
    return out


def _task_page(request: HttpRequest, task: Task, form: dict[str, Any] | None = None, status: int = 200) -> HttpResponse:
    sc = scope(request)
    actions = task_actions(request, task)
    today = _today()
    milestones = list(task.milestones.order_by("due_on", "id"))
    ms_rows = [
        {"id": m.pk, "kind": m.get_kind_display(), "title": m.title, "due": f.day(m.due_on),
         "status": m.get_status_display(), "done": f.day(m.done_on), "note": m.note,
         "overdue": m.status == MilestoneStatus.PENDING and m.due_on < today,
         "may_complete": m.status == MilestoneStatus.PENDING and task.status != TaskStatus.SIGNED_OFF}
        for m in milestones
    ]  # fmt: skip
    reports = list(selectors.progress_list(scope=sc).filter(task=task).order_by("at", "id"))
    by_id = {m.pk: m.title for m in milestones}
    progress = [
        {"at": f.when(p.at), "who": unit_name(p.author), "milestone": by_id.get(p.milestone_id or 0, ""),
         "text": p.text, "files": _attachments(p.attachments.all())}
        for p in reports
    ]  # fmt: skip
    orders = [
        {"url": reverse("console:oversight_order_detail", args=[o.pk]), "number": o.number,
         "due": f.day(o.reply_due), "replied": f.when(o.replied_at)}
        for o in selectors.order_list(scope=sc).filter(Q(task=task) | Q(milestone__task=task)).order_by("issued_at")
    ]  # fmt: skip
    figures = _figures(
        (_("Inspection round"), task.finding.round.name),
        (_("Finding"), f"{task.finding.code} · {task.finding.get_category_display()}"),
        (_("Division"), task.finding.division.name),
        (_("Lead unit"), unit_name(task.lead_unit)),
        (_("Responsible units"), "、".join(unit_name(u) for u in task.responsible_units.all()) or "—"),
        (_("Starts on"), f.day(task.starts_on)),
        (_("Deadline"), f.day(task.deadline)),
        (_("Status"), task.get_status_display()),
        (_("Review"), task.get_review_display()),
        (_("Timeliness"), timeliness_label(getattr(task, "timeliness", None))),
        (_("Completed on"), f.day(task.completed_on)),
        (_("Signed off (Beijing)"), f.when(task.signed_off_at)),
        (_("Times reopened"), task.reopened_count),
    )
    context = {
        "task": task, "figures": figures, "milestones": ms_rows, "progress": progress, "orders": orders,
        "history": _audit("oversight.task", [task.pk])
        + _audit("oversight.milestone", [m.pk for m in milestones], {str(m.pk): m.title for m in milestones}),
        "actions": actions, "form": form or {}, "today": today.isoformat(),
        "milestone_choices": [(m.pk, m.title) for m in milestones if m.status == MilestoneStatus.PENDING],
        "kind_choices": MilestoneKind.choices, "overdue": getattr(task, "timeliness", None) == Timeliness.OVERDUE,
        "urls": {a: reverse("console:oversight_task_action", args=[task.pk, a]) for a in TASK_DONE},
    }  # fmt: skip
    return page(request, "console/oversight/task.html", context, title=f"{task.code} {task.title}",
                crumbs=_crumbs("console:oversight_task_list", _("Rectification tasks")), status=status)  # fmt: skip


@console_page("console:oversight_task_list")
def task_detail(request: HttpRequest, pk: int) -> HttpResponse:
    return _task_page(request, _task(request, pk))


TASK_DONE = {
    "start": gettext_lazy("The task is started."),
    "progress": gettext_lazy("The progress report is recorded."),
    "complete": gettext_lazy("The task is reported completed and waits for the office's review."),
    "return": gettext_lazy("The task is returned to the unit."),
    "sign_off": gettext_lazy("The task is signed off."),
    "milestone": gettext_lazy("The milestone is added."),
    "milestone_complete": gettext_lazy("The milestone is done."),
}


@require_POST
@console_page("console:oversight_task_list")
def task_action(request: HttpRequest, pk: int, action: str) -> HttpResponse:
    if action not in TASK_DONE:
        raise Http404
    task = _task(request, pk)
    user, post = request.user, request.POST

    def call() -> Any:
        if action == "start":
            return services.task_start(actor=user, task=task)
        if action == "progress":
            milestone = None
            if post.get("milestone"):
                milestone = Milestone.objects.filter(task=task, pk=_int(post["milestone"], "milestone")).first()
                if milestone is None:
                    raise FormError("milestone", _("Not a milestone of this task."))
            return services.progress_report(actor=user, task=task, text=post.get("text", ""), milestone=milestone,
                                            files=request.FILES.getlist("files"))  # fmt: skip
        if action == "complete":
            return services.task_complete(actor=user, task=task, completed_on=_req(_date(request, "completed_on")),
                                          note=post.get("note", ""))  # fmt: skip
        if action == "return":
            return services.task_return(actor=user, task=task, reason=post.get("reason", ""))
        if action == "sign_off":
            return services.task_sign_off(actor=user, task=task, note=post.get("note", ""))
        if action == "milestone":
            due_on = _req(_date(request, "due_on"))
            return services.milestone_add(actor=user, task=task, kind=post.get("kind", ""),
                                          title=post.get("title", ""), due_on=due_on)  # fmt: skip
        milestone = Milestone.objects.filter(task=task, pk=_int(post.get("milestone", ""), "milestone")).first()
        if milestone is None:
            raise FormError("milestone", _("Not a milestone of this task."))
        return services.milestone_complete(actor=user, milestone=milestone, done_on=_req(_date(request, "done_on")),
                                           note=post.get("note", ""))  # fmt: skip

    back = reverse("console:oversight_task_detail", args=[task.pk])
    return _run(request, action, call, done=TASK_DONE[action], back=back,
                render=lambda form, status: _task_page(request, _task(request, pk), form, status))  # fmt: skip


def _req(value: dt.date | None) -> dt.date:
    assert value is not None  # noqa: S101 - _date(required=True) raised otherwise
    return value


def _int(raw: str, name: str) -> int:
    if not str(raw).isdigit():
        raise FormError(name, _("Choose one."))
    return int(raw)


# ------------------------------------------------------------------------------------------ petitions


def _petition(request: HttpRequest, pk: int) -> Petition:
    petition = selectors.petition_list(scope=scope(request)).filter(pk=pk).first()
    if petition is None:
        raise Http404
    return petition


def petition_actions(request: HttpRequest, p: Petition) -> list[str]:
    out = []
    if p.status != PetitionStatus.CLOSED and p.review != ReviewState.SUBMITTED:
        out.append("submit")
    if _is_staff(request):
        if p.review == ReviewState.SUBMITTED:
            out += ["accept", "return"]
        if p.case_id is None:
            out.append("open_case")
    return out


def _petition_page(request: HttpRequest, p: Petition, form: dict[str, Any] | None = None,
                   status: int = 200) -> HttpResponse:  # fmt: skip
    figures = _figures(
        (_("Inspection round"), p.batch.round.name),
        (_("Batch"), _("No. %(n)s, received %(day)s") % {"n": p.batch.number, "day": f.day(p.batch.received_on)}),
        (_("Channel"), p.get_channel_display()),
        (_("Category"), p.get_category_display()),
        (_("Division"), p.division.name),
        (_("Unit"), unit_name(p.unit)),
        (_("Deadline"), f.day(p.deadline)),
        (_("Status"), p.get_status_display()),
        (_("Review"), p.get_review_display()),
        (_("Substantiated"), p.get_substantiated_display() or "—"),
        (_("Closed on"), f.day(p.closed_on)),
        (_("Publicly disclosed"), f.yes_no(p.public)),
        (_("Reach"), f"{p.reach.code} {p.reach.name}" if p.reach is not None else "—"),
    )
    overdue = p.status != PetitionStatus.CLOSED and p.deadline < _today()
    geo = ""
    if p.location is not None:
        geo = to_json({"point": {"type": "Point", "coordinates": list(p.location.coords)},
                       "reach": _geojson(p.reach.geometry) if p.reach is not None else None,
                       "labels": {"point": _("Petition"), "reach": _("Reach")}})  # fmt: skip
    case_url = ""
    if p.case_id and user_role(request.user) in STAFF:
        case_url = reverse("console:case_detail", args=[p.case_id])
    context = {
        "petition": p, "figures": figures, "overdue": overdue, "geo_json": geo, "map_include": "",
        "files": _attachments(p.attachments.all()), "history": _audit("oversight.petition", [p.pk]),
        "actions": petition_actions(request, p), "form": form or {}, "today": _today().isoformat(),
        "case_url": case_url, "case_id": p.case_id,
        "substantiated_choices": Substantiated.choices,
        "status_choices": [(PetitionStatus.CLOSED, PetitionStatus.CLOSED.label),
                           (PetitionStatus.STAGE_CLOSED, PetitionStatus.STAGE_CLOSED.label)],
        "case_choices": CaseCategory.choices,
        "urls": {a: reverse("console:oversight_petition_action", args=[p.pk, a]) for a in PETITION_DONE},
    }  # fmt: skip
    return page(request, "console/oversight/petition.html", context, title=_("Petition %(n)s") % {"n": p.number},
                crumbs=_crumbs("console:oversight_petition_list", _("Petitions")), status=status)  # fmt: skip


def _geojson(geom: Any) -> Any:
    import json

    return json.loads(geom.json) if geom is not None else None


@console_page("console:oversight_petition_list")
def petition_detail(request: HttpRequest, pk: int) -> HttpResponse:
    return _petition_page(request, _petition(request, pk))


PETITION_DONE = {
    "submit": gettext_lazy("The result is submitted for the office's review."),
    "accept": gettext_lazy("The result is accepted."),
    "return": gettext_lazy("The result is returned to the unit."),
    "open_case": gettext_lazy("A four-chaos case is opened for the petition."),
}


@require_POST
@console_page("console:oversight_petition_list")
def petition_action(request: HttpRequest, pk: int, action: str) -> HttpResponse:
    if action not in PETITION_DONE:
        raise Http404
    p = _petition(request, pk)
    user, post = request.user, request.POST

    def call() -> Any:
        if action == "submit":
            return services.petition_submit(
                actor=user, petition=p, result=post.get("result", ""), substantiated=post.get("substantiated", ""),
                measures=post.get("measures", ""), reply=post.get("reply", ""), status=post.get("status", ""),
                files=request.FILES.getlist("files"),
            )  # fmt: skip
        if action == "accept":
            return services.petition_accept(actor=user, petition=p, closed_on=_date(request, "closed_on",
                                                                                     required=False),
                                            note=post.get("note", ""))  # fmt: skip
        if action == "return":
            return services.petition_return(actor=user, petition=p, reason=post.get("reason", ""))
        reach = None
        if post.get("reach", "").strip():
            reach = Reach.objects.filter(code=post["reach"].strip()).first()
            if reach is None:
                raise FormError("reach", _("No such reach."))
        location = None
        lon, lat = post.get("lon", "").strip(), post.get("lat", "").strip()
        if lon or lat:
            try:
                location = Point(float(lon), float(lat), srid=WGS84_SRID)
            except ValueError:
                raise FormError("lon", _("Give longitude and latitude together, in degrees.")) from None
        return services.petition_open_case(actor=user, petition=p, category=post.get("category", ""), reach=reach,
                                           location=location)  # fmt: skip

    back = reverse("console:oversight_petition_detail", args=[p.pk])
    return _run(request, action, call, done=PETITION_DONE[action], back=back,
                render=lambda form, status: _petition_page(request, _petition(request, pk), form, status))  # fmt: skip


@console_page("console:oversight_petition_import")
def petition_import(request: HttpRequest) -> HttpResponse:
    """The hand-over sheet (XLSX, or CSV in UTF-8 or GB 18030): refused whole with every bad row named."""
    rounds = list(InspectionRound.objects.order_by("-started_on", "code"))
    errors: list[str] = []
    status = 200
    if request.method == "POST":
        try:
            result = _import(request, rounds)
        except Forbidden as exc:
            raise PermissionDenied from exc
        except (ServiceError, FormError) as exc:
            status = int(getattr(exc, "status_code", 400))
            fields = _field_errors(exc)
            errors = [f"{k}: {' '.join(v)}" if k != "form" else " ".join(v) for k, v in fields.items()]
        else:
            messages.success(request, _("Batch %(batch)s: %(created)s petitions created, %(unchanged)s already "
                                         "stored unchanged.") % {"batch": result.batch.number,
                                                                 "created": result.created,
                                                                 "unchanged": result.unchanged})  # fmt: skip
            return HttpResponseRedirect(reverse("console:oversight_petition_list")
                                        + f"?round={result.batch.round.code}&batch={result.batch.number}")  # fmt: skip
    context = {"rounds": rounds, "errors": errors, "values": request.POST, "columns": handover.COLUMNS,
               "required": handover.REQUIRED}  # fmt: skip
    return page(request, "console/oversight/import.html", context, title=_("Import a hand-over batch"),
                crumbs=_crumbs("console:oversight_petition_list", _("Petitions")), status=status)  # fmt: skip


def _import(request: HttpRequest, rounds: list[InspectionRound]) -> services.ImportResult:
    post = request.POST
    rnd = next((r for r in rounds if r.code == post.get("round")), None)
    if rnd is None:
        raise FormError("round", _("Choose a round."))
    batch = post.get("batch", "").strip()
    if not batch.isdigit():
        raise FormError("batch", _("A batch number from 1."))
    received_on = _req(_date(request, "received_on"))
    upload = request.FILES.get("file")
    if upload is None:
        raise FormError("file", _("Choose the sheet (.xlsx or .csv)."))
    rows = handover.read_upload(upload.read(), filename=upload.name or "")
    return services.petition_import(actor=request.user, scope=scope(request), round=rnd, batch_number=int(batch),
                                    received_on=received_on, rows=rows)  # fmt: skip


@console_page("console:oversight_petition_list")
def attachment(request: HttpRequest, pk: int) -> Any:
    """An attachment of a progress report or a petition the caller may see (else 404)."""
    sc = scope(request)
    att = Attachment.objects.filter(pk=pk).first()
    if att is None:
        raise Http404
    if att.progress_id is not None:
        visible = selectors.progress_list(scope=sc).filter(pk=att.progress_id).exists()
    else:
        visible = selectors.petition_list(scope=sc).filter(pk=att.petition_id or 0).exists()
    if not visible:
        raise Http404
    return FileResponse(att.file.open("rb"), content_type=att.content_type, as_attachment=True, filename=att.name)


# ------------------------------------------------------------------------------------------ orders, circulars


def _order(request: HttpRequest, pk: int) -> SupervisionOrder:
    order = selectors.order_list(scope=scope(request)).filter(pk=pk).first()
    if order is None:
        raise Http404
    return order


def _order_page(request: HttpRequest, o: SupervisionOrder, form: dict[str, Any] | None = None,
                status: int = 200) -> HttpResponse:  # fmt: skip
    item_url = ""
    if o.task_id:
        item_url = reverse("console:oversight_task_detail", args=[o.task_id])
    elif o.milestone is not None:
        item_url = reverse("console:oversight_task_detail", args=[o.milestone.task_id])
    elif o.petition_id:
        item_url = reverse("console:oversight_petition_detail", args=[o.petition_id])
    figures = _figures(
        (_("Subject"), o.get_subject_display()), (_("Item"), order_item(o)), (_("Unit"), unit_name(o.unit)),
        (_("Division"), o.division.name), (_("Issued (Beijing)"), f.when(o.issued_at)),
        (_("Reply due"), f.day(o.reply_due)), (_("Replied (Beijing)"), f.when(o.replied_at)),
    )  # fmt: skip
    context = {"order": o, "figures": figures, "item_url": item_url, "form": form or {},
               "may_reply": o.replied_at is None, "history": _audit("oversight.supervisionorder", [o.pk]),
               "overdue": o.replied_at is None and o.reply_due < _today()}  # fmt: skip
    return page(request, "console/oversight/order.html", context, title=_("Supervision order %(n)s") % {"n": o.number},
                crumbs=_crumbs("console:oversight_order_list", _("Supervision orders")), status=status)  # fmt: skip


@console_page("console:oversight_order_list")
def order_detail(request: HttpRequest, pk: int) -> HttpResponse:
    return _order_page(request, _order(request, pk))


@require_POST
@console_page("console:oversight_order_list")
def order_reply(request: HttpRequest, pk: int) -> HttpResponse:
    o = _order(request, pk)
    return _run(request, "reply", lambda: services.order_reply(actor=request.user, order=o,
                                                                 reply=request.POST.get("reply", "")),
                done=_("The reply is sent."), back=reverse("console:oversight_order_detail", args=[o.pk]),
                render=lambda form, status: _order_page(request, _order(request, pk), form, status))  # fmt: skip


def _circular(request: HttpRequest, pk: int) -> Any:
    c = selectors.circular_list(scope=scope(request)).filter(pk=pk).first()
    if c is None:
        raise Http404
    return c


def _circular_page(request: HttpRequest, c: Any, form: dict[str, Any] | None = None,
                   status: int = 200) -> HttpResponse:  # fmt: skip
    content = c.figures or {}
    units = content.get("units") if isinstance(content, dict) else None
    figures = _figures(
        (_("Period start"), f.day(c.first_date)), (_("Period end"), f.day(c.last_date)),
        (_("Division"), c.division_code or "—"), (_("Status"), c.get_status_display()),
        (_("Signed (Beijing)"), f.when(c.signed_at)), (_("SHA-256 of the PDF"), c.pdf_sha256[:16] + "…"),
    )  # fmt: skip
    rows = [
        {"name": u.get("name") or u.get("unit"), "tasks": len(u.get("tasks", [])),
         "milestones": len(u.get("milestones", [])), "petitions": len(u.get("petitions", [])),
         "total": u.get("total", 0)}
        for u in units or []
    ]  # fmt: skip
    context = {"circular": c, "figures": figures, "rows": rows, "form": form or {},
               "pdf_url": reverse("oversight:circular-pdf", args=[c.pk]),
               "may_sign": c.status == "draft" and _is_staff(request)}  # fmt: skip
    return page(request, "console/oversight/circular.html", context, title=c.title or c.number,
                crumbs=_crumbs("console:oversight_circular_list", _("Circulars")), status=status)  # fmt: skip


@console_page("console:oversight_circular_list")
def circular_detail(request: HttpRequest, pk: int) -> HttpResponse:
    return _circular_page(request, _circular(request, pk))


@require_POST
@console_page("console:oversight_circular_list")
def circular_sign(request: HttpRequest, pk: int) -> HttpResponse:
    c = _circular(request, pk)
    return _run(request, "sign", lambda: services.circular_sign(actor=request.user, circular=c),
                done=_("The circular is signed; it can no longer change."),
                back=reverse("console:oversight_circular_detail", args=[c.pk]),
                render=lambda form, status: _circular_page(request, _circular(request, pk), form, status))  # fmt: skip


@console_page("console:oversight_circular_new")
def circular_new(request: HttpRequest) -> HttpResponse:
    """Generate a circular (通报) of the overdue items by unit for a period, as a PDF draft."""
    errors: Errors = {}
    status = 200
    if request.method == "POST":
        created: list[Any] = []

        def call() -> None:
            created.append(services.circular_create(
                actor=request.user, scope=scope(request), first_date=_req(_date(request, "start")),
                last_date=_req(_date(request, "end")), division_code=request.POST.get("division", "").strip(),
                title=request.POST.get("title", "").strip(),
            ))  # fmt: skip

        try:
            call()
        except Forbidden as exc:
            raise PermissionDenied from exc
        except (ServiceError, FormError) as exc:
            errors, status = _field_errors(exc), int(getattr(exc, "status_code", 400))
        else:
            messages.success(request, _("The circular is drafted; read it, then sign it."))
            return HttpResponseRedirect(reverse("console:oversight_circular_detail", args=[created[0].pk]))
    return page(request, "console/oversight/circular_new.html", {"errors": errors, "values": request.POST},
                title=_("New circular"), crumbs=_crumbs("console:oversight_circular_list", _("Circulars")),
                status=status)  # fmt: skip


# ------------------------------------------------------------------------------------------ the unit's inbox


def _overdue_first(qs: QuerySet[Any], due: str, today: dt.date) -> QuerySet[Any]:
    late = Case(When(**{f"{due}__lt": today}, then=Value(0)), default=Value(1), output_field=IntegerField())
    return qs.annotate(late_first=late).order_by("late_first", due, "pk")


@console_page("console:oversight_inbox")
def inbox(request: HttpRequest) -> HttpResponse:
    """成员单位待办: the tasks, milestones, petitions and supervision orders handed to my unit that wait for
    it, overdue first, then by due date; each links to its page and its actions."""
    sc, today = scope(request), _today()
    tasks = _overdue_first(
        selectors.task_list(scope=sc, today=today).exclude(status=TaskStatus.SIGNED_OFF), "deadline", today
    )
    milestones = _overdue_first(
        selectors.milestone_list(scope=sc).filter(status=MilestoneStatus.PENDING)
        .exclude(task__status=TaskStatus.SIGNED_OFF), "due_on", today,
    )  # fmt: skip
    petitions = _overdue_first(
        selectors.petition_list(scope=sc).defer("complaint", "result", "measures", "reply")
        .exclude(status=PetitionStatus.CLOSED), "deadline", today,
    )  # fmt: skip
    orders = _overdue_first(selectors.order_list(scope=sc).defer("text", "reply").filter(replied_at__isnull=True),
                            "reply_due", today)  # fmt: skip
    task_rows = [
        {"url": reverse("console:oversight_task_detail", args=[t.pk]), "code": t.code, "title": t.title,
         "deadline": f.day(t.deadline), "status": t.get_status_display(), "review": t.get_review_display(),
         "overdue": t.deadline < today and t.completed_on is None,
         "todo": _task_todo(t),
         "start_url": reverse("console:oversight_task_action", args=[t.pk, "start"])
         if t.status == TaskStatus.NOT_STARTED else ""}
        for t in tasks[:200]
    ]  # fmt: skip
    ms_rows = [
        {"url": reverse("console:oversight_task_detail", args=[m.task_id]) + "#milestones", "task": m.task.code,
         "title": m.title, "kind": m.get_kind_display(), "due": f.day(m.due_on), "overdue": m.due_on < today}
        for m in milestones[:200]
    ]  # fmt: skip
    petition_rows = [
        {"url": reverse("console:oversight_petition_detail", args=[p.pk]), "number": p.number,
         "category": p.get_category_display(), "division": p.division.name, "deadline": f.day(p.deadline),
         "status": p.get_status_display(), "review": p.get_review_display(), "overdue": p.deadline < today,
         "todo": _("Waiting for the office") if p.review == ReviewState.SUBMITTED else _("Submit the result")}
        for p in petitions[:200]
    ]  # fmt: skip
    order_rows = [
        {"url": reverse("console:oversight_order_detail", args=[o.pk]), "number": o.number,
         "subject": o.get_subject_display(), "item": order_item(o), "due": f.day(o.reply_due),
         "overdue": o.reply_due < today}
        for o in orders[:200]
    ]  # fmt: skip
    counts = {"tasks": tasks.count(), "milestones": milestones.count(), "petitions": petitions.count(),
              "orders": orders.count()}  # fmt: skip
    context = {"tasks": task_rows, "milestones": ms_rows, "petitions": petition_rows, "orders": order_rows,
               "counts": counts, "today": f.day(today), "unit": unit_name(request.user)}  # fmt: skip
    return page(request, "console/oversight/inbox.html", context, title=_("My unit's inbox"))


def _task_todo(t: Task) -> str:
    if t.status == TaskStatus.NOT_STARTED:
        return _("Start it")
    if t.status == TaskStatus.COMPLETED:
        return _("Waiting for the office")
    if t.review == ReviewState.RETURNED:
        return _("Returned: see the reason")
    return _("Report progress or complete it")


# ------------------------------------------------------------------------------------------ routes

LEDGER_ROUTES = {
    "oversight_finding_list": ("oversight/findings/", "oversight_findings"),
    "oversight_task_list": ("oversight/tasks/", "oversight_tasks"),
    "oversight_petition_list": ("oversight/petitions/", "oversight_petitions"),
    "oversight_order_list": ("oversight/orders/", "oversight_orders"),
    "oversight_circular_list": ("oversight/circulars/", "oversight_circulars"),
}

urlpatterns = [
    *[path(route, ledger_view(name, slug), name=name) for name, (route, slug) in LEDGER_ROUTES.items()],
    path("oversight/inbox/", inbox, name="oversight_inbox"),
    path("oversight/tasks/<int:pk>/", task_detail, name="oversight_task_detail"),
    path("oversight/tasks/<int:pk>/<str:action>/", task_action, name="oversight_task_action"),
    path("oversight/petitions/import/", petition_import, name="oversight_petition_import"),
    path("oversight/petitions/<int:pk>/", petition_detail, name="oversight_petition_detail"),
    path("oversight/petitions/<int:pk>/<str:action>/", petition_action, name="oversight_petition_action"),
    path("oversight/attachments/<int:pk>/", attachment, name="oversight_attachment"),
    path("oversight/orders/<int:pk>/", order_detail, name="oversight_order_detail"),
    path("oversight/orders/<int:pk>/reply/", order_reply, name="oversight_order_reply"),
    path("oversight/circulars/new/", circular_new, name="oversight_circular_new"),
    path("oversight/circulars/<int:pk>/", circular_detail, name="oversight_circular_detail"),
    path("oversight/circulars/<int:pk>/sign/", circular_sign, name="oversight_circular_sign"),
]
