"""Celery tasks of the oversight app (beat): the hourly overdue check that tells units and offices
through notify (oversight.services.notices)."""

from __future__ import annotations

from celery import shared_task

from oversight.services import notices


@shared_task(name="oversight.tasks.overdue_notify", time_limit=600, soft_time_limit=540)
def overdue_notify() -> int:
    return notices.overdue_notify()
