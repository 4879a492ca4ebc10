"""Writes of the reuse app: keyword-only, validated, audited in the same transaction.

Every service takes an optional `scope` (accounts.scope.Scope): referenced divisions, plants and users
must lie inside it, so a district reviewer cannot file a plant in another district. `scope=None` is the
unrestricted system scope of the admin site, the demo loader and tasks.

Errors name the field (or the row path `volumes[3].treated_m3`) and nothing is written: every check
runs before the first write of the transaction.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any, Generic, Protocol, TypeVar, cast

from django.contrib.gis.geos import GEOSGeometry, LineString, MultiLineString, Point
from django.db import IntegrityError, models, transaction
from django.utils import timezone

from accounts.scope import Scope
from core.audit import actor_label, audit_record, snapshot
from core.choices import AuditAction
from core.exceptions import Conflict, InvalidInput
from core.geo import WGS84_SRID, geometry_length_m
from core.models import AuditLog
from places.models import Division, TimeStamped
from reuse import conf
from reuse.choices import (
    STATUS_DATE_FIELD,
    STATUS_ORDER,
    SUB_USE_CLASS,
    EffluentStandard,
    PipeMaterial,
    PlantKind,
    ProjectKind,
    ProjectStatus,
    UseClass,
    VolumeSource,
)
from reuse.models import MonthlyDelivery, MonthlyPlantVolume, Plant, Project, WaterUser
from reuse.months import days_in_month
from reuse.selectors import plant_month_warnings

M = TypeVar("M", bound=TimeStamped)
L = TypeVar("L", Plant, Project, WaterUser)
L_contra = TypeVar("L_contra", Plant, Project, WaterUser, contravariant=True)
V = TypeVar("V", MonthlyPlantVolume, MonthlyDelivery)


class _Errors:
    """Collects every field error of one input, so the caller hears about all of them at once."""

    def __init__(self) -> None:
        self.fields: dict[str, list[str]] = {}

    def add(self, name: str, message: str) -> None:
        self.fields.setdefault(name, []).append(message)

    def __bool__(self) -> bool:
        return bool(self.fields)

    def raise_if_any(
        self,
        message: str = "Invalid input.",
        *,
        error: type[InvalidInput | Conflict] = InvalidInput,
        code: str | None = None,
    ) -> None:
        """Refuse with `error`, the message naming the first field and its first complaint."""
        if self.fields:
            first = next(iter(self.fields))
            raise error(f"{message} {first}: {self.fields[first][0]}", code=code, fields=self.fields)


def _today() -> dt.date:
    # TIME_ZONE is Asia/Shanghai: "today" is the Beijing calendar date, like every period here.
    return timezone.localdate()


def _scoped(qs: models.QuerySet[Any], scope: Scope | None, lookup: str) -> models.QuerySet[Any]:
    return qs if scope is None else scope.filter(qs, lookup)


def max_monthly_m3(plant: Plant, month: dt.date) -> Decimal:
    """The most a plant can treat in a month before a figure is taken as impossible (reuse.conf)."""
    return plant.design_capacity_m3d * days_in_month(month) * conf.max_load_factor()


def _division(code: Any, *, scope: Scope | None, errors: _Errors, name: str = "division") -> Division | None:
    if not code:
        errors.add(name, "This field is required.")
        return None
    division = _scoped(Division.objects.all(), scope, "code").filter(code=str(code)).first()
    if division is None:
        errors.add(name, f"No division {code!r} in your jurisdiction.")
    return division


def _plant(code: Any, *, scope: Scope | None, errors: _Errors, name: str = "plant") -> Plant | None:
    if not code:
        return None
    plant = _scoped(Plant.objects.all(), scope, "division__code").filter(code=str(code)).first()
    if plant is None:
        errors.add(name, f"No plant {code!r} in your jurisdiction.")
    return plant


def _wgs84(geom: GEOSGeometry) -> GEOSGeometry:
    """The geometry in WGS84; one without an SRID is taken to be in WGS84 already."""
    if geom.srid is None:
        geom.srid = WGS84_SRID
    elif geom.srid != WGS84_SRID:
        geom = geom.transform(WGS84_SRID, clone=True)
    return geom


def _point(geom: GEOSGeometry | None, *, errors: _Errors, name: str = "location") -> Point | None:
    if geom is None:
        return None
    geom = _wgs84(geom)
    if not isinstance(geom, Point):
        errors.add(name, f"Expected a Point, got a {geom.geom_type}.")
        return None
    return geom


def _route(geom: GEOSGeometry | None, *, errors: _Errors, name: str = "route") -> MultiLineString | None:
    """A pipeline's route as a MultiLineString; every part needs two distinct positions (a line of one
    point, or of one point repeated, has no length and no direction)."""
    if geom is None:
        return None
    geom = _wgs84(geom)
    if geom.geom_type == "LineString":
        geom = MultiLineString(geom, srid=WGS84_SRID)
    if not isinstance(geom, MultiLineString):
        errors.add(name, f"Expected a LineString or MultiLineString, got a {geom.geom_type}.")
        return None
    for i, part in enumerate(geom):
        if part.num_points < 2 or len(set(cast(LineString, part).tuple)) < 2:
            errors.add(name, f"Part {i} needs at least two distinct positions.")
            return None
    return geom


def _check_not_future(value: dt.date | None, name: str, errors: _Errors) -> None:
    if value is not None and value > _today():
        errors.add(name, f"{value.isoformat()} is in the future.")


def _quantize(instance: models.Model) -> None:
    """Decimals at their stored precision, so that 200000 and 200000.00 are the same value to the audit
    comparison (and a resend is a no-op)."""
    for f in instance._meta.concrete_fields:
        if isinstance(f, models.DecimalField):
            value = getattr(instance, f.attname)
            if isinstance(value, Decimal | int):
                setattr(instance, f.attname, Decimal(value).quantize(Decimal(1).scaleb(-f.decimal_places)))


def _save(instance: M, *, actor: Any, before: dict[str, Any] | None, reason: str, action: str | None = None) -> M:
    """Validate against the model and its constraints, save and audit. An update that changes nothing
    writes nothing (a resend of the same PATCH leaves no audit noise)."""
    created = instance.pk is None
    _quantize(instance)
    instance.full_clean()
    if not created and snapshot(instance, exclude=("updated_at",)) == {
        k: v for k, v in (before or {}).items() if k != "updated_at"
    }:
        return instance
    if not created:
        instance.updated_at = timezone.now()
    try:
        with transaction.atomic():
            instance.save()
    except IntegrityError as exc:
        # Two writers raced past full_clean's uniqueness check; the database kept one.
        raise Conflict("The row was written by someone else at the same time; reload and retry.") from exc
    audit_record(
        actor=actor,
        action=action or (AuditAction.CREATE if created else AuditAction.UPDATE),
        instance=instance,
        before=before,
        after=snapshot(instance),
        reason=reason,
    )
    return instance


def _code_free(model: type[models.Model], code: str, errors: _Errors) -> None:
    if model._default_manager.filter(code=code).exists():
        errors.add("code", f"{code!r} is already used.")


class _Apply(Protocol[L_contra]):
    def __call__(
        self, instance: L_contra, values: Mapping[str, Any], /, *, scope: Scope | None, errors: _Errors
    ) -> None: ...


@dataclass(frozen=True, slots=True)
class _Ledger(Generic[L]):
    """How one ledger (plants, projects, users) takes input: `apply` sets the given fields (resolving
    codes within the scope), `check` states the ledger rules; both only collect errors, so every
    complaint is reported and nothing is written unless there are none."""

    model: type[L]
    noun: str
    apply: _Apply[L]
    check: Callable[[L, _Errors], None]

    def create(self, *, code: str, values: Mapping[str, Any], actor: Any, scope: Scope | None, reason: str) -> L:
        errors = _Errors()
        _code_free(self.model, code, errors)
        return self._write(
            self.model(code=code), values, before=None, errors=errors, actor=actor, scope=scope, reason=reason
        )

    def update(self, instance: L, *, changes: Mapping[str, Any], actor: Any, scope: Scope | None, reason: str) -> L:
        before = snapshot(instance)
        return self._write(instance, changes, before=before, errors=_Errors(), actor=actor, scope=scope, reason=reason)

    def _write(
        self,
        instance: L,
        values: Mapping[str, Any],
        *,
        before: dict[str, Any] | None,
        errors: _Errors,
        actor: Any,
        scope: Scope | None,
        reason: str,
    ) -> L:
        self.apply(instance, values, scope=scope, errors=errors)
        self.check(instance, errors)
        errors.raise_if_any(f"The {self.noun} was not saved.")
        return _save(instance, actor=actor, before=before, reason=reason)


# --------------------------------------------------------------------------- plants

_PLANT_FIELDS = frozenset(
    {
        "name",
        "kind",
        "division",
        "location",
        "design_capacity_m3d",
        "actual_capacity_m3d",
        "effluent_standard",
        "commissioned_on",
        "operator_name",
    }
)


def _apply_plant(plant: Plant, values: Mapping[str, Any], *, scope: Scope | None, errors: _Errors) -> None:
    for name, value in values.items():
        if name not in _PLANT_FIELDS:
            errors.add(name, "Unknown field.")
        elif name == "division":
            division = _division(value, scope=scope, errors=errors)
            if division is not None:
                plant.division = division
        elif name == "location":
            if value is None:
                errors.add("location", "A plant needs its location.")
            else:
                location = _point(value, errors=errors)
                if location is not None:
                    plant.location = location
        else:
            setattr(plant, name, value)


def _check_plant(plant: Plant, errors: _Errors) -> None:
    if plant.kind not in PlantKind.values:
        errors.add("kind", f"One of {', '.join(PlantKind.values)}.")
    if plant.effluent_standard not in EffluentStandard.values:
        errors.add("effluent_standard", f"One of {', '.join(EffluentStandard.values)}.")
    if plant.design_capacity_m3d is None or plant.design_capacity_m3d <= 0:
        errors.add("design_capacity_m3d", "Must be more than 0.")
    if plant.actual_capacity_m3d is not None and plant.actual_capacity_m3d < 0:
        errors.add("actual_capacity_m3d", "Must not be negative.")
    _check_not_future(plant.commissioned_on, "commissioned_on", errors)
    if plant.location is None:
        errors.add("location", "A plant needs its location.")


_PLANTS = _Ledger(Plant, "plant", _apply_plant, _check_plant)


@transaction.atomic
def plant_create(
    *,
    actor: Any,
    code: str,
    name: str,
    division_code: str,
    location: GEOSGeometry,
    design_capacity_m3d: Decimal,
    kind: str = PlantKind.MUNICIPAL,
    actual_capacity_m3d: Decimal | None = None,
    effluent_standard: str = EffluentStandard.GB18918_1A,
    commissioned_on: dt.date | None = None,
    operator_name: str = "",
    scope: Scope | None = None,
    reason: str = "",
) -> Plant:
    """Add a plant to the ledger."""
    return _PLANTS.create(
        code=code,
        values={
            "name": name,
            "kind": kind,
            "division": division_code,
            "location": location,
            "design_capacity_m3d": design_capacity_m3d,
            "actual_capacity_m3d": actual_capacity_m3d,
            "effluent_standard": effluent_standard,
            "commissioned_on": commissioned_on,
            "operator_name": operator_name,
        },
        actor=actor,
        scope=scope,
        reason=reason,
    )


@transaction.atomic
def plant_update(
    *, plant: Plant, actor: Any, changes: Mapping[str, Any], scope: Scope | None = None, reason: str = ""
) -> Plant:
    """Change a plant's ledger fields (`division` as a code). The code is its key and does not change."""
    return _PLANTS.update(plant, changes=changes, actor=actor, scope=scope, reason=reason)


# --------------------------------------------------------------------------- projects

_PROJECT_FIELDS = frozenset(
    {
        "name",
        "kind",
        "status",
        "division",
        "plant",
        "started_on",
        "completed_on",
        "operating_since",
        "investment_yuan",
        "capacity_m3d",
        "location",
        "route",
        "diameter_mm",
        "material",
        "description",
    }
)


def _apply_project(project: Project, values: Mapping[str, Any], *, scope: Scope | None, errors: _Errors) -> None:
    for name, value in values.items():
        if name not in _PROJECT_FIELDS:
            errors.add(name, "Unknown field.")
        elif name == "division":
            division = _division(value, scope=scope, errors=errors)
            if division is not None:
                project.division = division
        elif name == "plant":
            project.plant = _plant(value, scope=scope, errors=errors) if value else None
        elif name == "location":
            project.location = _point(value, errors=errors)
        elif name == "route":
            project.route = _route(value, errors=errors)
        elif name == "material":
            project.material = value or ""
        else:
            setattr(project, name, value)


def _check_project(project: Project, errors: _Errors) -> None:
    """The ledger rules of a project (the database's constraints repeat the structural ones)."""
    if project.kind not in ProjectKind.values:
        errors.add("kind", f"One of {', '.join(ProjectKind.values)}.")
        return
    if project.status not in ProjectStatus.values:
        errors.add("status", f"One of {', '.join(ProjectStatus.values)}.")
        return
    if project.material and project.material not in PipeMaterial.values:
        errors.add("material", f"One of {', '.join(PipeMaterial.values)}.")
    for name in ("started_on", "completed_on", "operating_since"):
        _check_not_future(getattr(project, name), name, errors)
    if project.started_on and project.completed_on and project.completed_on < project.started_on:
        errors.add(
            "completed_on",
            f"A project cannot complete ({project.completed_on}) before it starts ({project.started_on}).",
        )
    if project.completed_on and project.operating_since and project.operating_since < project.completed_on:
        errors.add(
            "operating_since",
            f"A project cannot operate ({project.operating_since}) before it is completed ({project.completed_on}).",
        )
    reached = STATUS_ORDER.index(project.status)
    for status, name in STATUS_DATE_FIELD.items():
        has = getattr(project, name) is not None
        if STATUS_ORDER.index(status) <= reached and not has:
            errors.add(name, f"Required while the status is {project.status}.")
        elif STATUS_ORDER.index(status) > reached and has:
            errors.add(name, f"Must be empty while the status is {project.status} (set it when the project advances).")
    if project.investment_yuan is not None and project.investment_yuan < 0:
        errors.add("investment_yuan", "Must not be negative.")
    if project.capacity_m3d is not None and project.capacity_m3d <= 0:
        errors.add("capacity_m3d", "Must be more than 0.")
    if project.diameter_mm is not None and project.diameter_mm <= 0:
        errors.add("diameter_mm", "Must be more than 0.")
    if project.kind == ProjectKind.PIPELINE:
        if project.route is None:
            errors.add("route", "A pipeline needs its route: a LineString of at least two positions.")
        else:
            project.length_m = geometry_length_m(project.route)
            if project.length_m <= 0:
                errors.add("route", "The route has no length.")
    else:
        if project.route is not None:
            errors.add("route", "Only a pipeline has a route; give other projects a location.")
        project.length_m = None
    if project.kind == ProjectKind.PUMP_STATION and project.location is None:
        errors.add("location", "A pump station needs its location (a Point).")
    if project.kind == ProjectKind.TAIL_WATER_REUSE and project.plant_id is None:
        errors.add("plant", "A tail-water reuse project belongs to a plant.")


_PROJECTS = _Ledger(Project, "project", _apply_project, _check_project)


@transaction.atomic
def project_create(
    *,
    actor: Any,
    code: str,
    name: str,
    kind: str,
    division_code: str,
    status: str = ProjectStatus.PLANNED,
    plant_code: str | None = None,
    started_on: dt.date | None = None,
    completed_on: dt.date | None = None,
    operating_since: dt.date | None = None,
    investment_yuan: Decimal | None = None,
    capacity_m3d: Decimal | None = None,
    location: GEOSGeometry | None = None,
    route: GEOSGeometry | None = None,
    diameter_mm: int | None = None,
    material: str = "",
    description: str = "",
    scope: Scope | None = None,
    reason: str = "",
) -> Project:
    """Add a project to the ledger, at whatever status it has reached (with the dates of its steps).
    A pipeline's length is computed geodesically from its route (core.geo), never taken from input."""
    return _PROJECTS.create(
        code=code,
        values={
            "name": name,
            "kind": kind,
            "status": status,
            "division": division_code,
            "plant": plant_code,
            "started_on": started_on,
            "completed_on": completed_on,
            "operating_since": operating_since,
            "investment_yuan": investment_yuan,
            "capacity_m3d": capacity_m3d,
            "location": location,
            "route": route,
            "diameter_mm": diameter_mm,
            "material": material,
            "description": description,
        },
        actor=actor,
        scope=scope,
        reason=reason,
    )


@transaction.atomic
def project_update(
    *, project: Project, actor: Any, changes: Mapping[str, Any], scope: Scope | None = None, reason: str = ""
) -> Project:
    """Correct a project's ledger fields. Status moves only through `project_advance`."""
    if "status" in changes:
        raise InvalidInput(
            "The status changes through the advance action.", fields={"status": ["Use POST …/advance/."]}
        )
    return _PROJECTS.update(project, changes=changes, actor=actor, scope=scope, reason=reason)


@transaction.atomic
def project_advance(*, project: Project, status: str, on: dt.date, actor: Any, reason: str = "") -> Project:
    """Move a project one step along planned → under construction → completed → operating, recording
    the date of the step. Steps are not skipped, so every date of the history is known."""
    current = STATUS_ORDER.index(project.status)
    if current == len(STATUS_ORDER) - 1:
        raise InvalidInput(
            "The project is already operating.", code="already_operating", fields={"status": ["No further step."]}
        )
    expected = STATUS_ORDER[current + 1]
    if status != expected:
        raise InvalidInput(
            f"After {project.status} comes {expected}.",
            fields={"status": [f"The next status after {project.status} is {expected}."]},
        )
    before = snapshot(project)
    date_field = STATUS_DATE_FIELD[status]
    project.status = status
    setattr(project, date_field, on)
    errors = _Errors()
    _check_project(project, errors)
    # The only new value is the date: report the problems against the input field `on`.
    errors.fields = {("on" if k == date_field else k): v for k, v in errors.fields.items()}
    errors.raise_if_any("The project was not advanced.")
    return _save(project, actor=actor, before=before, reason=reason, action=AuditAction.TRANSITION)


# --------------------------------------------------------------------------- users

_USER_FIELDS = frozenset(
    {"name", "division", "plant", "use_class", "sub_use", "contract_volume_m3", "metered", "location"}
)


def resolve_use(
    use_class: str | None, sub_use: str | None, *, errors: _Errors, prefix: str = "", where: str = ""
) -> tuple[str, str]:
    """The (class, sub-use) pair of an input: the class may be left out when the sub-use implies it;
    a sub-use of another class is refused naming `sub_use`."""
    sub_use = sub_use or ""
    if sub_use and sub_use not in SUB_USE_CLASS:
        errors.add(f"{prefix}sub_use", f"Unknown sub-use {sub_use!r}{where}.")
        return "", ""
    if use_class and use_class not in UseClass.values:
        errors.add(
            f"{prefix}use_class", f"Unknown use class {use_class!r}; one of {', '.join(UseClass.values)}{where}."
        )
        return "", ""
    if not use_class:
        if not sub_use:
            errors.add(f"{prefix}use_class", f"Give a use class (or a sub-use){where}.")
            return "", ""
        return SUB_USE_CLASS[sub_use], sub_use
    if sub_use and SUB_USE_CLASS[sub_use] != use_class:
        errors.add(
            f"{prefix}sub_use",
            f"{sub_use!r} belongs to the class {SUB_USE_CLASS[sub_use]!r}, not {use_class!r}{where}.",
        )
    return use_class, sub_use


def _apply_user(user: WaterUser, values: Mapping[str, Any], *, scope: Scope | None, errors: _Errors) -> None:
    if "use_class" in values or "sub_use" in values:
        if "sub_use" in values:
            sub_use = values["sub_use"] or ""
            use_class = values.get("use_class") or (None if sub_use else user.use_class)
        else:
            use_class = values["use_class"]
            # A new class keeps the old sub-use only if it belongs to that class.
            sub_use = user.sub_use if SUB_USE_CLASS.get(user.sub_use) == use_class else ""
        user.use_class, user.sub_use = resolve_use(use_class, sub_use, errors=errors)
    for name, value in values.items():
        if name not in _USER_FIELDS:
            errors.add(name, "Unknown field.")
        elif name == "division":
            division = _division(value, scope=scope, errors=errors)
            if division is not None:
                user.division = division
        elif name == "plant":
            user.plant = _plant(value, scope=scope, errors=errors) if value else None
        elif name == "location":
            user.location = _point(value, errors=errors)
        elif name not in ("use_class", "sub_use"):
            setattr(user, name, value)


def _check_user(user: WaterUser, errors: _Errors) -> None:
    if user.contract_volume_m3 is not None and user.contract_volume_m3 < 0:
        errors.add("contract_volume_m3", "Must not be negative.")
    if "use_class" not in errors.fields and "sub_use" not in errors.fields:
        resolve_use(user.use_class, user.sub_use, errors=errors)


_USERS = _Ledger(WaterUser, "user", _apply_user, _check_user)


@transaction.atomic
def water_user_create(
    *,
    actor: Any,
    code: str,
    name: str,
    division_code: str,
    use_class: str | None = None,
    sub_use: str = "",
    plant_code: str | None = None,
    contract_volume_m3: Decimal | None = None,
    metered: bool = True,
    location: GEOSGeometry | None = None,
    scope: Scope | None = None,
    reason: str = "",
) -> WaterUser:
    """Add a reclaimed-water user with its GB/T 18919 class (given, or implied by the sub-use)."""
    return _USERS.create(
        code=code,
        values={
            "name": name,
            "division": division_code,
            "use_class": use_class,
            "sub_use": sub_use,
            "plant": plant_code,
            "contract_volume_m3": contract_volume_m3,
            "metered": metered,
            "location": location,
        },
        actor=actor,
        scope=scope,
        reason=reason,
    )


@transaction.atomic
def water_user_update(
    *, user: WaterUser, actor: Any, changes: Mapping[str, Any], scope: Scope | None = None, reason: str = ""
) -> WaterUser:
    """Change a user's ledger fields. Deliveries already recorded keep the class they were written with."""
    return _USERS.update(user, changes=changes, actor=actor, scope=scope, reason=reason)


# --------------------------------------------------------------------------- admin saves


def ledger_errors(instance: Plant | Project | WaterUser) -> dict[str, list[str]]:
    """The ledger rules broken by an edited instance (the admin form shows them next to the fields).
    Derived values (a pipeline's length) are recomputed on the instance."""
    errors = _Errors()
    if isinstance(instance, Plant):
        _check_plant(instance, errors)
    elif isinstance(instance, Project):
        if instance.route is not None:
            instance.route = _route(instance.route, errors=errors)
        _check_project(instance, errors)
    else:
        _check_user(instance, errors)
    return errors.fields


@transaction.atomic
def ledger_save_from_admin(*, instance: Plant | Project | WaterUser, actor: Any) -> None:
    """The admin's save: the same checks, derived values (pipeline length) and audit as the API."""
    before = snapshot(type(instance).objects.get(pk=instance.pk)) if instance.pk else None
    errors = _Errors()
    errors.fields = ledger_errors(instance)
    errors.raise_if_any("Not saved.")
    _save(instance, actor=actor, before=before, reason="admin")


# --------------------------------------------------------------------------- monthly volumes


@dataclass(slots=True)
class BatchResult:
    """What a volume or delivery batch did, and the warnings it raised (never refusals)."""

    created: int = 0
    updated: int = 0
    unchanged: int = 0
    warnings: list[dict[str, Any]] = field(default_factory=list)


def _where(lines: Sequence[int] | None, i: int) -> str:
    return f" (CSV line {lines[i]})" if lines else ""


def _check_batch_size(rows: Sequence[Any], prefix: str) -> None:
    if not rows:
        raise InvalidInput("The batch is empty.", fields={prefix: ["Give at least one row."]})
    limit = conf.max_batch_rows()
    if len(rows) > limit:
        raise InvalidInput(
            f"At most {limit} rows per batch.", fields={prefix: [f"{len(rows)} rows; at most {limit} per batch."]}
        )


def _check_month(month: dt.date, path: str, where: str, errors: _Errors) -> None:
    if month.day != 1:
        errors.add(f"{path}.month", f"A month is stored as its first day, not {month.isoformat()}{where}.")
    today = _today()
    if (month.year, month.month) > (today.year, today.month):
        errors.add(f"{path}.month", f"{month:%Y-%m} has not begun{where}.")


@transaction.atomic
def plant_volumes_record(
    *,
    rows: Sequence[Mapping[str, Any]],
    actor: Any,
    source: str = VolumeSource.API,
    replace: bool = False,
    scope: Scope | None = None,
    prefix: str = "volumes",
    lines: Sequence[int] | None = None,
) -> BatchResult:
    """Record plants' monthly treated and produced volumes, all or nothing.

    Each row: `plant` (code), `month` (first day), `treated_m3`, `produced_m3`. Refused (400, row by
    row): unknown or out-of-scope plant, a month not yet begun, negative volumes, more produced than
    treated, more than the plant could treat (design × days × REUSE_MAX_LOAD_FACTOR), the same plant
    and month twice. A stored month with other figures is a 409 unless `replace` (an audited correction);
    the same figures again are a no-op. Over design capacity, and more delivered than produced, come back
    as warnings.
    """
    _check_batch_size(rows, prefix)
    errors = _Errors()
    codes = {str(r.get("plant")) for r in rows if r.get("plant")}
    plants = {p.code: p for p in _scoped(Plant.objects.filter(code__in=codes), scope, "division__code")}
    seen: dict[tuple[int, dt.date], int] = {}
    keyed: list[tuple[int, Plant, Mapping[str, Any]]] = []
    for i, row in enumerate(rows):
        path, where = f"{prefix}[{i}]", _where(lines, i)
        plant = plants.get(str(row.get("plant")))
        if plant is None:
            errors.add(f"{path}.plant", f"No plant {row.get('plant')!r} in your jurisdiction{where}.")
            continue
        month, treated, produced = row["month"], row["treated_m3"], row["produced_m3"]
        _check_month(month, path, where, errors)
        for name, value in (("treated_m3", treated), ("produced_m3", produced)):
            if value < 0:
                errors.add(f"{path}.{name}", f"A volume cannot be negative{where}.")
        if produced > treated:
            errors.add(
                f"{path}.produced_m3", f"More reclaimed water produced ({produced}) than treated ({treated}){where}."
            )
        limit = max_monthly_m3(plant, month)
        if treated > limit:
            errors.add(
                f"{path}.treated_m3",
                f"{treated} m³ in {month:%Y-%m} is impossible for a plant of {plant.design_capacity_m3d} m³/d "
                f"(more than {limit} m³){where}.",
            )
        key = (plant.pk, month)
        if key in seen:
            errors.add(f"{path}.month", f"Row {seen[key]} already gives {plant.code} for {month:%Y-%m}{where}.")
        seen[key] = i
        keyed.append((i, plant, row))
    errors.raise_if_any("The batch was refused; nothing was written.")

    existing = {
        (v.plant_id, v.month): v
        for v in MonthlyPlantVolume.objects.select_for_update().filter(
            plant_id__in={p.pk for _, p, _ in keyed}, month__in={r["month"] for _, _, r in keyed}
        )
    }
    conflicts = _Errors()
    result = BatchResult()
    to_create: list[MonthlyPlantVolume] = []
    to_update: list[tuple[MonthlyPlantVolume, dict[str, Any]]] = []
    for i, plant, row in keyed:
        stored = existing.get((plant.pk, row["month"]))
        if stored is None:
            to_create.append(
                MonthlyPlantVolume(
                    plant=plant,
                    month=row["month"],
                    treated_m3=row["treated_m3"],
                    produced_m3=row["produced_m3"],
                    source=source,
                )
            )
            continue
        if stored.treated_m3 == row["treated_m3"] and stored.produced_m3 == row["produced_m3"]:
            result.unchanged += 1
            continue
        if not replace:
            for name in ("treated_m3", "produced_m3"):
                if getattr(stored, name) != row[name]:
                    conflicts.add(
                        f"{prefix}[{i}].{name}",
                        f"{plant.code} {row['month']:%Y-%m} is stored with {getattr(stored, name)}; "
                        f"send replace=true to correct it{_where(lines, i)}.",
                    )
            continue
        to_update.append((stored, snapshot(stored)))
        stored.treated_m3, stored.produced_m3, stored.source = row["treated_m3"], row["produced_m3"], source
    conflicts.raise_if_any(
        "Months already stored with other figures; nothing was written.", error=Conflict, code="volume_conflict"
    )
    _write(to_create, to_update, actor=actor, source=source, result=result)
    result.warnings = plant_month_warnings(pairs={(p.pk, r["month"]) for _, p, r in keyed})
    return result


def _audit_many(
    *, actor: Any, action: str, changes: Sequence[tuple[models.Model, dict[str, Any] | None]], reason: str
) -> None:
    """One audit row per changed row, as core.audit.audit_record writes them, in one INSERT: a year of
    deliveries is thousands of rows, and one INSERT each cost ~2 ms on PostGIS (294 rows/s measured by
    benchmarks/reuse_import.py). Same transaction rule as audit_record."""
    if not changes:
        return
    if not transaction.get_connection().in_atomic_block:
        raise RuntimeError("audit rows must be written inside the transaction that makes the change")
    user = actor if actor is not None and not isinstance(actor, str) and getattr(actor, "pk", None) else None
    label = actor_label(actor)[:150]
    AuditLog.objects.bulk_create(
        [
            AuditLog(
                actor=user, actor_label=label, action=str(action), entity=obj._meta.label_lower,
                entity_id=str(obj.pk), before=before, after=snapshot(obj), reason=reason[:500],
            )
            for obj, before in changes
        ],
        batch_size=500,
    )  # fmt: skip


def _write(
    to_create: Sequence[V],
    to_update: Sequence[tuple[V, dict[str, Any]]],
    *,
    actor: Any,
    source: str,
    result: BatchResult,
) -> None:
    now = timezone.now()
    try:
        with transaction.atomic():
            for obj in to_create:
                # Field checks (digits, choices) without the per-row foreign-key queries of full_clean:
                # the plant and user were resolved above, in scope, in one query each.
                obj.clean_fields(exclude=["plant", "user"])
            created = type(to_create[0])._default_manager.bulk_create(to_create, batch_size=500) if to_create else []
            for obj, _before in to_update:
                obj.clean_fields(exclude=["plant", "user"])
                obj.updated_at = now
                obj.save()  # a few corrections at a time: per-row saves keep the audit simple
    except IntegrityError as exc:
        raise Conflict(
            "Another batch wrote some of these months at the same time; nothing was written. Retry.",
            code="volume_conflict",
        ) from exc
    _audit_many(actor=actor, action=AuditAction.CREATE, changes=[(obj, None) for obj in created], reason=source)
    _audit_many(actor=actor, action=AuditAction.CORRECT, changes=to_update, reason=source)
    result.created += len(created)
    result.updated += len(to_update)


@transaction.atomic
def deliveries_record(
    *,
    rows: Sequence[Mapping[str, Any]],
    actor: Any,
    source: str = VolumeSource.API,
    replace: bool = False,
    scope: Scope | None = None,
    prefix: str = "deliveries",
    lines: Sequence[int] | None = None,
) -> BatchResult:
    """Record reclaimed water delivered in a month, all or nothing.

    Each row: `month`, `volume_m3`, and either `user` (a metered user's code; its class is copied and
    its supplying plant is the default `plant`) or `use_class`/`sub_use` with `plant` for users who are
    not metered. Refused row by row: unknown plant or user, unknown use class, a sub-use of another
    class, a class that contradicts the user's, a month not yet begun, a negative or impossible volume,
    the same key twice. A stored row with another volume is a 409 unless `replace`. A plant month whose
    deliveries exceed what it produced is a warning, not a refusal.
    """
    _check_batch_size(rows, prefix)
    errors = _Errors()
    user_codes = {str(r["user"]) for r in rows if r.get("user")}
    users = {
        u.code: u
        for u in _scoped(WaterUser.objects.filter(code__in=user_codes), scope, "division__code").select_related("plant")
    }
    # A metered user's supplying plant is the row's default plant.
    plant_codes = {str(r["plant"]) for r in rows if r.get("plant")} | {
        u.plant.code for u in users.values() if u.plant is not None
    }
    plants = {p.code: p for p in _scoped(Plant.objects.filter(code__in=plant_codes), scope, "division__code")}
    seen: dict[tuple[Any, ...], int] = {}
    prepared: list[tuple[int, MonthlyDelivery]] = []
    for i, row in enumerate(rows):
        path, where = f"{prefix}[{i}]", _where(lines, i)
        before_row = len(errors.fields)
        user = None
        if row.get("user"):
            user = users.get(str(row["user"]))
            if user is None:
                errors.add(f"{path}.user", f"No user {row['user']!r} in your jurisdiction{where}.")
                continue
        plant_code = row.get("plant") or (user.plant.code if user is not None and user.plant else None)
        if not plant_code:
            errors.add(f"{path}.plant", f"Give the supplying plant{where}.")
            continue
        plant = plants.get(str(plant_code))
        if plant is None:
            errors.add(f"{path}.plant", f"No plant {plant_code!r} in your jurisdiction{where}.")
            continue
        if user is not None:
            use_class, sub_use = user.use_class, user.sub_use
            if row.get("use_class") and row["use_class"] != use_class:
                errors.add(f"{path}.use_class", f"User {user.code} is in the class {use_class!r}{where}.")
            if row.get("sub_use") and row["sub_use"] != sub_use:
                errors.add(f"{path}.sub_use", f"User {user.code} has the sub-use {sub_use!r}{where}.")
        else:
            use_class, sub_use = resolve_use(
                row.get("use_class"), row.get("sub_use"), errors=errors, prefix=f"{path}.", where=where
            )
        month, volume = row["month"], row["volume_m3"]
        _check_month(month, path, where, errors)
        if volume < 0:
            errors.add(f"{path}.volume_m3", f"A volume cannot be negative{where}.")
        elif volume > max_monthly_m3(plant, month):
            errors.add(
                f"{path}.volume_m3",
                f"{volume} m³ in {month:%Y-%m} is impossible from a plant of {plant.design_capacity_m3d} m³/d{where}.",
            )
        if len(errors.fields) > before_row:
            continue
        key = (plant.pk, month, user.pk) if user is not None else (plant.pk, month, None, use_class, sub_use)
        if key in seen:
            errors.add(f"{path}.month", f"Row {seen[key]} already gives this delivery for {month:%Y-%m}{where}.")
            continue
        seen[key] = i
        prepared.append(
            (
                i,
                MonthlyDelivery(
                    plant=plant,
                    month=month,
                    user=user,
                    use_class=use_class,
                    sub_use=sub_use,
                    volume_m3=volume,
                    source=source,
                ),
            )
        )
    errors.raise_if_any("The batch was refused; nothing was written.")

    existing: dict[tuple[Any, ...], MonthlyDelivery] = {}
    for d in MonthlyDelivery.objects.select_for_update().filter(
        plant_id__in={d.plant_id for _, d in prepared}, month__in={d.month for _, d in prepared}
    ):
        key = (d.plant_id, d.month, d.user_id) if d.user_id else (d.plant_id, d.month, None, d.use_class, d.sub_use)
        existing[key] = d
    conflicts = _Errors()
    result = BatchResult()
    to_create: list[MonthlyDelivery] = []
    to_update: list[tuple[MonthlyDelivery, dict[str, Any]]] = []
    for i, new in prepared:
        key = (
            (new.plant_id, new.month, new.user_id)
            if new.user_id
            else (new.plant_id, new.month, None, new.use_class, new.sub_use)
        )
        stored = existing.get(key)
        if stored is None:
            to_create.append(new)
        elif stored.volume_m3 == new.volume_m3:
            result.unchanged += 1
        elif not replace:
            conflicts.add(
                f"{prefix}[{i}].volume_m3",
                f"Stored with {stored.volume_m3} m³; send replace=true to correct it{_where(lines, i)}.",
            )
        else:
            to_update.append((stored, snapshot(stored)))
            stored.volume_m3, stored.source = new.volume_m3, source
    conflicts.raise_if_any(
        "Deliveries already stored with other volumes; nothing was written.", error=Conflict, code="volume_conflict"
    )
    _write(to_create, to_update, actor=actor, source=source, result=result)
    result.warnings = plant_month_warnings(pairs={(d.plant_id, d.month) for _, d in prepared})
    return result
