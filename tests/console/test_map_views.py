"""The one map's endpoints (console.map): scope through the apps' selectors, bad parameters named in
a 400, cards, the detail-page geometry, simplification for the zoom, and query counts that do not grow
with the number of features."""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from types import SimpleNamespace
from typing import Any

import pytest
from django.contrib.gis.geos import LineString, MultiLineString
from django.db import connection
from django.template import Context, Template
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from accounts.models import User
from patrols.models import Patrol
from tests.console.conftest import MAP_PERIOD

pytestmark = pytest.mark.django_db

LAYERS = (
    "divisions",
    "rivers",
    "reaches",
    "lakes",
    "intakes",
    "patrols",
    "cases",
    "plants",
    "stations",
    "pipelines",
    "sections",
)


def layer(client: Any, name: str, **params: Any) -> Any:
    return client.get(f"/map/layers/{name}/", {**MAP_PERIOD, **params})


def features(client: Any, name: str, **params: Any) -> list[dict[str, Any]]:
    response = layer(client, name, **params)
    assert response.status_code == 200, response.content[:300]
    assert response["Content-Type"] == "application/geo+json"
    body = json.loads(response.content)
    assert body["type"] == "FeatureCollection"
    return body["features"]


def codes(feats: list[dict[str, Any]]) -> set[str]:
    return {f["properties"].get("code") or f["properties"]["id"] for f in feats}


@pytest.fixture
def city(add_map_rows: Callable[[int], SimpleNamespace]) -> SimpleNamespace:
    return add_map_rows(1)


# --------------------------------------------------------------------------- who may ask


def test_anonymous_gets_401_on_layers_and_the_page_sends_to_log_in(web: Any, city: SimpleNamespace) -> None:
    anon = web(None)
    response = layer(anon, "reaches")
    assert response.status_code == 401
    assert response.json()["error"]["code"] == "not_authenticated"
    assert anon.get("/map/").status_code == 302
    assert anon.get(f"/map/cards/reach/{city.geography['reach_e'].pk}/").status_code == 401


def test_device_account_has_no_map(web: Any, users: dict[str, User], city: SimpleNamespace) -> None:
    client = web(users["device"])
    assert layer(client, "reaches").status_code == 403
    assert client.get("/map/").status_code == 403


def test_api_token_alone_does_not_open_the_layers(client_for: Any, users: dict[str, User], city: Any) -> None:
    """Session-authenticated pages: a token header is not a session."""
    assert client_for(users["city_reviewer"]).get("/map/layers/reaches/").status_code == 401


# --------------------------------------------------------------------------- scope


def test_city_reviewer_sees_both_districts(web: Any, users: dict[str, User], city: SimpleNamespace) -> None:
    client = web(users["city_reviewer"])
    assert codes(features(client, "reaches")) == {"HL-01-01", "HL-01-02"}
    assert codes(features(client, "intakes")) == {"QSK-M-e0", "QSK-M-w0"}
    assert len(features(client, "patrols")) == 2
    assert len(features(client, "cases")) == 2
    assert codes(features(client, "lakes")) == {"HK-01", "HK-02"}
    assert codes(features(client, "sections")) == {"QS-M-e0", "QS-M-w0"}
    assert codes(features(client, "plants")) == {"P-M-e0", "P-M-w0"}
    assert codes(features(client, "stations")) == {"PS-M-e0", "PS-M-w0"}
    assert codes(features(client, "pipelines")) == {"PL-M-e0", "PL-M-w0"}
    assert codes(features(client, "divisions")) == {"650100", "650102", "650103"}


def test_district_reviewer_sees_only_their_district(web: Any, users: dict[str, User], city: SimpleNamespace) -> None:
    client = web(users["reviewer_650103"])
    assert codes(features(client, "reaches")) == {"HL-01-01"}
    assert codes(features(client, "intakes")) == {"QSK-M-w0"}
    assert {f["properties"]["id"] for f in features(client, "patrols")} == {str(city.patrols["w"][0].pk)}
    assert {f["properties"]["id"] for f in features(client, "cases")} == {str(city.cases["w"][0].pk)}
    assert codes(features(client, "lakes")) == {"HK-02"}
    assert codes(features(client, "sections")) == {"QS-M-w0"}
    assert codes(features(client, "plants")) == {"P-M-w0"}
    assert codes(features(client, "stations")) == {"PS-M-w0"}
    assert codes(features(client, "pipelines")) == {"PL-M-w0"}
    assert codes(features(client, "divisions")) == {"650103"}
    # The river runs through the district: it is shown (places.selectors.river_list).
    assert codes(features(client, "rivers")) == {"HL-01"}


def test_operator_sees_own_intake_and_no_patrols_or_cases(
    web: Any, users: dict[str, User], city: SimpleNamespace
) -> None:
    client = web(users["operator"])
    assert codes(features(client, "intakes")) == {"QSK-M-e0"}
    assert features(client, "patrols") == []
    assert features(client, "cases") == []


def test_reviewer_without_jurisdiction_sees_nothing(web: Any, users: dict[str, User], city: SimpleNamespace) -> None:
    client = web(users["no_jurisdiction"])
    for name in LAYERS:
        assert features(client, name) == [], name


# --------------------------------------------------------------------------- parameters


@pytest.mark.parametrize(
    ("params", "field"),
    [
        ({"bbox": "1,2,3"}, "bbox"),
        ({"bbox": "87,43,x,44"}, "bbox"),
        ({"bbox": "88,43,87,44"}, "bbox"),
        ({"bbox": "87,43,88,95"}, "bbox"),
        ({"start": "2024-13-01"}, "start"),
        ({"start": "yesterday"}, "start"),
        ({"end": "2024-02-30"}, "end"),
        ({"start": "2024-05-31", "end": "2024-05-01"}, "end"),
        ({"start": "2020-01-01", "end": "2024-01-01"}, "end"),
        ({"zoom": "99"}, "zoom"),
        ({"zoom": "-1"}, "zoom"),
        ({"division": "65010"}, "division"),
        ({"division": "650102"}, "division"),  # outside the 650103 reviewer's jurisdiction
    ],
)
def test_bad_parameters_are_a_400_naming_them(
    web: Any, users: dict[str, User], city: SimpleNamespace, params: dict[str, str], field: str
) -> None:
    client = web(users["reviewer_650103"])
    for name in ("reaches", "patrols", "intakes"):
        response = layer(client, name, **params)
        assert response.status_code == 400, (name, params)
        assert field in response.json()["error"]["fields"], response.json()


def test_only_one_of_start_and_end_is_a_400(web: Any, users: dict[str, User], city: SimpleNamespace) -> None:
    response = web(users["city_reviewer"]).get("/map/layers/cases/", {"start": "2024-05-01"})
    assert response.status_code == 400
    assert "end" in response.json()["error"]["fields"]


def test_case_filters_are_checked(web: Any, users: dict[str, User], city: SimpleNamespace) -> None:
    client = web(users["city_reviewer"])
    assert "state" in layer(client, "cases", state="open").json()["error"]["fields"]
    assert "category" in layer(client, "cases", category="litter").json()["error"]["fields"]
    assert len(features(client, "cases", state="reported", category="dumping")) == 2
    assert features(client, "cases", state="closed") == []
    assert features(client, "cases", category="occupation") == []


def test_unknown_layer_is_a_404(web: Any, users: dict[str, User], city: SimpleNamespace) -> None:
    assert web(users["city_reviewer"]).get("/map/layers/secrets/").status_code == 404


def test_division_bbox_and_period_narrow_the_layers(web: Any, users: dict[str, User], city: SimpleNamespace) -> None:
    client = web(users["city_reviewer"])
    assert codes(features(client, "reaches", division="650102")) == {"HL-01-02"}
    assert codes(features(client, "intakes", division="650103")) == {"QSK-M-w0"}
    # The east half of the city only.
    assert codes(features(client, "intakes", bbox="87.6,43.6,87.8,44.0")) == {"QSK-M-e0"}
    assert len(features(client, "patrols", bbox="87.61,43.81,87.8,44.0")) == 1
    # A month with no patrol; cases found before it and still open are shown (open in the period).
    assert features(client, "patrols", start="2024-07-01", end="2024-07-31") == []
    assert len(features(client, "cases", start="2024-07-01", end="2024-07-31")) == 2
    assert features(client, "cases", start="2024-04-01", end="2024-04-30") == []


# --------------------------------------------------------------------------- what the features say


def test_symbols_follow_state_and_tracks_are_simplified_for_the_zoom(
    web: Any, users: dict[str, User], city: SimpleNamespace
) -> None:
    client = web(users["city_reviewer"])
    reach_syms = {f["properties"]["code"]: f["properties"]["sym"] for f in features(client, "reaches")}
    assert reach_syms == {"HL-01-01": "reach-village", "HL-01-02": "reach-township"}
    case_syms = {f["properties"]["sym"] for f in features(client, "cases")}
    assert case_syms == {"case-reported"}
    # The meters were installed a month before the period and never reported: offline at its end.
    assert {f["properties"]["sym"] for f in features(client, "intakes")} == {"intake-offline"}
    assert {f["properties"]["sym"] for f in features(client, "sections")} == {"quality-none"}

    # A track that zigzags 50 m either side of its line every 20 m: kept at street zoom, a line at city zoom.
    zigzag = [(87.62 + 0.0002 * i, 43.82 + (0.00045 if i % 2 else 0.0)) for i in range(300)]
    Patrol.objects.filter(pk=city.patrols["e"][0].pk).update(
        track_preview=MultiLineString(LineString(zigzag), srid=4326)
    )

    def points(zoom: int) -> int:
        total = 0
        for f in features(client, "patrols", zoom=str(zoom)):
            geometry = f["geometry"]
            parts = geometry["coordinates"] if geometry["type"] == "MultiLineString" else [geometry["coordinates"]]
            total += sum(len(p) for p in parts)
        return total

    assert points(18) >= 300
    assert points(8) < 20


# --------------------------------------------------------------------------- query counts


@pytest.mark.parametrize("name", LAYERS)
def test_query_count_does_not_grow_with_the_features(
    web: Any, users: dict[str, User], add_map_rows: Callable[[int], SimpleNamespace], name: str
) -> None:
    add_map_rows(1)
    client = web(users["city_reviewer"])
    features(client, name)  # warm: session, content types
    with CaptureQueriesContext(connection) as few:
        n_few = len(features(client, name))
    add_map_rows(2)
    with CaptureQueriesContext(connection) as many:
        n_many = len(features(client, name))
    if name not in ("divisions", "rivers", "reaches", "lakes"):
        assert n_many > n_few, name
    assert len(many.captured_queries) == len(few.captured_queries), name


# --------------------------------------------------------------------------- cards


def test_reach_card_shows_chiefs_patrols_and_open_cases(
    web: Any, users: dict[str, User], city: SimpleNamespace
) -> None:
    reach = city.geography["reach_e"]
    response = web(users["city_reviewer"]).get(f"/map/cards/reach/{reach.pk}/", MAP_PERIOD)
    assert response.status_code == 200
    html = response.content.decode()
    assert reach.name in html
    assert str(city.east_chief) in html
    assert f"{city.patrols['e'][0].distance_m / 1000:,.2f} km" in html
    assert "<dd>1</dd>" in html  # one open case


def test_intake_card_shows_meters_state_and_plan(web: Any, users: dict[str, User], city: SimpleNamespace) -> None:
    intake = city.intakes["e"][0]
    response = web(users["operator"]).get(f"/map/cards/intake/{intake.pk}/", MAP_PERIOD)
    assert response.status_code == 200
    html = response.content.decode()
    assert intake.name in html
    assert "WM-M-e0" in html
    assert "hz-badge--offline" in html


def test_cards_outside_scope_are_404(web: Any, users: dict[str, User], city: SimpleNamespace) -> None:
    client = web(users["reviewer_650103"])
    g = city.geography
    assert client.get(f"/map/cards/reach/{g['reach_e'].pk}/").status_code == 404
    assert client.get(f"/map/cards/intake/{city.intakes['e'][0].pk}/").status_code == 404
    assert client.get(f"/map/cards/case/{city.cases['e'][0].pk}/").status_code == 404
    assert client.get(f"/map/cards/patrol/{city.patrols['e'][0].pk}/").status_code == 404
    assert client.get(f"/map/cards/lake/{g['lake_e'].pk}/").status_code == 404
    assert client.get("/map/cards/patrol/not-a-uuid/").status_code == 404
    assert client.get("/map/cards/reach/99999999999999999999/").status_code == 404
    assert client.get("/map/cards/bogus/1/").status_code == 404
    # In scope: the west ones open.
    assert client.get(f"/map/cards/case/{city.cases['w'][0].pk}/").status_code == 200
    assert client.get(f"/map/cards/patrol/{city.patrols['w'][0].pk}/").status_code == 200


def test_cards_link_to_the_ledger_pages(web: Any, users: dict[str, User], city: SimpleNamespace) -> None:
    client = web(users["city_reviewer"])
    intake, case, patrol = city.intakes["e"][0], city.cases["e"][0], city.patrols["e"][0]
    html = client.get(f"/map/cards/intake/{intake.pk}/").content.decode()
    assert f'href="{reverse("console:intake_detail", args=[intake.pk])}"' in html
    html = client.get(f"/map/cards/case/{case.pk}/").content.decode()
    assert f'href="{reverse("console:case_detail", args=[case.pk])}"' in html
    html = client.get(f"/map/cards/patrol/{patrol.pk}/").content.decode()
    assert f'href="{reverse("console:patrol_detail", args=[patrol.pk])}"' in html


# --------------------------------------------------------------------------- detail pages


def test_detail_geometry_of_a_patrol_case_and_intake(web: Any, users: dict[str, User], city: SimpleNamespace) -> None:
    client = web(users["city_reviewer"])
    patrol = city.patrols["e"][0]
    body = client.get(f"/map/features/patrol/{patrol.pk}/").json()
    assert [f["properties"]["sym"] for f in body["features"]] == ["reach-context", "track-valid"]
    assert body["features"][1]["geometry"]["type"] == "MultiLineString"
    body = client.get(f"/map/features/case/{city.cases['e'][0].pk}/").json()
    assert body["features"][-1]["geometry"]["type"] == "Point"
    body = client.get(f"/map/features/intake/{city.intakes['e'][0].pk}/").json()
    assert body["features"][-1]["properties"]["sym"] == "intake-point"
    west = web(users["reviewer_650103"])
    assert west.get(f"/map/features/patrol/{patrol.pk}/").status_code == 404
    assert west.get(f"/map/features/intake/{city.intakes['e'][0].pk}/").status_code == 404
    assert west.get("/map/features/reach/1/").status_code == 404


def test_detail_map_tag_renders_the_feature_url(city: SimpleNamespace) -> None:
    patrol = city.patrols["e"][0]
    html = Template('{% load console_map %}{% detail_map "patrol" pk %}').render(Context({"pk": patrol.pk}))
    assert f'data-feature-url="/map/features/patrol/{patrol.pk}/"' in html
    assert "style=" not in html


# --------------------------------------------------------------------------- the page


def test_page_fits_the_jurisdiction_and_has_no_inline_script_or_style(
    web: Any, users: dict[str, User], city: SimpleNamespace
) -> None:
    response = web(users["reviewer_650103"]).get("/map/")
    assert response.status_code == 200
    html = response.content.decode()
    config = json.loads(response.context["config_json"])
    # 沙依巴克区's box in the shared geography.
    assert config["bounds"] == [87.4, 43.6, 87.6, 44.0]
    assert config["tiles"] is None
    assert "style=" not in html
    assert "<script>" not in html
    assert "<script type" not in html
    assert not re.search(r'(src|href)="(https?:)?//', html)  # every asset from the server itself
    assert 'value="2024-05-01"' in html  # the month of the latest patrol or case in scope
