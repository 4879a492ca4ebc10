"""The reuse rate: its query and its figures (by use class, per period, ecological share, target)."""

from __future__ import annotations

from typing import Any

from django.utils.translation import gettext as _
from rest_framework import serializers

from core.api.serializers import StrictSerializer
from reuse import selectors


class RateQuerySerializer(StrictSerializer):
    """GET /reuse/rate/ parameters. `start` and `end` are Beijing calendar dates, both inclusive."""

    MAX_YEARS = 20

    start = serializers.DateField()
    end = serializers.DateField()
    division = serializers.RegexField(
        r"^\d{6}(\d{3}(\d{3})?)?$", required=False, help_text="GB/T 2260 code; default: your whole jurisdiction"
    )
    ecological = serializers.ChoiceField(
        choices=[("counted", "counted"), ("excluded", "excluded")],
        required=False,
        help_text="count ecological replenishment as use; default: the REUSE_RATE_COUNT_ECOLOGICAL setting",
    )
    interval = serializers.ChoiceField(
        choices=[(i, i) for i in selectors.RATE_INTERVALS], required=False, help_text="add a series"
    )
    format = serializers.CharField(required=False, help_text="DRF's renderer override (json)")

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        if attrs["end"] < attrs["start"]:
            raise serializers.ValidationError({"end": [_("Must be on or after start.")]})
        if (attrs["end"] - attrs["start"]).days > 366 * self.MAX_YEARS:
            raise serializers.ValidationError(
                {"end": [_("At most %(max_years)s years after start.") % {"max_years": self.MAX_YEARS}]}
            )
        return attrs


def _m3(**kw: Any) -> serializers.DecimalField:
    return serializers.DecimalField(max_digits=18, decimal_places=3, **kw)


class ClassUseSerializer(serializers.Serializer):
    use_class = serializers.CharField()
    label = serializers.CharField()  # type: ignore[assignment]  # DRF pops declared fields off the class
    used_m3 = _m3(help_text="counted towards the rate")
    excluded_m3 = _m3(help_text="delivered but not counted (ecological, if excluded)")
    rate = serializers.FloatField(allow_null=True, help_text="used_m3 ÷ treated_m3 (fraction)")
    deliveries = serializers.IntegerField(help_text="monthly rows")
    users = serializers.IntegerField(help_text="metered users")


class _PeriodSerializer(serializers.Serializer):
    start = serializers.DateField(source="first_date")
    end = serializers.DateField(source="last_date", help_text="inclusive")
    label = serializers.CharField()  # type: ignore[assignment]  # DRF pops declared fields off the class


class RatePointSerializer(serializers.Serializer):
    label = serializers.CharField()  # type: ignore[assignment]  # DRF pops declared fields off the class
    start = serializers.DateField(source="first_date")
    end = serializers.DateField(source="last_date")
    treated_m3 = _m3()
    used_m3 = _m3()
    rate = serializers.FloatField(allow_null=True)


class _EcologicalSerializer(serializers.Serializer):
    counted = serializers.BooleanField(source="ecological_counted")
    volume_m3 = _m3(source="ecological_m3")


class _TargetSerializer(serializers.Serializer):
    rate = serializers.DecimalField(source="target", max_digits=6, decimal_places=4)
    progress = serializers.FloatField(allow_null=True, help_text="rate ÷ target")
    met = serializers.BooleanField(source="meets_target", allow_null=True)
    gap_m3 = _m3(help_text="more use needed to reach the target")


class _CountsSerializer(serializers.Serializer):
    plants = serializers.IntegerField()
    plant_months = serializers.IntegerField()
    deliveries = serializers.IntegerField()
    users = serializers.IntegerField()
    unmetered_rows = serializers.IntegerField()
    deliveries_without_plant_volume = serializers.IntegerField()


class RateSerializer(serializers.Serializer):
    """The reuse rate (再生水利用率) = used ÷ treated, as a fraction 0–1."""

    period = _PeriodSerializer()
    division = serializers.CharField(source="division_code", allow_null=True)
    treated_m3 = _m3()
    produced_m3 = _m3()
    delivered_m3 = _m3()
    used_m3 = _m3()
    rate = serializers.FloatField(allow_null=True)
    by_class = serializers.DictField(child=ClassUseSerializer())
    counts = _CountsSerializer()
    ecological_replenishment = _EcologicalSerializer(source="*")
    industrial_park_plants_counted = serializers.BooleanField()
    target = _TargetSerializer(source="*")
    prorated_months = serializers.ListField(child=serializers.CharField())
    series = RatePointSerializer(many=True)
