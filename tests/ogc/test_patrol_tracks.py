"""Patrol tracks as an OGC collection (a GIS client draws who walked where), and labels beside codes."""

from __future__ import annotations

import datetime as dt
import uuid
from typing import Any

import pytest

from accounts.models import User
from patrols import services as patrol_services
from tests.patrols.conftest import T0, patrol_body
from tests.patrols.conftest import chiefs as chiefs  # the fixture

pytestmark = pytest.mark.django_db

ITEMS = "/ogc/collections/patrol-tracks/items"


def _walk(chief: User, reach: Any, day: int) -> Any:
    body = patrol_body(reach, n=200, start=T0 + dt.timedelta(days=day))
    patrol, _ = patrol_services.patrol_submit(
        actor=chief,
        patrol_id=uuid.UUID(body["id"]),
        reach_id=reach.pk,
        started_at=dt.datetime.fromisoformat(body["started_at"]),
        ended_at=dt.datetime.fromisoformat(body["ended_at"]),
        companions=1,
        mode="foot",
        crs="EPSG:4326",
        track=body["track"],
        times=body["times"],
    )
    return patrol


@pytest.fixture
def walks(chiefs: dict[str, User], geography: dict[str, Any]) -> dict[str, Any]:
    """Two patrols of the township chief on the east reach (days 0 and 5), one of the west chief."""
    return {
        "east": [_walk(chiefs["township"], geography["reach_e"], d) for d in (0, 5)],
        "west": [_walk(chiefs["west"], geography["reach_w"], 1)],
    }


def test_tracks_are_lines_with_the_patrol_ledgers_properties(client_for, users, walks):
    body = client_for(users["admin"]).get(ITEMS).json()
    assert body["numberMatched"] == 3
    feature = next(f for f in body["features"] if f["id"] == str(walks["west"][0].pk))
    assert feature["geometry"]["type"] == "MultiLineString"
    assert len(feature["geometry"]["coordinates"][0]) >= 2
    props = feature["properties"]
    assert props["chief_username"] == "t_chief_west"
    assert props["reach_code"] == walks["west"][0].reach.code
    assert props["mode"] == "foot"
    assert props["mode_label"] == "on foot"
    assert props["level"] == "village"
    assert props["level_label"] == "village level"


def test_labels_follow_the_request_language(client_for, users, walks):
    props = client_for(users["admin"], lang="zh-hans").get(ITEMS).json()["features"][0]["properties"]
    assert props["mode_label"] == "步行"
    one = client_for(users["admin"], lang="zh-hans").get(f"{ITEMS}/{walks['west'][0].pk}").json()
    assert one["properties"]["level_label"] == "村级"


def test_scope_chief_sees_own_reviewer_own_district_operator_refused(client_for, users, chiefs, walks):
    own = client_for(chiefs["township"]).get(ITEMS).json()
    assert sorted(f["id"] for f in own["features"]) == sorted(str(p.pk) for p in walks["east"])
    # Another chief's patrol is not found, not forbidden.
    assert client_for(chiefs["township"]).get(f"{ITEMS}/{walks['west'][0].pk}").status_code == 404
    west = client_for(users["reviewer_650103"]).get(ITEMS).json()
    assert [f["id"] for f in west["features"]] == [str(walks["west"][0].pk)]
    assert client_for(users["operator"]).get(ITEMS).status_code == 403
    listed = [c["id"] for c in client_for(users["operator"]).get("/ogc/collections").json()["collections"]]
    assert "patrol-tracks" not in listed


def test_filters_and_time(client_for, users, chiefs, walks):
    api = client_for(users["admin"])
    by_chief = api.get(ITEMS, {"chief_username": "t_chief_west"}).json()
    assert by_chief["numberMatched"] == 1
    day5 = (T0 + dt.timedelta(days=5)).date().isoformat()
    timed = api.get(ITEMS, {"datetime": f"{day5}T00:00:00+08:00/.."}).json()
    assert [f["id"] for f in timed["features"]] == [str(walks["east"][1].pk)]
    bad = api.get(ITEMS, {"level": "emperor"})
    assert bad.status_code == 400
    assert "level" in bad.content.decode()


def test_case_features_carry_category_and_status_labels(client_for, users, layers):
    props = client_for(users["admin"]).get("/ogc/collections/cases/items").json()["features"][0]["properties"]
    assert props["category"] in ("dumping", "occupation")
    assert props["category_label"] in ("illegal dumping", "illegal occupation")
    assert props["status_label"]
