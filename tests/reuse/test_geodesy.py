"""Pipeline lengths against an independent computation: Vincenty's inverse formula on the WGS84
ellipsoid, written here from the 1975 paper (not core.geo, not pyproj), checked against published
values before it is trusted."""

from __future__ import annotations

import itertools
import math

import pytest
from django.contrib.gis.geos import LineString, MultiLineString

from accounts.scope import SYSTEM_SCOPE
from reuse import services
from reuse.choices import ProjectKind
from reuse.demo import PIPELINE_ROUTE

WGS84_A = 6_378_137.0
WGS84_F = 1 / 298.257223563
WGS84_B = WGS84_A * (1 - WGS84_F)


def vincenty_m(lon1: float, lat1: float, lon2: float, lat2: float) -> float:
    """Geodesic distance on WGS84 by Vincenty's inverse method (iterating λ to 1e-12 rad)."""
    if (lon1, lat1) == (lon2, lat2):
        return 0.0
    f, a, b = WGS84_F, WGS84_A, WGS84_B
    u1 = math.atan((1 - f) * math.tan(math.radians(lat1)))
    u2 = math.atan((1 - f) * math.tan(math.radians(lat2)))
    big_l = math.radians(lon2 - lon1)
    lam = big_l
    sin_u1, cos_u1, sin_u2, cos_u2 = math.sin(u1), math.cos(u1), math.sin(u2), math.cos(u2)
    for _ in range(200):
        sin_lam, cos_lam = math.sin(lam), math.cos(lam)
        sin_sigma = math.hypot(cos_u2 * sin_lam, cos_u1 * sin_u2 - sin_u1 * cos_u2 * cos_lam)
        cos_sigma = sin_u1 * sin_u2 + cos_u1 * cos_u2 * cos_lam
        sigma = math.atan2(sin_sigma, cos_sigma)
        sin_alpha = cos_u1 * cos_u2 * sin_lam / sin_sigma
        cos2_alpha = 1 - sin_alpha**2
        cos_2sm = cos_sigma - 2 * sin_u1 * sin_u2 / cos2_alpha if cos2_alpha else 0.0
        c = f / 16 * cos2_alpha * (4 + f * (4 - 3 * cos2_alpha))
        lam_prev = lam
        lam = big_l + (1 - c) * f * sin_alpha * (
            sigma + c * sin_sigma * (cos_2sm + c * cos_sigma * (-1 + 2 * cos_2sm**2))
        )
        if abs(lam - lam_prev) < 1e-12:
            break
    else:  # pragma: no cover - only nearly antipodal points fail to converge
        raise ArithmeticError("Vincenty did not converge")
    u_sq = cos2_alpha * (a**2 - b**2) / b**2
    big_a = 1 + u_sq / 16384 * (4096 + u_sq * (-768 + u_sq * (320 - 175 * u_sq)))
    big_b = u_sq / 1024 * (256 + u_sq * (-128 + u_sq * (74 - 47 * u_sq)))
    delta_sigma = (
        big_b
        * sin_sigma
        * (
            cos_2sm
            + big_b
            / 4
            * (
                cos_sigma * (-1 + 2 * cos_2sm**2)
                - big_b / 6 * cos_2sm * (-3 + 4 * sin_sigma**2) * (-3 + 4 * cos_2sm**2)
            )
        )
    )
    return b * big_a * (sigma - delta_sigma)


def polyline_m(points: list[tuple[float, float]]) -> float:
    return math.fsum(vincenty_m(*p, *q) for p, q in itertools.pairwise(points))


def test_vincenty_reproduces_known_distances():
    # One degree of longitude on the equator is a * π / 180 exactly on the ellipsoid.
    assert vincenty_m(0, 0, 1, 0) == pytest.approx(WGS84_A * math.pi / 180, abs=1e-6)
    # One degree of latitude from the equator: 110,574.389 m on WGS84 (meridian arc tables).
    assert vincenty_m(0, 0, 0, 1) == pytest.approx(110_574.389, abs=0.01)
    # Flinders Peak → Buninyong, Vincenty (1975) / Geoscience Australia's worked example: 54,972.271 m.
    d = vincenty_m(
        144 + 25 / 60 + 29.52440 / 3600,
        -(37 + 57 / 60 + 3.72030 / 3600),
        143 + 55 / 60 + 35.38390 / 3600,
        -(37 + 39 / 60 + 10.15610 / 3600),
    )
    assert d == pytest.approx(54_972.271, abs=0.001)


@pytest.mark.django_db
@pytest.mark.parametrize(
    "parts",
    [
        [[(87.45, 43.7), (87.5, 43.75), (87.55, 43.76)]],
        [[(87.6, 43.8), (87.9, 44.2)], [(87.9, 44.2), (88.1, 44.25), (88.2, 44.1)]],  # two parts, summed
        [[(87.61, 43.81), (87.6101, 43.8101)]],  # a 13-metre spur
    ],
)
def test_pipeline_length_matches_vincenty(geography, parts):
    route = MultiLineString(*[LineString(p) for p in parts], srid=4326)
    project = services.project_create(
        scope=SYSTEM_SCOPE,
        actor="test",
        code="PL-T",
        name="管网",
        kind=ProjectKind.PIPELINE,
        division_code="650102",
        route=route,
    )
    expected = math.fsum(polyline_m(p) for p in parts)
    # Vincenty and pyproj's Karney algorithm agree to well under a millimetre at these distances.
    assert project.length_m == pytest.approx(expected, rel=1e-9, abs=1e-4)


@pytest.mark.django_db
def test_demo_pipeline_is_24_km_within_1_percent(geography):
    project = services.project_create(
        scope=SYSTEM_SCOPE,
        actor="test",
        code="PL-D",
        name="24 km",
        kind=ProjectKind.PIPELINE,
        division_code="650102",
        route=LineString(PIPELINE_ROUTE, srid=4326),
    )
    independent = polyline_m(PIPELINE_ROUTE)
    assert independent == pytest.approx(24_000, rel=0.01)
    assert project.length_m == pytest.approx(independent, abs=1e-3)
    # In degrees the same line would be "0.2" long: lengths are never taken from planar degrees.
    assert project.route.length < 1
