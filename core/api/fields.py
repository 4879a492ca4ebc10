"""Serializer fields that enforce the API's input rules (SPEC section 3)."""

from __future__ import annotations

import datetime as dt
import json
import re
import uuid
from collections.abc import Callable, Collection
from typing import Any

from django.contrib.gis.geos import GEOSGeometry
from django.utils.translation import gettext_lazy
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from core.geo import InputCRS
from core.geojson import GeoJSONError, parse_geometry


class AwareDateTimeField(serializers.DateTimeField):
    """ISO 8601 with an offset. A naive time is refused rather than guessed: a phone or RTU that
    omits the offset may be on UTC, Beijing or Xinjiang time, two to eight hours apart."""

    default_error_messages = {
        "naive": gettext_lazy("Give the time with its UTC offset, e.g. 2024-03-01T08:00:00+08:00."),
    }

    def to_internal_value(self, value: Any) -> dt.datetime:
        if isinstance(value, str):
            try:
                parsed = dt.datetime.fromisoformat(value.strip().replace("Z", "+00:00"))
            except ValueError:
                parsed = None
            if parsed is not None and parsed.tzinfo is None:
                self.fail("naive")
        elif isinstance(value, dt.datetime) and value.tzinfo is None:
            self.fail("naive")
        return super().to_internal_value(value)


# A UUID as text: 32 hex digits, hyphens optional in the 8-4-4-4-12 places.
UUID_TEXT = re.compile(r"^[0-9a-fA-F]{8}-?[0-9a-fA-F]{4}-?[0-9a-fA-F]{4}-?[0-9a-fA-F]{4}-?[0-9a-fA-F]{12}$")


class StrictUUIDField(serializers.UUIDField):
    """A UUID as JSON text only: DRF's UUIDField reads a number (even `false`) as UUID(int=…) and
    braces or a "urn:uuid:" prefix as a UUID; a phone's id is none of these."""

    def to_internal_value(self, data: Any) -> uuid.UUID:
        if isinstance(data, str) and UUID_TEXT.match(data):
            return uuid.UUID(data)
        self.fail("invalid", value=data)
        raise AssertionError  # pragma: no cover - fail() raises


class WholeNumberField(serializers.IntegerField):
    """A JSON integer from `min_value` to `upper` (an int, or a callable read per request: a setting).
    DRF's IntegerField reads "5", 5.0 and " 7 " as numbers; a body that sends them is refused here,
    with one message naming the range, as the patrol post's hot-path parser answers."""

    default_error_messages = {"range": gettext_lazy("A whole number from %(low)s to %(high)s.")}

    def __init__(self, *, upper: int | Callable[[], int], **kwargs: Any) -> None:
        self.upper = upper
        if not callable(upper):
            kwargs.setdefault("max_value", upper)
        kwargs.setdefault("min_value", 0)
        super().__init__(**kwargs)

    def to_internal_value(self, data: Any) -> int:
        high = self.upper() if callable(self.upper) else self.upper
        low = self.min_value if self.min_value is not None else 0
        if type(data) is int and low <= data <= high:
            return data
        raise serializers.ValidationError(self.error_messages["range"] % {"low": low, "high": high}, code="range")


@extend_schema_field(
    {
        "type": "object",
        "description": "A GeoJSON geometry (RFC 7946), lon/lat in WGS84 unless a `crs` says otherwise.",
        "required": ["type", "coordinates"],
        "properties": {"type": {"type": "string"}, "coordinates": {"type": "array", "items": {}}},
    }
)
class GeoJSONGeometryField(serializers.Field):
    """A GeoJSON geometry object in, a GEOSGeometry (SRID 4326) out, validated by core.geojson.

    The coordinate system of the input is taken from the serializer's `crs` value when the parent
    passes it through `context["crs"]`; WGS84 otherwise.
    """

    def __init__(
        self,
        *,
        allowed: Collection[str],
        promote_to_multi: bool = False,
        max_points: int = 100_000,
        **kwargs: Any,
    ) -> None:
        self.allowed = tuple(allowed)
        self.promote_to_multi = promote_to_multi
        self.max_points = max_points
        super().__init__(**kwargs)

    def to_internal_value(self, data: Any) -> GEOSGeometry:
        crs = self.context.get("crs", InputCRS.WGS84) if hasattr(self, "parent") else InputCRS.WGS84
        try:
            return parse_geometry(
                data,
                allowed=self.allowed,
                crs=crs,
                max_points=self.max_points,
                promote_to_multi=self.promote_to_multi,
            )
        except GeoJSONError as exc:
            raise serializers.ValidationError(str(exc)) from exc

    def to_representation(self, value: GEOSGeometry) -> Any:
        return json.loads(value.geojson) if value is not None else None
