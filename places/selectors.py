"""Reads of the places app, each narrowed to the caller's scope (accounts.scope)."""

from __future__ import annotations

import datetime as dt

from django.db.models import Q, QuerySet
from django.utils.translation import gettext as _

from accounts.choices import Role
from accounts.scope import Scope
from core.exceptions import InvalidInput
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


def _is_chief(scope: Scope) -> bool:
    return scope.role == Role.CHIEF and not scope.everything


def filterable_reaches(*, scope: Scope) -> QuerySet[Reach]:
    """The reaches a `reach=` filter may name: in the jurisdiction (places scope) or, for a chief, one
    they are or were appointed to (their own rows on it stay theirs). The console's filter bar lists
    these; ``site_filter_check`` refuses any other."""
    qs = reach_list(scope=scope)
    if _is_chief(scope):
        qs = qs | Reach.objects.filter(pk__in=reaches_of_chief(chief_id=scope.user_id or 0).values("pk"))
    return qs


def filterable_lakes(*, scope: Scope) -> QuerySet[Lake]:
    """The lakes and reservoirs a `lake=` filter may name (as ``filterable_reaches``)."""
    qs = lake_list(scope=scope)
    if _is_chief(scope):
        qs = qs | Lake.objects.filter(pk__in=lakes_of_chief(chief_id=scope.user_id or 0).values("pk"))
    return qs


def site_filter_check(*, scope: Scope, reach_id: int | None = None, lake_id: int | None = None) -> None:
    """A `reach=` or `lake=` filter names a reach or lake the caller may read (``filterable_reaches``,
    ``filterable_lakes``). Otherwise a 400 naming the member, so that a filter on another
    jurisdiction's reach is refused rather than answered with nothing."""
    if reach_id is not None:
        ok = filterable_reaches(scope=scope).filter(pk=reach_id).exists()
        if not ok:
            raise InvalidInput(
                _("No reach %(reach_id)s in your scope.") % {"reach_id": reach_id},
                fields={"reach": [_("No such reach in your scope.")]},
            )
    if lake_id is not None:
        ok = filterable_lakes(scope=scope).filter(pk=lake_id).exists()
        if not ok:
            raise InvalidInput(
                _("No lake or reservoir %(lake_id)s in your scope.") % {"lake_id": lake_id},
                fields={"lake": [_("No such lake or reservoir in your scope.")]},
            )
