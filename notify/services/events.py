"""Raising events: routing an event to the people and robots its rules name (quiet hours, digests, the rule
cache), into the outbox in the caller's transaction; `subject_acted` stops an item's escalation.
"""

from __future__ import annotations

import datetime as dt
import time
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from celery import signature
from django.db import IntegrityError, transaction
from django.db.models import Q
from django.utils import timezone

from core.divisions import is_division_code, is_within
from core.periods import BEIJING
from notify import conf, sql, texts
from notify.choices import (
    ESCALATING_TYPES,
    PERSONAL_CHANNELS,
    ROBOT_CHANNELS,
    Channel,
    EventType,
    Mode,
    NotificationStatus,
)
from notify.models import ChannelPreference, Event, Notification, Rule
from notify.services.common import User, _invalid, ancestors


def _next_digest(now: dt.datetime) -> dt.datetime:
    local = now.astimezone(BEIJING)
    at = local.replace(hour=conf.digest_hour(), minute=0, second=0, microsecond=0)
    if at <= local:
        at += dt.timedelta(days=1)
    return at


def quiet_until(rule: Rule, now: dt.datetime) -> dt.datetime | None:
    """The end of the rule's quiet hours when `now` falls inside them (Beijing time), else None.
    A window may wrap midnight (22:00–07:00)."""
    if rule.quiet_start is None or rule.quiet_end is None or rule.quiet_start == rule.quiet_end:
        return None
    local = now.astimezone(BEIJING)
    t, start, end = local.time(), rule.quiet_start, rule.quiet_end
    inside = start <= t < end if start < end else (t >= start or t < end)
    if not inside:
        return None
    until = local.replace(hour=end.hour, minute=end.minute, second=0, microsecond=0)
    if until <= local:
        until += dt.timedelta(days=1)
    return until


@dataclass(slots=True)
class _Person:
    pk: int
    email: str
    phone: str


# (event type, division) → monotonic time until which "no active rule covers it" is trusted. Most
# events meet no rule (their own people's inbox): the raise then skips the rule look-up. Cleared in
# this process whenever a rule is saved or deleted (signals in apps.py); another process sees a new
# rule within NOTIFY_RULE_CACHE_S.
_NO_RULES: dict[tuple[str, str], float] = {}


def rules_changed(**_: Any) -> None:
    _NO_RULES.clear()


_RULE_FIELDS = [f.attname for f in Rule._meta.concrete_fields]
_Found = tuple[int, str, str, str, str]


def _rules(
    event_type: str, code: str, chain: Sequence[str], own: Sequence[int]
) -> tuple[list[Rule], dict[int, list[int]], list[_Found] | None]:
    """The active rules covering the event's division, each one's named users (one query), and on
    PostgreSQL, in the same statement, the people the rules may reach (else None: looked up after)."""
    key = (event_type, code)
    until = _NO_RULES.get(key)
    if until is not None and until > time.monotonic():
        return [], {}, None
    found: list[_Found] | None = None
    if sql.postgres():
        rule_list, named, found = sql.rules_and_people(event_type, chain, own)
    else:
        rules: dict[int, Rule] = {}
        named = {}
        qs = Rule.objects.filter(active=True, event_type=event_type, division_code__in=chain).order_by("pk")
        for *values, user_id in qs.values_list(*_RULE_FIELDS, "users"):
            row = dict(zip(_RULE_FIELDS, values, strict=True))
            if row["id"] not in rules:
                rule = Rule(**row)
                rule._state.adding, rule._state.db = False, qs.db
                rules[row["id"]] = rule
            if user_id is not None:
                named.setdefault(row["id"], []).append(user_id)
        rule_list = list(rules.values())
    ttl = conf.rule_cache_s()
    if not rule_list and ttl > 0:
        if len(_NO_RULES) > 10_000:
            _NO_RULES.clear()
        _NO_RULES[key] = time.monotonic() + ttl
    return rule_list, named, found


def _people_and_roles(ids: Iterable[int], roles: set[str], chain: Sequence[str]) -> list[_Found]:
    """(pk, email, phone, role, jurisdiction) of the active users among `ids` and of the holders of
    `roles` whose jurisdiction is in `chain`: one query for everyone a rule may reach."""
    q = Q(pk__in=set(ids))
    if roles:
        q |= Q(role__in=sorted(roles), jurisdiction__in=list(chain))
    return list(User.objects.filter(q, is_active=True).values_list("pk", "email", "phone", "role", "jurisdiction"))


def _route(event: Event, now: dt.datetime) -> list[Notification]:
    chain = ancestors(event.division_code)
    own = [int(p) for p in event.people]
    rules, named, found = _rules(event.type, event.division_code, chain, own)
    # (rule or None, user ids) per rule
    plans: list[tuple[Rule | None, list[int]]] = []
    if rules:
        # Addresses, and only active accounts, for what rules send: the own people, the named users
        # and the role holders, in one query.
        if found is None:
            everyone = [*own, *(u for ids in named.values() for u in ids)]
            found = _people_and_roles(everyone, {r.role for r in rules if r.role}, chain)
        people = {pk: _Person(pk, email or "", phone or "") for pk, email, phone, _r, _j in found}
        for rule in rules:
            ids = list(own) if rule.own_people else []
            if rule.role:
                # Holders whose jurisdiction covers the event's division and lies inside the rule's
                # (a district reviewer for a district rule, not the city's).
                codes = {c for c in chain if is_within(c, rule.division_code)}
                ids += [pk for pk, _e, _p, role, code in found if role == rule.role and code in codes]
            ids += named.get(rule.pk, [])
            plans.append((rule, ids))
    else:
        # The no-rule inbox path (the hot one) trusts the raiser's ids: they come from its own rows'
        # foreign keys.
        if conf.default_inbox():
            plans.append((None, own))
        people = {pk: _Person(pk, "", "") for pk in own}
    personal = any(r is not None and set(r.channels) & PERSONAL_CHANNELS for r, _ in plans)
    prefs: dict[tuple[int, str], ChannelPreference] = {}
    if personal and people:
        prefs = {(p.user_id, p.channel): p for p in ChannelPreference.objects.filter(user_id__in=list(people))}
    out: dict[tuple[str, str], Notification] = {}
    rendered: dict[str, tuple[str, str]] = {}

    def add(rule: Rule | None, target: str, channel: str, recipient: int | None, address: str) -> None:
        template = rule.template if rule is not None else ""
        if template not in rendered:  # one rendering per template, not per recipient
            rendered[template] = texts.render(
                event_type=event.type,
                figures=event.figures,
                link=event.link,
                division=event.division_code,
                template=template,
            )
        title, body = rendered[template]
        if channel == Channel.INBOX:
            status, due = NotificationStatus.DELIVERED, now
        elif rule is not None and rule.mode == Mode.DIGEST:
            status, due = NotificationStatus.HELD, _next_digest(now)
        else:
            status, due = NotificationStatus.PENDING, (quiet_until(rule, now) if rule is not None else None) or now
        n = Notification(
            event=event,
            rule=rule,
            recipient_id=recipient,
            target=target,
            channel=channel,
            address=address,
            title=title,
            body=body,
            link=event.link,
            status=status,
            due_at=due,
            delivered_at=now if status == NotificationStatus.DELIVERED else None,
        )
        key = (target, channel)
        previous = out.get(key)
        # One message per (target, channel): the most urgent of the rules that reach it.
        if previous is None or (previous.status == NotificationStatus.HELD and status != NotificationStatus.HELD):
            out[key] = n

    for plan_rule, ids in plans:
        channels = plan_rule.channels if plan_rule is not None else [Channel.INBOX]
        for channel in channels:
            if channel in ROBOT_CHANNELS and plan_rule is not None:
                add(plan_rule, f"rule:{plan_rule.pk}", channel, None, plan_rule.webhook_url)
                continue
            for pk in ids:
                person = people.get(pk)
                if person is None:
                    continue
                address = ""
                if channel in PERSONAL_CHANNELS:
                    pref = prefs.get((pk, channel))
                    if pref is not None and not pref.enabled:
                        continue
                    address = (pref.address if pref and pref.address else "") or (
                        person.email if channel == Channel.EMAIL else person.phone
                    )
                    if not address:
                        continue
                add(plan_rule, f"user:{pk}", channel, pk, address)
    return list(out.values())


# Queued by name (a Celery signature), never by importing notify.tasks: tasks import services, not the
# reverse. notify.apps imports the tasks, so where they are registered (eager Celery: tests, `make run`)
# the signature calls the task's own apply_async and it runs in-process; elsewhere it is sent by name.
DELIVER_BATCH_TASK = "notify.tasks.deliver_batch"


def _dispatch_on_commit(ids: list[int]) -> None:
    if not ids:
        return

    def send() -> None:
        signature(DELIVER_BATCH_TASK, args=(ids,)).apply_async()

    transaction.on_commit(send)


def event_raise(
    *,
    type: str,
    division_code: str,
    subject_type: str,
    subject_id: Any,
    figures: Mapping[str, Any] | None = None,
    people: Iterable[int] = (),
    link: str = "",
    key: str | None = None,
    at: dt.datetime | None = None,
) -> Event:
    """Record an event and write its notifications to the outbox, in the caller's transaction (so
    the event exists exactly when the change it reports does). Immediate sends are queued on commit.
    With `key`, raising again returns the first event and writes nothing."""
    if type not in EventType.values or type == EventType.DIGEST:
        raise _invalid("type", f"Unknown event type {type!r}.", code="unknown_event_type")
    if not is_division_code(division_code):
        raise _invalid("division_code", f"{division_code!r} is not a GB/T 2260 division code.")
    if not subject_type or "." not in subject_type:
        raise _invalid("subject_type", "A model label such as patrols.case.")
    now = at or timezone.now()
    event = Event(
        type=type,
        key=key,
        division_code=division_code,
        subject_type=subject_type,
        subject_id=str(subject_id),
        figures=dict(figures or {}),
        link=link,
        people=sorted({int(p) for p in people}),
        occurred_at=now,
    )
    if sql.postgres():
        # One statement: the event and its rows (a taken key writes nothing and returns the first).
        rows = _route(event, now)
        event_id, written = sql.event_insert(event, rows)
        if event_id is None:
            return Event.objects.get(key=key)
        event.pk, event._state.adding, event._state.db = event_id, False, "default"
        _dispatch_on_commit([i for i, status, due in written if status == NotificationStatus.PENDING and due <= now])
        return event
    if key is not None:
        existing = Event.objects.filter(key=key).first()
        if existing is not None:
            return existing
        try:
            with transaction.atomic():
                event.save(force_insert=True)
        except IntegrityError:
            return Event.objects.get(key=key)
    else:
        with transaction.atomic(savepoint=False):
            event.save(force_insert=True)
    rows = _route(event, now)
    if rows:
        for n in rows:
            n.event = event
        Notification.objects.bulk_create(rows)
        _dispatch_on_commit([n.pk for n in rows if n.status == NotificationStatus.PENDING and n.due_at <= now])
    return event


def subject_acted(*, subject_type: str, subject_id: Any, at: dt.datetime | None = None) -> int:
    """Someone acted on an item: its overdue events stop escalating. Returns how many were open."""
    return Event.objects.filter(
        subject_type=subject_type, subject_id=str(subject_id), type__in=list(ESCALATING_TYPES), acted_at__isnull=True
    ).update(acted_at=at or timezone.now())
