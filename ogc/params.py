"""Query parameters of /ogc/: parsed and checked before any query runs. A bad value is a 400 in the
API's error shape naming the parameter (core.api.exceptions)."""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.contrib.gis.geos import Polygon
from django.db.models import DateField, DateTimeField, Model, Q, QuerySet
from django.utils.dateparse import parse_datetime
from django.utils.translation import gettext as _
from rest_framework.exceptions import ValidationError

from core.api.filters import parse_bbox
from core.periods import BEIJING
from ogc.collections import AttributeFilter, Collection

DEFAULT_LIMIT = 100
# The only output format; `?f=json` is accepted so that clients that always send it work.
FORMATS = ("json",)
_DATE = re.compile(r"^(\d{4})-(\d{2})-(\d{2})T?$")


def max_limit() -> int:
    return int(settings.OGC_MAX_LIMIT)


def check_format(query: Mapping[str, str]) -> None:
    f = query.get("f")
    if f is not None and f not in FORMATS:
        raise ValidationError(
            {"f": [_("Unsupported format; this server answers %(values)s only.") % {"values": ", ".join(FORMATS)}]}
        )


def check_known(query: Iterable[str], known: Iterable[str]) -> None:
    """OGC API – Features /req/core/query-param-unknown: a parameter the API does not define is a 400."""
    allowed = set(known)
    unknown = sorted(set(query) - allowed)
    if unknown:
        raise ValidationError({name: [_("Unknown query parameter.")] for name in unknown})


def _whole(raw: str, name: str, minimum: int) -> int:
    if not re.fullmatch(r"[+]?\d{1,19}", raw.strip()):
        raise ValidationError({name: [_("A whole number of at least %(minimum)s is required.") % {"minimum": minimum}]})
    value = int(raw)
    if value < minimum:
        raise ValidationError({name: [_("Must be at least %(minimum)s.") % {"minimum": minimum}]})
    return value


def parse_limit(raw: str | None) -> int:
    """1 … OGC_MAX_LIMIT; a larger value is clamped to the maximum (OGC API – Features 7.15.3 lets a
    server do that, and GDAL's PAGE_SIZE or QGIS may ask for more than we serve)."""
    if raw is None:
        return min(DEFAULT_LIMIT, max_limit())
    return min(_whole(raw, "limit", 1), max_limit())


def parse_offset(raw: str | None) -> int:
    return 0 if raw is None else _whole(raw, "offset", 0)


@dataclass(frozen=True)
class TimeWindow:
    """A closed interval [start, end] (`end_exclusive`: [start, end)); None is open."""

    start: dt.datetime | None
    end: dt.datetime | None
    end_exclusive: bool = False


def _instant(raw: str) -> TimeWindow:
    """One RFC 3339 date-time with an offset, or a date (a whole Beijing calendar day)."""
    m = _DATE.match(raw)
    if m:
        try:
            day = dt.date(int(m[1]), int(m[2]), int(m[3]))
        except ValueError:
            raise ValidationError({"datetime": [_("No such date: %(raw)s.") % {"raw": raw}]}) from None
        start = dt.datetime(day.year, day.month, day.day, tzinfo=BEIJING)
        return TimeWindow(start, start + dt.timedelta(days=1), end_exclusive=True)
    try:
        value = parse_datetime(raw)
    except ValueError:
        value = None
    if value is None:
        raise ValidationError({"datetime": [_("Not an RFC 3339 date-time or date: %(raw)s.") % {"raw": repr(raw)}]})
    if value.utcoffset() is None:
        raise ValidationError({"datetime": [_("%(raw)s has no UTC offset (use Z or +08:00).") % {"raw": repr(raw)}]})
    return TimeWindow(value, value)


def parse_datetime_param(raw: str) -> TimeWindow:
    """`instant`, `start/end`, `../end`, `start/..` (OGC API – Features 7.15.4)."""
    if "/" not in raw:
        return _instant(raw)
    first, __, second = raw.partition("/")
    if "/" in second:
        raise ValidationError({"datetime": [_("At most one '/' (an interval start/end).")]})
    open_start = first in ("", "..")
    open_end = second in ("", "..")
    if open_start and open_end:
        raise ValidationError({"datetime": [_("An interval needs at least one bound.")]})
    lo = None if open_start else _instant(first)
    hi = None if open_end else _instant(second)
    if lo is not None and hi is not None and lo.start is not None and hi.end is not None and lo.start > hi.end:
        raise ValidationError({"datetime": [_("The start is after the end.")]})
    return TimeWindow(lo.start if lo else None, hi.end if hi else None, end_exclusive=bool(hi and hi.end_exclusive))


def apply_datetime(qs: QuerySet[Model], field: str, window: TimeWindow) -> QuerySet[Model]:
    """Rows whose `field` lies in the window. A DateField value is a Beijing calendar day and matches
    when that day overlaps the window."""
    model_field = qs.model._meta.get_field(field)
    is_date = isinstance(model_field, DateField) and not isinstance(model_field, DateTimeField)
    if window.start is not None:
        lo: Any = window.start.astimezone(BEIJING).date() if is_date else window.start
        qs = qs.filter(**{f"{field}__gte": lo})
    if window.end is not None:
        if is_date:
            last = window.end.astimezone(BEIJING).date()
            qs = qs.filter(**{f"{field}__lt" if window.end_exclusive else f"{field}__lte": last})
        else:
            qs = qs.filter(**{f"{field}__lt" if window.end_exclusive else f"{field}__lte": window.end})
    return qs


def apply_filter(qs: QuerySet[Model], spec: AttributeFilter, raw: str) -> QuerySet[Model]:
    value: Any = raw
    if spec.kind == "integer":
        value = _whole(raw, spec.name, 1)
        if value > 2**63 - 1:
            raise ValidationError({spec.name: [_("Too large.")]})
    elif spec.choices is not None and raw not in spec.choices.values:
        raise ValidationError({spec.name: [_("One of: %(values)s.") % {"values": ", ".join(spec.choices.values)}]})
    where = Q(**{spec.lookup: value})
    for lookup in spec.or_lookups:
        where |= Q(**{lookup: value})
    return qs.filter(where)


@dataclass(frozen=True)
class ItemsQuery:
    limit: int
    offset: int
    bbox: Polygon | None
    window: TimeWindow | None
    filters: dict[str, str]


def items_params(collection: Collection) -> list[str]:
    names = ["f", "limit", "offset", "bbox"]
    if collection.temporal:
        names.append("datetime")
    return names + [f.name for f in collection.filters]


def parse_items_query(collection: Collection, query: Mapping[str, str]) -> ItemsQuery:
    check_known(query, items_params(collection))
    check_format(query)
    raw_bbox = query.get("bbox")
    raw_dt = query.get("datetime")
    return ItemsQuery(
        limit=parse_limit(query.get("limit")),
        offset=parse_offset(query.get("offset")),
        bbox=parse_bbox(raw_bbox) if raw_bbox is not None else None,
        window=parse_datetime_param(raw_dt) if raw_dt is not None else None,
        filters={f.name: query[f.name] for f in collection.filters if f.name in query},
    )


def filtered(collection: Collection, qs: QuerySet[Model], q: ItemsQuery) -> QuerySet[Model]:
    if q.bbox is not None:
        qs = qs.filter(**{f"{collection.geometry}__intersects": q.bbox})
    if q.window is not None and collection.temporal:
        qs = apply_datetime(qs, collection.temporal, q.window)
    for spec in collection.filters:
        if spec.name in q.filters:
            qs = apply_filter(qs, spec, q.filters[spec.name])
    return qs
