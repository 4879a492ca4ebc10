"""FilterSets of the places app: one per model."""

from __future__ import annotations

import django_filters
from django.db.models import QuerySet
from rest_framework.exceptions import ValidationError

from core.divisions import division_prefix, is_division_code
from places.choices import DivisionLevel, LakeKind
from places.models import Division, Lake, Reach, River


def _within(queryset: QuerySet, lookup: str, code: str) -> QuerySet:  # type: ignore[type-arg]
    if not is_division_code(code):
        raise ValidationError({"division": ["A 6-, 9- or 12-digit GB/T 2260 code."]})
    return queryset.filter(**{f"{lookup}__startswith": division_prefix(code)})


class DivisionFilter(django_filters.FilterSet):
    code = django_filters.CharFilter()
    name = django_filters.CharFilter(lookup_expr="icontains")
    level = django_filters.ChoiceFilter(choices=DivisionLevel.choices)
    parent = django_filters.CharFilter(field_name="parent__code", label="parent division code")
    within = django_filters.CharFilter(method="filter_within", label="inside this division code (itself included)")

    class Meta:
        model = Division
        fields = ["code", "name", "level", "parent", "within"]

    def filter_within(self, queryset: QuerySet[Division], name: str, value: str) -> QuerySet[Division]:
        return _within(queryset, "code", value)


class RiverFilter(django_filters.FilterSet):
    code = django_filters.CharFilter()
    name = django_filters.CharFilter(lookup_expr="icontains")
    division = django_filters.CharFilter(field_name="division__code", label="managing division code")

    class Meta:
        model = River
        fields = ["code", "name", "division"]


class ReachFilter(django_filters.FilterSet):
    code = django_filters.CharFilter()
    name = django_filters.CharFilter(lookup_expr="icontains")
    river = django_filters.NumberFilter(field_name="river_id")
    river_code = django_filters.CharFilter(field_name="river__code")
    division = django_filters.CharFilter(method="filter_division", label="inside this division code")

    class Meta:
        model = Reach
        fields = ["code", "name", "river", "river_code", "division"]

    def filter_division(self, queryset: QuerySet[Reach], name: str, value: str) -> QuerySet[Reach]:
        return _within(queryset, "division__code", value)


class LakeFilter(django_filters.FilterSet):
    code = django_filters.CharFilter()
    name = django_filters.CharFilter(lookup_expr="icontains")
    kind = django_filters.ChoiceFilter(choices=LakeKind.choices)
    division = django_filters.CharFilter(method="filter_division", label="inside this division code")

    class Meta:
        model = Lake
        fields = ["code", "name", "kind", "division"]

    def filter_division(self, queryset: QuerySet[Lake], name: str, value: str) -> QuerySet[Lake]:
        return _within(queryset, "division__code", value)
