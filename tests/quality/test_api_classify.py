"""POST /api/v1/quality/classify/: a lab checks a sample without storing it."""

from __future__ import annotations

import pytest

from core.models import AuditLog, IdempotencyRecord
from quality.models import Sample

pytestmark = pytest.mark.django_db
URL = "/api/v1/quality/classify/"


@pytest.mark.parametrize(
    ("who", "status"),
    [
        (None, 401),
        ("device", 403),
        ("chief_650102", 200),
        ("operator", 200),
        ("reviewer_650103", 200),
        ("no_jurisdiction", 200),
        ("admin", 200),
    ],
)
def test_permissions(client_for, users, who, status):
    resp = client_for(users[who] if who else None).post(
        URL, {"category": "river", "values": {"w21003": 0.5}}, format="json"
    )
    assert resp.status_code == status


def test_a_sample_with_main_pollutants(client_for, users):
    values = {
        "w01001": 7.8,
        "w01009": 5.6,
        "w01019": 7.2,
        "w01018": 26,
        "w01017": 4.4,
        "w21003": 1.62,
        "w21011": 0.18,
        "w21001": 3.1,
        "w20111": {"value": 0.03, "unit": "µg/L"},
        "w02003": {"value": 800, "unit": "MPN/100mL"},
        "w01010": 14.5,
    }
    resp = client_for(users["chief_650102"]).post(URL, {"category": "river", "values": values}, format="json")
    assert resp.status_code == 200, resp.content
    data = resp.json()
    assert data["class"] == 5
    assert data["class_label"] == "Ⅴ"
    assert data["description"] == "meets class V"
    # NH3-N 1.62 → V; then class IV by exceedance multiple: COD 0.3, CODMn 0.2, BOD5 0.1.
    assert [(p["key"], p["class"], p["exceedance_multiple"]) for p in data["main_pollutants"]] == [
        ("NH3-N", 5, 0.62),
        ("COD", 4, 0.3),
        ("CODMn", 4, 0.2),
    ]
    items = {i["key"]: i for i in data["items"]}
    assert items["TN"]["class"] is None  # never for a river
    assert items["TN"]["counted"] is False
    assert items["FC"]["value"] == 8000  # 800 per 100 mL
    assert items["FC"]["counted"] is False
    assert items["WT"]["class"] is None
    assert items["Hg"]["value"] == 0.00003
    assert items["Hg"]["class"] == 1
    assert "w20141" in data["missing_items"]


def test_lake_column_and_target(client_for, users):
    c = client_for(users["admin"])
    river = c.post(URL, {"category": "river", "values": {"TP": 0.09}}, format="json").json()
    lake = c.post(URL, {"category": "lake", "values": {"TP": 0.09}, "target_class": 3}, format="json").json()
    assert river["class"] == 2
    assert lake["class"] == 4
    assert lake["compliance"]["compliant"] is False
    assert lake["compliance"]["failing"][0]["exceedance_over_target"] == 0.8
    assert river["compliance"] is None


def test_non_detects_and_aliases(client_for, users):
    c = client_for(users["admin"])
    data = c.post(
        URL,
        {
            "category": "river",
            "values": {
                "ammonia_nitrogen": "<0.05",
                "Cd": {"below_detection_limit": True, "detection_limit": 0.5, "unit": "ug/L"},
            },
        },
        format="json",
    ).json()
    items = {i["key"]: i for i in data["items"]}
    assert items["NH3-N"]["value"] == 0.025
    assert items["NH3-N"]["below_detection_limit"] is True
    assert items["Cd"]["value"] == 0.00025
    assert items["Cd"]["detection_limit"] == 0.0005
    assert data["class"] == 1


@pytest.mark.parametrize(
    ("payload", "field"),
    [
        ({"category": "sea", "values": {"COD": 1}}, "category"),
        ({"category": "river", "values": {}}, "values"),
        ({"category": "river"}, "values"),
        ({"category": "river", "values": {"w99999": 1}}, "values.w99999"),
        ({"category": "river", "values": {"COD": -3}}, "values.COD"),
        ({"category": "river", "values": {"pH": 14.2}}, "values.pH"),
        ({"category": "river", "values": {"As": 0.01}}, "values.As"),
        ({"category": "river", "values": {"COD": 1}, "target_class": 6}, "target_class"),
        ({"category": "river", "values": {"COD": 1}, "store": True}, "store"),
    ],
)
def test_bad_input(client_for, users, payload, field):
    resp = client_for(users["admin"]).post(URL, payload, format="json")
    assert resp.status_code == 400
    assert field in resp.json()["error"]["fields"]


def test_stores_nothing(client_for, users):
    client = client_for(users["admin"])  # its token's audit row comes before the count
    audit = AuditLog.objects.count()
    resp = client.post(
        URL, {"category": "lake", "values": {"TP": 0.2}}, format="json", HTTP_IDEMPOTENCY_KEY="lab-check-1"
    )
    assert resp.status_code == 200
    assert resp.json()["class"] == 5
    assert not Sample.objects.exists()
    assert AuditLog.objects.count() == audit
    assert not IdempotencyRecord.objects.exists()


def test_a_value_under_an_hj212_code_needs_no_unit(client_for, users):
    """The bug report's body: {"w20111": 0.00008} is 0.00008 mg/L (class III), not a refusal."""
    c = client_for(users["admin"])
    resp = c.post(URL, {"category": "river", "values": {"w20111": 0.00008}}, format="json")
    assert resp.status_code == 200, resp.content
    items = {i["key"]: i for i in resp.json()["items"]}
    assert items["Hg"]["value"] == 0.00008
    assert items["Hg"]["class"] == 3
    refused = c.post(URL, {"category": "river", "values": {"Hg": 0.00008}}, format="json")
    assert refused.status_code == 400
    assert "Hg" in str(refused.json())
