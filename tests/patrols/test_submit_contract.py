"""The patrol post's two validators agree (issue 20, item 5): the hand parser on the hot path
(`patrols.api.serializers.fast.parse_patrol_submit`) and `PatrolSubmitSerializer`, which documents the
body in the OpenAPI schema. Over many generated bodies — valid ones and ones with one member changed,
dropped or added — both accept the same bodies, name the same fields when they refuse one, and read the
same values from an accepted one. So the schema tells the truth about the endpoint."""

from __future__ import annotations

import uuid
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from rest_framework import serializers

from patrols import conf
from patrols.api.serializers.fast import parse_patrol_submit
from patrols.api.serializers.patrols import PatrolSubmitSerializer
from patrols.choices import PatrolMode

# Derandomized: the same 600 bodies on every run (CI), found afresh when the strategies change.
CONTRACT = settings(max_examples=600, deadline=None, derandomize=True, suppress_health_check=[HealthCheck.too_slow])

# Values a phone (or a fuzzer) might put in any member: the right types and the wrong ones.
ODD = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(min_value=-3, max_value=2**63),
    st.floats(allow_nan=True),
    st.text(max_size=12),
    st.sampled_from(["5", "3", "5.0", " 7 ", "1e3", "", "null", "WGS84", "EPSG:4326"]),
    st.lists(st.integers(), max_size=3),
    st.dictionaries(st.text(max_size=3), st.integers(), max_size=2),
)
TIMES = st.sampled_from(
    [
        "2024-05-10T09:00:00+08:00",
        "2024-05-10T01:00:00Z",
        "2024-05-10T09:00:00",
        "2024-05-10",
        "yesterday",
        "2024-13-10T09:00:00+08:00",
        "2024-05-10T09:00:00.123456+08:00",
    ]
)


@st.composite
def valid_bodies(draw: Any) -> dict[str, Any]:
    body: dict[str, Any] = {
        "id": str(draw(st.uuids())),
        "reach": draw(st.integers(min_value=1, max_value=10_000)),
        "started_at": "2024-05-10T09:00:00+08:00",
        "ended_at": "2024-05-10T10:00:00+08:00",
        "mode": draw(st.sampled_from(PatrolMode.values)),
        "track": {"type": "LineString", "coordinates": [[87.6, 43.8], [87.61, 43.81]]},
        "times": ["2024-05-10T09:00:00+08:00", "2024-05-10T10:00:00+08:00"],
    }
    if draw(st.booleans()):
        body["companions"] = draw(st.integers(min_value=0, max_value=conf.max_companions()))
    if draw(st.booleans()):
        body["crs"] = draw(st.sampled_from(["wgs84", "gcj02", "bd09", "cgcs2000"]))
    if draw(st.booleans()):
        body["distance_km"] = 1.5  # the client's own figure: accepted and ignored
    return body


@st.composite
def bodies(draw: Any) -> dict[str, Any]:
    body = draw(valid_bodies())
    change = draw(st.sampled_from(["none", "set", "drop", "add", "time"]))
    names = sorted({*body, "companions", "crs", "reach", "id", "mode"})
    if change == "set":
        body[draw(st.sampled_from(names))] = draw(ODD)
    elif change == "drop":
        body.pop(draw(st.sampled_from(sorted(body))))
    elif change == "add":
        body[draw(st.sampled_from(["surprise", "chief", "level", "Reach"]))] = draw(ODD)
    elif change == "time":
        body[draw(st.sampled_from(["started_at", "ended_at"]))] = draw(TIMES)
    return body


def _fast(body: dict[str, Any]) -> tuple[bool, Any]:
    try:
        return True, parse_patrol_submit(body)
    except serializers.ValidationError as exc:
        return False, exc.detail


def _documented(body: dict[str, Any]) -> tuple[bool, Any]:
    s = PatrolSubmitSerializer(data=body)
    if s.is_valid():
        return True, s.validated_data
    return False, s.errors


@CONTRACT
@given(bodies())
def test_the_hot_path_parser_and_the_documented_serializer_agree(body: dict[str, Any]) -> None:
    fast_ok, fast = _fast(body)
    doc_ok, doc = _documented(body)
    assert fast_ok == doc_ok, (body, fast, doc)
    if not fast_ok:
        assert sorted(fast) == sorted(doc), (body, fast, doc)
        return
    for name in ("id", "reach", "started_at", "ended_at", "companions", "mode", "crs", "track", "times"):
        assert fast[name] == doc[name], (name, body, fast[name], doc[name])


def test_the_two_disagreements_the_review_found_are_gone() -> None:
    """A string where the schema says integer was accepted by the serializer and refused live."""
    base = {
        "id": str(uuid.uuid4()),
        "reach": 5,
        "started_at": "2024-05-10T09:00:00+08:00",
        "ended_at": "2024-05-10T10:00:00+08:00",
        "mode": PatrolMode.values[0],
        "track": {"type": "LineString", "coordinates": [[87.6, 43.8], [87.61, 43.81]]},
        "times": ["2024-05-10T09:00:00+08:00", "2024-05-10T10:00:00+08:00"],
    }
    for name, value in (("companions", "3"), ("reach", "5")):
        body = {**base, name: value}
        assert _fast(body)[0] is False
        ok, errors = _documented(body)
        assert ok is False
        assert list(errors) == [name]
