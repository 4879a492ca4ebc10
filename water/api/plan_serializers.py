"""Serializers of the plans, red-line and ledger-lock API. Inputs refuse unknown fields; plan lines
are validated in the service (all bad lines named at once, `allocations[i].field`)."""

from __future__ import annotations

import datetime as dt
import re
from typing import Any

from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from core.api.fields import AwareDateTimeField
from core.api.serializers import MAX_ID, StrictSerializer
from water.choices import WaterUse
from water.models import LedgerLock, PlanVersion, RedLineTarget, WaterPlan
from water.plan_services import REDLINE_FIELDS

MAX_LINES = 20_000  # 12 months × a few uses × the intakes of a city
MAX_USAGE_DAYS = 3660  # ten years per request
_MONTH_RE = re.compile(r"^(\d{4})-(\d{2})$")


class AllocationInputSerializer(StrictSerializer):
    """One plan line. The month, volume and use rules are checked by the service, which names every
    bad line at once; here only the shapes."""

    intake = serializers.IntegerField(min_value=1, max_value=MAX_ID)
    month = serializers.IntegerField(help_text="1–12")
    volume_m3 = serializers.DecimalField(max_digits=30, decimal_places=10, help_text="m³, zero or more")
    use = serializers.CharField(
        required=False,
        allow_blank=True,
        default="",
        max_length=16,
        help_text=f"one of {', '.join(WaterUse.values)}; empty (default): the intake's main use",
    )


class PlanCreateSerializer(StrictSerializer):
    year = serializers.IntegerField(min_value=2000, max_value=2100)
    division = serializers.CharField(max_length=12, help_text="GB/T 2260 code inside your jurisdiction")
    title = serializers.CharField(max_length=200)
    notes = serializers.CharField(required=False, allow_blank=True, default="")
    allocations = serializers.ListField(child=AllocationInputSerializer(), required=False, max_length=MAX_LINES)


class PlanUpdateSerializer(StrictSerializer):
    title = serializers.CharField(max_length=200, required=False)
    notes = serializers.CharField(required=False, allow_blank=True)
    reason = serializers.CharField(required=False, allow_blank=True, default="")


class PlanAmendSerializer(StrictSerializer):
    reason = serializers.CharField(help_text="why (e.g. the unit's application for more, approved)")
    allocations = serializers.ListField(child=AllocationInputSerializer(), min_length=1, max_length=MAX_LINES)


class PlanAtSerializer(StrictSerializer):
    at = AwareDateTimeField(required=False, help_text="the plan as it stood at this instant")
    version = serializers.IntegerField(min_value=1, max_value=1_000_000, required=False)


class PlanSerializer(serializers.ModelSerializer):
    division = serializers.CharField(source="division.code")
    division_name = serializers.CharField(source="division.name")

    class Meta:
        model = WaterPlan
        fields = ["id", "year", "division", "division_name", "title", "notes", "version", "created_at", "updated_at"]


class PlanVersionSerializer(serializers.ModelSerializer):
    created_by = serializers.CharField(source="created_by_label")

    class Meta:
        model = PlanVersion
        fields = ["number", "reason", "created_by", "created_at"]


class UsageQuerySerializer(StrictSerializer):
    """`start`, `end`: Beijing dates, both included; `division`: a GB/T 2260 code."""

    start = serializers.DateField()
    end = serializers.DateField()
    division = serializers.CharField(max_length=12, required=False)
    format = serializers.ChoiceField(choices=["csv", "xlsx"], required=False)

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        days = (attrs["end"] - attrs["start"]).days + 1
        if days < 1:
            raise serializers.ValidationError({"end": [_("Must be on or after start.")]})
        if days > MAX_USAGE_DAYS:
            raise serializers.ValidationError(
                {"end": [_("At most %(max_usage_days)s days per request.") % {"max_usage_days": MAX_USAGE_DAYS}]}
            )
        return attrs


class RedLineSerializer(serializers.ModelSerializer):
    division = serializers.CharField(source="division.code")
    division_name = serializers.CharField(source="division.name")

    class Meta:
        model = RedLineTarget
        fields = [
            "id",
            "year",
            "division",
            "division_name",
            *REDLINE_FIELDS,
            "created_at",
            "updated_at",
        ]


def _decimal(digits: int, places: int, **kw: Any) -> serializers.DecimalField:
    return serializers.DecimalField(max_digits=digits, decimal_places=places, required=False, allow_null=True, **kw)


class RedLineWriteSerializer(StrictSerializer):
    """Targets and entered actuals; fractions (irrigation coefficient, zone compliance) are 0–1, the
    economy in 10⁴ yuan. An entered actual needs its source."""

    year = serializers.IntegerField(min_value=2000, max_value=2100)
    division = serializers.CharField(max_length=12)
    total_use_cap_m3 = _decimal(16, 2)
    per_gdp_target = _decimal(12, 3)
    per_iva_target = _decimal(12, 3)
    irrigation_target = _decimal(5, 3)
    zone_compliance_target = _decimal(6, 4)
    gdp_10k_yuan = _decimal(16, 2)
    gdp_source = serializers.CharField(max_length=200, required=False, allow_blank=True)
    iva_10k_yuan = _decimal(16, 2)
    iva_source = serializers.CharField(max_length=200, required=False, allow_blank=True)
    irrigation_coefficient = _decimal(5, 3)
    irrigation_source = serializers.CharField(max_length=200, required=False, allow_blank=True)
    zone_compliance = _decimal(6, 4)
    zone_compliance_source = serializers.CharField(max_length=200, required=False, allow_blank=True)
    notes = serializers.CharField(required=False, allow_blank=True)
    reason = serializers.CharField(required=False, allow_blank=True)


class RedLineSummaryQuerySerializer(StrictSerializer):
    year = serializers.IntegerField(min_value=2000, max_value=2100)
    division = serializers.CharField(max_length=12, required=False)
    as_of = serializers.DateField(required=False)

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        as_of = attrs.get("as_of")
        if as_of is not None and as_of.year != attrs["year"]:
            raise serializers.ValidationError({"as_of": [_("A day of the year asked for.")]})
        return attrs


@extend_schema_field({"type": "string", "pattern": "^[0-9]{4}-[0-9]{2}$", "example": "2024-03"})
class MonthField(serializers.Field):
    """A month as "YYYY-MM" → its first day."""

    default_error_messages = {"invalid": gettext_lazy("A month as YYYY-MM.")}

    def to_internal_value(self, data: Any) -> dt.date:
        match = _MONTH_RE.match(data) if isinstance(data, str) else None
        if match is None or not 1 <= int(match.group(2)) <= 12 or not 2000 <= int(match.group(1)) <= 2100:
            self.fail("invalid")
        return dt.date(int(match.group(1)), int(match.group(2)), 1)

    def to_representation(self, value: dt.date) -> str:
        return f"{value:%Y-%m}"


class LockCreateSerializer(StrictSerializer):
    division = serializers.CharField(max_length=12, help_text="GB/T 2260 code inside your jurisdiction")
    month = MonthField()
    note = serializers.CharField(required=False, allow_blank=True, default="")


class UnlockSerializer(StrictSerializer):
    reason = serializers.CharField()


class LockSerializer(serializers.ModelSerializer):
    division = serializers.CharField(source="division.code")
    division_name = serializers.CharField(source="division.name")
    month = MonthField()
    locked_by = serializers.CharField(source="locked_by_label")
    unlocked_by = serializers.SerializerMethodField()
    active = serializers.SerializerMethodField()

    class Meta:
        model = LedgerLock
        fields = [
            "id",
            "division",
            "division_name",
            "month",
            "locked_by",
            "locked_at",
            "note",
            "active",
            "unlocked_at",
            "unlocked_by",
            "unlock_reason",
        ]

    def get_unlocked_by(self, obj: LedgerLock) -> str | None:
        return obj.unlocked_by.get_username() if obj.unlocked_by is not None else None

    def get_active(self, obj: LedgerLock) -> bool:
        return obj.unlocked_at is None


class IntakePlanUseSerializer(serializers.Serializer):
    """One intake's use against plan (plan_selectors.IntakePlanUse.to_dict)."""

    intake_id = serializers.IntegerField()
    code = serializers.CharField()
    name = serializers.CharField()
    division_code = serializers.CharField()
    use_m3 = serializers.FloatField(help_text="metered use, locked months as locked")
    amendments_after_lock_m3 = serializers.FloatField()
    plan_m3 = serializers.FloatField(allow_null=True, help_text="partial months prorated by days")
    ratio = serializers.FloatField(allow_null=True, help_text="use ÷ plan, a fraction")
    over_m3 = serializers.FloatField()
    tier = serializers.ChoiceField(choices=["within", "5-10", "10-20", "20-30", "30+"])
    forecast_m3 = serializers.FloatField(allow_null=True, help_text="use to the end of the plan year")
    year_plan_m3 = serializers.FloatField(allow_null=True)
    estimated_m3 = serializers.FloatField()
    held_m3 = serializers.FloatField()


class PlanSummarySerializer(serializers.Serializer):
    """Use against plan in total over the period, and per intake (plan_selectors.PlanSummary.to_dict)."""

    period_label = serializers.CharField()
    division_code = serializers.CharField(allow_null=True)
    year = serializers.IntegerField(help_text="the plan year forecast to (the year of the period's last day)")
    as_of = serializers.DateField(allow_null=True, help_text="last day of data the forecast uses")
    unit = serializers.CharField()
    use_m3 = serializers.FloatField()
    amendments_after_lock_m3 = serializers.FloatField()
    plan_m3 = serializers.FloatField(allow_null=True)
    ratio = serializers.FloatField(allow_null=True)
    over_m3 = serializers.FloatField()
    tier = serializers.ChoiceField(choices=["within", "5-10", "10-20", "20-30", "30+"])
    forecast_m3 = serializers.FloatField(allow_null=True)
    year_plan_m3 = serializers.FloatField(allow_null=True)
    estimated_m3 = serializers.FloatField()
    held_m3 = serializers.FloatField()
    intakes = IntakePlanUseSerializer(many=True)
