"""Escalation: an item nobody acted on goes up the chiefs' chain, one step at a time."""

from __future__ import annotations

import datetime as dt

from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from accounts.choices import Role
from core.audit import audit_record
from core.choices import AuditAction
from core.divisions import DivisionLevel, division_level, parent_code
from core.periods import BEIJING
from notify import conf
from notify.choices import (
    ESCALATING_TYPES,
    EventType,
)
from notify.models import EscalationStep, Event
from notify.services.common import User
from notify.services.events import event_raise

_CHIEF_LEVEL = {
    DivisionLevel.VILLAGE: "village",
    DivisionLevel.TOWNSHIP: "township",
    DivisionLevel.COUNTY: "district",
    DivisionLevel.CITY: "city",
    DivisionLevel.PROVINCE: "province",
}


def chiefs_and_office(code: str) -> list[int]:
    """The chiefs of a division (chief accounts whose jurisdiction is the division, and chiefs
    appointed at its level to a reach or lake in it) and its office (its reviewers)."""
    from places.models import ChiefAssignment

    level = _CHIEF_LEVEL[division_level(code)]
    today = timezone.now().astimezone(BEIJING).date()
    ids = set(
        User.objects.filter(is_active=True, role__in=[Role.CHIEF, Role.REVIEWER], jurisdiction=code).values_list(
            "pk", flat=True
        )
    )
    ids |= set(
        ChiefAssignment.objects.filter(level=level, valid_from__lte=today, chief__is_active=True)
        .filter(Q(valid_until__isnull=True) | Q(valid_until__gte=today))
        .filter(Q(reach__division__code=code) | Q(lake__division__code=code))
        .values_list("chief_id", flat=True)
    )
    return sorted(ids)


def escalation_run(*, now: dt.datetime | None = None) -> int:
    """Climb every overdue item nobody has acted on for NOTIFY_ESCALATION_DAYS[its present level]
    days one level up (village → township → district → city), each step recorded and the next
    level's chiefs and office notified. The city is the top. Returns how many steps were taken."""
    now = now or timezone.now()
    steps = 0
    open_events = Event.objects.filter(type__in=list(ESCALATING_TYPES), acted_at__isnull=True).order_by("pk")
    for event in open_events.iterator():
        with transaction.atomic():
            event = Event.objects.select_for_update().get(pk=event.pk)
            if event.acted_at is not None:
                continue
            last = event.escalations.order_by("-step").first()
            current = last.to_division if last else event.division_code
            level = _CHIEF_LEVEL[division_level(current)]
            if level in ("city", "province"):
                continue
            since = event.escalated_at or event.occurred_at
            days = (now - since) / dt.timedelta(days=1)
            if days < conf.escalation_days(level):
                continue
            target = parent_code(current)
            if target is None:
                continue
            to_level = _CHIEF_LEVEL[division_level(target)]
            recipients = chiefs_and_office(target)
            number = (last.step if last else 0) + 1
            item = str(
                event.figures.get("case")
                or event.figures.get("task")
                or event.figures.get("petition")
                or event.subject_id
            )
            notice = event_raise(
                type=EventType.ESCALATED,
                division_code=target,
                subject_type=event.subject_type,
                subject_id=event.subject_id,
                people=recipients,
                link=event.link,
                key=f"escalated:{event.pk}:{number}",
                figures={
                    "item": item,
                    "item_type": str(EventType(event.type).label),
                    "days": int(days),
                    "from_level": level,
                    "to_level": to_level,
                },
                at=now,
            )
            EscalationStep.objects.create(
                event=event,
                step=number,
                subject_type=event.subject_type,
                subject_id=event.subject_id,
                from_division=current,
                from_level=level,
                to_division=target,
                to_level=to_level,
                days_without_action=int(days),
                recipients=recipients,
                at=now,
                notice=notice,
            )
            event.escalated_level, event.escalated_at = to_level, now
            event.save(update_fields=["escalated_level", "escalated_at"])
            audit_record(
                actor="beat:notify.escalation_run",
                action=AuditAction.TRANSITION,
                entity=event.subject_type,
                entity_id=event.subject_id,
                after={"escalated_to": target, "level": to_level, "step": number},
                reason=f"no action for {int(days)} days at {level} level",
            )
            steps += 1
    return steps
