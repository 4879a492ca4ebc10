"""The dashboard's figures kept warm (console/dashboard.py): the beat job builds the periods users open
before they do, a view of stale figures shows them and hands the rebuild to a worker, and without a
broker the view rebuilds them itself. Both backends; the worker test through a real Redis and Celery
worker, as production runs it."""

from __future__ import annotations

import datetime as dt
import time
from typing import Any

import pytest
from django.core.cache import cache

from accounts.scope import scope_for
from console import dashboard
from console import periods as console_periods
from console.tasks import dashboard_warm
from core import periods
from tests.console.test_views import _more_patrols
from tests.waiting import wait_until


@pytest.fixture(autouse=True)
def _empty_cache():
    cache.clear()
    yield
    cache.clear()


def _fresh_pools(app: Any) -> None:
    """Drop the app's connection and producer pools: they keep the broker of the first send."""
    app._pool = None
    app.amqp._producer_pool = None


def _patrols(built: dashboard.Built) -> int:
    return int(built.report["patrols"]["patrols"])


def test_the_warm_job_builds_what_a_newcomer_opens_before_the_first_view(
    console_data, users, web, chiefs, geography, client_for
):
    reviewer = users["city_reviewer"]
    sc = scope_for(reviewer)
    year = periods.year(2024)  # the latest year with data: the newcomer's period
    assert cache.get(dashboard._key(sc, year)) is None
    built = dashboard_warm()
    # The city reviewer's jurisdiction (and the admins' everything): its year, quarter and month of the
    # latest day with data.
    assert built >= 3
    kept = cache.get(dashboard._key(sc, year))
    assert isinstance(kept, dashboard.Built)
    assert _patrols(kept) == 2
    day = dashboard._latest_day(sc)
    assert day is not None
    assert day.year == 2024
    quarter = periods.quarter(2024, (day.month - 1) // 3 + 1)
    assert isinstance(cache.get(dashboard._key(sc, quarter)), dashboard.Built)
    # A patrol arrives after the warm build: the first view shows the warm build (it built nothing) …
    _more_patrols(chiefs["township"], geography["reach_e"], client_for, 1, 10)
    html = web(reviewer).get("/").content.decode()
    assert 'data-key="patrols.patrols">2<' in html
    # … and the next warm run takes the patrol in.
    dashboard_warm()
    assert 'data-key="patrols.patrols">3<' in web(reviewer).get("/").content.decode()


def test_a_viewed_period_is_kept_warm(console_data, users, web):
    reviewer = users["city_reviewer"]
    sc = scope_for(reviewer)
    assert web(reviewer).get("/?kind=range&start=2024-02-03&end=2024-05-09").status_code == 200
    custom = console_periods.canonical(dt.date(2024, 2, 3), dt.date(2024, 5, 9))
    targets = {(t[0].everything, t[0].prefix, t[1].label) for t in dashboard.warm_targets()}
    assert (sc.everything, sc.prefix, custom.label) in targets
    cache.delete(dashboard._key(sc, custom))
    dashboard_warm()
    assert isinstance(cache.get(dashboard._key(sc, custom)), dashboard.Built)


def test_stale_figures_are_rebuilt_by_the_view_without_a_broker(
    console_data, users, web, settings, chiefs, geography, client_for
):
    """Celery runs eagerly here (no broker): a view of figures older than CONSOLE_DASHBOARD_CACHE_SECONDS
    rebuilds them itself, as before the warm job existed."""
    reviewer = users["city_reviewer"]
    client = web(reviewer)
    settings.CONSOLE_DASHBOARD_CACHE_SECONDS = 300
    assert 'data-key="patrols.patrols">2<' in client.get("/?kind=year&year=2024").content.decode()
    _more_patrols(chiefs["township"], geography["reach_e"], client_for, 1, 10)
    assert 'data-key="patrols.patrols">2<' in client.get("/").content.decode()  # fresh enough: kept
    settings.CONSOLE_DASHBOARD_CACHE_SECONDS = 0
    assert 'data-key="patrols.patrols">3<' in client.get("/").content.decode()  # stale: rebuilt


def test_a_bad_viewed_label_is_left_out_of_the_warm_list(console_data, users):
    cache.set(dashboard._VIEWED, {"x": (False, "6501", "not-a-period", 0.0)}, 60)
    labels = {t[1].label for t in dashboard.warm_targets()}
    assert "not-a-period" not in labels
    assert "2024" in labels


@pytest.mark.celery_worker
@pytest.mark.django_db(transaction=True)
def test_stale_figures_are_shown_and_rebuilt_by_a_real_worker(
    console_data, users, web, settings, chiefs, geography, client_for, redis_broker_url
):
    from celery.contrib.testing.worker import start_worker

    from config.celery_app import app

    reviewer = users["city_reviewer"]
    sc = scope_for(reviewer)
    year = periods.year(2024)
    client = web(reviewer)
    assert 'data-key="patrols.patrols">2<' in client.get("/?kind=year&year=2024").content.decode()
    _more_patrols(chiefs["township"], geography["reach_e"], client_for, 1, 10)
    settings.CONSOLE_DASHBOARD_CACHE_SECONDS = 0
    saved = {k: app.conf[k] for k in ("broker_url", "task_always_eager")}
    app.conf.update(broker_url=redis_broker_url, task_always_eager=False)
    _fresh_pools(app)  # the view's delay() must use this broker, not a pool an earlier test opened
    try:
        with start_worker(app, pool="solo", perform_ping_check=False, shutdown_timeout=10):
            # The view answers at once with the figures it has, and queues one rebuild …
            started = time.perf_counter()
            html = client.get("/").content.decode()
            assert 'data-key="patrols.patrols">2<' in html
            assert time.perf_counter() - started < 5
            # … which the worker makes: the next view shows the new patrol.
            assert wait_until(lambda: _patrols(cache.get(dashboard._key(sc, year))) == 3)
            assert wait_until(lambda: cache.get(dashboard._key(sc, year) + ":rebuilding") is None)
    finally:
        app.conf.update(saved)
        _fresh_pools(app)
    settings.CONSOLE_DASHBOARD_CACHE_SECONDS = 300
    assert 'data-key="patrols.patrols">3<' in client.get("/").content.decode()


def test_the_queued_rebuild_name_is_the_registered_task():
    # The view queues the rebuild by name (console.tasks imports the dashboard, not the reverse).
    from console.tasks import dashboard_refresh

    assert dashboard_refresh.name == dashboard.REFRESH_TASK
