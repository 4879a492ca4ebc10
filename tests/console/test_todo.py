"""待办 counts beside the menu (console/todo.py): per role what awaits the user, scoped like the API,
each badge linking to the ledger rows it counts; a handful of queries, kept briefly per user. Runs on
SpatiaLite and PostGIS."""

from __future__ import annotations

import datetime as dt
import html
import re
from typing import Any

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from patrols import services as patrol_services
from patrols.models import Case
from water import services as water_services
from water.choices import AlertKind

pytestmark = pytest.mark.django_db

BJ = dt.timezone(dt.timedelta(hours=8))
BADGE = re.compile(r'<a class="todo( urgent)?" href="([^"]+)" title="([^"]+)"[^>]*data-testid="todo">(\d+)</a>')
ROW_COUNT = re.compile(r"data-testid=\"row-count\">\D*(\d+)")


def _badges(client: Any, path: str = "/water/intakes/") -> list[tuple[str, int, bool]]:
    """(link, count, urgent) of every badge in the menu of a page the user may open."""
    resp = client.get(path)
    assert resp.status_code == 200
    return [(html.unescape(href), int(n), bool(urgent)) for urgent, href, _t, n in BADGE.findall(resp.content.decode())]


def _rows(client: Any, link: str) -> int:
    resp = client.get(link)
    assert resp.status_code == 200, link
    found = ROW_COUNT.search(resp.content.decode())
    assert found, link
    return int(found.group(1))


@pytest.fixture
def waiting(console_data, users):
    """East's case assigned with a deadline now past and flagged overdue; west's case submitted for
    check; an open alert on each intake (the operator's is the east one)."""
    admin = users["admin"]  # the office (staff) assigns; rectification is submitted by the chief or an admin
    east = Case.objects.get(pk=console_data.cases["township"])
    found = east.found_at.astimezone(BJ).date()
    east = patrol_services.case_assign(case=east, actor=admin, responsible_unit="天山区水务局", deadline=found)
    assert patrol_services.case_flag_overdue(now=east.found_at + dt.timedelta(days=3)) == 1
    west = Case.objects.get(pk=console_data.cases["west"])
    west = patrol_services.case_assign(
        case=west, actor=admin, responsible_unit="沙区水务局", deadline=found + dt.timedelta(days=30)
    )
    west = patrol_services.case_rectify(case=west, actor=admin)
    patrol_services.case_submit(case=west, actor=admin)
    now = dt.datetime.now(tz=BJ)
    for intake in (console_data.intake_e, console_data.intake_w):
        water_services.alert_raise_or_refresh(
            kind=AlertKind.METER_OFFLINE, key=f"t-{intake.pk}", intake_id=intake.pk, at=now, actor="test"
        )
    return console_data


def test_a_city_reviewer_sees_what_awaits_review_and_each_badge_opens_its_rows(waiting, users, web):
    client = web(users["city_reviewer"])
    badges = _badges(client)
    by_path = {link.split("?")[0]: [] for link, _n, _u in badges}
    for link, n, urgent in badges:
        by_path[link.split("?")[0]].append((link, n, urgent))
    cases = {link: n for link, n, _u in by_path["/river/cases/"]}
    assert cases == {"/river/cases/?status=submitted": 1, next(k for k in cases if "overdue=true" in k): 1}
    assert [(n, urgent) for _l, n, urgent in by_path["/water/alerts/"]] == [(2, True)]
    # Every badge's number is the row count of the ledger it links to (the same selector and scope).
    for link, n, _urgent in badges:
        assert _rows(client, link) == n, link
    # The overdue link lists open overdue cases only: a closed case flagged overdue once is not waiting.
    overdue_link = next(k for k in cases if "overdue=true" in k)
    assert "status=closed" not in overdue_link


def test_a_district_reviewer_counts_only_their_district(waiting, users, web):
    client = web(users["reviewer_650103"])  # 沙依巴克区: the west case and intake
    badges = {(link.split("?")[0], n) for link, n, _u in _badges(client) if not link.startswith("/river/review/")}
    assert badges == {("/river/cases/", 1), ("/water/alerts/", 1)}  # submitted west case; west alert
    for link, n, _u in _badges(client):
        assert _rows(client, link) == n, link


def test_a_chief_sees_their_own_overdue_cases_and_an_operator_their_alerts(waiting, chiefs, users, web):
    township = _badges(web(chiefs["township"]), "/river/cases/")
    assert [(link.split("?")[0], n, urgent) for link, n, urgent in township] == [("/river/cases/", 1, True)]
    assert _rows(web(chiefs["township"]), township[0][0]) == 1
    assert _badges(web(chiefs["west"]), "/river/cases/") == []  # their case is submitted, not overdue
    operator = _badges(web(users["operator"]))
    assert [(link, n) for link, n, _u in operator] == [("/water/alerts/?state=open", 1)]  # their intake's only


def test_nothing_waiting_shows_no_badge(console_data, users, web):
    badges = _badges(web(users["city_reviewer"]))
    assert not [link for link, _n, _u in badges if link.startswith(("/river/cases/", "/water/alerts/"))]
    assert _badges(web(users["operator"])) == []


def test_the_counts_cost_a_few_queries_and_are_kept_briefly(waiting, users, web, settings):
    settings.CONSOLE_TODO_CACHE_SECONDS = 60
    client = web(users["city_reviewer"])
    with CaptureQueriesContext(connection) as first:
        client.get("/water/plans/")
    with CaptureQueriesContext(connection) as second:
        client.get("/water/plans/")
    counting = len(first) - len(second)
    assert 1 <= counting <= 3  # patrols, cases, alerts: one query each, then none while kept
    # Kept per user: another reviewer counts their own.
    other = web(users["admin"])
    with CaptureQueriesContext(connection) as third:
        other.get("/water/plans/")
    assert len(third) >= len(second) + 1
