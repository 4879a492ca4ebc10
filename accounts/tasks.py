"""Periodic jobs of the accounts app."""

from celery import shared_task

from accounts.services import token_purge_expired as _purge


@shared_task(name="accounts.tasks.token_purge_expired", time_limit=300, soft_time_limit=240)
def token_purge_expired() -> int:
    return _purge()
