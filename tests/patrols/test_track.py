"""Track handling without a database: parsing and its refusals, GCJ-02, cleaning, geodesic distance
against an independent formula, coverage and flags; and photo inspection (Pillow only)."""

from __future__ import annotations

import datetime as dt
import io
import math

import numpy as np
import pytest
import shapely
from PIL import Image

from core.geo import InputCRS, geodesic_distance_m, wgs84_to_gcj02
from patrols import track
from patrols.choices import PatrolFlag
from patrols.photos import PhotoError, inspect_photo
from patrols.track import TrackError, TrackLimits, analyse, clean, cleaned_parts, local_reach, parse_positions
from places import demo_geography

BJ = dt.timezone(dt.timedelta(hours=8))
FOOT = TrackLimits(max_speed_mps=4.0)


def _river() -> list[tuple[float, float]]:
    """The demo Urumqi river (HL-650100-01), a real-shaped polyline of about 150 km."""
    river = next(r for r in demo_geography.RIVERS if r["code"] == "HL-650100-01")
    return [tuple(p) for part in river["parts"] for p in part]  # type: ignore[misc]


def _reach(coords: list[tuple[float, float]]) -> track.LocalReach:
    return local_reach(shapely.to_wkb(shapely.multilinestrings([shapely.linestrings(coords)])), buffer_m=300)


def _walk(coords: list[tuple[float, float]], n: int, *, start: float = 0.0, stop: float = 1.0) -> np.ndarray:
    """n lon/lat points along the polyline from fraction `start` to `stop` of its length (computed in the
    local plane), with a small meander so the track is not the reach itself."""
    reach = _reach(coords)
    line = shapely.get_geometry(reach.line, 0)
    d = np.linspace(start * reach.length_m, stop * reach.length_m, n)
    xy = shapely.get_coordinates(shapely.line_interpolate_point(line, d))
    xy[:, 0] += 25 * np.sin(d / 300.0)
    lon, lat = reach.unproject(xy[:, 0], xy[:, 1])
    return np.column_stack([lon, lat])


def _times(n: int, step_s: float = 3.0) -> np.ndarray:
    t0 = dt.datetime(2024, 5, 6, 9, tzinfo=BJ).timestamp() * 1000
    return (t0 + np.arange(n) * step_s * 1000).astype(np.int64)


# --------------------------------------------------------------------------- an independent geodesic


def vincenty_m(lon1: float, lat1: float, lon2: float, lat2: float) -> float:
    """Vincenty's inverse formula on WGS84 (1975): an algorithm independent of Karney's, which pyproj
    uses; the two agree to well under a millimetre for points this close."""
    a, f = 6378137.0, 1 / 298.257223563
    b = (1 - f) * a
    if (lon1, lat1) == (lon2, lat2):
        return 0.0
    u1, u2 = math.atan((1 - f) * math.tan(math.radians(lat1))), math.atan((1 - f) * math.tan(math.radians(lat2)))
    big_l = math.radians(lon2 - lon1)
    lam = big_l
    for _ in range(200):
        sin_l, cos_l = math.sin(lam), math.cos(lam)
        sin_s = math.hypot(math.cos(u2) * sin_l, math.cos(u1) * math.sin(u2) - math.sin(u1) * math.cos(u2) * cos_l)
        cos_s = math.sin(u1) * math.sin(u2) + math.cos(u1) * math.cos(u2) * cos_l
        sigma = math.atan2(sin_s, cos_s)
        sin_a = math.cos(u1) * math.cos(u2) * sin_l / sin_s
        cos2_a = 1 - sin_a**2
        cos_2sm = cos_s - 2 * math.sin(u1) * math.sin(u2) / cos2_a
        c = f / 16 * cos2_a * (4 + f * (4 - 3 * cos2_a))
        prev = lam
        lam = big_l + (1 - c) * f * sin_a * (sigma + c * sin_s * (cos_2sm + c * cos_s * (-1 + 2 * cos_2sm**2)))
        if abs(lam - prev) < 1e-13:
            break
    u_sq = cos2_a * (a**2 - b**2) / b**2
    big_a = 1 + u_sq / 16384 * (4096 + u_sq * (-768 + u_sq * (320 - 175 * u_sq)))
    big_b = u_sq / 1024 * (256 + u_sq * (-128 + u_sq * (74 - 47 * u_sq)))
    d_sigma = (
        big_b
        * sin_s
        * (
            cos_2sm
            + big_b
            / 4
            * (cos_s * (-1 + 2 * cos_2sm**2) - big_b / 6 * cos_2sm * (-3 + 4 * sin_s**2) * (-3 + 4 * cos_2sm**2))
        )
    )
    return b * big_a * (sigma - d_sigma)


def test_distance_matches_an_independent_geodesic_on_a_real_shaped_track():
    river = _river()
    pts = _walk(river, 3000)
    result = analyse(pts[:, 0], pts[:, 1], _times(3000), reach=_reach(river), limits=TrackLimits(max_speed_mps=42))
    expected = math.fsum(vincenty_m(*pts[i], *pts[i + 1]) for i in range(len(pts) - 1))
    assert result.points_kept == 3000
    assert expected > 100_000  # the whole demo river
    assert result.distance_m == pytest.approx(expected, abs=0.01)  # a centimetre over ~150 km
    # A planar length in degrees would be off by tens of percent at 43.8° N: the check has teeth.
    planar = float(np.hypot(np.diff(pts[:, 0]), np.diff(pts[:, 1])).sum()) * 111_320
    assert abs(planar - expected) > 1000


def test_gcj02_input_lands_within_a_metre_of_the_wgs84_truth():
    truth = _walk(_river(), 400)
    gcj = [list(wgs84_to_gcj02(float(lon), float(lat))) for lon, lat in truth]
    # The offset is hundreds of metres, so reading GCJ-02 as WGS84 would be far off.
    assert geodesic_distance_m(*gcj[0], *truth[0]) > 100
    lon, lat = parse_positions({"type": "LineString", "coordinates": gcj}, crs=InputCRS.GCJ02, max_points=1000)
    worst = max(geodesic_distance_m(lon[i], lat[i], *truth[i]) for i in range(len(truth)))
    assert worst < 1.0


def test_cgcs2000_is_taken_as_wgs84():
    coords = [[87.6, 43.8], [87.61, 43.81]]
    lon, lat = parse_positions({"type": "LineString", "coordinates": coords}, crs=InputCRS.CGCS2000, max_points=10)
    assert lon.tolist() == [87.6, 87.61]
    assert lat.tolist() == [43.8, 43.81]


# --------------------------------------------------------------------------- refusals


def _line(coords: object) -> dict:
    return {"type": "LineString", "coordinates": coords}


@pytest.mark.parametrize(
    ("track_obj", "code", "needle"),
    [
        (_line([[87.6, 43.8]]), "too_short", "at least 2"),
        (_line([]), "too_short", "at least 2"),
        ({"type": "Point", "coordinates": [87.6, 43.8]}, "invalid", "LineString"),
        ([[87.6, 43.8], [87.7, 43.9]], "invalid", "GeoJSON LineString"),
        (_line([[87.6, 43.8], [87.6, "43.9"]]), "invalid", "coordinates[1][1]"),
        (_line([[87.6, 43.8], [87.6, True]]), "invalid", "coordinates[1][1]"),
        (_line([[87.6, 43.8], [87.6]]), "invalid", "coordinates[1]"),
        (_line([[87.6, 43.8], [2.35, 48.85]]), "out_of_bounds", "coordinates[1]"),
        (_line([[87.6, 43.8], [87.6, 43.8], [87.6, 43.8]]), "degenerate", "same point"),
        (_line([[87.6, 43.8], [87.7, 43.8, "high"]]), "invalid", "coordinates[1][2]"),
    ],
)
def test_bad_tracks_are_refused_naming_the_problem(track_obj, code, needle):
    with pytest.raises(TrackError) as exc:
        parse_positions(track_obj, crs=InputCRS.WGS84, max_points=20_000)
    assert exc.value.field == "track"
    assert exc.value.code == code
    assert needle in exc.value.message


def test_a_huge_track_is_refused_before_it_is_walked():
    coords = [[87.6 + i * 1e-6, 43.8] for i in range(100_000)]
    coords[5] = "garbage"  # never looked at: the size check comes first
    with pytest.raises(TrackError) as exc:
        parse_positions(_line(coords), crs=InputCRS.WGS84, max_points=20_000)
    assert exc.value.code == "too_many_points"
    assert "20000" in exc.value.message


@pytest.mark.parametrize(
    ("times", "needle"),
    [
        (["2024-05-06T09:00:00+08:00"], "1 times for 2 positions"),
        (["2024-05-06T09:00:00+08:00", "2024-05-06T09:00:00+08:00"], "strictly increasing"),
        (["2024-05-06T09:00:05+08:00", "2024-05-06T09:00:00+08:00"], "strictly increasing"),
        (["2024-05-06T09:00:00", "2024-05-06T09:00:03"], "UTC offset"),
        (["2024-05-06T09:00:00+08:00", 1714957203], "[1]: expected an ISO 8601 time string"),
        (["2024-05-06T09:00:00+08:00", "yesterday"], "not an ISO 8601 time"),
        ("2024-05-06T09:00:00+08:00", "expected an array"),
    ],
)
def test_bad_times_are_refused(times, needle):
    with pytest.raises(TrackError) as exc:
        track.parse_times(times, count=2)
    assert exc.value.field == "times"
    assert needle in exc.value.message


def test_times_with_mixed_offsets_are_read_each_in_its_own_offset():
    ms = track.parse_times(["2024-05-06T09:00:00+08:00", "2024-05-06T01:00:03Z", "2024-05-06T07:00:04+06:00"], count=3)
    assert np.diff(ms).tolist() == [3000, 1000]


# --------------------------------------------------------------------------- cleaning and flags


def test_a_spike_is_dropped_and_not_counted():
    river = _river()
    pts = _walk(river, 1000, stop=0.02)  # ~3 km at 3 s a point: a walk
    spiked = pts.copy()
    spiked[500] = spiked[500] + [0.02, 0.0]  # 1.6 km off, and back 3 s later
    reach = _reach(river)
    clean_result = analyse(pts[:, 0], pts[:, 1], _times(1000), reach=reach, limits=FOOT)
    spiked_result = analyse(spiked[:, 0], spiked[:, 1], _times(1000), reach=reach, limits=FOOT)
    assert spiked_result.dropped == [500]
    assert spiked_result.points_kept == 999
    assert PatrolFlag.TELEPORT not in spiked_result.flags
    # Dropping one point of a smooth walk shortens it by well under a metre, not by 3.2 km.
    assert spiked_result.distance_m == pytest.approx(clean_result.distance_m, abs=1.0)


def test_speed_limits_depend_on_the_mode():
    river = _river()
    pts = _walk(river, 200, stop=0.08)  # ~12 km in 10 minutes: 20 m/s
    reach = _reach(river)
    by_car = analyse(pts[:, 0], pts[:, 1], _times(200), reach=reach, limits=TrackLimits(max_speed_mps=42))
    on_foot = analyse(pts[:, 0], pts[:, 1], _times(200), reach=reach, limits=FOOT)
    assert by_car.points_kept == 200
    assert on_foot.points_kept < 20  # nobody walks at 20 m/s


def test_a_real_jump_is_kept_as_a_new_part_and_flagged():
    river = _river()
    a = _walk(river, 300, start=0.0, stop=0.006)
    b = _walk(river, 300, start=0.2, stop=0.206)  # signal lost, found again 30 km on, 3 s later
    pts = np.vstack([a, b])
    result = analyse(pts[:, 0], pts[:, 1], _times(600), reach=_reach(river), limits=FOOT)
    assert result.flags == [PatrolFlag.TELEPORT]
    assert result.points_kept == 600
    assert result.part_starts == [0, 300]
    parts_length = sum(math.fsum(vincenty_m(*p[i], *p[i + 1]) for i in range(len(p) - 1)) for p in (a, b))
    assert result.distance_m == pytest.approx(parts_length, abs=0.05)  # the jump itself is not counted
    assert shapely.get_num_geometries(shapely.from_wkb(result.track_wkb)) == 2


def test_a_stale_first_fix_is_dropped_without_a_teleport_flag():
    river = _river()
    pts = _walk(river, 300, stop=0.006)
    pts[0] = pts[0] + [0.05, 0.05]
    result = analyse(pts[:, 0], pts[:, 1], _times(300), reach=_reach(river), limits=FOOT)
    assert result.dropped == [0]
    assert result.flags == []


def test_clean_round_trips_through_the_stored_indices():
    rng = np.random.default_rng(3)
    x = np.cumsum(rng.normal(3, 1, 500))
    y = np.cumsum(rng.normal(0, 1, 500))
    x[[50, 51, 300]] += 5000  # a two-point excursion and a spike
    x[400:] += 50_000  # a jump
    t = np.arange(500) * 3.0
    cleaned = clean(x, y, t, FOOT)
    rebuilt = cleaned_parts(500, cleaned.dropped, [int(p[0]) for p in cleaned.parts])
    assert [p.tolist() for p in rebuilt] == [p.tolist() for p in cleaned.parts]
    assert {50, 51, 300} <= set(cleaned.dropped)
    assert cleaned.jumps == 1


def test_standing_still_is_flagged_stationary():
    rng = np.random.default_rng(1)
    river = _river()
    centre = np.array(river[3])
    pts = centre + rng.normal(0, 0.00005, (600, 2))  # GPS wander of a few metres for 30 minutes
    result = analyse(pts[:, 0], pts[:, 1], _times(600), reach=_reach(river), limits=FOOT)
    assert PatrolFlag.STATIONARY in result.flags
    assert result.distance_m > 100  # the wander adds up: which is why it is flagged for review


def test_a_track_away_from_the_reach_is_flagged_and_covers_nothing():
    river = _river()
    far = _walk(river, 600, stop=0.01) + np.array([0.03, 0.0])  # 2.4 km east of the river
    result = analyse(far[:, 0], far[:, 1], _times(600), reach=_reach(river), limits=FOOT)
    assert PatrolFlag.OUTSIDE_REACH in result.flags
    assert result.inside_share == 0.0
    assert result.coverage == 0.0


def test_coverage_is_the_share_of_the_reach_near_the_track():
    river = _river()
    reach = _reach(river)
    half = _walk(river, 4000, stop=0.5)
    result = analyse(half[:, 0], half[:, 1], _times(4000), reach=reach, limits=TrackLimits(max_speed_mps=42))
    # Half the reach, plus the 200 m buffer beyond the track's far end.
    assert result.coverage == pytest.approx(0.5 + 200 / reach.length_m, abs=0.01)
    assert result.inside_share == 1.0
    assert result.flags == []


def test_flag_names_match_the_model_choices():
    assert {track.FLAG_TELEPORT, track.FLAG_STATIONARY, track.FLAG_OUTSIDE_REACH} <= set(PatrolFlag.values)


def test_buffers_are_metric_whatever_the_latitude():
    # The same 300 m-wide buffer at 20° N and at 50° N: built in metres, not in degrees.
    widths = []
    for lat in (20.0, 50.0):
        reach = _reach([(100.0, lat), (100.0, lat + 0.1)])
        # Two 300 m bands plus the round caps at the ends.
        widths.append((reach.buffer.area - math.pi * 300**2) / reach.length_m)
    assert widths[0] == pytest.approx(600, rel=0.01)
    assert widths[1] == pytest.approx(600, rel=0.01)


# --------------------------------------------------------------------------- photos


def _jpeg(*, exif: Image.Exif | None = None, size: tuple[int, int] = (64, 48), fmt: str = "JPEG") -> io.BytesIO:
    buf = io.BytesIO()
    kwargs = {"exif": exif} if exif is not None else {}
    Image.new("RGB", size, (30, 120, 200)).save(buf, format=fmt, **kwargs)
    buf.seek(0)
    return buf


def exif_with(taken: str, lon: float, lat: float, offset: str | None = "+08:00") -> Image.Exif:
    exif = Image.Exif()
    ifd = exif.get_ifd(0x8769)
    ifd[0x9003] = taken
    if offset:
        ifd[0x9011] = offset
    gps = exif.get_ifd(0x8825)

    def dms(v: float) -> tuple[float, float, float]:
        d = int(v)
        m = int((v - d) * 60)
        return (float(d), float(m), round((v - d - m / 60) * 3600, 4))

    gps[1], gps[2], gps[3], gps[4] = "N", dms(lat), "E", dms(lon)
    return exif


def test_photo_exif_time_and_position_are_read():
    info = inspect_photo(_jpeg(exif=exif_with("2024:05:06 09:30:00", 87.63, 43.86)), max_pixels=10**7, default_tz=BJ)
    assert info.content_type == "image/jpeg"
    assert info.taken_at == dt.datetime(2024, 5, 6, 9, 30, tzinfo=BJ)
    assert info.lon == pytest.approx(87.63, abs=1e-5)
    assert info.lat == pytest.approx(43.86, abs=1e-5)


def test_photo_without_offset_is_read_in_the_default_zone():
    info = inspect_photo(
        _jpeg(exif=exif_with("2024:05:06 09:30:00", 87.63, 43.86, offset=None)), max_pixels=10**7, default_tz=dt.UTC
    )
    assert info.taken_at == dt.datetime(2024, 5, 6, 9, 30, tzinfo=dt.UTC)


def test_png_without_exif_is_accepted_with_nothing_read():
    info = inspect_photo(_jpeg(fmt="PNG"), max_pixels=10**7, default_tz=BJ)
    assert (info.content_type, info.taken_at, info.lon) == ("image/png", None, None)


@pytest.mark.parametrize(
    ("data", "code"),
    [
        (io.BytesIO(b"%PDF-1.4 not an image at all"), "not_an_image"),
        (_jpeg(fmt="GIF"), "unsupported_image"),
        (_jpeg(size=(4000, 3000)), "too_many_pixels"),
        (io.BytesIO(_jpeg().getvalue()[:200]), "damaged_image"),
    ],
)
def test_photos_that_are_not_acceptable_images_are_refused(data, code):
    with pytest.raises(PhotoError) as exc:
        inspect_photo(data, max_pixels=10_000_000, default_tz=BJ)
    assert exc.value.code == code
