"""The OpenAPI document tells the truth about Idempotency-Key and the report's file formats (issue 19)."""

from __future__ import annotations

import json

import pytest

pytestmark = pytest.mark.django_db


@pytest.fixture
def schema(client_for, users):
    resp = client_for(users["admin"]).get("/api/schema/?format=json")
    assert resp.status_code == 200
    return json.loads(resp.content)


def _headers(operation):
    return {p["name"] for p in operation.get("parameters", []) if p["in"] == "header"}


def test_idempotency_key_is_declared_on_writes_that_honour_it(schema):
    paths = schema["paths"]
    assert "Idempotency-Key" in _headers(paths["/api/v1/patrols/"]["post"])
    assert "Idempotency-Key" in _headers(paths["/api/v1/water/readings/"]["post"])
    # The log-in and the stateless classification do not keep answers: not declared there.
    assert "Idempotency-Key" not in _headers(paths["/api/v1/auth/token/"]["post"])
    assert "Idempotency-Key" not in _headers(paths["/api/v1/quality/classify/"]["post"])
    # Never on reads.
    assert all("Idempotency-Key" not in _headers(ops["get"]) for ops in paths.values() if "get" in ops)
    writes = [ops[m] for ops in paths.values() for m in ("post", "put", "patch", "delete") if m in ops]
    declared = [op for op in writes if "Idempotency-Key" in _headers(op)]
    assert 20 <= len(declared) < len(writes)


def test_the_quarterly_report_declares_json_xlsx_and_pdf(schema):
    op = schema["paths"]["/api/v1/reports/quarterly/{year}/{q}/"]["get"]
    assert set(op["responses"]["200"]["content"]) == {
        "application/json",
        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        "application/pdf",
    }
