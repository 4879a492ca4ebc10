"""The console's patrol, case, litter and review-queue ledgers filter by reach and by lake with the API's
own FilterSets and the same check (issue 19 item 4): a reach or lake the caller may not name — outside
the jurisdiction, or no such row — is the page with a message naming the filter and status 400, as the
API answers 400; never an empty table. The filter bar offers exactly the reaches and lakes the check
accepts."""

from __future__ import annotations

import html as htmllib
import re
import uuid
from typing import Any

import pytest
from django.utils import translation
from django.utils.translation import gettext

from tests.console.conftest import make_console_data
from tests.patrols.conftest import T0
from tests.patrols.test_lakes import lake_body, south_shore
from tests.patrols.test_lakes import lake_chiefs as lake_chiefs  # the fixture

pytestmark = pytest.mark.django_db

# page → the API list it mirrors
LEDGERS = {
    "/river/patrols/": "/api/v1/patrols/",
    "/river/cases/": "/api/v1/patrols/cases/",
    "/river/litter/": "/api/v1/patrols/litter/",
    "/river/review/": "/api/v1/patrols/",
}


@pytest.fixture
def rows(geography, users, chiefs, client_for, lake_chiefs) -> dict[str, Any]:
    """The console's rows on the two districts' reaches, and a patrol, a case and litter on the 650102
    reservoir by its chief."""
    data = make_console_data(geography, users, chiefs, client_for)
    lake, chief = lake_chiefs["lake"], lake_chiefs["chief"]
    api = client_for(chief)
    patrol = api.post("/api/v1/patrols/", lake_body(lake, south_shore()), format="json")
    assert patrol.status_code == 201, patrol.content
    case = {
        "id": str(uuid.uuid4()),
        "category": "dumping",
        "source": "complaint",
        "lake": lake.pk,
        "location": {"type": "Point", "coordinates": south_shore()[50]},
        "description": "库岸堆放建筑垃圾",
        "found_at": T0.isoformat(),
    }
    assert api.post("/api/v1/patrols/cases/", case, format="json").status_code == 201
    litter = {"lake": lake.pk, "removed_on": "2024-05-06", "tonnes": "0.350"}
    assert api.post("/api/v1/patrols/litter/", litter, format="json").status_code == 201
    return {"data": data, "lake": lake, "chief": chief, "patrol": patrol.json()["id"], "case": case["id"]}


def _errors(html: str) -> list[str]:
    block = re.search(r'data-testid="filter-error">(.*?)</div></div>', html, re.S)
    return [htmllib.unescape(m) for m in re.findall(r"<div>(.*?)</div>", block.group(1) + "</div>")] if block else []


def _options(html: str, name: str) -> list[str]:
    select = re.search(rf'<select name="{name}">(.*?)</select>', html, re.S)
    assert select is not None, f"no {name} select in the filter bar"
    return [v for v in re.findall(r'<option value="([^"]*)"', select.group(1)) if v]


def _zh(message: str) -> str:
    with translation.override("zh-hans"):
        return gettext(message)


@pytest.mark.parametrize("page", list(LEDGERS))
def test_a_reach_or_lake_outside_the_scope_is_a_400_naming_the_filter(page, rows, geography, users, web, client_for):
    lake = rows["lake"]
    west = web(users["reviewer_650103"])
    cases = (
        ("lake", lake.pk, "No such lake or reservoir in your scope."),  # another district's reservoir
        ("reach", geography["reach_e"].pk, "No such reach in your scope."),  # another district's reach
        ("reach", 9_000_000, "No such reach in your scope."),  # no such reach
        ("lake", 9_000_000, "No such lake or reservoir in your scope."),  # no such lake
    )
    for name, value, message in cases:
        resp = west.get(f"{page}?{name}={value}")
        assert resp.status_code == 400, (page, name, value)
        html = resp.content.decode()
        assert _errors(html) == [f"{name}: {_zh(message)}"], html
        assert "<html" in html  # the whole page, with its filter bar
        # The API refuses the same query, naming the same field.
        api = client_for(users["reviewer_650103"]).get(f"{LEDGERS[page]}?{name}={value}")
        assert api.status_code == 400
        assert name in api.json()["error"]["fields"]
        # An htmx request (the filter bar) gets the table part with the same message.
        htmx = west.get(f"{page}?{name}={value}", HTTP_HX_REQUEST="true")
        assert htmx.status_code == 400
        assert "<html" not in htmx.content.decode()
        assert _errors(htmx.content.decode()) == [f"{name}: {_zh(message)}"]
    # Their own reach and lake are fine (and empty of the east's rows).
    for name, value in (("reach", geography["reach_w"].pk), ("lake", geography["lake_w"].pk)):
        resp = west.get(f"{page}?{name}={value}")
        assert resp.status_code == 200, resp.content.decode()
        assert _errors(resp.content.decode()) == []


@pytest.mark.parametrize("page", ["/river/patrols/", "/river/cases/", "/river/litter/"])
def test_the_lake_filter_lists_the_lakes_rows(page, rows, geography, users, web):
    lake = rows["lake"]
    city = web(users["city_reviewer"])
    on_lake = city.get(f"{page}?lake={lake.pk}").content.decode()
    on_reach = city.get(f"{page}?reach={geography['reach_e'].pk}").content.decode()
    cell = f"<td>{lake.name}</td>"  # the table's reach-or-lake column (the bar's options also name it)
    assert cell in on_lake
    assert cell not in on_reach
    if page == "/river/litter/":
        assert "0.350" in on_lake
        assert "0.350" not in on_reach
    if page == "/river/patrols/":
        assert rows["patrol"] in on_lake
        assert rows["data"].patrols["township"] not in on_lake
        assert rows["data"].patrols["township"] in on_reach
    if page == "/river/cases/":
        assert rows["case"] in on_lake
        assert rows["data"].cases["township"] not in on_lake
    # The bar keeps the chosen lake and exports the same rows.
    assert f'<option value="{lake.pk}" selected>' in on_lake


@pytest.mark.parametrize("page", list(LEDGERS))
def test_the_bar_offers_the_reaches_and_lakes_the_check_accepts(page, rows, geography, users, web):
    lake = rows["lake"]
    west = web(users["reviewer_650103"]).get(page).content.decode()
    assert _options(west, "reach") == [str(geography["reach_w"].pk)]
    assert _options(west, "lake") == [str(geography["lake_w"].pk)]
    city = web(users["city_reviewer"]).get(page).content.decode()
    assert set(_options(city, "lake")) == {str(lake.pk), str(geography["lake_e"].pk), str(geography["lake_w"].pk)}
    # The reservoir's chief is offered their reservoir and may filter on it.
    chief = web(rows["chief"])
    if page != "/river/review/":  # the review queue is the office's (admins and reviewers)
        resp = chief.get(f"{page}?lake={lake.pk}")
        assert resp.status_code == 200
        assert str(lake.pk) in _options(resp.content.decode(), "lake")
