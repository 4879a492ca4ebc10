"""Demo notifications (load_demo). Demo only: never in production.

Two steps: the rules first (order 15, before water and patrols raise their events, since routing
happens when an event is raised), then, after every app has loaded (order 95), the escalation job
as of mid-January 2025 climbs the overdue demo cases one level, and each demo user's inbox is
counted. The events themselves come from the apps' own services run by their demo loaders: the
silent RTU (meter offline), flagged readings, the over-plan intakes (plan 80 % / 100 %), flagged
patrols, the overdue cases, the reports ready and signed off. Only the inbox is used: the demo
needs no SMTP server, robot or SMS gateway.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from accounts.choices import Role
from accounts.models import User
from accounts.scope import Scope
from core.periods import BEIJING
from notify import selectors, services
from notify.choices import EventType
from notify.models import Rule

ACTOR = "load_demo"
CITY = "650100"
# The city river-chief office (reviewer) follows everything the apps raise in the city; the
# administrator stands in for the bureau's duty officer on offline meters, over-plan use and
# overdue cases.
REVIEWER_TYPES = [
    EventType.CASE_ASSIGNED,
    EventType.CASE_OVERDUE,
    EventType.CASE_REJECTED,
    EventType.PATROL_FLAGGED,
    EventType.FREQUENCY_MISSED,
    EventType.METER_OFFLINE,
    EventType.METER_ONLINE,
    EventType.READING_FLAGGED,
    EventType.PLAN_80,
    EventType.PLAN_100,
    EventType.REDLINE_AT_RISK,
    EventType.REPORT_READY,
    EventType.ESCALATED,
]
DUTY_TYPES = [EventType.METER_OFFLINE, EventType.PLAN_100, EventType.CASE_OVERDUE]
ESCALATION_NOW = dt.datetime(2025, 1, 15, 9, 0, tzinfo=BEIJING)


def load_notify_rules_demo(*, stdout: Any = None, **_: Any) -> None:
    admin = User.objects.filter(username="admin").first()
    if admin is None:
        return
    scope = Scope(user_id=admin.pk, role=Role.ADMIN, everything=True)
    made = 0
    for event_type in REVIEWER_TYPES:
        if Rule.objects.filter(event_type=event_type, division_code=CITY).exists():
            continue
        services.rule_create(
            actor=admin,
            scope=scope,
            users=[admin] if event_type in DUTY_TYPES else [],
            event_type=event_type,
            division_code=CITY,
            role=Role.REVIEWER,
            channels=["inbox"],
        )
        made += 1
    if stdout is not None:
        stdout.write(f"demo: notify rules — {made} new, {Rule.objects.count()} in all")


def load_notify_demo(*, stdout: Any = None, **_: Any) -> None:
    steps = services.escalation_run(now=ESCALATION_NOW)
    if stdout is not None:
        counts = ", ".join(
            f"{u.username} {selectors.inbox_unread_count(user=u)}"
            for u in User.objects.filter(username__in=["admin", "reviewer", "chief", "operator"]).order_by("username")
        )
        stdout.write(f"demo: notify — {steps} escalation steps; unread in the inbox: {counts}")
