"""POST /api/v1/patrols/ and the patrol ledger: figures computed by the server, the idempotent resend,
bad input (400 naming the field, nothing written), the permission matrix, scoping, filters, exports,
validity rules, overlap, review, and a reach's chiefs."""

from __future__ import annotations

import copy
import datetime as dt
import io
import json
import math
import uuid

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from openpyxl import load_workbook

from core.geo import GEOD
from core.models import AuditLog
from patrols.models import Patrol
from tests.patrols.conftest import BJ, T0, along, patrol_body

pytestmark = pytest.mark.django_db
URL = "/api/v1/patrols/"


def _counts() -> tuple[int, int]:
    return Patrol.objects.count(), AuditLog.objects.count()


def test_post_computes_the_figures_and_ignores_the_clients(client_for, chiefs, geography):
    body = patrol_body(geography["reach_e"], distance_km=999, person_times=42)
    resp = client_for(chiefs["township"]).post(URL, body, format="json")
    assert resp.status_code == 201, resp.content
    out = resp.json()
    coords = body["track"]["coordinates"]
    expected = GEOD.line_length([c[0] for c in coords], [c[1] for c in coords])
    assert out["distance_m"] == pytest.approx(expected, abs=0.01)
    assert out["distance_km"] == round(expected / 1000, 3) != 999
    assert out["person_times"] == 3  # the chief and two companions, once: not 3 × the distance
    assert out["level"] == "township"
    assert out["valid"] is True
    assert out["flags"] == []
    assert out["review_status"] == "not_required"
    assert out["points_received"] == out["points_kept"] == 1200
    assert out["track_duration_s"] == pytest.approx(3597)
    stored = Patrol.objects.get(pk=body["id"])
    assert stored.raw_track.num_points == 1200
    assert len(stored.raw_times_ms) == 1200
    assert stored.raw_times_ms[-1] == 3597_000
    assert AuditLog.objects.filter(entity="patrols.patrol", entity_id=body["id"], action="create").count() == 1


def test_resend_of_the_same_body_returns_the_stored_patrol(client_for, chiefs, geography):
    body = patrol_body(geography["reach_e"])
    client = client_for(chiefs["township"])
    first = client.post(URL, body, format="json")
    before = _counts()
    again = client.post(URL, body, format="json")
    assert (first.status_code, again.status_code) == (201, 200)
    assert again.json() == first.json()
    assert _counts() == before


def test_resend_of_the_same_content_in_another_layout_is_recognised(client_for, chiefs, geography):
    body = patrol_body(geography["reach_e"])
    client = client_for(chiefs["township"])
    client.post(URL, body, format="json")
    before = _counts()
    reordered = json.dumps(dict(reversed(list(body.items()))), indent=1)
    resp = client.post(URL, reordered, content_type="application/json")
    assert resp.status_code == 200
    assert resp.json()["id"] == body["id"]
    assert _counts() == before


def test_another_body_under_the_same_id_is_a_conflict(client_for, chiefs, geography):
    body = patrol_body(geography["reach_e"])
    client = client_for(chiefs["township"])
    client.post(URL, body, format="json")
    village = client_for(chiefs["village"])  # its token's audit row comes before the count
    before = _counts()
    changed = copy.deepcopy(body)
    changed["companions"] = 5
    resp = client.post(URL, changed, format="json")
    assert resp.status_code == 409
    assert resp.json()["error"]["code"] == "patrol_id_conflict"
    assert "id" in resp.json()["error"]["fields"]
    assert _counts() == before
    # Another chief reusing the id is a conflict too, and learns nothing about the stored patrol.
    other = village.post(URL, body, format="json")
    assert other.status_code == 409


def test_idempotency_key_replays_too(client_for, chiefs, geography):
    body = patrol_body(geography["reach_e"])
    client = client_for(chiefs["township"])
    a = client.post(URL, body, format="json", HTTP_IDEMPOTENCY_KEY="k-1")
    b = client.post(URL, body, format="json", HTTP_IDEMPOTENCY_KEY="k-1")
    assert a.status_code == b.status_code == 201
    assert b["Idempotent-Replayed"] == "true"
    assert Patrol.objects.count() == 1


def _bad(body: dict, **changes) -> dict:
    out = copy.deepcopy(body)
    for key, value in changes.items():
        if value is ...:
            out.pop(key)
        else:
            out[key] = value
    return out


def _track(coords):
    return {"type": "LineString", "coordinates": coords}


NOW = dt.datetime.now(tz=BJ).replace(microsecond=0)
FUTURE = NOW + dt.timedelta(days=2)


@pytest.mark.parametrize(
    ("case", "field"),
    [
        ("one_point", "track"),
        ("times_count", "times"),
        ("times_not_increasing", "times"),
        ("end_before_start", "ended_at"),
        ("future", "ended_at"),
        ("future_times", "times"),
        ("outside_china", "track"),
        ("all_same", "track"),
        ("too_many_points", "track"),
        ("unknown_reach", "reach"),
        ("other_chiefs_reach", "reach"),
        ("bad_mode", "mode"),
        ("bad_crs", "crs"),
        ("bad_id", "id"),
        ("naive_start", "started_at"),
        ("missing_times", "times"),
        ("unknown_field", "colour"),
        ("negative_companions", "companions"),
        ("times_outside_patrol", "times"),
        ("too_long", "ended_at"),
    ],
)
def test_bad_input_is_400_naming_the_field_and_writes_nothing(client_for, chiefs, geography, case, field):
    reach = geography["reach_e"]
    body = patrol_body(reach, n=50, length_m=200)
    coords = body["track"]["coordinates"]
    times = body["times"]
    bad = {
        "one_point": lambda: _bad(body, track=_track(coords[:1]), times=times[:1]),
        "times_count": lambda: _bad(body, times=times[:-1]),
        "times_not_increasing": lambda: _bad(body, times=[*times[:10], times[8], *times[11:]]),
        "end_before_start": lambda: _bad(body, ended_at=(T0 - dt.timedelta(minutes=1)).isoformat()),
        "future": lambda: _bad(body, ended_at=FUTURE.isoformat()),
        "future_times": lambda: _bad(
            patrol_body(reach, n=50, length_m=200, start=NOW - dt.timedelta(minutes=10), step_s=30),
            ended_at=NOW.isoformat(),
        ),
        "outside_china": lambda: _bad(body, track=_track([[2.35, 48.85], *coords[1:]])),
        "all_same": lambda: _bad(body, track=_track([coords[0]] * len(coords))),
        "too_many_points": lambda: patrol_body(
            reach, coords=[[87.7 + i * 1e-7, 43.9] for i in range(100_000)], step_s=0.1
        ),
        "unknown_reach": lambda: _bad(body, reach=987654),
        "other_chiefs_reach": lambda: _bad(body, reach=geography["reach_w"].pk),
        "bad_mode": lambda: _bad(body, mode="horse"),
        "bad_crs": lambda: _bad(body, crs="EPSG:3857"),
        "bad_id": lambda: _bad(body, id="patrol-1"),
        "naive_start": lambda: _bad(body, started_at="2024-05-06T09:00:00"),
        "missing_times": lambda: _bad(body, times=...),
        "unknown_field": lambda: _bad(body, colour="blue"),
        "negative_companions": lambda: _bad(body, companions=-1),
        "times_outside_patrol": lambda: _bad(
            body, started_at=(T0 + dt.timedelta(hours=1)).isoformat(), ended_at=(T0 + dt.timedelta(hours=2)).isoformat()
        ),
        "too_long": lambda: _bad(body, ended_at=(T0 + dt.timedelta(hours=30)).isoformat()),
    }[case]()
    client = client_for(chiefs["township"])  # issuing its token writes an audit row: before counting
    before = _counts()
    resp = client.post(URL, bad, format="json")
    assert resp.status_code == 400, resp.content
    error = resp.json()["error"]
    assert field in error["fields"], error
    assert error["fields"][field][0]
    assert _counts() == before


@pytest.mark.parametrize("field", ["id", "reach", "started_at", "ended_at", "mode", "track", "times"])
def test_a_required_member_sent_as_null_is_400_naming_it(client_for, chiefs, geography, field):
    # Found by schemathesis: "times": null reached the service as a missing key (a 500).
    body = patrol_body(geography["reach_e"], n=50, length_m=200)
    client = client_for(chiefs["township"])  # its token's audit row comes before the count
    before = _counts()
    resp = client.post(URL, {**body, field: None}, format="json")
    assert resp.status_code == 400, resp.content
    # `reach` may be null when a `lake` takes its place (issue 19); without one it is still a 400.
    expected = "Give a reach or a lake." if field == "reach" else "This field may not be null."
    assert resp.json()["error"]["fields"][field] == [expected]
    assert _counts() == before


def test_gcj02_track_is_stored_in_wgs84(client_for, chiefs, geography):
    from core.geo import wgs84_to_gcj02

    body = patrol_body(geography["reach_e"], n=100, length_m=300)
    truth = body["track"]["coordinates"]
    body["track"] = _track([list(wgs84_to_gcj02(lon, lat)) for lon, lat in truth])
    body["crs"] = "GCJ-02"
    assert client_for(chiefs["township"]).post(URL, body, format="json").status_code == 201
    stored = Patrol.objects.get(pk=body["id"]).raw_track
    from core.geo import geodesic_distance_m

    assert max(geodesic_distance_m(*stored.coords[i], *truth[i]) for i in range(100)) < 1.0


@pytest.mark.parametrize("who", ["city_reviewer", "admin", "operator", "device"])
def test_only_chiefs_post_patrols(client_for, users, chiefs, geography, who):
    resp = client_for(users[who]).post(URL, patrol_body(geography["reach_e"], n=20), format="json")
    assert resp.status_code == 403
    assert Patrol.objects.count() == 0


def test_anonymous_is_401(client_for, geography):
    assert client_for(None).post(URL, {}, format="json").status_code == 401
    assert client_for(None).get(URL).status_code == 401


@pytest.fixture
def three_patrols(client_for, chiefs, geography):
    """township and village chiefs on the east reach, the west chief on the west reach."""
    ids = {}
    for who, reach, start in [
        ("township", "reach_e", T0),
        ("village", "reach_e", T0 + dt.timedelta(days=1)),
        ("west", "reach_w", T0 + dt.timedelta(days=2)),
    ]:
        body = patrol_body(geography[reach], start=start, n=300)
        assert client_for(chiefs[who]).post(URL, body, format="json").status_code == 201
        ids[who] = body["id"]
    return ids


EXPECTED_LIST = {
    "admin": {"township", "village", "west"},
    "city_reviewer": {"township", "village", "west"},
    "reviewer_650103": {"west"},
    "no_jurisdiction": set(),
}


@pytest.mark.parametrize("who", sorted(EXPECTED_LIST))
def test_list_is_scoped(client_for, users, three_patrols, who):
    body = client_for(users[who]).get(URL).json()
    assert body["type"] == "FeatureCollection"
    assert {f["id"] for f in body["features"]} == {three_patrols[k] for k in EXPECTED_LIST[who]}


def test_chiefs_see_their_own_and_their_reaches_patrols(client_for, chiefs, three_patrols):
    for who, expected in [("township", {"township", "village"}), ("west", {"west"})]:
        body = client_for(chiefs[who]).get(URL).json()
        assert {f["id"] for f in body["features"]} == {three_patrols[k] for k in expected}


@pytest.mark.parametrize(
    ("who", "patrol", "status"),
    [
        ("reviewer_650103", "township", 404),
        ("reviewer_650103", "west", 200),
        ("chief_650102", "west", 404),
        ("operator", "west", 403),
        ("device", "west", 403),
        ("admin", "west", 200),
    ],
)
def test_detail_permissions(client_for, users, three_patrols, who, patrol, status):
    resp = client_for(users[who]).get(f"{URL}{three_patrols[patrol]}/")
    assert resp.status_code == status


def test_detail_has_the_cleaned_and_the_raw_track(client_for, users, chiefs, geography):
    body = patrol_body(geography["reach_e"], n=200)
    body["track"]["coordinates"][100] = [body["track"]["coordinates"][100][0] + 0.02, 43.85]
    client_for(chiefs["township"]).post(URL, body, format="json")
    admin = client_for(users["admin"])
    cleaned = admin.get(f"{URL}{body['id']}/").json()
    raw = admin.get(f"{URL}{body['id']}/?geometry=raw").json()
    assert cleaned["properties"]["dropped_points"] == [100]
    assert len(cleaned["geometry"]["coordinates"][0]) == 199
    assert len(raw["geometry"]["coordinates"]) == 200
    assert raw["properties"]["times"][0] == T0.isoformat()


def test_list_query_count_does_not_grow(client_for, users, chiefs, geography):
    client = client_for(chiefs["township"])
    for i in range(6):
        client.post(
            URL, patrol_body(geography["reach_e"], n=50, length_m=200, start=T0 + dt.timedelta(days=i)), format="json"
        )
    reader = client_for(users["city_reviewer"])
    with CaptureQueriesContext(connection) as ctx:
        resp = reader.get(URL)
    assert resp.json()["count"] == 6
    assert len(ctx.captured_queries) <= 5, [q["sql"] for q in ctx.captured_queries]


def test_filters_and_bbox(client_for, users, three_patrols, geography):
    c = client_for(users["admin"])

    def ids(query: str) -> set[str]:
        resp = c.get(f"{URL}?{query}")
        assert resp.status_code == 200, resp.content
        return {f["id"] for f in resp.json()["features"]}

    assert ids("level=village") == {three_patrols["village"], three_patrols["west"]}
    assert ids(f"reach={geography['reach_w'].pk}") == {three_patrols["west"]}
    assert ids("division=650102") == {three_patrols["township"], three_patrols["village"]}
    assert ids("start=2024-05-07&end=2024-05-07") == {three_patrols["village"]}
    assert ids(f"chief={geography['reach_e'].pk and users['chief_650102'].pk}") == {three_patrols["township"]}
    assert ids("bbox=87.59,43.79,87.70,43.90") == {three_patrols["township"], three_patrols["village"]}
    # 15-minute patrols: short of the 30-minute minimum of township and village chiefs.
    assert ids("valid=false") == set(three_patrols.values())
    assert ids("valid=true") == set()
    bad = c.get(f"{URL}?start=2024-05-07&end=2024-05-01")
    assert bad.status_code == 400
    assert "end" in bad.json()["error"]["fields"]
    assert c.get(f"{URL}?level=emperor").status_code == 400


def test_export_csv_and_xlsx(client_for, users, three_patrols):
    c = client_for(users["city_reviewer"])
    csv_resp = c.get(f"{URL}export/?format=csv&division=650102")
    assert csv_resp.status_code == 200
    text = csv_resp.content.decode("utf-8-sig")
    assert text.splitlines()[0].startswith("Id,")
    assert len(text.splitlines()) == 3
    xlsx = c.get(f"{URL}export/?format=xlsx")
    ws = load_workbook(io.BytesIO(xlsx.content)).active
    assert ws.max_row == 2 + 3
    assert isinstance(ws["K3"].value, float)  # distance in km, a number
    assert c.get(f"{URL}export/?format=pdf").status_code == 400
    assert client_for(users["operator"]).get(f"{URL}export/").status_code == 403


def test_validity_rules_of_the_level(client_for, chiefs, geography):
    # 20 minutes and 800 m: short of the township minimums (30 min, 2 km, domain.md §4.2).
    body = patrol_body(geography["reach_e"], n=400, length_m=800)
    out = client_for(chiefs["township"]).post(URL, body, format="json").json()
    assert out["valid"] is False
    assert out["invalid_reasons"] == ["duration_below_minimum", "length_below_minimum"]


def test_overlapping_patrols_of_one_chief_are_both_flagged(client_for, chiefs, geography):
    client = client_for(chiefs["township"])
    first = patrol_body(geography["reach_e"])
    second = patrol_body(geography["reach_e"], start=T0 + dt.timedelta(minutes=30))
    assert client.post(URL, first, format="json").json()["flags"] == []
    out = client.post(URL, second, format="json").json()
    assert out["flags"] == ["overlap"]
    assert out["review_status"] == "pending"
    stored = Patrol.objects.get(pk=first["id"])
    assert stored.flags == ["overlap"]
    assert stored.review_status == "pending"
    # Another chief's patrol at the same time is no overlap.
    third = patrol_body(geography["reach_e"], start=T0 + dt.timedelta(minutes=10))
    assert client_for(chiefs["village"]).post(URL, third, format="json").json()["flags"] == []


def test_review_of_a_flagged_patrol(client_for, users, chiefs, geography):
    far = [[lon + 0.05, lat] for lon, lat in along(geography["reach_e"], start_m=500, length_m=3000, n=600)]
    body = patrol_body(geography["reach_e"], coords=far, step_s=6)
    out = client_for(chiefs["township"]).post(URL, body, format="json").json()
    assert "outside_reach" in out["flags"]
    assert out["review_status"] == "pending"
    url = f"{URL}{body['id']}/review/"
    assert client_for(chiefs["township"]).post(url, {"decision": "accepted"}, format="json").status_code == 403
    assert client_for(users["reviewer_650103"]).post(url, {"decision": "accepted"}, format="json").status_code == 404
    no_note = client_for(users["city_reviewer"]).post(url, {"decision": "rejected"}, format="json")
    assert no_note.status_code == 400
    assert "note" in no_note.json()["error"]["fields"]
    ok = client_for(users["city_reviewer"]).post(url, {"decision": "rejected", "note": "不在河段"}, format="json")
    assert ok.status_code == 200
    assert ok.json()["review_status"] == "rejected"
    assert AuditLog.objects.filter(entity_id=body["id"], reason="patrol review").count() == 1


def test_a_reachs_chiefs_at_each_level(client_for, users, chiefs, geography):
    reach = geography["reach_e"].pk
    out = client_for(users["city_reviewer"]).get(f"/api/v1/patrols/chiefs/?reach={reach}&on=2024-06-01").json()
    assert [c["username"] for c in out["levels"]["township"]] == ["t_chief_tianshan"]
    assert [c["username"] for c in out["levels"]["village"]] == ["t_chief_village"]
    assert out["levels"]["city"] == []
    before = client_for(users["city_reviewer"]).get(f"/api/v1/patrols/chiefs/?reach={reach}&on=2023-06-01").json()
    assert before["levels"]["township"] == []
    assert client_for(users["reviewer_650103"]).get(f"/api/v1/patrols/chiefs/?reach={reach}").status_code == 404
    assert client_for(users["operator"]).get(f"/api/v1/patrols/chiefs/?reach={reach}").status_code == 403
    bad = client_for(users["admin"]).get("/api/v1/patrols/chiefs/?reach=x")
    assert bad.status_code == 400
    assert "reach" in bad.json()["error"]["fields"]


def test_rule_tables_are_seeded_and_readable(client_for, users):
    validity = client_for(users["city_reviewer"]).get("/api/v1/patrols/rules/validity/").json()
    by_level = {r["level"]: r for r in validity}
    assert by_level["township"]["min_duration_s"] == 1800
    assert by_level["township"]["min_length_m"] == 2000
    assert by_level["district"]["min_length_m"] == 0
    frequency = client_for(users["city_reviewer"]).get("/api/v1/patrols/rules/frequency/").json()
    village = next(r for r in frequency if r["level"] == "village")
    assert (village["period"], village["season_start_month"], village["season_end_month"]) == ("week", 3, 12)


def test_uuid_is_case_and_dash_insensitive_for_resends(client_for, chiefs, geography):
    body = patrol_body(geography["reach_e"], n=50, length_m=200)
    client = client_for(chiefs["township"])
    client.post(URL, body, format="json")
    upper = dict(body, id=str(uuid.UUID(body["id"])).upper())
    assert client.post(URL, upper, format="json").status_code == 200
    assert Patrol.objects.count() == 1


def test_person_times_is_never_multiplied_into_distance(client_for, chiefs, geography):
    body = patrol_body(geography["reach_e"], companions=9)
    out = client_for(chiefs["township"]).post(URL, body, format="json").json()
    assert out["person_times"] == 10
    assert math.isclose(out["distance_m"], 3000, rel_tol=0.01)


def test_an_edited_reach_is_not_served_from_the_cache(client_for, chiefs, geography):
    from places.services import reach_upsert
    from tests.factories import line

    client = client_for(chiefs["township"])
    first = client.post(URL, patrol_body(geography["reach_e"]), format="json").json()
    # The reach shrinks to its first 3.5 km, where the track runs: coverage goes up at once.
    reach_upsert(
        code="HL-01-02",
        name="乌鲁木齐河天山区段",
        river_code="HL-01",
        division_code="650102",
        geometry=line((87.6, 43.8), (87.625, 43.825)),
        actor="test",
    )
    second = client.post(URL, patrol_body(geography["reach_e"], start=T0 + dt.timedelta(days=1)), format="json").json()
    assert first["coverage"] < 0.25
    assert second["coverage"] > 0.9
