"""Patrol serializers: the documented inputs (submit, start, points, end, review) and the outputs."""

from __future__ import annotations

import datetime as dt
import json
from typing import Any

from django.utils import timezone
from django.utils.translation import gettext as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers
from rest_framework_gis.serializers import GeoFeatureModelSerializer

from core.api.fields import AwareDateTimeField, StrictUUIDField, WholeNumberField
from core.api.serializers import MAX_ID, StrictSerializer
from core.geo import InputCRS, parse_crs
from patrols import conf
from patrols.choices import (
    PatrolMode,
    ReviewStatus,
)
from patrols.models import Patrol

CRS_VALUES = [c.value for c in InputCRS]


@extend_schema_field(OpenApiTypes.ANY)
class RawField(serializers.Field):
    """Passes the parsed JSON through untouched: the service validates tracks and times itself, a
    column at a time (DRF's JSONField would serialise the whole track again just to check it)."""

    def to_internal_value(self, data: Any) -> Any:
        return data

    def to_representation(self, value: Any) -> Any:
        return value


class CRSField(serializers.CharField):
    def to_internal_value(self, data: Any) -> InputCRS:
        value = super().to_internal_value(data)
        try:
            return parse_crs(value)
        except ValueError as exc:
            raise serializers.ValidationError(str(exc)) from None


def _crs_field() -> CRSField:
    # null is the default system, as the hot path's parser has always read it (core.geo.parse_crs).
    return CRSField(
        required=False,
        allow_null=True,
        default=InputCRS.WGS84.value,
        help_text=f"one of {', '.join(CRS_VALUES)}; absent or null: {InputCRS.WGS84.value}",
    )


def check_reach_or_lake(attrs: dict[str, Any]) -> dict[str, Any]:
    """Exactly one of `reach` and `lake`: both names `lake`, neither names `reach` (a 400)."""
    if attrs.get("reach") is not None and attrs.get("lake") is not None:
        raise serializers.ValidationError({"lake": [_("Give a reach or a lake, not both.")]})
    if attrs.get("reach") is None and attrs.get("lake") is None:
        raise serializers.ValidationError({"reach": [_("Give a reach or a lake.")]})
    return attrs


def reach_field(what: str) -> serializers.IntegerField:
    return serializers.IntegerField(
        min_value=1, max_value=MAX_ID, required=False, allow_null=True, default=None, help_text=what
    )


class _PatrolHeaderSerializer(StrictSerializer):
    # Strict fields: the hot path's parser (patrols.api.serializers.fast) refuses "5" and 5.0 where an
    # integer is due, and a number as an id; the documented body says the same (tests/patrols/test_submit_contract.py).
    id = StrictUUIDField(help_text="chosen by the phone; a resend with the same id returns the stored patrol")
    reach = WholeNumberField(
        min_value=1,
        upper=MAX_ID,
        required=False,
        allow_null=True,
        default=None,
        help_text="id of a reach you are chief of (your appointments list them); or give `lake`",
    )
    lake = WholeNumberField(
        min_value=1,
        upper=MAX_ID,
        required=False,
        allow_null=True,
        default=None,
        help_text="id of a lake or reservoir you are chief of, in place of `reach`",
    )
    started_at = AwareDateTimeField()
    companions = WholeNumberField(min_value=0, upper=conf.max_companions, default=0)
    mode = serializers.ChoiceField(choices=PatrolMode.choices)
    crs = _crs_field()

    def validate_crs(self, value: InputCRS | None) -> InputCRS:
        return parse_crs(value)

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        return check_reach_or_lake(attrs)


@extend_schema_field(
    {
        "type": "object",
        "description": "GeoJSON LineString; positions in `crs` ([lon, lat] or [lon, lat, elevation])",
        "required": ["type", "coordinates"],
        "properties": {
            "type": {"type": "string", "enum": ["LineString"]},
            "coordinates": {
                "type": "array",
                "minItems": 2,
                "items": {"type": "array", "items": {"type": "number"}, "minItems": 2, "maxItems": 3},
            },
        },
        "example": {"type": "LineString", "coordinates": [[87.6012, 43.8251], [87.6031, 43.8262], [87.6055, 43.8270]]},
    }
)
class TrackField(RawField):
    pass


@extend_schema_field(
    {
        "type": "array",
        "description": "one time per track position",
        "items": {"type": "string", "format": "date-time"},
        "example": ["2024-05-10T09:00:00+08:00", "2024-05-10T09:00:30+08:00", "2024-05-10T09:01:00+08:00"],
    }
)
class TimesField(RawField):
    pass


class PatrolSubmitSerializer(_PatrolHeaderSerializer):
    """POST /patrols/: a whole patrol. Distance, person-times and flags are the server's: figures the
    client adds (`distance_km`, `distance_m`, `person_times`, `duration_s`) are accepted and ignored."""

    ended_at = AwareDateTimeField()
    track = TrackField()
    times = TimesField()
    distance_km = RawField(
        required=False, allow_null=True, write_only=True, help_text="ignored: the server computes it"
    )
    distance_m = RawField(required=False, allow_null=True, write_only=True, help_text="ignored: the server computes it")
    person_times = RawField(
        required=False, allow_null=True, write_only=True, help_text="ignored: the server computes it"
    )
    duration_s = RawField(required=False, allow_null=True, write_only=True, help_text="ignored: the server computes it")


class PatrolStartSerializer(_PatrolHeaderSerializer):
    """POST /patrols/start/: open a patrol whose points come in batches."""


class PatrolPointsSerializer(StrictSerializer):
    seq = serializers.IntegerField(min_value=0, max_value=100_000, help_text="batch number, from 0")
    coordinates = RawField(help_text="positions in the patrol's crs")
    times = TimesField()


class PatrolEndSerializer(StrictSerializer):
    ended_at = AwareDateTimeField()


class PatrolReviewSerializer(StrictSerializer):
    decision = serializers.ChoiceField(choices=[ReviewStatus.ACCEPTED, ReviewStatus.REJECTED])
    note = serializers.CharField(max_length=500, required=False, allow_blank=True, default="")


def _local(value: dt.datetime) -> str:
    # As DRF renders every other time: in the project's zone (Beijing), whatever the input's offset.
    return timezone.localtime(value).isoformat()


def _km(metres: float) -> float:
    return round(metres / 1000, 3)


class PatrolResultSerializer(serializers.Serializer):
    """What a patrol post answers: the server's figures, without the track."""

    id = serializers.UUIDField()
    status = serializers.CharField()
    chief = serializers.IntegerField(source="chief_id")
    reach = serializers.IntegerField(source="reach_id", allow_null=True, help_text="null for a lake patrol")
    lake = serializers.IntegerField(source="lake_id", allow_null=True, help_text="null for a reach patrol")
    level = serializers.CharField()
    mode = serializers.CharField()
    started_at = serializers.DateTimeField()
    ended_at = serializers.DateTimeField(allow_null=True)
    companions = serializers.IntegerField()
    person_times = serializers.IntegerField()
    distance_m = serializers.FloatField()
    distance_km = serializers.FloatField()
    track_duration_s = serializers.FloatField()
    coverage = serializers.FloatField(allow_null=True)
    inside_share = serializers.FloatField(allow_null=True)
    points_received = serializers.IntegerField()
    points_kept = serializers.IntegerField()
    flags = serializers.ListField(child=serializers.CharField())
    valid = serializers.BooleanField()
    invalid_reasons = serializers.ListField(child=serializers.CharField())
    review_status = serializers.CharField()


_PATROL_PROPS = [
    "id",
    "status",
    "chief",
    "chief_username",
    "chief_name",
    "reach",
    "reach_code",
    "reach_name",
    "lake",
    "lake_code",
    "lake_name",
    "division",
    "level",
    "mode",
    "started_at",
    "ended_at",
    "companions",
    "person_times",
    "distance_m",
    "distance_km",
    "track_duration_s",
    "coverage",
    "inside_share",
    "points_received",
    "points_kept",
    "flags",
    "valid",
    "invalid_reasons",
    "review_status",
    "review_note",
]


class _PatrolFeatureBase(GeoFeatureModelSerializer):
    chief_username = serializers.CharField(source="chief.username")
    chief_name = serializers.CharField(source="chief.display_name")
    reach_code = serializers.CharField(source="reach.code", allow_null=True, default=None)
    reach_name = serializers.CharField(source="reach.name", allow_null=True, default=None)
    lake_code = serializers.CharField(source="lake.code", allow_null=True, default=None)
    lake_name = serializers.CharField(source="lake.name", allow_null=True, default=None)
    division = serializers.CharField(source="site.division.code")
    distance_km = serializers.SerializerMethodField()

    def get_distance_km(self, obj: Patrol) -> float:
        return _km(obj.distance_m)


class PatrolFeatureSerializer(_PatrolFeatureBase):
    """A patrol on the map layer: its track simplified to 5 m (the stored track is not)."""

    class Meta:
        model = Patrol
        geo_field = "track_preview"
        fields = _PATROL_PROPS


class PatrolDetailSerializer(_PatrolFeatureBase):
    """One patrol: the cleaned track, with the indices of the points dropped from the raw track."""

    dropped_points = serializers.ListField(child=serializers.IntegerField())

    class Meta:
        model = Patrol
        # The schema's geometry is the preview's type (a MultiLineString); the geometry sent is the
        # cleaned track, which is not a column but rebuilt from the raw one (Patrol.cleaned_track).
        geo_field = "track_preview"
        fields = [*_PATROL_PROPS, "dropped_points", "input_crs"]

    def to_representation(self, instance: Patrol) -> Any:
        data = super().to_representation(instance)
        track = instance.cleaned_track
        data["geometry"] = json.loads(track.geojson) if track is not None else None
        return data


class PatrolRawSerializer(_PatrolFeatureBase):
    """One patrol with the track as received (in WGS84) and each point's time."""

    times = serializers.SerializerMethodField()

    class Meta:
        model = Patrol
        geo_field = "raw_track"
        fields = [*_PATROL_PROPS, "dropped_points", "input_crs", "times"]

    def get_times(self, obj: Patrol) -> list[str]:
        base = obj.started_at
        return [_local(base + dt.timedelta(milliseconds=ms)) for ms in obj.raw_times_ms or []]
