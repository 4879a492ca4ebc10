"""manage.py import_places: GeoJSON, GBK Shapefile and GeoPackage imports, and the refusals.

The Shapefile and GeoPackage inputs are made in each test with GDAL's ogr2ogr from GeoJSON written
to tmp_path, so the tests exercise real driver output (a GBK .dbf with its .cpg, a projected CRS)."""

from __future__ import annotations

import io
import json
import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest
from django.contrib.gis.geos import LineString, MultiLineString
from django.core.management import CommandError, call_command

from core.geo import geometry_length_m
from core.models import AuditLog
from places.models import Division, Lake, Reach, River
from places.services import division_upsert, river_upsert

pytestmark = [
    pytest.mark.django_db,
    pytest.mark.skipif(shutil.which("ogr2ogr") is None, reason="needs GDAL's ogr2ogr (gdal-bin)"),
]

ACTOR = "test"

# Urumqi-like squares: the city and two districts inside it (lon, lat).
CITY_RING = [[87.4, 43.7], [87.8, 43.7], [87.8, 44.0], [87.4, 44.0], [87.4, 43.7]]
TIANSHAN_RING = [[87.6, 43.75], [87.7, 43.75], [87.7, 43.85], [87.6, 43.85], [87.6, 43.75]]
SAYIBAGH_RING = [[87.5, 43.75], [87.6, 43.75], [87.6, 43.85], [87.5, 43.85], [87.5, 43.75]]
BOWTIE_RING = [[87.5, 43.8], [87.6, 43.9], [87.6, 43.8], [87.5, 43.9], [87.5, 43.8]]

URUMQI_RIVER = [[87.55, 43.72], [87.58, 43.78], [87.61, 43.86]]
TOUTUN_RIVER = [[[87.42, 43.75], [87.45, 43.8]], [[87.45, 43.8], [87.47, 43.88]]]


# --------------------------------------------------------------------------- helpers


def feature(properties: dict[str, Any], geometry: dict[str, Any] | None) -> dict[str, Any]:
    return {"type": "Feature", "properties": properties, "geometry": geometry}


def polygon(ring: list[list[float]]) -> dict[str, Any]:
    return {"type": "Polygon", "coordinates": [ring]}


def line(coords: list[list[float]]) -> dict[str, Any]:
    return {"type": "LineString", "coordinates": coords}


def write_geojson(path: Path, features: list[dict[str, Any]]) -> Path:
    path.write_text(json.dumps({"type": "FeatureCollection", "features": features}, ensure_ascii=False), "utf-8")
    return path


def ogr2ogr(*args: str) -> None:
    """Run ogr2ogr, failing the test with GDAL's message if it fails."""
    done = subprocess.run(["ogr2ogr", *args], capture_output=True, text=True, check=False)  # noqa: S603, S607
    assert done.returncode == 0, done.stderr


def run(path: Path, kind: str, *extra: str) -> str:
    """call_command import_places and return its stdout."""
    out = io.StringIO()
    call_command("import_places", str(path), "--kind", kind, "--no-progress", *extra, stdout=out, stderr=io.StringIO())
    return out.getvalue().strip()


def refused(path: Path, kind: str, *extra: str) -> str:
    """The CommandError message of an import that must be refused."""
    with pytest.raises(CommandError) as info:
        run(path, kind, *extra)
    return str(info.value)


def row_counts() -> dict[str, int]:
    return {
        "divisions": Division.objects.count(),
        "rivers": River.objects.count(),
        "reaches": Reach.objects.count(),
        "lakes": Lake.objects.count(),
        "audit": AuditLog.objects.count(),
    }


def division_features() -> list[dict[str, Any]]:
    # Districts before their city on purpose: the importer must write parents first.
    return [
        feature({"code": "650102", "name": "天山区", "name_en": "Tianshan"}, polygon(TIANSHAN_RING)),
        feature({"code": "650103", "name": "沙依巴克区", "name_en": "Saybag"}, polygon(SAYIBAGH_RING)),
        feature({"code": "650100", "name": "乌鲁木齐市", "name_en": "Urumqi"}, polygon(CITY_RING)),
    ]


@pytest.fixture
def city() -> Division:
    division, _ = division_upsert(code="650100", name="乌鲁木齐市", actor=ACTOR)
    return division


@pytest.fixture
def river(city: Division) -> River:
    created, _ = river_upsert(
        code="R001", name="乌鲁木齐河", division_code="650100", geometry=LineString(URUMQI_RIVER), actor=ACTOR
    )
    return created


# --------------------------------------------------------------------------- imports


def test_geojson_divisions(tmp_path: Path) -> None:
    path = write_geojson(tmp_path / "divisions.geojson", division_features())

    assert run(path, "division") == "imported 3 division (created 3, updated 0, unchanged 0)"

    city = Division.objects.get(code="650100")
    tianshan = Division.objects.get(code="650102")
    saybag = Division.objects.get(code="650103")
    assert (city.name, city.name_en, city.level, city.parent) == ("乌鲁木齐市", "Urumqi", "city", None)
    assert (tianshan.name, tianshan.level, tianshan.parent) == ("天山区", "county", city)
    assert (saybag.name, saybag.level, saybag.parent) == ("沙依巴克区", "county", city)
    for division in (city, tianshan, saybag):
        assert division.area_m2 > 0
    assert city.area_m2 > tianshan.area_m2 + saybag.area_m2
    # lon/lat order survived GDAL 3's lat/lon authority order for EPSG:4326.
    assert city.boundary.srid == 4326
    assert city.boundary.extent == pytest.approx((87.4, 43.7, 87.8, 44.0))
    labels = set(AuditLog.objects.filter(entity="places.division").values_list("actor_label", flat=True))
    assert labels == {"import_places:divisions.geojson"}


def test_reimport_is_unchanged_and_changes_are_updates(tmp_path: Path) -> None:
    path = write_geojson(tmp_path / "divisions.geojson", division_features())
    run(path, "division")
    before = row_counts()

    assert run(path, "division") == "imported 3 division (created 0, updated 0, unchanged 3)"
    assert row_counts() == before  # no audit rows either

    features = division_features()
    features[0]["properties"]["name"] = "天山區"
    write_geojson(path, features)
    assert run(path, "division") == "imported 3 division (created 0, updated 1, unchanged 2)"
    assert Division.objects.get(code="650102").name == "天山區"


def test_gbk_shapefile_rivers(tmp_path: Path, city: Division) -> None:
    source = write_geojson(
        tmp_path / "rivers.geojson",
        [
            feature({"code": "R001", "name": "乌鲁木齐河", "division": "650100"}, line(URUMQI_RIVER)),
            feature(
                {"code": "R002", "name": "头屯河", "division": "650100"},
                {"type": "MultiLineString", "coordinates": TOUTUN_RIVER},
            ),
        ],
    )
    shp = tmp_path / "rivers.shp"
    ogr2ogr("-f", "ESRI Shapefile", "-lco", "ENCODING=GBK", str(shp), str(source))
    # The .dbf must really hold GBK bytes, else this test would not prove the decoding.
    dbf = (tmp_path / "rivers.dbf").read_bytes()
    assert "乌鲁木齐河".encode("gbk") in dbf
    assert "乌鲁木齐河".encode() not in dbf
    assert (tmp_path / "rivers.cpg").read_text().strip().upper() in {"GBK", "936", "CP936"}

    assert run(shp, "river") == "imported 2 river (created 2, updated 0, unchanged 0)"

    urumqi, toutun = River.objects.get(code="R001"), River.objects.get(code="R002")
    assert (urumqi.name, toutun.name) == ("乌鲁木齐河", "头屯河")
    assert urumqi.division == city
    assert urumqi.length_m == pytest.approx(geometry_length_m(LineString(URUMQI_RIVER, srid=4326)), rel=1e-9)
    expected = geometry_length_m(MultiLineString(*(LineString(p) for p in TOUTUN_RIVER), srid=4326))
    assert toutun.length_m == pytest.approx(expected, rel=1e-9)
    assert run(shp, "river") == "imported 2 river (created 0, updated 0, unchanged 2)"


def test_gbk_shapefile_without_cpg_is_refused_with_a_hint(tmp_path: Path, city: Division) -> None:
    source = write_geojson(
        tmp_path / "rivers.geojson",
        [feature({"code": "R001", "name": "乌鲁木齐河", "division": "650100"}, line(URUMQI_RIVER))],
    )
    shp = tmp_path / "rivers.shp"
    ogr2ogr("-f", "ESRI Shapefile", "-lco", "ENCODING=GBK", str(shp), str(source))
    (tmp_path / "rivers.cpg").unlink()
    before = row_counts()

    message = refused(shp, "river")

    assert "feature 1 (code R001)" in message
    assert "not UTF-8" in message
    assert ".cpg" in message
    assert row_counts() == before


def test_geopackage_lakes_in_utm(tmp_path: Path, city: Division) -> None:
    ring = [[87.60, 43.70], [87.62, 43.70], [87.62, 43.72], [87.60, 43.72], [87.60, 43.70]]
    source = write_geojson(
        tmp_path / "lakes.geojson",
        [feature({"code": "L001", "name": "红雁池水库", "kind": "reservoir", "division": "650100"}, polygon(ring))],
    )
    gpkg = tmp_path / "water.gpkg"
    ogr2ogr("-f", "GPKG", str(gpkg), str(source), "-nln", "lakes", "-t_srs", "EPSG:32645")
    # A second layer, so that --layer is needed.
    ogr2ogr("-f", "GPKG", "-update", str(gpkg), str(source), "-nln", "other")

    message = refused(gpkg, "lake")
    assert "--layer" in message
    assert "lakes" in message
    assert "other" in message

    assert run(gpkg, "lake", "--layer", "lakes") == "imported 1 lake (created 1, updated 0, unchanged 0)"

    lake = Lake.objects.get(code="L001")
    assert (lake.name, lake.kind, lake.division) == ("红雁池水库", "reservoir", city)
    assert lake.geometry.srid == 4326
    stored = lake.geometry[0].exterior_ring.coords
    assert len(stored) == len(ring)
    for (lon, lat), (want_lon, want_lat) in zip(stored, ring, strict=True):
        assert abs(lon - want_lon) < 1e-6
        assert abs(lat - want_lat) < 1e-6
    assert 2.5e6 < lake.area_m2 < 5e6  # about 1.6 km × 2.2 km
    assert run(gpkg, "lake", "--layer", "lakes") == "imported 1 lake (created 0, updated 0, unchanged 1)"


def test_reaches_with_field_mapping_and_descriptions(tmp_path: Path, river: River) -> None:
    path = write_geojson(
        tmp_path / "reaches.geojson",
        [
            feature(
                {
                    "DM": "RC01",
                    "MC": "乌鲁木齐河天山段",
                    "HL": "R001",
                    "XZQ": "650100",
                    "QD": "雅玛里克山",
                    "ZD": "碾子沟",
                },
                line(URUMQI_RIVER[:2]),
            )
        ],
    )
    mapping = ["--map", "code=DM", "--map", "name=mc", "--map", "river=HL", "--map", "division=XZQ"]
    mapping += ["--map", "start_desc=QD", "--map", "end_desc=ZD"]

    assert run(path, "reach", *mapping) == "imported 1 reach (created 1, updated 0, unchanged 0)"

    reach = Reach.objects.get(code="RC01")
    assert (reach.name, reach.river, reach.division.code) == ("乌鲁木齐河天山段", river, "650100")
    assert (reach.start_description, reach.end_description) == ("雅玛里克山", "碾子沟")
    assert reach.length_m == pytest.approx(geometry_length_m(LineString(URUMQI_RIVER[:2], srid=4326)))


def test_dry_run_writes_nothing(tmp_path: Path) -> None:
    path = write_geojson(tmp_path / "divisions.geojson", division_features())
    before = row_counts()

    out = run(path, "division", "--dry-run")

    assert out.startswith("dry run: imported 3 division (created 3, updated 0, unchanged 0)")
    assert row_counts() == before


# --------------------------------------------------------------------------- refusals


def test_unreadable_file(tmp_path: Path) -> None:
    path = tmp_path / "broken.geojson"
    path.write_text("this is not GeoJSON {", "utf-8")
    before = row_counts()

    message = refused(path, "division")

    assert "GDAL cannot read" in message
    assert "broken.geojson" in message
    assert row_counts() == before


def test_missing_file(tmp_path: Path) -> None:
    assert "no such file" in refused(tmp_path / "nope.geojson", "division")


def test_shapefile_without_prj_has_no_crs(tmp_path: Path) -> None:
    source = write_geojson(tmp_path / "divisions.geojson", division_features())
    shp = tmp_path / "divisions.shp"
    ogr2ogr("-f", "ESRI Shapefile", "-lco", "ENCODING=UTF-8", str(shp), str(source))
    (tmp_path / "divisions.prj").unlink()
    before = row_counts()

    message = refused(shp, "division")

    assert "layer has no CRS" in message
    assert "'divisions'" in message
    assert row_counts() == before


# Each case: one bad feature among good ones; the message must name it and the reason, and the
# good ones must not be written either.
BAD_DIVISION_CASES = {
    "wrong geometry type": (
        feature({"code": "650104", "name": "新市区"}, line([[87.5, 43.9], [87.6, 43.95]])),
        "wrong geometry type: expected Polygon or MultiPolygon, got LineString",
    ),
    "invalid polygon": (
        feature({"code": "650104", "name": "新市区"}, polygon(BOWTIE_RING)),
        "invalid geometry: Self-intersection",
    ),
    "empty geometry": (feature({"code": "650104", "name": "新市区"}, None), "empty geometry"),
    "latitude and longitude swapped": (
        feature({"code": "650104", "name": "新市区"}, polygon([[y, x] for x, y in TIANSHAN_RING])),
        "outside China",
    ),
    "outside China": (
        feature({"code": "650104", "name": "新市区"}, polygon([[x - 100, y] for x, y in TIANSHAN_RING])),
        "outside China",
    ),
    "missing code": (feature({"code": None, "name": "新市区"}, polygon(TIANSHAN_RING)), "missing 'code'"),
    "blank name": (feature({"code": "650104", "name": "  "}, polygon(TIANSHAN_RING)), "missing 'name'"),
    "duplicate code": (
        feature({"code": "650102", "name": "天山区"}, polygon(TIANSHAN_RING)),
        "duplicate code '650102' (first at feature 1)",
    ),
    "unknown parent": (
        feature({"code": "650104", "name": "新市区", "parent": "659999"}, polygon(TIANSHAN_RING)),
        "No parent division '659999'",
    ),
}


@pytest.mark.parametrize("case", list(BAD_DIVISION_CASES))
def test_bad_division_feature_refuses_the_whole_file(tmp_path: Path, case: str) -> None:
    bad, reason = BAD_DIVISION_CASES[case]
    path = write_geojson(tmp_path / "divisions.geojson", [*division_features(), bad])
    before = row_counts()

    message = refused(path, "division")

    code = bad["properties"]["code"]
    where = "feature 4" + (f" (code {code})" if code else "")
    assert f"{where}: {reason}" in message
    assert "1 of 4 feature(s) refused, nothing was written" in message
    assert row_counts() == before


def test_bad_lake_geometry_type(tmp_path: Path, city: Division) -> None:
    path = write_geojson(
        tmp_path / "lakes.geojson",
        [feature({"code": "L001", "name": "湖", "kind": "lake", "division": "650100"}, line(URUMQI_RIVER))],
    )
    before = row_counts()

    message = refused(path, "lake")

    assert "feature 1 (code L001): wrong geometry type: expected Polygon or MultiPolygon, got LineString" in message
    assert row_counts() == before


def test_swapped_axes_are_named_as_such(tmp_path: Path) -> None:
    swapped = feature({"code": "650104", "name": "新市区"}, polygon([[y, x] for x, y in TIANSHAN_RING]))
    elsewhere = feature({"code": "650105", "name": "水磨沟区"}, polygon([[x - 100, y] for x, y in TIANSHAN_RING]))
    message = refused(write_geojson(tmp_path / "divisions.geojson", [swapped, elsewhere]), "division")
    first, second = (line for line in message.splitlines() if line.strip().startswith("feature"))
    assert "longitude and latitude swapped" in first
    assert "swapped" not in second
    assert "Does the layer's CRS match its coordinates?" in second


def test_a_one_point_line_is_refused_in_words(tmp_path: Path, river: River) -> None:
    path = write_geojson(
        tmp_path / "reaches.geojson",
        [feature({"code": "RC01", "name": "一点", "river": "R001", "division": "650100"}, line([[87.5, 43.9]]))],
    )
    before = row_counts()

    message = refused(path, "reach")

    assert "feature 1 (code RC01): a line needs at least 2 points, this one has 1" in message
    assert "IllegalArgument" not in message
    assert row_counts() == before


def test_unknown_river_and_division_are_reported_per_feature(tmp_path: Path, river: River) -> None:
    path = write_geojson(
        tmp_path / "reaches.geojson",
        [
            feature({"code": "RC01", "name": "好段", "river": "R001", "division": "650100"}, line(URUMQI_RIVER)),
            feature({"code": "RC02", "name": "坏段", "river": "NOPE", "division": "650100"}, line(URUMQI_RIVER)),
            feature({"code": "RC03", "name": "坏区", "river": "R001", "division": "659999"}, line(URUMQI_RIVER)),
        ],
    )
    before = row_counts()

    message = refused(path, "reach")

    assert "feature 2 (code RC02): No river with code 'NOPE'" in message
    assert "feature 3 (code RC03): No division with code '659999'" in message
    assert "2 of 3 feature(s) refused" in message
    assert row_counts() == before  # RC01 was valid but is not written either


def test_all_feature_errors_are_collected(tmp_path: Path) -> None:
    features = [
        feature({"code": "650102", "name": "天山区"}, polygon(TIANSHAN_RING)),
        feature({"code": "650103", "name": "沙依巴克区"}, polygon(BOWTIE_RING)),
        feature({"code": "650102", "name": "天山区"}, line([[87.5, 43.9], [87.6, 43.95]])),
        feature({"name": "无代码"}, polygon(SAYIBAGH_RING)),
    ]
    path = write_geojson(tmp_path / "divisions.geojson", features)

    lines = refused(path, "division").splitlines()

    assert "3 of 4 feature(s) refused" in lines[0]
    body = "\n".join(lines[1:])
    assert "feature 2 (code 650103): invalid geometry" in body
    assert "feature 3 (code 650102): duplicate code" in body
    assert "feature 3 (code 650102): wrong geometry type" in body
    assert "feature 4: missing 'code'" in body
    assert Division.objects.count() == 0


def test_error_list_is_capped(tmp_path: Path) -> None:
    features = [feature({"code": f"6501{i:02d}", "name": "区"}, polygon(BOWTIE_RING)) for i in range(1, 61)]
    path = write_geojson(tmp_path / "divisions.geojson", features)

    lines = refused(path, "division").splitlines()

    assert len(lines) == 1 + 50 + 1
    assert lines[-1].strip() == "… and 10 more"


def test_missing_column_and_bad_map(tmp_path: Path) -> None:
    path = write_geojson(tmp_path / "divisions.geojson", [feature({"DM": "650100"}, polygon(CITY_RING))])

    assert "has no field 'code'" in refused(path, "division")
    assert "has no field 'MC'" in refused(path, "division", "--map", "code=DM", "--map", "name=MC")
    assert "has no attribute 'river'" in refused(path, "division", "--map", "river=DM")
    assert "expected TARGET=SOURCE_FIELD" in refused(path, "division", "--map", "code")


def test_unknown_layer(tmp_path: Path) -> None:
    path = write_geojson(tmp_path / "divisions.geojson", division_features())

    message = refused(path, "division", "--layer", "nope")

    assert "no layer 'nope'" in message
    assert "layers: divisions" in message
