"""Rectification task pages: the task with its milestones, progress, orders and history, and its actions."""

from __future__ import annotations

from typing import Any

from django.db.models import Q
from django.http import Http404, HttpRequest, HttpResponse
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST

from console import formats as f
from console.ledgers.oversight import timeliness_label, unit_name
from console.views.base import console_page, page, scope
from console.views.oversight.common import (
    FormError,
    _attachments,
    _audit,
    _crumbs,
    _date,
    _figures,
    _int,
    _is_staff,
    _req,
    _run,
    _today,
)
from oversight import selectors, services
from oversight.choices import (
    TASK_TRANSITIONS,
    MilestoneKind,
    MilestoneStatus,
    TaskStatus,
    Timeliness,
)
from oversight.models import Milestone, Task


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
        {
            "id": m.pk,
            "kind": m.get_kind_display(),
            "title": m.title,
            "due": f.day(m.due_on),
            "status": m.get_status_display(),
            "done": f.day(m.done_on),
            "note": m.note,
            "overdue": m.status == MilestoneStatus.PENDING and m.due_on < today,
            "may_complete": m.status == MilestoneStatus.PENDING and task.status != TaskStatus.SIGNED_OFF,
        }
        for m in milestones
    ]
    reports = list(selectors.progress_list(scope=sc).filter(task=task).order_by("at", "id"))
    by_id = {m.pk: m.title for m in milestones}
    progress = [
        {
            "at": f.when(p.at),
            "who": unit_name(p.author),
            "milestone": by_id.get(p.milestone_id or 0, ""),
            "text": p.text,
            "files": _attachments(p.attachments.all()),
        }
        for p in reports
    ]
    orders = [
        {
            "url": reverse("console:oversight_order_detail", args=[o.pk]),
            "number": o.number,
            "due": f.day(o.reply_due),
            "replied": f.when(o.replied_at),
        }
        for o in selectors.order_list(scope=sc).filter(Q(task=task) | Q(milestone__task=task)).order_by("issued_at")
    ]
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
        "task": task,
        "figures": figures,
        "milestones": ms_rows,
        "progress": progress,
        "orders": orders,
        "history": _audit("oversight.task", [task.pk])
        + _audit("oversight.milestone", [m.pk for m in milestones], {str(m.pk): m.title for m in milestones}),
        "actions": actions,
        "form": form or {},
        "today": today.isoformat(),
        "milestone_choices": [(m.pk, m.title) for m in milestones if m.status == MilestoneStatus.PENDING],
        "kind_choices": MilestoneKind.choices,
        "overdue": getattr(task, "timeliness", None) == Timeliness.OVERDUE,
        "urls": {a: reverse("console:oversight_task_action", args=[task.pk, a]) for a in TASK_DONE},
    }
    return page(
        request,
        "console/oversight/task.html",
        context,
        title=f"{task.code} {task.title}",
        crumbs=_crumbs("console:oversight_task_list", _("Rectification tasks")),
        status=status,
    )


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
            return services.progress_report(
                actor=user,
                task=task,
                text=post.get("text", ""),
                milestone=milestone,
                files=request.FILES.getlist("files"),
            )
        if action == "complete":
            return services.task_complete(
                actor=user, task=task, completed_on=_req(_date(request, "completed_on")), note=post.get("note", "")
            )
        if action == "return":
            return services.task_return(actor=user, task=task, reason=post.get("reason", ""))
        if action == "sign_off":
            return services.task_sign_off(actor=user, task=task, note=post.get("note", ""))
        if action == "milestone":
            due_on = _req(_date(request, "due_on"))
            return services.milestone_add(
                actor=user, task=task, kind=post.get("kind", ""), title=post.get("title", ""), due_on=due_on
            )
        milestone = Milestone.objects.filter(task=task, pk=_int(post.get("milestone", ""), "milestone")).first()
        if milestone is None:
            raise FormError("milestone", _("Not a milestone of this task."))
        return services.milestone_complete(
            actor=user, milestone=milestone, done_on=_req(_date(request, "done_on")), note=post.get("note", "")
        )

    back = reverse("console:oversight_task_detail", args=[task.pk])
    return _run(
        request,
        action,
        call,
        done=TASK_DONE[action],
        back=back,
        render=lambda form, status: _task_page(request, _task(request, pk), form, status),
    )
