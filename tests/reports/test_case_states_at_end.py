"""Issue 19 item 3 (audit): a past period's case figures are as of the period's end. Cases found in Q1 2024
moved through the workflow (the services, back-dated steps), some closed in Q1, some in April and May, one
overdue on 31 March and closed later, one found on 31 March and assigned in April. The Q1 report reads them as
they stood on 31 March, the Q2 report as they stood on 30 June, whatever they are now. Hand-computed."""

from __future__ import annotations

import datetime as dt
import uuid
from typing import Any

import pytest
from django.contrib.gis.geos import Point

from accounts.scope import SYSTEM_SCOPE
from core.periods import BEIJING, quarter
from patrols import report_selectors, services
from patrols.choices import CaseCategory, CaseSource, CaseStatus
from patrols.models import Case, CasePhoto

pytestmark = pytest.mark.django_db
Q1, Q2 = quarter(2024, 1), quarter(2024, 2)


def bj(m: int, d: int, h: int = 10, mi: int = 0) -> dt.datetime:
    return dt.datetime(2024, m, d, h, mi, tzinfo=BEIJING)


@pytest.fixture
def cases(geography: dict[str, Any], users: dict[str, Any]) -> dict[str, Case]:
    staff, reach = users["admin"], geography["reach_e"]

    def found(category: str, at: dt.datetime) -> Case:
        case, _ = services.case_report(
            actor=staff,
            case_id=uuid.uuid4(),
            category=category,
            source=CaseSource.COMPLAINT,
            location=Point(87.7, 43.9, srid=4326),
            description="test",
            found_at=at,
            reach=reach,
            at=at,
        )
        return case

    def assign(case: Case, at: dt.datetime, deadline: dt.date) -> Case:
        return services.case_assign(case=case, actor=staff, responsible_unit="unit", deadline=deadline, at=at)

    def through(case: Case, *steps: tuple[str, dt.datetime]) -> Case:
        for step, at in steps:
            if step == "clear_on_spot":  # the evidence the step asks for (a stored photo row)
                CasePhoto.objects.create(
                    case=case,
                    sha256="0" * 64,
                    file="patrols/photos/00/x.jpg",
                    content_type="image/jpeg",
                    size_bytes=1,
                    width=1,
                    height=1,
                    stage=CaseStatus.REPORTED,
                    uploaded_by=staff,
                )
            kw = {"note": "redo"} if step == "reject" else {}
            case = getattr(services, f"case_{step}")(case=case, actor=staff, at=at, **kw)
        return case

    a = found(CaseCategory.OCCUPATION, bj(1, 10))  # closed in Q1 through the whole workflow
    a = assign(a, bj(1, 11), dt.date(2024, 2, 10))
    a = through(a, ("rectify", bj(1, 12)), ("submit", bj(1, 20)), ("verify", bj(1, 25)), ("close", bj(1, 26)))
    b = found(CaseCategory.DUMPING, bj(2, 5))  # cleared on the spot in Q1
    b = through(b, ("clear_on_spot", bj(2, 5, 11)))
    c = found(CaseCategory.DUMPING, bj(3, 1))  # sent back on 28 March: rectifying on 31 March; closed 10 April
    c = assign(c, bj(3, 2), dt.date(2024, 4, 30))
    c = through(c, ("rectify", bj(3, 5)), ("submit", bj(3, 25)), ("reject", bj(3, 28)))
    d = found(CaseCategory.CONSTRUCTION, bj(3, 10))  # overdue from 21 March, assigned on 31 March; closed 5 May
    d = assign(d, bj(3, 11), dt.date(2024, 3, 20))
    assert services.case_flag_overdue(now=bj(3, 21, 0, 30)) == 1
    e = found(CaseCategory.OTHER, bj(3, 31, 23, 30))  # reported on 31 March; assigned 1 April, overdue from 2 June
    c = through(c, ("submit", bj(4, 5)), ("verify", bj(4, 8)), ("close", bj(4, 10)))
    d = through(d, ("rectify", bj(4, 2)), ("submit", bj(4, 20)), ("verify", bj(4, 25)), ("close", bj(5, 5)))
    e = assign(e, bj(4, 1), dt.date(2024, 6, 1))
    f = found(CaseCategory.OCCUPATION, bj(5, 1))  # found and cleared in Q2
    f = through(f, ("clear_on_spot", bj(5, 1, 11)))
    g = found(CaseCategory.OTHER, bj(6, 29))  # found in Q2, still reported
    assert services.case_flag_overdue(now=bj(6, 2, 0, 30)) == 1
    return {"a": a, "b": b, "c": c, "d": d, "e": e, "f": f, "g": g}


def states(report: dict[str, Any]) -> dict[tuple[str, str], int]:
    return {(cat, s): n for cat, row in report["cases_by_state"].items() for s, n in row.items() if n}


def test_the_q1_report_reads_the_cases_as_they_stood_on_31_march(cases):
    now = {k: Case.objects.get(pk=c.pk).status for k, c in cases.items()}
    assert now == {"a": "closed", "b": "closed", "c": "closed", "d": "closed", "e": "assigned", "f": "closed"} | {
        "g": "reported"
    }
    r = report_selectors.patrol_report(scope=SYSTEM_SCOPE, period=Q1)
    assert (r["cases_found"], r["cases_cleared_on_spot"], r["cases_closed"], r["cases_closed_of_found"]) == (5, 1, 2, 2)
    assert r["cases_overdue"] == 1  # d: flagged 21 March, open on 31 March
    assert r["closure_rate"] == pytest.approx(2 / 5)
    assert states(r) == {
        ("occupation", "closed"): 1,  # a
        ("dumping", "closed"): 1,  # b
        ("dumping", "rectifying"): 1,  # c, sent back on 28 March
        ("construction", "assigned"): 1,  # d
        ("other", "reported"): 1,  # e
    }
    assert r["cases_by_category"]["dumping"] == {
        "found": 2,
        "cleared_on_spot": 1,
        "closed": 1,
        "closed_of_found": 1,
        "overdue": 0,
    }
    assert r["cases_by_category"]["construction"]["overdue"] == 1
    rows = report_selectors.report_rows(scope=SYSTEM_SCOPE, period=Q1, figure="cases_overdue")
    assert [row.pk for row in rows] == [cases["d"].pk]


def test_the_q2_report_reads_the_cases_as_they_stood_on_30_june(cases):
    r = report_selectors.patrol_report(scope=SYSTEM_SCOPE, period=Q2)
    assert (r["cases_found"], r["cases_cleared_on_spot"], r["cases_closed"], r["cases_closed_of_found"]) == (2, 1, 3, 1)
    assert r["cases_overdue"] == 1  # e: flagged 2 June, open on 30 June; d closed on 5 May
    assert r["closure_rate"] == pytest.approx(1 / 2)
    assert states(r) == {("occupation", "closed"): 1, ("other", "reported"): 1}  # f, g
    closed = report_selectors.report_rows(scope=SYSTEM_SCOPE, period=Q2, figure="cases_closed")
    assert {row.pk for row in closed} == {cases["c"].pk, cases["d"].pk, cases["f"].pk}


def test_a_step_recorded_after_the_end_does_not_reach_back(cases):
    """The state is the last step before the end, not the current status: the case closed on 10 April
    was rectifying on 31 March although its closed step exists now."""
    from patrols.report_selectors import case_state_at

    at_q1 = dict(Case.objects.annotate(s=case_state_at(Q1.end)).values_list("pk", "s"))
    at_q2 = dict(Case.objects.annotate(s=case_state_at(Q2.end)).values_list("pk", "s"))
    assert (at_q1[cases["c"].pk], at_q2[cases["c"].pk]) == ("rectifying", "closed")
    assert (at_q1[cases["e"].pk], at_q2[cases["e"].pk]) == ("reported", "assigned")
    assert (at_q1[cases["d"].pk], at_q2[cases["d"].pk]) == ("assigned", "closed")
