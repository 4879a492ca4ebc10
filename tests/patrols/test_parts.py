"""A patrol sent in parts (start, numbered batches of points, end) ends up exactly like a one-shot post
of the same track; batches are idempotent and may arrive out of order."""

from __future__ import annotations

import copy
import datetime as dt
import uuid

import pytest

from core.models import AuditLog
from patrols import services
from patrols.models import Patrol, PatrolChunk
from patrols.tasks import patrol_close_stale
from tests.patrols.conftest import patrol_body

pytestmark = pytest.mark.django_db
URL = "/api/v1/patrols/"
SAME = [
    "distance_m",
    "person_times",
    "coverage",
    "inside_share",
    "flags",
    "valid",
    "invalid_reasons",
    "level",
    "points_received",
    "points_kept",
    "track_duration_s",
    "status",
    "review_status",
]


def _start(client, body: dict):
    head = {k: body[k] for k in ("id", "reach", "started_at", "companions", "mode", "crs")}
    return client.post(f"{URL}start/", head, format="json")


def _send_in_parts(client, body: dict, size: int = 250, order=None) -> None:
    coords, times = body["track"]["coordinates"], body["times"]
    batches = [(i // size, coords[i : i + size], times[i : i + size]) for i in range(0, len(coords), size)]
    for seq, c, t in order(batches) if order else batches:
        resp = client.post(f"{URL}{body['id']}/points/", {"seq": seq, "coordinates": c, "times": t}, format="json")
        assert resp.status_code == 200, resp.content


def test_parts_give_the_same_patrol_as_one_post(client_for, chiefs, geography):
    body = patrol_body(geography["reach_e"], n=1000)
    body["track"]["coordinates"][400] = [body["track"]["coordinates"][400][0] + 0.03, 43.9]  # a spike too
    one_shot = copy.deepcopy(body)
    one_shot["id"] = str(uuid.uuid4())
    one_shot["started_at"] = body["started_at"]
    client = client_for(chiefs["township"])
    whole = client.post(URL, one_shot, format="json").json()
    Patrol.objects.filter(pk=one_shot["id"]).delete()  # so the parts' patrol is not flagged as overlapping it

    started = _start(client, body)
    assert started.status_code == 201
    assert started.json()["status"] == "in_progress"
    _send_in_parts(client, body, order=lambda b: list(reversed(b)))  # any order
    ended = client.post(f"{URL}{body['id']}/end/", {"ended_at": body["ended_at"]}, format="json")
    assert ended.status_code == 200, ended.content
    parts = ended.json()
    assert {k: parts[k] for k in SAME} == {k: whole[k] for k in SAME}
    assert parts["points_kept"] == 999
    stored = Patrol.objects.get(pk=body["id"])
    assert stored.dropped_points == [400]
    assert stored.raw_track.num_points == 1000
    assert not PatrolChunk.objects.filter(patrol=stored).exists()  # no per-point rows are kept
    # The same content posted whole under this id is a resend of it.
    again = client.post(URL, body, format="json")
    assert again.status_code == 200
    assert again.json()["distance_m"] == parts["distance_m"]


def test_batches_are_idempotent_and_conflicts_refused(client_for, chiefs, geography):
    body = patrol_body(geography["reach_e"], n=100)
    client = client_for(chiefs["township"])
    _start(client, body)
    assert _start(client, body).status_code == 200  # the same start again
    batch = {"seq": 0, "coordinates": body["track"]["coordinates"][:50], "times": body["times"][:50]}
    first = client.post(f"{URL}{body['id']}/points/", batch, format="json")
    again = client.post(f"{URL}{body['id']}/points/", batch, format="json")
    assert first.json() == {"id": body["id"], "seq": 0, "points_received": 50, "created": True}
    assert again.json()["created"] is False
    assert again.json()["points_received"] == 50
    other = dict(batch, coordinates=body["track"]["coordinates"][50:])
    assert client.post(f"{URL}{body['id']}/points/", other, format="json").status_code == 409
    assert PatrolChunk.objects.count() == 1


def test_missing_batches_and_bad_points_are_refused(client_for, chiefs, geography):
    body = patrol_body(geography["reach_e"], n=100)
    client = client_for(chiefs["township"])
    _start(client, body)
    url = f"{URL}{body['id']}/points/"
    c, t = body["track"]["coordinates"], body["times"]
    bad = client.post(url, {"seq": 0, "coordinates": [[2.35, 48.85]], "times": t[:1]}, format="json")
    assert bad.status_code == 400
    assert "coordinates" in bad.json()["error"]["fields"]
    mismatch = client.post(url, {"seq": 0, "coordinates": c[:3], "times": t[:2]}, format="json")
    assert mismatch.status_code == 400
    assert "times" in mismatch.json()["error"]["fields"]
    client.post(url, {"seq": 1, "coordinates": c[50:], "times": t[50:]}, format="json")
    gap = client.post(f"{URL}{body['id']}/end/", {"ended_at": body["ended_at"]}, format="json")
    assert gap.status_code == 400
    assert "seq" in gap.json()["error"]["fields"]
    assert Patrol.objects.get(pk=body["id"]).status == "in_progress"
    # Batches whose times go backwards across batches are refused at the end, naming the times.
    client.post(url, {"seq": 0, "coordinates": c[:50], "times": t[50:]}, format="json")
    backwards = client.post(f"{URL}{body['id']}/end/", {"ended_at": body["ended_at"]}, format="json")
    assert backwards.status_code == 400
    assert "times" in backwards.json()["error"]["fields"]


def test_ending_twice_and_points_after_the_end(client_for, chiefs, geography):
    body = patrol_body(geography["reach_e"], n=60)
    client = client_for(chiefs["township"])
    _start(client, body)
    _send_in_parts(client, body, size=60)
    end = f"{URL}{body['id']}/end/"
    assert client.post(end, {"ended_at": body["ended_at"]}, format="json").status_code == 200
    assert client.post(end, {"ended_at": body["ended_at"]}, format="json").status_code == 200
    later = client.post(end, {"ended_at": "2024-05-06T12:00:00+08:00"}, format="json")
    assert later.status_code == 409
    late_points = client.post(
        f"{URL}{body['id']}/points/",
        {"seq": 9, "coordinates": body["track"]["coordinates"][:2], "times": body["times"][:2]},
        format="json",
    )
    assert late_points.status_code == 409


def test_another_chief_cannot_touch_the_patrol(client_for, users, chiefs, geography):
    body = patrol_body(geography["reach_e"], n=60)
    _start(client_for(chiefs["township"]), body)
    batch = {"seq": 0, "coordinates": body["track"]["coordinates"], "times": body["times"]}
    assert client_for(chiefs["village"]).post(f"{URL}{body['id']}/points/", batch, format="json").status_code == 404
    assert (
        client_for(users["city_reviewer"]).post(f"{URL}{body['id']}/points/", batch, format="json").status_code == 403
    )
    assert client_for(None).post(f"{URL}{body['id']}/end/", {}, format="json").status_code == 401


def _stale_now(body: dict, hours: float) -> dt.datetime:
    return dt.datetime.fromisoformat(body["started_at"]) + dt.timedelta(hours=hours)


def test_a_patrol_never_ended_is_closed_at_its_last_point_after_the_grace(client_for, chiefs, geography, settings):
    settings.PATROL_MAX_DURATION_HOURS = 24
    settings.PATROL_STALE_GRACE_HOURS = 2
    client = client_for(chiefs["township"])
    body = patrol_body(geography["reach_e"], n=600)
    one_shot = {**copy.deepcopy(body), "id": str(uuid.uuid4())}
    whole = client.post(URL, one_shot, format="json").json()
    Patrol.objects.filter(pk=one_shot["id"]).delete()
    _start(client, body)
    # Batches 0, 1 and 3 arrive; batch 2 never does, nor the end.
    coords, times = body["track"]["coordinates"], body["times"]
    for seq in (0, 1, 3):
        part = {
            "seq": seq,
            "coordinates": coords[seq * 150 : (seq + 1) * 150],
            "times": times[seq * 150 : (seq + 1) * 150],
        }
        assert client.post(f"{URL}{body['id']}/points/", part, format="json").status_code == 200

    # Within the longest patrol time plus the grace, the phone may still end it: nothing happens.
    assert services.patrol_close_stale(now=_stale_now(body, 25.9)) == {"auto_ended": 0, "abandoned": 0}
    assert Patrol.objects.get(pk=body["id"]).status == "in_progress"

    assert services.patrol_close_stale(now=_stale_now(body, 26.1)) == {"auto_ended": 1, "abandoned": 0}
    stored = Patrol.objects.get(pk=body["id"])
    assert stored.status == "completed"
    assert stored.ended_at == dt.datetime.fromisoformat(times[-1])
    assert stored.points_received == 450
    assert stored.flags == ["auto_ended"]
    assert stored.review_status == "pending"
    # The same computation as a one-shot post: a track with a gap of 150 points is shorter, no other rule.
    assert 0 < stored.distance_m < whole["distance_m"]
    assert stored.person_times == whole["person_times"]
    assert not PatrolChunk.objects.filter(patrol=stored).exists()
    audit = AuditLog.objects.get(entity_id=body["id"], actor_label="beat:patrols.patrol_close_stale")
    assert audit.action == "update"
    assert "closed at its last point" in audit.reason
    # Idempotent; the phone coming back with another end time is told it has ended.
    assert services.patrol_close_stale(now=_stale_now(body, 30)) == {"auto_ended": 0, "abandoned": 0}
    later_end = (dt.datetime.fromisoformat(body["ended_at"]) + dt.timedelta(minutes=1)).isoformat()
    late = client.post(f"{URL}{body['id']}/end/", {"ended_at": later_end}, format="json")
    assert late.status_code == 409
    assert late.json()["error"]["code"] == "patrol_ended"
    # The ledger can list them for review.
    listed = client_for(chiefs["township"]).get(f"{URL}?flag=auto_ended").json()["features"]
    assert [f["id"] for f in listed] == [body["id"]]


@pytest.mark.parametrize(
    ("points", "problem"),
    [(0, "no points arrived"), (1, "at least 2 positions"), (3, "all positions are the same point")],
)
def test_a_patrol_never_ended_whose_points_make_no_track_is_flagged_abandoned_once(
    client_for, chiefs, geography, points, problem
):
    client = client_for(chiefs["township"])
    body = patrol_body(geography["reach_e"], n=50)
    _start(client, body)
    if points:
        same = [body["track"]["coordinates"][0]] * points
        batch = {"seq": 0, "coordinates": same, "times": body["times"][:points]}
        assert client.post(f"{URL}{body['id']}/points/", batch, format="json").status_code == 200
    assert services.patrol_close_stale(now=_stale_now(body, 48)) == {"auto_ended": 0, "abandoned": 1}
    stored = Patrol.objects.get(pk=body["id"])
    assert stored.status == "in_progress"
    assert stored.flags == ["abandoned"]
    assert stored.review_status == "pending"
    assert PatrolChunk.objects.filter(patrol=stored).count() == (1 if points else 0)  # kept as evidence
    audit = AuditLog.objects.get(entity_id=body["id"], actor_label="beat:patrols.patrol_close_stale")
    assert problem in audit.reason
    assert audit.after == {"flags": ["abandoned"], "review_status": "pending"}
    # Flagged once: later runs leave it alone.
    assert services.patrol_close_stale(now=_stale_now(body, 72)) == {"auto_ended": 0, "abandoned": 0}
    assert AuditLog.objects.filter(entity_id=body["id"], actor_label="beat:patrols.patrol_close_stale").count() == 1


def test_the_close_stale_job_runs_through_celery(client_for, chiefs, geography):
    assert patrol_close_stale.delay().get() == {"auto_ended": 0, "abandoned": 0}
