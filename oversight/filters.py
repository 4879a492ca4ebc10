"""FilterSets of the oversight ledgers. `?figure=<name>&start=&end=` lists exactly the rows a report
figure counted (the same Q as oversight.selectors); divisions match by prefix (a district includes its
townships); units are named by username."""

from __future__ import annotations

import datetime as dt
from typing import Any

import django_filters
from django.db.models import Q, QuerySet
from rest_framework.exceptions import ValidationError

from core.divisions import division_prefix, is_division_code
from oversight import selectors
from oversight.choices import (
    Channel,
    CircularStatus,
    FindingCategory,
    MilestoneKind,
    MilestoneStatus,
    OrderSubject,
    PetitionCategory,
    PetitionStatus,
    RecheckItem,
    RecheckOutcome,
    ReviewState,
    Substantiated,
    TaskStatus,
    Timeliness,
)
from oversight.models import Circular, Finding, Milestone, Petition, Recheck, SupervisionOrder, Task


def _within(queryset: QuerySet[Any], lookup: str, code: str) -> QuerySet[Any]:
    if not is_division_code(code):
        raise ValidationError({"division": ["A 6-, 9- or 12-digit GB/T 2260 code."]})
    return queryset.filter(**{f"{lookup}__startswith": division_prefix(code)})


class _FigureFilterSet(django_filters.FilterSet):
    """`figure`, `start`, `end`: the rows of one report figure for the period start–end."""

    figure_names: tuple[str, ...] = ()
    start = django_filters.DateFilter(method="_noop", help_text="first day of the figure's period (Beijing)")
    end = django_filters.DateFilter(method="_noop", help_text="last day of the figure's period (Beijing)")

    def _noop(self, queryset: QuerySet[Any], name: str, value: Any) -> QuerySet[Any]:
        return queryset

    def figure_q(self, figure: str, first: dt.date, last: dt.date) -> Q:  # pragma: no cover - overridden
        raise NotImplementedError

    def filter_queryset(self, queryset: QuerySet[Any]) -> QuerySet[Any]:
        queryset = super().filter_queryset(queryset)
        figure = self.data.get("figure")
        if figure:
            if figure not in self.figure_names:
                raise ValidationError({"figure": [f"One of {', '.join(self.figure_names)}."]})
            first, last = self.form.cleaned_data.get("start"), self.form.cleaned_data.get("end")
            if first is None or last is None:
                raise ValidationError({"end": ["A figure needs start and end."]})
            if last < first:
                raise ValidationError({"end": ["The end is before the start."]})
            queryset = queryset.filter(self.figure_q(figure, first, last))
        return queryset


class TaskFilter(_FigureFilterSet):
    figure_names = selectors.TASK_FIGURES
    figure = django_filters.CharFilter(method="_noop", help_text=f"one of {', '.join(selectors.TASK_FIGURES)}")
    status = django_filters.ChoiceFilter(choices=TaskStatus.choices)
    review = django_filters.ChoiceFilter(choices=ReviewState.choices)
    timeliness = django_filters.ChoiceFilter(choices=Timeliness.choices)
    category = django_filters.ChoiceFilter(field_name="finding__category", choices=FindingCategory.choices)
    round = django_filters.CharFilter(field_name="finding__round__code")
    unit = django_filters.CharFilter(method="_unit", help_text="username of the lead or a responsible unit")
    division = django_filters.CharFilter(method="_division")

    class Meta:
        model = Task
        fields: list[str] = []

    def figure_q(self, figure: str, first: dt.date, last: dt.date) -> Q:
        return selectors.task_figure_q(figure, first, last)

    def _unit(self, queryset: QuerySet[Any], name: str, value: str) -> QuerySet[Any]:
        through = Task.responsible_units.through
        return queryset.filter(
            Q(lead_unit__username=value) | Q(pk__in=through.objects.filter(user__username=value).values("task_id"))
        )

    def _division(self, queryset: QuerySet[Any], name: str, value: str) -> QuerySet[Any]:
        return _within(queryset, "finding__division__code", value)


class FindingFilter(django_filters.FilterSet):
    round = django_filters.CharFilter(field_name="round__code")
    category = django_filters.ChoiceFilter(choices=FindingCategory.choices)
    division = django_filters.CharFilter(method="_division")

    class Meta:
        model = Finding
        fields: list[str] = []

    def _division(self, queryset: QuerySet[Any], name: str, value: str) -> QuerySet[Any]:
        return _within(queryset, "division__code", value)


class MilestoneFilter(django_filters.FilterSet):
    task = django_filters.CharFilter(field_name="task__code")
    kind = django_filters.ChoiceFilter(choices=MilestoneKind.choices)
    status = django_filters.ChoiceFilter(choices=MilestoneStatus.choices)
    due_after = django_filters.DateFilter(field_name="due_on", lookup_expr="gte")
    due_before = django_filters.DateFilter(field_name="due_on", lookup_expr="lte")

    class Meta:
        model = Milestone
        fields: list[str] = []


class PetitionFilter(_FigureFilterSet):
    figure_names = selectors.PETITION_FIGURES
    figure = django_filters.CharFilter(method="_noop", help_text=f"one of {', '.join(selectors.PETITION_FIGURES)}")
    number = django_filters.CharFilter()
    status = django_filters.ChoiceFilter(choices=PetitionStatus.choices)
    review = django_filters.ChoiceFilter(choices=ReviewState.choices)
    channel = django_filters.ChoiceFilter(choices=Channel.choices)
    category = django_filters.ChoiceFilter(choices=PetitionCategory.choices)
    substantiated = django_filters.ChoiceFilter(choices=Substantiated.choices)
    public = django_filters.BooleanFilter()
    round = django_filters.CharFilter(field_name="batch__round__code")
    batch = django_filters.NumberFilter(field_name="batch__number")
    unit = django_filters.CharFilter(field_name="unit__username")
    case = django_filters.UUIDFilter(field_name="case_id")
    received_after = django_filters.DateFilter(field_name="received_on", lookup_expr="gte")
    received_before = django_filters.DateFilter(field_name="received_on", lookup_expr="lte")
    division = django_filters.CharFilter(method="_division")

    class Meta:
        model = Petition
        fields: list[str] = []

    def figure_q(self, figure: str, first: dt.date, last: dt.date) -> Q:
        return selectors.petition_figure_q(figure, first, last)

    def _division(self, queryset: QuerySet[Any], name: str, value: str) -> QuerySet[Any]:
        return _within(queryset, "division__code", value)


class OrderFilter(django_filters.FilterSet):
    subject = django_filters.ChoiceFilter(choices=OrderSubject.choices)
    unit = django_filters.CharFilter(field_name="unit__username")
    replied = django_filters.BooleanFilter(field_name="replied_at", lookup_expr="isnull", exclude=True)

    class Meta:
        model = SupervisionOrder
        fields: list[str] = []


class CircularFilter(django_filters.FilterSet):
    status = django_filters.ChoiceFilter(choices=CircularStatus.choices)

    class Meta:
        model = Circular
        fields: list[str] = []


class RecheckFilter(_FigureFilterSet):
    figure_names = selectors.RECHECK_FIGURES
    figure = django_filters.CharFilter(method="_noop", help_text=f"one of {', '.join(selectors.RECHECK_FIGURES)}")
    batch = django_filters.CharFilter()
    item = django_filters.ChoiceFilter(choices=RecheckItem.choices)
    outcome = django_filters.ChoiceFilter(choices=RecheckOutcome.choices)
    division = django_filters.CharFilter(method="_division")

    class Meta:
        model = Recheck
        fields: list[str] = []

    def figure_q(self, figure: str, first: dt.date, last: dt.date) -> Q:
        return selectors.recheck_figure_q(figure, first, last)

    def _division(self, queryset: QuerySet[Any], name: str, value: str) -> QuerySet[Any]:
        return _within(queryset, "division__code", value)
