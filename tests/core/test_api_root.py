"""/api/v1/ lists the endpoints; /api/schema/?format=json answers JSON (issue 19, rough edges)."""

from __future__ import annotations

import json

import pytest

pytestmark = pytest.mark.django_db


def test_root_lists_every_app_and_each_link_answers(client_for, users):
    c = client_for(users["admin"])
    resp = c.get("/api/v1/")
    assert resp.status_code == 200, resp.content
    body = resp.json()
    assert body["schema"].endswith("/api/schema/")
    assert {"auth", "places", "water", "patrols", "reuse", "quality", "reports"} <= set(body["apps"])
    assert "http://testserver/api/v1/water/intakes/" in body["apps"]["water"]
    for url in body["apps"]["places"]:
        got = c.get(url.removeprefix("http://testserver"))
        assert got.status_code in (200, 400, 405), (url, got.status_code)  # 400: a list that needs ?start=


def test_root_needs_a_log_in(client_for):
    resp = client_for(None).get("/api/v1/")
    assert resp.status_code == 401
    assert resp.json()["error"]["code"]


@pytest.mark.parametrize(
    ("fmt", "content_type"), [("json", "application/vnd.oai.openapi+json"), ("yaml", "application/vnd.oai.openapi")]
)
def test_schema_format_parameter(client_for, users, fmt, content_type):
    resp = client_for(users["admin"]).get(f"/api/schema/?format={fmt}")
    assert resp.status_code == 200
    assert resp["Content-Type"].startswith(content_type)
    if fmt == "json":
        assert json.loads(resp.content)["openapi"].startswith("3.")
    else:
        assert resp.content.startswith(b"openapi: 3.")


def test_schema_unknown_format_is_a_400_naming_it(client_for, users):
    resp = client_for(users["admin"]).get("/api/schema/?format=xml")
    assert resp.status_code == 400
    assert "format" in resp.json()["error"]["fields"]
