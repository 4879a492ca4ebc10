"""FilterSets of the quality app: one per model."""

from __future__ import annotations

import datetime as dt
from typing import Any

import django_filters
from django.db.models import QuerySet
from django.utils.translation import gettext as _
from rest_framework.exceptions import ValidationError

from core.api.filters import BooleanFilter, IdFilter
from core.divisions import division_prefix, is_division_code
from core.periods import BEIJING
from places.filters import ScopedSiteFilterMixin
from quality.choices import SampleSource, SectionCategory, WaterBody
from quality.models import Sample, Section


def _within(queryset: QuerySet[Any], lookup: str, code: str) -> QuerySet[Any]:
    if not is_division_code(code):
        raise ValidationError({"division": [_("A 6-, 9- or 12-digit GB/T 2260 code.")]})
    return queryset.filter(**{f"{lookup}__startswith": division_prefix(code)})


class SectionFilter(ScopedSiteFilterMixin, django_filters.FilterSet):
    """A `reach=` or `lake=` the caller may not name is a 400 naming it (as the patrols ledgers)."""

    code = django_filters.CharFilter()
    name = django_filters.CharFilter(lookup_expr="icontains")
    category = django_filters.ChoiceFilter(choices=SectionCategory.choices)
    water_body = django_filters.ChoiceFilter(choices=WaterBody.choices)
    reach = IdFilter(method="filter_reach", label="on this reach (id)")
    lake = IdFilter(method="filter_lake", label="on this lake or reservoir (id)")
    river_code = django_filters.CharFilter(field_name="reach__river__code")
    counts_in_statistics = BooleanFilter()
    division = django_filters.CharFilter(method="filter_division", label="inside this division code")

    class Meta:
        model = Section
        fields = [
            "code",
            "name",
            "category",
            "water_body",
            "reach",
            "lake",
            "river_code",
            "counts_in_statistics",
            "division",
        ]

    def filter_division(self, queryset: QuerySet[Section], name: str, value: str) -> QuerySet[Section]:
        return _within(queryset, "division__code", value)


def _beijing_midnight(day: dt.date) -> dt.datetime:
    return dt.datetime(day.year, day.month, day.day, tzinfo=BEIJING)


class SampleFilter(django_filters.FilterSet):
    section = IdFilter(field_name="section_id")
    section_code = django_filters.CharFilter(field_name="section__code")
    source = django_filters.ChoiceFilter(choices=SampleSource.choices)
    start = django_filters.DateFilter(method="filter_start", label="sampled on or after this date (Beijing)")
    end = django_filters.DateFilter(method="filter_end", label="sampled on or before this date (Beijing)")
    division = django_filters.CharFilter(method="filter_division", label="inside this division code")

    class Meta:
        model = Sample
        fields = ["section", "section_code", "source", "start", "end", "division"]

    def filter_start(self, queryset: QuerySet[Sample], name: str, value: dt.date) -> QuerySet[Sample]:
        return queryset.filter(sampled_at__gte=_beijing_midnight(value))

    def filter_end(self, queryset: QuerySet[Sample], name: str, value: dt.date) -> QuerySet[Sample]:
        if value >= dt.date.max:
            return queryset
        return queryset.filter(sampled_at__lt=_beijing_midnight(value + dt.timedelta(days=1)))

    def filter_division(self, queryset: QuerySet[Sample], name: str, value: str) -> QuerySet[Sample]:
        return _within(queryset, "section__division__code", value)
