"""FilterSets of the places app: one per model."""

from __future__ import annotations

from typing import Any

import django_filters
from django.db.models import Q, QuerySet
from django.utils.translation import gettext as _
from rest_framework.exceptions import ValidationError

from accounts.scope import Scope, scope_for
from core.api.filters import IdFilter
from core.divisions import division_prefix, is_division_code
from core.exceptions import InvalidInput
from places.choices import ChiefLevel, DivisionLevel, LakeKind
from places.models import ChiefAssignment, Division, Lake, Reach, River
from places.selectors import site_filter_check


class ScopedSiteFilterMixin:
    """`reach=` and `lake=` filters that refuse, with a 400 naming the member, a reach or lake the
    caller may not name (``places.selectors.site_filter_check``) instead of answering an empty list.
    One rule for every list and ledger that filters by reach or lake (patrols, quality sections,
    appointments). The API's filter backend gives the request; a page (the console's ledgers) gives
    the caller's scope."""

    reach_lookup = "reach_id"
    lake_lookup = "lake_id"

    def __init__(self, *args: Any, scope: Scope | None = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.scope = scope

    def _check_site(self, **ids: int) -> None:
        scope = self.scope
        request = getattr(self, "request", None)
        if scope is None and request is not None:
            scope = scope_for(request.user)
        if scope is None:
            # Used with neither (a script over an already scoped queryset): nothing to check against.
            return
        try:
            site_filter_check(scope=scope, **ids)
        except InvalidInput as exc:
            raise ValidationError(exc.fields) from None

    def filter_reach(self, queryset: QuerySet[Any], name: str, value: int) -> QuerySet[Any]:
        self._check_site(reach_id=value)
        return queryset.filter(**{self.reach_lookup: value})

    def filter_lake(self, queryset: QuerySet[Any], name: str, value: int) -> QuerySet[Any]:
        self._check_site(lake_id=value)
        return queryset.filter(**{self.lake_lookup: value})


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


class AssignmentFilter(ScopedSiteFilterMixin, django_filters.FilterSet):
    chief = IdFilter(field_name="chief_id")
    reach = IdFilter(method="filter_reach", label="on this reach (id)")
    lake = IdFilter(method="filter_lake", label="on this lake or reservoir (id)")
    level = django_filters.ChoiceFilter(choices=ChiefLevel.choices)
    on = django_filters.DateFilter(method="filter_on", label="current on this date")

    class Meta:
        model = ChiefAssignment
        fields = ["chief", "reach", "lake", "level", "on"]

    def filter_on(self, queryset: QuerySet[ChiefAssignment], name: str, value: Any) -> QuerySet[ChiefAssignment]:
        return queryset.filter(Q(valid_from__lte=value), Q(valid_until__isnull=True) | Q(valid_until__gte=value))
