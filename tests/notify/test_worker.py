"""The outbox through a real Redis broker and real Celery workers (as production runs it): raised
events are delivered on commit; a duplicate queue message sends nothing twice; a worker killed
between the provider's receipt and our record loses nothing (the relay requeues the row once its
lease runs out) and the only duplicate is the channel's own, under the same message id.

Redis at TEST_CELERY_BROKER_URL (default redis://127.0.0.1:6379/15), through the `redis_broker_url` fixture
of tests/conftest.py: Redis missing fails the test, naming the URL, as in tests/core/test_tasks.py."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from celery.signals import task_postrun
from django.conf import settings as django_settings
from django.db import connection

from accounts.scope import scope_for
from notify import services
from notify.models import DeliveryAttempt, Notification
from tests.notify.conftest import raise_event
from tests.waiting import wait_until

ROOT = Path(__file__).resolve().parents[2]
pytestmark = [pytest.mark.celery_worker, pytest.mark.django_db(transaction=True)]


def _queued(app: Any) -> int:
    """Messages waiting in the broker's default queue."""
    import redis

    return int(redis.Redis.from_url(app.conf.broker_url, socket_connect_timeout=1).llen("celery"))


@pytest.fixture
def broker(redis_broker_url: str) -> Iterator[Any]:
    """The Celery app pointed at the test broker (emptied first), restored afterwards."""
    import redis

    redis.Redis.from_url(redis_broker_url, socket_connect_timeout=1).flushdb()
    from config.celery_app import app

    saved = {k: app.conf[k] for k in ("broker_url", "task_always_eager")}
    app.conf.update(broker_url=redis_broker_url, task_always_eager=False)
    app._pool = None
    app.amqp._producer_pool = None
    try:
        yield app
    finally:
        app.conf.update(saved)
        app._pool = None
        app.amqp._producer_pool = None


def _worker_idle(app: Any) -> bool:
    """A worker answered with nothing running or reserved (a solo worker answers only between tasks)."""
    inspect = app.control.inspect(timeout=1.0)
    active = inspect.active()
    reserved = inspect.reserved()
    return bool(active) and not any(active.values()) and not any((reserved or {}).values())


def _status(n: Notification) -> str:
    n.refresh_from_db()
    return n.status


def test_delivered_on_commit_by_a_real_worker_and_never_twice(people, stub, broker):
    from celery.contrib.testing.worker import start_worker

    from notify.tasks import deliver, deliver_batch

    services.rule_create(
        actor=people["admin"],
        scope=scope_for(people["admin"]),
        event_type="meter_offline",
        division_code="650102",
        channels=["inbox", "wecom"],
        webhook_url=stub.on("/ok"),
        role="reviewer",
    )
    with start_worker(broker, pool="solo", perform_ping_check=False, shutdown_timeout=10):
        raise_event("meter_offline", "650102", [people["chief"].pk])  # commits: queued on commit
        n = Notification.objects.get(channel="wecom")
        assert wait_until(lambda: _status(n) == "delivered", 60), n.last_error
        # The broker delivers the same message again (e.g. the worker died before its ack): no second send.
        # The solo worker runs them in order: when the marker has run, so have the two before it.
        marker_id, marker_done = str(uuid.uuid4()), threading.Event()

        def on_postrun(task_id: str | None = None, **kwargs: Any) -> None:
            if task_id == marker_id:
                marker_done.set()

        task_postrun.connect(on_postrun, weak=False)
        try:
            with broker.connection_for_write() as conn:
                deliver_batch.apply_async(args=([n.pk],), connection=conn)
                deliver.apply_async(args=(n.pk,), connection=conn)
                deliver_batch.apply_async(args=([],), connection=conn, task_id=marker_id)
            assert marker_done.wait(60)
        finally:
            task_postrun.disconnect(on_postrun)
    assert len(stub.hits) == 1
    assert DeliveryAttempt.objects.filter(notification=n).count() == 1
    assert Notification.objects.get(recipient=people["rev_650102"], channel="inbox").status == "delivered"


def _worker_env(broker_url: str) -> dict[str, str]:
    db = django_settings.DATABASES["default"]
    if connection.vendor == "postgresql":
        url = f"postgis://{db['USER']}@{db['HOST']}:{db['PORT']}/{db['NAME']}"
    else:
        url = f"spatialite:///{db['NAME']}"
    return {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "config.settings.test",
        "DATABASE_URL": url,
        "CELERY_BROKER_URL": broker_url,
        "NOTIFY_SEND_LEASE_S": "3",
        "NOTIFY_HTTP_TIMEOUT_S": "30",
    }


def _start_worker(broker_url: str) -> subprocess.Popen[bytes]:
    return subprocess.Popen(
        [
            sys.executable,
            "-m",
            "celery",
            "-A",
            "config.celery_app",
            "worker",
            "-P",
            "solo",
            "-c",
            "1",
            "--without-gossip",
            "--without-mingle",
            "--without-heartbeat",
            "-l",
            "WARNING",
        ],
        cwd=ROOT,
        env=_worker_env(broker_url),
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )


def test_a_worker_killed_mid_send_loses_nothing_and_doubles_nothing(people, stub, broker):
    from notify.tasks import outbox_relay

    services.rule_create(
        actor=people["admin"],
        scope=scope_for(people["admin"]),
        event_type="meter_offline",
        division_code="650102",
        channels=["wecom"],
        webhook_url=stub.on("/hang"),
        own_people=False,
    )
    worker = _start_worker(broker.conf.broker_url)
    try:
        raise_event("meter_offline", "650102", [])
        n = Notification.objects.get(channel="wecom")
        # The provider has the message; the worker waits for its answer and is killed.
        assert stub.arrived.wait(90), "the worker never sent"
        worker.send_signal(signal.SIGKILL)
        worker.wait(10)
    finally:
        if worker.poll() is None:
            worker.kill()
            worker.wait(10)
    assert _status(n) == "sending"
    assert n.attempts == 1
    stub.release.set()  # the provider answers at once from now on
    # Not lost: once the lease (3 s) runs out, the relay requeues it and a new worker sends it.
    worker = _start_worker(broker.conf.broker_url)
    try:
        assert wait_until(lambda: services.outbox_due() == [n.pk], 30)
        with broker.connection_for_write() as conn:
            outbox_relay.apply_async(connection=conn)
        assert wait_until(lambda: _status(n) == "delivered", 90), n.last_error
        # Never ours twice: the relay and a redelivered message find it delivered.
        with broker.connection_for_write() as conn:
            outbox_relay.apply_async(connection=conn)
        assert wait_until(lambda: _queued(broker) == 0 and _worker_idle(broker), 30)
    finally:
        worker.terminate()
        try:
            worker.wait(15)
        except subprocess.TimeoutExpired:
            worker.kill()
            worker.wait(10)
    n.refresh_from_db()
    assert n.attempts == 2
    # The channel saw it twice (its own duplicate: it got the first but we never heard back), both
    # under the same message id, so a provider that deduplicates keeps one.
    assert [h.headers["X-Hezhang-Message-Id"] for h in stub.hits] == [str(n.uid)] * 2
    log = list(DeliveryAttempt.objects.filter(notification=n).values_list("number", "outcome"))
    assert log == [(1, ""), (2, "delivered")]
