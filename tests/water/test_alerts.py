"""Monitoring alerts: the jobs raise, refresh and resolve them idempotently (offline meters, flagged
readings, use against plan), the Celery tasks run them (eagerly here; through a real Redis worker in
test_alerts_worker.py), and the API lists and acknowledges them within scope."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from core.exceptions import InvalidInput
from core.models import AuditLog
from tests.water.test_monitoring import ALL, hourly, send, t
from water import services, tasks
from water.choices import AlertKind
from water.ingest import Row
from water.models import Alert, Reading
from water.services import PlanUsage

pytestmark = pytest.mark.django_db
URL = "/api/v1/water/alerts/"
D = Decimal


def state() -> list[tuple]:
    """Every alert, every field: what 'changes nothing' compares."""
    return list(
        Alert.objects.order_by("pk").values_list(
            "pk",
            "kind",
            "key",
            "intake_id",
            "meter_id",
            "raised_at",
            "last_seen_at",
            "resolved_at",
            "details",
            "acknowledged_by_id",
            "acknowledged_at",
        )
    )


# ------------------------------------------------------------------------------------- offline


def test_offline_alert_is_raised_once_refreshed_and_resolved(water):
    send("WM-E1", hourly(t(1, 1), t(1, 5)), start=1000)
    send("WM-W1", hourly(t(1, 1), t(1, 13)))
    # 07:00: E1 silent for exactly 2 h (online); W1 reports all along.
    run = services.alerts_check_offline(now=t(1, 7))
    assert (run.raised, run.open) == (0, 0)
    # 07:00:01: E1 is offline.
    at = t(1, 7) + dt.timedelta(seconds=1)
    run = services.alerts_check_offline(now=at)
    assert (run.raised, run.resolved, run.open) == (1, 0, 1)
    alert = Alert.objects.get()
    assert (alert.kind, alert.key, alert.meter_id, alert.intake_id) == (
        AlertKind.METER_OFFLINE,
        f"meter_offline:{water.meter_e.pk}",
        water.meter_e.pk,
        water.intake_e.pk,
    )
    assert alert.details["silent_s"] == 7201
    assert dt.datetime.fromisoformat(alert.details["last_observed_at"]) == t(1, 5)
    assert AuditLog.objects.filter(entity="water.alert", entity_id=str(alert.pk), action="create").count() == 1
    # The same run again changes nothing at all.
    before = state()
    run = services.alerts_check_offline(now=at)
    assert (run.raised, run.refreshed, run.resolved) == (0, 1, 0)
    assert state() == before
    # Later, still silent: the same alert, seen later.
    services.alerts_check_offline(now=t(1, 9))
    alert.refresh_from_db()
    assert (Alert.objects.count(), alert.last_seen_at, alert.raised_at) == (1, t(1, 9), at)
    # It reports again: resolved.
    send("WM-E1", [t(1, 9.5)], start=1100)
    run = services.alerts_check_offline(now=t(1, 10))
    alert.refresh_from_db()
    assert (run.resolved, run.open, alert.resolved_at) == (1, 0, t(1, 10))
    assert services.alerts_check_offline(now=t(1, 10)).resolved == 0
    # Silent again: a new alert; the first stays resolved.
    services.alerts_check_offline(now=t(1, 13))
    assert Alert.objects.filter(key=alert.key).count() == 2
    assert Alert.objects.filter(key=alert.key, resolved_at__isnull=True).exclude(pk=alert.pk).count() == 1


def test_never_reported_meter_counts_from_installation_and_removed_meter_resolves(water):
    run = services.alerts_check_offline(now=t(1, 3))
    assert run.open == 2  # both meters installed at 00:00, no report
    services.meter_replace(meter=water.meter_w, actor="test", at=t(1, 4), removal_reading_m3=D(1), new_serial="WM-W2")
    run = services.alerts_check_offline(now=t(1, 5))
    # W1 removed (resolved); W2 installed 04:00, silent 1 h (online); E1 still silent.
    assert (run.resolved, run.open) == (1, 1)
    assert Alert.objects.get(resolved_at__isnull=True).meter_id == water.meter_e.pk


# ------------------------------------------------------------------------------------- flagged


def test_flagged_reading_alert_until_reviewed(water, users):
    send("WM-E1", hourly(t(1, 1), t(1, 5)), start=1000)
    # A jump far above the intake's 1 m³/s (3,600 m³ in an hour) at 06:00.
    rows = [{"at": t(1, 6), "v": D(900_000)}, {"at": t(1, 7), "v": D(1070)}]
    services.reading_ingest_batch(
        rows=[Row(i, "WM-E1", r["at"], r["v"], None) for i, r in enumerate(rows)],
        scope=ALL,
        source="rtu",
        actor="test",
    )
    run = services.alerts_check_flagged(now=t(2, 0))
    assert (run.raised, run.open) == (1, 1)
    alert = Alert.objects.get()
    assert alert.kind == AlertKind.FLAGGED_READING
    assert alert.details["kind"] == "jump"
    assert dt.datetime.fromisoformat(alert.details["observed_at"]) == t(1, 6)
    before = state()
    assert services.alerts_check_flagged(now=t(2, 0)).raised == 0
    assert state() == before
    reading = Reading.objects.get(meter=water.meter_e, observed_at=t(1, 6))
    services.reading_review(reading=reading, decision="rejected", reason="garbled frame", actor=users["admin"])
    run = services.alerts_check_flagged(now=t(2, 1))
    alert.refresh_from_db()
    assert (run.resolved, run.open, alert.resolved_at) == (1, 0, t(2, 1))


# ---------------------------------------------------------------------------------------- plan


def test_plan_alerts_at_80_and_100_percent(water):
    def sync(use: int, plan: int = 1000) -> dict:
        return services.alert_sync_plan_usage(
            usage=[PlanUsage(intake_id=water.intake_e.pk, year=2024, use_m3=D(use), plan_m3=D(plan))], now=t(2, 0)
        )

    sync(799)
    assert Alert.objects.count() == 0
    sync(800)
    assert list(Alert.objects.values_list("kind", flat=True)) == [AlertKind.PLAN_80]
    before = state()
    runs = sync(800)
    assert runs["plan_80"].raised == 0
    assert state() == before
    sync(1000)
    assert set(Alert.objects.filter(resolved_at__isnull=True).values_list("kind", flat=True)) == {"plan_80", "plan_100"}
    assert Alert.objects.get(kind="plan_100").details["share"] == 1.0
    # A plan amended upwards: both conditions clear.
    runs = sync(1000, plan=2000)
    assert (runs["plan_80"].resolved, runs["plan_100"].resolved) == (1, 1)
    assert not Alert.objects.filter(resolved_at__isnull=True).exists()
    # Another intake's usage given alone leaves these alone; `complete` resolves alerts of intakes left out.
    sync(900)
    services.alert_sync_plan_usage(
        usage=[PlanUsage(intake_id=water.intake_w.pk, year=2024, use_m3=D(1), plan_m3=D(10))], now=t(2, 0)
    )
    assert Alert.objects.filter(resolved_at__isnull=True, intake=water.intake_e).count() == 1
    services.alert_sync_plan_usage(
        usage=[PlanUsage(intake_id=water.intake_w.pk, year=2024, use_m3=D(1), plan_m3=D(10))],
        now=t(2, 0),
        complete=True,
    )
    assert not Alert.objects.filter(resolved_at__isnull=True).exists()


def test_plan_usage_bad_input_writes_nothing(water):
    with pytest.raises(InvalidInput) as exc:
        services.alert_sync_plan_usage(
            usage=[
                PlanUsage(intake_id=water.intake_e.pk, year=2024, use_m3=D(900), plan_m3=D(1000)),
                PlanUsage(intake_id=999_999, year=2024, use_m3=D(1), plan_m3=D(-1)),
            ]
        )
    assert set(exc.value.fields) == {"usage[1].intake_id", "usage[1].plan_m3"}
    assert Alert.objects.count() == 0


# ---------------------------------------------------------------------------------------- tasks


def test_tasks_run_eagerly_and_are_idempotent(water, settings):
    assert settings.CELERY_TASK_ALWAYS_EAGER
    send("WM-E1", hourly(t(1, 1), t(1, 5)), start=1000)
    now = t(1, 12).isoformat()
    assert tasks.alerts_check_offline.delay(now=now).get() == {"raised": 2, "refreshed": 0, "resolved": 0, "open": 2}
    before = state()
    assert tasks.alerts_check_offline.delay(now=now).get()["raised"] == 0
    assert state() == before
    assert tasks.alerts_check_flagged.delay(now=now).get() == {"raised": 0, "refreshed": 0, "resolved": 0, "open": 0}
    with pytest.raises(ValueError, match="offset"):
        tasks.alerts_check_offline.delay(now="2024-01-01T00:00:00").get()


def test_beat_schedules_the_alert_jobs():
    from config.celery_app import app

    app.loader.import_default_modules()
    scheduled = {entry["task"] for entry in app.conf.beat_schedule.values()}
    for name in ("water.tasks.alerts_check_offline", "water.tasks.alerts_check_flagged"):
        assert name in scheduled
        assert name in app.tasks


# ------------------------------------------------------------------------------------------ API


@pytest.fixture
def alerts(water):
    """An offline alert on each intake (E and W), the W one resolved, and a plan alert on E."""
    services.alerts_check_offline(now=t(1, 3))
    send("WM-W1", [t(1, 3.5)])
    services.alerts_check_offline(now=t(1, 4))
    services.alert_sync_plan_usage(
        usage=[PlanUsage(intake_id=water.intake_e.pk, year=2024, use_m3=D(850), plan_m3=D(1000))], now=t(1, 4)
    )
    return {a.key: a for a in Alert.objects.all()}


def keys(response) -> list[str]:
    assert response.status_code == 200, response.content
    return sorted(a["key"] for a in response.json()["results"])


def test_anonymous_401_device_403(client_for, users, alerts):
    alert = next(iter(alerts.values()))
    for method, url in (("get", URL), ("get", f"{URL}{alert.pk}/"), ("post", f"{URL}{alert.pk}/acknowledge/")):
        assert getattr(client_for(None), method)(url).status_code == 401
        assert getattr(client_for(users["device"]), method)(url).status_code == 403


def test_list_scoped_and_filtered(client_for, users, water, alerts):
    e, w = water.meter_e.pk, water.meter_w.pk
    plan = f"plan_80:{water.intake_e.pk}:2024"
    assert keys(client_for(users["admin"]).get(URL)) == sorted([f"meter_offline:{e}", f"meter_offline:{w}", plan])
    assert keys(client_for(users["operator"]).get(URL)) == sorted([f"meter_offline:{e}", plan])
    assert keys(client_for(users["chief_650102"]).get(URL)) == sorted([f"meter_offline:{e}", plan])
    assert keys(client_for(users["reviewer_650103"]).get(URL)) == [f"meter_offline:{w}"]
    assert keys(client_for(users["no_jurisdiction"]).get(URL)) == []
    admin = client_for(users["admin"])
    assert keys(admin.get(URL, {"state": "resolved"})) == [f"meter_offline:{w}"]
    assert keys(admin.get(URL, {"state": "open", "kind": "meter_offline"})) == [f"meter_offline:{e}"]
    assert keys(admin.get(URL, {"kind": "plan_80"})) == [plan]
    body = admin.get(URL, {"state": "resolved"}).json()["results"][0]
    assert (body["state"], body["meter_serial"], body["intake_code"]) == ("resolved", "WM-W1", "QSK-W")
    # Out of scope: 404.
    alert_w = alerts[f"meter_offline:{w}"]
    assert client_for(users["operator"]).get(f"{URL}{alert_w.pk}/").status_code == 404


@pytest.mark.parametrize(
    ("params", "field"),
    [({"kind": "flood"}, "kind"), ({"state": "closed"}, "state"), ({"intake": "0"}, "intake"), ({"page": "x"}, "page")],
)
def test_bad_filters_are_400_naming_the_field(client_for, users, alerts, params, field):
    r = client_for(users["admin"]).get(URL, params)
    assert r.status_code == 400, r.content
    assert field in r.json()["error"]["fields"]


def test_acknowledge_permission_matrix(client_for, users, water, alerts):
    alert = alerts[f"meter_offline:{water.meter_e.pk}"]
    url = f"{URL}{alert.pk}/acknowledge/"
    for who in ("chief_650102", "operator"):
        assert client_for(users[who]).post(url).status_code == 403
    assert client_for(users["reviewer_650103"]).post(url).status_code == 404  # E is out of its jurisdiction
    r = client_for(users["admin"]).post(url, {"note": "x"}, format="json")
    assert r.status_code == 400
    assert "note" in r.json()["error"]["fields"]
    alert.refresh_from_db()
    assert alert.acknowledged_at is None
    r = client_for(users["city_reviewer"]).post(url)
    assert r.status_code == 200, r.content
    assert r.json()["acknowledged_by"] == "t_city_reviewer"
    assert r.json()["state"] == "open"
    acked = r.json()["acknowledged_at"]
    assert AuditLog.objects.filter(entity="water.alert", entity_id=str(alert.pk), reason="acknowledged").count() == 1
    # Again, by anyone allowed: unchanged.
    r = client_for(users["admin"]).post(url)
    assert (r.json()["acknowledged_by"], r.json()["acknowledged_at"]) == ("t_city_reviewer", acked)
    assert AuditLog.objects.filter(entity="water.alert", entity_id=str(alert.pk), reason="acknowledged").count() == 1
    assert client_for(users["admin"]).post(f"{URL}999999/acknowledge/").status_code == 404


def test_list_query_ceiling(client_for, users, water, alerts):
    client = client_for(users["admin"])
    client.get(URL)
    with CaptureQueriesContext(connection) as few:
        client.get(URL)
    for h in range(5, 15):
        services.alert_sync_plan_usage(
            usage=[PlanUsage(intake_id=water.intake_w.pk, year=2000 + h, use_m3=D(1), plan_m3=D(1))], now=t(1, h)
        )
    with CaptureQueriesContext(connection) as many:
        assert len(client.get(URL).json()["results"]) == 23
    assert len(many.captured_queries) == len(few.captured_queries) <= 6
