"""The intake ledger API: intakes (GeoJSON) and meters, their permission matrix and scoping, writes
through the services (validated, audited), exports, and query-count ceilings."""

from __future__ import annotations

import csv
import io

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from openpyxl import load_workbook

from accounts.choices import Role
from core.models import AuditLog
from tests.water.conftest import T0, hours, rows
from water.models import Intake, Meter, Reading

pytestmark = pytest.mark.django_db
INTAKES = "/api/v1/water/intakes/"
METERS = "/api/v1/water/meters/"


def _rows(body):
    return body["features"] if "features" in body else body["results"]


def codes(body):
    return sorted((r.get("properties") or r)["code" if "properties" in r else "serial"] for r in _rows(body))


NEW_INTAKE = {
    "code": "QSK-N",
    "name": "新取水口",
    "source_type": "reservoir",
    "location": {"type": "Point", "coordinates": [87.63, 43.71]},
    "division": "650102",
    "main_use": "agriculture",
    "capacity_m3s": "2.5",
    "permitted_annual_m3": "800000",
    "permit_valid_from": "2021-01-01",
    "permit_valid_until": "2026-12-31",
}


@pytest.mark.parametrize("url", [INTAKES, METERS, "/api/v1/water/readings/"])
def test_anonymous_is_401_and_device_403(client_for, users, water, url):
    assert client_for(None).get(url).status_code == 401
    assert client_for(users["device"]).get(url).status_code == 403


EXPECTED = {
    "admin": (["QSK-E", "QSK-W"], ["WM-E1", "WM-W1"]),
    "city_reviewer": (["QSK-E", "QSK-W"], ["WM-E1", "WM-W1"]),
    "reviewer_650103": (["QSK-W"], ["WM-W1"]),
    "chief_650102": (["QSK-E"], ["WM-E1"]),
    "operator": (["QSK-E"], ["WM-E1"]),  # its own intake, not its whole jurisdiction
    "no_jurisdiction": ([], []),
}


@pytest.mark.parametrize("who", sorted(EXPECTED))
def test_lists_are_scoped(client_for, users, water, who):
    client = client_for(users[who])
    intakes = client.get(INTAKES).json()
    assert intakes["type"] == "FeatureCollection"
    assert [f["properties"]["code"] for f in intakes["features"]] == EXPECTED[who][0]
    assert [m["serial"] for m in client.get(METERS).json()["results"]] == EXPECTED[who][1]


@pytest.mark.parametrize(
    ("who", "obj", "status"),
    [
        ("operator", "intake_w", 404),
        ("operator", "intake_e", 200),
        ("reviewer_650103", "intake_e", 404),
        ("chief_650102", "intake_w", 404),
        ("no_jurisdiction", "intake_e", 404),
    ],
)
def test_detail_outside_scope_is_404(client_for, users, water, who, obj, status):
    intake = getattr(water, obj)
    assert client_for(users[who]).get(f"{INTAKES}{intake.pk}/").status_code == status
    meter = intake.meters.get()
    assert client_for(users[who]).get(f"{METERS}{meter.pk}/").status_code == status


def test_intake_feature_shape(client_for, users, water):
    feature = client_for(users["admin"]).get(f"{INTAKES}{water.intake_e.pk}/").json()
    assert feature["type"] == "Feature"
    assert feature["geometry"] == {"type": "Point", "coordinates": [87.7, 43.9]}
    props = feature["properties"]
    assert props["division"] == "650102"
    assert props["river_code"] == "HL-01"
    assert props["meters"] == ["WM-E1"]
    assert props["operators"] == [users["operator"].pk]
    assert props["permitted_annual_10k_m3"] == 60.0
    assert props["online_required"] is True  # surface, 600,000 ≥ 500,000 m³/yr
    west = client_for(users["admin"]).get(f"{INTAKES}{water.intake_w.pk}/").json()["properties"]
    assert west["online_required"] is False  # groundwater, 40,000 < 50,000 m³/yr


def test_online_threshold_is_a_setting(client_for, users, water, settings):
    settings.WATER_ONLINE_GROUNDWATER_M3 = 30_000
    props = client_for(users["admin"]).get(f"{INTAKES}{water.intake_w.pk}/").json()["properties"]
    assert props["online_required"] is True


def test_filters_and_bbox(client_for, users, water):
    c = client_for(users["admin"])
    assert [f["properties"]["code"] for f in c.get(f"{INTAKES}?division=650103").json()["features"]] == ["QSK-W"]
    assert [f["properties"]["code"] for f in c.get(f"{INTAKES}?source_type=river").json()["features"]] == ["QSK-E"]
    on = [f["properties"]["code"] for f in c.get(f"{INTAKES}?online_required=true").json()["features"]]
    assert on == ["QSK-E"]
    assert [f["properties"]["code"] for f in c.get(f"{INTAKES}?bbox=87.6,43.85,87.8,43.95").json()["features"]] == [
        "QSK-E"
    ]
    assert [m["serial"] for m in c.get(f"{METERS}?intake={water.intake_w.pk}").json()["results"]] == ["WM-W1"]
    assert c.get(f"{INTAKES}?division=65").status_code == 400
    assert c.get(f"{METERS}?intake=-1").status_code == 400


@pytest.mark.parametrize("url", [INTAKES, METERS, "/api/v1/water/readings/"])
def test_list_query_count_does_not_grow(client_for, users, water, url):
    client = client_for(users["city_reviewer"])
    client.post("/api/v1/water/readings/", {"readings": rows("WM-E1", T0 + hours(1), [1010, 1020])}, format="json")
    client.get(url)  # the token's last-used write happens once
    with CaptureQueriesContext(connection) as ctx:
        assert client.get(url).status_code == 200
    assert len(ctx.captured_queries) <= 5, [q["sql"] for q in ctx.captured_queries]


def test_admin_creates_an_intake(client_for, users, water, geography):
    resp = client_for(users["admin"]).post(
        INTAKES, {**NEW_INTAKE, "lake": geography["lake_e"].pk, "operators": [users["operator"].pk]}, format="json"
    )
    assert resp.status_code == 201, resp.content
    props = resp.json()["properties"]
    assert (props["code"], props["lake_code"], props["operators"]) == ("QSK-N", "HK-01", [users["operator"].pk])
    intake = Intake.objects.get(code="QSK-N")
    assert AuditLog.objects.get(entity="water.intake", entity_id=str(intake.pk)).after["operators"] == [
        users["operator"].pk
    ]


def test_gcj02_location_is_stored_in_wgs84(client_for, users, water):
    body = {**NEW_INTAKE, "crs": "GCJ-02"}
    resp = client_for(users["admin"]).post(INTAKES, body, format="json")
    assert resp.status_code == 201, resp.content
    lon, lat = resp.json()["geometry"]["coordinates"]
    # GCJ-02 is offset by a few hundred metres; the stored point is moved back.
    assert 0.001 < abs(lon - 87.63) < 0.02
    assert 0.0005 < abs(lat - 43.71) < 0.02


def test_reviewer_creates_only_in_jurisdiction(client_for, users, water):
    client = client_for(users["reviewer_650103"])
    resp = client.post(INTAKES, NEW_INTAKE, format="json")
    assert resp.status_code == 400
    assert "division" in resp.json()["error"]["fields"]
    resp = client.post(INTAKES, {**NEW_INTAKE, "division": "650103"}, format="json")
    assert resp.status_code == 201


@pytest.mark.parametrize("who", ["operator", "chief_650102", "device"])
def test_other_roles_may_not_write_the_ledger(client_for, users, water, who):
    client = client_for(users[who])
    assert client.post(INTAKES, NEW_INTAKE, format="json").status_code == 403
    assert client.patch(f"{INTAKES}{water.intake_e.pk}/", {"name": "x"}, format="json").status_code == 403
    assert client.post(f"{METERS}{water.meter_e.pk}/replace/", {}, format="json").status_code == 403
    assert Intake.objects.get(pk=water.intake_e.pk).name == "天山区取水口"


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"code": "QSK-E"}, "code"),  # duplicate
        ({"source_type": "sea"}, "source_type"),
        ({"location": {"type": "LineString", "coordinates": [[87, 43], [88, 44]]}}, "location"),
        ({"location": {"type": "Point", "coordinates": [200, 43]}}, "location"),
        ({"capacity_m3s": "-1"}, "capacity_m3s"),
        ({"permit_valid_until": "2020-01-01"}, "permit_valid_until"),
        ({"division": "999999"}, "division"),
        ({"operators": [999999]}, "operators"),
        ({"lake": 1, "river": 1}, "lake"),
        ({"valid_untill": "2020-01-01"}, "valid_untill"),
        ({"crs": {}}, "crs"),  # found by schemathesis: a non-text crs was a 500
        ({"crs": "EPSG:3857"}, "crs"),
    ],
)
def test_bad_intake_input_is_400_and_writes_nothing(client_for, users, water, change, field):
    resp = client_for(users["admin"]).post(INTAKES, {**NEW_INTAKE, **change}, format="json")
    assert resp.status_code == 400, resp.content
    assert field in resp.json()["error"]["fields"]
    assert Intake.objects.count() == 2


def test_patch_changes_and_audits(client_for, users, water):
    client = client_for(users["city_reviewer"])
    resp = client.patch(f"{INTAKES}{water.intake_e.pk}/", {"permit_holder": "第二水厂", "operators": []}, format="json")
    assert resp.status_code == 200, resp.content
    assert resp.json()["properties"]["permit_holder"] == "第二水厂"
    assert resp.json()["properties"]["operators"] == []
    entry = AuditLog.objects.filter(entity="water.intake", action="update").get()
    assert entry.before["permit_holder"] == "第一水厂"
    assert entry.before["operators"] == [users["operator"].pk]
    assert entry.after["operators"] == []
    assert client.patch(f"{INTAKES}{water.intake_e.pk}/", {"name": "x"}, format="json").status_code == 200
    assert (
        client_for(users["reviewer_650103"])
        .patch(f"{INTAKES}{water.intake_e.pk}/", {"name": "y"}, format="json")
        .status_code
        == 404
    )
    assert client.put(f"{INTAKES}{water.intake_e.pk}/", NEW_INTAKE, format="json").status_code == 405


def test_intake_with_meters_cannot_be_deleted(client_for, users, water):
    client = client_for(users["admin"])
    resp = client.delete(f"{INTAKES}{water.intake_e.pk}/")
    assert resp.status_code == 409
    assert Intake.objects.filter(pk=water.intake_e.pk).exists()
    created = client.post(INTAKES, NEW_INTAKE, format="json").json()
    assert client.delete(f"{INTAKES}{created['id']}/").status_code == 204
    assert AuditLog.objects.filter(entity="water.intake", action="delete").count() == 1


def test_meter_create_update_and_delete(client_for, users, water):
    client = client_for(users["admin"])
    body = {
        "serial": "WM-E9",
        "intake": water.intake_e.pk,
        "installed_at": "2024-02-01T00:00:00+08:00",
        "install_reading_m3": "12.5",
        "protocol": "szy206",
        "rtu_address": "0012345678",
        "device": users["device"].pk,
        "register_max_m3": "99999",
        "expected_interval_s": 900,
    }
    resp = client.post(METERS, body, format="json")
    assert resp.status_code == 201, resp.content
    meter = Meter.objects.get(serial="WM-E9")
    assert resp.json()["active"] is True
    # The installation reading starts the series.
    assert Reading.objects.get(meter=meter).source == "install"
    resp = client.patch(f"{METERS}{meter.pk}/", {"expected_interval_s": 3600, "rtu_address": "9"}, format="json")
    assert resp.status_code == 200
    assert resp.json()["expected_interval_s"] == 3600
    # Installation and intake are history: not changeable by PATCH.
    resp = client.patch(f"{METERS}{meter.pk}/", {"intake": water.intake_w.pk}, format="json")
    assert resp.status_code == 400
    assert "intake" in resp.json()["error"]["fields"]
    assert client.delete(f"{METERS}{meter.pk}/").status_code == 204
    assert not Reading.objects.filter(meter_id=meter.pk).exists()


def test_meter_with_readings_cannot_be_deleted(client_for, users, water):
    client = client_for(users["admin"])
    client.post("/api/v1/water/readings/", {"readings": rows("WM-E1", T0 + hours(1), [1010])}, format="json")
    resp = client.delete(f"{METERS}{water.meter_e.pk}/")
    assert resp.status_code == 409
    assert resp.json()["error"]["code"] == "in_use"
    assert list(resp.json()["error"]["fields"]) == ["id"]
    assert Meter.objects.filter(pk=water.meter_e.pk).exists()


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"installed_at": "2024-02-01T00:00:00"}, "installed_at"),
        ({"serial": "WM-E1"}, "serial"),
        ({"device": 999999}, "device"),
        ({"protocol": "modbus"}, "protocol"),
        ({"expected_interval_s": 0}, "expected_interval_s"),
        ({"install_reading_m3": "100000", "register_max_m3": "100"}, "install_reading_m3"),
    ],
)
def test_bad_meter_input_is_400(client_for, users, water, change, field):
    body = {"serial": "WM-X", "intake": water.intake_e.pk, "installed_at": "2024-02-01T00:00:00+08:00", **change}
    resp = client_for(users["admin"]).post(METERS, body, format="json")
    assert resp.status_code == 400, resp.content
    assert field in resp.json()["error"]["fields"]
    assert not Meter.objects.filter(serial="WM-X").exists()


def test_reviewer_cannot_put_a_meter_on_an_intake_outside_jurisdiction(client_for, users, water):
    body = {"serial": "WM-X", "intake": water.intake_e.pk, "installed_at": "2024-02-01T00:00:00+08:00"}
    resp = client_for(users["reviewer_650103"]).post(METERS, body, format="json")
    assert resp.status_code == 400
    assert "intake" in resp.json()["error"]["fields"]


def test_device_account_must_be_a_device(client_for, users, water):
    resp = client_for(users["admin"]).patch(
        f"{METERS}{water.meter_e.pk}/", {"device": users["operator"].pk}, format="json"
    )
    assert resp.status_code == 400
    assert "device" in resp.json()["error"]["fields"]


def test_intake_ledger_export_csv_and_xlsx(client_for, users, water):
    client = client_for(users["admin"])
    resp = client.get(f"{INTAKES}export/?format=csv")
    assert resp.status_code == 200
    assert resp["Content-Disposition"] == 'attachment; filename="intakes.csv"'
    table = list(csv.reader(io.StringIO(resp.content.decode("utf-8-sig"))))
    assert table[0][0] == "Code"
    assert [r[0] for r in table[1:]] == ["QSK-E", "QSK-W"]
    east = dict(zip(table[0], table[1], strict=True))
    assert east["Meters"] == "WM-E1"
    assert float(east["Permitted annual volume (10⁴ m³)"]) == 60
    resp = client.get(f"{INTAKES}export/?format=xlsx&division=650103")
    ws = load_workbook(io.BytesIO(resp.content)).active
    assert [c.value for c in ws[3]][:2] == ["QSK-W", "沙依巴克区水源井"]
    assert ws.max_row == 3
    assert client.get(f"{INTAKES}export/?format=pdf").status_code == 400


def test_export_is_scoped(client_for, users, water):
    resp = client_for(users["operator"]).get(f"{METERS}export/?format=csv")
    table = list(csv.reader(io.StringIO(resp.content.decode("utf-8-sig"))))
    assert [r[0] for r in table[1:]] == ["WM-E1"]
    assert client_for(users["device"]).get(f"{INTAKES}export/").status_code == 403


def test_readings_list_is_scoped_and_filtered(client_for, users, water):
    admin = client_for(users["admin"])
    admin.post("/api/v1/water/readings/", {"readings": rows("WM-E1", T0 + hours(1), [1010, 1020])}, format="json")
    admin.post("/api/v1/water/readings/", {"readings": rows("WM-W1", T0 + hours(1), [3])}, format="json")
    body = client_for(users["operator"]).get("/api/v1/water/readings/?source=api").json()
    assert [(r["meter"], r["cumulative_m3"]) for r in body["results"]] == [("WM-E1", 1010), ("WM-E1", 1020)]
    body = admin.get("/api/v1/water/readings/?serial=WM-W1&start=2024-01-01&end=2024-01-01").json()
    assert [r["cumulative_m3"] for r in body["results"]] == [0, 3]


def test_chief_meter_role_check(client_for, make_user, water):
    chief = make_user(Role.CHIEF, "650102", username="t_chief_x")
    assert client_for(chief).post(METERS, {}, format="json").status_code == 403


@pytest.mark.parametrize("page", ["intake/", "meter/", "dailyvolume/", "intake/add/", "meter/add/"])
def test_admin_pages_open(client, make_user, water, page):
    admin = make_user(Role.ADMIN, "", username="t_site_admin", is_staff=True, is_superuser=True)
    client.force_login(admin)
    assert client.get(f"/admin/water/{page}").status_code == 200
    assert client.get(f"/admin/water/intake/{water.intake_e.pk}/change/").status_code == 200


def test_admin_edit_goes_through_the_service(client, make_user, water):
    from water.admin import MeterAdmin

    admin = make_user(Role.ADMIN, "", username="t_site_admin2", is_staff=True, is_superuser=True)
    form = type("F", (), {"cleaned_data": {"rtu_address": "77"}, "changed_data": ["rtu_address"]})()
    request = type("R", (), {"user": admin})()
    MeterAdmin(Meter, None).save_model(request, water.meter_e, form, change=True)  # type: ignore[arg-type]
    assert Meter.objects.get(pk=water.meter_e.pk).rtu_address == "77"
    assert AuditLog.objects.filter(entity="water.meter", action="update", reason="admin").exists()


@pytest.mark.parametrize("coords", [[-70, -40], [43.71, 87.63], [150, 30]])
def test_intake_outside_china_is_400_naming_location(client_for, users, water, coords):
    """Issue 14: an intake at (-70, -40) was accepted; like patrol tracks, only China's bounds."""
    body = {**NEW_INTAKE, "code": "QSK-FAR", "location": {"type": "Point", "coordinates": coords}}
    resp = client_for(users["admin"]).post(INTAKES, body, format="json")
    assert resp.status_code == 400, resp.content
    assert "location" in resp.json()["error"]["fields"]
    assert not Intake.objects.filter(code="QSK-FAR").exists()
    some = Intake.objects.first()
    patch = client_for(users["admin"]).patch(
        f"{INTAKES}{some.pk}/", {"location": {"type": "Point", "coordinates": coords}}, format="json"
    )
    assert patch.status_code == 400
    assert "location" in patch.json()["error"]["fields"]
