"""What the reuse ledgers share: the error collector, scoped references, geometry checks, the
audited save, and the generic ledger (create/update of plants, projects and users)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from decimal import Decimal
from typing import Any, Generic, Protocol, TypeVar, cast

from django.contrib.gis.geos import GEOSGeometry, LineString, MultiLineString, Point
from django.db import models
from django.utils import timezone
from django.utils.functional import Promise
from django.utils.translation import gettext as _

from accounts.scope import Scope
from core.audit import snapshot
from core.geo import WGS84_SRID
from core.kernel import Errors, audited_save
from core.models import TimeStamped
from places.models import Division
from reuse import conf
from reuse.models import MonthlyDelivery, MonthlyPlantVolume, Plant, Project, WaterUser
from reuse.months import days_in_month

M = TypeVar("M", bound=TimeStamped)
L = TypeVar("L", Plant, Project, WaterUser)
L_contra = TypeVar("L_contra", Plant, Project, WaterUser, contravariant=True)
V = TypeVar("V", MonthlyPlantVolume, MonthlyDelivery)


def _today() -> dt.date:
    # TIME_ZONE is Asia/Shanghai: "today" is the Beijing calendar date, like every period here.
    return timezone.localdate()


def max_monthly_m3(plant: Plant, month: dt.date) -> Decimal:
    """The most a plant can treat in a month before a figure is taken as impossible (reuse.conf)."""
    return plant.design_capacity_m3d * days_in_month(month) * conf.max_load_factor()


def _division(code: Any, *, scope: Scope, errors: Errors, name: str = "division") -> Division | None:
    if not code:
        errors.add(name, _("This field is required."))
        return None
    division = scope.filter(Division.objects.all(), "code").filter(code=str(code)).first()
    if division is None:
        errors.add(name, _("No division %(code)s in your jurisdiction.") % {"code": repr(code)})
    return division


def _plant(code: Any, *, scope: Scope, errors: Errors, name: str = "plant") -> Plant | None:
    if not code:
        return None
    plant = scope.filter(Plant.objects.all(), "division__code").filter(code=str(code)).first()
    if plant is None:
        errors.add(name, _("No plant %(code)s in your jurisdiction.") % {"code": repr(code)})
    return plant


def _wgs84(geom: GEOSGeometry) -> GEOSGeometry:
    """The geometry in WGS84; one without an SRID is taken to be in WGS84 already."""
    if geom.srid is None:
        geom.srid = WGS84_SRID
    elif geom.srid != WGS84_SRID:
        geom = geom.transform(WGS84_SRID, clone=True)
    return geom


def _point(geom: GEOSGeometry | None, *, errors: Errors, name: str = "location") -> Point | None:
    if geom is None:
        return None
    geom = _wgs84(geom)
    if not isinstance(geom, Point):
        errors.add(name, _("Expected a Point, got a %(geom_type)s.") % {"geom_type": geom.geom_type})
        return None
    return geom


def _route(geom: GEOSGeometry | None, *, errors: Errors, name: str = "route") -> MultiLineString | None:
    """A pipeline's route as a MultiLineString; every part needs two distinct positions (a line of one
    point, or of one point repeated, has no length and no direction)."""
    if geom is None:
        return None
    geom = _wgs84(geom)
    if geom.geom_type == "LineString":
        geom = MultiLineString(geom, srid=WGS84_SRID)
    if not isinstance(geom, MultiLineString):
        errors.add(
            name, _("Expected a LineString or MultiLineString, got a %(geom_type)s.") % {"geom_type": geom.geom_type}
        )
        return None
    for i, part in enumerate(geom):
        if part.num_points < 2 or len(set(cast(LineString, part).tuple)) < 2:
            errors.add(name, _("Part %(i)s needs at least two distinct positions.") % {"i": i})
            return None
    return geom


def _check_not_future(value: dt.date | None, name: str, errors: Errors) -> None:
    if value is not None and value > _today():
        errors.add(name, _("%(isoformat)s is in the future.") % {"isoformat": value.isoformat()})


def _save(instance: M, *, actor: Any, before: dict[str, Any] | None, reason: str, action: str | None = None) -> M:
    """Validate, compare, save and audit through the kernel (an update that changes nothing writes
    nothing; a racing writer's unique row is a 409)."""
    audited_save(instance, actor=actor, before=before, reason=reason, action=action)
    return instance


def _code_free(model: type[models.Model], code: str, errors: Errors) -> None:
    if model._default_manager.filter(code=code).exists():
        errors.add("code", _("%(code)s is already used.") % {"code": repr(code)})


class _Apply(Protocol[L_contra]):
    def __call__(self, instance: L_contra, values: Mapping[str, Any], /, *, scope: Scope, errors: Errors) -> None: ...


@dataclass(frozen=True, slots=True)
class _Ledger(Generic[L]):
    """How one ledger (plants, projects, users) takes input: `apply` sets the given fields (resolving
    codes within the scope), `check` states the ledger rules; both only collect errors, so every
    complaint is reported and nothing is written unless there are none."""

    model: type[L]
    noun: str | Promise  # gettext_lazy: the ledger's row in words ("plant"), for "The plant was not saved."
    apply: _Apply[L]
    check: Callable[[L, Errors], None]

    def create(self, *, code: str, values: Mapping[str, Any], actor: Any, scope: Scope, reason: str) -> L:
        errors = Errors()
        _code_free(self.model, code, errors)
        return self._write(
            self.model(code=code), values, before=None, errors=errors, actor=actor, scope=scope, reason=reason
        )

    def update(self, instance: L, *, changes: Mapping[str, Any], actor: Any, scope: Scope, reason: str) -> L:
        before = snapshot(instance)
        return self._write(instance, changes, before=before, errors=Errors(), actor=actor, scope=scope, reason=reason)

    def _write(
        self,
        instance: L,
        values: Mapping[str, Any],
        *,
        before: dict[str, Any] | None,
        errors: Errors,
        actor: Any,
        scope: Scope,
        reason: str,
    ) -> L:
        self.apply(instance, values, scope=scope, errors=errors)
        self.check(instance, errors)
        errors.raise_if_any(_("The %(noun)s was not saved.") % {"noun": self.noun})
        return _save(instance, actor=actor, before=before, reason=reason)
