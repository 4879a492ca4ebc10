"""Tests for core.geojson: validation of incoming GeoJSON geometries."""

from __future__ import annotations

import json
import math
from typing import Any

import pytest
from django.contrib.gis.geos import GEOSGeometry

from core.geo import InputCRS, gcj02_to_wgs84, geodesic_distance_m, wgs84_to_gcj02
from core.geojson import GeoJSONError, parse_geometry

LINES = {"LineString", "MultiLineString"}
AREAS = {"Polygon", "MultiPolygon"}
ALL = {"Point", "MultiPoint", "LineString", "MultiLineString", "Polygon", "MultiPolygon"}

SQUARE = [[87.5, 43.7], [87.6, 43.7], [87.6, 43.8], [87.5, 43.8], [87.5, 43.7]]
BOW_TIE = [[87.5, 43.7], [87.6, 43.8], [87.6, 43.7], [87.5, 43.8], [87.5, 43.7]]
TRACK = [[87.60, 43.80], [87.61, 43.81], [87.62, 43.80]]


def line(coords: Any) -> dict[str, Any]:
    return {"type": "LineString", "coordinates": coords}


def refused(obj: object, **kwargs: Any) -> GeoJSONError:
    kwargs.setdefault("allowed", ALL)
    with pytest.raises(GeoJSONError) as info:
        parse_geometry(obj, **kwargs)
    return info.value


# --------------------------------------------------------------------------- refused input


def test_error_is_a_value_error_with_path_and_message() -> None:
    err = refused(line([[87.6, 43.8], ["87.7", 43.9]]))
    assert isinstance(err, ValueError)
    assert err.path == "coordinates[1][0]"
    assert err.message == "expected a number, got string"
    assert str(err) == "coordinates[1][0]: expected a number, got string"


@pytest.mark.parametrize("obj", [None, 42, [1, 2], ["LineString"]])
def test_non_object_input(obj: object) -> None:
    err = refused(obj)
    assert err.path == ""
    assert "must be an object" in err.message


def test_invalid_json_string() -> None:
    err = refused('{"type": "LineString", "coordinates": [[1, 2], [3, 4]]')
    assert err.path == ""
    assert err.message.startswith("invalid JSON")
    assert "line 1" in err.message


def test_json_string_is_accepted() -> None:
    geom = parse_geometry(json.dumps(line(TRACK)), allowed=LINES)
    assert geom.geom_type == "LineString"


@pytest.mark.parametrize(
    ("obj", "fragment"),
    [
        ({"coordinates": TRACK}, 'missing "type"'),
        ({"type": 3, "coordinates": TRACK}, "expected a string, got number"),
        ({"type": "Line", "coordinates": TRACK}, "unknown geometry type 'Line'"),
        ({"type": "linestring", "coordinates": TRACK}, "did you mean 'LineString'"),
        ({"type": "Feature", "geometry": line(TRACK)}, "expected a geometry, got a Feature"),
        ({"type": "GeometryCollection", "geometries": [line(TRACK)]}, "GeometryCollection is not supported"),
    ],
)
def test_wrong_type(obj: dict[str, Any], fragment: str) -> None:
    err = refused(obj)
    assert err.path == "type"
    assert fragment in err.message


def test_type_not_allowed() -> None:
    err = refused({"type": "Point", "coordinates": [87.6, 43.8]}, allowed=LINES)
    assert err.path == "type"
    assert "'Point' is not allowed" in err.message
    assert "LineString, MultiLineString" in err.message


def test_missing_coordinates() -> None:
    err = refused({"type": "LineString"})
    assert (err.path, err.message) == ("coordinates", 'missing "coordinates"')


def test_string_coordinates() -> None:
    err = refused(line("87.6,43.8 87.7,43.9"))
    assert err.path == "coordinates"
    assert "got string" in err.message
    err = refused(line([[87.6, 43.8], [87.7, "43.9"]]))
    assert err.path == "coordinates[1][1]"


@pytest.mark.parametrize("bad", [math.nan, math.inf, -math.inf])
def test_non_finite_numbers(bad: float) -> None:
    err = refused(line([[87.6, 43.8], [87.7, 43.9], [87.8, bad]]))
    assert err.path == "coordinates[2][1]"
    assert "finite" in err.message


def test_nan_in_json_string() -> None:
    err = refused('{"type": "Point", "coordinates": [NaN, 43.8]}')
    assert err.path == "coordinates[0]"


def test_bool_is_not_a_number() -> None:
    err = refused(line([[87.6, 43.8], [True, 43.9]]))
    assert err.path == "coordinates[1][0]"
    assert err.message == "expected a number, got boolean"


def test_null_and_nested_values_are_not_numbers() -> None:
    assert refused(line([[87.6, None], [87.7, 43.9]])).message == "expected a number, got null"
    assert refused(line([[87.6, [43.8]], [87.7, 43.9]])).message == "expected a number, got array"


@pytest.mark.parametrize("position", [[87.6], [87.6, 43.8, 10.0, 1.0], []])
def test_position_length(position: list[float]) -> None:
    err = refused(line([[87.6, 43.8], position]))
    assert err.path == "coordinates[1]"
    assert "2 or 3 numbers" in err.message


def test_out_of_range_longitude() -> None:
    err = refused(line([[87.6, 43.8], [187.7, 43.9]]))
    assert err.path == "coordinates[1][0]"
    assert "longitude 187.7 out of range" in err.message


def test_out_of_range_latitude() -> None:
    err = refused({"type": "Point", "coordinates": [87.6, -90.5]})
    assert err.path == "coordinates[1]"
    assert "latitude -90.5 out of range" in err.message


def test_swapped_lat_lon_is_caught_when_out_of_range() -> None:
    # A common mistake: [lat, lon]. Urumqi's longitude 87.6 is a valid latitude, so only
    # a longitude above 90 as latitude can be detected.
    err = refused({"type": "Point", "coordinates": [39.9, 116.4]})
    assert err.path == "coordinates[1]"


def test_linestring_with_one_point() -> None:
    err = refused(line([[87.6, 43.8]]))
    assert err.path == "coordinates"
    assert err.message == "a LineString needs at least 2 positions, got 1"


def test_linestring_of_identical_points() -> None:
    err = refused(line([[87.6, 43.8], [87.6, 43.8], [87.6, 43.8, 5.0]]))
    assert err.path == "coordinates"
    assert "zero length" in err.message


def test_part_of_multilinestring_is_located() -> None:
    err = refused({"type": "MultiLineString", "coordinates": [TRACK, [[87.6, 43.8]]]})
    assert err.path == "coordinates[1]"
    err = refused({"type": "MultiLineString", "coordinates": [TRACK, [[87.6, 43.8], [87.6, 95]]]})
    assert err.path == "coordinates[1][1][1]"


def test_unclosed_ring() -> None:
    err = refused({"type": "Polygon", "coordinates": [[*SQUARE[:-1], [87.5, 43.75]]]})
    assert err.path == "coordinates[0]"
    assert "not closed" in err.message


def test_ring_too_short() -> None:
    err = refused({"type": "Polygon", "coordinates": [[[87.5, 43.7], [87.6, 43.7], [87.5, 43.7]]]})
    assert err.path == "coordinates[0]"
    assert "at least 4 positions" in err.message


def test_polygon_without_rings() -> None:
    assert refused({"type": "Polygon", "coordinates": []}).path == "coordinates"


def test_self_intersecting_polygon() -> None:
    err = refused({"type": "Polygon", "coordinates": [BOW_TIE]})
    assert err.path == "coordinates"
    assert err.message.startswith("invalid polygon: Self-intersection")


def test_self_intersecting_part_of_multipolygon_is_located() -> None:
    err = refused({"type": "MultiPolygon", "coordinates": [[SQUARE], [BOW_TIE]]})
    assert err.path == "coordinates[1]"
    assert "Self-intersection" in err.message


def test_overlapping_multipolygon_parts() -> None:
    err = refused({"type": "MultiPolygon", "coordinates": [[SQUARE], [SQUARE]]})
    assert err.path == "coordinates"
    assert err.message.startswith("invalid polygon")


def test_invalid_polygon_accepted_without_check() -> None:
    geom = parse_geometry({"type": "Polygon", "coordinates": [BOW_TIE]}, allowed=AREAS, check_valid=False)
    assert not geom.valid


def test_too_many_points() -> None:
    coords = [[87.6 + i * 1e-4, 43.8] for i in range(11)]
    err = refused(line(coords), max_points=10)
    assert err.path == "coordinates"
    assert "too many positions (more than 10)" in err.message
    assert parse_geometry(line(coords[:10]), allowed=LINES, max_points=10).num_points == 10


def test_too_many_points_counts_all_parts() -> None:
    obj = {"type": "MultiLineString", "coordinates": [TRACK, TRACK, TRACK]}
    assert refused(obj, max_points=8).message == "too many positions (more than 8)"
    assert parse_geometry(obj, allowed=LINES, max_points=9).num_points == 9


def test_empty_multi_geometry() -> None:
    assert refused({"type": "MultiPolygon", "coordinates": []}).path == "coordinates"


def test_unknown_crs() -> None:
    err = refused(line(TRACK), crs="EPSG:3857")
    assert err.path == "crs"


# --------------------------------------------------------------------------- accepted input


def test_result_is_geos_in_4326() -> None:
    geom = parse_geometry(line(TRACK), allowed=LINES)
    assert isinstance(geom, GEOSGeometry)
    assert geom.srid == 4326
    assert geom.coords == tuple(tuple(c) for c in TRACK)


def test_self_crossing_linestring_is_accepted() -> None:
    # A patrol walks round a pond and back across its own path.
    crossing = [[87.60, 43.80], [87.61, 43.81], [87.61, 43.80], [87.60, 43.81]]
    geom = parse_geometry(line(crossing), allowed=LINES)
    assert geom.geom_type == "LineString"
    assert not geom.simple
    assert geom.num_points == 4


def test_polygon_promoted_to_multipolygon() -> None:
    geom = parse_geometry({"type": "Polygon", "coordinates": [SQUARE]}, allowed={"MultiPolygon"}, promote_to_multi=True)
    assert geom.geom_type == "MultiPolygon"
    assert geom.srid == 4326
    assert len(geom) == 1
    assert geom[0].exterior_ring.coords == tuple(tuple(c) for c in SQUARE)


def test_linestring_promoted_only_when_asked() -> None:
    geom = parse_geometry(line(TRACK), allowed={"MultiLineString"}, promote_to_multi=True)
    assert geom.geom_type == "MultiLineString"
    assert refused(line(TRACK), allowed={"MultiLineString"}).path == "type"
    # Not promoted when the plain type is allowed too.
    assert parse_geometry(line(TRACK), allowed=LINES, promote_to_multi=True).geom_type == "LineString"


def test_polygon_with_hole() -> None:
    hole = [[87.52, 43.72], [87.52, 43.75], [87.55, 43.75], [87.55, 43.72], [87.52, 43.72]]
    geom = parse_geometry({"type": "Polygon", "coordinates": [SQUARE, hole]}, allowed=AREAS)
    assert geom.num_interior_rings == 1


def test_gcj02_input_is_converted() -> None:
    wgs = [(87.60, 43.80), (87.61, 43.81), (87.62, 43.80)]
    gcj = [wgs84_to_gcj02(*p) for p in wgs]
    geom = parse_geometry(line([list(p) for p in gcj]), allowed=LINES, crs=InputCRS.GCJ02)
    for (lon, lat), (glon, glat), expected in zip(geom.coords, gcj, wgs, strict=True):
        # Back on WGS84 within a centimetre, and moved from the input by the GCJ offset.
        assert geodesic_distance_m(lon, lat, *expected) < 0.01
        assert 50 < geodesic_distance_m(lon, lat, glon, glat) < 1000
    assert geom.coords[0] == gcj02_to_wgs84(*gcj[0])


def test_crs_accepts_strings() -> None:
    gcj_point = {"type": "Point", "coordinates": [87.6, 43.8]}
    geom = parse_geometry(gcj_point, allowed=ALL, crs="gcj02")
    assert geom.coords == gcj02_to_wgs84(87.6, 43.8)
    assert parse_geometry(gcj_point, allowed=ALL, crs="CGCS2000").coords == (87.6, 43.8)


def test_gcj02_polygon_stays_closed() -> None:
    geom = parse_geometry({"type": "Polygon", "coordinates": [SQUARE]}, allowed=AREAS, crs=InputCRS.GCJ02)
    ring = geom.exterior_ring.coords
    assert ring[0] == ring[-1]
    assert ring[0] != tuple(SQUARE[0])


def test_3d_positions_accepted_and_z_dropped() -> None:
    geom = parse_geometry(line([[87.6, 43.8, 812.5], [87.7, 43.9, 790.0]]), allowed=LINES)
    assert not geom.hasz
    assert geom.coords == ((87.6, 43.8), (87.7, 43.9))


@pytest.mark.parametrize(
    ("obj", "geom_type"),
    [
        ({"type": "Point", "coordinates": [87.6, 43.8]}, "Point"),
        ({"type": "MultiPoint", "coordinates": [[87.6, 43.8], [87.6, 43.8]]}, "MultiPoint"),
        ({"type": "MultiLineString", "coordinates": [TRACK, TRACK]}, "MultiLineString"),
        ({"type": "MultiPolygon", "coordinates": [[SQUARE]]}, "MultiPolygon"),
    ],
)
def test_all_supported_types(obj: dict[str, Any], geom_type: str) -> None:
    geom = parse_geometry(obj, allowed=ALL)
    assert geom.geom_type == geom_type
    assert geom.srid == 4326


def test_integers_and_tuples_are_accepted() -> None:
    geom = parse_geometry({"type": "Point", "coordinates": (87, 43)}, allowed=ALL)
    assert geom.coords == (87.0, 43.0)


def test_extreme_valid_coordinates() -> None:
    geom = parse_geometry(line([[-180, -90], [180, 90]]), allowed=LINES)
    assert geom.coords == ((-180.0, -90.0), (180.0, 90.0))
