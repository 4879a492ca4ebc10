"""No silent parameters (issue 19): every list and report endpoint answers 400 naming a query parameter it
does not know, as /ogc/ does, so `?reach=` on an endpoint without that filter cannot answer 200 with the
whole division. Generated from the URL conf: a new endpoint is covered by itself."""

from __future__ import annotations

import pytest

from tests.routes import all_routes

pytestmark = pytest.mark.django_db

# GET routes without a row id in the path: lists, ledgers, summaries and reports.
ROUTES = [
    r
    for r in all_routes(prefixes=("/api/v1/",))
    if "get" in r.methods and not r.params and r.template not in ("/api/v1/", "/api/v1/auth/token/")
]


@pytest.mark.parametrize("route", ROUTES, ids=[r.template for r in ROUTES])
def test_an_unknown_query_parameter_is_a_400_naming_it(client_for, users, route):
    resp = client_for(users["admin"]).get(route.url(), {"no_such_filter": "1"})
    assert resp.status_code == 400, (route.template, resp.status_code, resp.content[:300])
    assert "no_such_filter" in resp.json()["error"]["fields"]


def test_every_parameter_the_schema_declares_is_one_the_endpoint_knows(tmp_path):
    """The other way round: a parameter the OpenAPI document offers on a checked endpoint must not be
    refused as unknown (a client generated from the schema would get 400s)."""
    import yaml
    from django.core.management import call_command
    from django.urls import resolve

    from core.api.query import known_params

    out = tmp_path / "schema.yaml"
    call_command("spectacular", "--file", str(out))
    doc = yaml.safe_load(out.read_text())
    refused = []
    for path, item in doc["paths"].items():
        op = item.get("get")
        if not op or "{" in path:
            continue
        match = resolve(path)
        view_cls = getattr(match.func, "cls", None)
        actions = getattr(match.func, "actions", None) or {}
        known = known_params(view_cls, actions.get("get")) if view_cls else None
        if known is None:
            continue
        declared = {p["name"] for p in op.get("parameters", []) if p.get("in") == "query"}
        refused += [f"{path}?{name}" for name in sorted(declared - known)]
    assert refused == []
