"""FilterSets of the places app: one per model."""

from __future__ import annotations

from typing import Any

import django_filters
from django.db.models import Q, QuerySet
from django.utils.translation import gettext as _
from rest_framework.exceptions import ValidationError

from core.api.filters import IdFilter
from core.divisions import division_prefix, is_division_code
from places.choices import ChiefLevel, DivisionLevel, LakeKind
from places.models import ChiefAssignment, Division, Lake, Reach, River


def _within(queryset: QuerySet, lookup: str, code: str, param: str = "division") -> QuerySet:
    if not is_division_code(code):
        raise ValidationError({param: [_("A 6-, 9- or 12-digit GB/T 2260 code.")]})
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
        return _within(queryset, "code", value, name)


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
    river = IdFilter(field_name="river_id")
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


class AssignmentFilter(django_filters.FilterSet):
    chief = IdFilter(field_name="chief_id")
    reach = IdFilter(field_name="reach_id")
    lake = IdFilter(field_name="lake_id")
    level = django_filters.ChoiceFilter(choices=ChiefLevel.choices)
    on = django_filters.DateFilter(method="filter_on", label="current on this date")

    class Meta:
        model = ChiefAssignment
        fields = ["chief", "reach", "lake", "level", "on"]

    def filter_on(self, queryset: QuerySet[ChiefAssignment], name: str, value: Any) -> QuerySet[ChiefAssignment]:
        return queryset.filter(Q(valid_from__lte=value), Q(valid_until__isnull=True) | Q(valid_until__gte=value))
