"""The demo's 2023 is a real base year: the 2024-Q1 city report's year-on-year (同比) rows are within
plausible bounds (no −99.8 % against an empty 2023), and 2023 has monitoring coverage, patrols,
reclaimed water and quality samples of its own."""

from __future__ import annotations

import io

import pytest

from accounts.models import User
from accounts.scope import scope_for
from core import periods
from core.demo import demo_loaders
from reports.builders import build_report

pytestmark = pytest.mark.django_db

LOADERS = {"accounts", "places", "water", "patrols", "quality", "reuse"}


@pytest.fixture
def report(settings, tmp_path):
    settings.MEDIA_ROOT = str(tmp_path)
    for name, loader in demo_loaders():
        if name in LOADERS:
            loader(password="demo-pass-for-tests", password_generated=False, stdout=io.StringIO())
    reviewer = scope_for(User.objects.get(username="reviewer"))
    return build_report(scope=reviewer, period=periods.quarter(2024, 1), division_code="650100")


def _ratios(report):
    """Every quantity's year-on-year change ratio, by path."""
    out = {}
    for section in ("water", "reuse", "patrols"):
        for key, yoy in report[section]["yoy"].items():
            if "change_ratio" in yoy and yoy["previous"]:
                out[f"{section}.{key}"] = yoy["change_ratio"]
    return out


def test_the_2024_q1_report_compares_with_a_real_2023(report):
    assert report["comparison_period"]["label"] == "2023-Q1"
    water, reuse, patrols = report["water"]["yoy"], report["reuse"]["yoy"], report["patrols"]["yoy"]
    # The base year has data of its own in every section.
    assert water["use_m3"]["previous"] > 10_000_000
    assert water["measured_m3"]["previous"] == water["use_m3"]["previous"]  # measured, not estimated
    assert water["plan_m3"]["previous"] > 0  # the 2023 plan
    assert reuse["treated_m3"]["previous"] > 0
    assert patrols["patrols"]["previous"] > 0
    # Coverage and arrival of 2023 are not zero: every meter was installed and reporting.
    assert water["monitoring_coverage"]["previous"] > 0
    assert water["arrival_rate"]["previous"] > 0.9
    # Plausible changes: a few per cent for water and reclaimed water, never an empty base.
    ratios = _ratios(report)
    assert {"water.use_m3", "reuse.treated_m3", "patrols.km"} <= set(ratios)
    for path in ("water.use_m3", "water.measured_m3", "reuse.treated_m3", "patrols.km", "patrols.person_times"):
        assert abs(ratios[path]) < 0.5, (path, ratios[path])
    assert 0 < ratios["water.use_m3"] < 0.1
    for key in ("rivers", "lakes", "drinking_sources"):
        assert report["quality"]["yoy"][key]["evaluated"]["previous"] > 0
