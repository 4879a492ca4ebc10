"""Console fixtures: the shared geography with two intakes (one per district, the operator's in
Tianshan), a patrol and a case on each district's reach by that reach's chief, and a logged-in Django
test client per user. Rows are written through the API and the services, as users would."""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Callable
from decimal import Decimal
from types import SimpleNamespace
from typing import Any

import pytest
from django.contrib.gis.geos import Point
from django.test import Client

from accounts.models import User
from tests.patrols.conftest import T0, patrol_body
from tests.patrols.conftest import chiefs as chiefs  # the fixture, re-exported for these tests
from water import services as water_services

BJ = dt.timezone(dt.timedelta(hours=8))


def make_console_data(geography: dict[str, Any], users: dict[str, User], chief_users: dict[str, User],
                      client_for: Callable[..., Any]) -> SimpleNamespace:  # fmt: skip
    actor = "test"
    intake_e = water_services.intake_create(
        actor=actor, code="QSK-E", name="天山区取水口", source_type="river", river=geography["river"],
        location=Point(87.7, 43.9, srid=4326), division=geography["tianshan"], main_use="supply",
        capacity_m3s=Decimal(1), permitted_annual_m3=Decimal(600_000), permit_number="取水(新)字[2021]第001号",
        permit_holder="第一水厂", operators=[users["operator"]],
    )  # fmt: skip
    intake_w = water_services.intake_create(
        actor=actor, code="QSK-W", name="沙依巴克区水源井", source_type="groundwater",
        location=Point(87.5, 43.8, srid=4326), division=geography["saybagh"], main_use="industry",
        capacity_m3s=Decimal("0.5"), permitted_annual_m3=Decimal(40_000),
    )  # fmt: skip
    water_services.meter_create(actor=actor, intake=intake_e, serial="WM-E1", installed_at=T0,
                                install_reading_m3=Decimal(1000), register_max_m3=Decimal(1_000_000))  # fmt: skip
    patrols = {}
    for who, reach in (("township", "reach_e"), ("west", "reach_w")):
        body = patrol_body(geography[reach], n=300, length_m=3000.0, step_s=12.0)
        resp = client_for(chief_users[who]).post("/api/v1/patrols/", body, format="json")
        assert resp.status_code == 201, resp.content
        patrols[who] = resp.json()["id"]
    cases = {}
    for who, reach, lon_lat in (("township", "reach_e", [87.63, 43.83]), ("west", "reach_w", [87.5, 43.7])):
        body = {
            "category": "dumping", "source": "patrol", "reach": geography[reach].pk, "patrol": patrols[who],
            "location": {"type": "Point", "coordinates": lon_lat}, "description": "建筑垃圾堆放在河岸",
            "found_at": (T0 + dt.timedelta(minutes=20)).isoformat(),
            "id": str(uuid.uuid4()),
        }  # fmt: skip
        resp = client_for(chief_users[who]).post("/api/v1/patrols/cases/", body, format="json")
        assert resp.status_code == 201, resp.content
        cases[who] = body["id"]
    return SimpleNamespace(intake_e=intake_e, intake_w=intake_w, patrols=patrols, cases=cases)


@pytest.fixture
def console_data(geography: dict[str, Any], users: dict[str, User], chiefs: dict[str, User],
                 client_for: Callable[..., Any]) -> SimpleNamespace:  # fmt: skip
    return make_console_data(geography, users, chiefs, client_for)


@pytest.fixture
def web() -> Callable[[User | None], Client]:
    """A Django test client signed in as `user` (a session, as the browser has)."""

    def make(user: User | None) -> Client:
        client = Client(HTTP_ACCEPT_LANGUAGE="zh-hans")
        if user is not None:
            client.force_login(user)
        return client

    return make
