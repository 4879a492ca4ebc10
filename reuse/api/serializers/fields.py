"""The fields and the geometry-input base the reuse serializers share: codes, rounded m³ and m³/d
decimals, months, GeoJSON input in a declared CRS."""

from __future__ import annotations

from decimal import ROUND_HALF_EVEN, Decimal
from typing import Any

from django.utils.translation import gettext_lazy
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from core.api.fields import GeoJSONGeometryField
from core.api.serializers import StrictSerializer
from core.geo import parse_crs
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


def volume_field(**kw: Any) -> serializers.DecimalField:
    return RoundedDecimalField(max_digits=14, decimal_places=3, min_value=Decimal(0), **kw)


def capacity_field(**kw: Any) -> serializers.DecimalField:
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
