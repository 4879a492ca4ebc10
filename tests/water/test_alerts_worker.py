"""The alert jobs through a real Redis broker and Celery worker (what production runs), twice each:
the second delivery changes nothing. Redis at TEST_CELERY_BROKER_URL (this task's runs use
redis://127.0.0.1:6379/14); CI sets it and fails rather than skips when Redis is missing, as in
tests/core/test_tasks.py."""

from __future__ import annotations

from decimal import Decimal

import pytest

from tests.waiting import wait_until
from tests.water.test_alerts import state
from tests.water.test_monitoring import ALL, hourly, send, t
from water import services, tasks
from water.ingest import Row
from water.models import Alert, Reading


@pytest.mark.celery_worker
@pytest.mark.django_db(transaction=True)
def test_alert_jobs_through_a_real_redis_worker(water, users, redis_broker_url):
    broker = redis_broker_url
    from celery.contrib.testing.worker import start_worker

    from config.celery_app import app

    send("WM-E1", hourly(t(1, 1), t(1, 5)), start=1000)
    send("WM-W1", hourly(t(1, 1), t(1, 12)))
    # A spike on W1 for the flagged-readings job: a reviewer has not looked at it yet.
    services.reading_ingest_batch(
        rows=[Row(0, "WM-W1", t(1, 13), Decimal(900_000), None), Row(1, "WM-W1", t(1, 14), Decimal(140), None)],
        scope=ALL,
        source="rtu",
        actor="test",
    )
    now = t(1, 14).isoformat()
    saved = {k: app.conf[k] for k in ("broker_url", "task_always_eager")}
    app.conf.update(broker_url=broker, task_always_eager=False)
    try:
        with start_worker(app, pool="solo", perform_ping_check=False, shutdown_timeout=10):
            # No result backend: the test watches the database for the worker's effect.
            with app.connection_for_write(broker) as conn:
                tasks.alerts_check_offline.apply_async(kwargs={"now": now}, connection=conn)
                tasks.alerts_check_flagged.apply_async(kwargs={"now": now}, connection=conn)
            assert wait_until(lambda: Alert.objects.count() == 2), list(Alert.objects.values_list("key", flat=True))
            first = state()
            # Delivered again: nothing changes (and both deliveries are consumed before the check).
            with app.connection_for_write(broker) as conn:
                tasks.alerts_check_offline.apply_async(kwargs={"now": now}, connection=conn)
                tasks.alerts_check_flagged.apply_async(kwargs={"now": now}, connection=conn)
                # Then one at 14:30: once its effect shows, the solo worker has consumed the repeats.
                tasks.alerts_check_offline.apply_async(kwargs={"now": t(1, 14.5).isoformat()}, connection=conn)
            assert wait_until(lambda: Alert.objects.filter(last_seen_at=t(1, 14.5)).exists())
    finally:
        app.conf.update(saved)
    kinds = sorted(Alert.objects.values_list("kind", flat=True))
    assert kinds == ["flagged_reading", "meter_offline"]
    after = state()
    # The repeated runs left both alerts as they were, but for the offline one seen at 14:30 by the marker.
    assert [row for row in after if row[1] == "flagged_reading"] == [
        row for row in first if row[1] == "flagged_reading"
    ]
    assert len(after) == len(first) == 2
    assert Reading.objects.filter(meter=water.meter_w).count() == 15
