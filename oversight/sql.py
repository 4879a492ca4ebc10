"""Raw SQL of the oversight app, kept where the benchmark shows it pays (benchmarks/oversight.py):
on PostgreSQL a hand-over batch's petitions and their audit rows go in with COPY (Django's bulk
INSERT of 10,000 rows × 30 columns spends seconds composing and splitting the statement). Through
core.sql's instrumented cursor, with the models' `_meta.db_table`; elsewhere the ORM's bulk_create.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any

from django.core.serializers.json import DjangoJSONEncoder

from core.audit import audit_record_many, audit_values, snapshot
from core.models import AuditLog
from core.sql import cursor, db
from oversight.models import Petition

_COLUMNS = ("number", "batch_id", "received_on", "channel", "complaint", "division_id", "location", "reach_id",
            "lake_id", "intake_id", "category", "unit_id", "deadline", "result", "substantiated", "measures", "reply",
            "status", "proposed_status", "review", "return_reason", "closed_on", "public", "reopened_count",
            "case_id", "content_sha256")  # fmt: skip
_AUDIT_COLUMNS = ("actor_id", "actor_label", "action", "entity", "entity_id", "before", "after", "reason")


def _value(p: Petition, column: str) -> Any:
    if column == "location":
        return None if p.location is None else f"SRID=4326;POINT({p.location.x!r} {p.location.y!r})"
    return getattr(p, column)


def petitions_insert(petitions: Sequence[Petition], *, actor: Any, reason: str) -> None:
    """Insert new petitions (their ids set on them) and one CREATE audit row each, in the caller's
    transaction."""
    if not petitions:
        return
    if db().vendor != "postgresql":
        Petition.objects.bulk_create(petitions, batch_size=1000)
        if petitions[0].pk is None:
            ids = dict(Petition.objects.filter(batch=petitions[0].batch, number__in=[p.number for p in petitions])
                       .values_list("number", "pk"))  # fmt: skip
            for p in petitions:
                p.pk = ids[p.number]
        audit_record_many(actor=actor, action="create", items=[(p, None, snapshot(p)) for p in petitions],
                          reason=reason)  # fmt: skip
        return
    table = Petition._meta.db_table
    with cursor() as c:
        with c.copy(f"COPY {table} ({', '.join(_COLUMNS)}) FROM STDIN") as copy:
            for p in petitions:
                copy.write_row(tuple(_value(p, col) for col in _COLUMNS))
        c.execute(f"SELECT number, id FROM {table} WHERE batch_id = %s AND number = ANY(%s)",  # noqa: S608 - table name from _meta
                  [petitions[0].batch_id, [p.number for p in petitions]])  # fmt: skip
        ids = dict(c.fetchall())
        for p in petitions:
            p.pk = ids[p.number]
        with c.copy(f"COPY {AuditLog._meta.db_table} ({', '.join(_AUDIT_COLUMNS)}) FROM STDIN") as copy:
            for p in petitions:
                v = audit_values(actor=actor, action="create", instance=p, after=snapshot(p), reason=reason)
                copy.write_row((getattr(v["actor"], "pk", None), v["actor_label"], v["action"], v["entity"],
                                v["entity_id"], None, json.dumps(v["after"], cls=DjangoJSONEncoder, ensure_ascii=False),
                                v["reason"]))  # fmt: skip
