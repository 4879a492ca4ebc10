"""Bad input gets a 4xx, never a 500 (issue 14), on every endpoint the URL conf and the schema list.

- a JSON body of 100,000 nested '[' on every route that takes a body;
- malformed values of every query parameter the schema declares, on every list/read route: a 400 that
  names the parameter, or a 200 when the value is acceptable text;
- a CSV field over the csv module's 128 KiB limit.
"""

from __future__ import annotations

import pytest
from django.test import override_settings
from drf_spectacular.generators import SchemaGenerator

from tests.routes import all_routes

pytestmark = pytest.mark.django_db
DEEP = "[" * 100_000
WRITE_ROUTES = [(r, m) for r in all_routes(("/api/",)) for m in r.methods if m in ("post", "put", "patch")]


def test_there_are_write_routes():
    assert len(WRITE_ROUTES) > 40


@pytest.mark.parametrize(("route", "method"), WRITE_ROUTES, ids=lambda x: getattr(x, "template", x))
def test_deeply_nested_json_is_a_400(route, method, client_for, users):
    client = client_for(users["admin"])
    resp = getattr(client, method)(route.url(), DEEP, content_type="application/json")
    assert resp.status_code < 500, (route.template, method, resp.content[:300])
    if not route.params and resp.status_code not in (401, 403, 405, 415):
        assert resp.status_code == 400, (route.template, resp.status_code)


# Valid values for the parameters some reads require, so that the bad value of another is what fails.
REQUIRED_DEFAULTS = {"start": "2024-01-01", "end": "2024-03-31", "year": "2024", "figure": "water.use_m3"}


def _query_params() -> tuple[list[tuple[str, str]], dict[str, list[str]]]:
    schema = SchemaGenerator().get_schema(request=None, public=True)
    out, required = [], {}
    for path, ops in schema["paths"].items():
        if "{" in path or "get" not in ops:
            continue
        params = [p for p in ops["get"].get("parameters", []) if p.get("in") == "query"]
        required[path] = [p["name"] for p in params if p.get("required")]
        out += [(path, p["name"]) for p in params if p["name"] not in ("page", "page_size", "format")]
    return out, required


QUERY_PARAMS, REQUIRED = _query_params()
BAD_VALUES = ["%s", "%(x)s", "9" * 40, "-1", "[", "2024-13-45"]


def test_there_are_query_parameters():
    assert len(QUERY_PARAMS) > 80


@pytest.mark.parametrize(("path", "param"), QUERY_PARAMS, ids=lambda x: x)
def test_malformed_query_values_are_a_400_naming_the_parameter(path, param, client_for, users):
    client = client_for(users["admin"])
    base = {r: REQUIRED_DEFAULTS[r] for r in REQUIRED[path] if r in REQUIRED_DEFAULTS}
    for value in BAD_VALUES:
        resp = client.get(path, {**base, param: value})
        assert resp.status_code in (200, 400), (path, param, value, resp.status_code, resp.content[:300])
        if resp.status_code == 400:
            body = resp.json()["error"]
            named = set(body.get("fields", {})) | {body.get("message", "")}
            assert any(param in n for n in named), (path, param, value, body)


@pytest.mark.parametrize("url", ["/api/v1/reuse/volumes/", "/api/v1/reuse/deliveries/"])
def test_percent_s_in_a_month_filter_is_a_400_naming_start(url, client_for, users):
    resp = client_for(users["admin"]).get(url, {"start": "%s"})
    assert resp.status_code == 400
    assert "start" in resp.json()["error"]["fields"]


@override_settings(WATER_MAX_BATCH_ROWS=10)
def test_oversize_csv_field_is_a_400(client_for, users):
    body = "meter,observed_at,cumulative_m3\nM-1,2024-01-01T00:00:00+08:00," + "9" * (200 * 1024) + "\n"
    resp = client_for(users["admin"]).post("/api/v1/water/readings/", body.encode(), content_type="text/csv")
    assert resp.status_code == 400, resp.content[:300]
    assert "csv" in resp.json()["error"]["fields"]


@pytest.mark.parametrize(
    "url", ["/api/v1/reuse/volumes/", "/api/v1/reuse/deliveries/", "/api/v1/quality/samples/import/"]
)
def test_oversize_csv_field_elsewhere_is_a_400(url, client_for, users):
    body = "a,b\n" + "x" * (200 * 1024) + ",1\n"
    resp = client_for(users["admin"]).post(url, body.encode(), content_type="text/csv")
    assert resp.status_code == 400, resp.content[:300]
