"""Litter removal serializers."""

from __future__ import annotations

from rest_framework import serializers

from core.api.serializers import MAX_ID, StrictSerializer
from patrols.models import LitterRemoval

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
