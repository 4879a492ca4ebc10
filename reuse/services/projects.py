"""Writes of reuse projects, and their advance through the statuses."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from decimal import Decimal
from typing import Any

from django.contrib.gis.geos import GEOSGeometry
from django.db import transaction
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from accounts.scope import Scope
from core.audit import snapshot
from core.choices import AuditAction
from core.exceptions import InvalidInput
from core.geo import geometry_length_m
from core.kernel import Errors
from reuse.choices import (
    STATUS_DATE_FIELD,
    STATUS_ORDER,
    PipeMaterial,
    ProjectKind,
    ProjectStatus,
)
from reuse.models import Project
from reuse.services._common import _check_not_future, _division, _Ledger, _plant, _point, _route, _save

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


def _apply_project(project: Project, values: Mapping[str, Any], *, scope: Scope, errors: Errors) -> None:
    for name, value in values.items():
        if name not in _PROJECT_FIELDS:
            errors.add(name, _("Unknown field."))
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


def _check_project(project: Project, errors: Errors) -> None:
    """The ledger rules of a project (the database's constraints repeat the structural ones)."""
    if project.kind not in ProjectKind.values:
        errors.add("kind", _("One of %(values)s.") % {"values": ", ".join(ProjectKind.values)})
        return
    if project.status not in ProjectStatus.values:
        errors.add("status", _("One of %(values)s.") % {"values": ", ".join(ProjectStatus.values)})
        return
    if project.material and project.material not in PipeMaterial.values:
        errors.add("material", _("One of %(values)s.") % {"values": ", ".join(PipeMaterial.values)})
    for name in ("started_on", "completed_on", "operating_since"):
        _check_not_future(getattr(project, name), name, errors)
    if project.started_on and project.completed_on and project.completed_on < project.started_on:
        errors.add(
            "completed_on",
            _("A project cannot complete (%(completed_on)s) before it starts (%(started_on)s).")
            % {"completed_on": project.completed_on, "started_on": project.started_on},
        )
    if project.completed_on and project.operating_since and project.operating_since < project.completed_on:
        errors.add(
            "operating_since",
            _("A project cannot operate (%(operating_since)s) before it is completed (%(completed_on)s).")
            % {"operating_since": project.operating_since, "completed_on": project.completed_on},
        )
    reached = STATUS_ORDER.index(project.status)
    for status, name in STATUS_DATE_FIELD.items():
        has = getattr(project, name) is not None
        if STATUS_ORDER.index(status) <= reached and not has:
            errors.add(
                name, _("Required while the status is %(status)s.") % {"status": ProjectStatus(project.status).label}
            )
        elif STATUS_ORDER.index(status) > reached and has:
            errors.add(
                name,
                _("Must be empty while the status is %(status)s (set it when the project advances).")
                % {"status": ProjectStatus(project.status).label},
            )
    if project.investment_yuan is not None and project.investment_yuan < 0:
        errors.add("investment_yuan", _("Must not be negative."))
    if project.capacity_m3d is not None and project.capacity_m3d <= 0:
        errors.add("capacity_m3d", _("Must be more than 0."))
    if project.diameter_mm is not None and project.diameter_mm <= 0:
        errors.add("diameter_mm", _("Must be more than 0."))
    if project.kind == ProjectKind.PIPELINE:
        if project.route is None:
            errors.add("route", _("A pipeline needs its route: a LineString of at least two positions."))
        else:
            project.length_m = geometry_length_m(project.route)
            if project.length_m <= 0:
                errors.add("route", _("The route has no length."))
    else:
        if project.route is not None:
            errors.add("route", _("Only a pipeline has a route; give other projects a location."))
        project.length_m = None
    if project.kind == ProjectKind.PUMP_STATION and project.location is None:
        errors.add("location", _("A pump station needs its location (a Point)."))
    if project.kind == ProjectKind.TAIL_WATER_REUSE and project.plant_id is None:
        errors.add("plant", _("A tail-water reuse project belongs to a plant."))


_PROJECTS = _Ledger(Project, gettext_lazy("project"), _apply_project, _check_project)


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
    scope: Scope,
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
    *, project: Project, actor: Any, changes: Mapping[str, Any], scope: Scope, reason: str = ""
) -> Project:
    """Correct a project's ledger fields. Status moves only through `project_advance`."""
    if "status" in changes:
        raise InvalidInput(
            _("The status changes through the advance action."), fields={"status": [_("Use POST …/advance/.")]}
        )
    return _PROJECTS.update(project, changes=changes, actor=actor, scope=scope, reason=reason)


@transaction.atomic
def project_advance(*, project: Project, status: str, on: dt.date, actor: Any, reason: str = "") -> Project:
    """Move a project one step along planned → under construction → completed → operating, recording
    the date of the step. Steps are not skipped, so every date of the history is known."""
    current = STATUS_ORDER.index(project.status)
    if current == len(STATUS_ORDER) - 1:
        raise InvalidInput(
            _("The project is already operating."), code="already_operating", fields={"status": [_("No further step.")]}
        )
    expected = STATUS_ORDER[current + 1]
    if status != expected:
        raise InvalidInput(
            _("After %(status)s comes %(expected)s.")
            % {"status": ProjectStatus(project.status).label, "expected": ProjectStatus(expected).label},
            fields={
                "status": [
                    _("The next status after %(status)s is %(expected)s.")
                    % {"status": ProjectStatus(project.status).label, "expected": ProjectStatus(expected).label}
                ]
            },
        )
    before = snapshot(project)
    date_field = STATUS_DATE_FIELD[status]
    project.status = status
    setattr(project, date_field, on)
    errors = Errors()
    _check_project(project, errors)
    # The only new value is the date: report the problems against the input field `on`.
    errors.fields = {("on" if k == date_field else k): v for k, v in errors.fields.items()}
    errors.raise_if_any(_("The project was not advanced."))
    return _save(project, actor=actor, before=before, reason=reason, action=AuditAction.TRANSITION)
