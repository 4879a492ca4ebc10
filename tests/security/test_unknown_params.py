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
