"""Serializers of the water API: GeoJSON Features for intakes, plain JSON for the rest; input
serializers refuse unknown fields (StrictSerializer). The reading batch is not validated here but in
water.ingest (one tight loop, no serializer per row)."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from django.utils.translation import gettext as _
from rest_framework import serializers
from rest_framework_gis.serializers import GeoFeatureModelSerializer

from core.api.fields import AwareDateTimeField, GeoJSONGeometryField
from core.api.serializers import MAX_ID, StrictSerializer
from core.geo import InputCRS
from water.choices import (
    AlertState,
    MeterState,
    Protocol,
    Review,
    SourceType,
    VolumeInterval,
    WaterUse,
    WithdrawalMode,
)
from water.models import Alert, Intake, Meter
from water.selectors import online_metering_required

TEN_THOUSAND = Decimal(10_000)
MAX_VOLUME_DAYS = 3660  # ten years per request
MAX_DAILY_DAYS = 732  # two years of daily figures per request


# --------------------------------------------------------------------------------------- intakes


class IntakeSerializer(GeoFeatureModelSerializer):
    """An intake as a GeoJSON Feature (the ledger's "one map")."""

    division = serializers.CharField(source="division.code")
    division_name = serializers.CharField(source="division.name")
    river_code = serializers.CharField(source="river.code", default=None, allow_null=True)
    lake_code = serializers.CharField(source="lake.code", default=None, allow_null=True)
    permitted_annual_10k_m3 = serializers.SerializerMethodField(help_text="permitted annual volume in 10⁴ m³")
    online_required = serializers.SerializerMethodField()
    meters = serializers.SerializerMethodField()
    operators = serializers.SerializerMethodField()

    class Meta:
        model = Intake
        geo_field = "location"
        fields = [
            "id",
            "code",
            "name",
            "source_type",
            "water_body_name",
            "river",
            "river_code",
            "lake",
            "lake_code",
            "division",
            "division_name",
            "main_use",
            "withdrawal_mode",
            "capacity_m3s",
            "permit_number",
            "permit_holder",
            "permitted_annual_m3",
            "permitted_annual_10k_m3",
            "permit_valid_from",
            "permit_valid_until",
            "online_required",
            "meters",
            "operators",
            "notes",
        ]

    def get_permitted_annual_10k_m3(self, obj: Intake) -> float | None:
        v = obj.permitted_annual_m3
        return float(round(v / TEN_THOUSAND, 4)) if v is not None else None

    def get_online_required(self, obj: Intake) -> bool:
        return online_metering_required(obj.source_type, obj.permitted_annual_m3)

    def get_meters(self, obj: Intake) -> list[str]:
        return [m.serial for m in obj.meters.all()]

    def get_operators(self, obj: Intake) -> list[int]:
        return sorted(u.pk for u in obj.operators.all())


class IntakeWriteSerializer(StrictSerializer):
    """Input of POST (all required fields) and PATCH (any subset) on /water/intakes/.

    `division`, `river` and `lake` must be in the caller's jurisdiction; `location` is a GeoJSON
    Point in WGS84 unless `crs` says EPSG:4490 (CGCS2000) or GCJ-02."""

    crs = serializers.ChoiceField(choices=[c.value for c in InputCRS], required=False)
    code = serializers.CharField(max_length=32)
    name = serializers.CharField(max_length=100)
    source_type = serializers.ChoiceField(choices=SourceType.choices)
    water_body_name = serializers.CharField(max_length=100, required=False, allow_blank=True)
    river = serializers.IntegerField(min_value=1, max_value=MAX_ID, required=False, allow_null=True)
    lake = serializers.IntegerField(min_value=1, max_value=MAX_ID, required=False, allow_null=True)
    location = GeoJSONGeometryField(allowed=["Point"])
    division = serializers.CharField(max_length=12)
    main_use = serializers.ChoiceField(choices=WaterUse.choices)
    withdrawal_mode = serializers.ChoiceField(choices=WithdrawalMode.choices, required=False, allow_blank=True)
    capacity_m3s = serializers.DecimalField(
        max_digits=10, decimal_places=4, min_value=Decimal("0.0001"), required=False, allow_null=True
    )
    permit_number = serializers.CharField(max_length=64, required=False, allow_blank=True)
    permit_holder = serializers.CharField(max_length=200, required=False, allow_blank=True)
    permitted_annual_m3 = serializers.DecimalField(
        max_digits=14, decimal_places=2, min_value=Decimal(0), required=False, allow_null=True
    )
    permit_valid_from = serializers.DateField(required=False, allow_null=True)
    permit_valid_until = serializers.DateField(required=False, allow_null=True)
    operators = serializers.ListField(
        child=serializers.IntegerField(min_value=1, max_value=MAX_ID), required=False, max_length=100
    )
    notes = serializers.CharField(required=False, allow_blank=True, max_length=5000)

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        if attrs.get("river") is not None and attrs.get("lake") is not None:
            raise serializers.ValidationError({"lake": [_("Give a river or a lake, not both.")]})
        start, until = attrs.get("permit_valid_from"), attrs.get("permit_valid_until")
        if start is not None and until is not None and until < start:
            raise serializers.ValidationError({"permit_valid_until": [_("Must be on or after permit_valid_from.")]})
        return attrs


class ExportQuerySerializer(StrictSerializer):
    format = serializers.ChoiceField(choices=["csv", "xlsx"], default="csv")


# --------------------------------------------------------------------------------------- meters


class MeterSerializer(serializers.ModelSerializer):
    """A meter as listed (plain JSON)."""

    intake_code = serializers.CharField(source="intake.code", read_only=True)
    device_username = serializers.CharField(source="device.username", default=None, allow_null=True, read_only=True)
    replaces_serial = serializers.CharField(source="replaces.serial", default=None, allow_null=True, read_only=True)
    replaced_by_serial = serializers.SerializerMethodField()
    active = serializers.SerializerMethodField()
    rtu_password_set = serializers.SerializerMethodField(
        help_text="whether the gateway checks an SL 651 password for this meter (the password is never shown)"
    )

    class Meta:
        model = Meter
        fields = [
            "id",
            "serial",
            "intake",
            "intake_code",
            "device",
            "device_username",
            "meter_type",
            "rtu_address",
            "rtu_password_set",
            "protocol",
            "decoding_profile",
            "register_max_m3",
            "multiplier",
            "expected_interval_s",
            "calibrated_on",
            "installed_at",
            "install_reading_m3",
            "removed_at",
            "removal_reading_m3",
            "replaces",
            "replaces_serial",
            "replaced_by_serial",
            "active",
        ]
        read_only_fields = fields

    def get_replaced_by_serial(self, obj: Meter) -> str | None:
        successor = getattr(obj, "replaced_by", None)
        return successor.serial if successor is not None else None

    def get_active(self, obj: Meter) -> bool:
        return obj.removed_at is None

    def get_rtu_password_set(self, obj: Meter) -> bool:
        return bool(obj.rtu_password)


class _MeterFields(StrictSerializer):
    device = serializers.IntegerField(min_value=1, max_value=MAX_ID, required=False, allow_null=True)
    meter_type = serializers.CharField(max_length=64, required=False, allow_blank=True)
    rtu_address = serializers.CharField(max_length=32, required=False, allow_blank=True)
    rtu_password = serializers.RegexField(
        r"^[0-9A-Fa-f]{4}$",
        max_length=4,
        required=False,
        allow_blank=True,
        write_only=True,
        help_text="SL 651: the RTU's password, four hex digits; the gateway refuses frames with another one. "
        "Blank: not checked.",
    )
    protocol = serializers.ChoiceField(choices=Protocol.choices, required=False)
    decoding_profile = serializers.CharField(max_length=64, required=False, allow_blank=True)
    register_max_m3 = serializers.DecimalField(
        max_digits=15, decimal_places=3, min_value=Decimal("0.001"), required=False, allow_null=True
    )
    multiplier = serializers.DecimalField(
        max_digits=12, decimal_places=6, min_value=Decimal("0.000001"), required=False
    )
    expected_interval_s = serializers.IntegerField(min_value=1, max_value=31 * 86400, required=False)
    calibrated_on = serializers.DateField(required=False, allow_null=True)


class MeterCreateSerializer(_MeterFields):
    serial = serializers.CharField(max_length=64)
    intake = serializers.IntegerField(min_value=1, max_value=MAX_ID)
    installed_at = AwareDateTimeField()
    install_reading_m3 = serializers.DecimalField(
        max_digits=15, decimal_places=3, min_value=Decimal(0), required=False, default=Decimal(0)
    )


class MeterUpdateSerializer(_MeterFields):
    """PATCH: the meter's description, RTU and register rules. Its intake and installation are
    history; a meter swapped or moved is a replacement."""

    serial = serializers.CharField(max_length=64, required=False)


class MeterReplaceSerializer(_MeterFields):
    at = AwareDateTimeField(help_text="the instant of the swap")
    removal_reading_m3 = serializers.DecimalField(max_digits=15, decimal_places=3, min_value=Decimal(0))
    new_serial = serializers.CharField(max_length=64)
    install_reading_m3 = serializers.DecimalField(
        max_digits=15, decimal_places=3, min_value=Decimal(0), required=False, default=Decimal(0)
    )
    reason = serializers.CharField(max_length=500, required=False, allow_blank=True, default="")


# --------------------------------------------------------------------------------------- readings


class ReadingSerializer(serializers.Serializer):
    """A stored reading (output)."""

    meter = serializers.CharField(source="meter.serial")
    meter_id = serializers.IntegerField()
    observed_at = serializers.DateTimeField()
    cumulative_m3 = serializers.DecimalField(max_digits=15, decimal_places=3)
    flow_m3s = serializers.FloatField(allow_null=True)
    # DRF takes declared fields out of the class; the stubs see Field.source and Field.label.
    source = serializers.CharField()  # type: ignore[assignment]
    received_at = serializers.DateTimeField()
    review = serializers.CharField()
    corrected = serializers.BooleanField()
    original_cumulative_m3 = serializers.DecimalField(max_digits=15, decimal_places=3, allow_null=True)
    after_lock = serializers.BooleanField()


class ReadingRowSerializer(serializers.Serializer):
    """One reading of a batch, for the schema only: batches are validated by water.ingest."""

    meter = serializers.CharField(max_length=64, help_text="the meter's serial")
    observed_at = serializers.DateTimeField(help_text="ISO 8601 with UTC offset; naive times are refused")
    cumulative_m3 = serializers.FloatField(min_value=0, help_text="cumulative register (m³), to 0.001 m³")
    flow_m3s = serializers.FloatField(min_value=0, required=False, allow_null=True)


class ReadingBatchSerializer(serializers.Serializer):
    readings = ReadingRowSerializer(many=True)


class IngestResultSerializer(serializers.Serializer):
    created = serializers.IntegerField()
    duplicates = serializers.IntegerField()


class _ReadingKey(StrictSerializer):
    meter = serializers.CharField(max_length=64, help_text="the meter's serial")
    observed_at = AwareDateTimeField()


class ReadingCorrectSerializer(_ReadingKey):
    cumulative_m3 = serializers.DecimalField(max_digits=15, decimal_places=3, min_value=Decimal(0))
    reason = serializers.CharField(max_length=500)


REVIEW_DECISIONS = {"accept": Review.ACCEPTED, "reject": Review.REJECTED, "clear": Review.NONE}


class ReadingReviewSerializer(_ReadingKey):
    decision = serializers.ChoiceField(choices=sorted(REVIEW_DECISIONS))
    reason = serializers.CharField(max_length=500)


class FlaggedReadingSerializer(serializers.Serializer):
    meter = serializers.CharField()
    meter_id = serializers.IntegerField()
    observed_at = serializers.DateTimeField()
    kind = serializers.CharField(help_text="jump or decrease")
    previous_at = serializers.DateTimeField()
    step_m3 = serializers.DecimalField(max_digits=18, decimal_places=3)
    held_m3 = serializers.DecimalField(max_digits=18, decimal_places=3)


# --------------------------------------------------------------------------------------- volumes


class PeriodQuerySerializer(StrictSerializer):
    """`start` and `end`: Beijing calendar dates, both included."""

    start = serializers.DateField()
    end = serializers.DateField()
    interval = serializers.ChoiceField(choices=VolumeInterval.choices, default=VolumeInterval.MONTH)

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        days = (attrs["end"] - attrs["start"]).days + 1
        if days < 1:
            raise serializers.ValidationError({"end": [_("Must be on or after start.")]})
        limit = MAX_DAILY_DAYS if attrs["interval"] == VolumeInterval.DAY else MAX_VOLUME_DAYS
        if days > limit:
            raise serializers.ValidationError(
                {"end": [_("At most %(limit)s days per request at this interval.") % {"limit": limit}]}
            )
        return attrs


class VolumeFigureSerializer(serializers.Serializer):
    label = serializers.CharField()  # type: ignore[assignment]  # see ReadingSerializer.source
    start = serializers.DateField()
    end = serializers.DateField()
    volume_m3 = serializers.DecimalField(max_digits=20, decimal_places=3)
    measured_m3 = serializers.DecimalField(max_digits=20, decimal_places=3)
    estimated_m3 = serializers.DecimalField(max_digits=20, decimal_places=3)
    corrected_m3 = serializers.DecimalField(max_digits=20, decimal_places=3)
    held_m3 = serializers.DecimalField(max_digits=20, decimal_places=3, help_text="awaiting review, not counted")
    flagged = serializers.IntegerField(help_text="readings awaiting review")
    reports = serializers.IntegerField(help_text="readings received")
    coverage = serializers.FloatField(allow_null=True, help_text="share of the meters' time that is measured")
    provenance = serializers.ChoiceField(choices=["measured", "estimated", "corrected"])


class IntakeVolumesSerializer(serializers.Serializer):
    intake = serializers.DictField()
    meters = serializers.ListField(child=serializers.CharField())
    start = serializers.DateField()
    end = serializers.DateField()
    interval = serializers.CharField()
    unit = serializers.CharField()
    total = VolumeFigureSerializer()
    periods = VolumeFigureSerializer(many=True)


class IntakeVolumeRowSerializer(serializers.Serializer):
    intake = serializers.IntegerField()
    code = serializers.CharField()
    name = serializers.CharField()
    periods = VolumeFigureSerializer(many=True)


# ----------------------------------------------------------------------------- online monitoring


class MonitoringQuerySerializer(StrictSerializer):
    """`start` and `end`: Beijing calendar dates, both included; `division`: a division code (its
    intakes and those of the divisions inside it); `intake`, `state`: narrow the list of meters (the
    summary stays that of the whole scope and division)."""

    start = serializers.DateField()
    end = serializers.DateField()
    division = serializers.CharField(required=False, max_length=12)
    intake = serializers.IntegerField(required=False, min_value=1, max_value=MAX_ID)
    state = serializers.ChoiceField(choices=MeterState.choices, required=False)

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        days = (attrs["end"] - attrs["start"]).days + 1
        if days < 1:
            raise serializers.ValidationError({"end": [_("Must be on or after start.")]})
        if days > MAX_VOLUME_DAYS:
            raise serializers.ValidationError(
                {"end": [_("At most %(max_volume_days)s days per request.") % {"max_volume_days": MAX_VOLUME_DAYS}]}
            )
        return attrs


class MonitoringDaysQuerySerializer(StrictSerializer):
    start = serializers.DateField()
    end = serializers.DateField()

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        days = (attrs["end"] - attrs["start"]).days + 1
        if days < 1:
            raise serializers.ValidationError({"end": [_("Must be on or after start.")]})
        if days > MAX_DAILY_DAYS:
            raise serializers.ValidationError(
                {"end": [_("At most %(max_daily_days)s days per request.") % {"max_daily_days": MAX_DAILY_DAYS}]}
            )
        return attrs


class _Rates(serializers.Serializer):
    expected_reports = serializers.IntegerField()
    received_reports = serializers.IntegerField(help_text="at most the expected number per meter and day")
    filled_slots = serializers.IntegerField()
    timely_reports = serializers.IntegerField()
    arrival_rate = serializers.FloatField(allow_null=True, help_text="到报率, 0–1; null when nothing was expected")
    completeness = serializers.FloatField(allow_null=True, help_text="完整率, 0–1")
    timeliness = serializers.FloatField(allow_null=True, help_text="及时率, 0–1")


class MeterMonitoringSerializer(_Rates):
    meter = serializers.IntegerField()
    serial = serializers.CharField()
    intake = serializers.IntegerField()
    intake_code = serializers.CharField()
    interval_s = serializers.IntegerField()
    installed_at = serializers.DateTimeField()
    removed_at = serializers.DateTimeField(allow_null=True)
    last_observed_at = serializers.DateTimeField(allow_null=True)
    last_received_at = serializers.DateTimeField(allow_null=True)
    state = serializers.ChoiceField(choices=MeterState.choices)
    silent_s = serializers.FloatField(allow_null=True)
    reports = serializers.IntegerField(help_text="every report received, uncapped")


class IntakeMonitoringSerializer(_Rates):
    intake = serializers.IntegerField()
    code = serializers.CharField()
    name = serializers.CharField()
    division = serializers.CharField()
    online_required = serializers.BooleanField()
    monitored = serializers.BooleanField()
    meters = serializers.IntegerField()
    online = serializers.IntegerField()
    offline = serializers.IntegerField()


class MonitoringSummarySerializer(_Rates):
    period_label = serializers.CharField()
    start = serializers.DateField()
    end = serializers.DateField()
    as_of = serializers.DateTimeField()
    required_intakes = serializers.IntegerField()
    monitored_intakes = serializers.IntegerField()
    coverage = serializers.FloatField(allow_null=True)
    meters = serializers.IntegerField()
    online = serializers.IntegerField()
    offline = serializers.IntegerField()
    by_intake = IntakeMonitoringSerializer(many=True)


class MonitoringPageSerializer(serializers.Serializer):
    summary = MonitoringSummarySerializer()
    count = serializers.IntegerField()
    next = serializers.CharField(allow_null=True)
    previous = serializers.CharField(allow_null=True)
    results = MeterMonitoringSerializer(many=True)


class MeterDaySerializer(serializers.Serializer):
    day = serializers.DateField()
    expected_reports = serializers.IntegerField()
    reports = serializers.IntegerField()
    received_reports = serializers.IntegerField()
    filled_slots = serializers.IntegerField()
    timely_reports = serializers.IntegerField()
    arrival_rate = serializers.FloatField(allow_null=True)
    completeness = serializers.FloatField(allow_null=True)
    timeliness = serializers.FloatField(allow_null=True)


class MeterDaysSerializer(serializers.Serializer):
    meter = MeterMonitoringSerializer()
    days = MeterDaySerializer(many=True)


class AlertSerializer(serializers.ModelSerializer):
    intake_code = serializers.CharField(source="intake.code", read_only=True)
    meter_serial = serializers.CharField(source="meter.serial", read_only=True, allow_null=True, default=None)
    state = serializers.SerializerMethodField()
    acknowledged_by = serializers.CharField(
        source="acknowledged_by.username", read_only=True, allow_null=True, default=None
    )

    class Meta:
        model = Alert
        fields = [
            "id",
            "kind",
            "key",
            "state",
            "intake",
            "intake_code",
            "meter",
            "meter_serial",
            "raised_at",
            "last_seen_at",
            "resolved_at",
            "details",
            "acknowledged_by",
            "acknowledged_at",
        ]
        read_only_fields = fields

    def get_state(self, obj: Alert) -> str:
        return AlertState.OPEN.value if obj.resolved_at is None else AlertState.RESOLVED.value


class AcknowledgeSerializer(StrictSerializer):
    """No fields: the acknowledgement is who and when."""
