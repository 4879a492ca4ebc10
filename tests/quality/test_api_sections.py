"""/api/v1/quality/sections/: permissions, scoping, GeoJSON, writes, bad input, query ceilings, and
the per-section evaluation a lab reads to see why a section got its class."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from core.models import AuditLog
from quality.models import Section
from tests.quality.conftest import beijing

pytestmark = pytest.mark.django_db
URL = "/api/v1/quality/sections/"


def body(geography, **kw):
    return {
        "code": "QS-NEW",
        "name": "新断面",
        "category": "river",
        "reach": geography["reach_e"].pk,
        "location": {"type": "Point", "coordinates": [87.7, 43.9]},
        "target_class": 3,
        **kw,
    }


def test_anonymous_401_device_403(client_for, users, sections):
    assert client_for(None).get(URL).status_code == 401
    resp = client_for(users["device"]).get(URL)
    assert resp.status_code == 403
    assert resp.json()["error"]["code"] == "permission_denied"


@pytest.mark.parametrize(
    ("who", "codes"),
    [
        ("admin", {"QS-E-R", "QS-W-R", "QS-E-L", "QS-W-L", "QS-E-S"}),
        ("city_reviewer", {"QS-E-R", "QS-W-R", "QS-E-L", "QS-W-L", "QS-E-S"}),
        ("operator", {"QS-E-R", "QS-W-R", "QS-E-L", "QS-W-L", "QS-E-S"}),
        ("chief_650102", {"QS-E-R", "QS-E-L", "QS-E-S"}),
        ("reviewer_650103", {"QS-W-R", "QS-W-L"}),
        ("no_jurisdiction", set()),
    ],
)
def test_list_is_scoped(client_for, users, sections, who, codes):
    data = client_for(users[who]).get(URL).json()
    assert data["type"] == "FeatureCollection"
    assert {f["properties"]["code"] for f in data["features"]} == codes


def test_feature_shape_and_filters(client_for, users, sections):
    c = client_for(users["admin"])
    f = c.get(f"{URL}{sections['lake_e'].pk}/").json()
    assert f["geometry"] == {"type": "Point", "coordinates": [87.63, 43.71]}
    assert f["properties"]["lake_code"] == "HK-01"
    assert f["properties"]["water_body"] == "lake"
    assert f["properties"]["division"] == "650102"
    assert f["properties"]["target_class_label"] == "class III"
    lakes = c.get(f"{URL}?category=lake").json()["features"]
    assert {x["properties"]["code"] for x in lakes} == {"QS-E-L", "QS-W-L"}
    inside = c.get(f"{URL}?division=650103").json()["features"]
    assert {x["properties"]["code"] for x in inside} == {"QS-W-R", "QS-W-L"}
    boxed = c.get(f"{URL}?bbox=87.62,43.70,87.64,43.72").json()["features"]
    assert {x["properties"]["code"] for x in boxed} == {"QS-E-L", "QS-E-S"}
    assert c.get(f"{URL}?division=65").status_code == 400


def test_detail_out_of_scope_is_404(client_for, users, sections):
    resp = client_for(users["chief_650102"]).get(f"{URL}{sections['river_w'].pk}/")
    assert resp.status_code == 404
    assert resp.json()["error"]["code"] == "not_found"


@pytest.mark.parametrize(
    ("who", "status"),
    [
        (None, 401),
        ("device", 403),
        ("chief_650102", 403),
        ("operator", 403),
        ("reviewer_650103", 400),
        ("city_reviewer", 201),
        ("admin", 201),
    ],
)
def test_create_permission_matrix(client_for, users, geography, who, status):
    resp = client_for(users[who] if who else None).post(URL, body(geography), format="json")
    assert resp.status_code == status, resp.content
    if status == 201:
        props = resp.json()["properties"]
        assert props["code"] == "QS-NEW"
        assert props["division"] == "650102"
        assert props["water_body"] == "river"
        log = AuditLog.objects.get(entity="quality.section", entity_id=str(resp.json()["id"]))
        assert log.actor == users[who]
    else:
        assert not Section.objects.exists()
    if status == 400:  # the reach lies outside the reviewer's district
        assert "reach" in resp.json()["error"]["fields"]


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"category": "ocean"}, "category"),
        ({"target_class": 6}, "target_class"),
        ({"target_class": "III"}, "target_class"),
        ({"reach": None}, "reach"),
        ({"category": "lake"}, "lake"),
        ({"reach": 99999999}, "reach"),
        ({"location": {"type": "Point", "coordinates": [200, 43]}}, "location"),
        ({"location": {"type": "LineString", "coordinates": [[87, 43], [88, 44]]}}, "location"),
        ({"code": "has space"}, "code"),
        ({"division": "650102"}, "division"),  # posted by the 650103 reviewer: outside their district
        ({"colour": "blue"}, "colour"),
    ],
)
def test_bad_input_is_400_naming_the_field(client_for, users, geography, change, field):
    who = "reviewer_650103" if field == "division" else "admin"
    payload = body(geography, **change)
    if field == "division":
        payload["reach"] = geography["reach_w"].pk
        payload["division"] = "650102"  # a division outside the reviewer's district
    resp = client_for(users[who]).post(URL, payload, format="json")
    assert resp.status_code == 400, resp.content
    assert field in resp.json()["error"]["fields"]
    assert not Section.objects.exists()
    assert not AuditLog.objects.filter(entity="quality.section").exists()


def test_duplicate_code_is_409(client_for, users, sections, geography):
    resp = client_for(users["admin"]).post(URL, body(geography, code="QS-E-R"), format="json")
    assert resp.status_code == 409
    assert "code" in resp.json()["error"]["fields"]


def test_idempotent_create(client_for, users, geography):
    c = client_for(users["admin"])
    first = c.post(URL, body(geography), format="json", HTTP_IDEMPOTENCY_KEY="k-1")
    again = c.post(URL, body(geography), format="json", HTTP_IDEMPOTENCY_KEY="k-1")
    assert first.status_code == again.status_code == 201
    assert again["Idempotent-Replayed"] == "true"
    assert Section.objects.count() == 1


def test_patch(client_for, users, sections):
    c = client_for(users["city_reviewer"])
    resp = c.patch(f"{URL}{sections['river_e'].pk}/", {"target_class": 2, "counts_in_statistics": False}, format="json")
    assert resp.status_code == 200
    assert resp.json()["properties"]["target_class"] == 2
    assert resp.json()["properties"]["counts_in_statistics"] is False
    assert c.patch(f"{URL}{sections['river_e'].pk}/", {"category": "lake"}, format="json").status_code == 400
    assert c.put(f"{URL}{sections['river_e'].pk}/", {}, format="json").status_code == 405
    chief = client_for(users["chief_650102"])
    assert chief.patch(f"{URL}{sections['river_e'].pk}/", {"name": "x"}, format="json").status_code == 403
    other = client_for(users["reviewer_650103"])
    assert other.patch(f"{URL}{sections['river_e'].pk}/", {"name": "x"}, format="json").status_code == 404


def test_list_query_count_does_not_grow(client_for, users, sections):
    c = client_for(users["city_reviewer"])
    with CaptureQueriesContext(connection) as ctx:
        assert c.get(URL).status_code == 200
    assert len(ctx.captured_queries) <= 5, [q["sql"] for q in ctx.captured_queries]


class TestEvaluation:
    def test_why_a_section_got_its_class(self, client_for, users, sections, record):
        s = sections["river_e"]
        record(s, beijing(2024, 1), {"NH3-N": 1.3, "COD": 18, "TP": "<0.02", "DO": 7.0})
        record(s, beijing(2024, 2), {"NH3-N": 1.1, "COD": 24, "TP": "0.05", "DO": 6.2})
        resp = client_for(users["chief_650102"]).get(f"{URL}{s.pk}/evaluation/?start=2024-01-01&end=2024-03-31")
        assert resp.status_code == 200
        data = resp.json()
        assert data["class"] == 4
        assert data["class_label"] == "Ⅳ"
        assert data["description"] == "meets class IV"
        assert data["compliant"] is False
        assert [p["key"] for p in data["main_pollutants"]] == ["NH3-N", "COD"]
        items = {i["key"]: i for i in data["items"]}
        assert items["NH3-N"]["rounded"] == 1.2
        assert items["NH3-N"]["months"] == 2
        assert items["NH3-N"]["exceedance_multiple"] == 0.2
        assert items["TP"]["value"] == pytest.approx(0.03)  # mean(0.01 = half of <0.02, 0.05)
        assert items["TP"]["non_detects"] == 1
        assert items["TP"]["limits"] == [0.02, 0.1, 0.2, 0.3, 0.4]
        assert items["DO"]["class"] == 2
        assert data["samples"] == 2

    def test_period_parameters(self, client_for, users, sections):
        c = client_for(users["admin"])
        url = f"{URL}{sections['river_e'].pk}/evaluation/"
        assert "start" in c.get(url).json()["error"]["fields"]
        assert "end" in c.get(f"{url}?start=2024-02-01&end=2024-01-01").json()["error"]["fields"]
        empty = c.get(f"{url}?start=2024-02-01&end=2024-02-29").json()
        assert empty["class"] is None
        assert empty["evaluated"] is False

    def test_out_of_scope_and_device(self, client_for, users, sections):
        url = f"{URL}{sections['river_e'].pk}/evaluation/?start=2024-01-01&end=2024-01-31"
        assert client_for(users["reviewer_650103"]).get(url).status_code == 404
        assert client_for(users["device"]).get(url).status_code == 403
        assert client_for(None).get(url).status_code == 401
