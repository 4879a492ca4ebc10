"""Water users (the reclaimed water's customers): input and output."""

from __future__ import annotations

from rest_framework import serializers
from rest_framework_gis.fields import GeometryField

from reuse.api.serializers.fields import (
    CODE_HELP,
    CODE_REGEX,
    GeoInputSerializer,
    GeometryInput,
    volume_field,
)
from reuse.choices import (
    SubUse,
    UseClass,
)
from reuse.models import WaterUser


class WaterUserInputSerializer(GeoInputSerializer):
    """POST /reuse/users/, and PATCH /reuse/users/{id}/ with every field optional but `code`."""

    code = serializers.RegexField(CODE_REGEX, help_text=CODE_HELP)
    name = serializers.CharField(max_length=100)
    division = serializers.CharField(max_length=12, help_text="GB/T 2260 code of the user's division")
    plant = serializers.CharField(
        max_length=32, required=False, allow_null=True, allow_blank=True, help_text="supplying plant code"
    )
    use_class = serializers.ChoiceField(
        choices=UseClass.choices, required=False, allow_null=True, help_text="may be left out when sub_use is given"
    )
    sub_use = serializers.ChoiceField(choices=SubUse.choices, required=False, allow_blank=True)
    contract_volume_m3 = volume_field(required=False, allow_null=True, help_text="annual contract volume")
    metered = serializers.BooleanField(default=True)
    location = GeometryInput(allowed=["Point"], required=False, allow_null=True)


class WaterUserSerializer(serializers.ModelSerializer):
    use_class = serializers.CharField(read_only=True)
    sub_use = serializers.CharField(read_only=True)
    division = serializers.CharField(source="division.code", read_only=True)
    plant = serializers.CharField(source="plant.code", read_only=True, allow_null=True, default=None)
    location = GeometryField(read_only=True, allow_null=True)

    class Meta:
        model = WaterUser
        fields = [
            "id",
            "code",
            "name",
            "division",
            "plant",
            "use_class",
            "sub_use",
            "contract_volume_m3",
            "metered",
            "location",
        ]
        read_only_fields = fields
