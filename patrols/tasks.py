"""Periodic jobs of the patrols app."""

from celery import shared_task

from patrols import services


@shared_task(name="patrols.tasks.case_flag_overdue", time_limit=300, soft_time_limit=240)
def case_flag_overdue() -> int:
    """Flag cases assigned or being rectified after their deadline (idempotent: flags each case once)."""
    return services.case_flag_overdue()
