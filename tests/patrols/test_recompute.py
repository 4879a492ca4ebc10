"""Recomputing stored patrols under the rules in force now (manage.py patrols_recompute): after a
validity rule or a reach changes, figures follow, each change audited, reviews kept unless a new flag
asks for one, idempotent, a dry run writes nothing."""

from __future__ import annotations

import io

import pytest
from django.contrib.gis.geos import LineString, MultiLineString
from django.core.management import CommandError, call_command

from core.models import AuditLog
from patrols.models import Patrol, PatrolValidityRule
from tests.patrols.conftest import patrol_body

pytestmark = pytest.mark.django_db
URL = "/api/v1/patrols/"
WINDOW = ["--start", "2024-01-01", "--end", "2024-12-31"]


def _recompute(*args: str) -> str:
    out = io.StringIO()
    call_command("patrols_recompute", *args, stdout=out)
    return out.getvalue()


def _rule(level: str = "township") -> PatrolValidityRule:
    return PatrolValidityRule.objects.get(jurisdiction="", level=level)


def test_a_stricter_rule_is_applied_to_stored_patrols_when_asked(client_for, chiefs, geography):
    body = patrol_body(geography["reach_e"])  # one hour, 3 km: valid for a township chief
    posted = client_for(chiefs["township"]).post(URL, body, format="json").json()
    assert posted["valid"] is True
    # The bureau raises the minimum length to 5 km; nothing changes until it recomputes.
    PatrolValidityRule.objects.filter(pk=_rule().pk).update(min_length_m=5000)
    assert Patrol.objects.get(pk=body["id"]).valid is True

    dry = _recompute(*WINDOW, "--dry-run")
    assert f"{body['id']}: valid, invalid_reasons" in dry
    assert "1 patrols read, 1 would change" in dry
    assert Patrol.objects.get(pk=body["id"]).valid is True
    assert not AuditLog.objects.filter(entity_id=body["id"], actor_label="command:patrols_recompute").exists()

    out = _recompute(*WINDOW, "--reason", "2025 rule: 5 km")
    assert "1 changed (invalid_reasons 1, valid 1)" in out
    stored = Patrol.objects.get(pk=body["id"])
    assert (stored.valid, stored.invalid_reasons) == (False, ["length_below_minimum"])
    assert stored.distance_m == posted["distance_m"]  # the track's own figures are unchanged
    audit = AuditLog.objects.get(entity_id=body["id"], actor_label="command:patrols_recompute")
    assert audit.reason == "2025 rule: 5 km"
    assert (audit.before["valid"], audit.after["valid"]) == (True, False)
    # Idempotent.
    assert "0 changed (nothing)" in _recompute(*WINDOW)
    assert AuditLog.objects.filter(entity_id=body["id"], actor_label="command:patrols_recompute").count() == 1


def test_a_review_stands_unless_the_recompute_raises_a_new_flag(client_for, users, chiefs, geography):
    body = patrol_body(geography["reach_e"])
    client_for(chiefs["township"]).post(URL, body, format="json")
    reviewer = client_for(users["city_reviewer"])
    resp = reviewer.post(f"{URL}{body['id']}/review/", {"decision": "rejected", "note": "照片不符"}, format="json")
    assert resp.status_code == 200, resp.content
    PatrolValidityRule.objects.filter(pk=_rule().pk).update(min_length_m=5000)
    _recompute(*WINDOW)
    assert Patrol.objects.get(pk=body["id"]).review_status == "rejected"
    # The reach is moved far away: the track is now outside it, a new flag, so review again.
    reach = geography["reach_e"]
    reach.geometry = MultiLineString(LineString((87.0, 44.5), (87.05, 44.55)), srid=4326)
    reach.save(update_fields=["geometry"])
    out = _recompute(*WINDOW, "--reach", reach.code)
    assert "review_status" in out
    stored = Patrol.objects.get(pk=body["id"])
    assert "outside_reach" in stored.flags
    assert stored.coverage == 0
    assert stored.review_status == "pending"


def test_only_the_window_division_and_completed_patrols_are_read(client_for, chiefs, geography):
    client_for(chiefs["township"]).post(URL, patrol_body(geography["reach_e"]), format="json")
    assert "0 patrols read" in _recompute("--start", "2023-01-01", "--end", "2023-12-31")
    assert "0 patrols read" in _recompute(*WINDOW, "--division", "650103")
    assert "1 patrols read" in _recompute(*WINDOW, "--division", "650102")
    head = {k: v for k, v in patrol_body(geography["reach_e"]).items() if k not in ("track", "times", "ended_at")}
    assert client_for(chiefs["village"]).post(f"{URL}start/", head, format="json").status_code == 201
    assert "1 patrols read" in _recompute(*WINDOW)  # the one in progress is not


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--start", "2024-02-30", "--end", "2024-03-01"], "is not a date"),
        (["--start", "2024-03-01", "--end", "2024-02-01"], "--end is before --start"),
        ([*WINDOW, "--division", "6501"], "--division"),
    ],
)
def test_bad_arguments_are_refused(args, message):
    with pytest.raises(CommandError, match=message):
        _recompute(*args)
