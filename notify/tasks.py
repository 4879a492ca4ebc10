"""Celery tasks of the notify app: each takes ids (or nothing), calls services, is idempotent.

`deliver_batch` is queued on commit by `event_raise`; a failed try schedules itself again after the
back-off; `outbox_relay` (beat, every minute) requeues whatever is due and was not queued or was
lost (quiet hours ended, a worker died mid-send, a queue message lost), so the outbox never loses a
row; the delivery service's claim makes a duplicate queue message harmless.
"""

from __future__ import annotations

from celery import shared_task

from notify import conf, services


def _schedule(notification_id: int, result: services.DeliveryResult) -> None:
    if result.retry_in is not None:
        deliver.apply_async(args=(notification_id,), countdown=result.retry_in)


@shared_task(name="notify.tasks.deliver", acks_late=True, time_limit=120, soft_time_limit=100)
def deliver(notification_id: int) -> str:
    result = services.notification_deliver(notification_id=notification_id)
    _schedule(notification_id, result)
    return result.status


@shared_task(name="notify.tasks.deliver_batch", acks_late=True, time_limit=600, soft_time_limit=570)
def deliver_batch(notification_ids: list[int]) -> int:
    """Send the rows of one event and, in the same claim, other due rows up to NOTIFY_DELIVER_BATCH:
    a worker drains the outbox in batches, and the tasks of rows already sent cost one claim that
    finds nothing."""
    size = conf.deliver_batch()
    results = services.notifications_deliver(ids=notification_ids, extra=max(size - len(notification_ids), 0))
    for nid, result in results.items():
        _schedule(nid, result)
    return sum(r.status == "delivered" for r in results.values())


@shared_task(name="notify.tasks.outbox_relay", time_limit=120, soft_time_limit=100)
def outbox_relay() -> int:
    ids = services.outbox_due()
    for start in range(0, len(ids), 50):
        deliver_batch.delay(ids[start : start + 50])
    return len(ids)


@shared_task(name="notify.tasks.digest_send", time_limit=300, soft_time_limit=270)
def digest_send() -> int:
    return services.digest_compose()


@shared_task(name="notify.tasks.escalation_run", time_limit=600, soft_time_limit=540)
def escalation_run() -> int:
    return services.escalation_run()
