"""Issue 19 item 3 (audit): the Q1 2024 report over the two-year dataset of conftest.py (2023 rows, 2024 rows from
1 April on, one case found on 15 March and closed on 15 April). Nothing measured from April on may show in it."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from core.periods import quarter
from reports.builders import build_report

pytestmark = pytest.mark.django_db
Q1 = quarter(2024, 1)

# Every non-zero number the Q1 report may hold, and why: ledger facts and what Q1 owed, not April's figures.
ALLOWED = {
    ".schema",
    ".water.intakes[0].intake_id",
    ".water.intakes[1].intake_id",
    ".water.monitoring_coverage",
    ".water.monitoring.coverage",  # both intakes metered since 1 January
    ".water.monitoring.required_intakes",
    ".water.monitoring.monitored_intakes",
    ".water.monitoring.meters",
    ".water.monitoring.online",
    ".water.monitoring.offline",
    ".water.monitoring.by_intake[0].intake",
    ".water.monitoring.by_intake[0].meters",
    ".water.monitoring.by_intake[0].online",
    ".water.monitoring.by_intake[1].intake",
    ".water.monitoring.by_intake[1].meters",
    ".water.monitoring.by_intake[1].offline",
    ".water.monitoring.expected_reports",  # 91 days × 24 h × 2 meters = 4,368
    ".water.monitoring.by_intake[0].expected_reports",
    ".water.monitoring.by_intake[1].expected_reports",
    ".water.redlines.year",
    ".water.yoy.monitoring_coverage.change_pp",  # no meter in Q1 2023
    ".reuse.target",
    ".patrols.cases_found",
    ".patrols.by_water[0].cases_found",
    ".patrols.cases_by_category[2].found",  # 15 March
    ".patrols.yoy.cases_found.change",
    ".patrols.compliance.chiefs",
    ".patrols.compliance.compliant_chiefs",
    ".patrols.compliance.required",
    ".patrols.compliance.missing",
    ".patrols.compliance.by_level.township.chiefs",
    ".patrols.compliance.by_level.township.required",
    ".patrols.compliance.by_level.township.missing",
    ".patrols.compliance.by_level.village.chiefs",
    ".patrols.compliance.by_level.village.compliant_chiefs",
    # the same chiefs split by their water: both are river chiefs (by_water[0] is `rivers`)
    ".patrols.compliance.by_water[0].chiefs",
    ".patrols.compliance.by_water[0].compliant_chiefs",
    ".patrols.compliance.by_water[0].required",
    ".patrols.compliance.by_water[0].missing",
    ".quality.rivers.not_evaluated",
    ".quality.lakes.not_evaluated",
    ".quality.drinking_sources.not_evaluated",
}


def numbers(x: Any, path: str = "") -> Iterator[tuple[str, float]]:
    if isinstance(x, dict):
        for k, v in x.items():
            yield from numbers(v, f"{path}.{k}")
    elif isinstance(x, list):
        for i, v in enumerate(x):
            yield from numbers(v, f"{path}[{i}]")
    elif isinstance(x, int | float) and not isinstance(x, bool) and x:
        yield path, x


def test_the_q1_report_of_a_two_year_dataset_holds_nothing_of_april_on(dataset):
    r = build_report(scope=dataset.scope, period=Q1)
    assert r["period"]["label"] == "2024-Q1"
    p = r["patrols"]
    assert (p["patrols"], p["person_times"], p["km"], p["cases_found"], p["cases_closed"]) == (0, 0, 0, 1, 0)
    assert not r["water"]["use_m3"]
    found = {path for path, _ in numbers(r) if ".cases_by_state" not in path}
    assert found - ALLOWED == set()


def test_the_q1_report_shows_each_case_in_its_state_at_the_end_of_q1(dataset):
    p = build_report(scope=dataset.scope, period=Q1)["patrols"]
    closed = sum(row.get("closed", 0) for row in p["cases_by_state"])
    assert closed == p["cases_closed"] == 0
