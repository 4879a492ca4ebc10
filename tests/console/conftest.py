"""Fixtures of the console tests. Map (一张图): `map_city` builds on the shared geography one of
everything the map draws in each district (650102 east, 650103 west), through the apps' services and
the patrol API, and `add_map_rows` adds more of each so that query counts can be compared."""

from __future__ import annotations

import datetime as dt
import os
import uuid
from collections.abc import Callable
from decimal import Decimal
from types import SimpleNamespace
from typing import Any

import pytest
from django.contrib.gis.geos import LineString, MultiLineString, Point
from django.test import Client

from accounts.choices import Role
from accounts.models import User
from patrols import services as patrol_services
from places.choices import ChiefLevel
from places.services import chief_assign
from quality.services import section_create
from reuse import services as reuse_services
from tests.patrols.conftest import along, patrol_body
from water import services as water_services

# Playwright's sync API keeps an asyncio loop running in the test thread from the first browser test
# to the end of the session, and Django then refuses ORM calls from that thread
# (SynchronousOnlyOperation). The project has no async code, so the check is off for the test run.
os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")

BJ = dt.timezone(dt.timedelta(hours=8))
MAP_T0 = dt.datetime(2024, 5, 6, 9, 0, tzinfo=BJ)
MAP_PERIOD = {"start": "2024-05-01", "end": "2024-05-31"}


@pytest.fixture
def session_for(db: Any) -> Callable[[User | None], Client]:
    """A Django test client logged in (session) as `user`; anonymous for None."""

    def make(user: User | None) -> Client:
        client = Client()
        if user is not None:
            client.force_login(user)
        return client

    return make


@pytest.fixture
def map_city(geography: dict[str, Any], users: dict[str, User], make_user: Callable[..., User]) -> SimpleNamespace:
    g = geography
    east_chief = users["chief_650102"]
    west_chief = make_user(Role.CHIEF, "650103", username="t_map_chief_west")
    start = dt.date(2024, 1, 1)
    chief_assign(chief=east_chief, level=ChiefLevel.TOWNSHIP, reach=g["reach_e"], valid_from=start, actor="t")
    chief_assign(chief=west_chief, level=ChiefLevel.VILLAGE, reach=g["reach_w"], valid_from=start, actor="t")
    ns = SimpleNamespace(geography=g, east_chief=east_chief, west_chief=west_chief, n=0)
    ns.patrols = {"e": [], "w": []}
    ns.cases = {"e": [], "w": []}
    ns.intakes = {"e": [], "w": []}
    return ns


def _patrol(ns: SimpleNamespace, side: str, k: int) -> Any:
    reach = ns.geography["reach_e" if side == "e" else "reach_w"]
    chief = ns.east_chief if side == "e" else ns.west_chief
    body = patrol_body(reach, n=400, start=MAP_T0 + dt.timedelta(days=k), step_s=9.0)
    result = patrol_services.patrol_submit(
        actor=chief, patrol_id=uuid.UUID(body["id"]), reach_id=reach.pk,
        started_at=dt.datetime.fromisoformat(body["started_at"]), ended_at=dt.datetime.fromisoformat(body["ended_at"]),
        companions=1, mode="foot", crs="EPSG:4326", track=body["track"], times=body["times"],
    )  # fmt: skip
    return result[0] if isinstance(result, tuple) else result


def _case(ns: SimpleNamespace, side: str, k: int, category: str = "dumping") -> Any:
    reach = ns.geography["reach_e" if side == "e" else "reach_w"]
    chief = ns.east_chief if side == "e" else ns.west_chief
    x, y = along(reach, start_m=300.0 + 50 * k, length_m=10, n=2)[0]
    result = patrol_services.case_report(
        actor=chief, case_id=uuid.uuid4(), category=category, source="complaint", reach=reach,
        location=Point(x, y, srid=4326), description=f"test case {side}{k}", found_at=MAP_T0 + dt.timedelta(days=k),
    )  # fmt: skip
    return result[0] if isinstance(result, tuple) else result


def _intake(ns: SimpleNamespace, side: str, k: int, operators: list[User] | None = None) -> Any:
    g = ns.geography
    division = g["tianshan"] if side == "e" else g["saybagh"]
    x0 = 87.7 if side == "e" else 87.5
    intake = water_services.intake_create(
        actor="t", code=f"QSK-M-{side}{k}", name=f"取水口{side}{k}", source_type="river", river=g["river"],
        location=Point(x0 + 0.001 * k, 43.9, srid=4326), division=division, main_use="supply",
        capacity_m3s=Decimal(1), permitted_annual_m3=Decimal(600_000), operators=operators or [],
    )  # fmt: skip
    water_services.meter_create(
        actor="t", intake=intake, serial=f"WM-M-{side}{k}", installed_at=MAP_T0 - dt.timedelta(days=30)
    )
    return intake


def _others(ns: SimpleNamespace, side: str, k: int) -> None:
    g = ns.geography
    code = "650102" if side == "e" else "650103"
    x0 = 87.7 if side == "e" else 87.5
    reach = g["reach_e"] if side == "e" else g["reach_w"]
    section_create(code=f"QS-M-{side}{k}", name=f"断面{side}{k}", category="river", reach=reach,
                   location=Point(x0, 43.8 + 0.001 * k, srid=4326), target_class=3, actor="t")  # fmt: skip
    reuse_services.plant_create(actor="t", code=f"P-M-{side}{k}", name=f"水厂{side}{k}", division_code=code,
                                location=Point(x0, 43.7 + 0.001 * k, srid=4326),
                                design_capacity_m3d=Decimal(10_000))  # fmt: skip
    reuse_services.project_create(actor="t", code=f"PS-M-{side}{k}", name=f"泵站{side}{k}", kind="pump_station",
                                  division_code=code, location=Point(x0, 43.75, srid=4326),
                                  capacity_m3d=Decimal(5_000))  # fmt: skip
    route = MultiLineString(LineString((x0, 43.7), (x0 + 0.01, 43.71 + 0.001 * k)), srid=4326)
    reuse_services.project_create(actor="t", code=f"PL-M-{side}{k}", name=f"管网{side}{k}", kind="pipeline",
                                  division_code=code, route=route)  # fmt: skip


@pytest.fixture
def add_map_rows(map_city: SimpleNamespace, users: dict[str, User]) -> Callable[[int], SimpleNamespace]:
    """add(n): n more of every map feature in each district (patrols, cases, intakes with a meter,
    quality sections, plants, pump stations, pipelines)."""

    def add(n: int) -> SimpleNamespace:
        for _ in range(n):
            k = map_city.n
            map_city.n += 1
            for side in ("e", "w"):
                map_city.patrols[side].append(_patrol(map_city, side, k))
                map_city.cases[side].append(_case(map_city, side, k))
                ops = [users["operator"]] if side == "e" and k == 0 else None
                map_city.intakes[side].append(_intake(map_city, side, k, ops))
                _others(map_city, side, k)
        return map_city

    return add
