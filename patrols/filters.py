"""FilterSets of the patrols app's ledgers: one per model. Periods are Beijing calendar dates,
inclusive (`start=2024-01-01&end=2024-03-31` is the first quarter)."""

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
from patrols import selectors
from patrols.choices import (
    CaseCategory,
    CaseClosure,
    CaseSource,
    CaseStatus,
    ChiefLevel,
    PatrolFlag,
    PatrolMode,
    PatrolStatus,
    RecheckOutcome,
    ReviewStatus,
)
from patrols.models import Case, CaseRecheck, LitterRemoval, Patrol
from places.filters import ScopedSiteFilterMixin


def beijing_midnight(d: dt.date) -> dt.datetime:
    return dt.datetime(d.year, d.month, d.day, tzinfo=BEIJING)


def within_division(queryset: QuerySet[Any], lookup: str, code: str) -> QuerySet[Any]:
    if not is_division_code(code):
        raise ValidationError({"division": [_("A 6-, 9- or 12-digit GB/T 2260 code.")]})
    return queryset.filter(**{f"{lookup}__startswith": division_prefix(code)})


def within_division_sites(queryset: QuerySet[Any], code: str) -> QuerySet[Any]:
    """Rows whose reach or lake lies inside the division."""
    if not is_division_code(code):
        raise ValidationError({"division": [_("A 6-, 9- or 12-digit GB/T 2260 code.")]})
    return queryset.filter(selectors.site_within_division(division_prefix(code)))


class _LedgerFilter(ScopedSiteFilterMixin, django_filters.FilterSet):
    """Division, reach or lake and a date window, shared by the ledgers. A reach or lake the caller
    may not read is a 400 naming the member (not an empty page)."""

    division = django_filters.CharFilter(method="filter_division", label="inside this division code")
    reach = IdFilter(method="filter_reach", label="on this reach (id)")
    lake = IdFilter(method="filter_lake", label="on this lake or reservoir (id)")
    start = django_filters.DateFilter(method="filter_start", label="from this Beijing date (inclusive)")
    end = django_filters.DateFilter(method="filter_end", label="until this Beijing date (inclusive)")

    date_field = "started_at"
    date_is_datetime = True

    def filter_division(self, queryset: QuerySet[Any], name: str, value: str) -> QuerySet[Any]:
        return within_division_sites(queryset, value)

    def filter_start(self, queryset: QuerySet[Any], name: str, value: dt.date) -> QuerySet[Any]:
        bound: Any = beijing_midnight(value) if self.date_is_datetime else value
        return queryset.filter(**{f"{self.date_field}__gte": bound})

    def filter_end(self, queryset: QuerySet[Any], name: str, value: dt.date) -> QuerySet[Any]:
        if self.date_is_datetime:
            return queryset.filter(**{f"{self.date_field}__lt": beijing_midnight(value + dt.timedelta(days=1))})
        return queryset.filter(**{f"{self.date_field}__lte": value})

    def filter_queryset(self, queryset: QuerySet[Any]) -> QuerySet[Any]:
        data = self.form.cleaned_data
        if data.get("start") and data.get("end") and data["end"] < data["start"]:
            raise ValidationError({"end": [_("Must be on or after start.")]})
        return super().filter_queryset(queryset)


class PatrolFilter(_LedgerFilter):
    chief = IdFilter(field_name="chief_id")
    level = django_filters.ChoiceFilter(choices=ChiefLevel.choices)
    status = django_filters.ChoiceFilter(choices=PatrolStatus.choices)
    mode = django_filters.ChoiceFilter(choices=PatrolMode.choices)
    valid = BooleanFilter()
    review_status = django_filters.ChoiceFilter(choices=ReviewStatus.choices)
    flag = django_filters.ChoiceFilter(choices=PatrolFlag.choices, method="filter_flag", label="has this flag")

    class Meta:
        model = Patrol
        fields = [
            "division",
            "reach",
            "lake",
            "chief",
            "level",
            "status",
            "mode",
            "valid",
            "review_status",
            "flag",
            "start",
            "end",
        ]

    def filter_flag(self, queryset: QuerySet[Patrol], name: str, value: str) -> QuerySet[Patrol]:
        # flags is a JSON array of closed-set words; the quoted word matches on both backends.
        return queryset.filter(flags__icontains=f'"{value}"')


class CaseFilter(_LedgerFilter):
    date_field = "found_at"

    chief = IdFilter(field_name="reporter_id", label="reporter")
    level = django_filters.ChoiceFilter(
        choices=ChiefLevel.choices, field_name="patrol__level", label="level of the patrol that found it"
    )
    status = django_filters.MultipleChoiceFilter(choices=CaseStatus.choices)
    category = django_filters.MultipleChoiceFilter(choices=CaseCategory.choices)
    source = django_filters.ChoiceFilter(choices=CaseSource.choices)
    closed_via = django_filters.ChoiceFilter(choices=CaseClosure.choices)
    overdue = BooleanFilter(field_name="overdue_at", lookup_expr="isnull", exclude=True)
    patrol = django_filters.UUIDFilter(field_name="patrol_id")
    # The office chases cases by their deadline (a Beijing date, both bounds included).
    deadline_from = django_filters.DateFilter(field_name="deadline", lookup_expr="gte", label="deadline on or after")
    deadline_to = django_filters.DateFilter(field_name="deadline", lookup_expr="lte", label="deadline on or before")

    class Meta:
        model = Case
        fields = [
            "division",
            "reach",
            "lake",
            "chief",
            "level",
            "status",
            "category",
            "source",
            "closed_via",
            "overdue",
            "patrol",
            "start",
            "end",
            "deadline_from",
            "deadline_to",
        ]


class LitterFilter(_LedgerFilter):
    date_field = "removed_on"
    date_is_datetime = False

    chief = IdFilter(field_name="recorded_by_id", label="recorded by")
    patrol = django_filters.UUIDFilter(field_name="patrol_id")

    class Meta:
        model = LitterRemoval
        fields = ["division", "reach", "lake", "chief", "patrol", "start", "end"]


class RecheckFilter(django_filters.FilterSet):
    batch = django_filters.CharFilter()
    outcome = django_filters.ChoiceFilter(choices=RecheckOutcome.choices)
    case = django_filters.UUIDFilter(field_name="case_id")

    class Meta:
        model = CaseRecheck
        fields = ["batch", "outcome", "case"]
