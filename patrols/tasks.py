"""Periodic jobs of the patrols app."""

from celery import shared_task

from patrols import services


@shared_task(name="patrols.tasks.case_flag_overdue", time_limit=300, soft_time_limit=240)
def case_flag_overdue() -> int:
    """Flag cases assigned or being rectified after their deadline (idempotent: flags each case once)."""
    return services.case_flag_overdue()


@shared_task(name="patrols.tasks.patrol_close_stale", time_limit=600, soft_time_limit=540)
def patrol_close_stale() -> dict[str, int]:
    """Close the patrols sent in parts that their phones never ended (idempotent)."""
    return services.patrol_close_stale()


@shared_task(name="patrols.tasks.compliance_notify_missed", time_limit=600, soft_time_limit=540)
def compliance_notify_missed() -> int:
    """Tell each chief who missed the patrol frequency in the month just ended (once per month)."""
    from patrols.services.notices import compliance_notify_missed as run

    return run()
