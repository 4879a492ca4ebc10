"""API conventions every endpoint inherits: the error shape, JSON 404s, the body-size limit, aware
datetimes, GeoJSON input fields, the audit log, the schema and the health check."""

from __future__ import annotations

import pytest
from django.contrib.gis.geos import Point
from django.db import transaction
from rest_framework import serializers
from rest_framework.test import APIClient

from accounts.choices import Role
from core.api.exceptions import _flatten
from core.api.fields import AwareDateTimeField, GeoJSONGeometryField
from core.audit import AUDIT_GEOMETRY_MAX_POINTS, audit_record, changed_fields, snapshot
from core.models import AuditLog
from places.models import ChiefAssignment
from tests.factories import box


def test_unknown_api_url_is_json_404(db):
    resp = APIClient().get("/api/v1/no-such-thing/")
    assert resp.status_code == 404
    assert resp.json()["error"]["code"] == "not_found"


def test_unknown_non_api_url_is_a_plain_404(db):
    resp = APIClient().get("/no-such-page/")
    assert resp.status_code == 404
    assert not resp["Content-Type"].startswith("application/json")


@pytest.mark.django_db
def test_oversize_body_is_413_and_writes_nothing(client_for, users, geography, settings):
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 1024
    client = client_for(users["admin"])
    payload = {"chief": 1, "level": "district", "reach": 1, "valid_from": "2024-01-01", "pad": "x" * 5000}
    resp = client.post("/api/v1/places/assignments/", payload, format="json")
    assert resp.status_code == 413
    assert resp.json()["error"]["code"] == "payload_too_large"
    # The same with an Idempotency-Key (the key handling reads the body first).
    resp = client.post("/api/v1/places/assignments/", payload, format="json", HTTP_IDEMPOTENCY_KEY="big")
    assert resp.status_code == 413
    assert not ChiefAssignment.objects.exists()


@pytest.mark.django_db
@pytest.mark.parametrize(
    "raw",
    [b"{", b"[1, 2", b'{"chief": 1,}', b"\xff\xfe", b'{"a": NaN'],
)
def test_malformed_json_is_400(client_for, users, raw):
    resp = client_for(users["admin"]).post("/api/v1/places/assignments/", raw, content_type="application/json")
    assert resp.status_code == 400
    assert resp.json()["error"]["code"] == "malformed_request"


class _Probe(serializers.Serializer):
    at = AwareDateTimeField()
    area = GeoJSONGeometryField(allowed=["MultiPolygon"], promote_to_multi=True, required=False)
    track = GeoJSONGeometryField(allowed=["LineString"], required=False)


@pytest.mark.parametrize("value", ["2024-03-01T08:00:00", "2024-03-01 08:00", "2024-03-01T08:00:00.123456"])
def test_naive_datetimes_are_refused(value):
    s = _Probe(data={"at": value})
    assert not s.is_valid()
    assert "offset" in str(s.errors["at"][0])


@pytest.mark.parametrize(
    ("value", "utc_hour"),
    [("2024-03-01T08:00:00+08:00", 0), ("2024-03-01T00:00:00Z", 0), ("2024-03-01T06:00+06:00", 0)],
)
def test_aware_datetimes_are_accepted(value, utc_hour):
    s = _Probe(data={"at": value})
    assert s.is_valid(), s.errors
    assert s.validated_data["at"].utcoffset() is not None
    assert s.validated_data["at"].astimezone(__import__("datetime").UTC).hour == utc_hour


def test_garbage_datetime_is_refused():
    s = _Probe(data={"at": "yesterday"})
    assert not s.is_valid()


def test_geometry_field_promotes_and_validates():
    ok = _Probe(
        data={
            "at": "2024-03-01T08:00:00+08:00",
            "area": {"type": "Polygon", "coordinates": [[[87, 43], [88, 43], [88, 44], [87, 43]]]},
        }
    )
    assert ok.is_valid(), ok.errors
    assert ok.validated_data["area"].geom_type == "MultiPolygon"
    assert ok.validated_data["area"].srid == 4326
    bad = _Probe(
        data={"at": "2024-03-01T08:00:00+08:00", "track": {"type": "LineString", "coordinates": [[87, 95], [88, 44]]}}
    )
    assert not bad.is_valid()
    assert "track" in bad.errors


def test_geometry_field_uses_the_crs_from_context():
    s = _Probe(
        data={
            "at": "2024-03-01T08:00:00+08:00",
            "track": {"type": "LineString", "coordinates": [[87.6, 43.8], [87.61, 43.81]]},
        },
        context={"crs": "GCJ-02"},
    )
    assert s.is_valid(), s.errors
    lon, lat = s.validated_data["track"].coords[0]
    # GCJ-02 is offset by a few hundred metres near Urumqi; the stored WGS84 point differs.
    assert 1e-4 < abs(lon - 87.6) + abs(lat - 43.8) < 1e-2


def test_flatten_names_rows_and_fields():
    detail = {"readings": [{}, {"observed_at": ["naive"]}, {"meter": ["unknown"], "cumulative_m3": ["< 0"]}]}
    assert _flatten(detail) == {
        "readings[1].observed_at": ["naive"],
        "readings[2].meter": ["unknown"],
        "readings[2].cumulative_m3": ["< 0"],
    }


@pytest.mark.django_db(transaction=True)  # the plain db fixture wraps every test in a transaction
def test_audit_needs_a_transaction(make_user):
    user = make_user(Role.ADMIN, "", username="a")
    with pytest.raises(RuntimeError, match="inside the transaction"):
        audit_record(actor=user, action="update", instance=user)
    with transaction.atomic():
        row = audit_record(actor=user, action="update", instance=user, before={"a": 1}, after={"a": 2}, reason="r")
    assert row.actor == user
    assert row.actor_label == "a"
    assert row.entity == "accounts.user"
    assert AuditLog.objects.get(pk=row.pk).after == {"a": 2}


@pytest.mark.django_db
def test_audit_snapshot_of_geometries(geography):
    snap = snapshot(geography["lake_e"])
    assert snap["geometry"]["type"] == "MultiPolygon"
    assert snap["division_id"] == geography["tianshan"].pk
    big = geography["lake_e"]
    ring = [
        (87.6 + 0.01 * i / AUDIT_GEOMETRY_MAX_POINTS, 43.7 + (i % 2) * 0.001) for i in range(AUDIT_GEOMETRY_MAX_POINTS)
    ]
    from django.contrib.gis.geos import MultiPolygon, Polygon

    big.geometry = MultiPolygon(Polygon([*ring, (87.6, 43.8), ring[0]]), srid=4326)
    summary = snapshot(big)["geometry"]
    assert summary["points"] > AUDIT_GEOMETRY_MAX_POINTS
    assert len(summary["sha256"]) == 64
    assert changed_fields(snap, snapshot(big)) == ["geometry"]


@pytest.mark.django_db
def test_service_writes_are_audited_once_per_change(geography):
    from places.services import lake_upsert

    before = AuditLog.objects.filter(entity="places.lake").count()
    _lake, changed = lake_upsert(
        code="HK-01",
        name="红雁池水库",
        kind="reservoir",
        division_code="650102",
        geometry=box(87.62, 43.70, 87.64, 43.72),
        actor="test",
    )
    assert not changed  # same values: no write, no audit row
    _lake, changed = lake_upsert(
        code="HK-01",
        name="红雁池水库",
        kind="reservoir",
        division_code="650102",
        geometry=box(87.62, 43.70, 87.65, 43.72),
        actor="test",
    )
    assert changed
    rows = AuditLog.objects.filter(entity="places.lake").order_by("id")
    assert rows.count() == before + 1
    last = rows.last()
    assert last.action == "update"
    assert last.before["area_m2"] < last.after["area_m2"]


def test_schema_and_docs_are_served(db, client_for, users):
    # Behind a log-in (issue 14): anonymous callers get 401 for the schema and the docs.
    anonymous = APIClient()
    assert anonymous.get("/api/schema/", HTTP_ACCEPT="application/json").status_code == 401
    assert anonymous.get("/api/docs/").status_code in (401, 403)
    assert anonymous.get("/api/redoc/").status_code in (401, 403)
    client = client_for(users["chief_650102"])
    schema = client.get("/api/schema/", HTTP_ACCEPT="application/json")
    assert schema.status_code == 200
    paths = schema.json()["paths"]
    for path in ("/api/v1/auth/token/", "/api/v1/places/reaches/", "/api/v1/places/assignments/"):
        assert path in paths
    docs = client.get("/api/docs/")
    assert docs.status_code == 200
    # Swagger UI is served from the sidecar package, not a CDN (no internet on these machines).
    assert b"cdn" not in docs.content.lower()


def test_health(db):
    resp = APIClient().get("/healthz")
    assert resp.status_code == 200
    assert resp.json() == {"status": "ok"}


def test_point_is_a_geometry():  # guard for the import used above
    assert Point(1, 2).geom_type == "Point"


@pytest.mark.django_db
def test_audit_record_many_writes_one_row_per_item(geography):
    from core.audit import audit_record_many

    with transaction.atomic():
        n = audit_record_many(
            actor="import:test",
            action="import",
            items=[(geography["lake_e"], None, {"a": 1}), (geography["lake_w"], None, {"a": 2})],
        )
    assert n == 2
    rows = AuditLog.objects.filter(actor_label="import:test").order_by("id")
    assert [r.after for r in rows] == [{"a": 1}, {"a": 2}]
    assert {r.entity for r in rows} == {"places.lake"}


def test_flatten_handles_drf_integer_keys():
    # DRF 3.18 reports ListField item errors as {index: errors}.
    assert _flatten({"rows": {1: {"x": ["bad"]}, 3: ["worse"]}}) == {"rows[1].x": ["bad"], "rows[3]": ["worse"]}
