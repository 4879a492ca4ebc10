"""Issue 19 item 2 (audit): compliance reports both patrol counts, 巡河次数 (a chief's patrols, `done`) and 巡河人次
(the people on them, `person_times`: the chief and each companion), per chief, per period in the detail, in the
report's totals and by level, and in the CSV under its Chinese name. Hand-computed over April 2024."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest

from accounts.scope import SYSTEM_SCOPE
from core.periods import month
from patrols import report_selectors
from tests.patrols.conftest import BJ, patrol_body

pytestmark = pytest.mark.django_db
URL = "/api/v1/patrols/compliance/?start=2024-04-01&end=2024-04-30"


def _patrol(client_for: Any, chief: Any, reach: Any, day: dt.date, companions: int, *, minutes: int = 60) -> None:
    start = dt.datetime(day.year, day.month, day.day, 9, tzinfo=BJ)
    body = patrol_body(
        reach, start=start, n=minutes * 20, length_m=3000 if minutes >= 60 else 500, companions=companions
    )
    resp = client_for(chief).post("/api/v1/patrols/", body, format="json")
    assert resp.status_code == 201, resp.content


@pytest.fixture
def april(client_for, chiefs, geography):
    reach = geography["reach_e"]
    village, township = chiefs["village"], chiefs["township"]
    # The village chief (weekly): 3 + 1 + 2 people in valid patrols, 4 in a short (invalid) one; the patrol
    # of 6 May belongs to May's first week, outside April.
    for day, companions, minutes in ((2, 2, 60), (4, 0, 60), (9, 1, 60), (16, 3, 10)):
        _patrol(client_for, village, reach, dt.date(2024, 4, day), companions, minutes=minutes)
    _patrol(client_for, village, reach, dt.date(2024, 5, 6), 5)
    # The township chief (monthly): 5 + 1 people. The west chief: nothing.
    _patrol(client_for, township, reach, dt.date(2024, 4, 10), 4)
    _patrol(client_for, township, reach, dt.date(2024, 4, 20), 0)
    return chiefs


def test_each_chief_has_both_counts(client_for, users, april):
    resp = client_for(users["admin"]).get(URL + "&detail=true")
    assert resp.status_code == 200, resp.content
    rows = {r["chief_username"]: r for r in resp.json()["results"]}
    got = {name: (r["done"], r["person_times"], r["valid"]) for name, r in rows.items()}
    assert got == {"t_chief_village": (4, 10, 3), "t_chief_tianshan": (2, 6, 2), "t_chief_west": (0, 0, 0)}
    weeks = [(d["done"], d["person_times"]) for d in rows["t_chief_village"]["detail"]]
    assert weeks == [(2, 4), (1, 2), (1, 4), (0, 0), (0, 0)]


def test_the_report_totals_and_levels_have_both_counts(april):
    c = report_selectors.compliance_report(scope=SYSTEM_SCOPE, period=month(2024, 4))
    assert (c["done"], c["person_times"], c["valid"]) == (6, 16, 5)
    levels = {lvl: (row["done"], row["person_times"]) for lvl, row in c["by_level"].items()}
    assert levels == {"village": (4, 10), "township": (2, 6)}


def test_the_csv_names_the_person_times_in_chinese(client_for, users, april):
    resp = client_for(users["admin"]).get(URL + "&format=csv", HTTP_ACCEPT_LANGUAGE="zh-hans")
    assert resp.status_code == 200
    header, *lines = resp.content.decode("utf-8-sig").splitlines()
    columns = header.split(",")
    assert "巡河人次" in columns
    assert "已巡" in columns
    village = next(line.split(",") for line in lines if line.startswith("t_chief_village"))
    assert village[columns.index("巡河人次")] == "10"
