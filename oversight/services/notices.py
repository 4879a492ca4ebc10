"""What the oversight app tells people through notify (issue 17): a rectification task, milestone or
petition past its deadline, and a supervision order issued. Events are raised in the transaction of
the change (the order) or by the hourly job (overdue, idempotent by key); notify never imports
oversight, so the row's own people are resolved here.

Own people of an item: the member units it is handed to (a task's lead and responsible units, a
petition's or an order's unit) and the office responsible for it — the reviewers of the lowest
division at or above the item's that has any (a district's office for a district finding, else the
city's). Others are reached by notify's rules. Any step a unit or the office takes on an item
(`acted`) stops the escalation of its overdue event.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.db import transaction
from django.utils import timezone

from accounts.choices import Role
from accounts.models import User
from core.periods import BEIJING
from notify.choices import EventType
from notify.models import Event
from notify.services import ancestors, event_raise, subject_acted
from oversight.choices import MilestoneStatus, PetitionStatus, TaskStatus
from oversight.models import Milestone, Petition, SupervisionOrder, Task

TASK, MILESTONE, PETITION = "oversight.task", "oversight.milestone", "oversight.petition"
ORDER = "oversight.supervisionorder"
API = "/api/v1/oversight"


def office(division_code: str) -> list[int]:
    """The reviewers of the lowest division at or above `division_code` that has active reviewers."""
    chain = ancestors(division_code)
    found: dict[str, list[int]] = {}
    for pk, code in User.objects.filter(role=Role.REVIEWER, is_active=True, jurisdiction__in=chain).values_list(
        "pk", "jurisdiction"
    ):
        found.setdefault(code, []).append(pk)
    return next((sorted(found[c]) for c in chain if c in found), [])


def _task_units(task: Task) -> set[int]:
    return {task.lead_unit_id, *task.responsible_units.values_list("pk", flat=True)}


def acted(subject_type: str, subject_id: Any) -> None:
    """A step taken on an item (started, progress, completed, returned, signed off, submitted …):
    its overdue event stops escalating."""
    subject_acted(subject_type=subject_type, subject_id=subject_id)


def _deadline(d: dt.date) -> str:
    return d.isoformat()


def task_key(task: Task) -> str:
    return f"oversight_task_overdue:{task.pk}:{task.reopened_count}"


def milestone_key(milestone: Milestone) -> str:
    return f"oversight_milestone_overdue:{milestone.pk}"


def petition_key(petition: Petition) -> str:
    return f"petition_overdue:{petition.pk}:{petition.reopened_count}"


def task_overdue(task: Task, *, at: dt.datetime) -> None:
    code = task.finding.division.code
    event_raise(
        type=EventType.OVERSIGHT_TASK_OVERDUE,
        division_code=code,
        subject_type=TASK,
        subject_id=task.pk,
        figures={
            "task": task.code,
            "unit": task.lead_unit.display_name or task.lead_unit.username,
            "deadline": _deadline(task.deadline),
        },
        people={*_task_units(task), *office(code)},
        link=f"{API}/tasks/{task.pk}/",
        key=task_key(task),
        at=at,
    )


def milestone_overdue(milestone: Milestone, *, at: dt.datetime) -> None:
    task = milestone.task
    code = task.finding.division.code
    event_raise(
        type=EventType.OVERSIGHT_MILESTONE_OVERDUE,
        division_code=code,
        subject_type=MILESTONE,
        subject_id=milestone.pk,
        link=f"{API}/milestones/{milestone.pk}/",
        figures={
            "task": task.code,
            "milestone": milestone.title,
            "unit": task.lead_unit.display_name or task.lead_unit.username,
            "deadline": _deadline(milestone.due_on),
        },
        people={*_task_units(task), *office(code)},
        key=milestone_key(milestone),
        at=at,
    )


def petition_overdue(petition: Petition, *, at: dt.datetime) -> None:
    code = petition.division.code
    event_raise(
        type=EventType.PETITION_OVERDUE,
        division_code=code,
        subject_type=PETITION,
        subject_id=petition.pk,
        figures={
            "petition": petition.number,
            "unit": petition.unit.display_name or petition.unit.username,
            "deadline": _deadline(petition.deadline),
        },
        people={petition.unit_id, *office(code)},
        link=f"{API}/petitions/{petition.pk}/",
        key=petition_key(petition),
        at=at,
    )


def order_issued(order: SupervisionOrder) -> None:
    """督办: the unit and the office are told, in the order's transaction."""
    code = order.division.code
    event_raise(
        type=EventType.SUPERVISION_ORDER_ISSUED,
        division_code=code,
        subject_type=ORDER,
        subject_id=order.pk,
        figures={
            "order": order.number,
            "unit": order.unit.display_name or order.unit.username,
            "deadline": _deadline(order.reply_due),
        },
        people={order.unit_id, order.issued_by_id, *office(code)},
        link=f"{API}/orders/{order.pk}/",
        at=order.issued_at,
    )


def overdue_notify(*, now: dt.datetime | None = None) -> int:
    """Beat, hourly: every open task, pending milestone (of an open task) and unclosed petition past
    its deadline (a Beijing date before today) raises its overdue event once (a reopened item once
    more). Items already told are skipped with one query per kind. Returns how many were raised."""
    now = now or timezone.now()
    today = now.astimezone(BEIJING).date()
    open_task = [TaskStatus.NOT_STARTED, TaskStatus.IN_PROGRESS]
    kinds: list[tuple[Any, Any, Any]] = [
        (
            Task.objects.filter(status__in=open_task, deadline__lt=today).select_related(
                "finding__division", "lead_unit"
            ),
            task_key,
            task_overdue,
        ),
        (
            Milestone.objects.filter(
                status=MilestoneStatus.PENDING, due_on__lt=today, task__status__in=open_task
            ).select_related("task__finding__division", "task__lead_unit"),
            milestone_key,
            milestone_overdue,
        ),
        (
            Petition.objects.exclude(status=PetitionStatus.CLOSED)
            .filter(deadline__lt=today)
            .select_related("division", "unit"),
            petition_key,
            petition_overdue,
        ),
    ]
    raised = 0
    for qs, key_of, raise_one in kinds:
        items = {key_of(item): item for item in qs.order_by("pk")}
        told = set(Event.objects.filter(key__in=list(items)).values_list("key", flat=True))
        for key, item in items.items():
            if key in told:
                continue
            with transaction.atomic():
                raise_one(item, at=now)
            raised += 1
    return raised
