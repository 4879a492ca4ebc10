"""Console fixtures: the shared geography with two intakes (one per district, the operator's in
Tianshan), a patrol and a case on each district's reach by that reach's chief, and a logged-in Django
test client per user. Rows are written through the API and the services, as users would.

Map (一张图): `map_city` builds on the shared geography one of everything the map draws in each
district (650102 east, 650103 west), through the apps' services, and `add_map_rows` adds more of each
so that query counts can be compared."""

from __future__ import annotations

import datetime as dt
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
from accounts.scope import Scope
from patrols import services as patrol_services
from places.choices import ChiefLevel
from places.services import chief_assign
from quality.services import section_create
from reuse import services as reuse_services
from tests.patrols.conftest import T0, along, patrol_body
from tests.patrols.conftest import chiefs as chiefs  # the fixture, re-exported for these tests
from water import services as water_services

BJ = dt.timezone(dt.timedelta(hours=8))


def make_console_data(
    geography: dict[str, Any], users: dict[str, User], chief_users: dict[str, User], client_for: Callable[..., Any]
) -> SimpleNamespace:
    actor = "test"
    intake_e = water_services.intake_create(
        actor=actor,
        code="QSK-E",
        name="天山区取水口",
        source_type="river",
        river=geography["river"],
        location=Point(87.7, 43.9, srid=4326),
        division=geography["tianshan"],
        main_use="supply",
        capacity_m3s=Decimal(1),
        permitted_annual_m3=Decimal(600_000),
        permit_number="取水(新)字[2021]第001号",
        permit_holder="第一水厂",
        operators=[users["operator"]],
    )
    intake_w = water_services.intake_create(
        actor=actor,
        code="QSK-W",
        name="沙依巴克区水源井",
        source_type="groundwater",
        location=Point(87.5, 43.8, srid=4326),
        division=geography["saybagh"],
        main_use="industry",
        capacity_m3s=Decimal("0.5"),
        permitted_annual_m3=Decimal(40_000),
    )
    water_services.meter_create(
        actor=actor,
        intake=intake_e,
        serial="WM-E1",
        installed_at=T0,
        install_reading_m3=Decimal(1000),
        register_max_m3=Decimal(1_000_000),
    )
    patrols = {}
    for who, reach in (("township", "reach_e"), ("west", "reach_w")):
        body = patrol_body(geography[reach], n=300, length_m=3000.0, step_s=12.0)
        resp = client_for(chief_users[who]).post("/api/v1/patrols/", body, format="json")
        assert resp.status_code == 201, resp.content
        patrols[who] = resp.json()["id"]
    cases = {}
    for who, reach, lon_lat in (("township", "reach_e", [87.63, 43.83]), ("west", "reach_w", [87.5, 43.7])):
        body = {
            "category": "dumping",
            "source": "patrol",
            "reach": geography[reach].pk,
            "patrol": patrols[who],
            "location": {"type": "Point", "coordinates": lon_lat},
            "description": "建筑垃圾堆放在河岸",
            "found_at": (T0 + dt.timedelta(minutes=20)).isoformat(),
            "id": str(uuid.uuid4()),
        }
        resp = client_for(chief_users[who]).post("/api/v1/patrols/cases/", body, format="json")
        assert resp.status_code == 201, resp.content
        cases[who] = body["id"]
    return SimpleNamespace(intake_e=intake_e, intake_w=intake_w, patrols=patrols, cases=cases)


@pytest.fixture
def console_data(
    geography: dict[str, Any], users: dict[str, User], chiefs: dict[str, User], client_for: Callable[..., Any]
) -> SimpleNamespace:
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


# --------------------------------------------------------------------------- map (一张图)

EVERYTHING = Scope(user_id=None, role=Role.ADMIN, everything=True)
MAP_T0 = dt.datetime(2024, 5, 6, 9, 0, tzinfo=BJ)
MAP_PERIOD = {"start": "2024-05-01", "end": "2024-05-31"}


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
        actor=chief,
        patrol_id=uuid.UUID(body["id"]),
        reach_id=reach.pk,
        started_at=dt.datetime.fromisoformat(body["started_at"]),
        ended_at=dt.datetime.fromisoformat(body["ended_at"]),
        companions=1,
        mode="foot",
        crs="EPSG:4326",
        track=body["track"],
        times=body["times"],
    )
    return result[0] if isinstance(result, tuple) else result


def _case(ns: SimpleNamespace, side: str, k: int, category: str = "dumping") -> Any:
    reach = ns.geography["reach_e" if side == "e" else "reach_w"]
    chief = ns.east_chief if side == "e" else ns.west_chief
    x, y = along(reach, start_m=300.0 + 50 * k, length_m=10, n=2)[0]
    result = patrol_services.case_report(
        actor=chief,
        case_id=uuid.uuid4(),
        category=category,
        source="complaint",
        reach=reach,
        location=Point(x, y, srid=4326),
        description=f"test case {side}{k}",
        found_at=MAP_T0 + dt.timedelta(days=k),
    )
    return result[0] if isinstance(result, tuple) else result


def _intake(ns: SimpleNamespace, side: str, k: int, operators: list[User] | None = None) -> Any:
    g = ns.geography
    division = g["tianshan"] if side == "e" else g["saybagh"]
    x0 = 87.7 if side == "e" else 87.5
    intake = water_services.intake_create(
        actor="t",
        code=f"QSK-M-{side}{k}",
        name=f"取水口{side}{k}",
        source_type="river",
        river=g["river"],
        location=Point(x0 + 0.001 * k, 43.9, srid=4326),
        division=division,
        main_use="supply",
        capacity_m3s=Decimal(1),
        permitted_annual_m3=Decimal(600_000),
        operators=operators or [],
    )
    water_services.meter_create(
        actor="t", intake=intake, serial=f"WM-M-{side}{k}", installed_at=MAP_T0 - dt.timedelta(days=30)
    )
    return intake


def _others(ns: SimpleNamespace, side: str, k: int) -> None:
    g = ns.geography
    code = "650102" if side == "e" else "650103"
    x0 = 87.7 if side == "e" else 87.5
    reach = g["reach_e"] if side == "e" else g["reach_w"]
    section_create(
        code=f"QS-M-{side}{k}",
        name=f"断面{side}{k}",
        category="river",
        reach=reach,
        location=Point(x0, 43.8 + 0.001 * k, srid=4326),
        target_class=3,
        actor="t",
    )
    reuse_services.plant_create(
        scope=EVERYTHING,
        actor="t",
        code=f"P-M-{side}{k}",
        name=f"水厂{side}{k}",
        division_code=code,
        location=Point(x0, 43.7 + 0.001 * k, srid=4326),
        design_capacity_m3d=Decimal(10_000),
    )
    reuse_services.project_create(
        scope=EVERYTHING,
        actor="t",
        code=f"PS-M-{side}{k}",
        name=f"泵站{side}{k}",
        kind="pump_station",
        division_code=code,
        location=Point(x0, 43.75, srid=4326),
        capacity_m3d=Decimal(5_000),
    )
    route = MultiLineString(LineString((x0, 43.7), (x0 + 0.01, 43.71 + 0.001 * k)), srid=4326)
    reuse_services.project_create(
        scope=EVERYTHING,
        actor="t",
        code=f"PL-M-{side}{k}",
        name=f"管网{side}{k}",
        kind="pipeline",
        division_code=code,
        route=route,
    )


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
