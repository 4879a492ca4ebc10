"""The demo reproduces the seed's counts from rows: 9 tasks (6 completed, 3 in progress) and 811
petitions (808 closed, 3 in progress) as of 2024, through the report section; a second load changes nothing."""

from __future__ import annotations

import io
from typing import Any

import pytest
from openpyxl import load_workbook

from accounts.demo import load_accounts_demo
from accounts.scope import Scope
from core.models import AuditLog
from core.periods import half_year, year
from oversight.demo import load_oversight_demo
from oversight.models import Milestone, Petition, Task
from oversight.selectors import oversight_figures
from places.demo import load_places_demo
from reports.builders import build_report
from reports.pdf import render_pdf
from reports.xlsx import render_xlsx

pytestmark = pytest.mark.django_db
EVERYTHING = Scope(user_id=None, role="admin", everything=True)


def test_demo_reproduces_the_seed_counts_and_is_idempotent() -> None:
    load_accounts_demo(password="demo-Pass-2024", stdout=None)
    load_places_demo()
    load_oversight_demo(password="demo-Pass-2024")
    for period in (year(2024), half_year(2024, 1)):
        f: dict[str, Any] = oversight_figures(scope=EVERYTHING, period=period, division_code="650100")
        assert (f["tasks"]["total"], f["tasks"]["completed"], f["tasks"]["in_progress"]) == (9, 6, 3)
        assert (f["petitions"]["received"], f["petitions"]["closed"], f["petitions"]["in_progress"]) == (811, 808, 3)
        assert f["petitions"]["stage_closed"] == 2
    assert f["rechecks"]["done"] == 43
    assert f["rechecks"]["relapses"] == 0
    assert Task.objects.filter(milestones__kind="month").distinct().count() == 9
    assert Task.objects.filter(milestones__kind="quarter").distinct().count() == 9
    assert Milestone.objects.filter(status="pending", task__status="signed_off").count() == 0
    assert Petition.objects.values("division").distinct().count() == 8
    assert Petition.objects.values("category").distinct().count() == 6
    assert Petition.objects.filter(location__isnull=False).exists()
    report = build_report(scope=EVERYTHING, period=year(2024), division_code="650100")
    o = report["oversight"]
    assert (o["tasks"]["total"], o["tasks"]["completed"], o["tasks"]["in_progress"]) == (9, 6, 3)
    assert (o["petitions"]["received"], o["petitions"]["closed"], o["petitions"]["in_progress"]) == (811, 808, 3)
    assert "9项整改任务已完成6项，其余3项正在持续推进中" in o["summary_zh"]
    assert "811件信访件已办结808件，其余3件" in o["summary_zh"]
    assert report["links"]["oversight.petitions.closed"] == (
        "/api/v1/oversight/petitions/?figure=closed&start=2024-01-01&end=2024-12-31&division=650100"
    )
    assert sum(r["petitions_received"] for r in o["by_division"]) == 811
    wb = load_workbook(io.BytesIO(render_xlsx(report)))
    ws = wb["督察整改 Oversight"]
    assert (ws["A5"].value, ws["C5"].value) == ("整改任务", 9)
    assert render_pdf(report).startswith(b"%PDF")
    rows = AuditLog.objects.count()
    load_oversight_demo(password="demo-Pass-2024")
    assert AuditLog.objects.count() == rows
