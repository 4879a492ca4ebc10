"""FilterSets of the reuse app: one per model. Plants and users are named by code in query strings
(the key people write in spreadsheets); months as YYYY-MM."""

from __future__ import annotations

import datetime as dt
from typing import Any

import django_filters
from django import forms
from django.db.models import F, QuerySet
from django.utils.translation import gettext as _
from rest_framework.exceptions import ValidationError

from core.api.filters import BooleanFilter
from core.divisions import division_prefix, is_division_code
from reuse.choices import PlantKind, ProjectKind, ProjectStatus, SubUse, UseClass
from reuse.models import MonthlyDelivery, MonthlyPlantVolume, Plant, Project, WaterUser
from reuse.months import parse_month


def _within(queryset: QuerySet[Any], lookup: str, code: str) -> QuerySet[Any]:
    if not is_division_code(code):
        raise ValidationError({"division": [_("A 6-, 9- or 12-digit GB/T 2260 code.")]})
    return queryset.filter(**{f"{lookup}__startswith": division_prefix(code)})


class MonthFormField(forms.CharField):
    def clean(self, value: Any) -> dt.date | None:
        value = super().clean(value)
        if not value:
            return None
        try:
            return parse_month(value)
        except ValueError as exc:
            # As a parameter, not the message: django-filter formats messages with `%` (issue 14:
            # ?start=%25s was a TypeError).
            raise forms.ValidationError("%(error)s", params={"error": str(exc)}) from None


class MonthFilter(django_filters.Filter):
    """A month (YYYY-MM) compared with the stored first day of the month."""

    field_class = MonthFormField


class PlantFilter(django_filters.FilterSet):
    code = django_filters.CharFilter()
    name = django_filters.CharFilter(lookup_expr="icontains")
    kind = django_filters.ChoiceFilter(choices=PlantKind.choices)
    division = django_filters.CharFilter(method="filter_division", label="inside this division code")

    class Meta:
        model = Plant
        fields = ["code", "name", "kind", "division"]

    def filter_division(self, queryset: QuerySet[Plant], name: str, value: str) -> QuerySet[Plant]:
        return _within(queryset, "division__code", value)


class LayerProjectFilter(django_filters.FilterSet):
    """Filters of the station and pipeline layers (the layer fixes the kind)."""

    code = django_filters.CharFilter()
    name = django_filters.CharFilter(lookup_expr="icontains")
    status = django_filters.ChoiceFilter(choices=ProjectStatus.choices)
    plant = django_filters.CharFilter(field_name="plant__code", label="plant code")
    division = django_filters.CharFilter(method="filter_division", label="inside this division code")
    completed_from = django_filters.DateFilter(field_name="completed_on", lookup_expr="gte")
    completed_until = django_filters.DateFilter(field_name="completed_on", lookup_expr="lte")

    class Meta:
        model = Project
        fields = ["code", "name", "status", "plant", "division", "completed_from", "completed_until"]

    def filter_division(self, queryset: QuerySet[Project], name: str, value: str) -> QuerySet[Project]:
        return _within(queryset, "division__code", value)


class ProjectFilter(LayerProjectFilter):
    kind = django_filters.ChoiceFilter(choices=ProjectKind.choices)

    class Meta:
        model = Project
        fields = ["code", "name", "kind", "status", "plant", "division", "completed_from", "completed_until"]


class WaterUserFilter(django_filters.FilterSet):
    code = django_filters.CharFilter()
    name = django_filters.CharFilter(lookup_expr="icontains")
    use_class = django_filters.ChoiceFilter(choices=UseClass.choices)
    sub_use = django_filters.ChoiceFilter(choices=SubUse.choices)
    plant = django_filters.CharFilter(field_name="plant__code", label="supplying plant code")
    division = django_filters.CharFilter(method="filter_division", label="inside this division code")
    metered = BooleanFilter()

    class Meta:
        model = WaterUser
        fields = ["code", "name", "use_class", "sub_use", "plant", "division", "metered"]

    def filter_division(self, queryset: QuerySet[WaterUser], name: str, value: str) -> QuerySet[WaterUser]:
        return _within(queryset, "division__code", value)


class PlantVolumeFilter(django_filters.FilterSet):
    plant = django_filters.CharFilter(field_name="plant__code", label="plant code")
    division = django_filters.CharFilter(method="filter_division", label="plants inside this division code")
    start = MonthFilter(field_name="month", lookup_expr="gte", label="from this month (YYYY-MM)")
    end = MonthFilter(field_name="month", lookup_expr="lte", label="to this month (YYYY-MM), inclusive")
    exceeds_produced = BooleanFilter(
        method="filter_exceeds", label="only months whose deliveries exceed what the plant produced"
    )

    class Meta:
        model = MonthlyPlantVolume
        fields = ["plant", "division", "start", "end", "exceeds_produced"]

    def filter_division(self, queryset: QuerySet[Any], name: str, value: str) -> QuerySet[Any]:
        return _within(queryset, "plant__division__code", value)

    def filter_exceeds(self, queryset: QuerySet[Any], name: str, value: bool | None) -> QuerySet[Any]:
        if value is None:
            return queryset
        exceeds = queryset.filter(delivered_m3__gt=F("produced_m3"))
        return exceeds if value else queryset.exclude(pk__in=exceeds.values("pk"))


class DeliveryFilter(django_filters.FilterSet):
    plant = django_filters.CharFilter(field_name="plant__code", label="plant code")
    user = django_filters.CharFilter(field_name="user__code", label="user code")
    use_class = django_filters.ChoiceFilter(choices=UseClass.choices)
    sub_use = django_filters.ChoiceFilter(choices=SubUse.choices)
    division = django_filters.CharFilter(method="filter_division", label="plants inside this division code")
    start = MonthFilter(field_name="month", lookup_expr="gte", label="from this month (YYYY-MM)")
    end = MonthFilter(field_name="month", lookup_expr="lte", label="to this month (YYYY-MM), inclusive")
    metered = BooleanFilter(field_name="user", lookup_expr="isnull", exclude=True)

    class Meta:
        model = MonthlyDelivery
        fields = ["plant", "user", "use_class", "sub_use", "division", "start", "end", "metered"]

    def filter_division(self, queryset: QuerySet[Any], name: str, value: str) -> QuerySet[Any]:
        return _within(queryset, "plant__division__code", value)
