"""FilterSets of the water app: one per model."""

from __future__ import annotations

import datetime as dt
from typing import Any

import django_filters
from django.db.models import QuerySet
from django.utils.translation import gettext as _
from rest_framework.exceptions import ValidationError

from core import periods
from core.api.filters import BooleanFilter, IdFilter, IntegerFilter
from core.divisions import division_prefix, is_division_code
from water.choices import AlertKind, AlertState, Protocol, ReadingSource, Review, SourceType, WaterUse
from water.models import Alert, Intake, LedgerLock, Meter, Reading, RedLineTarget, WaterPlan
from water.selectors import online_required_q


class IntakeFilter(django_filters.FilterSet):
    code = django_filters.CharFilter()
    name = django_filters.CharFilter(lookup_expr="icontains")
    source_type = django_filters.ChoiceFilter(choices=SourceType.choices)
    main_use = django_filters.ChoiceFilter(choices=WaterUse.choices)
    division = django_filters.CharFilter(method="filter_division", label="inside this division code")
    online_required = BooleanFilter(method="filter_online", label="online metering required")
    operator = IdFilter(field_name="operators__id", label="operated by this account id")

    class Meta:
        model = Intake
        fields = ["code", "name", "source_type", "main_use", "division", "online_required", "operator"]

    def filter_division(self, queryset: QuerySet[Intake], name: str, value: str) -> QuerySet[Intake]:
        if not is_division_code(value):
            raise ValidationError({"division": [_("A 6-, 9- or 12-digit GB/T 2260 code.")]})
        return queryset.filter(division__code__startswith=division_prefix(value))

    def filter_online(self, queryset: QuerySet[Intake], name: str, value: bool) -> QuerySet[Intake]:
        return queryset.filter(online_required_q()) if value else queryset.exclude(online_required_q())


class MeterFilter(django_filters.FilterSet):
    serial = django_filters.CharFilter()
    intake = IdFilter(field_name="intake_id")
    intake_code = django_filters.CharFilter(field_name="intake__code")
    protocol = django_filters.ChoiceFilter(choices=Protocol.choices)
    device = IdFilter(field_name="device_id")
    active = BooleanFilter(field_name="removed_at", lookup_expr="isnull", label="not removed")

    class Meta:
        model = Meter
        fields = ["serial", "intake", "intake_code", "protocol", "device", "active"]


class ReadingFilter(django_filters.FilterSet):
    """`start`/`end` are Beijing calendar dates, both included."""

    meter = IdFilter(field_name="meter_id")
    serial = django_filters.CharFilter(field_name="meter__serial")
    start = django_filters.DateFilter(method="filter_start", label="from this Beijing date")
    end = django_filters.DateFilter(method="filter_end", label="until this Beijing date (included)")
    source = django_filters.ChoiceFilter(choices=ReadingSource.choices)
    review = django_filters.ChoiceFilter(
        choices=[(c, c) for c in Review.values if c] + [("none", "none")], method="filter_review"
    )
    corrected = BooleanFilter()
    after_lock = BooleanFilter(label="arrived or corrected after its month was locked")

    class Meta:
        model = Reading
        fields = ["meter", "serial", "start", "end", "source", "review", "corrected", "after_lock"]

    def filter_start(self, queryset: QuerySet[Reading], name: str, value: dt.date) -> QuerySet[Reading]:
        return queryset.filter(observed_at__gte=periods.day(value).start)

    def filter_end(self, queryset: QuerySet[Reading], name: str, value: dt.date) -> QuerySet[Reading]:
        return queryset.filter(observed_at__lt=periods.day(value).end)

    def filter_review(self, queryset: QuerySet[Reading], name: str, value: Any) -> QuerySet[Reading]:
        return queryset.filter(review="" if value == "none" else value)


# ------------------------------------------------------------------------------ plans, red lines, locks


def _inside(queryset: QuerySet[Any], value: str) -> QuerySet[Any]:
    if not is_division_code(value):
        raise ValidationError({"division": [_("A 6-, 9- or 12-digit GB/T 2260 code.")]})
    return queryset.filter(division__code__startswith=division_prefix(value))


class PlanFilter(django_filters.FilterSet):
    year = IntegerFilter()
    division = django_filters.CharFilter(method="filter_division", label="inside this division code")

    class Meta:
        model = WaterPlan
        fields = ["year", "division"]

    def filter_division(self, queryset: QuerySet[Any], name: str, value: str) -> QuerySet[Any]:
        return _inside(queryset, value)


class RedLineFilter(PlanFilter):
    class Meta:
        model = RedLineTarget
        fields = ["year", "division"]


class LockFilter(django_filters.FilterSet):
    month = django_filters.DateFilter(method="filter_month", input_formats=["%Y-%m"], label="YYYY-MM")
    division = django_filters.CharFilter(method="filter_division", label="inside this division code")
    active = BooleanFilter(field_name="unlocked_at", lookup_expr="isnull", label="not unlocked")

    class Meta:
        model = LedgerLock
        fields = ["month", "division", "active"]

    def filter_month(self, queryset: QuerySet[Any], name: str, value: dt.date) -> QuerySet[Any]:
        return queryset.filter(month=value.replace(day=1))

    def filter_division(self, queryset: QuerySet[Any], name: str, value: str) -> QuerySet[Any]:
        return _inside(queryset, value)


class AlertFilter(django_filters.FilterSet):
    """`state`: open (not resolved) or resolved; `kind`: one of AlertKind."""

    state = django_filters.ChoiceFilter(choices=AlertState.choices, method="filter_state")
    kind = django_filters.ChoiceFilter(choices=AlertKind.choices)
    intake = IdFilter(field_name="intake_id")
    meter = IdFilter(field_name="meter_id")
    acknowledged = BooleanFilter(field_name="acknowledged_at", lookup_expr="isnull", exclude=True)

    class Meta:
        model = Alert
        fields = ["state", "kind", "intake", "meter", "acknowledged"]

    def filter_state(self, queryset: QuerySet[Alert], name: str, value: str) -> QuerySet[Alert]:
        return queryset.filter(resolved_at__isnull=value == AlertState.OPEN)
