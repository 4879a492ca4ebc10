"""Celery tasks of the console: the dashboard's figures kept warm (console/dashboard.py)."""

from __future__ import annotations

import logging

from celery import shared_task

from console import dashboard
from console.periods import from_text

log = logging.getLogger(__name__)


@shared_task(name="console.tasks.dashboard_refresh", acks_late=True, time_limit=600)
def dashboard_refresh(everything: bool, prefix: str | None, label: str) -> str:
    """Rebuild one jurisdiction's figures of one period (asked by a view that showed stale ones)."""
    sc = dashboard.staff_scope(everything, prefix)
    period = from_text(label)
    try:
        dashboard.build(sc, period)
    finally:
        dashboard.rebuilt(sc, period)
    return period.label


@shared_task(name="console.tasks.dashboard_warm", time_limit=1800)
def dashboard_warm() -> int:
    """Beat: rebuild the figures of the periods users open, for every reviewer's and admin's jurisdiction."""
    n = 0
    for sc, period in dashboard.warm_targets():
        dashboard.build(sc, period)
        n += 1
    log.info("dashboard figures rebuilt: %d", n)
    return n
