"""The report over the fixed dataset of conftest.py: every figure as computed by hand there."""

from __future__ import annotations

import pytest

from accounts.scope import scope_for
from core.periods import quarter
from reports.builders import build_report

pytestmark = pytest.mark.django_db
Q2 = quarter(2024, 2)


@pytest.fixture
def report(dataset):
    return build_report(scope=dataset.scope, period=Q2)


def test_period_and_comparison(report):
    assert report["period"] == {"start": "2024-04-01", "end": "2024-06-30", "label": "2024-Q2", "kind": "quarter"}
    assert report["comparison_period"]["label"] == "2023-Q2"
    assert report["division"] is None


def test_patrol_effort(report):
    p = report["patrols"]
    # P1 3 + P2 1 + P3 2 people; 3,000 + 4,500 + 1,250 m; P4 is next quarter, P5 in progress.
    assert (p["patrols"], p["person_times"], p["km"]) == (3, 6, 8.75)
    assert (p["valid"], p["flagged"], p["flagged_pending"], p["flagged_rejected"]) == (2, 1, 1, 0)
    levels = {row["level"]: row for row in p["by_level"]}
    assert (levels["township"]["patrols"], levels["township"]["person_times"], levels["township"]["km"]) == (2, 4, 7.5)
    assert (levels["village"]["patrols"], levels["village"]["person_times"], levels["village"]["km"]) == (1, 2, 1.25)
    assert levels["city"]["patrols"] == 0
    divisions = {row["code"]: (row["patrols"], row["person_times"], row["km"]) for row in p["by_division"]}
    assert divisions == {"650102": (2, 4, 7.5), "650103": (1, 2, 1.25)}
    # Last year: P0 alone (2 people, 2 km).
    assert p["yoy"]["person_times"] == {"previous": 2, "change": 4, "change_ratio": 2.0}
    assert p["yoy"]["km"] == {"previous": 2.0, "change": 6.75, "change_ratio": 3.375}


def test_the_two_patrol_counts_and_which_one_leads(dataset, settings):
    """巡河次数 (a chief's patrols: 3) and 巡河人次 (people on patrol: 6) over the hand-computed dataset,
    both with their definitions; REPORTS_PATROL_HEADLINE picks the headline."""
    p = build_report(scope=dataset.scope, period=Q2)["patrols"]
    assert p["headline"]["figure"] == "patrols"
    assert (p["headline"]["value"], p["headline"]["name_zh"]) == (3, "巡河次数")
    assert set(p["count_definitions"]) == {"patrols", "person_times"}
    assert "随行人员" in p["count_definitions"]["person_times"]["definition_zh"]
    settings.REPORTS_PATROL_HEADLINE = "person_times"
    p = build_report(scope=dataset.scope, period=Q2)["patrols"]
    h = p["headline"]
    assert (h["figure"], h["value"], h["name_zh"]) == ("person_times", 6, "巡河人次")
    settings.REPORTS_PATROL_HEADLINE = "people"
    from django.core.exceptions import ImproperlyConfigured

    with pytest.raises(ImproperlyConfigured, match="REPORTS_PATROL_HEADLINE"):
        build_report(scope=dataset.scope, period=Q2)


def test_cases_and_litter(report):
    p = report["patrols"]
    # Found in Q2: C1, C2, C4, C5; on the spot: C1; closed in Q2: C1, C3; overdue at the end: C2.
    assert (p["cases_found"], p["cases_cleared_on_spot"], p["cases_closed"], p["cases_overdue"]) == (4, 1, 2, 1)
    # Of the four found, only C1 was closed by 30 June (C4 closed on 3 July).
    assert (p["cases_closed_of_found"], p["closure_rate"]) == (1, 0.25)
    cats = {row["category"]: row for row in p["cases_by_category"]}
    assert {k: (v["found"], v["cleared_on_spot"], v["closed"], v["overdue"]) for k, v in cats.items()} == {
        "occupation": (1, 1, 1, 0),
        "extraction": (0, 0, 0, 0),
        "dumping": (1, 0, 1, 1),
        "construction": (1, 0, 0, 0),
        "other": (1, 0, 0, 0),
    }
    states = {
        row["category"]: {k: v for k, v in row.items() if isinstance(v, int) and v} for row in p["cases_by_state"]
    }
    # As of 30 June: C4, closed on 3 July, is not closed yet (the fixture writes it without workflow steps or
    # an assigned_at stamp, so it stands in its initial state).
    assert states == {
        "occupation": {"closed": 1},
        "extraction": {},
        "dumping": {"assigned": 1},
        "construction": {"reported": 1},
        "other": {"reported": 1},
    }
    # 1.250 + 0.500 t (the 9 t of 1 July is next quarter); last year 0.750 t.
    assert (p["litter_tonnes"], p["litter_records"]) == (1.75, 2)
    assert p["yoy"]["litter_tonnes"] == {"previous": 0.75, "change": 1.0, "change_ratio": pytest.approx(4 / 3)}
    assert p["yoy"]["cases_found"] == {"previous": 1, "change": 3, "change_ratio": 3.0}
    # Last year one case found, none closed: 0 % → 25 %, +25 percentage points.
    assert p["yoy"]["closure_rate"] == {"previous": 0.0, "change_pp": 25.0}


def test_frequency_compliance(report):
    c = report["patrols"]["compliance"]
    # The township chief owes a patrol in each of April, May, June and made them in April and May; the
    # village chief has no rule (nothing owed).
    assert (c["chiefs"], c["compliant_chiefs"], c["required"], c["done"], c["valid"], c["missing"]) == (
        2,
        1,
        3,
        2,
        2,
        1,
    )
    assert c["rate"] == pytest.approx(2 / 3)


def test_quality_shares(report):
    q = report["quality"]
    assert (q["rivers"]["good_ratio"], q["rivers"]["good"], q["rivers"]["evaluated"]) == (0.5, 1, 2)
    assert (q["lakes"]["good_ratio"], q["lakes"]["good"], q["lakes"]["evaluated"]) == (0.5, 1, 2)
    assert (q["drinking_sources"]["good_ratio"], q["drinking_sources"]["evaluated"]) == (1.0, 1)
    assert q["lakes"]["by_class"]["劣V"] == 1
    # 2023 Q2: both rivers class III (100 %): −50 points; no lakes or sources sampled: undefined.
    assert q["yoy"]["rivers"]["good_ratio"] == {"previous": 1.0, "change_pp": -50.0}
    assert q["yoy"]["lakes"]["good_ratio"] == {"previous": None, "change_pp": None}


def test_reuse(report):
    r = report["reuse"]
    assert (r["treated_m3"], r["produced_m3"], r["used_m3"]) == (5_000_000.0, 1_300_000.0, 750_000.0)
    assert r["rate"] == pytest.approx(0.15)
    by_class = {c["use_class"]: c["used_m3"] for c in r["by_class"] if c["used_m3"]}
    assert by_class == {"urban": 500_000.0, "environmental": 100_000.0, "industrial": 150_000.0}
    # 2023 Q2: 100,000 ÷ 1,000,000 = 10 %: +5 points.
    assert r["yoy"]["rate"]["previous"] == pytest.approx(0.1)
    assert r["yoy"]["rate"]["change_pp"] == pytest.approx(5.0)
    assert r["yoy"]["used_m3"]["change"] == 650_000.0


def test_water_use_without_plan(report):
    w = report["water"]
    # 2,184 hours × 10 m³, all measured; nothing last year (the meter was installed in 2024).
    assert w["use_m3"] == 21_840.0
    assert (w["estimated_m3"], w["held_m3"]) == (0.0, 0.0)
    intakes = {i["code"]: i["use_m3"] for i in w["intakes"]}
    assert intakes == {"QSK-E": 21_840.0, "QSK-W": 0.0}
    assert w["yoy"]["use_m3"] == {"previous": 0.0, "change": 21_840.0, "change_ratio": None}


def test_water_use_against_plan(dataset, plan):
    w = build_report(scope=dataset.scope, period=Q2)["water"]
    assert w["plan_available"] is True
    # Q2 of a 10,000 m³-a-month plan: 30,000 m³; 21,840 ÷ 30,000 = 72.8 %, within plan.
    assert (w["use_m3"], w["plan_m3"], w["over_m3"]) == (21_840.0, 30_000.0, 0.0)
    assert w["ratio"] == pytest.approx(0.728)
    e = {i["code"]: i for i in w["intakes"]}["QSK-E"]
    assert (e["use_m3"], e["plan_m3"]) == (21_840.0, 30_000.0)


def test_division_narrows_every_section(dataset):
    r = build_report(scope=dataset.scope, period=Q2, division_code="650103")
    assert r["division"] == {"code": "650103", "name": "沙依巴克区"}
    p = r["patrols"]
    assert (p["patrols"], p["person_times"], p["km"], p["cases_found"], p["litter_tonnes"]) == (1, 2, 1.25, 1, 0.5)
    assert (r["quality"]["rivers"]["evaluated"], r["quality"]["rivers"]["good"]) == (1, 0)
    assert (r["reuse"]["treated_m3"], r["reuse"]["used_m3"]) == (1_000_000.0, 150_000.0)
    assert r["water"]["use_m3"] == 0.0


def test_chief_reads_their_division(dataset, users):
    r = build_report(scope=scope_for(users["chief_650102"]), period=Q2)
    assert r["jurisdiction"] == "650102"
    p = r["patrols"]
    assert (p["patrols"], p["person_times"], p["cases_found"], p["litter_tonnes"]) == (2, 4, 3, 1.25)
    assert r["water"]["use_m3"] == 21_840.0


def test_every_summed_figure_has_a_drill_down(report):
    links = report["links"]
    for path in (
        "patrols.person_times",
        "patrols.km",
        "patrols.cases_found",
        "patrols.cases_cleared_on_spot",
        "patrols.cases_closed",
        "patrols.litter_tonnes",
        "quality.rivers.good_ratio",
        "quality.lakes.good_ratio",
        "quality.drinking_sources.good_ratio",
        "water.use_m3",
        "water.plan_m3",
        "water.arrival_rate",
        "reuse.used_m3",
        "reuse.treated_m3",
        "reuse.rate",
    ):
        assert links[path].startswith("/api/v1/"), path
    assert links["patrols.person_times"] == "/api/v1/patrols/?status=completed&start=2024-04-01&end=2024-06-30"
    assert links["patrols.cases_closed"] == "/api/v1/reports/rows/?figure=cases_closed&start=2024-04-01&end=2024-06-30"
    assert all(row["link"].startswith("/api/v1/water/intakes/") for row in report["water"]["intakes"])
