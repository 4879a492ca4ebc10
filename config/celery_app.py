"""The Celery application. With no CELERY_BROKER_URL, settings make every task run eagerly in-process.

The beat schedule lives here, in code (ARCHITECTURE house style 5): each app contributes entries by
name; a task that does not exist yet is simply not scheduled.
"""

import os

from celery import Celery
from celery.schedules import crontab

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.local")

app = Celery("hezhang")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()

app.conf.beat_schedule = {
    "purge-expired-idempotency-keys": {
        "task": "core.tasks.idempotency_purge_expired",
        "schedule": crontab(minute=17),  # hourly, off the hour so it does not meet report jobs
    },
    "purge-expired-api-tokens": {
        "task": "accounts.tasks.token_purge_expired",
        "schedule": crontab(minute=23, hour=3),  # nightly, Beijing time (CELERY_TIMEZONE)
    },
    "patrols-flag-overdue-cases": {
        "task": "patrols.tasks.case_flag_overdue",
        # Deadlines are Beijing dates: hourly (idempotent) so a missed run catches up within the hour.
        "schedule": crontab(minute=41),
    },
    "patrols-close-stale-patrols": {
        "task": "patrols.tasks.patrol_close_stale",
        # Patrols sent in parts that no phone ended: closed (or flagged abandoned) within the hour.
        "schedule": crontab(minute=47),
    },
    "reports-build-previous-quarter": {
        "task": "reports.tasks.build_previous_quarter",
        # 02:30 Beijing on the first day of each quarter: the city report of the quarter just closed,
        # after the nightly jobs; late readings later make a new version with a diff, never a change.
        "schedule": crontab(minute=30, hour=2, day_of_month=1, month_of_year="1,4,7,10"),
    },
    "water-alerts-check-offline": {
        "task": "water.tasks.alerts_check_offline",
        # Meters report hourly (offline after 2 h): every 10 minutes raises an alert within the hour.
        "schedule": crontab(minute="3-59/10"),
    },
    "water-alerts-check-flagged": {
        "task": "water.tasks.alerts_check_flagged",
        # Flagged readings wait for a reviewer, not for minutes: hourly is enough.
        "schedule": crontab(minute=29),
    },
    "water-alerts-check-plan": {
        "task": "water.tasks.alerts_check_plan",
        # Use against the year's plan moves by hours, not minutes: hourly, after the daily rows settle.
        "schedule": crontab(minute=47),
    },
    "patrols-compliance-notify-missed": {
        "task": "patrols.tasks.compliance_notify_missed",
        # 03:10 Beijing on the 1st: the month just ended, after the nightly jobs.
        "schedule": crontab(minute=10, hour=3, day_of_month=1),
    },
    "oversight-overdue-notify": {
        "task": "oversight.tasks.overdue_notify",
        # Deadlines are Beijing dates: hourly (idempotent), before the escalation run (minute 53).
        "schedule": crontab(minute=43),
    },
    "console-dashboard-warm": {
        "task": "console.tasks.dashboard_warm",
        # The dashboard's figures of the periods users open, rebuilt before they go stale (console/dashboard.py).
        "schedule": crontab(minute=f"*/{max(1, min(59, int(os.environ.get('CONSOLE_DASHBOARD_WARM_MINUTES', '5'))))}"),
    },
    "notify-outbox-relay": {
        "task": "notify.tasks.outbox_relay",
        # Requeues what is due (quiet hours over, back-off elapsed, a worker lost mid-send): each minute.
        "schedule": crontab(),
    },
    "notify-digest-send": {
        "task": "notify.tasks.digest_send",
        # Digests are due at NOTIFY_DIGEST_HOUR (Beijing); hourly so a missed run catches up.
        "schedule": crontab(minute=5),
    },
    "notify-escalation-run": {
        "task": "notify.tasks.escalation_run",
        # Escalation counts days; hourly, after the overdue flags (minute 41) are set.
        "schedule": crontab(minute=53),
    },
}
