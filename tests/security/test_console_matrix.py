"""The console's permission matrix, generated from the URL conf as the API's is: every console route
(pages and their POST actions) × GET and POST × every role and anonymous. A new page or action is
covered by being routed. What must hold whatever the page:

- nothing answers 500;
- anonymous reads nothing (a page sends it to the log-in page, a map layer answers 401, an action
  asked with the wrong method 405);
- a device account (an RTU's or a phone's token user) reads no page;
- a route naming a row names one outside every scope here (no such id): no role gets 200 — a 404, or a
  403 for a role the page is not for, never the row;
- a page of the menu (console.nav) answers its GET with 200 (or a redirect) to the roles the menu shows
  it to, and never 200 to the others (a 403, or back to their home with a message): the menu never
  offers a page that refuses, and a typed URL shows nothing where the menu does not lead.

Rows in and out of a caller's jurisdiction, and each action's rules, are tested page by page
(tests/console/test_*_views.py).
"""

from __future__ import annotations

import uuid
from typing import Any

import pytest
from django.test import Client

from accounts.choices import Role
from accounts.permissions import user_role
from console.nav import NAV
from tests.routes import Route, all_routes

pytestmark = pytest.mark.django_db

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
OTHER = ("/api/", "/ogc/", "/admin/", "/healthz", "/i18n/", "/static/", "/media/")
NO_ID = 987654321
NO_UUID = str(uuid.UUID(int=NO_ID))
# Values for the route parameters that are not row ids: a real kind, layer, action or format, so that
# the request reaches the row lookup (and its 404) rather than stopping at an unknown word.
WORDS = {
    "kind": {"/map/": "reach", "/river/rules/": "validity"},
    "layer": {"": "reaches"},
    "action": {
        "/oversight/tasks/": "start",
        "/oversight/petitions/": "accept",
        "/river/cases/": "assign",
        "/water/readings/": "accept",
    },
    "fmt": {"": "pdf"},
    "at": {"": "2024-05-01T08:00:00+08:00"},
}
UUID_ROWS = ("/river/cases/", "/river/patrols/", "/river/review/", "/map/cards/", "/map/features/")


def _console_routes() -> list[Route]:
    return [r for r in all_routes(prefixes=("/",)) if not r.template.startswith(OTHER)]


def _value(route: Route, param: str) -> Any:
    if param in WORDS:
        for prefix, word in WORDS[param].items():
            if route.template.startswith(prefix):
                return word
    if param == "pk" and route.template.startswith(UUID_ROWS):
        return NO_UUID
    return NO_ID


def _url(route: Route) -> str:
    return route.url(**{p: _value(route, p) for p in route.params})


ROUTES = _console_routes()
MENU = {item.url_name.split(":", 1)[1]: item.roles for group in NAV for item in group.items if item.url_name}


def _clients(users: dict[str, Any]) -> dict[str, Client]:
    out = {}
    for role in ROLES:
        client = Client(HTTP_ACCEPT_LANGUAGE="zh-hans")
        if role != "anonymous":
            client.force_login(users[role])
        out[role] = client
    return out


def test_the_console_has_routes_to_check():
    names = {r.name for r in ROUTES}
    assert len(ROUTES) >= 60
    assert {"case_list", "patrol_review_queue", "reading_review_queue", "plan_detail", "report_list"} <= names, names


def test_the_console_permission_matrix(users, make_user):
    # The member unit (成员单位) acts only on the oversight items handed to it.
    users = {**users, "unit": make_user(Role.UNIT, "", username="t_unit", display_name="市林草局")}
    clients = _clients(users)
    problems: list[str] = []
    checked = 0
    for route in ROUTES:
        url = _url(route)
        for method in ("get", "post"):
            for role in ROLES:
                resp = getattr(clients[role], method)(url)
                status = resp.status_code
                checked += 1
                where = f"{method.upper()} {url} as {role}: {status}"
                if status >= 500:
                    problems.append(f"{where} (a server error)")
                if role == "anonymous" and route.template != "/login/" and status == 200:
                    problems.append(f"{where} (anonymous reads no page)")
                if role == "device" and route.template not in ("/login/", "/logout/") and status == 200:
                    problems.append(f"{where} (a device reads no page)")
                if route.params and status == 200:
                    problems.append(f"{where} (a row outside every scope was served)")
                if method == "get" and role != "anonymous" and not route.params and route.name in MENU:
                    allowed = user_role(users[role]) in MENU[route.name]
                    if allowed and status not in (200, 302):
                        problems.append(f"{where} (the menu offers this page to the role)")
                    if not allowed and status == 200:
                        problems.append(f"{where} (the menu hides this page from the role)")
    assert checked >= len(ROUTES) * 2 * len(ROLES)
    assert problems == [], "\n".join(problems)
