"""Writes of the places app. Every create or change computes the geodesic measures through core.geo
and writes an audit row in the same transaction."""

from __future__ import annotations

from typing import Any, TypeVar

from django.contrib.gis.geos import GEOSGeometry, MultiLineString, MultiPolygon
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.choices import Role
from core.audit import audit_record, snapshot
from core.choices import AuditAction
from core.divisions import division_level, is_division_code, parent_code
from core.exceptions import InvalidInput
from core.geo import WGS84_SRID, geometry_area_m2, geometry_length_m
from core.kernel import audited_save, audited_upsert
from places.choices import ChiefLevel, LakeKind
from places.models import ChiefAssignment, Division, Lake, Reach, River

M = TypeVar("M", Division, River, Reach, Lake)


def _as_multi(geom: GEOSGeometry | None, multi: type[MultiLineString] | type[MultiPolygon]) -> Any:
    if geom is None:
        return None
    if geom.srid is None:
        geom.srid = WGS84_SRID
    elif geom.srid != WGS84_SRID:
        geom = geom.transform(WGS84_SRID, clone=True)
    if isinstance(geom, multi):
        return geom
    single = "LineString" if multi is MultiLineString else "Polygon"
    if geom.geom_type != single:
        raise InvalidInput(
            _("Expected a %(single)s or %(name)s, got a %(geom_type)s.")
            % {"single": single, "name": multi.__name__, "geom_type": geom.geom_type},
            fields={
                "geometry": [
                    _("Expected a %(single)s or %(name)s, got a %(geom_type)s.")
                    % {"single": single, "name": multi.__name__, "geom_type": geom.geom_type}
                ]
            },
        )
    out = multi(geom, srid=WGS84_SRID)
    return out


def _upsert(model: type[M], *, code: str, actor: Any, reason: str, fields: dict[str, Any]) -> tuple[M, bool]:
    """Create the row with this code, or change the one that has it (core.kernel.audited_upsert)."""
    return audited_upsert(model, key={"code": code}, values=fields, actor=actor, reason=reason)


def _division_by_code(code: str, *, field: str = "division") -> Division:
    try:
        return Division.objects.get(code=code)
    except Division.DoesNotExist:
        raise InvalidInput(
            _("No division with code %(code)s.") % {"code": repr(code)},
            fields={field: [_("No division %(code)s.") % {"code": repr(code)}]},
        ) from None


@transaction.atomic
def division_upsert(
    *,
    code: str,
    name: str,
    actor: Any,
    name_en: str = "",
    parent_code_: str | None = None,
    boundary: GEOSGeometry | None = None,
    reason: str = "",
) -> tuple[Division, bool]:
    """Create or update a division by its GB/T 2260 code. The level comes from the code; the parent
    is the division one level up when given or when it exists."""
    if not is_division_code(code):
        raise InvalidInput(
            _("%(code)s is not a GB/T 2260 code.") % {"code": repr(code)},
            fields={"code": [_("A 6-, 9- or 12-digit code.")]},
        )
    parent = None
    wanted_parent = parent_code_ if parent_code_ is not None else parent_code(code)
    if wanted_parent:
        parent = Division.objects.filter(code=wanted_parent).first()
        if parent is None and parent_code_ is not None:
            raise InvalidInput(
                _("No parent division %(wanted_parent)s.") % {"wanted_parent": repr(wanted_parent)},
                fields={"parent": [_("No division %(wanted_parent)s.") % {"wanted_parent": repr(wanted_parent)}]},
            )
    multi = _as_multi(boundary, MultiPolygon)
    return _upsert(
        Division,
        code=code,
        actor=actor,
        reason=reason,
        fields={
            "name": name,
            "name_en": name_en,
            "level": division_level(code),
            "parent": parent,
            "boundary": multi,
            "area_m2": geometry_area_m2(multi) if multi is not None else None,
        },
    )


@transaction.atomic
def river_upsert(
    *, code: str, name: str, division_code: str, geometry: GEOSGeometry, actor: Any, name_en: str = "", reason: str = ""
) -> tuple[River, bool]:
    multi = _as_multi(geometry, MultiLineString)
    return _upsert(
        River,
        code=code,
        actor=actor,
        reason=reason,
        fields={
            "name": name,
            "name_en": name_en,
            "division": _division_by_code(division_code),
            "geometry": multi,
            "length_m": geometry_length_m(multi),
        },
    )


@transaction.atomic
def reach_upsert(
    *,
    code: str,
    name: str,
    river_code: str,
    division_code: str,
    geometry: GEOSGeometry,
    actor: Any,
    start_description: str = "",
    end_description: str = "",
    reason: str = "",
) -> tuple[Reach, bool]:
    river = River.objects.filter(code=river_code).first()
    if river is None:
        raise InvalidInput(
            _("No river with code %(river_code)s.") % {"river_code": repr(river_code)},
            fields={"river": [_("No river %(river_code)s.") % {"river_code": repr(river_code)}]},
        )
    multi = _as_multi(geometry, MultiLineString)
    return _upsert(
        Reach,
        code=code,
        actor=actor,
        reason=reason,
        fields={
            "name": name,
            "river": river,
            "division": _division_by_code(division_code),
            "geometry": multi,
            "length_m": geometry_length_m(multi),
            "start_description": start_description,
            "end_description": end_description,
        },
    )


@transaction.atomic
def lake_upsert(
    *,
    code: str,
    name: str,
    kind: LakeKind | str,
    division_code: str,
    geometry: GEOSGeometry,
    actor: Any,
    name_en: str = "",
    reason: str = "",
) -> tuple[Lake, bool]:
    if kind not in LakeKind.values:
        raise InvalidInput(
            _("Unknown kind %(kind)s.") % {"kind": repr(kind)},
            fields={"kind": [_("One of %(values)s.") % {"values": ", ".join(LakeKind.values)}]},
        )
    multi = _as_multi(geometry, MultiPolygon)
    return _upsert(
        Lake,
        code=code,
        actor=actor,
        reason=reason,
        fields={
            "name": name,
            "name_en": name_en,
            "kind": kind,
            "division": _division_by_code(division_code),
            "geometry": multi,
            "area_m2": geometry_area_m2(multi),
        },
    )


@transaction.atomic
def chief_assign(
    *,
    chief: Any,
    level: ChiefLevel | str,
    actor: Any,
    valid_from: Any,
    reach: Reach | None = None,
    lake: Lake | None = None,
    valid_until: Any = None,
) -> ChiefAssignment:
    """Appoint a chief to a reach or a lake. The same appointment again (chief, level, water, start)
    is returned as it is, so demo loads and resends do not duplicate it."""
    if getattr(chief, "role", None) != Role.CHIEF:
        raise InvalidInput(_("Only chief accounts can be appointed."), fields={"chief": [_("Not a chief account.")]})
    if (reach is None) == (lake is None):
        raise InvalidInput(_("Give a reach or a lake, not both."), fields={"reach": [_("Give a reach or a lake.")]})
    existing = ChiefAssignment.objects.filter(
        chief=chief, level=level, reach=reach, lake=lake, valid_from=valid_from
    ).first()
    if existing is not None:
        return existing
    assignment = ChiefAssignment(
        chief=chief, level=level, reach=reach, lake=lake, valid_from=valid_from, valid_until=valid_until
    )
    assignment.full_clean()
    assignment.save()
    audit_record(actor=actor, action=AuditAction.CREATE, instance=assignment, after=snapshot(assignment))
    return assignment


@transaction.atomic
def assignment_save(*, instance: ChiefAssignment, actor: Any) -> ChiefAssignment:
    """Save a new or edited appointment (e.g. ending it with `valid_until`), audited."""
    before = None if instance.pk is None else snapshot(ChiefAssignment.objects.get(pk=instance.pk))
    audited_save(instance, actor=actor, before=before)
    return instance


def place_save_from_admin(*, instance: Division | River | Reach | Lake, actor: Any) -> None:
    """The admin's save: recompute the measures and audit, like every other write."""
    with transaction.atomic():
        if isinstance(instance, Division):
            division_upsert(
                code=instance.code,
                name=instance.name,
                name_en=instance.name_en,
                parent_code_=instance.parent.code if instance.parent else "",
                boundary=instance.boundary,
                actor=actor,
                reason="admin",
            )
        elif isinstance(instance, River):
            river_upsert(
                code=instance.code,
                name=instance.name,
                name_en=instance.name_en,
                division_code=instance.division.code,
                geometry=instance.geometry,
                actor=actor,
                reason="admin",
            )
        elif isinstance(instance, Reach):
            reach_upsert(
                code=instance.code,
                name=instance.name,
                river_code=instance.river.code,
                division_code=instance.division.code,
                geometry=instance.geometry,
                start_description=instance.start_description,
                end_description=instance.end_description,
                actor=actor,
                reason="admin",
            )
        else:
            lake_upsert(
                code=instance.code,
                name=instance.name,
                name_en=instance.name_en,
                kind=instance.kind,
                division_code=instance.division.code,
                geometry=instance.geometry,
                actor=actor,
                reason="admin",
            )


@transaction.atomic
def assignment_end(*, assignment: ChiefAssignment, valid_until: Any, actor: Any) -> ChiefAssignment:
    """End an appointment on a date (a chief moves on; the history stays)."""
    if assignment.valid_until is not None:
        raise InvalidInput(
            _("This appointment has already ended."),
            code="already_ended",
            fields={"valid_until": [_("Already ended on %(valid_until)s.") % {"valid_until": assignment.valid_until}]},
        )
    if valid_until < assignment.valid_from:
        raise InvalidInput(
            _("An appointment cannot end before it starts."),
            fields={"valid_until": [_("Must be on or after %(valid_from)s.") % {"valid_from": assignment.valid_from}]},
        )
    before = snapshot(assignment)
    assignment.valid_until = valid_until
    assignment.updated_at = timezone.now()
    assignment.full_clean()
    assignment.save(update_fields=["valid_until", "updated_at"])
    audit_record(actor=actor, action=AuditAction.UPDATE, instance=assignment, before=before, after=snapshot(assignment))
    return assignment
