"""The places API: the permission matrix of every endpoint, scoping by jurisdiction, GeoJSON shape,
filters and bbox, bad query parameters, and query-count ceilings on lists."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

pytestmark = pytest.mark.django_db

LAYERS = ["divisions", "rivers", "reaches", "lakes", "assignments"]


def _rows(body):
    return body["features"] if "features" in body else body["results"]


def _ids(body):
    return sorted(r["id"] for r in _rows(body))


@pytest.mark.parametrize("layer", LAYERS)
def test_anonymous_gets_401(client_for, geography, layer):
    resp = client_for(None).get(f"/api/v1/places/{layer}/")
    assert resp.status_code == 401
    assert resp.json()["error"]["code"] == "not_authenticated"


@pytest.mark.parametrize("layer", LAYERS)
def test_device_gets_403(client_for, users, geography, layer):
    resp = client_for(users["device"]).get(f"/api/v1/places/{layer}/")
    assert resp.status_code == 403
    assert resp.json()["error"]["code"] == "permission_denied"


# Which rows each caller sees: by jurisdiction, not by role (every human role may read places).
EXPECTED = {
    "admin": {"divisions": 3, "rivers": 1, "reaches": 2, "lakes": 2},
    "city_reviewer": {"divisions": 3, "rivers": 1, "reaches": 2, "lakes": 2},
    "operator": {"divisions": 3, "rivers": 1, "reaches": 2, "lakes": 2},
    "chief_650102": {"divisions": 1, "rivers": 1, "reaches": 1, "lakes": 1},
    "reviewer_650103": {"divisions": 1, "rivers": 1, "reaches": 1, "lakes": 1},
    "no_jurisdiction": {"divisions": 0, "rivers": 0, "reaches": 0, "lakes": 0},
}


@pytest.mark.parametrize("who", sorted(EXPECTED))
@pytest.mark.parametrize("layer", ["divisions", "rivers", "reaches", "lakes"])
def test_lists_are_scoped_by_jurisdiction(client_for, users, geography, who, layer):
    resp = client_for(users[who]).get(f"/api/v1/places/{layer}/")
    assert resp.status_code == 200
    body = resp.json()
    assert body["type"] == "FeatureCollection"
    assert body["count"] == EXPECTED[who][layer] == len(body["features"])


@pytest.mark.parametrize(
    ("who", "layer", "obj", "status"),
    [
        ("chief_650102", "reaches", "reach_e", 200),
        ("chief_650102", "reaches", "reach_w", 404),
        ("chief_650102", "lakes", "lake_w", 404),
        ("chief_650102", "divisions", "saybagh", 404),
        ("chief_650102", "divisions", "city", 404),
        ("reviewer_650103", "reaches", "reach_w", 200),
        ("reviewer_650103", "reaches", "reach_e", 404),
        ("reviewer_650103", "lakes", "lake_e", 404),
        ("reviewer_650103", "rivers", "river", 200),
        ("no_jurisdiction", "rivers", "river", 404),
        ("city_reviewer", "lakes", "lake_w", 200),
        ("operator", "divisions", "tianshan", 200),
        ("admin", "divisions", "city", 200),
    ],
)
def test_detail_outside_jurisdiction_is_404(client_for, users, geography, who, layer, obj, status):
    resp = client_for(users[who]).get(f"/api/v1/places/{layer}/{geography[obj].pk}/")
    assert resp.status_code == status
    if status == 404:
        err = resp.json()["error"]
        assert err["code"] == "not_found"
        assert err["fields"] == {}
        assert err["message"]


def test_reach_feature_shape(client_for, users, geography):
    resp = client_for(users["admin"]).get(f"/api/v1/places/reaches/{geography['reach_e'].pk}/")
    feature = resp.json()
    assert feature["type"] == "Feature"
    assert feature["geometry"]["type"] == "MultiLineString"
    assert len(feature["bbox"]) == 4
    props = feature["properties"]
    assert props["code"] == "HL-01-02"
    assert props["division"] == "650102"
    assert props["river_code"] == "HL-01"
    # Geodesic length, stored by the service; ~21 km for this demo line.
    assert props["length_m"] == pytest.approx(geography["reach_e"].length_m)
    assert 15_000 < props["length_m"] < 25_000
    assert props["length_km"] == round(props["length_m"] / 1000, 3)


def test_filters(client_for, users, geography):
    c = client_for(users["admin"])
    assert _ids(c.get("/api/v1/places/divisions/?level=county").json()) == sorted(
        [geography["tianshan"].pk, geography["saybagh"].pk]
    )
    assert _ids(c.get("/api/v1/places/divisions/?parent=650100").json()) == sorted(
        [geography["tianshan"].pk, geography["saybagh"].pk]
    )
    assert _ids(c.get("/api/v1/places/reaches/?division=650102").json()) == [geography["reach_e"].pk]
    assert _ids(c.get("/api/v1/places/reaches/?division=650100").json()) == sorted(
        [geography["reach_e"].pk, geography["reach_w"].pk]
    )
    assert _ids(c.get("/api/v1/places/lakes/?kind=lake").json()) == [geography["lake_w"].pk]
    assert _ids(c.get("/api/v1/places/reaches/?name=天山").json()) == [geography["reach_e"].pk]
    assert _ids(c.get("/api/v1/places/rivers/?code=HL-01").json()) == [geography["river"].pk]


def test_bbox_filter(client_for, users, geography):
    c = client_for(users["admin"])
    # A box around the east lake only.
    body = c.get("/api/v1/places/lakes/?bbox=87.61,43.69,87.65,43.73").json()
    assert _ids(body) == [geography["lake_e"].pk]
    # A box crossing the east reach but not the west one.
    body = c.get("/api/v1/places/reaches/?bbox=87.70,43.88,87.80,44.0").json()
    assert _ids(body) == [geography["reach_e"].pk]


@pytest.mark.parametrize(
    ("query", "field"),
    [
        ("bbox=1,2,3", "bbox"),
        ("bbox=", "bbox"),
        ("bbox=a,b,c,d", "bbox"),
        ("bbox=87,43,86,44", "bbox"),
        ("bbox=87,43,88,95", "bbox"),
        ("bbox=nan,43,88,44", "bbox"),
        ("level=planet", "level"),
        ("page=0", "page"),
        ("page=x", "page"),
        ("page_size=100000", "page_size"),
        ("within=65", "within"),
    ],
)
def test_bad_query_parameters_are_400_naming_them(client_for, users, geography, query, field):
    resp = client_for(users["admin"]).get(f"/api/v1/places/divisions/?{query}")
    if query.startswith("bbox"):
        resp = client_for(users["admin"]).get(f"/api/v1/places/lakes/?{query}")
    assert resp.status_code == 400, resp.content
    assert field in resp.json()["error"]["fields"]


def test_page_past_the_end_is_404(client_for, users, geography):
    resp = client_for(users["admin"]).get("/api/v1/places/divisions/?page=9")
    assert resp.status_code == 404


def test_pagination_links(client_for, users, geography):
    body = client_for(users["admin"]).get("/api/v1/places/divisions/?page_size=2").json()
    assert body["count"] == 3
    assert len(body["features"]) == 2
    assert "page=2" in body["next"]
    assert body["previous"] is None


@pytest.mark.parametrize("layer", ["divisions", "rivers", "reaches", "lakes", "assignments"])
def test_list_query_count_does_not_grow_with_rows(client_for, users, geography, layer):
    client = client_for(users["city_reviewer"])
    with CaptureQueriesContext(connection) as ctx:
        assert client.get(f"/api/v1/places/{layer}/").status_code == 200
    # auth (1 token lookup) + count + page (+ last_used update at most): a ceiling, not N+1.
    assert len(ctx.captured_queries) <= 5, [q["sql"] for q in ctx.captured_queries]


def test_default_answer_is_json_without_accept_header(client_for, users, geography):
    # GDAL's GeoJSON driver and OWSLib send no Accept header: JSON must be the default (stack-notes).
    resp = client_for(users["admin"]).get("/api/v1/places/lakes/", HTTP_ACCEPT="")
    assert resp["Content-Type"].startswith("application/json")


@pytest.mark.parametrize(
    ("path", "status"),
    [
        ("/api/v1/places/assignments/?chief=3.402823466e%2B38", 400),
        ("/api/v1/places/assignments/?chief=99999999999999999999999", 400),
        ("/api/v1/places/reaches/?river=-1", 400),
        ("/api/v1/places/reaches/99999999999999999999999/", 404),
        ("/api/v1/places/lakes/3.3e-34/", 404),
        ("/api/v1/places/assignments/99999999999999999999999/end/", 404),
        ("/api/v1/places/divisions/?page=1063194099&page_size=180", 404),
    ],
)
def test_absurd_ids_and_pages_are_4xx_not_500(client_for, users, geography, path, status):
    # Found by schemathesis: a huge integer overflowed SQLite and answered 500.
    client = client_for(users["admin"])
    resp = (
        client.post(path, {"valid_until": "2024-01-01"}, format="json") if path.endswith("end/") else client.get(path)
    )
    assert resp.status_code == status
    assert "error" in resp.json()


def test_geojson_list_matches_its_schema(client_for, users, geography):
    from drf_spectacular.generators import SchemaGenerator

    schema = SchemaGenerator().get_schema(request=None, public=True)
    page = schema["components"]["schemas"]["PaginatedReachList"]
    collection, paging = page["allOf"]
    assert collection == {"$ref": "#/components/schemas/ReachList"}
    body = client_for(users["admin"]).get("/api/v1/places/reaches/").json()
    assert set(paging["properties"]) | {"type", "features"} == set(body)
