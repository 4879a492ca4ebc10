"""The domain services raise their events through notify in the transaction of the change, and the
row's own people find them in their inbox: cases (assigned, rejected, overdue, closed), a flagged
patrol, a missed patrol frequency, meters offline / online / flagged reading, plan 80 % / 100 %, a
red line at risk, reports ready and signed off."""

from __future__ import annotations

import datetime as dt
import uuid
from decimal import Decimal

import pytest
from django.contrib.gis.geos import Point

from notify.models import Event, Notification
from patrols import services as patrols
from tests.patrols.conftest import T0, chiefs, patrol_body, post_patrol  # noqa: F401 - fixtures
from tests.water.conftest import water  # noqa: F401 - fixture

pytestmark = pytest.mark.django_db


def inbox(user) -> list[str]:
    return sorted(Notification.objects.filter(recipient=user, channel="inbox").values_list("event__type", flat=True))


def test_case_workflow_events_reach_the_reach_chiefs_and_the_reporter(users, chiefs, geography):  # noqa: F811
    office = users["city_reviewer"]
    case, _ = patrols.case_report(
        actor=office,
        case_id=uuid.uuid4(),
        category="dumping",
        source="complaint",
        reach=geography["reach_e"],
        location=Point(87.63, 43.83, srid=4326),
        description="群众投诉：河岸堆放垃圾",
        found_at=T0,
    )
    case = patrols.case_assign(case=case, actor=office, responsible_unit="天山区水务局", deadline=dt.date(2024, 5, 20))
    assert inbox(chiefs["township"]) == ["case_assigned"] == inbox(chiefs["village"]) == inbox(office)
    assert inbox(chiefs["west"]) == []  # another reach's chief
    n = Notification.objects.get(recipient=chiefs["township"])
    assert "天山区水务局" in n.body
    assert "2024-05-20" in n.body
    assert f"/api/v1/patrols/cases/{case.pk}/" in n.body
    # Overdue (the job), then acted on: the overdue event stops escalating.
    assert patrols.case_flag_overdue(now=dt.datetime(2024, 5, 22, tzinfo=dt.UTC)) == 1
    assert inbox(chiefs["village"]) == ["case_assigned", "case_overdue"]
    overdue = Event.objects.get(type="case_overdue")
    assert overdue.key == f"case_overdue:{case.pk}"
    assert overdue.acted_at is None
    case = patrols.case_rectify(case=case, actor=chiefs["township"])
    overdue.refresh_from_db()
    assert overdue.acted_at is not None
    case = patrols.case_submit(case=case, actor=chiefs["township"])
    case = patrols.case_reject(case=case, actor=office, note="垃圾未清运完毕")
    assert "case_rejected" in inbox(chiefs["township"])
    assert "垃圾未清运完毕" in Notification.objects.get(recipient=chiefs["township"], event__type="case_rejected").body
    case = patrols.case_submit(case=case, actor=chiefs["township"])
    case = patrols.case_verify(case=case, actor=office)
    patrols.case_close(case=case, actor=office)
    assert inbox(chiefs["township"]) == ["case_assigned", "case_closed", "case_overdue", "case_rejected"]
    assert Event.objects.filter(division_code="650102").count() == 4


def test_a_flagged_patrol_reaches_its_chief(chiefs, geography, post_patrol):  # noqa: F811
    first = patrol_body(geography["reach_e"])
    assert post_patrol(chiefs["township"], first).json()["flags"] == []
    second = patrol_body(geography["reach_e"], start=T0 + dt.timedelta(minutes=10))
    out = post_patrol(chiefs["township"], second).json()
    assert out["flags"]
    event = Event.objects.get(type="patrol_flagged")
    assert event.subject_id == second["id"]
    assert event.people == [chiefs["township"].pk]
    assert "patrol_flagged" in inbox(chiefs["township"])


def test_missed_frequency_is_told_once_a_month(users, chiefs, geography):  # noqa: F811
    from patrols.models import PatrolFrequencyRule
    from patrols.services import frequency_rule_save
    from patrols.services.notices import compliance_notify_missed

    # Its own rule, not the seeded ones (a transactional test elsewhere may have flushed those).
    rule = PatrolFrequencyRule(jurisdiction="650102", level="township", period="month", required_count=2)
    frequency_rule_save(rule=rule, actor=users["admin"])
    now = dt.datetime(2024, 6, 1, 3, 10, tzinfo=dt.timezone(dt.timedelta(hours=8)))
    raised = compliance_notify_missed(now=now)
    assert raised >= 1
    assert "frequency_missed" in inbox(chiefs["township"])
    ev = Event.objects.filter(type="frequency_missed", people=[chiefs["township"].pk]).first()
    assert ev is not None
    assert ev.figures["period"] == "2024-05"
    compliance_notify_missed(now=now)
    assert Event.objects.filter(type="frequency_missed").count() == raised


def test_meter_events_reach_the_intakes_operators(water, users):  # noqa: F811
    from tests.water.test_monitoring import hourly, send, t
    from water import services

    send("WM-E1", hourly(t(1, 1), t(1, 5)), start=1000)
    services.alerts_check_offline(now=t(1, 8))
    assert inbox(users["operator"]) == ["meter_offline"]
    body = Notification.objects.get(recipient=users["operator"]).body
    assert "天山区取水口计量设施WM-E1已3.0小时未上报数据" in body
    send("WM-E1", hourly(t(1, 9), t(1, 10)), start=2000)
    services.alerts_check_offline(now=t(1, 10.5))
    assert inbox(users["operator"]) == ["meter_offline", "meter_online"]
    # Running the job again raises nothing new.
    before = Event.objects.count()
    services.alerts_check_offline(now=t(1, 10.5))
    assert Event.objects.count() == before


def test_plan_thresholds_reach_the_operators(water, users):  # noqa: F811
    from water import services
    from water.services import PlanUsage

    usage = [PlanUsage(intake_id=water.intake_e.pk, year=2024, use_m3=Decimal(85_000), plan_m3=Decimal(100_000))]
    services.alert_sync_plan_usage(usage=usage, now=dt.datetime(2024, 9, 1, tzinfo=dt.UTC))
    assert inbox(users["operator"]) == ["plan_80"]
    assert "85.0%" in Notification.objects.get(recipient=users["operator"]).body
    usage = [PlanUsage(intake_id=water.intake_e.pk, year=2024, use_m3=Decimal(101_000), plan_m3=Decimal(100_000))]
    services.alert_sync_plan_usage(usage=usage, now=dt.datetime(2024, 10, 1, tzinfo=dt.UTC))
    assert inbox(users["operator"]) == ["plan_100", "plan_80"]


def test_raising_rolls_back_with_the_change(users, chiefs, geography):  # noqa: F811
    """The event is written in the service's transaction: a service that fails writes no event."""
    from django.db import transaction

    office = users["city_reviewer"]
    case, _ = patrols.case_report(
        actor=office,
        case_id=uuid.uuid4(),
        category="dumping",
        source="complaint",
        reach=geography["reach_e"],
        location=Point(87.63, 43.83, srid=4326),
        description="x",
        found_at=T0,
    )

    def assign_then_fail() -> None:
        with transaction.atomic():
            patrols.case_assign(case=case, actor=office, responsible_unit="单位", deadline=dt.date(2024, 5, 20))
            raise RuntimeError("the caller fails after the service")

    with pytest.raises(RuntimeError):
        assign_then_fail()
    assert not Event.objects.exists()
    assert not Notification.objects.exists()


def test_report_ready_and_signed_off(users, geography, django_capture_on_commit_callbacks):
    from accounts.scope import scope_for
    from core.periods import quarter
    from reports import services as reports

    reviewer = users["city_reviewer"]
    with django_capture_on_commit_callbacks(execute=True):
        snap, _ = reports.snapshot_request(
            actor=reviewer, scope=scope_for(reviewer), period=quarter(2024, 2), division_code="650100"
        )
    snap.refresh_from_db()
    assert snap.status == "ready", snap.error
    assert inbox(reviewer) == ["report_ready"]
    n = Notification.objects.get(recipient=reviewer)
    assert "乌鲁木齐市2024-Q2报告（第1版）已生成，待签发" in n.body
    reports.snapshot_sign_off(actor=reviewer, snap=snap)
    assert inbox(reviewer) == ["report_ready", "report_signed_off"]
