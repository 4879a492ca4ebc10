"""Periodic jobs of the water app (scheduled in config/celery_app.py): online-monitoring and plan alerts.

Each job calls one service and is idempotent: run twice at the same instant it changes nothing, so a
retry or a beat that fires twice is harmless. `now` (an ISO 8601 instant with its offset) replays a
check as of another time; beat passes nothing.
"""

from __future__ import annotations

import datetime as dt

from celery import shared_task
from django.db import OperationalError

from water import services


def _instant(now: str | None) -> dt.datetime | None:
    if now is None:
        return None
    at = dt.datetime.fromisoformat(now)
    if at.tzinfo is None:
        raise ValueError("now must carry its UTC offset")
    return at


# A lost database connection or a lock timeout is worth a retry (autoretry_for); anything else is a
# bug to see.


@shared_task(
    name="water.tasks.alerts_check_offline",
    time_limit=300,
    soft_time_limit=240,
    autoretry_for=(OperationalError,),
    retry_backoff=30,
    max_retries=3,
)
def alerts_check_offline(now: str | None = None) -> dict[str, int]:
    """Raise an alert for each meter silent for more than WATER_OFFLINE_FACTOR × its interval;
    resolve those reporting again."""
    return services.alerts_check_offline(now=_instant(now)).as_dict()


@shared_task(
    name="water.tasks.alerts_check_flagged",
    time_limit=600,
    soft_time_limit=540,
    autoretry_for=(OperationalError,),
    retry_backoff=30,
    max_retries=3,
)
def alerts_check_flagged(now: str | None = None) -> dict[str, int]:
    """Raise an alert for each reading held for review; resolve those reviewed since."""
    return services.alerts_check_flagged(now=_instant(now)).as_dict()


@shared_task(
    name="water.tasks.alerts_check_plan",
    time_limit=600,
    soft_time_limit=540,
    autoretry_for=(OperationalError,),
    retry_backoff=30,
    max_retries=3,
)
def alerts_check_plan(now: str | None = None) -> dict[str, dict[str, int]]:
    """Raise plan_80 / plan_100 for intakes at 80 % / 100 % of this year's plan; resolve the others."""
    return {kind: run.as_dict() for kind, run in services.alerts_check_plan(now=_instant(now)).items()}
