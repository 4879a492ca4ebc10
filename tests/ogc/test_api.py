"""OGC API – Features at /ogc/: structure, paging, filters, scoping and bad input."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest
from django.core.management import call_command
from drf_spectacular.validation import validate_schema

from ogc.collections import COLLECTIONS

pytestmark = pytest.mark.django_db

ALL_IDS = [c.id for c in COLLECTIONS]


def _get(client: Any, url: str, **params: Any) -> Any:
    return client.get(url, params)


def _path(href: str) -> str:
    parts = urlsplit(href)
    return parts.path + (f"?{parts.query}" if parts.query else "")


# ------------------------------------------------------------------------------------- structure


def test_landing_page_links_and_json_by_default(client_for, users):
    client = client_for(users["city_reviewer"])
    for accept in (None, "text/html", "application/geo+json"):
        headers = {"HTTP_ACCEPT": accept} if accept else {}
        resp = client.get("/ogc/", **headers)
        assert resp.status_code == 200
        assert resp["Content-Type"].startswith("application/json")
    body = resp.json()
    assert body["title"]
    assert body["description"]
    rels = {link["rel"]: link["href"] for link in body["links"]}
    assert set(rels) == {"self", "service-desc", "conformance", "data"}
    assert rels["service-desc"].endswith("/ogc/api")
    assert rels["conformance"].endswith("/ogc/conformance")
    assert rels["data"].endswith("/ogc/collections")
    assert client.get("/ogc/", {"f": "json"}).status_code == 200


def test_conformance_declares_core_geojson_and_oas30(client_for, users):
    body = client_for(users["admin"]).get("/ogc/conformance").json()
    assert set(body["conformsTo"]) == {
        "http://www.opengis.net/spec/ogcapi-features-1/1.0/conf/core",
        "http://www.opengis.net/spec/ogcapi-features-1/1.0/conf/geojson",
        "http://www.opengis.net/spec/ogcapi-features-1/1.0/conf/oas30",
    }


def test_openapi_document_is_valid_and_declares_item_parameters(client_for, users):
    resp = client_for(users["admin"]).get("/ogc/api")
    assert resp.status_code == 200
    assert resp["Content-Type"].startswith("application/vnd.oai.openapi+json")
    doc = resp.json()
    validate_schema(doc)  # raises on an invalid OpenAPI 3.0 document
    assert doc["openapi"].startswith("3.0")
    assert doc["servers"][0]["url"].endswith("/ogc")

    def names(collection: str) -> set[str]:
        return {p.get("name") for p in doc["paths"][f"/collections/{collection}/items"]["get"]["parameters"]}

    assert {"bbox", "limit", "offset", "code", "division", "river_code"} <= names("reaches")
    assert "datetime" not in names("reaches")
    assert {"datetime", "category", "status", "reach_code"} <= names("cases")
    for c in ALL_IDS:
        assert f"/collections/{c}/items/{{featureId}}" in doc["paths"]
    limit = next(p for p in doc["paths"]["/collections/rivers/items"]["get"]["parameters"] if p.get("name") == "limit")
    assert "1000" in limit["description"]


def test_collections_list_items_links_and_extent(client_for, users, geography, layers):
    resp = client_for(users["admin"]).get("/ogc/collections")
    assert resp.status_code == 200
    body = resp.json()
    assert [c["id"] for c in body["collections"]] == ALL_IDS
    for c in body["collections"]:
        items = [link for link in c["links"] if link["rel"] == "items"]
        assert len(items) == 1
        assert items[0]["type"] == "application/geo+json"
        assert "?" not in items[0]["href"]  # GDAL appends /{id} to it
        assert items[0]["href"].endswith(f"/ogc/collections/{c['id']}/items")
        assert c["itemType"] == "feature"
    reaches = next(c for c in body["collections"] if c["id"] == "reaches")
    assert reaches["extent"]["spatial"]["bbox"] == [[87.45, 43.65, 87.75, 43.95]]
    assert reaches["extent"]["spatial"]["crs"].endswith("CRS84")
    assert "temporal" not in reaches["extent"]


def test_collection_temporal_extent(client_for, users, layers):
    body = client_for(users["admin"]).get("/ogc/collections/cases").json()
    assert body["extent"]["temporal"]["interval"] == [["2024-03-03T02:00:00Z", "2024-03-10T02:00:00Z"]]
    plants = client_for(users["admin"]).get("/ogc/collections/reuse-plants").json()
    assert plants["extent"]["temporal"]["interval"] == [["2015-06-01T00:00:00+08:00", "2020-01-01T00:00:00+08:00"]]


@pytest.mark.parametrize("collection", ALL_IDS)
def test_every_collection_serves_items(client_for, users, layers, collection):
    resp = client_for(users["admin"]).get(f"/ogc/collections/{collection}/items")
    assert resp.status_code == 200, resp.content
    assert resp["Content-Type"] == "application/geo+json"
    body = resp.json()
    assert body["type"] == "FeatureCollection"
    assert body["numberReturned"] == len(body["features"])
    assert body["timeStamp"].endswith("Z")
    for f in body["features"]:
        detail = client_for(users["admin"]).get(f"/ogc/collections/{collection}/items/{f['id']}")
        assert detail.status_code == 200
        assert detail.json()["id"] == f["id"]


# ---------------------------------------------------------------------------------------- paging


def test_paging_follows_next_links_until_exhausted(client_for, users, geography):
    client = client_for(users["admin"])
    url: str | None = "/ogc/collections/divisions/items?limit=1"
    seen, pages = [], 0
    while url:
        body = client.get(url).json()
        pages += 1
        assert body["numberMatched"] == 3
        assert body["numberReturned"] == 1
        seen += [f["properties"]["code"] for f in body["features"]]
        links = {link["rel"]: link for link in body["links"]}
        assert links["collection"]["href"].endswith("/ogc/collections/divisions")
        assert parse_qs(urlsplit(links["self"]["href"]).query)["offset"] == [str(pages - 1)]
        if pages > 1:
            assert parse_qs(urlsplit(links["prev"]["href"]).query)["offset"] == [str(pages - 2)]
        else:
            assert "prev" not in links
        url = _path(links["next"]["href"]) if "next" in links else None
        assert pages <= 3
    assert sorted(seen) == ["650100", "650102", "650103"]
    # Past the end: an empty page, no next.
    body = client.get("/ogc/collections/divisions/items", {"offset": 10}).json()
    assert body["features"] == []
    assert body["numberMatched"] == 3
    assert "next" not in {link["rel"] for link in body["links"]}


def test_next_link_keeps_filters(client_for, users, layers):
    body = client_for(users["admin"]).get("/ogc/collections/cases/items", {"category": "dumping", "limit": 1}).json()
    assert body["numberMatched"] == 2
    nxt = next(link for link in body["links"] if link["rel"] == "next")
    assert parse_qs(urlsplit(nxt["href"]).query) == {"category": ["dumping"], "limit": ["1"], "offset": ["1"]}


def test_limit_above_the_maximum_is_clamped(client_for, users, geography, settings):
    settings.OGC_MAX_LIMIT = 2
    body = client_for(users["admin"]).get("/ogc/collections/divisions/items", {"limit": 50}).json()
    assert body["numberReturned"] == 2
    nxt = next(link for link in body["links"] if link["rel"] == "next")
    assert parse_qs(urlsplit(nxt["href"]).query)["limit"] == ["2"]


def test_items_query_count_is_bounded(client_for, users, layers, django_assert_max_num_queries):
    client = client_for(users["admin"])
    with django_assert_max_num_queries(8):
        assert client.get("/ogc/collections/intakes/items").status_code == 200
    with django_assert_max_num_queries(8):
        assert client.get("/ogc/collections/cases/items").status_code == 200
    # One aggregate (extent, time span) per collection.
    with django_assert_max_num_queries(len(ALL_IDS) + 3):
        assert client.get("/ogc/collections").status_code == 200


# --------------------------------------------------------------------------------------- filters


def test_bbox_filter(client_for, users, geography):
    client = client_for(users["admin"])
    body = client.get("/ogc/collections/lakes/items", {"bbox": "87.61,43.69,87.65,43.73"}).json()
    assert [f["properties"]["code"] for f in body["features"]] == ["HK-01"]
    assert body["numberMatched"] == 1
    body = client.get("/ogc/collections/lakes/items", {"bbox": "80,30,81,31"}).json()
    assert body["numberMatched"] == 0


def test_attribute_filters_are_equality_on_properties(client_for, users, geography, layers):
    client = client_for(users["admin"])
    body = client.get("/ogc/collections/reaches/items", {"code": "HL-01-02"}).json()
    assert [f["properties"]["code"] for f in body["features"]] == ["HL-01-02"]
    # `division` is the row's own division code, not a prefix: the city has no reach of its own.
    assert client.get("/ogc/collections/reaches/items", {"division": "650100"}).json()["numberMatched"] == 0
    assert client.get("/ogc/collections/reaches/items", {"division": "650103"}).json()["numberMatched"] == 1
    body = client.get("/ogc/collections/cases/items", {"category": "dumping"}).json()
    assert body["numberMatched"] == 2
    assert {f["properties"]["category"] for f in body["features"]} == {"dumping"}
    body = client.get("/ogc/collections/intakes/items", {"source_type": "groundwater", "division": "650103"}).json()
    assert [f["properties"]["code"] for f in body["features"]] == ["QS-W"]


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("2024-03-03", 1),
        ("2024-03-04T00:00:00+08:00/..", 2),
        ("../2024-03-05", 2),
        ("2024-03-05T02:00:00Z", 1),
        ("2024-03-01/2024-03-31", 3),
    ],
)
def test_datetime_filter_on_cases(client_for, users, layers, value, expected):
    body = client_for(users["admin"]).get("/ogc/collections/cases/items", {"datetime": value}).json()
    assert body["numberMatched"] == expected


def test_datetime_filter_on_a_date_property(client_for, users, layers):
    client = client_for(users["admin"])
    body = client.get("/ogc/collections/reuse-plants/items", {"datetime": "../2016-01-01"}).json()
    assert [f["properties"]["code"] for f in body["features"]] == ["WS-E"]
    assert client.get("/ogc/collections/reuse-plants/items", {"datetime": "2020-01-01"}).json()["numberMatched"] == 1


def test_item_by_id(client_for, users, geography, layers):
    client = client_for(users["admin"])
    reach = geography["reach_e"]
    resp = client.get(f"/ogc/collections/reaches/items/{reach.pk}")
    assert resp.status_code == 200
    assert resp["Content-Type"] == "application/geo+json"
    body = resp.json()
    assert body["type"] == "Feature"
    assert body["id"] == reach.pk
    assert body["properties"]["code"] == "HL-01-02"
    assert body["geometry"]["type"] == "MultiLineString"
    assert {link["rel"] for link in body["links"]} == {"self", "collection"}
    case = layers["cases"][0]
    body = client.get(f"/ogc/collections/cases/items/{case.pk}").json()
    assert body["id"] == str(case.pk)
    assert body["properties"]["category"] == "dumping"


# ---------------------------------------------------------------------------------- permissions

ENDPOINTS = [
    "/ogc/",
    "/ogc/api",
    "/ogc/conformance",
    "/ogc/collections",
    "/ogc/collections/reaches",
    "/ogc/collections/reaches/items",
    "/ogc/collections/reaches/items/1",
]


@pytest.mark.parametrize("url", ENDPOINTS)
def test_anonymous_is_401(client_for, url):
    resp = client_for(None).get(url)
    assert resp.status_code == 401
    assert resp.json()["error"]["code"] == "not_authenticated"


@pytest.mark.parametrize("url", ENDPOINTS)
def test_device_token_is_refused(client_for, users, geography, url):
    resp = client_for(users["device"]).get(url)
    assert resp.status_code == 403
    assert resp.json()["error"]["code"] == "permission_denied"


def _codes(client: Any, collection: str) -> list[str]:
    body = client.get(f"/ogc/collections/{collection}/items").json()
    assert body["numberMatched"] == len(body["features"])
    return sorted(f["properties"].get("code") or str(f["id"]) for f in body["features"])


def test_operator_sees_own_intakes_and_no_cases(client_for, users, layers):
    client = client_for(users["operator"])
    assert _codes(client, "intakes") == ["QS-E"]
    assert client.get(f"/ogc/collections/intakes/items/{layers['intake_w'].pk}").status_code == 404
    # The REST case ledger refuses operators with 403; so does the collection, and it is not listed.
    assert client.get("/api/v1/patrols/cases/").status_code == 403
    one = layers["cases"][0].pk
    for url in ("/ogc/collections/cases", "/ogc/collections/cases/items", f"/ogc/collections/cases/items/{one}"):
        assert client.get(url).status_code == 403
    ids = [c["id"] for c in client.get("/ogc/collections").json()["collections"]]
    assert "cases" not in ids
    assert "intakes" in ids
    assert "/collections/cases/items" not in client.get("/ogc/api").json()["paths"]


def test_chief_is_scoped_to_jurisdiction_and_own_cases(client_for, users, geography, layers):
    client = client_for(users["chief_650102"])
    assert _codes(client, "reaches") == ["HL-01-02"]
    assert _codes(client, "lakes") == ["HK-01"]
    assert client.get(f"/ogc/collections/reaches/items/{geography['reach_w'].pk}").status_code == 404
    own = sorted(str(c.pk) for c in layers["cases"][:2])
    assert _codes(client, "cases") == own
    assert client.get(f"/ogc/collections/cases/items/{layers['cases'][2].pk}").status_code == 404
    # The same rows as the GeoJSON API.
    rest = client.get("/api/v1/places/reaches/").json()
    assert [f["properties"]["code"] for f in rest["features"]] == ["HL-01-02"]


def test_reviewers_by_jurisdiction(client_for, users, geography, layers):
    west = client_for(users["reviewer_650103"])
    assert _codes(west, "lakes") == ["HK-02"]
    assert _codes(west, "reuse-plants") == ["WS-W"]
    assert west.get(f"/ogc/collections/lakes/items/{geography['lake_e'].pk}").status_code == 404
    assert west.get(f"/ogc/collections/reuse-plants/items/{layers['plant_e'].pk}").status_code == 404
    city = client_for(users["city_reviewer"])
    assert _codes(city, "reaches") == ["HL-01-01", "HL-01-02"]
    assert len(_codes(city, "cases")) == 3
    nowhere = client_for(users["no_jurisdiction"])
    assert _codes(nowhere, "reaches") == []
    collections = nowhere.get("/ogc/collections").json()["collections"]
    assert all("extent" not in c or "spatial" not in c["extent"] for c in collections)


# ------------------------------------------------------------------------------------ bad input


@pytest.mark.parametrize(
    ("params", "field"),
    [
        ({"bbox": "1,2,3"}, "bbox"),
        ({"bbox": "a,b,c,d"}, "bbox"),
        ({"bbox": "1,2,3,4,5,6"}, "bbox"),
        ({"bbox": "87.8,43.6,87.4,44.0"}, "bbox"),
        ({"bbox": "87,95,88,96"}, "bbox"),
        ({"bbox": "-181,0,0,1"}, "bbox"),
        ({"limit": "0"}, "limit"),
        ({"limit": "-5"}, "limit"),
        ({"limit": "x"}, "limit"),
        ({"limit": "1.5"}, "limit"),
        ({"offset": "-1"}, "offset"),
        ({"offset": "two"}, "offset"),
        ({"datetime": "yesterday"}, "datetime"),
        ({"datetime": "2024-03-01T10:00:00"}, "datetime"),
        ({"datetime": "2024-13-01"}, "datetime"),
        ({"datetime": "2024-03-05/2024-03-01"}, "datetime"),
        ({"datetime": "../.."}, "datetime"),
        ({"datetime": "2024-03-01/2024-03-02/2024-03-03"}, "datetime"),
        ({"f": "html"}, "f"),
        ({"category": "flood"}, "category"),
        ({"reach": "abc"}, "reach"),
        ({"colour": "red"}, "colour"),
    ],
)
def test_bad_parameters_are_400_naming_the_parameter(client_for, users, layers, params, field):
    resp = client_for(users["admin"]).get("/ogc/collections/cases/items", params)
    assert resp.status_code == 400, resp.content
    error = resp.json()["error"]
    assert error["code"] == "invalid"
    assert field in error["fields"]


def test_datetime_on_a_collection_without_time_is_an_unknown_parameter(client_for, users, geography):
    resp = client_for(users["admin"]).get("/ogc/collections/reaches/items", {"datetime": "2024-01-01"})
    assert resp.status_code == 400
    assert "datetime" in resp.json()["error"]["fields"]


@pytest.mark.parametrize("url", ["/ogc/conformance", "/ogc/collections", "/ogc/collections/rivers"])
def test_f_other_than_json_is_400_everywhere(client_for, users, url):
    resp = client_for(users["admin"]).get(url, {"f": "html"})
    assert resp.status_code == 400
    assert "f" in resp.json()["error"]["fields"]


@pytest.mark.parametrize(
    "url",
    [
        "/ogc/collections/patrols",
        "/ogc/collections/patrols/items",
        "/ogc/collections/patrols/items/1",
        "/ogc/collections/reaches/items/abc",
        "/ogc/collections/reaches/items/99999999",
        "/ogc/collections/cases/items/1",
    ],
)
def test_unknown_collection_or_feature_is_404(client_for, users, geography, url):
    resp = client_for(users["admin"]).get(url)
    assert resp.status_code == 404
    assert resp.json()["error"]["code"] == "not_found"


def test_unknown_url_under_ogc_is_a_json_404(client_for, users):
    resp = client_for(users["admin"]).get("/ogc/no-such-thing")
    assert resp.status_code == 404
    assert resp.json()["error"]["code"] == "not_found"


def test_post_is_not_allowed(client_for, users):
    assert client_for(users["admin"]).post("/ogc/collections/reaches/items", {}).status_code == 405


# ---------------------------------------------------------------------------------- configuration


def test_max_limit_is_read_from_the_environment_and_listed_in_env_example():
    root = Path(__file__).resolve().parents[2]
    assert "# OGC_MAX_LIMIT=1000\n" in (root / ".env.example").read_text(encoding="utf-8")
    env = {**os.environ, "DJANGO_SETTINGS_MODULE": "config.settings.test", "OGC_MAX_LIMIT": "250"}
    code = "import django; django.setup(); from django.conf import settings; print(settings.OGC_MAX_LIMIT)"
    out = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True, timeout=60, check=True)  # noqa: S603
    assert out.stdout.strip() == "250"


def test_ogc_views_stay_out_of_the_drf_schema(tmp_path):
    out = tmp_path / "schema.yaml"
    call_command("spectacular", "--validate", "--fail-on-warn", "--file", str(out))
    text = out.read_text()
    assert "/api/v1/places/reaches/" in text
    assert "/ogc/" not in text
