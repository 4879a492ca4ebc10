"""The report pages in a real browser (Debian's chromium, as tests/console/test_browser.py): a reviewer
builds the quarter's report from the page, follows its progress, opens it, signs it off and downloads
its PDF; the progress box of a report still building follows the build by htmx's poll (no inline
script: CSP) until the link to the report appears; the diff between two versions. Any request to
another host and any console error fail the test. Screenshots go to var/browser/ for a person."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest

from accounts.scope import scope_for
from core.periods import quarter
from reports import services
from reports.models import ReportSnapshot
from tests.console.browser import BROWSER_TESTS, log_in, shot, with_password
from tests.console.browser import browser_context_args as browser_context_args  # fixtures, re-exported
from tests.console.browser import browser_type_launch_args as browser_type_launch_args
from tests.console.browser import guarded as guarded
from tests.reports.conftest import bj, make_patrol
from tests.reports.conftest import dataset as dataset
from tests.water.conftest import water as water

pytestmark = BROWSER_TESTS


@pytest.fixture(autouse=True)
def _thaw_signed_off_at_teardown() -> Any:
    """A transactional test's database is emptied by a flush afterwards: PostgreSQL truncates (no row
    trigger fires) while SQLite deletes, which the signed-off guard refuses (reports migration 0002).
    The test's own signed-off rows are deleted here with the guard lifted for that moment only."""
    yield
    from importlib import import_module

    from django.db import connection

    if connection.vendor != "sqlite":
        return
    guard = import_module("reports.migrations.0002_signed_off_snapshot_guard")
    with connection.cursor() as cursor:
        for sql in guard.SQLITE_DOWN:
            cursor.execute(sql)
        cursor.execute("DELETE FROM reports_reportsnapshot")
        for sql in guard.SQLITE_UP:
            cursor.execute(sql)


def test_a_reviewer_builds_signs_off_and_downloads_a_report(guarded, live_server, dataset, users):
    page, base = guarded, live_server.url
    reviewer = with_password(users["city_reviewer"])
    # Version 1 of the quarter, built before a patrol of 28 June was posted late: the page builds v2.
    v1, _ = services.snapshot_request(
        actor=reviewer, scope=scope_for(reviewer), period=quarter(2024, 2), division_code="650100", reason="季度通报"
    )
    services.snapshot_build(snapshot_id=v1.pk)
    make_patrol(dataset.chief_e, dataset.sections["river_e"].reach, "township", bj(2024, 6, 28), 2000, 3)

    log_in(page, base, reviewer.username)
    page.click("nav a[href='/reports/']")
    page.wait_for_url(f"{base}/reports/")
    assert page.locator("[data-testid=ledger-table] tbody tr").count() == 1
    shot(page, "reports-list")

    page.click("[data-testid=build-link]")
    page.wait_for_url(f"{base}/reports/new/")
    page.fill("[data-testid=quarter]", "2024-Q2")
    page.select_option("[data-testid=division]", "650100")
    page.fill("input[name=reason]", "补报巡河记录后重新生成")
    page.click("[data-testid=act-build]")
    page.wait_for_url(re.compile(r".*/reports/\d+/progress/$"))
    page.wait_for_selector("[data-testid=open-report]", timeout=120_000)  # the build, then the link
    v2 = ReportSnapshot.objects.get(version=2)
    assert page.get_attribute("[data-testid=progress]", "data-state") == "ready"
    page.click("[data-testid=open-report]")
    page.wait_for_url(f"{base}/reports/{v2.pk}/")
    assert page.text_content("[data-key='patrols.person_times']").strip() == "10"
    shot(page, "reports-report")

    # Sign it off; the button is gone afterwards.
    page.click("[data-testid=act-sign_off]")
    page.wait_for_selector(".messages")
    assert page.locator("[data-testid=act-sign_off]").count() == 0
    v2.refresh_from_db()
    assert (v2.status, v2.signed_off_by_id) == ("signed_off", reviewer.pk)

    with page.expect_download() as download:
        page.click("[data-testid=download-pdf]")
    assert download.value.suggested_filename == "report-2024-Q2-650100-v2.pdf"
    assert Path(download.value.path()).read_bytes()[:4] == b"%PDF"

    # The diff against version 1: figure, before, after.
    page.click("[data-testid=compare]")
    page.wait_for_url(re.compile(rf".*/reports/{v2.pk}/diff/\?against={v1.pk}$"))
    row = page.locator("[data-testid=diff] tr", has_text="patrols.person_times")
    assert [c.strip() for c in row.locator("td").all_text_contents()[1:3]] == ["6", "10"]
    shot(page, "reports-diff")


@pytest.fixture
def busy_worker() -> Any:
    """No eager build: a queued task waits in the (in-memory) broker, as it would for a busy worker, and
    the test plays the worker."""
    from celery import current_app

    eager = current_app.conf.task_always_eager
    current_app.conf.task_always_eager = False
    yield
    current_app.conf.task_always_eager = eager


def test_the_progress_box_follows_a_build_by_polling(guarded, live_server, dataset, users, busy_worker):
    page, base = guarded, live_server.url
    reviewer = with_password(users["city_reviewer"])
    snap, _ = services.snapshot_request(
        actor=reviewer, scope=scope_for(reviewer), period=quarter(2024, 2), division_code="650102"
    )
    ReportSnapshot.objects.filter(pk=snap.pk).update(progress=40)  # as the task writes it
    log_in(page, base, reviewer.username)
    page.goto(f"{base}/reports/{snap.pk}/progress/")
    assert page.text_content("[data-testid=progress-pct]").strip() == "40%"
    assert page.locator("[data-testid=open-report]").count() == 0
    shot(page, "reports-progress")
    ReportSnapshot.objects.filter(pk=snap.pk).update(progress=75)
    page.locator("[data-testid=progress-pct]", has_text="75%").wait_for(timeout=10_000)  # the poll saw it
    services.snapshot_build(snapshot_id=snap.pk)  # the worker finishes
    page.wait_for_selector("[data-testid=open-report]", timeout=15_000)
    assert page.text_content("[data-testid=progress-pct]").strip() == "100%"
