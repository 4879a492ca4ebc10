"""Reads of the places app, each narrowed to the caller's scope (accounts.scope)."""

from __future__ import annotations

import datetime as dt

from django.db.models import Q, QuerySet

from accounts.scope import Scope
from places.models import ChiefAssignment, Division, Lake, Reach, River


def division_list(*, scope: Scope) -> QuerySet[Division]:
    """Divisions inside the caller's jurisdiction (itself included)."""
    return scope.filter(Division.objects.select_related("parent"), "code")


def river_list(*, scope: Scope) -> QuerySet[River]:
    """Rivers managed inside the jurisdiction, or with a reach inside it: a district reviewer sees the
    city's main river because part of it runs through the district."""
    qs = River.objects.select_related("division")
    if scope.everything or scope.nothing:
        return scope.filter(qs, "division__code")
    reach_rivers = Reach.objects.filter(scope.q("division__code")).values("river_id")
    return qs.filter(scope.q("division__code") | Q(pk__in=reach_rivers))


def reach_list(*, scope: Scope) -> QuerySet[Reach]:
    return scope.filter(Reach.objects.select_related("river", "division"), "division__code")


def lake_list(*, scope: Scope) -> QuerySet[Lake]:
    return scope.filter(Lake.objects.select_related("division"), "division__code")


def assignment_list(*, scope: Scope, on: dt.date | None = None) -> QuerySet[ChiefAssignment]:
    """Chief appointments on reaches and lakes in scope, current on `on` when given."""
    qs = ChiefAssignment.objects.select_related("chief", "reach", "lake").filter(
        scope.q("reach__division__code") | scope.q("lake__division__code")
    )
    if on is not None:
        qs = qs.filter(Q(valid_from__lte=on), Q(valid_until__isnull=True) | Q(valid_until__gte=on))
    return qs


def reaches_of_chief(*, chief_id: int, on: dt.date | None = None) -> QuerySet[Reach]:
    """The reaches a chief is appointed to (on a date, or ever)."""
    assignments = ChiefAssignment.objects.filter(chief_id=chief_id, reach__isnull=False)
    if on is not None:
        assignments = assignments.filter(Q(valid_from__lte=on), Q(valid_until__isnull=True) | Q(valid_until__gte=on))
    return Reach.objects.filter(pk__in=assignments.values("reach_id"))


def lakes_of_chief(*, chief_id: int, on: dt.date | None = None) -> QuerySet[Lake]:
    """The lakes and reservoirs a chief is appointed to (on a date, or ever)."""
    assignments = ChiefAssignment.objects.filter(chief_id=chief_id, lake__isnull=False)
    if on is not None:
        assignments = assignments.filter(Q(valid_from__lte=on), Q(valid_until__isnull=True) | Q(valid_until__gte=on))
    return Lake.objects.filter(pk__in=assignments.values("lake_id"))
