"""Raw SQL of the oversight app, kept where the benchmark shows it pays (benchmarks/oversight.py):
on PostgreSQL a hand-over batch's petitions and their audit rows go in with COPY, straight from the
checked rows (no model instance, GEOS point or per-row snapshot: building those cost more than the
COPY itself for 10,000 rows). Through core.sql's instrumented cursor, with the models'
`_meta.db_table`; elsewhere the ORM's bulk_create in batches.

The audit row of each petition is the CREATE snapshot `core.audit.snapshot` would write: the snapshot
of one new petition of the batch, with each row's own values put in.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from typing import Any

from django.contrib.gis.geos import Point

from core.audit import audit_record_many, audit_values, snapshot
from core.geo import WGS84_SRID
from core.models import AuditLog
from core.sql import cursor, db
from oversight.models import HandoverBatch, Petition

# The petition's columns a checked row fills; the others take the model's defaults.
_FK = ("division", "reach", "lake", "intake", "unit")
_PLAIN = ("number", "channel", "complaint", "category", "deadline", "public", "content_sha256")
_AUDIT_COLUMNS = ("actor_id", "actor_label", "action", "entity", "entity_id", "before", "after", "reason")


def _fk(row: Mapping[str, Any], name: str) -> Any:
    obj = row.get(name)
    return None if obj is None else obj.pk


def _plain(value: Any) -> Any:
    """A choice's value as a plain str (COPY adapts by type)."""
    return str(value) if isinstance(value, str) else value


def _point(row: Mapping[str, Any]) -> Point | None:
    loc = row.get("location")
    return None if loc is None else Point(loc[0], loc[1], srid=WGS84_SRID)


def petitions_insert(rows: Sequence[Mapping[str, Any]], *, batch: HandoverBatch, actor: Any, reason: str) -> None:
    """Insert the checked rows of a batch as new petitions (open, nothing submitted) and one CREATE audit
    row each, in the caller's transaction."""
    if not rows:
        return
    if db().vendor != "postgresql":
        petitions = [
            Petition(
                batch=batch,
                received_on=batch.received_on,
                location=_point(r),
                **{k: v for k, v in r.items() if k != "location"},
            )
            for r in rows
        ]
        Petition.objects.bulk_create(petitions, batch_size=1000)
        if petitions[0].pk is None:
            ids = dict(
                Petition.objects.filter(batch=batch, number__in=[p.number for p in petitions]).values_list(
                    "number", "pk"
                )
            )
            for p in petitions:
                p.pk = ids[p.number]
        audit_record_many(
            actor=actor, action="create", items=[(p, None, snapshot(p)) for p in petitions], reason=reason
        )
        return

    # One new petition of the batch gives every default (status, review, empty texts) and the snapshot's keys.
    template = Petition(batch=batch, received_on=batch.received_on)
    defaults = {
        f.attname: _plain(getattr(template, f.attname))
        for f in Petition._meta.concrete_fields
        if not f.primary_key and f.attname not in ("created_at", "updated_at")
    }
    columns = list(defaults)
    base_after = snapshot(template)
    table = Petition._meta.db_table
    with cursor() as c:
        with c.copy(f"COPY {table} ({', '.join(columns)}) FROM STDIN") as copy:
            for r in rows:
                values = dict(defaults)
                for k in _PLAIN:
                    values[k] = r[k]
                for k in _FK:
                    values[f"{k}_id"] = _fk(r, k)
                loc = r.get("location")
                values["location"] = None if loc is None else f"SRID={WGS84_SRID};POINT({loc[0]!r} {loc[1]!r})"
                copy.write_row([values[col] for col in columns])
        c.execute(
            f"SELECT number, id FROM {table} WHERE batch_id = %s AND number = ANY(%s)",  # noqa: S608 - table name from _meta
            [batch.pk, [r["number"] for r in rows]],
        )
        ids = dict(c.fetchall())
        head = audit_values(
            actor=actor, action="create", entity=Petition._meta.label_lower, entity_id=0, after={}, reason=reason
        )
        actor_id = getattr(head["actor"], "pk", None)
        with c.copy(f"COPY {AuditLog._meta.db_table} ({', '.join(_AUDIT_COLUMNS)}) FROM STDIN") as copy:
            for r in rows:
                pk = ids[r["number"]]
                after = dict(base_after)
                after["id"] = pk
                for k in _PLAIN:
                    after[k] = r[k]
                after["deadline"] = r["deadline"].isoformat()
                for k in _FK:
                    after[f"{k}_id"] = _fk(r, k)
                loc = r.get("location")
                after["location"] = None if loc is None else {"type": "Point", "coordinates": [loc[0], loc[1]]}
                copy.write_row(
                    (
                        actor_id,
                        head["actor_label"],
                        head["action"],
                        head["entity"],
                        str(pk),
                        None,
                        json.dumps(after, ensure_ascii=False),
                        head["reason"],
                    )
                )
