"""The report selectors of the patrols app (read by the reports module): figures over a period and
division, each equal to the number of drill-down rows behind it, scoped by jurisdiction."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from accounts.choices import Role
from accounts.scope import scope_for
from core.exceptions import InvalidInput
from core.periods import month, quarter
from patrols import report_selectors as selectors
from patrols.choices import CaseCategory, CaseClosure, CaseStatus, ReviewStatus
from patrols.models import LitterRemoval
from places.choices import ChiefLevel
from tests.reports.conftest import bj, make_case, make_patrol

pytestmark = pytest.mark.django_db


@pytest.fixture
def rows(geography, users, make_user):
    g = geography
    east, west = users["chief_650102"], make_user(Role.CHIEF, "650103", username="t_west")
    re, rw = g["reach_e"], g["reach_w"]
    # Beijing-midnight edges of April: 31 March 23:59 and 1 May 00:00 are outside, 1 April 00:00 inside.
    make_patrol(east, re, ChiefLevel.TOWNSHIP, bj(2024, 3, 31, 23, 59), 1000, 0)
    make_patrol(east, re, ChiefLevel.TOWNSHIP, bj(2024, 4, 1, 0, 0), 2000, 1)
    make_patrol(west, rw, ChiefLevel.VILLAGE, bj(2024, 4, 30, 23, 59), 500, 0, review=ReviewStatus.REJECTED)
    make_patrol(west, rw, ChiefLevel.VILLAGE, bj(2024, 5, 1, 0, 0), 700, 0)
    make_case(
        east,
        re,
        CaseCategory.EXTRACTION,
        bj(2024, 4, 3),
        CaseStatus.CLOSED,
        closed_via=CaseClosure.ON_SPOT,
        closed_at=bj(2024, 4, 3, 12),
    )
    make_case(
        west,
        rw,
        CaseCategory.DUMPING,
        bj(2024, 3, 3),
        CaseStatus.RECTIFYING,
        responsible_unit="u",
        deadline=dt.date(2024, 3, 20),
        overdue_at=bj(2024, 3, 21),
    )
    LitterRemoval.objects.create(
        reach=re, removed_on=dt.date(2024, 4, 30), tonnes=Decimal("0.125"), recorded_by=users["admin"]
    )
    return {"east": east, "west": west}


def test_figures_of_a_month(rows, users):
    r = selectors.patrol_report(scope=scope_for(users["admin"]), period=month(2024, 4))
    assert (r["patrols"], r["person_times"], r["km"], r["valid"], r["flagged"], r["flagged_rejected"]) == (
        2,
        3,
        2.5,
        1,
        1,
        1,
    )
    assert (r["cases_found"], r["cases_cleared_on_spot"], r["cases_closed"], r["cases_overdue"]) == (1, 1, 1, 1)
    assert r["closure_rate"] == 1.0
    assert r["litter_tonnes"] == Decimal("0.125")
    assert r["by_level"]["village"] == {
        "patrols": 1,
        "person_times": 1,
        "km": 0.5,
        "valid": 0,
        "flagged": 1,
        "flagged_pending": 0,
        "flagged_rejected": 1,
    }


def test_every_figure_counts_its_drill_down_rows(rows, users):
    scope = scope_for(users["admin"])
    period = quarter(2024, 2)
    r = selectors.patrol_report(scope=scope, period=period)
    pairs = {
        "patrols": "patrols",
        "patrols_valid": "valid",
        "patrols_flagged": "flagged",
        "cases_found": "cases_found",
        "cases_cleared_on_spot": "cases_cleared_on_spot",
        "cases_closed": "cases_closed",
        "cases_closed_of_found": "cases_closed_of_found",
        "cases_overdue": "cases_overdue",
        "litter": "litter_records",
    }
    for figure, key in pairs.items():
        assert selectors.report_rows(scope=scope, period=period, figure=figure).count() == r[key], figure
    with pytest.raises(InvalidInput):
        selectors.report_rows(scope=scope, period=period, figure="everything")


def test_scope_and_division(rows, users):
    period = quarter(2024, 2)
    # A chief reads the aggregates of their whole division (here Tianshan), not only their own rows.
    chief = selectors.patrol_report(scope=scope_for(users["chief_650102"]), period=period)
    assert (chief["patrols"], chief["person_times"]) == (1, 2)
    west = selectors.patrol_report(scope=scope_for(users["admin"]), period=period, division_code="650103")
    assert (west["patrols"], west["cases_found"], west["cases_overdue"]) == (2, 0, 1)
    for who in ("operator", "device", "no_jurisdiction"):
        r = selectors.patrol_report(scope=scope_for(users[who]), period=period)
        assert (r["patrols"], r["cases_found"], r["litter_records"]) == (0, 0, 0), who


def test_query_count(rows, users):
    with CaptureQueriesContext(connection) as q:
        selectors.patrol_report(scope=scope_for(users["city_reviewer"]), period=quarter(2024, 2))
    assert len(q) <= 10


def test_compliance_report_for_a_chief_covers_the_division(rows, users, make_user):
    from patrols.models import PatrolFrequencyRule
    from places.services import chief_assign

    PatrolFrequencyRule.objects.all().delete()
    PatrolFrequencyRule.objects.create(
        level=ChiefLevel.TOWNSHIP, period="month", required_count=1, season_start_month=1, season_end_month=12
    )
    other = make_user(Role.CHIEF, "650102", username="t_other")
    reach = rows["east"].patrols.first().reach
    chief_assign(chief=rows["east"], level=ChiefLevel.TOWNSHIP, reach=reach, valid_from=dt.date(2024, 1, 1), actor="t")
    chief_assign(chief=other, level=ChiefLevel.TOWNSHIP, reach=reach, valid_from=dt.date(2024, 1, 1), actor="t")
    c = selectors.compliance_report(scope=scope_for(users["chief_650102"]), period=month(2024, 4))
    # Both township chiefs of the reach, one patrol each owed in April; only `east` made one.
    assert (c["chiefs"], c["compliant_chiefs"], c["required"], c["valid"], c["missing"], c["rate"]) == (
        2,
        1,
        2,
        1,
        1,
        0.5,
    )
