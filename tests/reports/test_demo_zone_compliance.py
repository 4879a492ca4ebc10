"""Water's red-line summary (`/api/v1/water/redlines/summary/`, the console's red-line page) shows the
zone-compliance rate the report computes from the sections tied to each key water-function zone
(issue 19 item 6), through core.providers (water may not import quality); without the provider it
falls back to the entered figure. On the demo data."""

from __future__ import annotations

import io
from decimal import Decimal

import pytest
from django.test import Client

from accounts.models import User
from accounts.scope import scope_for
from core import periods, providers
from core.demo import demo_loaders
from quality.zone_selectors import zone_compliance
from reports.builders import build_report
from water.selectors import redline_summary

pytestmark = pytest.mark.django_db

LOADERS = {"accounts", "places", "water", "quality"}


@pytest.fixture
def reviewer(settings, tmp_path) -> User:
    settings.MEDIA_ROOT = str(tmp_path)
    for name, loader in demo_loaders():
        if name in LOADERS:
            loader(password="demo-pass-for-tests", password_generated=False, stdout=io.StringIO())
    return User.objects.get(username="reviewer")


def _zone(indicators: list[dict]) -> dict:
    return next(i for i in indicators if i["key"] == "zone_compliance")


def test_the_api_summary_and_the_report_agree_on_zone_compliance(reviewer, client_for, monkeypatch):
    scope, api = scope_for(reviewer), client_for(reviewer)
    for period in (periods.quarter(2024, 1), periods.year(2024), periods.year(2023)):
        end = period.last_date
        report = build_report(scope=scope, period=period, division_code="650100")["water"]["redlines"]
        resp = api.get(f"/api/v1/water/redlines/summary/?year={end.year}&division=650100&as_of={end.isoformat()}")
        assert resp.status_code == 200, resp.content
        summary, in_report = _zone(resp.json()["indicators"]), _zone(report["indicators"])
        # Computed from the zones' sections, not the typed-in figure (0.875 in 2024, 0.850 in 2023).
        assert summary["source"] in ("sections", "sections_and_declared"), summary
        zones = zone_compliance(
            scope=scope,
            period=periods.date_range(period.first_date.replace(month=1, day=1), end),
            division_code="650100",
        )
        assert zones.from_sections > 0
        assert summary["actual"] == pytest.approx(float(zones.rate), abs=1e-12)  # JSON: a float
        assert summary["note"] == f"{zones.complying}/{zones.judged}"
        assert Decimal(str(summary["actual"])) not in (Decimal("0.875"), Decimal("0.85"))
        # The report shows the same figure, source and state.
        assert Decimal(str(in_report["actual"])) == Decimal(str(summary["actual"]))
        assert Decimal(str(report["zone_compliance"]["rate"])) == Decimal(str(summary["actual"]))
        assert (in_report["source"], in_report["state"], in_report["met"]) == (
            summary["source"],
            summary["state"],
            summary["met"],
        )
        year_over = end == periods.year(end.year).last_date
        assert summary["state"] in (("met", "not_met") if year_over else ("on_track", "at_risk"))
    # The console's red-line page shows it with its source in words.
    page = Client(HTTP_ACCEPT_LANGUAGE="zh-hans")
    page.force_login(reviewer)
    html = page.get("/water/redlines/year/?year=2024&division=650100").content.decode()
    assert "监测断面计算" in html
    # Without quality's provider (water alone) the entered figure stays.
    monkeypatch.setattr(providers, "_REGISTRY", {})
    alone = {i.key: i for i in redline_summary(scope=scope, year=2024, division_code="650100").indicators}
    assert (alone["zone_compliance"].actual, alone["zone_compliance"].source) == (Decimal("0.875"), "entered")
