"""The audit log: services call `audit_record` inside their transaction (ARCHITECTURE style 4).

`snapshot` turns a model row into JSON-safe before/after values. Geometries up to
AUDIT_GEOMETRY_MAX_POINTS points are stored whole as GeoJSON; larger ones (imported boundaries can
have tens of thousands of vertices) are stored as type, point count, bbox and a hash, which is enough
to prove that they changed and to find the version in a backup.
"""

from __future__ import annotations

import datetime as dt
import decimal
import hashlib
import json
import uuid
from typing import Any

from django.contrib.gis.geos import GEOSGeometry
from django.db import models, transaction

from core.choices import AuditAction
from core.models import AuditLog

AUDIT_GEOMETRY_MAX_POINTS = 500


def _jsonable(value: Any) -> Any:
    if value is None or isinstance(value, (bool, int, float, str)):
        return value
    if isinstance(value, decimal.Decimal):
        return str(value)
    if isinstance(value, (dt.datetime, dt.date, dt.time)):
        return value.isoformat()
    if isinstance(value, uuid.UUID):
        return str(value)
    if isinstance(value, GEOSGeometry):
        if value.num_points <= AUDIT_GEOMETRY_MAX_POINTS:
            return json.loads(value.json)
        return {
            "type": value.geom_type,
            "points": value.num_points,
            "bbox": list(value.extent),
            "sha256": hashlib.sha256(bytes(value.wkb)).hexdigest(),
        }
    if isinstance(value, (list, tuple)):
        return [_jsonable(v) for v in value]
    if isinstance(value, dict):
        return {str(k): _jsonable(v) for k, v in value.items()}
    return str(value)


def snapshot(instance: models.Model, *, exclude: tuple[str, ...] = ()) -> dict[str, Any]:
    """The row's concrete field values (FKs as ids), JSON-safe."""
    data: dict[str, Any] = {}
    for field in instance._meta.concrete_fields:
        if field.name in exclude:
            continue
        data[field.attname] = _jsonable(getattr(instance, field.attname))
    return data


def changed_fields(before: dict[str, Any] | None, after: dict[str, Any] | None) -> list[str]:
    """Names of the fields whose value differs between two snapshots."""
    before, after = before or {}, after or {}
    return sorted(k for k in set(before) | set(after) if before.get(k) != after.get(k))


def actor_user(actor: Any) -> Any | None:
    """The user behind an actor: the actor itself when it is a saved user, None for a system actor
    (a string such as "beat:…" or "import_places") or no actor."""
    return actor if actor is not None and not isinstance(actor, str) and getattr(actor, "pk", None) else None


def actor_label(actor: Any) -> str:
    """How the audit log names an actor: the username, the system actor's name, or "system"."""
    if actor is None:
        return "system"
    if isinstance(actor, str):
        return actor
    return str(getattr(actor, "get_username", lambda: actor)())


def audit_record(
    *,
    actor: Any,
    action: AuditAction | str,
    instance: models.Model | None = None,
    entity: str | None = None,
    entity_id: Any = None,
    before: dict[str, Any] | None = None,
    after: dict[str, Any] | None = None,
    reason: str = "",
) -> AuditLog:
    """Write one audit row. Must run inside the transaction that makes the change.

    `actor` is a user, or a string naming a system actor ("import_places", "beat:…"), or None.
    """
    if not transaction.get_connection().in_atomic_block:
        raise RuntimeError("audit_record must be called inside the transaction that makes the change")
    return AuditLog.objects.create(
        **audit_values(
            actor=actor,
            action=action,
            instance=instance,
            entity=entity,
            entity_id=entity_id,
            before=before,
            after=after,
            reason=reason,
        )
    )


def audit_values(
    *,
    actor: Any,
    action: AuditAction | str,
    instance: models.Model | None = None,
    entity: str | None = None,
    entity_id: Any = None,
    before: dict[str, Any] | None = None,
    after: dict[str, Any] | None = None,
    reason: str = "",
) -> dict[str, Any]:
    """The field values of the audit row `audit_record` writes (``at`` is the database's), for a hot
    path that writes the row in the same statement as the change it records (patrols on PostgreSQL).
    The caller must insert it in the transaction that makes the change, as `audit_record` does."""
    if instance is not None:
        entity = entity or instance._meta.label_lower
        entity_id = instance.pk if entity_id is None else entity_id
    if not entity or entity_id is None:
        raise ValueError("audit_record needs an instance or entity and entity_id")
    user = actor_user(actor)
    return {
        "actor": user,
        "actor_label": actor_label(actor)[:150],
        "action": str(action),
        "entity": entity,
        "entity_id": str(entity_id),
        "before": before,
        "after": after,
        "reason": reason[:500],
    }


def audit_record_many(
    *,
    actor: Any,
    action: AuditAction | str,
    items: list[tuple[models.Model, dict[str, Any] | None, dict[str, Any] | None]],
    reason: str = "",
) -> int:
    """One audit row per (instance, before, after), written in one INSERT (imports of thousands of rows
    would otherwise spend most of their time on audit inserts). Same transaction rule as audit_record."""
    if not transaction.get_connection().in_atomic_block:
        raise RuntimeError("audit_record_many must be called inside the transaction that makes the change")
    user = actor_user(actor)
    label = actor_label(actor)[:150]
    rows = [
        AuditLog(
            actor=user,
            actor_label=label,
            action=str(action),
            entity=instance._meta.label_lower,
            entity_id=str(instance.pk),
            before=before,
            after=after,
            reason=reason[:500],
        )
        for instance, before, after in items
    ]
    AuditLog.objects.bulk_create(rows, batch_size=1000)
    return len(rows)
