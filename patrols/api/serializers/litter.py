"""Litter removal serializers."""

from __future__ import annotations

from typing import Any

from rest_framework import serializers

from core.api.serializers import StrictSerializer
from patrols.api.serializers.patrols import check_reach_or_lake, reach_field
from patrols.models import LitterRemoval

# --------------------------------------------------------------------------- litter


class LitterCreateSerializer(StrictSerializer):
    client_id = serializers.UUIDField(
        required=False,
        allow_null=True,
        default=None,
        help_text="the phone's UUID for this record: a resend with the same content returns the stored record (200)",
    )
    reach = reach_field("id of the reach; or give `lake`")
    lake = reach_field("id of the lake or reservoir, in place of `reach`")
    removed_on = serializers.DateField()
    tonnes = serializers.DecimalField(max_digits=9, decimal_places=3)
    patrol = serializers.UUIDField(required=False, allow_null=True, default=None)
    note = serializers.CharField(max_length=500, required=False, allow_blank=True, default="")

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        return check_reach_or_lake(attrs)


class LitterSerializer(serializers.ModelSerializer):
    reach_code = serializers.CharField(source="reach.code", read_only=True, allow_null=True, default=None)
    lake_code = serializers.CharField(source="lake.code", read_only=True, allow_null=True, default=None)
    division = serializers.CharField(source="site.division.code", read_only=True)
    recorded_by_username = serializers.CharField(source="recorded_by.username", read_only=True)

    class Meta:
        model = LitterRemoval
        fields = [
            "id",
            "client_id",
            "reach",
            "reach_code",
            "lake",
            "lake_code",
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
