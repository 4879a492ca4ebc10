"""Delivery: claim due notifications, send them through their channel backends, record attempts and retries."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from django.db import transaction
from django.db.models import Case, F, Q, Value, When
from django.utils import timezone

from notify import conf, sql
from notify.channels import Answer, Message, backend
from notify.choices import (
    AttemptOutcome,
    Channel,
    NotificationStatus,
)
from notify.models import DeliveryAttempt, Notification


def _message(n: Notification) -> Message:
    secret = n.rule.webhook_secret if n.rule_id and n.rule and n.channel == Channel.DINGTALK else ""
    url = f"{conf.site_url()}{n.link}" if n.link.startswith("/") else n.link
    return Message(uid=str(n.uid), title=n.title, body=n.body, link=url, address=n.address, secret=secret)


@dataclass(frozen=True, slots=True)
class DeliveryResult:
    status: str
    retry_in: float | None = None  # seconds until the next try, when one is scheduled


def notification_deliver(*, notification_id: int, now: dt.datetime | None = None) -> DeliveryResult:
    """Try to send one outbox row (`notifications_deliver` for one id)."""
    return notifications_deliver(ids=[notification_id], now=now)[notification_id]


def _claim(ids: Sequence[int], *, start: dt.datetime, extra: int) -> list[int]:
    lease = start + conf.send_lease()
    if sql.postgres():
        return sql.claim(ids, now=start, lease_until=lease, extra=extra)
    # SQLite (development): one conditional UPDATE per row; its count says whether this call won it.
    claimable = Q(status=NotificationStatus.PENDING, due_at__lte=start) | Q(
        status=NotificationStatus.SENDING, lease_until__lt=start
    )
    due = Notification.objects.filter(claimable).exclude(channel=Channel.INBOX)
    candidates = list(
        dict.fromkeys([*ids, *(due.order_by("due_at", "pk").values_list("pk", flat=True)[:extra] if extra > 0 else [])])
    )
    return [
        pk
        for pk in candidates
        if due.filter(pk=pk).update(status=NotificationStatus.SENDING, lease_until=lease, attempts=F("attempts") + 1)
    ]


def notifications_deliver(
    *, ids: Sequence[int], now: dt.datetime | None = None, extra: int = 0
) -> dict[int, DeliveryResult]:
    """Try to send outbox rows: `ids`, and up to `extra` other due rows (a worker drains the outbox
    in batches). Each row is claimed first (pending and due, or a send whose lease ran out with its
    worker; on PostgreSQL one UPDATE … FOR UPDATE SKIP LOCKED for the batch), so two workers never
    send it at once and a delivered row is never sent again; every try is logged with the provider's
    answer; then delivered, or pending again after the back-off, or failed with the reason after
    NOTIFY_MAX_ATTEMPTS tries (or at once when retrying cannot help). The answers are recorded
    together, each only where this call still holds the claim. Returns a result per row looked at."""
    start = now or timezone.now()
    claimed = _claim(ids, start=start, extra=extra)
    results: dict[int, DeliveryResult] = {}
    rows = list(Notification.objects.select_related("rule").filter(pk__in=claimed).order_by("pk")) if claimed else []
    attempts = DeliveryAttempt.objects.bulk_create(
        [DeliveryAttempt(notification=r, number=r.attempts, started_at=start) for r in rows]
    )
    if not sql.postgres() or any(a.pk is None for a in attempts):
        by_row = dict(
            DeliveryAttempt.objects.filter(notification_id__in=[r.pk for r in rows], started_at=start).values_list(
                "notification_id", "pk"
            )
        )
        for a, r in zip(attempts, rows, strict=True):
            a.pk = by_row.get(r.pk)
    sent: list[tuple[Notification, DeliveryAttempt, Answer, dt.datetime]] = []
    for row, attempt in zip(rows, attempts, strict=True):
        try:
            answer = backend(row.channel).send(_message(row))
        except Exception as e:  # a bug in an adapter must not leave the row claimed until its lease runs out
            answer = Answer(False, "error", f"{type(e).__name__}: {e}"[:1000])
        sent.append((row, attempt, answer, now or timezone.now()))
    with transaction.atomic():
        delivered = [(r, a, ans, end) for r, a, ans, end in sent if ans.ok]
        for number in {r.attempts for r, *_ in delivered}:
            group = [(r, end) for r, _a, _ans, end in delivered if r.attempts == number]
            # Only the claims this call holds: a worker whose lease ran out and was overtaken writes nothing.
            Notification.objects.filter(
                pk__in=[r.pk for r, _ in group], status=NotificationStatus.SENDING, attempts=number
            ).update(
                status=NotificationStatus.DELIVERED,
                lease_until=None,
                last_error="",
                delivered_at=Case(*[When(pk=r.pk, then=Value(end)) for r, end in group]),
            )
        for row, _a, _ans, _end in delivered:
            results[row.pk] = DeliveryResult(NotificationStatus.DELIVERED)
        for row, _a, answer, end in sent:
            if answer.ok:
                continue
            reason = f"{answer.status}: {answer.text}"[:1000]
            if answer.permanent or row.attempts >= conf.max_attempts():
                status, retry_in = NotificationStatus.FAILED, None
                fields: dict[str, Any] = {"last_error": reason}
            else:
                delay = conf.backoff(row.attempts)
                status, retry_in = NotificationStatus.PENDING, delay.total_seconds()
                fields = {"last_error": reason, "due_at": end + delay}
            Notification.objects.filter(pk=row.pk, status=NotificationStatus.SENDING, attempts=row.attempts).update(
                status=status, lease_until=None, **fields
            )
            results[row.pk] = DeliveryResult(status, retry_in)
        if sent:

            def outcome(row: Notification, answer: Answer) -> str:
                if answer.ok:
                    return AttemptOutcome.DELIVERED
                failed = results[row.pk].status == NotificationStatus.FAILED
                return AttemptOutcome.FAILED if failed else AttemptOutcome.ERROR

            def per_attempt(value: Any) -> Case:
                return Case(*[When(pk=a.pk, then=Value(value(r, a, ans, end))) for r, a, ans, end in sent])

            DeliveryAttempt.objects.filter(pk__in=[a.pk for _r, a, _ans, _e in sent]).update(
                finished_at=per_attempt(lambda r, a, ans, end: end),
                outcome=per_attempt(lambda r, a, ans, end: outcome(r, ans)),
                provider_status=per_attempt(lambda r, a, ans, end: ans.status[:40]),
                provider_answer=per_attempt(lambda r, a, ans, end: ans.text[:1000]),
            )
    # What the rows are now where this call did not claim them, or was overtaken while sending.
    unsure = [int(i) for i in ids if int(i) not in claimed]
    unsure += [r.pk for r, *_ in sent if results[r.pk].status == NotificationStatus.DELIVERED]
    if unsure:
        current = dict(Notification.objects.filter(pk__in=unsure).values_list("pk", "status"))
        for pk in unsure:
            if pk not in current:
                results[pk] = DeliveryResult("missing")
            elif pk not in claimed or current[pk] != NotificationStatus.DELIVERED:
                results[pk] = DeliveryResult(current[pk])
    for row, _a, _ans, _e in sent:  # a retry or failure overtaken by another claim: what the row is now
        if (
            results[row.pk].status != NotificationStatus.DELIVERED
            and not Notification.objects.filter(
                pk=row.pk, status=results[row.pk].status, attempts=row.attempts
            ).exists()
        ):
            results[row.pk] = DeliveryResult(Notification.objects.get(pk=row.pk).status)
    return results


def outbox_due(*, now: dt.datetime | None = None, limit: int = 5000) -> list[int]:
    """Rows the relay must (re)queue: pending and due (after quiet hours, a back-off, or a queue
    message that was lost), or claimed by a worker that died (lease run out)."""
    now = now or timezone.now()
    return list(
        Notification.objects.filter(
            Q(status=NotificationStatus.PENDING, due_at__lte=now)
            | Q(status=NotificationStatus.SENDING, lease_until__lt=now)
        )
        .exclude(channel=Channel.INBOX)
        .order_by("due_at")
        .values_list("pk", flat=True)[:limit]
    )
