"""GeoJSON Features of the places layers (output only: places are written by import and admin)."""

from __future__ import annotations

from rest_framework import serializers
from rest_framework_gis.serializers import GeoFeatureModelSerializer

from places.models import Division, Lake, Reach, River


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
            "id", "code", "name", "river", "river_code", "river_name", "division",
            "length_m", "length_km", "start_description", "end_description",
        ]  # fmt: skip

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
