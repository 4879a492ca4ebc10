"""`reach=` and `lake=` on the sections list and its console ledger, and on the chief appointments list
(issue 19 item 4): a reach or lake the caller may not name — another district's, or none such — is a 400
naming the field, by the same rule as the patrol ledgers (places.selectors.site_filter_check), never an
empty list."""

from __future__ import annotations

import html as htmllib
import re
from typing import Any

import pytest
from django.test import Client

pytestmark = pytest.mark.django_db
URL = "/api/v1/quality/sections/"
PAGE = "/quality/sections/"
APPOINTMENTS = "/api/v1/places/assignments/"


def _codes(resp: Any) -> list[str]:
    assert resp.status_code == 200, resp.content
    body = resp.json()
    rows = body.get("features", body.get("results"))
    return sorted(r.get("properties", r)["code"] for r in rows)


def _refused(resp: Any, field: str) -> None:
    assert resp.status_code == 400, resp.content
    error = resp.json()["error"]
    assert error["code"] == "invalid", error
    assert list(error["fields"]) == [field], error


@pytest.mark.parametrize(
    ("field", "key"),
    [("reach", "reach_e"), ("lake", "lake_e")],
)
def test_sections_refuse_a_reach_or_lake_outside_the_scope(sections, geography, users, client_for, field, key):
    west = client_for(users["reviewer_650103"])  # Saybagh: reach_w, lake_w
    _refused(west.get(URL, {field: geography[key].pk}), field)  # another district's
    _refused(west.get(URL, {field: 9_000_000}), field)  # none such
    own = key.replace("_e", "_w")
    assert _codes(west.get(URL, {field: geography[own].pk})) == (["QS-W-R"] if field == "reach" else ["QS-W-L"])
    # The city reviewer may name the east's: its sections, not an error.
    city = client_for(users["city_reviewer"])
    expected = ["QS-E-R"] if field == "reach" else ["QS-E-L", "QS-E-S"]
    assert _codes(city.get(URL, {field: geography[key].pk})) == expected


def test_sections_ledger_page_refuses_the_same(sections, geography, users):
    page = Client(HTTP_ACCEPT_LANGUAGE="en")
    page.force_login(users["reviewer_650103"])
    for field, value, message in (
        ("reach", geography["reach_e"].pk, "No such reach in your scope."),
        ("lake", 9_000_000, "No such lake or reservoir in your scope."),
    ):
        resp = page.get(PAGE, {field: value})
        assert resp.status_code == 400, (field, resp.status_code)
        html = resp.content.decode()
        block = re.search(r'data-testid="filter-error">(.*?)</div></div>', html, re.S)
        assert block is not None, html
        assert f"{field}: {message}" in htmllib.unescape(block.group(1))
    ok = page.get(PAGE, {"reach": geography["reach_w"].pk})
    assert ok.status_code == 200
    assert "QS-W-R" in ok.content.decode()
    assert "QS-E-R" not in ok.content.decode()


def test_appointments_refuse_a_reach_or_lake_outside_the_scope(geography, users, client_for):
    west = client_for(users["reviewer_650103"])
    _refused(west.get(APPOINTMENTS, {"reach": geography["reach_e"].pk}), "reach")
    _refused(west.get(APPOINTMENTS, {"lake": geography["lake_e"].pk}), "lake")
    _refused(west.get(APPOINTMENTS, {"lake": 9_000_000}), "lake")
    assert west.get(APPOINTMENTS, {"reach": geography["reach_w"].pk}).status_code == 200
