"""Celery: periodic kernel jobs, eagerly (the embedded default) and through a real Redis broker and
worker (what production runs). The real-worker test runs wherever Redis answers at
TEST_CELERY_BROKER_URL (default redis://127.0.0.1:6379/15, which this machine kind starts); CI sets
it and fails rather than skips when Redis is missing."""

from __future__ import annotations

import datetime as dt
import time

import pytest
from django.utils import timezone

from accounts.choices import Role
from core.models import IdempotencyRecord
from core.tasks import idempotency_purge_expired


def _stale_and_fresh(make_user) -> None:
    user = make_user(Role.REVIEWER, username="r")
    old = IdempotencyRecord.objects.create(user=user, key="old", request_hash="x", status_code=201, response={})
    IdempotencyRecord.objects.create(user=user, key="new", request_hash="y", status_code=201, response={})
    IdempotencyRecord.objects.filter(pk=old.pk).update(created_at=timezone.now() - dt.timedelta(days=30))


@pytest.mark.django_db
def test_purge_runs_eagerly_without_a_broker(make_user, settings):
    assert settings.CELERY_TASK_ALWAYS_EAGER
    _stale_and_fresh(make_user)
    assert idempotency_purge_expired.delay().get() == 1
    assert list(IdempotencyRecord.objects.values_list("key", flat=True)) == ["new"]


def test_beat_schedule_names_registered_tasks():
    from config.celery_app import app

    app.loader.import_default_modules()
    for entry in app.conf.beat_schedule.values():
        assert entry["task"] in app.tasks, entry["task"]


@pytest.mark.celery_worker
@pytest.mark.django_db(transaction=True)
def test_purge_through_a_real_redis_worker(make_user, redis_broker_url):
    broker = redis_broker_url
    from celery.contrib.testing.worker import start_worker

    from config.celery_app import app

    _stale_and_fresh(make_user)
    saved = {k: app.conf[k] for k in ("broker_url", "task_always_eager")}
    app.conf.update(broker_url=broker, task_always_eager=False)
    try:
        with start_worker(app, pool="solo", perform_ping_check=False, shutdown_timeout=10):
            # No result backend in production (tasks write their results to the database), so the
            # test watches the database for the worker's effect.
            # An explicit connection: the app's producer pool may already be bound to another broker.
            with app.connection_for_write(broker) as conn:
                idempotency_purge_expired.apply_async(connection=conn)
            deadline = time.monotonic() + 30
            while IdempotencyRecord.objects.count() != 1 and time.monotonic() < deadline:
                time.sleep(0.1)
    finally:
        app.conf.update(saved)
    assert list(IdempotencyRecord.objects.values_list("key", flat=True)) == ["new"]
