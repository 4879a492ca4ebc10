"""成员单位待办: the member unit's inbox."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.db.models import Case, IntegerField, QuerySet, Value, When
from django.http import HttpRequest, HttpResponse
from django.urls import reverse
from django.utils.translation import gettext as _

from console import formats as f
from console.ledgers.oversight import order_item, unit_name
from console.views.base import console_page, page, scope
from console.views.oversight.common import (
    _today,
)
from oversight import selectors
from oversight.choices import (
    MilestoneStatus,
    PetitionStatus,
    ReviewState,
    TaskStatus,
)
from oversight.models import Task


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
        selectors.milestone_list(scope=sc)
        .filter(status=MilestoneStatus.PENDING)
        .exclude(task__status=TaskStatus.SIGNED_OFF),
        "due_on",
        today,
    )
    petitions = _overdue_first(
        selectors.petition_list(scope=sc)
        .defer("complaint", "result", "measures", "reply")
        .exclude(status=PetitionStatus.CLOSED),
        "deadline",
        today,
    )
    orders = _overdue_first(
        selectors.order_list(scope=sc).defer("text", "reply").filter(replied_at__isnull=True), "reply_due", today
    )
    task_rows = [
        {
            "url": reverse("console:oversight_task_detail", args=[t.pk]),
            "code": t.code,
            "title": t.title,
            "deadline": f.day(t.deadline),
            "status": t.get_status_display(),
            "review": t.get_review_display(),
            "overdue": t.deadline < today and t.completed_on is None,
            "todo": _task_todo(t),
            "start_url": reverse("console:oversight_task_action", args=[t.pk, "start"])
            if t.status == TaskStatus.NOT_STARTED
            else "",
        }
        for t in tasks[:200]
    ]
    ms_rows = [
        {
            "url": reverse("console:oversight_task_detail", args=[m.task_id]) + "#milestones",
            "task": m.task.code,
            "title": m.title,
            "kind": m.get_kind_display(),
            "due": f.day(m.due_on),
            "overdue": m.due_on < today,
        }
        for m in milestones[:200]
    ]
    petition_rows = [
        {
            "url": reverse("console:oversight_petition_detail", args=[p.pk]),
            "number": p.number,
            "category": p.get_category_display(),
            "division": p.division.name,
            "deadline": f.day(p.deadline),
            "status": p.get_status_display(),
            "review": p.get_review_display(),
            "overdue": p.deadline < today,
            "todo": _("Waiting for the office") if p.review == ReviewState.SUBMITTED else _("Submit the result"),
        }
        for p in petitions[:200]
    ]
    order_rows = [
        {
            "url": reverse("console:oversight_order_detail", args=[o.pk]),
            "number": o.number,
            "subject": o.get_subject_display(),
            "item": order_item(o),
            "due": f.day(o.reply_due),
            "overdue": o.reply_due < today,
        }
        for o in orders[:200]
    ]
    counts = {
        "tasks": tasks.count(),
        "milestones": milestones.count(),
        "petitions": petitions.count(),
        "orders": orders.count(),
    }
    context = {
        "tasks": task_rows,
        "milestones": ms_rows,
        "petitions": petition_rows,
        "orders": order_rows,
        "counts": counts,
        "today": f.day(today),
        "unit": unit_name(request.user),
    }
    return page(request, "console/oversight/inbox.html", context, title=_("My unit's inbox"))


def _task_todo(t: Task) -> str:
    if t.status == TaskStatus.NOT_STARTED:
        return _("Start it")
    if t.status == TaskStatus.COMPLETED:
        return _("Waiting for the office")
    if t.review == ReviewState.RETURNED:
        return _("Returned: see the reason")
    return _("Report progress or complete it")
