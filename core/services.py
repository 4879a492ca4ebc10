"""Writes of the kernel."""

from __future__ import annotations

from core.api.idempotency import idempotency_cutoff
from core.models import IdempotencyRecord


def idempotency_purge_expired() -> int:
    """Delete stored responses older than IDEMPOTENCY_TTL_HOURS; returns how many."""
    deleted, _ = IdempotencyRecord.objects.filter(created_at__lt=idempotency_cutoff()).delete()
    return deleted
