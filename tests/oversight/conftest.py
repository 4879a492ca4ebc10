"""A small oversight ledger on the shared test geography: two member units (the Tianshan district
government and the water bureau), a third unit with nothing handed to it, one central round, a
finding in each district, a task in each, and a few petitions."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import Any

import pytest
from rest_framework.test import APIClient

from accounts.choices import Role
from accounts.models import User
from oversight import services
from oversight.choices import FindingCategory, MilestoneKind, RoundKind
from oversight.services.common import SYSTEM

ACTOR = "test"


def D(s: str) -> dt.date:
    return dt.date.fromisoformat(s)


def petition_row(number: str, **kw: Any) -> dict[str, Any]:
    row = {
        "number": number,
        "channel": "hotline",
        "complaint": "河道内倾倒建筑垃圾",
        "division": "650102",
        "category": "water",
        "unit": "unit_tianshan",
        "deadline": "2022-05-31",
    }
    row.update(kw)
    return row


@pytest.fixture
def units(make_user: Callable[..., User]) -> dict[str, User]:
    return {
        "tianshan": make_user(Role.UNIT, "", username="unit_tianshan", display_name="天山区人民政府"),
        "water": make_user(Role.UNIT, "", username="unit_water", display_name="市水务局"),
        "other": make_user(Role.UNIT, "", username="unit_other", display_name="市林草局"),
    }


@pytest.fixture
def ledger(geography: dict[str, Any], units: dict[str, User]) -> dict[str, Any]:
    rnd = services.round_create(
        actor=ACTOR,
        code="CI-2",
        name="第二轮中央生态环境保护督察",
        kind=RoundKind.CENTRAL,
        started_on=D("2022-03-25"),
        ended_on=D("2022-04-25"),
        feedback_on=D("2022-06-01"),
        document_no="督察反馈〔2022〕1号",
    )
    f_e = services.finding_create(
        actor=ACTOR,
        scope=SYSTEM,
        round=rnd,
        code="F-1",
        text="河道乱堆问题整改不到位",
        category=FindingCategory.RIVER_LAKE,
        division_code="650102",
        reaches=["HL-01-02"],
    )
    f_w = services.finding_create(
        actor=ACTOR,
        scope=SYSTEM,
        round=rnd,
        code="F-2",
        text="水源地保护区违规建设",
        category=FindingCategory.WATER_RESOURCES,
        division_code="650103",
    )
    t_e = services.task_create(
        actor=ACTOR,
        scope=SYSTEM,
        finding=f_e,
        code="T-1",
        title="清理河道垃圾",
        lead_unit="unit_tianshan",
        responsible_units=["市水务局"],
        measures="清理、巡查",
        target="河道无垃圾",
        deadline=D("2022-12-31"),
        milestones=[
            {"kind": MilestoneKind.MONTH, "title": "7月完成清理方案", "due_on": D("2022-07-31")},
            {"kind": MilestoneKind.QUARTER, "title": "三季度完成清理", "due_on": D("2022-09-30")},
        ],
    )
    t_w = services.task_create(
        actor=ACTOR,
        scope=SYSTEM,
        finding=f_w,
        code="T-2",
        title="拆除违建",
        lead_unit="unit_water",
        deadline=D("2023-06-30"),
    )
    result = services.petition_import(
        actor=ACTOR,
        scope=SYSTEM,
        round=rnd,
        batch_number=1,
        received_on=D("2022-03-30"),
        rows=[
            petition_row("X650000202203300001", lon="87.7", lat="43.9", reach="HL-01-02"),
            petition_row("X650000202203300002", division="650103", unit="unit_water", category="大气"),
            petition_row("X650000202203300003", channel="来信"),
        ],
    )
    return {
        **geography,
        "round": rnd,
        "f_e": f_e,
        "f_w": f_w,
        "t_e": t_e,
        "t_w": t_w,
        "batch": result.batch,
        "units": units,
    }


@pytest.fixture
def api(client_for: Callable[..., APIClient], users: dict[str, User], units: dict[str, User]) -> dict[str, APIClient]:
    return {
        "anon": client_for(None),
        "admin": client_for(users["admin"]),
        "city_reviewer": client_for(users["city_reviewer"]),
        "reviewer_650103": client_for(users["reviewer_650103"]),
        "chief": client_for(users["chief_650102"]),
        "operator": client_for(users["operator"]),
        "device": client_for(users["device"]),
        "unit_tianshan": client_for(units["tianshan"]),
        "unit_water": client_for(units["water"]),
        "unit_other": client_for(units["other"]),
    }
