"""GeoJSON Features of the places layers (output only: places are written by import and admin)."""

from __future__ import annotations

from typing import Any

from django.utils.translation import gettext as _
from rest_framework import serializers
from rest_framework_gis.serializers import GeoFeatureModelSerializer

from core.api.serializers import MAX_ID, StrictSerializer
from places.choices import ChiefLevel
from places.models import ChiefAssignment, Division, Lake, Reach, River


class DivisionSerializer(GeoFeatureModelSerializer):
    parent = serializers.CharField(source="parent.code", allow_null=True, default=None)

    class Meta:
        model = Division
        geo_field = "boundary"
        auto_bbox = True
        fields = ["id", "code", "name", "name_en", "level", "parent", "area_m2"]


class RiverSerializer(GeoFeatureModelSerializer):
    division = serializers.CharField(source="division.code")
    length_km = serializers.SerializerMethodField()

    class Meta:
        model = River
        geo_field = "geometry"
        auto_bbox = True
        fields = ["id", "code", "name", "name_en", "division", "length_m", "length_km"]

    def get_length_km(self, obj: River) -> float:
        return round(obj.length_m / 1000, 3)


class ReachSerializer(GeoFeatureModelSerializer):
    river = serializers.IntegerField(source="river_id")
    river_code = serializers.CharField(source="river.code")
    river_name = serializers.CharField(source="river.name")
    division = serializers.CharField(source="division.code")
    length_km = serializers.SerializerMethodField()

    class Meta:
        model = Reach
        geo_field = "geometry"
        auto_bbox = True
        fields = [
            "id",
            "code",
            "name",
            "river",
            "river_code",
            "river_name",
            "division",
            "length_m",
            "length_km",
            "start_description",
            "end_description",
        ]

    def get_length_km(self, obj: Reach) -> float:
        return round(obj.length_m / 1000, 3)


class LakeSerializer(GeoFeatureModelSerializer):
    division = serializers.CharField(source="division.code")
    area_km2 = serializers.SerializerMethodField()

    class Meta:
        model = Lake
        geo_field = "geometry"
        auto_bbox = True
        fields = ["id", "code", "name", "name_en", "kind", "division", "area_m2", "area_km2"]

    def get_area_km2(self, obj: Lake) -> float:
        return round(obj.area_m2 / 1e6, 4)


class AssignmentSerializer(serializers.ModelSerializer):
    """A chief appointment as listed."""

    chief_username = serializers.CharField(source="chief.username", read_only=True)
    chief_name = serializers.CharField(source="chief.display_name", read_only=True)
    reach_code = serializers.CharField(source="reach.code", read_only=True, default=None, allow_null=True)
    lake_code = serializers.CharField(source="lake.code", read_only=True, default=None, allow_null=True)

    class Meta:
        model = ChiefAssignment
        fields = [
            "id",
            "chief",
            "chief_username",
            "chief_name",
            "level",
            "reach",
            "reach_code",
            "lake",
            "lake_code",
            "valid_from",
            "valid_until",
        ]
        read_only_fields = fields


class AssignmentCreateSerializer(StrictSerializer):
    """Input of POST /places/assignments/. The reach or lake must be in the caller's scope."""

    chief = serializers.IntegerField(min_value=1, max_value=MAX_ID)
    level = serializers.ChoiceField(choices=ChiefLevel.choices)
    reach = serializers.IntegerField(min_value=1, max_value=MAX_ID, required=False, allow_null=True)
    lake = serializers.IntegerField(min_value=1, max_value=MAX_ID, required=False, allow_null=True)
    valid_from = serializers.DateField()
    valid_until = serializers.DateField(required=False, allow_null=True)

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        if (attrs.get("reach") is None) == (attrs.get("lake") is None):
            raise serializers.ValidationError({"reach": [_("Give a reach or a lake, not both.")]})
        until = attrs.get("valid_until")
        if until is not None and until < attrs["valid_from"]:
            raise serializers.ValidationError({"valid_until": [_("Must be on or after valid_from.")]})
        return attrs


class AssignmentEndSerializer(StrictSerializer):
    valid_until = serializers.DateField()
