"""Input and output shapes of the reuse API.

Inputs are StrictSerializers (unknown fields refused) carrying codes, not ids, for plants, users and
divisions: they are what a bureau's spreadsheets hold. Volumes are m³ with 3 decimals (rounded half
even beyond that), capacities m³/d, money yuan. Outputs keep SI units and add km for lengths only.
"""

from __future__ import annotations

from decimal import ROUND_HALF_EVEN, Decimal
from typing import Any

from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers
from rest_framework_gis.fields import GeometryField
from rest_framework_gis.serializers import GeoFeatureModelSerializer

from core.api.fields import GeoJSONGeometryField
from core.api.serializers import StrictSerializer
from core.geo import parse_crs
from core.kernel import Errors, row_key, with_line
from reuse import conf, selectors
from reuse.choices import (
    EffluentStandard,
    PipeMaterial,
    PlantKind,
    ProjectKind,
    ProjectStatus,
    SubUse,
    UseClass,
)
from reuse.models import MonthlyDelivery, MonthlyPlantVolume, Plant, Project, WaterUser
from reuse.months import month_label, parse_month

CODE_REGEX = r"^[A-Za-z0-9][A-Za-z0-9_.\-]{0,31}$"
CODE_HELP = "Letters, digits, '-', '_' and '.'; at most 32 characters."


class RoundedDecimalField(serializers.DecimalField):
    """A decimal rounded half-even to the stored places before the precision check: 1234.5678 m³ from
    a spreadsheet is stored as 1234.568 rather than refused (DRF's `rounding` only applies on output)."""

    def validate_precision(self, value: Decimal) -> Decimal:
        if self.decimal_places is not None and value.is_finite():
            value = value.quantize(Decimal(1).scaleb(-self.decimal_places), rounding=ROUND_HALF_EVEN)
        return super().validate_precision(value)


def _volume(**kw: Any) -> serializers.DecimalField:
    return RoundedDecimalField(max_digits=14, decimal_places=3, min_value=Decimal(0), **kw)


def _capacity(**kw: Any) -> serializers.DecimalField:
    return RoundedDecimalField(max_digits=12, decimal_places=2, min_value=Decimal("0.01"), **kw)


@extend_schema_field({"type": "string", "pattern": r"^\d{4}-\d{2}$", "example": "2024-07"})
class MonthField(serializers.Field):
    """A calendar month written YYYY-MM, stored as its first day."""

    default_error_messages = {"invalid": gettext_lazy("Write the month as YYYY-MM, e.g. 2024-07.")}

    def to_internal_value(self, data: Any) -> Any:
        try:
            return parse_month(data)
        except (TypeError, ValueError):
            self.fail("invalid")

    def to_representation(self, value: Any) -> str:
        return month_label(value)


@extend_schema_field(
    {
        "type": "object",
        "description": "A GeoJSON geometry (RFC 7946), lon/lat in the input's `crs`",
        "properties": {"type": {"type": "string"}, "coordinates": {"type": "array", "items": {}}},
        "required": ["type", "coordinates"],
    }
)
class GeometryInput(GeoJSONGeometryField):
    """core's GeoJSON input field, described for the OpenAPI schema."""


class GeoInputSerializer(StrictSerializer):
    """An input with geometries, and an optional `crs` for their coordinates (EPSG:4326 by default,
    EPSG:4490 CGCS2000, or GCJ-02 from a phone map SDK); stored in WGS84."""

    crs = serializers.CharField(required=False, help_text="EPSG:4326 (default), EPSG:4490 or GCJ-02")

    def to_internal_value(self, data: Any) -> Any:
        if isinstance(data, dict):
            try:
                self._context["crs"] = parse_crs(data.get("crs"))
            except ValueError as exc:
                raise serializers.ValidationError({"crs": [str(exc)]}) from None
        values = super().to_internal_value(data)
        values.pop("crs", None)
        return values


# --------------------------------------------------------------------------- plants


class PlantInputSerializer(GeoInputSerializer):
    """POST /reuse/plants/, and PATCH /reuse/plants/{id}/ with every field optional (but `code`, the
    plant's key, which does not change). One serializer for both, so each choice set appears in one
    schema component."""

    code = serializers.RegexField(CODE_REGEX, help_text=CODE_HELP)
    name = serializers.CharField(max_length=100)
    kind = serializers.ChoiceField(choices=PlantKind.choices, default=PlantKind.MUNICIPAL)
    division = serializers.CharField(max_length=12, help_text="GB/T 2260 code of the plant's division")
    location = GeometryInput(allowed=["Point"])
    design_capacity_m3d = _capacity()
    actual_capacity_m3d = _capacity(required=False, allow_null=True)
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


# --------------------------------------------------------------------------- projects


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
    capacity_m3d = _capacity(required=False, allow_null=True)
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


# --------------------------------------------------------------------------- users


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
    contract_volume_m3 = _volume(required=False, allow_null=True, help_text="annual contract volume")
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


# --------------------------------------------------------------------------- monthly volumes


def validate_rows(
    rows: Any, row_serializer: type[serializers.Serializer], *, key: str, lines: list[int] | None = None
) -> list[dict[str, Any]]:
    """Each row through `row_serializer`; every bad row named `key[i].field` (with its CSV line), so the
    paths do not depend on how DRF nests a list serializer's errors."""
    if not isinstance(rows, list) or not rows:
        raise serializers.ValidationError({key: [_("Give a non-empty list of rows.")]})
    limit = conf.max_batch_rows()
    if len(rows) > limit:
        raise serializers.ValidationError(
            {key: [_("%(rows)s rows; at most %(limit)s per batch.") % {"rows": len(rows), "limit": limit}]}
        )
    out: list[dict[str, Any]] = []
    errors = Errors()
    # One serializer for every row, as a ListSerializer does: building one per row deep-copies its
    # fields each time, which was most of the cost of a 6,000-row import.
    child = row_serializer()
    for i, raw in enumerate(rows):
        where = with_line("", lines[i]) if lines else ""  # the kernel's ` (line 12)`
        if not isinstance(raw, dict):
            errors.add(row_key(key, i), _("Expected an object%(where)s.") % {"where": where})
            continue
        try:
            out.append(dict(child.run_validation(raw)))
        except serializers.ValidationError as exc:
            detail = exc.detail if isinstance(exc.detail, dict) else {"non_field_errors": exc.detail}
            for name, messages in detail.items():
                items = messages if isinstance(messages, list) else [messages]
                for m in items:
                    errors.add(row_key(key, i, str(name)), f"{m}{where}")
    if errors:
        raise serializers.ValidationError(errors.fields)
    return out


class _BatchSerializer(StrictSerializer):
    """A batch as documented in the schema; `validate_batch` does the validation row by row."""

    key = ""

    @classmethod
    def validate_batch(cls, data: Any) -> tuple[list[dict[str, Any]], bool]:
        if not isinstance(data, dict):
            raise serializers.ValidationError(
                {"non_field_errors": [_("Expected an object with '%(key)s'.") % {"key": cls.key}]}
            )
        unknown = sorted(set(data) - {cls.key, "replace"})
        if unknown:
            raise serializers.ValidationError({name: [_("Unknown field.")] for name in unknown})
        replace = serializers.BooleanField(default=False).run_validation(data.get("replace", False))
        rows = validate_rows(data.get(cls.key), cls.row_serializer, key=cls.key)
        return rows, bool(replace)

    row_serializer: type[serializers.Serializer] = serializers.Serializer


class VolumeRowSerializer(StrictSerializer):
    plant = serializers.CharField(max_length=32, help_text="plant code")
    month = MonthField()
    treated_m3 = _volume(help_text="wastewater treated in the month")
    produced_m3 = _volume(help_text="reclaimed water produced in the month (at most treated_m3)")


class VolumeBatchSerializer(_BatchSerializer):
    """POST /reuse/volumes/ as JSON (or text/csv with the row columns and ?replace=)."""

    key = "volumes"
    row_serializer = VolumeRowSerializer
    volumes = VolumeRowSerializer(many=True, allow_empty=False)
    replace = serializers.BooleanField(
        default=False, help_text="correct months already stored with other figures (audited) instead of a 409"
    )


class DeliveryRowSerializer(StrictSerializer):
    plant = serializers.CharField(
        max_length=32, required=False, allow_blank=True, help_text="plant code; default: the user's plant"
    )
    month = MonthField()
    user = serializers.CharField(max_length=32, required=False, allow_blank=True, help_text="metered user's code")
    # Plain strings checked by the service (reuse.services.resolve_use), which names the row and field.
    use_class = serializers.CharField(
        max_length=24, required=False, allow_blank=True, help_text="for rows without a user"
    )
    sub_use = serializers.CharField(max_length=32, required=False, allow_blank=True)
    volume_m3 = _volume(help_text="reclaimed water used in the month")


class DeliveryBatchSerializer(_BatchSerializer):
    """POST /reuse/deliveries/ as JSON (or text/csv with the row columns and ?replace=)."""

    key = "deliveries"
    row_serializer = DeliveryRowSerializer
    deliveries = DeliveryRowSerializer(many=True, allow_empty=False)
    replace = serializers.BooleanField(
        default=False, help_text="correct deliveries already stored with another volume (audited) instead of a 409"
    )


class WarningSerializer(serializers.Serializer):
    plant = serializers.CharField()
    month = serializers.CharField()
    flag = serializers.CharField()
    message = serializers.CharField()
    treated_m3 = serializers.DecimalField(max_digits=18, decimal_places=3, allow_null=True)
    produced_m3 = serializers.DecimalField(max_digits=18, decimal_places=3, allow_null=True)
    delivered_m3 = serializers.DecimalField(max_digits=18, decimal_places=3)


class BatchResultSerializer(serializers.Serializer):
    created = serializers.IntegerField()
    updated = serializers.IntegerField()
    unchanged = serializers.IntegerField()
    warnings = WarningSerializer(many=True)


class PlantVolumeSerializer(serializers.ModelSerializer):
    plant = serializers.CharField(source="plant.code", read_only=True)
    plant_name = serializers.CharField(source="plant.name", read_only=True)
    division = serializers.CharField(source="plant.division.code", read_only=True)
    month = MonthField(read_only=True)
    delivered_m3 = serializers.DecimalField(max_digits=18, decimal_places=3, read_only=True)
    source = serializers.CharField(read_only=True)  # type: ignore[assignment]  # a declared field, not Field.source
    flags = serializers.SerializerMethodField()

    class Meta:
        model = MonthlyPlantVolume
        fields = [
            "id",
            "plant",
            "plant_name",
            "division",
            "month",
            "treated_m3",
            "produced_m3",
            "delivered_m3",
            "flags",
            "source",
            "updated_at",
        ]
        read_only_fields = fields

    def get_flags(self, obj: MonthlyPlantVolume) -> list[str]:
        return selectors.volume_flags(obj, obj.delivered_m3)  # type: ignore[attr-defined]


class DeliverySerializer(serializers.ModelSerializer):
    plant = serializers.CharField(source="plant.code", read_only=True)
    division = serializers.CharField(source="plant.division.code", read_only=True)
    month = MonthField(read_only=True)
    user = serializers.CharField(source="user.code", read_only=True, allow_null=True, default=None)
    user_name = serializers.CharField(source="user.name", read_only=True, allow_null=True, default=None)
    use_class = serializers.CharField(read_only=True)
    sub_use = serializers.CharField(read_only=True)
    source = serializers.CharField(read_only=True)  # type: ignore[assignment]  # a declared field, not Field.source

    class Meta:
        model = MonthlyDelivery
        fields = [
            "id",
            "plant",
            "division",
            "month",
            "user",
            "user_name",
            "use_class",
            "sub_use",
            "volume_m3",
            "source",
            "updated_at",
        ]
        read_only_fields = fields


# --------------------------------------------------------------------------- the rate


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
