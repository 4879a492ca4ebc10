"""Reads of intakes, meters and readings, and the scope conditions every water read starts from."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from django.db.models import Q, QuerySet
from django.utils.translation import gettext as _

from accounts.choices import Role
from accounts.scope import Scope
from core.exceptions import NotFound
from water import conf
from water.choices import SURFACE_SOURCES, SourceType
from water.models import Intake, Meter, Reading

_NOTHING = Q(pk__in=[])


def intake_scope_q(scope: Scope, prefix: str = "") -> Q:
    """A Q on intakes (or on rows reaching an intake through `prefix`, e.g. "meter__intake__")."""
    if scope.everything:
        return Q()
    if scope.role == Role.OPERATOR:
        return Q(**{f"{prefix}operators__id": scope.user_id}) if scope.user_id else _NOTHING
    if scope.role == Role.DEVICE or scope.role is None:
        return _NOTHING
    return scope.q(f"{prefix}division__code")


def meter_writable_q(scope: Scope) -> Q:
    """The meters whose readings the caller may write: admins any; devices the meters they are the
    device account of; operators those of their intakes; reviewers those in their jurisdiction."""
    if scope.everything:
        return Q()
    if scope.role == Role.DEVICE:
        return Q(device_id=scope.user_id) if scope.user_id else _NOTHING
    if scope.role == Role.OPERATOR:
        return Q(intake__operators__id=scope.user_id) if scope.user_id else _NOTHING
    if scope.role == Role.REVIEWER:
        return scope.q("intake__division__code")
    return _NOTHING


def online_metering_required(source_type: str, permitted_annual_m3: Decimal | None) -> bool:
    """Whether the metering rule requires online metering (domain.md §2.6: surface ≥ 500,000 m³/yr,
    groundwater ≥ 50,000 m³/yr; thresholds are settings)."""
    if permitted_annual_m3 is None:
        return False
    if source_type == SourceType.GROUNDWATER:
        return permitted_annual_m3 >= conf.online_groundwater_m3()
    return permitted_annual_m3 >= conf.online_surface_m3()


def online_required_q() -> Q:
    return Q(source_type=SourceType.GROUNDWATER, permitted_annual_m3__gte=conf.online_groundwater_m3()) | Q(
        source_type__in=list(SURFACE_SOURCES), permitted_annual_m3__gte=conf.online_surface_m3()
    )


def intake_list(*, scope: Scope) -> QuerySet[Intake]:
    return (
        Intake.objects.filter(intake_scope_q(scope))
        .select_related("division", "river", "lake")
        .prefetch_related("meters", "operators")
    )


def intake_get(*, scope: Scope, intake_id: int) -> Intake:
    intake = Intake.objects.filter(intake_scope_q(scope), pk=intake_id).select_related("division").first()
    if intake is None:
        raise NotFound(_("No such intake."))
    return intake


def meter_list(*, scope: Scope) -> QuerySet[Meter]:
    return Meter.objects.filter(intake_scope_q(scope, "intake__")).select_related(
        "intake", "intake__division", "device", "replaces", "replaced_by"
    )


def reading_list(*, scope: Scope) -> QuerySet[Reading]:
    return Reading.objects.filter(intake_scope_q(scope, "meter__intake__")).select_related("meter")


def reading_get(*, scope: Scope, serial: str, observed_at: dt.datetime) -> Reading:
    reading = reading_list(scope=scope).filter(meter__serial=serial, observed_at=observed_at).first()
    if reading is None:
        raise NotFound(_("No such reading."), fields={"observed_at": [_("No reading of this meter at this instant.")]})
    return reading
