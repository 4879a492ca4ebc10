"""What the schemathesis run (scripts/schemathesis.sh, issue 14) found, kept found: the API answers as
its OpenAPI schema says.

- a boolean query parameter takes true/false (1/0, yes/no); "null" or "maybe" is a 400 naming it, not
  silently no filter (django-filter's own boolean field reads anything else as "not given");
- an integer query parameter (a year) refuses 0.5 with a 400 naming it;
- an empty filter value (?start=) is "not given", as an HTML form sends a blank field, and the schema
  says so (allowEmptyValue), so a client or fuzzer knows it is not a malformed date;
- a method a route does not have is a 405, even under an Idempotency-Key used before (it was a 409);
- every export documents both files it answers with (CSV and XLSX).
"""

from __future__ import annotations

from typing import Any

import pytest
from drf_spectacular.generators import SchemaGenerator

from core.exports import XLSX_MIME
from tests.routes import HTTP_METHODS, all_routes
from tests.security.test_bad_input import REQUIRED, REQUIRED_DEFAULTS

pytestmark = pytest.mark.django_db

SCHEMA = SchemaGenerator().get_schema(request=None, public=True)
# oversight/ and notify/ are other developers' areas in this round; their boolean filters still read
# "maybe" as "not given". The test fails when one is fixed, so the entry is removed then.
NOT_YET_STRICT = {
    ("/api/v1/oversight/orders/", "replied"),
    ("/api/v1/oversight/petitions/", "public"),
    ("/api/v1/oversight/petitions/", "replied"),
    ("/api/v1/oversight/petitions/", "batch"),
}


def _query_params(kind: str) -> list[tuple[str, str]]:
    out = []
    for path, ops in SCHEMA["paths"].items():
        if "{" in path or "get" not in ops:
            continue
        for p in ops["get"].get("parameters", []):
            if p.get("in") == "query" and p.get("schema", {}).get("type") == kind and not p.get("required"):
                out.append((path, p["name"]))
    return out


BOOLEANS = _query_params("boolean")
INTEGERS = [(path, name) for path, name in _query_params("integer") if name not in ("page", "page_size")]


def _get(client: Any, path: str, **params: str) -> Any:
    base = {r: REQUIRED_DEFAULTS[r] for r in REQUIRED[path] if r in REQUIRED_DEFAULTS}
    return client.get(path, {**base, **params})


def test_there_are_boolean_and_integer_filters():
    assert len(BOOLEANS) > 15
    assert len(INTEGERS) > 15


@pytest.mark.parametrize(("path", "param"), BOOLEANS, ids=lambda x: x)
def test_a_boolean_filter_refuses_what_is_not_true_or_false(path, param, client_for, users):
    client = client_for(users["admin"])
    for value in ("true", "false"):
        assert _get(client, path, **{param: value}).status_code == 200, (path, param, value)
    codes = {value: _get(client, path, **{param: value}).status_code for value in ("null", "maybe")}
    if (path, param) in NOT_YET_STRICT:
        assert codes == {"null": 200, "maybe": 200}, "fixed: remove it from NOT_YET_STRICT"
        return
    assert codes == {"null": 400, "maybe": 400}, (path, param, codes)
    assert param in _get(client, path, **{param: "maybe"}).json()["error"]["fields"]


@pytest.mark.parametrize(("path", "param"), INTEGERS, ids=lambda x: x)
def test_an_integer_filter_refuses_a_fraction(path, param, client_for, users):
    resp = _get(client_for(users["admin"]), path, **{param: "0.5"})
    if (path, param) in NOT_YET_STRICT:
        assert resp.status_code == 200, "fixed: remove it from NOT_YET_STRICT"
        return
    assert resp.status_code == 400, (path, param, resp.status_code)
    assert param in resp.json()["error"]["fields"]


def test_empty_filter_values_are_documented_and_mean_not_given(client_for, users):
    client = client_for(users["admin"])
    empty = [
        (path, p["name"])
        for path, ops in SCHEMA["paths"].items()
        if "{" not in path and "get" in ops
        for p in ops["get"].get("parameters", [])
        if p.get("allowEmptyValue")
    ]
    assert len(empty) > 100
    for path in ("/api/v1/patrols/cases/", "/api/v1/water/readings/", "/api/v1/reuse/volumes/"):
        assert (path, "start") in empty
    refused = [(path, name) for path, name in empty if _get(client, path, **{name: ""}).status_code != 200]
    assert refused == []


def test_a_method_the_route_lacks_is_405_under_a_used_idempotency_key(client_for, users, geography):
    client = client_for(users["admin"])
    url = "/api/v1/patrols/litter/"
    body = {"reach": geography["reach_e"].pk, "removed_on": "2024-05-06", "tonnes": "0.5"}
    assert client.post(url, body, format="json", HTTP_IDEMPOTENCY_KEY="k-1").status_code == 201
    for method in ("put", "patch", "delete"):
        resp = getattr(client, method)(url, body, format="json", HTTP_IDEMPOTENCY_KEY="k-1")
        assert resp.status_code == 405, (method, resp.status_code, resp.content)


def test_every_export_documents_csv_and_xlsx():
    exports = [
        (path, ops["get"]) for path, ops in SCHEMA["paths"].items() if path.endswith("/export/") and "get" in ops
    ]
    assert len(exports) > 10
    for path, op in exports:
        assert {"text/csv", XLSX_MIME} <= set(op["responses"]["200"]["content"]), path


def test_list_and_report_schemas_match_their_shape():
    components = SCHEMA["components"]["schemas"]
    meter = components["Meter"]["properties"]
    assert meter["replaces_serial"].get("nullable")
    assert meter["device_username"].get("nullable")
    compliance = SCHEMA["paths"]["/api/v1/patrols/compliance/"]["get"]["responses"]["200"]["content"]
    ref = compliance["application/json"]["schema"]["$ref"].rsplit("/", 1)[1]
    assert set(components[ref]["properties"]) == {"start", "end", "totals", "results"}  # totals: issue 19
    snapshots = SCHEMA["paths"]["/api/v1/reports/snapshots/"]["get"]["responses"]["200"]["content"]
    ref = snapshots["application/json"]["schema"]["$ref"].rsplit("/", 1)[1]
    assert {"count", "next", "previous", "results"} <= set(components[ref]["properties"])


API_ROUTES = [r for r in all_routes(("/api/v1/",)) if set(HTTP_METHODS) - set(r.methods)]


def test_a_method_no_route_has_is_405_for_every_role(client_for, users):
    """Whatever the role: 405 for a method the route does not have, not 403 for the roles that may not
    read it (a device's GET /api/v1/auth/token/ was a 403)."""
    clients = {who: client_for(users[who]) for who in ("admin", "operator", "device", "chief_650102")}
    assert len(API_ROUTES) > 100
    wrong = []
    for route in API_ROUTES:
        method = next(m for m in ("put", "patch", "delete", "post", "get") if m not in route.methods)
        for who, client in clients.items():
            code = getattr(client, method)(route.url(), {}, format="json").status_code
            # A path with an id of another shape (a UUID) does not resolve: 404 before any view.
            if code != 405 and not (code == 404 and route.params):
                wrong.append((route.template, method, who, code))
    assert wrong == []


def test_reads_document_the_servers_414_and_the_files_they_answer_with():
    for path, ops in SCHEMA["paths"].items():
        if "get" in ops:
            assert "414" in ops["get"]["responses"], path
    snapshot = SCHEMA["paths"]["/api/v1/reports/snapshots/{id}/"]["get"]["responses"]["200"]["content"]
    assert {"application/json", XLSX_MIME, "application/pdf"} <= set(snapshot)
    plans = SCHEMA["paths"]
    history = plans["/api/v1/water/plans/{id}/amendments/"]["get"]["responses"]["200"]["content"]["application/json"]
    assert history["schema"]["type"] == "array"  # a plain list of versions, not a page
    lines = plans["/api/v1/water/plans/{id}/allocations/"]["get"]["responses"]["200"]["content"]["application/json"]
    page = SCHEMA["components"]["schemas"][lines["schema"]["$ref"].rsplit("/", 1)[1]]
    line = page["properties"]["results"]["items"]["$ref"].rsplit("/", 1)[1]
    assert set(SCHEMA["components"]["schemas"][line]["properties"]) == {"intake", "code", "month", "use", "volume_m3"}
