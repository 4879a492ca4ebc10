"""patrols.evidence_selectors: the suspect points of a flagged patrol as figures (the console words
them): a GPS jump's two ends with the jump's speed, a stationary track's first, last and farthest point
with the radius against the rule, nothing for a valid patrol, and a patrol with no track."""

from __future__ import annotations

import pytest

from accounts.scope import scope_for
from patrols import evidence_selectors as ev
from patrols import selectors
from tests.console.test_patrol_review_views import flagged as flagged

pytestmark = pytest.mark.django_db


def _evidence(user, patrol) -> ev.TrackEvidence:
    detail = selectors.patrol_detail(scope=scope_for(user)).get(pk=patrol.pk)
    return ev.patrol_track_evidence(patrol=detail)


def test_a_jump_shows_its_two_ends_with_the_speed(flagged, users):
    found = _evidence(users["city_reviewer"], flagged.teleport)
    by_number = {p.number: p for p in found.points}
    assert by_number[120].mark == "jump-from"
    assert [r.kind for r in by_number[120].reasons] == [ev.JUMP_FROM]
    to = by_number[121]
    assert to.mark == "jump-to"
    (reason,) = to.reasons
    assert reason.kind == ev.JUMP_TO
    assert reason.figures["m"] > 3000  # 4.5 km along the reach between the parts
    assert reason.figures["kmh"] > 1000
    assert to.speed_kmh is not None
    assert to.speed_kmh > 1000
    assert to.distance_m is not None
    assert to.kept
    assert found.stationary is None
    assert found.truncated == 0


def test_a_stationary_track_shows_its_first_last_and_farthest_points(flagged, users):
    found = _evidence(users["city_reviewer"], flagged.still)
    assert found.stationary is not None
    assert found.stationary.kept == 60
    assert found.stationary.radius_m < found.stationary.limit_m
    kinds = {r.kind for p in found.points for r in p.reasons}
    assert {ev.FIRST, ev.LAST_POINT, ev.FARTHEST_FROM_CENTRE} <= kinds
    first = found.points[0]
    assert first.number == 1
    assert first.distance_m is None
    assert first.speed_kmh is None
    assert all(p.mark == "stationary" for p in found.points)


def test_a_valid_patrol_has_no_evidence(flagged, users):
    found = _evidence(users["city_reviewer"], flagged.valid)
    assert found.points == []
    assert (found.stationary, found.outside, found.auto_ended_at, found.no_track) == (None, None, None, False)
