"""CORS: no origin is allowed by default; a configured origin may call the API from a browser."""

from __future__ import annotations

import pytest

pytestmark = pytest.mark.django_db


def _preflight(client):
    return client.options(
        "/api/v1/water/intakes/",
        HTTP_ORIGIN="https://app.example.org",
        HTTP_ACCESS_CONTROL_REQUEST_METHOD="GET",
        HTTP_ACCESS_CONTROL_REQUEST_HEADERS="authorization",
    )


def test_no_origin_is_allowed_by_default(client):
    resp = _preflight(client)
    assert "access-control-allow-origin" not in resp.headers


def test_a_configured_origin_is_allowed_without_credentials(client, settings):
    settings.CORS_ALLOWED_ORIGINS = ["https://app.example.org"]
    resp = _preflight(client)
    assert resp.headers["access-control-allow-origin"] == "https://app.example.org"
    assert "authorization" in resp.headers["access-control-allow-headers"]
    assert "access-control-allow-credentials" not in resp.headers
    other = client.options(
        "/api/v1/water/intakes/", HTTP_ORIGIN="https://evil.example", HTTP_ACCESS_CONTROL_REQUEST_METHOD="GET"
    )
    assert "access-control-allow-origin" not in other.headers


def test_console_pages_never_carry_cors_headers(client, settings):
    settings.CORS_ALLOWED_ORIGINS = ["https://app.example.org"]
    resp = client.get("/healthz", HTTP_ORIGIN="https://app.example.org")
    assert "access-control-allow-origin" not in resp.headers
