"""The reuse API: the permission matrix of every endpoint (anonymous 401, wrong role 403, out of scope
404), scoping of every list, bad input named with nothing written, GeoJSON layers, filters, exports,
query-count ceilings and the OpenAPI schema."""

from __future__ import annotations

import csv
import datetime as dt
import io
from decimal import Decimal

import openpyxl
import pytest
from django.contrib.gis.geos import LineString, Point
from django.db import connection
from django.test.utils import CaptureQueriesContext

from accounts.scope import SYSTEM_SCOPE
from core.models import AuditLog
from reuse import services
from reuse.models import MonthlyDelivery, MonthlyPlantVolume, Plant, Project, WaterUser

pytestmark = pytest.mark.django_db
BASE = "/api/v1/reuse"
POINT = {"type": "Point", "coordinates": [87.72, 43.82]}
LINE = {"type": "LineString", "coordinates": [[87.7, 43.8], [87.75, 43.85]]}


def _point():
    return Point(87.72, 43.82, srid=4326)


def _line():
    return LineString([(87.7, 43.8), (87.75, 43.85)], srid=4326)


def plant_body(**kw):
    return {"code": "P-NEW", "name": "新厂", "division": "650102", "location": POINT, "design_capacity_m3d": 1000, **kw}


def project_body(**kw):
    return {"code": "PR-NEW", "name": "新管网", "kind": "pipeline", "division": "650102", "route": LINE, **kw}


def user_body(**kw):
    return {"code": "U-NEW", "name": "新用户", "division": "650102", "sub_use": "landscape", **kw}


VOLUME = {"volumes": [{"plant": "P-E", "month": "2024-07", "treated_m3": 100, "produced_m3": 10}]}
DELIVERY = {"deliveries": [{"user": "U-GREEN", "month": "2024-07", "volume_m3": 5}]}


# --------------------------------------------------------------------------- reads

LISTS = ["plants", "projects", "stations", "pipelines", "users", "volumes", "deliveries"]
EXPORTS = ["plants", "projects", "users", "volumes", "deliveries"]


@pytest.fixture
def monthly(ledger):
    services.plant_volumes_record(
        scope=SYSTEM_SCOPE,
        actor="test",
        rows=[
            {"plant": "P-E", "month": dt.date(2024, 7, 1), "treated_m3": Decimal(100), "produced_m3": Decimal(10)},
            {"plant": "P-W", "month": dt.date(2024, 7, 1), "treated_m3": Decimal(200), "produced_m3": Decimal(20)},
        ],
    )
    services.deliveries_record(
        scope=SYSTEM_SCOPE,
        actor="test",
        rows=[
            {"user": "U-GREEN", "month": dt.date(2024, 7, 1), "volume_m3": Decimal(5)},
            {"user": "U-COOL", "month": dt.date(2024, 7, 1), "volume_m3": Decimal(7)},
        ],
    )
    return ledger


def _rows(body):
    return body["features"] if "features" in body else body["results"]


@pytest.mark.parametrize("path", [*LISTS, *(f"{e}/export" for e in EXPORTS)])
def test_reads_need_a_login_and_a_human_role(client_for, users, monthly, path):
    assert client_for(None).get(f"{BASE}/{path}/").status_code == 401
    resp = client_for(users["device"]).get(f"{BASE}/{path}/")
    assert resp.status_code == 403
    assert resp.json()["error"]["code"] == "permission_denied"


# Rows each caller sees: plants, projects and users by their division; volumes by their plant's.
EXPECTED = {
    "admin": {"plants": 2, "projects": 2, "stations": 1, "pipelines": 1, "users": 3, "volumes": 2, "deliveries": 2},
    "city_reviewer": {
        "plants": 2,
        "projects": 2,
        "stations": 1,
        "pipelines": 1,
        "users": 3,
        "volumes": 2,
        "deliveries": 2,
    },
    # Operators: users and deliveries belong to no intake of theirs, so 403 (tests/security/test_operator_scope.py).
    "operator": {
        "plants": 2,
        "projects": 2,
        "stations": 1,
        "pipelines": 1,
        "users": None,
        "volumes": 2,
        "deliveries": None,
    },
    "chief_650102": {
        "plants": 1,
        "projects": 1,
        "stations": 1,
        "pipelines": 0,
        "users": 2,
        "volumes": 1,
        "deliveries": 1,
    },
    "reviewer_650103": {
        "plants": 1,
        "projects": 1,
        "stations": 0,
        "pipelines": 1,
        "users": 1,
        "volumes": 1,
        "deliveries": 1,
    },
    "no_jurisdiction": dict.fromkeys(LISTS, 0),
}


@pytest.mark.parametrize("who", sorted(EXPECTED))
@pytest.mark.parametrize("path", LISTS)
def test_lists_are_scoped_by_jurisdiction(client_for, users, monthly, who, path):
    resp = client_for(users[who]).get(f"{BASE}/{path}/")
    if EXPECTED[who][path] is None:
        assert resp.status_code == 403
        return
    assert resp.status_code == 200
    body = resp.json()
    assert body["count"] == EXPECTED[who][path] == len(_rows(body))


@pytest.mark.parametrize(
    ("who", "path", "obj", "status"),
    [
        ("chief_650102", "plants", "plant_e", 200),
        ("chief_650102", "plants", "plant_w", 404),
        ("reviewer_650103", "plants", "plant_e", 404),
        ("reviewer_650103", "projects", "station", 404),
        ("reviewer_650103", "projects", "pipeline", 200),
        ("chief_650102", "stations", "station", 200),
        ("chief_650102", "pipelines", "pipeline", 404),
        ("reviewer_650103", "users", "u_green", 404),
        ("reviewer_650103", "users", "u_cool", 200),
        ("no_jurisdiction", "plants", "plant_w", 404),
        ("operator", "users", "u_eco", 403),  # no intake of theirs (issue 14),
        ("admin", "pipelines", "pipeline", 200),
        ("admin", "stations", "pipeline", 404),  # a pipeline is not in the station layer
    ],
)
def test_detail_outside_jurisdiction_is_404(client_for, users, ledger, who, path, obj, status):
    resp = client_for(users[who]).get(f"{BASE}/{path}/{ledger[obj].pk}/")
    assert resp.status_code == status
    if status == 404:
        assert resp.json()["error"]["code"] == "not_found"


def test_geojson_layers(client_for, users, ledger):
    client = client_for(users["admin"])
    plants = client.get(f"{BASE}/plants/").json()
    assert plants["type"] == "FeatureCollection"
    feature = next(f for f in plants["features"] if f["properties"]["code"] == "P-E")
    assert feature["geometry"] == {"type": "Point", "coordinates": [87.7, 43.8]}
    assert feature["properties"]["division"] == "650102"
    station = client.get(f"{BASE}/stations/{ledger['station'].pk}/").json()
    assert station["geometry"]["type"] == "Point"
    assert station["properties"]["capacity_m3d"] == 20000
    pipe = client.get(f"{BASE}/pipelines/{ledger['pipeline'].pk}/").json()
    assert pipe["geometry"]["type"] == "MultiLineString"
    assert len(pipe["bbox"]) == 4
    assert pipe["properties"]["length_m"] == pytest.approx(ledger["pipeline"].length_m)
    assert pipe["properties"]["length_km"] == round(ledger["pipeline"].length_m / 1000, 2)
    assert (pipe["properties"]["diameter_mm"], pipe["properties"]["material"]) == (400, "pe")
    # bbox around the east plant only
    assert [
        f["properties"]["code"] for f in client.get(f"{BASE}/plants/?bbox=87.65,43.75,87.75,43.85").json()["features"]
    ] == ["P-E"]


def test_filters(client_for, users, monthly):
    c = client_for(users["admin"])

    def codes(path):
        resp = c.get(f"{BASE}/{path}")
        assert resp.status_code == 200, resp.content
        return sorted(r.get("code") or r["properties"]["code"] for r in _rows(resp.json()))

    assert codes("plants/?division=650103") == ["P-W"]
    assert codes("projects/?kind=pump_station") == ["PS-E"]
    assert codes("projects/?status=under_construction") == ["PL-W"]
    assert codes("projects/?plant=P-E") == ["PS-E"]
    assert codes("projects/?completed_from=2024-07-01") == ["PS-E"]
    assert codes("users/?use_class=environmental") == ["U-ECO"]
    assert codes("users/?sub_use=cooling&division=650100") == ["U-COOL"]
    assert codes("pipelines/?status=under_construction") == ["PL-W"]
    assert c.get(f"{BASE}/volumes/?plant=P-W").json()["count"] == 1
    assert c.get(f"{BASE}/volumes/?start=2024-08").json()["count"] == 0
    assert c.get(f"{BASE}/volumes/?end=2024-07&division=650102").json()["count"] == 1
    assert c.get(f"{BASE}/deliveries/?use_class=industrial").json()["count"] == 1
    assert c.get(f"{BASE}/deliveries/?metered=false").json()["count"] == 0
    assert c.get(f"{BASE}/deliveries/?user=U-GREEN").json()["results"][0]["user_name"] == "绿化"


@pytest.mark.parametrize(
    ("path", "field"),
    [
        ("plants/?kind=nuclear", "kind"),
        ("plants/?division=65", "division"),
        ("projects/?status=done", "status"),
        ("projects/?completed_from=yesterday", "completed_from"),
        ("users/?use_class=spaceship", "use_class"),
        ("volumes/?start=2024-13", "start"),
        ("deliveries/?end=July", "end"),
        ("deliveries/?metered=perhaps", "metered"),
        ("pipelines/?bbox=1,2,3", "bbox"),
        ("plants/?page=0", "page"),
    ],
)
def test_bad_query_parameters_are_400_naming_them(client_for, users, ledger, path, field):
    resp = client_for(users["admin"]).get(f"{BASE}/{path}")
    assert resp.status_code == 400, resp.content
    assert field in resp.json()["error"]["fields"]


@pytest.mark.parametrize("path", LISTS)
def test_list_query_count_does_not_grow_with_rows(client_for, users, monthly, path):
    # More rows of every kind, so an N+1 would show.
    for i in range(4):
        services.plant_create(
            scope=SYSTEM_SCOPE,
            actor="t",
            code=f"P-X{i}",
            name="x",
            division_code="650102",
            location=_point(),
            design_capacity_m3d=Decimal(1000),
        )
        services.water_user_create(
            scope=SYSTEM_SCOPE,
            actor="t",
            code=f"U-X{i}",
            name="x",
            division_code="650103",
            sub_use="cooling",
            plant_code=f"P-X{i}",
        )
        services.project_create(
            scope=SYSTEM_SCOPE,
            actor="t",
            code=f"PL-X{i}",
            name="x",
            kind="pipeline",
            division_code="650102",
            plant_code=f"P-X{i}",
            route=_line(),
        )
        services.project_create(
            scope=SYSTEM_SCOPE,
            actor="t",
            code=f"PS-X{i}",
            name="x",
            kind="pump_station",
            division_code="650102",
            plant_code=f"P-X{i}",
            location=_point(),
        )
        july = dt.date(2024, 7, 1)
        row = {"plant": f"P-X{i}", "month": july, "treated_m3": Decimal(10), "produced_m3": Decimal(1)}
        services.plant_volumes_record(scope=SYSTEM_SCOPE, actor="t", rows=[row])
        services.deliveries_record(
            scope=SYSTEM_SCOPE, actor="t", rows=[{"user": f"U-X{i}", "month": july, "volume_m3": Decimal(1)}]
        )
    client = client_for(users["city_reviewer"])
    with CaptureQueriesContext(connection) as ctx:
        resp = client.get(f"{BASE}/{path}/")
    assert resp.status_code == 200
    assert len(_rows(resp.json())) >= 5
    # token lookup (+ last-used stamp) + count + page: a ceiling, not N+1.
    assert len(ctx.captured_queries) <= 4, [q["sql"] for q in ctx.captured_queries]


# --------------------------------------------------------------------------- exports


def test_csv_export_follows_filters_and_scope(client_for, users, monthly):
    resp = client_for(users["reviewer_650103"]).get(f"{BASE}/plants/export/?format=csv")
    assert resp.status_code == 200
    assert resp["Content-Type"].startswith("text/csv")
    assert 'filename="reuse-plants.csv"' in resp["Content-Disposition"]
    rows = list(csv.reader(io.StringIO(resp.content.decode("utf-8-sig"))))
    assert rows[0][0] == "code"
    assert [r[0] for r in rows[1:]] == ["P-W"]
    resp = client_for(users["admin"]).get(f"{BASE}/deliveries/export/?use_class=industrial")
    rows = list(csv.reader(io.StringIO(resp.content.decode("utf-8-sig"))))
    assert [(r[0], r[2], r[3], r[7]) for r in rows[1:]] == [("P-W", "2024-07", "U-COOL", "7.000")]


def test_xlsx_export_has_numbers_not_text(client_for, users, monthly):
    resp = client_for(users["admin"]).get(f"{BASE}/projects/export/?format=xlsx")
    assert resp.status_code == 200
    assert resp["Content-Type"].startswith("application/vnd.openxmlformats")
    ws = openpyxl.load_workbook(io.BytesIO(resp.content)).active
    header = [c.value for c in ws[2]]
    row = {h: c.value for h, c in zip(header, ws[3], strict=True)}
    assert row["code"] == "PL-W"
    assert isinstance(row["length_km"], float)
    assert row["length_km"] == pytest.approx(monthly["pipeline"].length_m / 1000)
    volumes = openpyxl.load_workbook(
        io.BytesIO(client_for(users["admin"]).get(f"{BASE}/volumes/export/?format=xlsx").content)
    ).active
    assert volumes.max_row == 4  # two header lines, two months


def test_export_of_an_unknown_format_is_400(client_for, users, ledger):
    resp = client_for(users["admin"]).get(f"{BASE}/users/export/?format=pdf")
    assert resp.status_code == 400
    assert "format" in resp.json()["error"]["fields"]


# --------------------------------------------------------------------------- writes: the permission matrix

WRITES = [
    # (name, method, path template, body, object the path needs, status for a writer in scope)
    ("plant-create", "post", "plants/", plant_body(), None, 201),
    ("plant-patch", "patch", "plants/{pk}/", {"name": "改名"}, "plant_e", 200),
    ("project-create", "post", "projects/", project_body(), None, 201),
    ("project-patch", "patch", "projects/{pk}/", {"capacity_m3d": 30000}, "station", 200),
    ("project-advance", "post", "projects/{pk}/advance/", {"status": "operating", "on": "2024-08-15"}, "station", 200),
    ("user-create", "post", "users/", user_body(), None, 201),
    ("user-patch", "patch", "users/{pk}/", {"contract_volume_m3": 1000}, "u_green", 200),
    ("volumes", "post", "volumes/", VOLUME, None, 201),
    ("deliveries", "post", "deliveries/", DELIVERY, None, 201),
]


def _count_all():
    return sum(m.objects.count() for m in (Plant, Project, WaterUser, MonthlyPlantVolume, MonthlyDelivery)), (
        AuditLog.objects.count()
    )


def _call(client, method, path, body, ledger, obj):
    url = f"{BASE}/{path.format(pk=ledger[obj].pk if obj else '')}"
    return getattr(client, method)(url, body, format="json")


@pytest.mark.parametrize(("name", "method", "path", "body", "obj", "ok"), WRITES, ids=[w[0] for w in WRITES])
@pytest.mark.parametrize(
    ("who", "expected"),
    [(None, 401), ("device", 403), ("chief_650102", 403), ("operator", 403), ("city_reviewer", "ok"), ("admin", "ok")],
)
def test_write_permission_matrix(client_for, users, ledger, name, method, path, body, obj, ok, who, expected):
    client = client_for(users[who] if who else None)  # its token's audit row comes before the count
    before = _count_all()
    resp = _call(client, method, path, body, ledger, obj)
    status = ok if expected == "ok" else expected
    assert resp.status_code == status, resp.content
    if status >= 400:
        assert _count_all() == before
    else:
        assert _count_all()[1] > before[1]  # audited
        log = AuditLog.objects.order_by("-id").first()
        assert log.actor == users[who]


@pytest.mark.parametrize(
    ("name", "status", "field"),
    [
        # The writer is a reviewer of 650103; every object or reference below is in 650102.
        ("plant-create", 400, "division"),
        ("plant-patch", 404, None),
        ("project-create", 400, "division"),
        ("project-patch", 404, None),
        ("project-advance", 404, None),
        ("user-create", 400, "division"),
        ("user-patch", 404, None),
        ("volumes", 400, "volumes[0].plant"),
        ("deliveries", 400, "deliveries[0].user"),
    ],
)
def test_writes_outside_the_jurisdiction(client_for, users, ledger, name, status, field):
    _, method, path, body, obj, _ = next(w for w in WRITES if w[0] == name)
    client = client_for(users["reviewer_650103"])  # its token's audit row comes before the count
    before = _count_all()
    resp = _call(client, method, path, body, ledger, obj)
    assert resp.status_code == status, resp.content
    if field:
        assert field in resp.json()["error"]["fields"]
    assert _count_all() == before


# --------------------------------------------------------------------------- writes: bad input

BAD = [
    (
        "plants/",
        "post",
        None,
        plant_body(location={"type": "LineString", "coordinates": [[87, 43], [88, 44]]}),
        "location",
    ),
    ("plants/", "post", None, plant_body(location={"type": "Point", "coordinates": [87.7, 95]}), "location"),
    ("plants/", "post", None, plant_body(crs="EPSG:3857"), "crs"),
    ("plants/", "post", None, plant_body(design_capacity_m3d=-3), "design_capacity_m3d"),
    ("plants/", "post", None, plant_body(code="bad code!"), "code"),
    ("plants/", "post", None, plant_body(code="P-E"), "code"),
    ("plants/", "post", None, plant_body(kind="nuclear"), "kind"),
    ("plants/", "post", None, plant_body(capacity=1), "capacity"),
    ("plants/{pk}/", "patch", "plant_e", {"code": "P-E2"}, "code"),
    ("plants/{pk}/", "patch", "plant_e", {"commissioned_on": "2999-01-01"}, "commissioned_on"),
    # a pipeline of one point
    ("projects/", "post", None, project_body(route={"type": "LineString", "coordinates": [[87.7, 43.8]]}), "route"),
    ("projects/", "post", None, project_body(route=None), "route"),
    # a project that completes before it starts
    (
        "projects/",
        "post",
        None,
        project_body(status="completed", started_on="2024-05-01", completed_on="2024-04-01"),
        "completed_on",
    ),
    ("projects/", "post", None, project_body(kind="aqueduct"), "kind"),
    ("projects/", "post", None, project_body(status="done"), "status"),
    ("projects/", "post", None, project_body(material="gold"), "material"),
    ("projects/", "post", None, project_body(diameter_mm=0), "diameter_mm"),
    ("projects/", "post", None, project_body(kind="pump_station", route=None), "location"),
    ("projects/{pk}/", "patch", "station", {"status": "operating"}, "status"),
    ("projects/{pk}/", "patch", "station", {"completed_on": "2024-01-01"}, "completed_on"),
    ("projects/{pk}/advance/", "post", "station", {"status": "planned", "on": "2024-09-01"}, "status"),
    ("projects/{pk}/advance/", "post", "station", {"status": "operating", "on": "2024-07-01"}, "on"),
    ("projects/{pk}/advance/", "post", "station", {"status": "operating"}, "on"),
    # unknown use class
    ("users/", "post", None, user_body(sub_use=None, use_class="spaceship"), "use_class"),
    ("users/", "post", None, user_body(use_class="industrial"), "sub_use"),
    ("users/", "post", None, user_body(contract_volume_m3=-1), "contract_volume_m3"),
    ("users/{pk}/", "patch", "u_green", {"sub_use": "swimming"}, "sub_use"),
]


@pytest.mark.parametrize(("path", "method", "obj", "body", "field"), BAD)
def test_bad_input_is_400_naming_the_field_and_writes_nothing(
    client_for, users, ledger, path, method, obj, body, field
):
    body = {k: v for k, v in body.items() if v is not None or k != "sub_use"}
    client = client_for(users["admin"])  # its token's audit row comes before the count
    before = _count_all()
    snapshot = {m: list(m.objects.values()) for m in (Plant, Project, WaterUser)}
    resp = _call(client, method, path, body, ledger, obj)
    assert resp.status_code == 400, resp.content
    assert field in resp.json()["error"]["fields"], resp.json()
    assert _count_all() == before
    assert {m: list(m.objects.values()) for m in (Plant, Project, WaterUser)} == snapshot


def test_create_responses(client_for, users, ledger):
    c = client_for(users["admin"])
    plant = c.post(f"{BASE}/plants/", plant_body(crs="GCJ-02"), format="json").json()
    assert plant["type"] == "Feature"
    lon, lat = plant["geometry"]["coordinates"]
    assert 1e-4 < abs(lon - 87.72) + abs(lat - 43.82) < 1e-2  # converted from GCJ-02 to WGS84
    project = c.post(f"{BASE}/projects/", project_body(plant="P-E", diameter_mm=600), format="json").json()
    assert project["route"]["type"] == "MultiLineString"
    assert project["plant"] == "P-E"
    assert project["length_km"] == round(project["length_m"] / 1000, 2)
    assert 6 < project["length_km"] < 8
    user = c.post(f"{BASE}/users/", user_body(plant="P-E"), format="json").json()
    assert (user["use_class"], user["sub_use"], user["plant"]) == ("environmental", "landscape", "P-E")
    advanced = c.post(
        f"{BASE}/projects/{ledger['station'].pk}/advance/", {"status": "operating", "on": "2024-08-15"}, format="json"
    ).json()
    assert (advanced["status"], advanced["operating_since"]) == ("operating", "2024-08-15")


def test_patch_changes_only_what_is_given(client_for, users, ledger):
    c = client_for(users["city_reviewer"])
    resp = c.patch(f"{BASE}/users/{ledger['u_green'].pk}/", {"use_class": "urban", "metered": False}, format="json")
    assert resp.status_code == 200
    assert (resp.json()["sub_use"], resp.json()["metered"]) == ("greening", False)
    resp = c.patch(f"{BASE}/plants/{ledger['plant_w'].pk}/", {"kind": "industrial_park"}, format="json")
    assert resp.json()["properties"]["kind"] == "industrial_park"
    assert resp.json()["properties"]["design_capacity_m3d"] == 50000


# --------------------------------------------------------------------------- schema


def test_openapi_schema_describes_the_reuse_api_without_warnings():
    # Only this app's routes: the whole project's schema also depends on apps still being built.
    from django.urls import include, path
    from drf_spectacular.drainage import GENERATOR_STATS
    from drf_spectacular.generators import SchemaGenerator

    GENERATOR_STATS.reset()
    patterns = [path("api/v1/reuse/", include("reuse.api.urls"))]
    schema = SchemaGenerator(patterns=patterns).get_schema(request=None, public=True)
    for p in (
        "/api/v1/reuse/rate/",
        "/api/v1/reuse/volumes/",
        "/api/v1/reuse/pipelines/{id}/",
        "/api/v1/reuse/projects/{id}/advance/",
        "/api/v1/reuse/plants/export/",
    ):
        assert p in schema["paths"], p
    body = schema["paths"]["/api/v1/reuse/volumes/"]["post"]["requestBody"]["content"]
    assert set(body) == {"application/json", "text/csv"}
    assert schema["components"]["schemas"]["UseClassEnum"]["enum"] == [
        "agriculture",
        "urban",
        "industrial",
        "environmental",
        "source_replenishment",
    ]
    assert dict(GENERATOR_STATS._warn_cache) == {}
    assert dict(GENERATOR_STATS._error_cache) == {}
