"""The report's online-monitoring figures come from water.selectors.monitoring_summary: for the fixed
dataset WM-E1 reported every hour of the quarter and WM-W1 never, so about half the expected reports
arrived."""

from __future__ import annotations

import pytest

from core.periods import quarter
from reports.builders import build_report
from water import selectors as water_selectors

pytestmark = pytest.mark.django_db
Q2 = quarter(2024, 2)


def test_monitoring_section(dataset):
    w = build_report(scope=dataset.scope, period=Q2)["water"]
    m = water_selectors.monitoring_summary(scope=dataset.scope, period=Q2, division_code=None)
    assert w["monitoring"]["available"] is True
    assert w["arrival_rate"] == pytest.approx(float(m.arrival_rate))
    assert w["monitoring"]["received_reports"] == m.received_reports
    assert w["monitoring"]["expected_reports"] == m.expected_reports
    assert w["arrival_rate"] == pytest.approx(0.5, abs=0.01)
    assert 0 <= w["monitoring_coverage"] <= 1


def test_monitoring_in_the_api_and_files(dataset, client_for, users):
    body = client_for(users["admin"]).get("/api/v1/reports/quarterly/2024/2/").json()
    assert body["links"]["water.arrival_rate"] == "/api/v1/water/monitoring/?start=2024-04-01&end=2024-06-30"
    assert isinstance(body["water"]["arrival_rate"], float)
    assert 0 <= body["water"]["arrival_rate"] <= 1


def test_the_pdf_shows_the_arrival_rate(dataset, client_for, users):
    import io

    from pypdf import PdfReader

    raw = client_for(users["admin"]).get("/api/v1/reports/quarterly/2024/2/", {"format": "pdf"}).content
    text = "".join(page.extract_text() for page in PdfReader(io.BytesIO(raw)).pages)
    assert "在线监测到报率" in text
    assert "本期无在线计量设施" not in text
