"""Digests: one message per person and channel for the notifications held until the digest hour."""

from __future__ import annotations

import datetime as dt

from django.db import transaction
from django.utils import timezone

from notify import texts
from notify.choices import (
    EventType,
    NotificationStatus,
)
from notify.models import Event, Notification
from notify.services.events import _dispatch_on_commit


@transaction.atomic
def digest_compose(*, now: dt.datetime | None = None) -> int:
    """Gather each (target, channel)'s held rows that are due into one digest message (an event of
    type digest with its own outbox row, queued on commit); the held rows become `digested` and point
    at it. Returns how many digests were made. Idempotent: a held row is digested once."""
    now = now or timezone.now()
    held = list(
        Notification.objects.select_for_update()
        .filter(status=NotificationStatus.HELD, due_at__lte=now)
        .order_by("target", "channel", "created_at", "pk")
    )
    groups: dict[tuple[str, str], list[Notification]] = {}
    for n in held:
        groups.setdefault((n.target, n.channel), []).append(n)
    made: list[int] = []
    for (target, channel), items in groups.items():
        first = items[0]
        lines = "\n".join(f"{i + 1}. {n.body.splitlines()[0]}" for i, n in enumerate(items[:50]))
        if len(items) > 50:
            lines += f"\n… (+{len(items) - 50})"
        event = Event.objects.create(
            type=EventType.DIGEST,
            key=f"digest:{target}:{channel}:{first.pk}",
            division_code=first.event.division_code,
            subject_type="notify.notification",
            subject_id=str(first.pk),
            figures={"count": len(items), "items": lines},
            occurred_at=now,
        )
        title, body = texts.render(
            event_type=EventType.DIGEST, figures=event.figures, link="", division=event.division_code
        )
        digest = Notification.objects.create(
            event=event,
            rule=first.rule,
            recipient_id=first.recipient_id,
            target=target,
            channel=channel,
            address=first.address,
            title=title,
            body=body,
            status=NotificationStatus.PENDING,
            due_at=now,
        )
        Notification.objects.filter(pk__in=[n.pk for n in items]).update(
            status=NotificationStatus.DIGESTED, digest=digest
        )
        made.append(digest.pk)
    _dispatch_on_commit(made)
    return len(made)
