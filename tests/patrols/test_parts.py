"""A patrol sent in parts (start, numbered batches of points, end) ends up exactly like a one-shot post
of the same track; batches are idempotent and may arrive out of order."""

from __future__ import annotations

import copy
import uuid

import pytest

from patrols.models import Patrol, PatrolChunk
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
