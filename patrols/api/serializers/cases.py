"""Case serializers."""

from __future__ import annotations

import contextlib
from typing import Any

from django.urls import reverse
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers
from rest_framework_gis.serializers import GeoFeatureModelSerializer

from core.api.fields import AwareDateTimeField, GeoJSONGeometryField
from core.api.serializers import StrictSerializer
from core.geo import parse_crs
from patrols.api.serializers.patrols import _crs_field, check_reach_or_lake, reach_field
from patrols.choices import (
    CaseCategory,
    CaseSource,
)
from patrols.models import Case, CaseEvent, CasePhoto

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
    reach = reach_field("id of the reach; or give `lake`")
    lake = reach_field("id of the lake or reservoir, in place of `reach`")
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

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        return check_reach_or_lake(attrs)


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
    "lake",
    "lake_code",
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
    reach_code = serializers.CharField(source="reach.code", allow_null=True, default=None)
    lake_code = serializers.CharField(source="lake.code", allow_null=True, default=None)
    division = serializers.CharField(source="site.division.code")
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
