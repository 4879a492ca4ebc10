"""The patrol post's hot path: the hand parser of the submit body and the result without DRF."""

from __future__ import annotations

import uuid
from typing import Any

from django.utils.translation import gettext as _
from rest_framework import serializers

from core.api.fields import UUID_TEXT, AwareDateTimeField
from core.api.serializers import MAX_ID
from core.geo import parse_crs
from patrols import conf
from patrols.api.serializers.patrols import PatrolSubmitSerializer, _km, _local
from patrols.choices import (
    PatrolMode,
)
from patrols.models import Patrol

# --------------------------------------------------------------------------- the patrol post's hot path

_SUBMIT_FIELDS = frozenset(PatrolSubmitSerializer._declared_fields)
_IGNORED_FIGURES = ("distance_km", "distance_m", "person_times", "duration_s")
_aware = AwareDateTimeField()


def parse_patrol_submit(data: Any) -> dict[str, Any]:
    """Validate a POST /patrols/ body with the same rules and error shape as PatrolSubmitSerializer,
    by hand: building a DRF serializer (it deep-copies its fields per instance) costs more than the
    rest of the checks on the hot path. The serializer class documents the body in the schema."""
    if not isinstance(data, dict):
        raise serializers.ValidationError({"non_field_errors": [_("Expected a JSON object.")]})
    errors: dict[str, list[str]] = {}
    unknown = sorted(set(data) - _SUBMIT_FIELDS)
    if unknown:  # as StrictSerializer: a misspelt member is the whole answer
        raise serializers.ValidationError({name: [_("Unknown field.")] for name in unknown})
    out: dict[str, Any] = {}

    def need(name: str) -> Any:
        """The member's value; None (and the error recorded) when it is missing or null."""
        if name not in data:
            errors[name] = [_("This field is required.")]
            return None
        if data[name] is None:
            errors[name] = [_("This field may not be null.")]
        return data[name]

    raw_id = need("id")
    if raw_id is not None:
        if isinstance(raw_id, str) and UUID_TEXT.match(raw_id):
            out["id"] = uuid.UUID(raw_id)
        else:
            errors["id"] = [_("Must be a valid UUID.")]
    # A reach or (in its place) a lake: exactly one.
    for name in ("reach", "lake"):
        value = data.get(name)
        out[name] = None
        if value is not None:
            if type(value) is int and 1 <= value <= MAX_ID:
                out[name] = value
            else:
                errors[name] = [_("A whole number from 1 to %(max_id)s.") % {"max_id": MAX_ID}]
    if "reach" not in errors and "lake" not in errors:
        if out["reach"] is not None and out["lake"] is not None:
            errors["lake"] = [_("Give a reach or a lake, not both.")]
        elif out["reach"] is None and out["lake"] is None:
            errors["reach"] = [_("Give a reach or a lake.")]
    for name in ("started_at", "ended_at"):
        value = need(name)
        if value is not None:
            try:
                out[name] = _aware.to_internal_value(value)
            except serializers.ValidationError as exc:
                errors[name] = [str(m) for m in exc.detail] if isinstance(exc.detail, list) else [str(exc.detail)]
    companions = data.get("companions", 0)
    if type(companions) is int and 0 <= companions <= conf.max_companions():
        out["companions"] = companions
    else:
        errors["companions"] = [
            _("A whole number from 0 to %(max_companions)s.") % {"max_companions": conf.max_companions()}
        ]
    mode = need("mode")
    if mode is not None:
        if mode in PatrolMode.values:
            out["mode"] = mode
        else:
            errors["mode"] = [
                _('"%(mode)s" is not a valid choice; one of %(values)s.')
                % {"mode": mode, "values": ", ".join(PatrolMode.values)}
            ]
    try:
        out["crs"] = parse_crs(data.get("crs"))
    except (ValueError, TypeError) as exc:
        errors["crs"] = [str(exc)]
    for name in ("track", "times"):
        value = need(name)
        if value is not None:
            out[name] = value
    if errors:
        raise serializers.ValidationError(errors)
    return out


def patrol_result(p: Patrol) -> dict[str, Any]:
    """PatrolResultSerializer's output, built directly (the post's answer on the hot path)."""
    return {
        "id": str(p.pk),
        "status": p.status,
        "chief": p.chief_id,
        "reach": p.reach_id,
        "lake": p.lake_id,
        "level": p.level,
        "mode": p.mode,
        "started_at": _local(p.started_at),
        "ended_at": _local(p.ended_at) if p.ended_at else None,
        "companions": p.companions,
        "person_times": p.person_times,
        "distance_m": p.distance_m,
        "distance_km": _km(p.distance_m),
        "track_duration_s": p.track_duration_s,
        "coverage": p.coverage,
        "inside_share": p.inside_share,
        "points_received": p.points_received,
        "points_kept": p.points_kept,
        "flags": list(p.flags),
        "valid": p.valid,
        "invalid_reasons": list(p.invalid_reasons),
        "review_status": p.review_status,
    }
