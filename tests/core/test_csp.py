"""Content-Security-Policy (issue 14): strict everywhere, relaxed only for the third-party UIs."""

from __future__ import annotations

import re

import pytest
from django.test import Client

pytestmark = pytest.mark.django_db


def _policy(resp) -> dict[str, list[str]]:
    header = resp["Content-Security-Policy"]
    return {d.split()[0]: d.split()[1:] for d in (p.strip() for p in header.split(";")) if d}


def test_strict_policy_for_pages_and_api(client_for, users):
    for resp in (Client().get("/healthz"), client_for(users["admin"]).get("/api/v1/auth/me/")):
        p = _policy(resp)
        assert p["script-src"] == ["'self'"]
        assert p["style-src"] == ["'self'"]
        assert p["img-src"] == ["'self'", "data:", "blob:"]
        assert p["connect-src"] == ["'self'"]
        assert p["frame-ancestors"] == ["'none'"]
        assert "'unsafe-inline'" not in resp["Content-Security-Policy"]


def test_swagger_and_redoc_work_under_their_policy(users):
    client = Client()
    client.force_login(users["admin"])
    docs = client.get("/api/docs/")
    assert docs.status_code == 200
    # No inline script: the split view serves Swagger UI's start-up script as a file, from 'self'.
    assert not re.search(rb"<script>", docs.content)
    init = re.search(rb'<script src="([^"]*\?script[^"]*)"', docs.content)
    assert init, docs.content[:2000]
    script = client.get(init.group(1).decode().replace("&amp;", "&"))
    assert script.status_code == 200
    assert b"SwaggerUIBundle" in script.content
    p = _policy(docs)
    assert p["script-src"] == ["'self'"]
    assert "'unsafe-inline'" in p["style-src"]
    redoc = client.get("/api/redoc/")
    assert redoc.status_code == 200
    assert not re.search(rb"<script>", redoc.content)
    assert "blob:" in _policy(redoc)["worker-src"]


def test_console_paths_get_no_relaxation():
    resp = Client().get("/console/")  # whatever it answers, the header is the strict one
    assert "'unsafe-inline'" not in resp["Content-Security-Policy"]
