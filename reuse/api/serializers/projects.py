"""Projects (reuse projects), their stations and pipelines: inputs, the status advance and outputs."""

from __future__ import annotations

from decimal import Decimal

from rest_framework import serializers
from rest_framework_gis.fields import GeometryField
from rest_framework_gis.serializers import GeoFeatureModelSerializer

from core.api.serializers import StrictSerializer
from reuse.api.serializers.fields import (
    CODE_HELP,
    CODE_REGEX,
    GeoInputSerializer,
    GeometryInput,
    capacity_field,
)
from reuse.choices import (
    PipeMaterial,
    ProjectKind,
    ProjectStatus,
)
from reuse.models import Project


class ProjectInputSerializer(GeoInputSerializer):
    """POST /reuse/projects/: a project at the status it has reached, with the dates of its steps.
    PATCH /reuse/projects/{id}/ takes the same fields, all optional, but neither `code` nor `status`
    (the status moves through …/advance/)."""

    code = serializers.RegexField(CODE_REGEX, help_text=CODE_HELP)
    status = serializers.ChoiceField(choices=ProjectStatus.choices, default=ProjectStatus.PLANNED)
    name = serializers.CharField(max_length=100)
    kind = serializers.ChoiceField(choices=ProjectKind.choices)
    division = serializers.CharField(max_length=12, help_text="GB/T 2260 code of the project's division")
    plant = serializers.CharField(max_length=32, required=False, allow_null=True, allow_blank=True)
    started_on = serializers.DateField(required=False, allow_null=True)
    completed_on = serializers.DateField(required=False, allow_null=True)
    operating_since = serializers.DateField(required=False, allow_null=True)
    investment_yuan = serializers.DecimalField(
        max_digits=16, decimal_places=2, min_value=Decimal(0), required=False, allow_null=True
    )
    capacity_m3d = capacity_field(required=False, allow_null=True)
    location = GeometryInput(allowed=["Point"], required=False, allow_null=True)
    route = GeometryInput(
        allowed=["MultiLineString"],
        promote_to_multi=True,
        required=False,
        allow_null=True,
        help_text="A pipeline's route: LineString or MultiLineString; its length is computed, not given",
    )
    diameter_mm = serializers.IntegerField(min_value=1, max_value=10_000, required=False, allow_null=True)
    material = serializers.ChoiceField(choices=PipeMaterial.choices, required=False, allow_blank=True)
    description = serializers.CharField(max_length=2000, required=False, allow_blank=True)


class ProjectAdvanceSerializer(StrictSerializer):
    # A plain string (checked by the service): the choice set is documented once, on ProjectInput.
    status = serializers.CharField(max_length=24, help_text="the next status")
    on = serializers.DateField(help_text="the date the project reached it")


class _LengthKm:
    def get_length_km(self, obj: Project) -> float | None:
        # domain.md §5.4: pipeline lengths are shown in km to 1–2 decimals; length_m keeps full precision.
        return round(obj.length_m / 1000, 2) if obj.length_m is not None else None


# Outputs give closed sets as plain strings: the choice sets are documented once, on the inputs (an enum
# in several schema components makes drf-spectacular's enum naming collide across apps).


class ProjectSerializer(_LengthKm, serializers.ModelSerializer):
    kind = serializers.CharField(read_only=True)
    status = serializers.CharField(read_only=True)
    material = serializers.CharField(read_only=True)
    division = serializers.CharField(source="division.code", read_only=True)
    plant = serializers.CharField(source="plant.code", read_only=True, allow_null=True, default=None)
    location = GeometryField(read_only=True, allow_null=True)
    route = GeometryField(read_only=True, allow_null=True)
    length_km = serializers.SerializerMethodField()

    class Meta:
        model = Project
        fields = [
            "id",
            "code",
            "name",
            "kind",
            "status",
            "division",
            "plant",
            "started_on",
            "completed_on",
            "operating_since",
            "investment_yuan",
            "capacity_m3d",
            "location",
            "route",
            "length_m",
            "length_km",
            "diameter_mm",
            "material",
            "description",
        ]
        read_only_fields = fields


class StationSerializer(GeoFeatureModelSerializer):
    """A lift pump station as a point Feature."""

    division = serializers.CharField(source="division.code")
    plant = serializers.CharField(source="plant.code", allow_null=True, default=None)

    class Meta:
        model = Project
        geo_field = "location"
        fields = [
            "id",
            "code",
            "name",
            "status",
            "division",
            "plant",
            "capacity_m3d",
            "started_on",
            "completed_on",
            "operating_since",
            "investment_yuan",
        ]


class PipelineSerializer(_LengthKm, GeoFeatureModelSerializer):
    """A pipeline network as a (Multi)LineString Feature with its geodesic length."""

    division = serializers.CharField(source="division.code")
    plant = serializers.CharField(source="plant.code", allow_null=True, default=None)
    length_km = serializers.SerializerMethodField()

    class Meta:
        model = Project
        geo_field = "route"
        auto_bbox = True
        fields = [
            "id",
            "code",
            "name",
            "status",
            "division",
            "plant",
            "length_m",
            "length_km",
            "diameter_mm",
            "material",
            "capacity_m3d",
            "started_on",
            "completed_on",
            "operating_since",
            "investment_yuan",
        ]
