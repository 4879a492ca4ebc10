"""Recheck serializers."""

from __future__ import annotations

from typing import Any

from django.utils.translation import gettext as _
from rest_framework import serializers

from core.api.serializers import StrictSerializer
from patrols.choices import (
    RecheckOutcome,
)
from patrols.models import CaseRecheck

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
    reach = serializers.IntegerField(source="case.reach_id", read_only=True, allow_null=True)
    lake = serializers.IntegerField(source="case.lake_id", read_only=True, allow_null=True)
    sampled_by_username = serializers.CharField(source="sampled_by.username", read_only=True)

    class Meta:
        model = CaseRecheck
        fields = [
            "id",
            "case",
            "case_category",
            "reach",
            "lake",
            "batch",
            "outcome",
            "sampled_at",
            "sampled_by_username",
            "checked_on",
            "note",
        ]
        read_only_fields = fields
