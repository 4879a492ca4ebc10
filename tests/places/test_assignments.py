"""POST /api/v1/places/assignments/ (appoint a chief) and /{id}/end/: the write path of places, with
its permission matrix, bad input, audit and Idempotency-Key behaviour."""

from __future__ import annotations

import pytest

from accounts.choices import Role
from core.models import AuditLog, IdempotencyRecord
from places.models import ChiefAssignment

pytestmark = pytest.mark.django_db
URL = "/api/v1/places/assignments/"


@pytest.fixture
def chief(make_user):
    return make_user(Role.CHIEF, "650102", username="zhang_san", display_name="张三")


def body(chief, reach, **kw):
    return {"chief": chief.pk, "level": "district", "reach": reach.pk, "valid_from": "2024-01-01", **kw}


@pytest.mark.parametrize(
    ("who", "status"),
    [
        (None, 401),
        ("device", 403),
        ("chief_650102", 403),
        ("operator", 403),
        ("reviewer_650103", 400),  # the reach is outside the reviewer's district: not found → 400 on "reach"
        ("city_reviewer", 201),
        ("admin", 201),
    ],
)
def test_appoint_permission_matrix(client_for, users, geography, chief, who, status):
    client = client_for(users[who] if who else None)
    resp = client.post(URL, body(chief, geography["reach_e"]), format="json")
    assert resp.status_code == status, resp.content
    if status == 201:
        data = resp.json()
        assert data["chief_username"] == "zhang_san"
        assert data["reach_code"] == "HL-01-02"
        a = ChiefAssignment.objects.get(pk=data["id"])
        log = AuditLog.objects.get(entity="places.chiefassignment", entity_id=str(a.pk))
        assert log.action == "create"
        assert log.actor == users[who]
        assert log.after["reach_id"] == a.reach_id
    else:
        assert not ChiefAssignment.objects.exists()
    if status == 400:
        assert "reach" in resp.json()["error"]["fields"]


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"level": "emperor"}, "level"),
        ({"valid_from": "2024-13-01"}, "valid_from"),
        ({"valid_until": "2023-01-01"}, "valid_until"),
        ({"reach": None}, "reach"),
        ({"lake": 1}, "reach"),  # both a reach and a lake
        ({"reach": 999999}, "reach"),
        ({"chief": 999999}, "chief"),
        ({"chief": "abc"}, "chief"),
    ],
)
def test_bad_input_is_400_naming_the_field_and_writes_nothing(client_for, users, geography, chief, change, field):
    client = client_for(users["admin"])  # its token's audit row comes before the count
    audit_before = AuditLog.objects.count()
    resp = client.post(URL, {**body(chief, geography["reach_e"]), **change}, format="json")
    assert resp.status_code == 400, resp.content
    assert field in resp.json()["error"]["fields"]
    assert not ChiefAssignment.objects.exists()
    assert AuditLog.objects.count() == audit_before


def test_a_non_chief_cannot_be_appointed(client_for, users, geography):
    resp = client_for(users["admin"]).post(URL, body(users["operator"], geography["reach_e"]), format="json")
    assert resp.status_code == 400
    assert "chief" in resp.json()["error"]["fields"]


def test_unknown_fields_are_refused(client_for, users, geography, chief):
    payload = {**body(chief, geography["reach_e"]), "valid_untill": "2024-06-30"}
    resp = client_for(users["admin"]).post(URL, payload, format="json")
    assert resp.status_code == 400
    assert resp.json()["error"]["fields"] == {"valid_untill": ["Unknown field."]}
    assert not ChiefAssignment.objects.exists()


def test_wrong_content_type_is_415(client_for, users, geography, chief):
    client = client_for(users["admin"])
    resp = client.post(URL, "chief=1", content_type="application/x-www-form-urlencoded")
    assert resp.status_code == 415
    assert resp.json()["error"]["code"] == "unsupported_media_type"


def test_end_an_appointment(client_for, users, geography, chief):
    client = client_for(users["city_reviewer"])
    created = client.post(URL, body(chief, geography["reach_e"]), format="json").json()
    resp = client.post(f"{URL}{created['id']}/end/", {"valid_until": "2024-06-30"}, format="json")
    assert resp.status_code == 200
    assert resp.json()["valid_until"] == "2024-06-30"
    # Not twice, and not before it began.
    again = client.post(f"{URL}{created['id']}/end/", {"valid_until": "2024-07-30"}, format="json")
    assert again.status_code == 400
    assert again.json()["error"]["code"] == "already_ended"
    current = client.get(f"{URL}?on=2024-08-01").json()
    assert current["count"] == 0
    assert client.get(f"{URL}?on=2024-03-01").json()["count"] == 1


def test_end_before_start_is_refused(client_for, users, geography, chief):
    client = client_for(users["admin"])
    created = client.post(URL, body(chief, geography["reach_e"]), format="json").json()
    resp = client.post(f"{URL}{created['id']}/end/", {"valid_until": "2023-06-30"}, format="json")
    assert resp.status_code == 400
    assert "valid_until" in resp.json()["error"]["fields"]
    assert ChiefAssignment.objects.get(pk=created["id"]).valid_until is None


def test_end_out_of_scope_is_404(client_for, users, geography, chief):
    created = client_for(users["admin"]).post(URL, body(chief, geography["reach_e"]), format="json").json()
    resp = client_for(users["reviewer_650103"]).post(f"{URL}{created['id']}/end/", {"valid_until": "2024-06-30"})
    assert resp.status_code == 404


# --- Idempotency-Key ---------------------------------------------------------------------------


def test_replay_returns_the_first_response_and_writes_once(client_for, users, geography, chief):
    client = client_for(users["admin"])
    first = client.post(URL, body(chief, geography["reach_e"]), format="json", HTTP_IDEMPOTENCY_KEY="k-1")
    assert first.status_code == 201
    again = client.post(URL, body(chief, geography["reach_e"]), format="json", HTTP_IDEMPOTENCY_KEY="k-1")
    assert again.status_code == 201
    assert again.json() == first.json()
    assert again["Idempotent-Replayed"] == "true"
    assert ChiefAssignment.objects.count() == 1
    assert AuditLog.objects.filter(entity="places.chiefassignment").count() == 1


def test_same_key_other_body_is_409(client_for, users, geography, chief):
    client = client_for(users["admin"])
    client.post(URL, body(chief, geography["reach_e"]), format="json", HTTP_IDEMPOTENCY_KEY="k-2")
    resp = client.post(URL, body(chief, geography["reach_w"]), format="json", HTTP_IDEMPOTENCY_KEY="k-2")
    assert resp.status_code == 409
    assert resp.json()["error"]["code"] == "idempotency_key_reused"
    assert ChiefAssignment.objects.count() == 1


def test_keys_are_per_user(client_for, users, geography, chief):
    a = client_for(users["admin"]).post(URL, body(chief, geography["reach_e"]), HTTP_IDEMPOTENCY_KEY="k-3")
    b = client_for(users["city_reviewer"]).post(
        URL, body(chief, geography["reach_w"]), format="json", HTTP_IDEMPOTENCY_KEY="k-3"
    )
    assert a.status_code == b.status_code == 201
    assert ChiefAssignment.objects.count() == 2


def test_failed_requests_are_not_stored(client_for, users, geography, chief):
    client = client_for(users["admin"])
    bad = client.post(URL, body(chief, geography["reach_e"], level="x"), format="json", HTTP_IDEMPOTENCY_KEY="k-4")
    assert bad.status_code == 400
    assert not IdempotencyRecord.objects.exists()
    # The client fixes its body and retries under the same key: that is a first request, not a conflict.
    good = client.post(URL, body(chief, geography["reach_e"]), format="json", HTTP_IDEMPOTENCY_KEY="k-4")
    assert good.status_code == 201


def test_overlong_key_is_400(client_for, users, geography, chief):
    resp = client_for(users["admin"]).post(
        URL, body(chief, geography["reach_e"]), format="json", HTTP_IDEMPOTENCY_KEY="k" * 300
    )
    assert resp.status_code == 400
    assert "Idempotency-Key" in resp.json()["error"]["fields"]
    assert not ChiefAssignment.objects.exists()


def test_expired_key_is_a_new_request(client_for, users, geography, chief, settings):
    from datetime import timedelta

    from django.utils import timezone

    from core.services import idempotency_purge_expired

    client = client_for(users["admin"])
    client.post(URL, body(chief, geography["reach_e"]), format="json", HTTP_IDEMPOTENCY_KEY="k-5")
    IdempotencyRecord.objects.update(created_at=timezone.now() - timedelta(hours=settings.IDEMPOTENCY_TTL_HOURS + 1))
    assert idempotency_purge_expired() == 1
    assert not IdempotencyRecord.objects.exists()
