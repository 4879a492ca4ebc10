"""Serializers of the patrols API: plain input serializers (the 2,000-point track never goes through
a DRF field per point) and output serializers for results, ledgers and map layers."""

from __future__ import annotations

import contextlib
import datetime as dt
import json
import re
import uuid
from typing import Any

from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers
from rest_framework_gis.serializers import GeoFeatureModelSerializer

from core.api.fields import AwareDateTimeField, GeoJSONGeometryField
from core.api.serializers import MAX_ID, StrictSerializer
from core.geo import InputCRS, parse_crs
from patrols import conf
from patrols.choices import (
    CaseCategory,
    CaseSource,
    ChiefLevel,
    PatrolMode,
    RecheckOutcome,
    ReviewStatus,
)
from patrols.models import Case, CaseEvent, CasePhoto, CaseRecheck, LitterRemoval, Patrol

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
    return CRSField(required=False, default=InputCRS.WGS84.value, help_text=f"one of {', '.join(CRS_VALUES)}")


class _PatrolHeaderSerializer(StrictSerializer):
    id = serializers.UUIDField(help_text="chosen by the phone; a resend with the same id returns the stored patrol")
    reach = serializers.IntegerField(min_value=1, max_value=MAX_ID)
    started_at = AwareDateTimeField()
    companions = serializers.IntegerField(min_value=0, default=0)
    mode = serializers.ChoiceField(choices=PatrolMode.choices)
    crs = _crs_field()

    def validate_companions(self, value: int) -> int:
        if value > conf.max_companions():
            raise serializers.ValidationError(
                _("At most %(max_companions)s.") % {"max_companions": conf.max_companions()}
            )
        return value


@extend_schema_field(
    {
        "type": "object",
        "description": "GeoJSON LineString; positions in `crs`",
        "properties": {"type": {"enum": ["LineString"]}, "coordinates": {"type": "array", "items": {"type": "array"}}},
    }
)
class TrackField(RawField):
    pass


@extend_schema_field({"type": "array", "items": {"type": "string", "format": "date-time"}})
class TimesField(RawField):
    pass


class PatrolSubmitSerializer(_PatrolHeaderSerializer):
    """POST /patrols/: a whole patrol. Distance, person-times and flags are the server's: figures the
    client adds (`distance_km`, `distance_m`, `person_times`, `duration_s`) are accepted and ignored."""

    ended_at = AwareDateTimeField()
    track = TrackField()
    times = TimesField()
    distance_km = RawField(required=False, write_only=True, help_text="ignored: the server computes it")
    distance_m = RawField(required=False, write_only=True, help_text="ignored: the server computes it")
    person_times = RawField(required=False, write_only=True, help_text="ignored: the server computes it")
    duration_s = RawField(required=False, write_only=True, help_text="ignored: the server computes it")


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


def _km(metres: float) -> float:
    return round(metres / 1000, 3)


class PatrolResultSerializer(serializers.Serializer):
    """What a patrol post answers: the server's figures, without the track."""

    id = serializers.UUIDField()
    status = serializers.CharField()
    chief = serializers.IntegerField(source="chief_id")
    reach = serializers.IntegerField(source="reach_id")
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
    reach_code = serializers.CharField(source="reach.code")
    reach_name = serializers.CharField(source="reach.name")
    division = serializers.CharField(source="reach.division.code")
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


# --------------------------------------------------------------------------- cases


@extend_schema_field(
    {
        "type": "string",
        "pattern": "^(" + "|".join(CaseSource.values) + ")$",
        "description": "where the case came from: " + ", ".join(CaseSource.values),
    }
)
class CaseSourceField(serializers.ChoiceField):
    """Documented as a pattern, not an enum: another app has a `source` member with other values, and
    drf-spectacular names enums after the member, so the two would collide."""


class CaseReportSerializer(StrictSerializer):
    id = serializers.UUIDField(help_text="chosen by the phone or the office; a resend returns the stored case")
    category = serializers.ChoiceField(choices=CaseCategory.choices)
    source = CaseSourceField(choices=CaseSource.choices)  # type: ignore[assignment]  # a field named like Field.source; DRF moves declared fields off the class
    reach = serializers.IntegerField(min_value=1, max_value=MAX_ID)
    location = GeoJSONGeometryField(allowed=["Point"])
    crs = _crs_field()
    description = serializers.CharField(max_length=2000)
    found_at = AwareDateTimeField()
    patrol = serializers.UUIDField(required=False, allow_null=True, default=None)
    legal_basis = serializers.CharField(max_length=200, required=False, allow_blank=True, default="")

    def to_internal_value(self, data: Any) -> Any:
        # The location's CRS comes from the body's own `crs` member.
        if isinstance(data, dict):
            with contextlib.suppress(ValueError):  # the crs field reports it
                self.context["crs"] = parse_crs(data.get("crs"))
        return super().to_internal_value(data)


class CaseAssignSerializer(StrictSerializer):
    responsible_unit = serializers.CharField(max_length=200)
    deadline = serializers.DateField()
    note = serializers.CharField(max_length=1000, required=False, allow_blank=True, default="")


class CaseNoteSerializer(StrictSerializer):
    note = serializers.CharField(max_length=1000, required=False, allow_blank=True, default="")


class CaseEventSerializer(serializers.ModelSerializer):
    # Plain strings in the schema: two members with the CaseStatus values would make two enum names.
    from_status = serializers.CharField(read_only=True)
    to_status = serializers.CharField(read_only=True)

    class Meta:
        model = CaseEvent
        fields = ["from_status", "to_status", "actor_label", "at", "note"]
        read_only_fields = fields


class CasePhotoSerializer(serializers.ModelSerializer):
    lon = serializers.SerializerMethodField()
    lat = serializers.SerializerMethodField()
    url = serializers.SerializerMethodField()

    class Meta:
        model = CasePhoto
        fields = [
            "id",
            "sha256",
            "content_type",
            "size_bytes",
            "width",
            "height",
            "stage",
            "taken_at",
            "lon",
            "lat",
            "flags",
            "uploaded_at",
            "url",
        ]
        read_only_fields = fields

    def get_lon(self, obj: CasePhoto) -> float | None:
        return obj.position.x if obj.position is not None else None

    def get_lat(self, obj: CasePhoto) -> float | None:
        return obj.position.y if obj.position is not None else None

    def get_url(self, obj: CasePhoto) -> str:
        return reverse("patrols:case-photo-file", kwargs={"pk": str(obj.case_id), "photo_id": obj.pk})


_CASE_PROPS = [
    "id",
    "category",
    "status",
    "source",
    "reach",
    "reach_code",
    "division",
    "description",
    "patrol",
    "reporter",
    "reporter_username",
    "found_at",
    "responsible_unit",
    "deadline",
    "legal_basis",
    "assigned_at",
    "rectifying_at",
    "submitted_at",
    "verified_at",
    "closed_at",
    "closed_via",
    "overdue_at",
    "overdue",
]


class CaseFeatureSerializer(GeoFeatureModelSerializer):
    source = CaseSourceField(choices=CaseSource.choices, read_only=True)
    reach_code = serializers.CharField(source="reach.code")
    division = serializers.CharField(source="reach.division.code")
    reporter_username = serializers.CharField(source="reporter.username")
    overdue = serializers.SerializerMethodField()

    class Meta:
        model = Case
        geo_field = "location"
        fields = _CASE_PROPS

    def get_overdue(self, obj: Case) -> bool:
        return obj.overdue_at is not None


class CaseDetailSerializer(CaseFeatureSerializer):
    events = CaseEventSerializer(many=True, read_only=True)
    photos = CasePhotoSerializer(many=True, read_only=True)

    class Meta(CaseFeatureSerializer.Meta):
        fields = [*_CASE_PROPS, "events", "photos"]


# --------------------------------------------------------------------------- litter


class LitterCreateSerializer(StrictSerializer):
    client_id = serializers.UUIDField(
        required=False,
        allow_null=True,
        default=None,
        help_text="the phone's UUID for this record: a resend with the same content returns the stored record (200)",
    )
    reach = serializers.IntegerField(min_value=1, max_value=MAX_ID)
    removed_on = serializers.DateField()
    tonnes = serializers.DecimalField(max_digits=9, decimal_places=3)
    patrol = serializers.UUIDField(required=False, allow_null=True, default=None)
    note = serializers.CharField(max_length=500, required=False, allow_blank=True, default="")


class LitterSerializer(serializers.ModelSerializer):
    reach_code = serializers.CharField(source="reach.code", read_only=True)
    division = serializers.CharField(source="reach.division.code", read_only=True)
    recorded_by_username = serializers.CharField(source="recorded_by.username", read_only=True)

    class Meta:
        model = LitterRemoval
        fields = [
            "id",
            "client_id",
            "reach",
            "reach_code",
            "division",
            "removed_on",
            "tonnes",
            "patrol",
            "recorded_by",
            "recorded_by_username",
            "note",
            "created_at",
        ]
        read_only_fields = fields


# --------------------------------------------------------------------------- rechecks


class RecheckSampleSerializer(StrictSerializer):
    count = serializers.IntegerField(min_value=1)
    start = serializers.DateField(required=False, help_text="closed from this Beijing date")
    end = serializers.DateField(required=False, help_text="closed until this Beijing date (inclusive)")
    division = serializers.CharField(required=False, max_length=12)
    seed = serializers.IntegerField(
        required=False, min_value=0, max_value=2**48 - 1, help_text="repeat an earlier draw"
    )

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        if attrs.get("start") and attrs.get("end") and attrs["end"] < attrs["start"]:
            raise serializers.ValidationError({"end": [_("Must be on or after start.")]})
        return attrs


class RecheckRecordSerializer(StrictSerializer):
    outcome = serializers.ChoiceField(choices=[RecheckOutcome.CONFIRMED, RecheckOutcome.RELAPSED])
    checked_on = serializers.DateField()
    note = serializers.CharField(max_length=1000, required=False, allow_blank=True, default="")


class RecheckSerializer(serializers.ModelSerializer):
    case_category = serializers.CharField(source="case.category", read_only=True)
    reach = serializers.IntegerField(source="case.reach_id", read_only=True)
    sampled_by_username = serializers.CharField(source="sampled_by.username", read_only=True)

    class Meta:
        model = CaseRecheck
        fields = [
            "id",
            "case",
            "case_category",
            "reach",
            "batch",
            "outcome",
            "sampled_at",
            "sampled_by_username",
            "checked_on",
            "note",
        ]
        read_only_fields = fields


# --------------------------------------------------------------------------- chiefs, compliance, rules


class ChiefsQuerySerializer(StrictSerializer):
    reach = serializers.IntegerField(min_value=1, max_value=MAX_ID)
    on = serializers.DateField(required=False)


class ComplianceQuerySerializer(StrictSerializer):
    start = serializers.DateField()
    end = serializers.DateField()
    chief = serializers.IntegerField(required=False, min_value=1, max_value=MAX_ID)
    level = serializers.ChoiceField(required=False, choices=ChiefLevel.choices)
    division = serializers.RegexField(r"^\d{6}(\d{3}(\d{3})?)?$", required=False)
    detail = serializers.BooleanField(required=False, default=False)
    format = serializers.ChoiceField(required=False, choices=["json", "csv", "xlsx"], default="json")

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        if attrs["end"] < attrs["start"]:
            raise serializers.ValidationError({"end": [_("Must be on or after start.")]})
        if (attrs["end"] - attrs["start"]).days > 366 * 3:
            raise serializers.ValidationError({"end": [_("At most three years at a time.")]})
        return attrs


class ComplianceRowSerializer(serializers.Serializer):
    chief = serializers.IntegerField(source="chief_id")
    chief_username = serializers.CharField()
    chief_name = serializers.CharField()
    level = serializers.CharField()
    jurisdiction = serializers.CharField()
    rule = serializers.CharField()
    periods = serializers.IntegerField()
    required = serializers.IntegerField()  # type: ignore[assignment]  # a field named like Field.required (see above)
    done = serializers.IntegerField()
    valid = serializers.IntegerField()
    missing = serializers.IntegerField()
    compliant = serializers.BooleanField()
    detail = serializers.ListField(child=serializers.DictField())


class ValidityRuleSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    jurisdiction = serializers.CharField()
    level = serializers.CharField()
    min_duration_s = serializers.IntegerField()
    min_length_m = serializers.IntegerField()
    min_gap_hours = serializers.IntegerField(allow_null=True)
    source = serializers.CharField()  # type: ignore[assignment]  # a field named like Field.source (see above)


class FrequencyRuleSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    jurisdiction = serializers.CharField()
    level = serializers.CharField()
    period = serializers.CharField()
    required_count = serializers.IntegerField()
    season_start_month = serializers.IntegerField()
    season_end_month = serializers.IntegerField()
    source = serializers.CharField()  # type: ignore[assignment]  # a field named like Field.source (see above)


# --------------------------------------------------------------------------- the patrol post's hot path

_SUBMIT_FIELDS = frozenset(PatrolSubmitSerializer._declared_fields)
_IGNORED_FIGURES = ("distance_km", "distance_m", "person_times", "duration_s")
_UUID_TEXT = re.compile(r"^[0-9a-fA-F]{8}-?[0-9a-fA-F]{4}-?[0-9a-fA-F]{4}-?[0-9a-fA-F]{4}-?[0-9a-fA-F]{12}$")
_aware = AwareDateTimeField()


def parse_patrol_submit(data: Any) -> dict[str, Any]:
    """Validate a POST /patrols/ body with the same rules and error shape as PatrolSubmitSerializer,
    by hand: building a DRF serializer (it deep-copies its fields per instance) costs more than the
    rest of the checks on the hot path. The serializer class documents the body in the schema."""
    if not isinstance(data, dict):
        raise serializers.ValidationError({"non_field_errors": [_("Expected a JSON object.")]})
    errors: dict[str, list[str]] = {}
    for name in sorted(set(data) - _SUBMIT_FIELDS):
        errors[name] = [_("Unknown field.")]
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
        if isinstance(raw_id, str) and _UUID_TEXT.match(raw_id):
            out["id"] = uuid.UUID(raw_id)
        else:
            errors["id"] = [_("Must be a valid UUID.")]
    reach = need("reach")
    if reach is not None:
        if type(reach) is int and 1 <= reach <= MAX_ID:
            out["reach"] = reach
        else:
            errors["reach"] = [_("A whole number from 1 to %(max_id)s.") % {"max_id": MAX_ID}]
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


def _local(value: dt.datetime) -> str:
    # As DRF renders every other time: in the project's zone (Beijing), whatever the input's offset.
    return timezone.localtime(value).isoformat()


def patrol_result(p: Patrol) -> dict[str, Any]:
    """PatrolResultSerializer's output, built directly (the post's answer on the hot path)."""
    return {
        "id": str(p.pk),
        "status": p.status,
        "chief": p.chief_id,
        "reach": p.reach_id,
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
