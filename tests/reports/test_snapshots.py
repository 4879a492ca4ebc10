"""Snapshots: built by the Celery task (eagerly and through a real Redis worker), progress visible,
signed off by a reviewer, never changed afterwards (service and database trigger), rebuilt as version
n+1 with a diff naming the figures that changed and why; the quarterly beat job."""

from __future__ import annotations

import datetime as dt
import io
import time

import pytest
from django.db import DatabaseError, IntegrityError, transaction

from core.periods import BEIJING, quarter
from reports import services
from reports.choices import SnapshotStatus
from reports.models import ReportSnapshot
from reports.tasks import build_snapshot
from tests.reports.conftest import bj, make_patrol

pytestmark = pytest.mark.django_db
URL = "/api/v1/reports/snapshots/"
HOUR_1066 = (30 + 14) * 24 + 10  # 15 May 10:00 is the 1,066th hour after 1 April 00:00 (Beijing)


def request_and_build(client, capture, body=None):
    with capture(execute=True):
        r = client.post(URL, body or {"period": "2024-Q2", "division": "650100"}, format="json")
    assert r.status_code == 202, r.content
    return r.json()["id"]


def test_request_build_download_and_sign_off(dataset, client_for, users, django_capture_on_commit_callbacks):
    reviewer = client_for(users["city_reviewer"])
    sid = request_and_build(reviewer, django_capture_on_commit_callbacks)
    body = reviewer.get(f"{URL}{sid}/").json()
    assert (body["status"], body["progress"], body["version"], body["period_label"]) == ("ready", 100, 1, "2024-Q2")
    assert body["figures"]["patrols"]["person_times"] == 6
    assert body["figures"]["water"]["use_m3"] == 21_840.0
    assert body["diff"] == []
    x = reviewer.get(f"{URL}{sid}/", {"format": "xlsx"})
    assert x["Content-Disposition"] == 'attachment; filename="report-2024-Q2-650100-v1.xlsx"'
    assert x.content.startswith(b"PK")
    p = reviewer.get(f"{URL}{sid}/", {"format": "pdf"})
    assert (p["Content-Type"], p.content[:4]) == ("application/pdf", b"%PDF")
    from pypdf import PdfReader

    assert "巡河人次" in PdfReader(io.BytesIO(p.content)).pages[0].extract_text() + "".join(
        page.extract_text() for page in PdfReader(io.BytesIO(p.content)).pages
    )

    assert client_for(users["chief_650102"]).post(f"{URL}{sid}/sign-off/").status_code == 403
    assert client_for(users["reviewer_650103"]).post(f"{URL}{sid}/sign-off/").status_code == 404
    signed = reviewer.post(f"{URL}{sid}/sign-off/")
    assert signed.status_code == 200, signed.content
    assert (signed.json()["status"], signed.json()["signed_off_by"]) == ("signed_off", "t_city_reviewer")
    again = reviewer.post(f"{URL}{sid}/sign-off/")
    assert again.status_code == 409


def test_a_signed_off_snapshot_never_changes(dataset, client_for, users, django_capture_on_commit_callbacks):
    reviewer = client_for(users["city_reviewer"])
    sid = request_and_build(reviewer, django_capture_on_commit_callbacks)
    reviewer.post(f"{URL}{sid}/sign-off/")
    snap = ReportSnapshot.objects.get(pk=sid)
    # The database refuses too, whatever the code path.
    for attempt in (
        lambda: ReportSnapshot.objects.filter(pk=sid).update(progress=5),
        lambda: ReportSnapshot.objects.filter(pk=sid).update(figures={}),
        lambda: ReportSnapshot.objects.filter(pk=sid).delete(),
    ):
        with pytest.raises((IntegrityError, DatabaseError)), transaction.atomic():
            attempt()
    # A redelivered build task leaves it alone.
    assert build_snapshot.delay(sid).get() == SnapshotStatus.SIGNED_OFF
    snap.refresh_from_db()
    assert (snap.status, snap.figures["patrols"]["person_times"], snap.progress) == ("signed_off", 6, 100)


def test_rebuild_is_a_new_version_with_a_diff(dataset, client_for, users, plan, django_capture_on_commit_callbacks):
    from water.plan_services import ledger_lock

    reviewer = client_for(users["city_reviewer"])
    v1 = request_and_build(reviewer, django_capture_on_commit_callbacks)
    reviewer.post(f"{URL}{v1}/sign-off/")
    # After sign-off: June is locked, then late readings arrive for June (WM-W1), and a patrol of 28 June
    # is posted late.
    ledger_lock(actor=dataset.admin, scope=dataset.scope, division=dataset.city, month=dt.date(2024, 6, 1))
    late = [
        {"meter": "WM-W1", "observed_at": bj(2024, 6, 10, 0).isoformat(), "cumulative_m3": 0},
        {"meter": "WM-W1", "observed_at": bj(2024, 6, 10, 1).isoformat(), "cumulative_m3": 40},
    ]
    posted = client_for(users["admin"]).post("/api/v1/water/readings/", {"readings": late}, format="json")
    assert posted.status_code == 201
    make_patrol(dataset.chief_e, dataset.sections["river_e"].reach, "township", bj(2024, 6, 28), 2000, 3)
    # and a reviewer corrects a May reading of WM-E1 (+5 m³: the hour before gains 5, the hour after loses 5).
    corrected = client_for(users["admin"]).post(
        "/api/v1/water/readings/correct/",
        {
            "meter": "WM-E1",
            "observed_at": bj(2024, 5, 15, 10).isoformat(),
            "cumulative_m3": 1000 + 10 * HOUR_1066 + 5,
            "reason": "meter photo",
        },
        format="json",
    )
    assert corrected.status_code == 200, corrected.content
    v2 = request_and_build(reviewer, django_capture_on_commit_callbacks)
    assert v2 != v1
    body = reviewer.get(f"{URL}{v2}/").json()
    assert (body["version"], body["previous"], body["status"]) == (2, v1, "ready")
    diff = {d["path"]: d for d in body["diff"]}
    assert (diff["patrols.person_times"]["before"], diff["patrols.person_times"]["after"]) == (6, 10)
    assert "late posts" in diff["patrols.person_times"]["reason"]
    assert diff["patrols.person_times"]["link"].startswith("/api/v1/patrols/?")
    late_water = diff["water.amendments_after_lock_m3"]
    assert (late_water["before"], late_water["after"]) == (0.0, 40.0)
    assert "after the ledger lock" in late_water["reason"]
    fixed = diff["water.corrected_m3"]
    assert (fixed["before"], fixed["after"]) == (0.0, 20.0)
    assert fixed["reason"].startswith("readings corrected")
    assert "water.use_m3" not in diff  # the correction moved 5 m³ between two hours of the same day
    assert "quality.rivers.good_ratio" not in diff
    # Version 1 is as it was signed off.
    assert ReportSnapshot.objects.get(pk=v1).figures["patrols"]["person_times"] == 6


def test_progress_is_visible_while_building(dataset, client_for, users):
    snap, created = services.snapshot_request(
        actor=users["city_reviewer"], scope=dataset.scope, period=quarter(2024, 2), division_code="650100"
    )  # the on-commit build never runs inside this test's transaction
    assert created
    body = client_for(users["city_reviewer"]).get(f"{URL}{snap.pk}/").json()
    assert (body["status"], body["progress"], body["figures"]) == ("building", 0, None)
    # Asking again while it builds returns the same snapshot.
    again, created = services.snapshot_request(
        actor=users["city_reviewer"], scope=dataset.scope, period=quarter(2024, 2), division_code="650100"
    )
    assert (again.pk, created) == (snap.pk, False)
    files = client_for(users["city_reviewer"]).get(f"{URL}{snap.pk}/", {"format": "pdf"})
    assert files.status_code == 400
    assert "format" in files.json()["error"]["fields"]
    services.snapshot_build(snapshot_id=snap.pk)
    assert client_for(users["city_reviewer"]).get(f"{URL}{snap.pk}/").json()["progress"] == 100


def test_a_failed_build_is_recorded(dataset, users, settings):
    settings.REPORTS_CJK_FONT = "/nonexistent/font.ttc"
    snap, _ = services.snapshot_request(
        actor=users["admin"], scope=dataset.scope, period=quarter(2024, 2), division_code="650102"
    )
    built = services.snapshot_build(snapshot_id=snap.pk)
    assert built.status == SnapshotStatus.FAILED
    assert "REPORTS_CJK_FONT" in built.error
    settings.REPORTS_CJK_FONT = "/usr/share/fonts/truetype/wqy/wqy-zenhei.ttc"
    retry, created = services.snapshot_request(
        actor=users["admin"], scope=dataset.scope, period=quarter(2024, 2), division_code="650102"
    )
    assert (created, retry.version) == (True, 2)
    assert services.snapshot_build(snapshot_id=retry.pk).status == SnapshotStatus.READY


def test_request_bad_input_and_roles(dataset, client_for, users):
    admin = client_for(users["admin"])
    for body, field in (
        ({"period": "2024-Q5", "division": "650100"}, "period"),
        ({"period": "2024-06-30/2024-04-01", "division": "650100"}, "period"),
        ({"period": "2024-Q2", "division": "65"}, "division"),
        ({"period": "2024-Q2", "division": "659999"}, "division"),
        ({"division": "650100"}, "period"),
        ({"period": "2024-Q2", "divison": "650100"}, "divison"),
    ):
        r = admin.post(URL, body, format="json")
        assert r.status_code == 400, (body, r.content)
        assert field in r.json()["error"]["fields"]
    assert ReportSnapshot.objects.count() == 0
    body = {"period": "2024-Q2", "division": "650102"}
    assert client_for(None).post(URL, body, format="json").status_code == 401
    assert client_for(users["chief_650102"]).post(URL, body, format="json").status_code == 403
    assert client_for(users["operator"]).get(URL).status_code == 403
    assert client_for(users["device"]).get(URL).status_code == 403
    assert client_for(users["reviewer_650103"]).post(URL, body, format="json").status_code == 404
    assert ReportSnapshot.objects.count() == 0


def test_list_is_scoped_with_a_query_ceiling(dataset, client_for, users):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    for code in ("650100", "650102", "650103"):
        services.snapshot_request(
            actor=users["admin"], scope=dataset.scope, period=quarter(2024, 2), division_code=code
        )
    seen = client_for(users["reviewer_650103"]).get(URL).json()
    assert [s["division_code"] for s in seen["results"]] == ["650103"]
    chief = client_for(users["chief_650102"])
    with CaptureQueriesContext(connection) as q:
        body = chief.get(URL).json()
    assert [s["division_code"] for s in body["results"]] == ["650102"]
    assert len(q) <= 6
    city = ReportSnapshot.objects.get(division_code="650100")
    assert chief.get(f"{URL}{city.pk}/").status_code == 404
    assert len(client_for(users["admin"]).get(URL).json()["results"]) == 3


def test_beat_job_requests_the_previous_quarter(dataset, settings):
    settings.REPORTS_CITY_DIVISION = "650100"
    sid = services.previous_quarter_request(now=dt.datetime(2024, 7, 1, 2, 30, tzinfo=BEIJING))
    snap = ReportSnapshot.objects.get(pk=sid)
    assert (snap.period_label, snap.division_code, snap.status) == ("2024-Q2", "650100", "building")
    assert build_snapshot.delay(sid).get() == SnapshotStatus.READY
    from config.celery_app import app

    entry = app.conf.beat_schedule["reports-build-previous-quarter"]
    assert entry["task"] == "reports.tasks.build_previous_quarter"
    assert entry["schedule"].month_of_year == {1, 4, 7, 10}
    assert entry["schedule"].day_of_month == {1}


@pytest.mark.celery_worker
@pytest.mark.django_db(transaction=True)
def test_build_through_a_real_redis_worker(dataset, users, redis_broker_url):
    broker = redis_broker_url
    from celery.contrib.testing.worker import start_worker

    from config.celery_app import app

    saved = {k: app.conf[k] for k in ("broker_url", "task_always_eager")}
    app.conf.update(broker_url=broker, task_always_eager=False)
    # The service queues with .delay(): drop producer pools bound to the broker of an earlier test.
    app._pool = None
    app.amqp._producer_pool = None
    try:
        with start_worker(app, pool="solo", perform_ping_check=False, shutdown_timeout=10):
            snap, _ = services.snapshot_request(
                actor=users["city_reviewer"], scope=dataset.scope, period=quarter(2024, 2), division_code="650100"
            )  # queued on commit (this test runs outside a transaction), to the real broker
            deadline = time.monotonic() + 90
            while time.monotonic() < deadline:
                snap.refresh_from_db()
                if snap.status != SnapshotStatus.BUILDING:
                    break
                time.sleep(0.2)
    finally:
        app.conf.update(saved)
        app._pool = None
        app.amqp._producer_pool = None
    assert snap.status == SnapshotStatus.READY, snap.error
    assert snap.figures["patrols"]["person_times"] == 6
    assert bytes(snap.pdf).startswith(b"%PDF")


def test_the_service_queues_the_task_by_its_registered_name():
    """services → tasks is the forbidden direction (import-linter); the service names the task and the
    name resolves to the task module's function (registered at start-up by reports.apps)."""
    from celery import current_app

    task = current_app.tasks[services.BUILD_TASK]
    assert (task.run.__module__, task.run.__name__) == ("reports.tasks", "build_snapshot")
    assert "reports.tasks" not in {getattr(v, "__module__", "") for v in vars(services).values()}


def test_a_build_stores_labels_in_the_deployments_language(dataset, users, settings):
    """Whoever builds (an English page running the build eagerly, a worker), the stored labels are the
    deployment's: otherwise the next version's diff would list every label as changed."""
    from django.utils import translation

    snap, _ = services.snapshot_request(
        actor=users["city_reviewer"], scope=dataset.scope, period=quarter(2024, 2), division_code="650100"
    )
    with translation.override("en"):
        services.snapshot_build(snapshot_id=snap.pk)
    labels = {
        row["level"]: row["label"] for row in ReportSnapshot.objects.get(pk=snap.pk).figures["patrols"]["by_level"]
    }
    assert labels["city"] == "市级"
