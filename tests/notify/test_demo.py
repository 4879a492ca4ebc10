"""The demo raises real notifications through the apps' own services: the silent RTU, the over-plan
intakes, flagged patrols, the overdue cases (escalated to the city), visible in each demo user's
inbox; a second load adds nothing."""

from __future__ import annotations

import pytest
from django.core.management import call_command

from accounts.models import User
from notify.models import EscalationStep, Event, Notification

pytestmark = pytest.mark.django_db


def _load() -> None:
    call_command("load_demo", "--only", "accounts", "places", "notify-rules", "water", "patrols", "notify", stdout=None)


def inbox(username: str) -> set[str]:
    user = User.objects.get(username=username)
    return set(Notification.objects.filter(recipient=user, channel="inbox").values_list("event__type", flat=True))


def test_the_demo_fills_each_demo_users_inbox(settings, tmp_path):
    settings.MEDIA_ROOT = str(tmp_path)
    settings.DEMO_PASSWORD = "demo-Pass-2024"
    _load()
    assert {"meter_offline", "plan_100", "plan_80", "case_overdue", "patrol_flagged", "escalated"} <= inbox("reviewer")
    assert {"meter_offline", "plan_100", "case_overdue"} <= inbox("admin")
    assert {"case_overdue", "patrol_flagged"} <= inbox("chief")
    assert inbox("operator")  # the water company hears of its own intakes
    assert EscalationStep.objects.filter(to_division="650100").exists()
    silent = Event.objects.get(type="meter_offline")
    assert "未上报数据" in Notification.objects.filter(event=silent).first().body
    counts = (Event.objects.count(), Notification.objects.count(), EscalationStep.objects.count())
    _load()
    assert (Event.objects.count(), Notification.objects.count(), EscalationStep.objects.count()) == counts
