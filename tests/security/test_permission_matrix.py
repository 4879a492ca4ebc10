"""The permission matrix (issue 14), generated from the URL conf: every route × every HTTP method it
answers × every role (and anonymous) × two cases, against the expected status frozen in
permission_matrix.json:

- "own": the route as the caller reaches it without naming a row (a list, a create with an empty body:
  200/201/400 when the role may, 403 when it may not, 401 anonymous);
- "other": the route naming a row the caller cannot see (an id that is not in its scope; for a role
  allowed the route this must be 404, never 200, never 403 that would confirm the row exists).

A route in the URL conf that has no entry in the table fails `test_every_route_has_an_entry`, so a new
endpoint cannot ship without its row of the matrix. Regenerate after a deliberate change with
`HZ_MATRIX_WRITE=1 pytest tests/security/test_permission_matrix.py` and review the diff.
Scoping with real rows in and out of a caller's jurisdiction is tested app by app (tests/<app>/).
"""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

from accounts.choices import Role
from tests.routes import all_routes

pytestmark = pytest.mark.django_db
TABLE = Path(__file__).with_name("permission_matrix.json")
ROLES = (
    "anonymous",
    "admin",
    "city_reviewer",
    "reviewer_650103",
    "chief_650102",
    "operator",
    "device",
    "no_jurisdiction",
    "unit",
)
OUT_OF_SCOPE_ID = 987654321  # no row has it: inside or outside a scope, a caller learns nothing
ROUTES = [r for r in all_routes() if not r.template.startswith(("/api/docs", "/api/redoc"))]
# Signing out (DELETE /auth/token/) revokes the caller's token: it goes last.
CELLS = sorted(((r, m) for r in ROUTES for m in r.methods), key=lambda c: c[0].template == "/api/v1/auth/token/")


def _key(route, method: str) -> str:
    return f"{method.upper()} {route.template}"


def _cases(route) -> dict[str, str]:
    """case → URL. A route with a row id has only the "other" case here (an id outside every scope)."""
    if route.params:
        values = {p: (OUT_OF_SCOPE_ID if p not in ("year", "q", "collection_id") else "x") for p in route.params}
        if "year" in route.params:
            values.update(year=2024, q=9)  # quarter 9: no such quarter, a 400 for every allowed role
        return {"other": route.url(**values)}
    return {"own": route.url()}


def _status(client, method: str, url: str) -> int:
    if method in ("get", "delete"):
        return getattr(client, method)(url).status_code
    return getattr(client, method)(url, {}, format="json").status_code


def _observe(client_for, users) -> dict[str, dict[str, int]]:
    clients = {role: client_for(None if role == "anonymous" else users[role]) for role in ROLES}
    out: dict[str, dict[str, int]] = {}
    for route, method in CELLS:
        for case, url in _cases(route).items():
            out[f"{_key(route, method)} [{case}]"] = {role: _status(clients[role], method, url) for role in ROLES}
    return out


def test_every_route_has_an_entry():
    table = json.loads(TABLE.read_text())
    keys = {k.rsplit(" [", 1)[0] for k in table}
    missing = sorted(_key(r, m) for r, m in CELLS if _key(r, m) not in keys)
    assert not missing, f"routes without a permission-matrix entry (add them): {missing}"


def test_matrix_size():
    table = json.loads(TABLE.read_text())
    cells = sum(len(v) for v in table.values())
    # routes × methods × cases × roles; printed for the note.
    print(
        f"permission matrix: {len(ROUTES)} routes, {len(CELLS)} route-methods, {len(table)} cases, "
        f"{len(ROLES)} roles, {cells} checks"
    )
    assert cells == len(table) * len(ROLES)


def test_permission_matrix(client_for, users, make_user):
    # The member unit (成员单位, issue 16) acts only on the oversight items handed to it.
    unit = make_user(Role.UNIT, "", username="t_unit", display_name="市林草局")
    observed = _observe(client_for, {**users, "unit": unit})
    if os.environ.get("HZ_MATRIX_WRITE"):
        TABLE.write_text(json.dumps(observed, indent=1, sort_keys=True, ensure_ascii=False) + "\n")
    expected = json.loads(TABLE.read_text())
    diffs = [
        f"{key} {role}: expected {expected.get(key, {}).get(role)}, got {got}"
        for key, row in observed.items()
        for role, got in row.items()
        if expected.get(key, {}).get(role) != got
    ]
    assert not diffs, "\n".join(diffs[:50])
    for key, row in observed.items():
        for role, got in row.items():
            assert got < 500, (key, role, got)
            if role == "anonymous":
                assert got in (400, 401, 403, 404, 405) or key == "GET /healthz [own]", (key, got)
            if key.endswith("[other]") and role != "anonymous":
                # A row outside the caller's scope: 404 (403 when the role may not use the route at all; 400
                # when the route checks its input before the row, which it does for every row alike).
                assert got in (400, 403, 404, 405), (key, role, got)
