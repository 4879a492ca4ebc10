"""Periodic jobs of the kernel."""

from celery import shared_task

from core.services import idempotency_purge_expired as _purge


@shared_task(name="core.tasks.idempotency_purge_expired", time_limit=300, soft_time_limit=240)
def idempotency_purge_expired() -> int:
    return _purge()
