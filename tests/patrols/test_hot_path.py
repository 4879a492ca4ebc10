"""The patrol post's fast paths (issue 5's speed target) give the same results as the plain ones: the
column-wise time parser, the WKB writers, the fast geodesic length, the fast JSON parser (and DRF's
answers for what it refuses), the one-statement insert of a patrol and its audit row, and the bounded
search for overlapping patrols."""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import math
import random

import numpy as np
import pytest
import shapely
from django.db import connection
from django.test.utils import CaptureQueriesContext

from core.geo import GEOD
from core.models import AuditLog
from patrols import track
from patrols.models import Patrol
from patrols.track import times as track_times
from tests.patrols.conftest import T0, along, patrol_body

URL = "/api/v1/patrols/"
_EPOCH = dt.datetime(1970, 1, 1, tzinfo=dt.UTC)


def _reference_ms(values: list[str]) -> list[int] | None:
    """Epoch milliseconds by datetime.fromisoformat, one by one (floored); None if any is refused."""
    try:
        parsed = [dt.datetime.fromisoformat(v) for v in values]
    except ValueError:
        return None
    if any(p.utcoffset() is None for p in parsed):
        return None
    return [(p - _EPOCH) // dt.timedelta(milliseconds=1) for p in parsed]


def test_column_wise_time_parser_reads_exactly_what_fromisoformat_reads() -> None:
    rng = random.Random(5)
    offsets = ["Z", "+08:00", "-05:30", "+00:00", "-00:00", "+23:59", "+24:00", "+08:60", "+8:00"]
    checked = fast = 0
    for _ in range(4000):
        fraction = rng.choice(["", ".%03d", ".%06d", ".%d"])
        offset = rng.choice(offsets)
        values = []
        for _ in range(4):
            year = rng.choice([1, 4, 1900, 1969, 1970, 2000, 2024, 2100, 9999, rng.randint(0, 9999)])
            text = (
                f"{year:04d}-{rng.randint(0, 13):02d}-{rng.randint(0, 32):02d}"
                f"{rng.choice('TTTT t')}{rng.randint(0, 24):02d}:{rng.randint(0, 60):02d}:{rng.randint(0, 60):02d}"
            )
            if fraction:
                text += fraction % rng.randint(0, 999_999 if "6" in fraction else 999)
            values.append(text + offset)
        reference = _reference_ms(values)
        got = track_times._epoch_ms_fast(values)
        if got is not None:
            fast += 1
            assert reference is not None, values
            assert got.tolist() == reference, values
        checked += 1
    assert fast > 100  # the fast path was exercised, not only the fallback
    assert checked == 4000


def test_parse_times_agrees_with_the_reference_on_valid_and_odd_layouts() -> None:
    cases = [
        ["2024-05-06T09:00:00+08:00", "2024-05-06T09:00:03+08:00"],
        ["2024-05-06T01:00:00Z", "2024-05-06T01:00:00.001Z", "2024-05-06T01:00:00.002999Z"],
        ["2024-05-06T09:00:00.123456+08:00", "2024-05-06T09:00:00.124999+08:00"],
        ["2024-02-29T23:59:59-00:30", "2024-03-01T00:00:00-00:30"],
        ["1969-12-31T23:59:59.999+00:00", "1970-01-01T00:00:00+00:00"],
        # Layouts outside the fast path: parsed one by one, as before.
        ["2024-05-06 09:00:00+08:00", "2024-05-06T09:00:01.5+08:00", "2024-05-06T02:00:02+01:00"],
    ]
    for values in cases:
        assert track.parse_times(values, count=len(values)).tolist() == _reference_ms(values), values


@pytest.mark.parametrize(
    ("values", "message"),
    [
        (["2024-05-06T09:00:00+08:00", "2024-02-30T09:00:00+08:00"], "[1]: '2024-02-30T09:00:00+08:00' is not"),
        (["2024-05-06T09:00:00+08:00", "2024-05-06T24:00:00+08:00"], "[1]:"),
        (["2024-05-06T09:00:00+08:00", "2024-05-06T09:00:00+08:00"], "[1]: times must be strictly increasing"),
        (["2024-05-06T09:00:00", "2024-05-06T09:00:01"], "[0]: give the time with its UTC offset"),
        (["2024-05-06T09:00:00+08:00", "2024-05-06T09:00:0x+08:00"], "[1]:"),
    ],
)
def test_bad_times_are_still_named_by_index(values: list[str], message: str) -> None:
    with pytest.raises(track.TrackError) as exc:
        track.parse_times(values, count=len(values))
    assert exc.value.field == "times"
    assert exc.value.message.startswith(message), exc.value.message


def test_wkb_writers_write_what_shapely_writes() -> None:
    rng = np.random.default_rng(1)
    lon, lat = rng.uniform(80, 90, 300), rng.uniform(30, 40, 300)
    assert track.linestring_wkb(lon, lat) == shapely.to_wkb(shapely.linestrings(lon, lat))
    parts = [(lon[:100], lat[:100]), (lon[150:], lat[150:])]
    expected = shapely.to_wkb(shapely.multilinestrings([shapely.linestrings(a, b) for a, b in parts]))
    assert track.multilinestring_wkb(parts) == expected


def test_distance_of_a_real_shaped_track_is_karneys_within_a_millimetre(geography) -> None:
    # A walk along the east reach with GPS jitter, a spike (dropped) and a real jump (a new part).
    coords = np.array(along(geography["reach_e"], start_m=100, length_m=6000, n=2000), dtype=float)
    rng = np.random.default_rng(7)
    coords += rng.normal(0, 0.00003, coords.shape)
    coords[700] += (0.02, 0.0)
    coords[1200:] += (0.01, 0.0)
    reach = track.local_reach(bytes(geography["reach_e"].geometry.wkb), buffer_m=300)
    t_ms = np.arange(2000, dtype=np.int64) * 3000
    result = track.analyse(coords[:, 0], coords[:, 1], t_ms, reach=reach, limits=track.TrackLimits(max_speed_mps=4))
    assert result.dropped == [700]
    assert result.jumps == 1
    parts = track.cleaned_parts(2000, result.dropped, result.part_starts)
    exact = math.fsum(float(GEOD.line_length(coords[p, 0], coords[p, 1])) for p in parts)
    assert abs(result.distance_m - exact) < 0.001


# --------------------------------------------------------------------------- through the API


@pytest.mark.django_db
def test_bodies_the_fast_parser_refuses_get_drfs_answers(client_for, chiefs, geography):
    client = client_for(chiefs["township"])
    body = patrol_body(geography["reach_e"], n=50, length_m=100)
    before = Patrol.objects.count(), AuditLog.objects.count()
    # NaN is not JSON: DRF's parse error.
    text = json.dumps(body).replace('"companions": 2', '"companions": NaN')
    resp = client.post(URL, text, content_type="application/json")
    assert resp.status_code == 400
    assert "JSON parse error" in resp.json()["error"]["message"]
    # A 100-bit integer (beyond the fast parser's range): the field is named, as before.
    resp = client.post(URL, json.dumps({**body, "reach": 2**100}), content_type="application/json")
    assert resp.status_code == 400
    assert "reach" in resp.json()["error"]["fields"]
    # An empty JSON body: every required field named.
    resp = client.post(URL, b"", content_type="application/json")
    assert resp.status_code == 400
    assert {"id", "reach", "track", "times"} <= set(resp.json()["error"]["fields"])
    # Another media type: 415.
    resp = client.post(URL, json.dumps(body), content_type="text/plain")
    assert resp.status_code == 415
    assert (Patrol.objects.count(), AuditLog.objects.count()) == before
    # A body in UTF-8 with an explicit charset, and with a BOM-free non-ASCII member, is parsed.
    named = json.dumps({**body, "mode": "foot"}, ensure_ascii=False).encode()
    resp = client.post(URL, named, content_type="application/json; charset=utf-8")
    assert resp.status_code == 201, resp.content


@pytest.mark.django_db
def test_first_post_writes_the_patrol_and_its_audit_row_in_few_queries(client_for, chiefs, geography):
    body = patrol_body(geography["reach_e"])
    client = client_for(chiefs["township"])
    with CaptureQueriesContext(connection) as ctx:
        resp = client.post(URL, body, format="json")
    assert resp.status_code == 201, resp.content
    # Token (first use), resend check, appointment (with the level's rules), neighbours, the
    # transaction (a savepoint inside the test's), and one insert of patrol and audit row on
    # PostgreSQL (two on SpatiaLite).
    assert len(ctx.captured_queries) <= 9, [q["sql"][:120] for q in ctx.captured_queries]
    stored = Patrol.objects.get(pk=body["id"])
    assert stored.raw_track.num_points == 1200
    assert stored.track_preview is not None
    assert stored.track_preview.num_points >= 2
    assert stored.raw_times_ms[:3] == [0, 3000, 6000]
    assert stored.created_at is not None
    audit = AuditLog.objects.get(entity="patrols.patrol", entity_id=body["id"], action="create")
    assert audit.actor_id == chiefs["township"].pk
    assert audit.actor_label == chiefs["township"].username
    assert audit.after["raw_track"] == {
        "type": "LineString",
        "points": 1200,
        "sha256": hashlib.sha256(bytes(stored.raw_track.wkb)).hexdigest(),
    }
    assert dt.datetime.fromisoformat(audit.after["created_at"]) == stored.created_at
    assert audit.after["distance_m"] == stored.distance_m
    assert audit.after["flags"] == stored.flags == []
    assert audit.after["body_sha256"] == stored.body_sha256 != ""


@pytest.mark.django_db
def test_a_long_patrol_is_still_found_as_an_overlap(client_for, chiefs, geography, settings):
    # The search for overlapping patrols is bounded by the longest a patrol may last: one that
    # started 22 h before the new one and lasts 23 h overlaps it.
    settings.PATROL_MAX_DURATION_HOURS = 24
    client = client_for(chiefs["township"])
    long_one = patrol_body(geography["reach_e"], n=1380, step_s=60.0, start=T0 - dt.timedelta(days=2))
    assert client.post(URL, long_one, format="json").json()["flags"] == []
    late = patrol_body(geography["reach_e"], start=T0 - dt.timedelta(days=2) + dt.timedelta(hours=22))
    assert client.post(URL, late, format="json").json()["flags"] == ["overlap"]
    assert Patrol.objects.get(pk=long_one["id"]).flags == ["overlap"]
    # One that ended before the new one started is none.
    after = patrol_body(geography["reach_e"], start=T0 - dt.timedelta(days=2) + dt.timedelta(hours=24))
    assert client.post(URL, after, format="json").json()["flags"] == []


@pytest.mark.django_db
def test_gcj02_post_through_the_api_matches_the_scalar_conversion(client_for, chiefs, geography):
    from core.geo import gcj02_to_wgs84, geodesic_distance_m, wgs84_to_gcj02

    body = patrol_body(geography["reach_e"], n=300, length_m=600)
    wgs = body["track"]["coordinates"]
    body["track"]["coordinates"] = [list(wgs84_to_gcj02(lon, lat)) for lon, lat in wgs]
    body["crs"] = "GCJ-02"
    resp = client_for(chiefs["township"]).post(URL, body, format="json")
    assert resp.status_code == 201, resp.content
    stored = Patrol.objects.get(pk=body["id"]).raw_track.coords
    for (glon, glat), (slon, slat) in zip(body["track"]["coordinates"], stored, strict=True):
        assert geodesic_distance_m(*gcj02_to_wgs84(glon, glat), slon, slat) < 0.01


@pytest.mark.django_db(transaction=True)
def test_outside_a_transaction_a_patrol_is_one_statement_and_a_refused_insert_leaves_nothing(
    client_for, chiefs, geography
):
    # As gunicorn serves it (autocommit, no caller's transaction): on PostgreSQL a patrol that
    # overlaps nothing is written by its one INSERT (patrol and audit row), without BEGIN/COMMIT.
    client = client_for(chiefs["township"])
    body = patrol_body(geography["reach_e"], n=300)
    with CaptureQueriesContext(connection) as ctx:
        resp = client.post(URL, body, format="json")
    assert resp.status_code == 201, resp.content
    statements = [q["sql"].split()[0].upper() for q in ctx.captured_queries]
    if connection.vendor == "postgresql":
        assert "BEGIN" not in statements, statements
        assert "COMMIT" not in statements, statements
        assert not any(s.startswith("SAVEPOINT") for s in statements), statements
    assert AuditLog.objects.filter(entity="patrols.patrol", entity_id=body["id"], action="create").count() == 1

    # The same content in another JSON layout takes the full path; its insert is refused by the
    # primary key, and the connection stays usable to answer with the stored patrol.
    relaid = json.dumps(body, indent=1).encode()
    resp = client.post(URL, relaid, content_type="application/json")
    assert resp.status_code == 200, resp.content
    assert resp.json()["id"] == body["id"]
    # Other content under the id: 409, nothing written.
    before = (Patrol.objects.count(), AuditLog.objects.count())
    resp = client.post(URL, {**body, "companions": 0}, format="json")
    assert resp.status_code == 409, resp.content
    assert (Patrol.objects.count(), AuditLog.objects.count()) == before

    # An overlapping patrol flags the other one too: several statements, in one transaction.
    later = patrol_body(geography["reach_e"], n=300, start=T0 + dt.timedelta(minutes=5))
    resp = client.post(URL, later, format="json")
    assert resp.status_code == 201, resp.content
    assert resp.json()["flags"] == ["overlap"]
    assert Patrol.objects.get(pk=body["id"]).flags == ["overlap"]
    assert AuditLog.objects.filter(entity="patrols.patrol", entity_id=body["id"], action="update").count() == 1
