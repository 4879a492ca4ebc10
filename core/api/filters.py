"""Filter backends shared by map layers."""

from __future__ import annotations

import math
from typing import Any

import django_filters
from django import forms
from django.contrib.gis.geos import Polygon
from django.db.models import QuerySet
from django.utils.translation import gettext as _
from drf_spectacular.utils import extend_schema_field
from rest_framework.exceptions import ValidationError
from rest_framework.filters import BaseFilterBackend
from rest_framework.request import Request

from core.geo import WGS84_SRID


def parse_bbox(raw: str, *, param: str = "bbox") -> Polygon:
    """`min_lon,min_lat,max_lon,max_lat` in WGS84 → a Polygon; a 400 naming `param` otherwise."""
    parts = raw.split(",")
    try:
        values = [float(p) for p in parts]
    except ValueError:
        raise ValidationError({param: [_("Four numbers: min_lon,min_lat,max_lon,max_lat.")]}) from None
    if len(values) != 4 or not all(math.isfinite(v) for v in values):
        raise ValidationError({param: [_("Four numbers: min_lon,min_lat,max_lon,max_lat.")]})
    x1, y1, x2, y2 = values
    if not (-180 <= x1 <= 180 and -180 <= x2 <= 180 and -90 <= y1 <= 90 and -90 <= y2 <= 90):
        raise ValidationError({param: [_("Longitudes must lie in [-180, 180] and latitudes in [-90, 90].")]})
    if x1 > x2 or y1 > y2:
        raise ValidationError({param: [_("The minimum must not exceed the maximum.")]})
    poly = Polygon.from_bbox((x1, y1, x2, y2))
    poly.srid = WGS84_SRID
    return poly


class BBoxFilter(BaseFilterBackend):
    """`?bbox=min_lon,min_lat,max_lon,max_lat`: rows whose geometry intersects the box.

    The view names the geometry with `bbox_filter_field`.
    """

    param = "bbox"

    def filter_queryset(self, request: Request, queryset: QuerySet[Any], view: Any) -> QuerySet[Any]:
        field = getattr(view, "bbox_filter_field", None)
        raw = request.query_params.get(self.param)
        if not field or raw is None:
            return queryset
        return queryset.filter(**{f"{field}__intersects": parse_bbox(raw, param=self.param)})

    def get_schema_operation_parameters(self, view: Any) -> list[dict[str, Any]]:
        if not getattr(view, "bbox_filter_field", None):
            return []
        return [
            {
                "name": self.param,
                "required": False,
                "in": "query",
                "description": "Bounding box in WGS84: min_lon,min_lat,max_lon,max_lat",
                "schema": {"type": "string", "pattern": r"^-?[\d.]+,-?[\d.]+,-?[\d.]+,-?[\d.]+$"},
            }
        ]


@extend_schema_field({"type": "integer", "minimum": 1, "maximum": 2**63 - 1})
class IdFilter(django_filters.NumberFilter):
    """A row id in a query string: a positive 64-bit integer, else 400 (not a database overflow)."""

    field_class = forms.IntegerField

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("min_value", 1)
        kwargs.setdefault("max_value", 2**63 - 1)
        super().__init__(*args, **kwargs)


class StrictBooleanField(forms.Field):
    """true/false (or 1/0, yes/no); anything else is a 400 rather than silently no filter at all
    (django-filter's own field reads "null" or "maybe" as "not given")."""

    def to_python(self, value: Any) -> bool | None:
        if value in (None, ""):
            return None
        text = str(value).strip().lower()
        if text in ("true", "1", "yes"):
            return True
        if text in ("false", "0", "no"):
            return False
        raise forms.ValidationError(_("true or false."))


class BooleanFilter(django_filters.BooleanFilter):
    """A boolean query parameter: true/false, 1/0 or yes/no, else a 400 naming it."""

    field_class = StrictBooleanField


class IntegerFilter(django_filters.NumberFilter):
    """A whole number in a query string (a year): 0.5 is a 400 naming it, not a filter matching nothing."""

    field_class = forms.IntegerField
