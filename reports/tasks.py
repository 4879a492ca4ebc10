"""Celery tasks of the reports app: each takes ids, calls one service, and is idempotent."""

from __future__ import annotations

from celery import shared_task

from reports import services


# The time limits are settings (REPORTS_BUILD_TIME_LIMIT, …), so they are not read here at import: the
# service that queues the build passes them with the message (reports.services.snapshot_request).
@shared_task(name=services.BUILD_TASK, acks_late=True)
def build_snapshot(snapshot_id: int) -> str | None:
    """Build a requested snapshot (a snapshot no longer `building` is left as it is)."""
    snap = services.snapshot_build(snapshot_id=snapshot_id)
    return None if snap is None else snap.status


@shared_task(name="reports.tasks.build_previous_quarter", time_limit=60)
def build_previous_quarter() -> int:
    """Beat, at the start of each quarter: request the city's report of the quarter just closed."""
    return services.previous_quarter_request()
