"""Serializers of the quality API: GeoJSON Features for sections, plain JSON for samples, strict
input serializers for every write."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.utils.translation import gettext as _
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers
from rest_framework_gis.serializers import GeoFeatureModelSerializer

from core.api.fields import AwareDateTimeField, GeoJSONGeometryField
from core.api.serializers import MAX_ID, StrictSerializer
from quality import gb3838
from quality.choices import SampleSource, SectionCategory, WaterBody
from quality.models import Measurement, Sample, Section, SectionExclusion

CODE_PATTERN = r"^[A-Za-z0-9][A-Za-z0-9_.\-]{0,31}$"


@extend_schema_field(
    {
        "type": "object",
        "description": "A GeoJSON Point in WGS84 (lon, lat)",
        "required": ["type", "coordinates"],
        "properties": {
            "type": {"type": "string", "enum": ["Point"]},
            "coordinates": {"type": "array", "items": {"type": "number"}, "minItems": 2, "maxItems": 3},
        },
    }
)
class PointInputField(GeoJSONGeometryField):
    """A GeoJSON Point, documented as such in the OpenAPI schema."""

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(allowed=["Point"], **kwargs)


MAX_PERIOD_DAYS = 3700  # ten years and a little: a summary never needs more, and it bounds the work


class SectionSerializer(GeoFeatureModelSerializer):
    division = serializers.CharField(source="division.code")
    reach_code = serializers.CharField(source="reach.code", default=None, allow_null=True)
    river_code = serializers.CharField(source="reach.river.code", default=None, allow_null=True)
    lake_code = serializers.CharField(source="lake.code", default=None, allow_null=True)
    target_class_label = serializers.CharField(source="get_target_class_display")

    class Meta:
        model = Section
        geo_field = "location"
        fields = [
            "id",
            "code",
            "name",
            "category",
            "water_body",
            "reach",
            "reach_code",
            "river_code",
            "lake",
            "lake_code",
            "division",
            "target_class",
            "target_class_label",
            "counts_in_statistics",
            "note",
        ]
        read_only_fields = fields


class SectionCreateSerializer(StrictSerializer):
    """Input of POST /quality/sections/. The reach or lake and the division must lie in the caller's
    jurisdiction; the division defaults to the reach's or lake's."""

    code = serializers.RegexField(CODE_PATTERN, max_length=32)
    name = serializers.CharField(max_length=100)
    category = serializers.ChoiceField(choices=SectionCategory.choices)
    reach = serializers.IntegerField(min_value=1, max_value=MAX_ID, required=False, allow_null=True)
    lake = serializers.IntegerField(min_value=1, max_value=MAX_ID, required=False, allow_null=True)
    division = serializers.RegexField(r"^\d{6}(\d{3}(\d{3})?)?$", required=False, allow_null=True)
    location = PointInputField()
    target_class = serializers.IntegerField(min_value=1, max_value=5)
    counts_in_statistics = serializers.BooleanField(default=True)
    note = serializers.CharField(max_length=200, required=False, allow_blank=True, default="")

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        if (attrs.get("reach") is None) == (attrs.get("lake") is None):
            raise serializers.ValidationError({"reach": [_("Give a reach or a lake, not both.")]})
        if attrs["category"] == SectionCategory.RIVER and attrs.get("reach") is None:
            raise serializers.ValidationError({"reach": [_("A river section needs a reach.")]})
        if attrs["category"] == SectionCategory.LAKE and attrs.get("lake") is None:
            raise serializers.ValidationError({"lake": [_("A lake/reservoir point needs a lake.")]})
        return attrs


class SectionUpdateSerializer(StrictSerializer):
    """Input of PATCH /quality/sections/{id}/: what may change on a section."""

    name = serializers.CharField(max_length=100, required=False)
    location = PointInputField(required=False)
    target_class = serializers.IntegerField(min_value=1, max_value=5, required=False)
    counts_in_statistics = serializers.BooleanField(required=False)
    note = serializers.CharField(max_length=200, required=False, allow_blank=True)


class MeasurementSerializer(serializers.ModelSerializer):
    key = serializers.SerializerMethodField()
    name = serializers.SerializerMethodField()
    unit = serializers.SerializerMethodField()

    class Meta:
        model = Measurement
        fields = ["item", "key", "name", "value", "unit", "below_detection_limit", "detection_limit", "reported_unit"]
        read_only_fields = fields

    def get_key(self, obj: Measurement) -> str:
        return gb3838.ITEMS_BY_CODE[obj.item].key

    def get_name(self, obj: Measurement) -> str:
        return gb3838.ITEMS_BY_CODE[obj.item].label

    def get_unit(self, obj: Measurement) -> str:
        return str(gb3838.ITEMS_BY_CODE[obj.item].unit)


class SampleSerializer(serializers.ModelSerializer):
    section_code = serializers.CharField(source="section.code", read_only=True)
    measurements = MeasurementSerializer(many=True, read_only=True)

    class Meta:
        model = Sample
        fields = ["id", "section", "section_code", "sampled_at", "source", "note", "created_at", "measurements"]
        read_only_fields = fields


class SampleCreateSerializer(StrictSerializer):
    """Input of POST /quality/samples/: one sample with its results keyed by HJ 212 code or alias.

    A result is a number (in the item's unit: mg/L; count/L for fecal coliform; °C; pH units), a
    string ("0.52", "<0.01" or "0.01L" for a non-detect), or an object
    {"value", "unit", "below_detection_limit", "detection_limit"}. Under an HJ 212 code a value without
    a unit is in the code's unit (the code names it). Under a free-text name (Hg, 汞), metals, cyanide,
    volatile phenol and fecal coliform need the object form with a unit: labs report them in more than
    one unit."""

    section = serializers.IntegerField(min_value=1, max_value=MAX_ID)
    sampled_at = AwareDateTimeField()
    # A field named like Field.source: the serializer metaclass takes it as a field, the stubs see a clash.
    source = serializers.ChoiceField(choices=SampleSource.choices, default=SampleSource.MANUAL)  # type: ignore[assignment]
    note = serializers.CharField(max_length=200, required=False, allow_blank=True, default="")
    values = serializers.DictField(child=serializers.JSONField(), allow_empty=False)


class ClassifySerializer(StrictSerializer):
    """Input of POST /quality/classify/: results of one sample (as for samples) and the water body."""

    category = serializers.ChoiceField(choices=WaterBody.choices)
    values = serializers.DictField(child=serializers.JSONField(), allow_empty=False)
    target_class = serializers.IntegerField(min_value=1, max_value=5, required=False)


class PeriodQuerySerializer(serializers.Serializer):
    """?start=&end= (Beijing calendar dates, both inclusive) and an optional ?division=."""

    start = serializers.DateField()
    end = serializers.DateField()
    division = serializers.CharField(required=False, max_length=12)

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        start: dt.date = attrs["start"]
        end: dt.date = attrs["end"]
        if end < start:
            raise serializers.ValidationError({"end": [_("Must be on or after start.")]})
        if (end - start).days > MAX_PERIOD_DAYS:
            raise serializers.ValidationError(
                {"end": [_("A period of at most %(max_period_days)s days.") % {"max_period_days": MAX_PERIOD_DAYS}]}
            )
        if end >= dt.date.max:
            raise serializers.ValidationError({"end": [_("Too far in the future.")]})
        return attrs


@extend_schema_field({"type": "string", "pattern": r"^\d{4}-(0[1-9]|1[0-2])$", "example": "2024-07"})
class MonthField(serializers.Field):
    """A calendar month, "2024-07" (a full date is taken as its month)."""

    default_error_messages = {"invalid": "A month as YYYY-MM, e.g. 2024-07."}

    def to_internal_value(self, data: Any) -> dt.date:
        text = str(data).strip() if isinstance(data, str) else ""
        try:
            if len(text) == 7:
                return dt.date(int(text[:4]), int(text[5:7]), 1) if text[4] == "-" else self.fail("invalid")
            return dt.date.fromisoformat(text).replace(day=1)
        except ValueError:
            self.fail("invalid")
        raise AssertionError  # unreachable: fail() raises

    def to_representation(self, value: dt.date) -> str:
        return f"{value:%Y-%m}"


class SectionExclusionSerializer(serializers.ModelSerializer):
    first_month = MonthField()
    last_month = MonthField()

    class Meta:
        model = SectionExclusion
        fields = ["id", "section", "first_month", "last_month", "reason", "created_by", "created_at"]


class SectionExclusionCreateSerializer(StrictSerializer):
    first_month = MonthField()
    last_month = MonthField()
    reason = serializers.CharField(max_length=200)
