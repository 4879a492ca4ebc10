"""Tests for core.geo: CRS parsing, geodesic measures, GCJ-02 and CGCS2000 conversion."""

from __future__ import annotations

import itertools
import math
from typing import Any

import numpy as np
import pytest
from shapely.geometry import LineString, MultiLineString, Point, Polygon, box

from core.geo import (
    CGCS2000_SRID,
    GEOD,
    WGS84_SRID,
    InputCRS,
    cgcs2000_to_wgs84,
    gcj02_to_wgs84,
    gcj02_to_wgs84_arrays,
    geodesic_distance_m,
    geodesic_length_m,
    geodesic_line_length_m,
    geometry_area_m2,
    geometry_length_m,
    parse_crs,
    to_wgs84,
    wgs84_to_gcj02,
)

# WGS84 defining constants, used for references computed independently of pyproj.
A = 6378137.0
F = 1 / 298.257223563
E2 = F * (2 - F)
B = A * (1 - F)


def meridian_arc_m(lat1_deg: float, lat2_deg: float, steps: int = 20_000) -> float:
    """M = a(1-e²) ∫ dφ / (1 - e² sin²φ)^{3/2}, by composite Simpson's rule."""
    assert steps % 2 == 0
    phi1, phi2 = math.radians(lat1_deg), math.radians(lat2_deg)
    h = (phi2 - phi1) / steps

    def integrand(phi: float) -> float:
        return (1 - E2 * math.sin(phi) ** 2) ** -1.5

    total = integrand(phi1) + integrand(phi2)
    total += 4 * math.fsum(integrand(phi1 + k * h) for k in range(1, steps, 2))
    total += 2 * math.fsum(integrand(phi1 + k * h) for k in range(2, steps, 2))
    return A * (1 - E2) * total * h / 3


def zone_area_per_radian_m2(lat_deg: float) -> float:
    """Ellipsoidal area from the equator to ``lat`` per radian of longitude (closed form)."""
    e = math.sqrt(E2)
    s = math.sin(math.radians(lat_deg))
    q = s / (1 - E2 * s * s) + (1 / (2 * e)) * math.log((1 + e * s) / (1 - e * s))
    return B * B / 2 * q


# --------------------------------------------------------------------------- constants, CRS


def test_srid_constants() -> None:
    assert WGS84_SRID == 4326
    assert CGCS2000_SRID == 4490


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (None, InputCRS.WGS84),
        ("EPSG:4326", InputCRS.WGS84),
        ("epsg:4326", InputCRS.WGS84),
        ("wgs84", InputCRS.WGS84),
        ("EPSG:4490", InputCRS.CGCS2000),
        ("cgcs2000", InputCRS.CGCS2000),
        ("GCJ-02", InputCRS.GCJ02),
        ("gcj02", InputCRS.GCJ02),
        (" GCJ02 ", InputCRS.GCJ02),
        (InputCRS.GCJ02, InputCRS.GCJ02),
    ],
)
def test_parse_crs_accepts(value: str | None, expected: InputCRS) -> None:
    assert parse_crs(value) is expected


@pytest.mark.parametrize("value", ["", "EPSG:3857", "BD-09", "4326", "WGS 84"])
def test_parse_crs_refuses(value: str) -> None:
    with pytest.raises(ValueError, match="unsupported coordinate system") as info:
        parse_crs(value)
    assert "EPSG:4326" in str(info.value)  # the message lists what is accepted


def test_input_crs_values_are_strings() -> None:
    assert InputCRS.GCJ02 == "GCJ-02"
    assert [c.value for c in InputCRS] == ["EPSG:4326", "EPSG:4490", "GCJ-02"]


# --------------------------------------------------------------------------- lengths


@pytest.mark.parametrize(("lat1", "lat2"), [(0.0, 1.0), (43.0, 44.0)])
def test_meridian_arc_matches_numerical_integration(lat1: float, lat2: float) -> None:
    expected = meridian_arc_m(lat1, lat2)
    assert geodesic_length_m([(87.6, lat1), (87.6, lat2)]) == pytest.approx(expected, abs=1e-3)
    assert geodesic_distance_m(87.6, lat1, 87.6, lat2) == pytest.approx(expected, abs=1e-3)


def test_reference_integration_is_sane() -> None:
    # Known value: 1° of latitude at the equator is 110 574.4 m on WGS84.
    assert meridian_arc_m(0.0, 1.0) == pytest.approx(110_574.389, abs=0.01)


def test_multi_segment_line_is_sum_of_segments() -> None:
    coords = [(87.55, 43.80), (87.60, 43.83), (87.62, 43.79), (87.70, 43.81), (87.71, 43.90)]
    segments = [geodesic_distance_m(*a, *b) for a, b in itertools.pairwise(coords)]
    assert geodesic_length_m(coords) == pytest.approx(math.fsum(segments), abs=1e-6)
    assert geometry_length_m(LineString(coords)) == pytest.approx(math.fsum(segments), abs=1e-6)


def test_degenerate_lines_have_zero_length() -> None:
    assert geodesic_length_m([]) == 0.0
    assert geodesic_length_m([(87.6, 43.8)]) == 0.0


def test_altitude_is_ignored_in_length() -> None:
    flat = [(87.6, 43.8), (87.7, 43.9)]
    with_z = [(87.6, 43.8, 800.0), (87.7, 43.9, 1200.0)]
    assert geodesic_length_m(with_z) == geodesic_length_m(flat)


def test_multilinestring_sums_parts() -> None:
    part1 = [(87.6, 43.8), (87.7, 43.9)]
    part2 = [(116.3, 39.9), (116.4, 39.95), (116.5, 39.9)]
    mls = MultiLineString([part1, part2])
    assert geometry_length_m(mls) == pytest.approx(geodesic_length_m(part1) + geodesic_length_m(part2), abs=1e-6)


def test_geos_geometry_in_3857_gives_same_length_as_4326() -> None:
    from django.contrib.gis.geos import LineString as GEOSLineString
    from django.contrib.gis.geos import MultiLineString as GEOSMultiLineString

    coords = [(87.55, 43.80), (87.60, 43.83), (87.62, 43.79), (87.70, 43.81)]
    in_4326 = GEOSLineString(coords, srid=4326)
    in_3857 = in_4326.transform(3857, clone=True)
    assert in_3857.srid == 3857
    reference = geodesic_length_m(coords)
    assert geometry_length_m(in_4326) == pytest.approx(reference, abs=1e-6)
    assert geometry_length_m(in_3857) == pytest.approx(reference, abs=1e-3)
    # Web Mercator's planar length would be off by 1/cos(43.8°) ≈ 38 %: make sure we did not use it.
    assert in_3857.length > 1.3 * reference
    # The caller's geometry is not modified.
    assert in_3857.srid == 3857

    multi = GEOSMultiLineString(GEOSLineString(coords[:2]), GEOSLineString(coords[2:]), srid=4326)
    expected = geodesic_length_m(coords[:2]) + geodesic_length_m(coords[2:])
    assert geometry_length_m(multi.transform(3857, clone=True)) == pytest.approx(expected, abs=1e-3)


def test_length_refuses_other_geometry_types() -> None:
    with pytest.raises(TypeError, match="LineString"):
        geometry_length_m(Point(87.6, 43.8))
    with pytest.raises(TypeError, match="shapely or GEOS"):
        geometry_length_m([(0, 0), (1, 1)])  # type: ignore[arg-type]


# --------------------------------------------------------------------------- areas


def test_area_of_one_degree_cell_at_equator() -> None:
    # The closed form is for a cell bounded by parallels; the geodesic top edge bulges
    # poleward by a few metres, a relative difference of a few 1e-5.
    expected = zone_area_per_radian_m2(1.0) * math.radians(1.0)
    assert expected == pytest.approx(12_308.8e6, rel=1e-4)
    assert geometry_area_m2(box(0, 0, 1, 1)) == pytest.approx(expected, rel=1e-4)


def test_area_is_positive_whatever_the_orientation() -> None:
    ccw = box(87.5, 43.7, 87.7, 43.9, ccw=True)
    cw = box(87.5, 43.7, 87.7, 43.9, ccw=False)
    assert geometry_area_m2(cw) == pytest.approx(geometry_area_m2(ccw), rel=1e-12)
    assert geometry_area_m2(cw) > 0


def test_area_subtracts_holes_and_sums_parts() -> None:
    shell = box(87.5, 43.7, 87.7, 43.9)
    hole = box(87.55, 43.75, 87.6, 43.8)
    # Deliberately give the hole the same orientation as the shell.
    with_hole = Polygon(shell.exterior.coords, [hole.exterior.coords])
    assert geometry_area_m2(with_hole) == pytest.approx(geometry_area_m2(shell) - geometry_area_m2(hole), rel=1e-9)

    from shapely.geometry import MultiPolygon

    other = box(116.3, 39.9, 116.4, 40.0, ccw=False)
    multi = MultiPolygon([shell, other])
    assert geometry_area_m2(multi) == pytest.approx(geometry_area_m2(shell) + geometry_area_m2(other), rel=1e-9)


def test_area_accepts_geos_in_other_srid() -> None:
    from django.contrib.gis.geos import Polygon as GEOSPolygon

    poly = GEOSPolygon.from_bbox((87.5, 43.7, 87.7, 43.9))
    poly.srid = 4326
    expected = geometry_area_m2(box(87.5, 43.7, 87.7, 43.9))
    assert geometry_area_m2(poly) == pytest.approx(expected, rel=1e-9)
    assert geometry_area_m2(poly.transform(3857, clone=True)) == pytest.approx(expected, rel=1e-7)


def test_area_refuses_lines() -> None:
    with pytest.raises(TypeError, match="Polygon"):
        geometry_area_m2(LineString([(0, 0), (1, 1)]))


# --------------------------------------------------------------------------- GCJ-02


def _grid(lon0: float, lon1: float, lat0: float, lat1: float, step: float) -> list[tuple[float, float]]:
    nlon = round((lon1 - lon0) / step)
    nlat = round((lat1 - lat0) / step)
    return [(lon0 + i * step, lat0 + j * step) for i in range(nlon + 1) for j in range(nlat + 1)]


CHINA_POINTS = [
    *_grid(86.5, 88.5, 43.0, 44.5, 0.1),  # Urumqi and surroundings
    *_grid(116.2, 116.6, 39.8, 40.1, 0.05),  # Beijing
    *_grid(121.3, 121.6, 31.1, 31.4, 0.05),  # Shanghai
    *_grid(113.1, 113.5, 23.0, 23.3, 0.05),  # Guangzhou
    (105.0, 35.0),  # origin of the offset polynomials, where sqrt(|x|) is not smooth
    (75.99, 39.47),  # Kashgar
    (126.63, 45.75),  # Harbin
    (109.5, 18.25),  # Sanya
]


def test_gcj02_round_trip_is_below_one_centimetre() -> None:
    worst = 0.0
    for lon, lat in CHINA_POINTS:
        # Both directions: WGS→GCJ→WGS, and GCJ→WGS→GCJ (as a phone's GCJ point comes in).
        back = gcj02_to_wgs84(*wgs84_to_gcj02(lon, lat))
        worst = max(worst, geodesic_distance_m(lon, lat, *back))
        again = wgs84_to_gcj02(*gcj02_to_wgs84(lon, lat))
        worst = max(worst, geodesic_distance_m(lon, lat, *again))
    assert worst < 0.01


def test_gcj02_offset_near_urumqi_has_expected_magnitude() -> None:
    lon, lat = 87.6168, 43.8256  # People's Square, Urumqi
    glon, glat = wgs84_to_gcj02(lon, lat)
    offset = geodesic_distance_m(lon, lat, glon, glat)
    assert 50 < offset < 1000
    # Published GCJ-02 shifts in Xinjiang are a few hundred metres, north-east.
    assert glon > lon
    assert glat > lat


def test_gcj02_offset_everywhere_in_china_is_tens_to_hundreds_of_metres() -> None:
    for lon, lat in CHINA_POINTS:
        offset = geodesic_distance_m(lon, lat, *wgs84_to_gcj02(lon, lat))
        assert 10 < offset < 1500, (lon, lat, offset)


@pytest.mark.parametrize(
    ("lon", "lat"),
    [
        (139.6917, 35.6895),  # Tokyo
        (-0.1276, 51.5072),  # London
        (69.2401, 41.2995),  # Tashkent, west of the bbox
        (100.5018, 0.5),  # south of the bbox
        (0.0, 0.0),
    ],
)
def test_gcj02_is_identity_outside_china(lon: float, lat: float) -> None:
    assert wgs84_to_gcj02(lon, lat) == (lon, lat)
    assert gcj02_to_wgs84(lon, lat) == (lon, lat)


# --------------------------------------------------------------------------- CGCS2000, batch


def test_cgcs2000_is_treated_as_wgs84() -> None:
    assert cgcs2000_to_wgs84(87.6, 43.8) == (87.6, 43.8)


def test_to_wgs84_drops_extra_dimensions_and_converts() -> None:
    coords = [(87.6, 43.8, 900.0), [87.7, 43.9]]
    assert to_wgs84(coords, InputCRS.WGS84) == [(87.6, 43.8), (87.7, 43.9)]
    assert to_wgs84(coords, InputCRS.CGCS2000) == [(87.6, 43.8), (87.7, 43.9)]
    assert to_wgs84(coords, InputCRS.GCJ02) == [gcj02_to_wgs84(87.6, 43.8), gcj02_to_wgs84(87.7, 43.9)]


def test_to_wgs84_refuses_short_positions() -> None:
    with pytest.raises(ValueError, match="position 1"):
        to_wgs84([(87.6, 43.8), (87.7,)], InputCRS.WGS84)


# --------------------------------------------------------------------------- vectorised forms


def test_vectorised_gcj02_inverse_matches_the_scalar_one_within_a_centimetre() -> None:
    rng = np.random.default_rng(20240301)
    # Many points: the whole China bbox and beyond its edges (left unchanged there), and the
    # neighbourhood of the polynomials' origin (105°E, 35°N), where sqrt(|x|) is not smooth.
    lon = np.concatenate([rng.uniform(70.0, 140.0, 20_000), 105.0 + rng.normal(0, 1e-4, 500)])
    lat = np.concatenate([rng.uniform(0.0, 57.0, 20_000), 35.0 + rng.normal(0, 1e-4, 500)])
    vlon, vlat = gcj02_to_wgs84_arrays(lon, lat)
    worst = 0.0
    for i in range(len(lon)):
        slon, slat = gcj02_to_wgs84(float(lon[i]), float(lat[i]))
        worst = max(worst, geodesic_distance_m(slon, slat, float(vlon[i]), float(vlat[i])))
    assert worst < 0.01
    # Outside the bbox the points are returned exactly as given, as by the scalar function.
    outside = ~((lon >= 72.004) & (lon <= 137.8347) & (lat >= 0.8293) & (lat <= 55.8271))
    assert outside.any()
    assert (vlon[outside] == lon[outside]).all()
    assert (vlat[outside] == lat[outside]).all()


def test_vectorised_gcj02_inverse_accepts_lists_and_leaves_its_input_alone() -> None:
    lon = np.array([87.6, 87.7])
    lat = np.array([43.8, 43.9])
    out_lon, out_lat = gcj02_to_wgs84_arrays(lon.tolist(), lat.tolist())
    assert (lon == [87.6, 87.7]).all()
    assert out_lon.shape == out_lat.shape == (2,)
    for i in range(2):
        expected = gcj02_to_wgs84(float(lon[i]), float(lat[i]))
        assert geodesic_distance_m(*expected, float(out_lon[i]), float(out_lat[i])) < 0.01


def _walk(rng: Any, n: int, step_m: float, lon0: float = 87.6, lat0: float = 43.8) -> tuple[Any, Any]:
    lon = lon0 + np.cumsum(rng.normal(0, step_m / 80_000, n))
    lat = lat0 + np.cumsum(rng.normal(0, step_m / 111_000, n))
    return lon, lat


@pytest.mark.parametrize("step_m", [0.5, 3.0, 12.0, 60.0, 99.0, 150.0, 2_000.0])
def test_fast_polyline_length_matches_karney_within_a_millimetre(step_m: float) -> None:
    rng = np.random.default_rng(int(step_m * 10))
    lon, lat = _walk(rng, 20_000, step_m)
    exact = float(GEOD.line_length(lon, lat))
    assert abs(geodesic_line_length_m(lon, lat) - exact) < 0.001
    # And per segment to the nanometre scale on GPS-like steps.
    if step_m <= 12:
        short_lon, short_lat = lon[:2], lat[:2]
        assert abs(geodesic_line_length_m(short_lon, short_lat) - float(GEOD.line_length(short_lon, short_lat))) < 1e-7


@pytest.mark.parametrize(
    ("lon", "lat"),
    [
        ([0.0, 180.0, 90.0, 91.0], [89.99995, 89.99995, 89.9999, 89.9999]),  # across the pole
        ([179.9999, -179.9999, 179.9995], [10.0, 10.0, 10.0001]),  # across the antimeridian
        ([87.6, 87.6], [43.8, 43.8]),  # a repeated point
        ([73.5, 135.0], [39.0, 48.0]),  # across China in one segment
    ],
)
def test_fast_polyline_length_handles_awkward_segments_exactly(lon: list[float], lat: list[float]) -> None:
    assert geodesic_line_length_m(lon, lat) == pytest.approx(float(GEOD.line_length(lon, lat)), abs=1e-6)


def test_fast_polyline_length_of_fewer_than_two_points_is_zero() -> None:
    assert geodesic_line_length_m([], []) == 0.0
    assert geodesic_line_length_m([87.6], [43.8]) == 0.0
