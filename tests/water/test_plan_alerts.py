"""The plan alert job (water.services.alerts_check_plan, beat task water.tasks.alerts_check_plan): use
so far this year against the year's plan, from the plan selectors, raised at 80 % and 100 % of plan,
resolved when an amendment lifts the plan; idempotent."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest

from core.periods import BEIJING
from tests.water.plan_fixtures import ALL, lines, q1_use
from water import plan_services, services, tasks
from water.models import Alert

pytestmark = pytest.mark.django_db
APR1 = dt.datetime(2024, 4, 1, 12, tzinfo=BEIJING)


def _open() -> set[tuple[str, str]]:
    return {(a.kind, a.intake.code) for a in Alert.objects.filter(resolved_at__isnull=True).select_related("intake")}


@pytest.fixture
def tight_plan(geography, water):
    """Q1 use: E 12,000 m³, W 4,550 m³ (plan_fixtures.q1_use). A 2024 plan of 14,000 m³ for E (use at
    85.7 %: plan_80 only) and 4,000 m³ for W (113.75 %: plan_80 and plan_100)."""
    q1_use(water)
    return plan_services.plan_create(
        actor="test",
        scope=ALL,
        year=2024,
        division=geography["city"],
        title="2024 tight plan",
        allocations=[*lines(water.intake_e, [1200] * 10 + [1000] * 2), *lines(water.intake_w, [400] * 10 + [0] * 2)],
    )


def test_use_at_80_and_100_percent_of_the_years_plan_raises_alerts(tight_plan):
    runs = services.alerts_check_plan(now=APR1)
    assert _open() == {("plan_80", "QSK-E"), ("plan_80", "QSK-W"), ("plan_100", "QSK-W")}
    assert (runs["plan_80"].raised, runs["plan_100"].raised) == (2, 1)
    w = Alert.objects.get(kind="plan_100")
    assert Decimal(str(w.details["use_m3"])) == Decimal(4550)
    # Idempotent: the same check again raises nothing new and resolves nothing.
    before = list(Alert.objects.order_by("pk").values_list("pk", "raised_at", "resolved_at"))
    again = services.alerts_check_plan(now=APR1)
    assert (again["plan_80"].raised, again["plan_100"].raised) == (0, 0)
    assert list(Alert.objects.order_by("pk").values_list("pk", "raised_at", "resolved_at")) == before


def test_an_amendment_lifting_the_plan_resolves_the_alerts(tight_plan, water):
    services.alerts_check_plan(now=APR1)
    plan_services.plan_amend(
        plan=tight_plan,
        actor="test",
        scope=ALL,
        reason="more water allotted to W",
        allocations=lines(water.intake_w, [1000] * 12),
    )
    runs = services.alerts_check_plan(now=APR1)
    assert _open() == {("plan_80", "QSK-E")}
    assert (runs["plan_80"].resolved, runs["plan_100"].resolved) == (1, 1)


def test_no_plan_no_plan_alerts(geography, water):
    q1_use(water)
    services.alerts_check_plan(now=APR1)
    assert not Alert.objects.exists()


def test_the_beat_task_runs_the_same_check(tight_plan):
    result = tasks.alerts_check_plan.apply(kwargs={"now": APR1.isoformat()}).get()
    assert result["plan_100"]["raised"] == 1
    assert result["plan_80"]["open"] == 2
