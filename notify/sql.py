"""Raw SQL of the notify app, kept where benchmarks/notify_outbox.py shows it pays (PostgreSQL only;
elsewhere the services use the ORM). Through core.sql's instrumented cursor, with the models'
`_meta.db_table`.

- `event_insert`: the event and all its notifications in ONE statement (a data-modifying CTE), with
  `ON CONFLICT (key) DO NOTHING` for keyed events: the raising service pays one round trip instead of
  a look-up, a savepoint, two INSERTs and a release.
- `claim`: a worker claims a batch of due rows with `FOR UPDATE SKIP LOCKED` (two workers never get
  the same row and never wait for each other), the asked-for ids first, then other due rows.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Sequence
from typing import Any

from django.core.serializers.json import DjangoJSONEncoder

from accounts.models import User
from core.sql import cursor, db
from notify.choices import Channel, NotificationStatus
from notify.models import Event, Notification, Rule

_N_COLUMNS = (
    "uid",
    "rule_id",
    "recipient_id",
    "target",
    "channel",
    "address",
    "title",
    "body",
    "link",
    "status",
    "due_at",
    "delivered_at",
)
_N_CASTS = (
    "uuid",
    "bigint",
    "bigint",
    "text",
    "text",
    "text",
    "text",
    "text",
    "text",
    "text",
    "timestamptz",
    "timestamptz",
)


def postgres() -> bool:
    return bool(db().vendor == "postgresql")


def event_insert(event: Event, rows: Sequence[Notification]) -> tuple[int | None, list[tuple[int, str, dt.datetime]]]:
    """Insert `event` and `rows` (their event set to it) in one statement. Returns the event's id —
    None when its key was already taken (nothing written) — and (id, status, due_at) of each row."""
    e, n = Event._meta.db_table, Notification._meta.db_table
    conflict = "ON CONFLICT (key) DO NOTHING" if event.key is not None else ""
    params: list[Any] = [
        event.type,
        event.key,
        event.division_code,
        event.subject_type,
        event.subject_id,
        json.dumps(event.figures, cls=DjangoJSONEncoder, ensure_ascii=False),
        event.link,
        json.dumps(event.people),
        event.occurred_at,
    ]
    head = (
        f"WITH e AS (INSERT INTO {e} (type, key, division_code, subject_type, subject_id, figures, link, people, "  # noqa: S608 - table names from _meta; values bound
        f"occurred_at, escalated_level) VALUES (%s::text, %s::text, %s::text, %s::text, %s::text, %s::jsonb, "
        f"%s::text, %s::jsonb, %s::timestamptz, '') {conflict} RETURNING id)"
    )
    if not rows:
        with cursor() as cur:
            cur.execute(f"{head} SELECT id FROM e", params)  # noqa: S608 - table names from _meta; values bound
            got = cur.fetchone()
        return (got[0] if got else None), []
    one = "(" + ", ".join(f"%s::{c}" for c in _N_CASTS) + ")"
    values = ", ".join([one] * len(rows))
    for r in rows:
        params += [
            str(r.uid),
            r.rule_id,
            r.recipient_id,
            r.target,
            r.channel,
            r.address,
            r.title,
            r.body,
            r.link,
            r.status,
            r.due_at,
            r.delivered_at,
        ]
    cols = ", ".join(_N_COLUMNS)
    sql = (
        f"{head}, n AS (INSERT INTO {n} (event_id, {cols}, attempts, last_error) "  # noqa: S608 - table names from _meta; values bound
        f"SELECT e.id, {', '.join('v.' + c for c in _N_COLUMNS)}, 0, '' FROM e CROSS JOIN (VALUES {values}) "
        f"AS v({cols}) RETURNING id, status, due_at) "
        f"SELECT (SELECT id FROM e), n.id, n.status, n.due_at FROM (SELECT 1) AS one LEFT JOIN n ON true"
    )
    with cursor() as cur:
        cur.execute(sql, params)
        got = cur.fetchall()
    event_id = got[0][0] if got else None
    return event_id, [(i, s, d) for _e, i, s, d in got if i is not None]


def claim(ids: Sequence[int], *, now: dt.datetime, lease_until: dt.datetime, extra: int) -> list[int]:
    """Claim (status sending, a lease, one more try) the claimable rows among `ids` and up to `extra`
    other due rows, skipping rows another worker holds. Returns the claimed ids."""
    n = Notification._meta.db_table
    sql = (
        f"UPDATE {n} SET status = %s, lease_until = %s, attempts = attempts + 1 WHERE id IN ("  # noqa: S608 - table names from _meta; values bound
        f"SELECT id FROM {n} WHERE channel <> %s AND ((status = %s AND due_at <= %s) OR "
        f"(status = %s AND lease_until < %s)) AND (id = ANY(%s) OR %s) "
        f"ORDER BY (id = ANY(%s)) DESC, due_at, id LIMIT %s FOR UPDATE SKIP LOCKED) RETURNING id"
    )
    ids = [int(i) for i in ids]
    params = [
        NotificationStatus.SENDING,
        lease_until,
        Channel.INBOX,
        NotificationStatus.PENDING,
        now,
        NotificationStatus.SENDING,
        now,
        ids,
        extra > 0,
        ids,
        len(ids) + max(extra, 0),
    ]
    with cursor() as cur:
        cur.execute(sql, params)
        return [r[0] for r in cur.fetchall()]


def rules_and_people(
    event_type: str, chain: Sequence[str], own: Sequence[int]
) -> tuple[list[Rule], dict[int, list[int]], list[tuple[int, str, str, str, str]]]:
    """In one statement: the active rules of `event_type` on the divisions of `chain`, each one's
    named users, and — when there is a rule — (pk, email, phone, role, jurisdiction) of the active
    users it may reach: the own people, the named users, and the holders of the rules' roles whose
    jurisdiction is in `chain`."""
    r, ru, u = Rule._meta.db_table, Rule.users.through._meta.db_table, User._meta.db_table
    sql = (
        f"WITH r AS (SELECT id, division_code, own_people, role, channels, mode, quiet_start, quiet_end, "  # noqa: S608 - table names from _meta; values bound
        f"webhook_url, webhook_secret, template FROM {r} "
        f"WHERE active AND event_type = %s AND division_code = ANY(%s)), "
        f"ru AS (SELECT rule_id, user_id FROM {ru} WHERE rule_id IN (SELECT id FROM r)) "
        f"SELECT (SELECT coalesce(json_agg(json_build_array(id, division_code, own_people, role, channels, mode, "
        f"quiet_start, quiet_end, webhook_url, webhook_secret, template) ORDER BY id), '[]') FROM r), "
        f"(SELECT coalesce(json_agg(json_build_array(rule_id, user_id) ORDER BY rule_id, user_id), '[]') FROM ru), "
        f"(SELECT coalesce(json_agg(json_build_array(id, email, phone, role, jurisdiction)), '[]') FROM {u} "
        f"WHERE is_active AND EXISTS (SELECT 1 FROM r) AND (id = ANY(%s) OR id IN (SELECT user_id FROM ru) "
        f"OR (role IN (SELECT role FROM r WHERE role <> '') AND jurisdiction = ANY(%s))))"
    )
    with cursor() as cur:
        cur.execute(sql, [event_type, list(chain), [int(i) for i in own], list(chain)])
        rules_json, named_json, users_json = cur.fetchone()

    def when(value: str | None) -> dt.time | None:
        return dt.time.fromisoformat(value) if value else None

    rules = []
    for pk, division, own_people, role, channels, mode, q_start, q_end, url, secret, template in rules_json:
        rule = Rule(
            id=pk,
            event_type=event_type,
            division_code=division,
            own_people=own_people,
            role=role,
            channels=channels,
            mode=mode,
            quiet_start=when(q_start),
            quiet_end=when(q_end),
            webhook_url=url,
            webhook_secret=secret,
            template=template,
            active=True,
        )
        rule._state.adding, rule._state.db = False, "default"
        rules.append(rule)
    named: dict[int, list[int]] = {}
    for rule_id, user_id in named_json:
        named.setdefault(rule_id, []).append(user_id)
    found = [(pk, email or "", phone or "", role, code or "") for pk, email, phone, role, code in users_json]
    return rules, named, found
