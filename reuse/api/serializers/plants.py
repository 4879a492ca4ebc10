"""Plants (reclaimed-water plants): input and GeoJSON output."""

from __future__ import annotations

from rest_framework import serializers
from rest_framework_gis.serializers import GeoFeatureModelSerializer

from reuse.api.serializers.fields import (
    CODE_HELP,
    CODE_REGEX,
    GeoInputSerializer,
    GeometryInput,
    capacity_field,
)
from reuse.choices import (
    EffluentStandard,
    PlantKind,
)
from reuse.models import Plant


class PlantInputSerializer(GeoInputSerializer):
    """POST /reuse/plants/, and PATCH /reuse/plants/{id}/ with every field optional (but `code`, the
    plant's key, which does not change). One serializer for both, so each choice set appears in one
    schema component."""

    code = serializers.RegexField(CODE_REGEX, help_text=CODE_HELP)
    name = serializers.CharField(max_length=100)
    kind = serializers.ChoiceField(choices=PlantKind.choices, default=PlantKind.MUNICIPAL)
    division = serializers.CharField(max_length=12, help_text="GB/T 2260 code of the plant's division")
    location = GeometryInput(allowed=["Point"])
    design_capacity_m3d = capacity_field()
    actual_capacity_m3d = capacity_field(required=False, allow_null=True)
    effluent_standard = serializers.ChoiceField(choices=EffluentStandard.choices, default=EffluentStandard.GB18918_1A)
    commissioned_on = serializers.DateField(required=False, allow_null=True)
    operator_name = serializers.CharField(max_length=100, required=False, allow_blank=True)


class PlantSerializer(GeoFeatureModelSerializer):
    division = serializers.CharField(source="division.code")
    division_name = serializers.CharField(source="division.name")

    class Meta:
        model = Plant
        geo_field = "location"
        fields = [
            "id",
            "code",
            "name",
            "kind",
            "division",
            "division_name",
            "design_capacity_m3d",
            "actual_capacity_m3d",
            "effluent_standard",
            "commissioned_on",
            "operator_name",
        ]
