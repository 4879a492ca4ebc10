"""Chiefs, compliance and rule-table serializers."""

from __future__ import annotations

from typing import Any

from django.utils.translation import gettext as _
from rest_framework import serializers

from core.api.serializers import MAX_ID, StrictSerializer
from patrols.choices import (
    ChiefLevel,
)

# --------------------------------------------------------------------------- chiefs, compliance, rules


class ChiefsQuerySerializer(StrictSerializer):
    reach = serializers.IntegerField(min_value=1, max_value=MAX_ID)
    on = serializers.DateField(required=False)


class ComplianceQuerySerializer(StrictSerializer):
    start = serializers.DateField()
    end = serializers.DateField()
    chief = serializers.IntegerField(required=False, min_value=1, max_value=MAX_ID)
    level = serializers.ChoiceField(required=False, choices=ChiefLevel.choices)
    division = serializers.RegexField(r"^\d{6}(\d{3}(\d{3})?)?$", required=False)
    reach = serializers.IntegerField(
        required=False, min_value=1, max_value=MAX_ID, help_text="the chiefs appointed to this reach (id)"
    )
    lake = serializers.IntegerField(
        required=False, min_value=1, max_value=MAX_ID, help_text="the chiefs appointed to this lake or reservoir (id)"
    )
    detail = serializers.BooleanField(required=False, default=False)
    format = serializers.ChoiceField(required=False, choices=["json", "csv", "xlsx"], default="json")

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        if attrs["end"] < attrs["start"]:
            raise serializers.ValidationError({"end": [_("Must be on or after start.")]})
        if (attrs["end"] - attrs["start"]).days > 366 * 3:
            raise serializers.ValidationError({"end": [_("At most three years at a time.")]})
        if attrs.get("reach") is not None and attrs.get("lake") is not None:
            raise serializers.ValidationError({"lake": [_("Give a reach or a lake, not both.")]})
        return attrs


class ComplianceRowSerializer(serializers.Serializer):
    chief = serializers.IntegerField(source="chief_id")
    chief_username = serializers.CharField()
    chief_name = serializers.CharField()
    level = serializers.CharField()
    water = serializers.CharField(help_text="rivers, lakes or rivers_and_lakes: what the chief is appointed to")
    jurisdiction = serializers.CharField()
    rule = serializers.CharField()
    periods = serializers.IntegerField()
    required = serializers.IntegerField()  # type: ignore[assignment]  # a field named like Field.required (see above)
    done = serializers.IntegerField(help_text="巡河次数: the chief's completed patrols in the counted periods")
    person_times = serializers.IntegerField(
        help_text="巡河人次: the people on those patrols, the chief and each companion once per patrol"
    )
    valid = serializers.IntegerField()
    missing = serializers.IntegerField()
    compliant = serializers.BooleanField()
    detail = serializers.ListField(child=serializers.DictField())


class ValidityRuleSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    jurisdiction = serializers.CharField()
    level = serializers.CharField()
    min_duration_s = serializers.IntegerField()
    min_length_m = serializers.IntegerField()
    min_gap_hours = serializers.IntegerField(allow_null=True)
    source = serializers.CharField()  # type: ignore[assignment]  # a field named like Field.source (see above)


class FrequencyRuleSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    jurisdiction = serializers.CharField()
    level = serializers.CharField()
    period = serializers.CharField()
    required_count = serializers.IntegerField()
    season_start_month = serializers.IntegerField()
    season_end_month = serializers.IntegerField()
    source = serializers.CharField()  # type: ignore[assignment]  # a field named like Field.source (see above)
