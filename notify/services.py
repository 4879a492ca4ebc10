"""Writes of the notify app: raising events (routing them into the outbox in the caller's
transaction), rules, preferences, the inbox's read marks, delivery, digests and escalation.

Domain apps call `event_raise` inside the transaction of the change it reports, and
`subject_acted` when someone acts on an item (which stops its escalation). notify never imports a
domain app: the raiser passes the division, the subject's model label and id, the figures of the
text, and the row's own people as user ids.
"""

from __future__ import annotations

import datetime as dt
import re
import time
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db import IntegrityError, transaction
from django.db.models import Case, F, Q, Value, When
from django.utils import timezone

from accounts.choices import Role
from accounts.scope import Scope
from core.audit import audit_record, snapshot
from core.choices import AuditAction
from core.divisions import DivisionLevel, division_level, is_division_code, is_within, parent_code
from core.exceptions import Forbidden, InvalidInput
from core.kernel import Errors, actor_user, audited_save, reference
from core.periods import BEIJING
from notify import conf, sql, texts
from notify.channels import Answer, Message, backend
from notify.choices import (
    ESCALATING_TYPES,
    PERSONAL_CHANNELS,
    ROBOT_CHANNELS,
    RULE_TYPES,
    AttemptOutcome,
    Channel,
    EventType,
    Mode,
    NotificationStatus,
)
from notify.models import ChannelPreference, DeliveryAttempt, EscalationStep, Event, Notification, Rule

User = get_user_model()


def _invalid(field: str, message: str, *, code: str = "invalid") -> InvalidInput:
    return InvalidInput(message, code=code, fields={field: [message]})


def ancestors(code: str) -> list[str]:
    """The division and every division above it, lowest first (650102001 → 650102, 650100, 650000)."""
    out: list[str] = []
    current: str | None = code
    while current:
        out.append(current)
        current = parent_code(current)
    return out


# ============================================================================== raising events


def _next_digest(now: dt.datetime) -> dt.datetime:
    local = now.astimezone(BEIJING)
    at = local.replace(hour=int(conf.get("NOTIFY_DIGEST_HOUR")), minute=0, second=0, microsecond=0)
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
    ttl = float(conf.get("NOTIFY_RULE_CACHE_S"))
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
        if conf.get("NOTIFY_DEFAULT_INBOX"):
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
                event_type=event.type, figures=event.figures, link=event.link, division=event.division_code,
                template=template,
            )  # fmt: skip
        title, body = rendered[template]
        if channel == Channel.INBOX:
            status, due = NotificationStatus.DELIVERED, now
        elif rule is not None and rule.mode == Mode.DIGEST:
            status, due = NotificationStatus.HELD, _next_digest(now)
        else:
            status, due = NotificationStatus.PENDING, (quiet_until(rule, now) if rule is not None else None) or now
        n = Notification(
            event=event, rule=rule, recipient_id=recipient, target=target, channel=channel, address=address,
            title=title, body=body, link=event.link, status=status, due_at=due,
            delivered_at=now if status == NotificationStatus.DELIVERED else None,
        )  # fmt: skip
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


def _dispatch_on_commit(ids: list[int]) -> None:
    if not ids:
        return

    def send() -> None:
        from notify.tasks import deliver_batch

        deliver_batch.delay(ids)

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
        type=type, key=key, division_code=division_code, subject_type=subject_type, subject_id=str(subject_id),
        figures=dict(figures or {}), link=link, people=sorted({int(p) for p in people}), occurred_at=now,
    )  # fmt: skip
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


# ============================================================================== rules


def _check_url(field: str, url: str) -> None:
    from urllib.parse import urlsplit

    parts = urlsplit(url)
    if parts.scheme == "https" and parts.hostname:
        return
    if parts.scheme == "http" and parts.hostname in conf.get("NOTIFY_HTTP_ALLOWED_HOSTS"):
        return
    raise _invalid(field, "A webhook must be an https:// URL.", code="not_https")


RULE_FIELDS = (
    "event_type", "division_code", "own_people", "role", "channels", "mode", "quiet_start", "quiet_end",
    "webhook_url", "webhook_secret", "template", "active",
)  # fmt: skip


def _check_rule(rule: Rule, *, scope: Scope, users: list[Any] | None, errors: Errors) -> None:
    if rule.event_type not in RULE_TYPES:
        errors.add("event_type", f"Unknown event type {rule.event_type!r}; one of {', '.join(sorted(RULE_TYPES))}.")
    if rule.mode not in Mode.values:
        errors.add("mode", f"One of {', '.join(Mode.values)}.")
    channels = rule.channels
    if not isinstance(channels, list) or not channels:
        errors.add("channels", "A list of one or more channels.")
    else:
        bad = [c for c in channels if c not in Channel.values]
        if bad:
            errors.add("channels", f"Unknown channel {bad[0]!r}; one of {', '.join(Channel.values)}.")
        elif len(set(channels)) != len(channels):
            errors.add("channels", "A channel is listed twice.")
        elif set(channels) & ROBOT_CHANNELS and not rule.webhook_url:
            errors.add("webhook_url", "A robot channel needs the group robot's webhook URL.")
    if rule.role and (rule.role not in Role.values or rule.role == Role.DEVICE):
        errors.add("role", f"One of {', '.join(r for r in Role.values if r != Role.DEVICE)}.")
    if (rule.quiet_start is None) != (rule.quiet_end is None):
        errors.add("quiet_end" if rule.quiet_end is None else "quiet_start", "Give both ends of the quiet hours.")
    if rule.webhook_url:
        try:
            _check_url("webhook_url", rule.webhook_url)
        except InvalidInput as e:
            errors.merge(e.fields)
    if rule.webhook_secret and Channel.DINGTALK not in (channels or []):
        errors.add("webhook_secret", "Only a DingTalk robot signs its URL.")
    if rule.template and rule.event_type in RULE_TYPES:
        try:
            unknown = texts.unknown_fields(rule.event_type, rule.template)
        except ValueError as e:
            errors.add("template", f"Does not parse: {e}.")
        else:
            if unknown:
                allowed = sorted(texts.BODIES[rule.event_type][1] | texts.COMMON_FIELDS)
                errors.add("template", f"Unknown field {{{unknown[0]}}}; {rule.event_type} has {', '.join(allowed)}.")
    if users is not None:
        outside = [str(u.pk) for u in users if not (u.is_active and scope.covers_code(u.jurisdiction or ""))]
        if outside:
            errors.add("users", f"No such user in your jurisdiction: {', '.join(outside)}.")
    if not errors and not (rule.own_people or rule.role or users or (set(channels) & ROBOT_CHANNELS)):
        errors.add("own_people", "The rule reaches nobody: choose own people, a role, users or a robot.")


def _check_division(scope: Scope, code: str, errors: Errors) -> None:
    """The rule's division: a division the reviewer's jurisdiction holds (else 400 naming it)."""
    from places.selectors import division_list

    if not is_division_code(code):
        errors.add("division", f"{code!r} is not a GB/T 2260 division code.")
        return
    reference(division_list(scope=scope), code, field="division", by="code", errors=errors)


def _require_staff(actor: Any) -> None:
    if not (getattr(actor, "is_superuser", False) or getattr(actor, "role", None) in (Role.ADMIN, Role.REVIEWER)):
        raise Forbidden("Only reviewers and administrators manage notification rules.")


@transaction.atomic
def rule_create(*, actor: Any, scope: Scope, users: Sequence[Any] | None = None, **values: Any) -> Rule:
    """A rule for an event type in a division of the reviewer's jurisdiction (audited)."""
    _require_staff(actor)
    unknown = set(values) - set(RULE_FIELDS)
    if unknown:
        raise TypeError(f"unknown rule fields: {sorted(unknown)}")
    errors = Errors()
    _check_division(scope, values.get("division_code", ""), errors)
    rule = Rule(**values, created_by=actor_user(actor))
    _check_rule(rule, scope=scope, users=list(users or []), errors=errors)
    errors.raise_if_any("The rule was not saved.")
    audited_save(rule, actor=actor, before=None, reason=_users_reason(users))
    rule.users.set(list(users or []))
    return rule


def _users_reason(users: Sequence[Any] | None) -> str:
    return "" if users is None else f"users: {sorted(u.pk for u in users)}"


@transaction.atomic
def rule_update(*, rule: Rule, actor: Any, scope: Scope, users: Sequence[Any] | None = None, **changes: Any) -> Rule:
    """Change a rule (audited, before and after); `users` given replaces the named users."""
    _require_staff(actor)
    unknown = set(changes) - set(RULE_FIELDS)
    if unknown:
        raise TypeError(f"unknown rule fields: {sorted(unknown)}")
    rule = Rule.objects.select_for_update().get(pk=rule.pk)
    before = snapshot(rule)
    errors = Errors()
    if "division_code" in changes:
        _check_division(scope, changes["division_code"], errors)
    for name, value in changes.items():
        setattr(rule, name, value)
    current = list(users) if users is not None else list(rule.users.all())
    _check_rule(rule, scope=scope, users=current, errors=errors)
    errors.raise_if_any("The rule was not saved.")
    written = audited_save(rule, actor=actor, before=before, reason=_users_reason(users))
    if users is not None and {u.pk for u in current} != set(rule.users.values_list("pk", flat=True)):
        rule.users.set(current)
        if not written:
            audit_record(actor=actor, action=AuditAction.UPDATE, instance=rule, reason=_users_reason(users))
    return rule


@transaction.atomic
def rule_delete(*, rule: Rule, actor: Any) -> None:
    _require_staff(actor)
    audit_record(actor=actor, action=AuditAction.DELETE, instance=rule, before=snapshot(rule))
    rule.delete()


# ============================================================================== preferences and inbox

_MOBILE = re.compile(r"^(?:\+?86)?(1[3-9]\d{9})$")


def normalise_mobile(value: str) -> str:
    """A mainland mobile number as +86 and 11 digits (ValueError when it does not parse)."""
    m = _MOBILE.match(re.sub(r"[\s-]", "", value or ""))
    if not m:
        raise ValueError(f"{value!r} is not a mainland mobile number (11 digits starting 13–19).")
    return f"+86{m.group(1)}"


@transaction.atomic
def preference_set(*, user: Any, channel: str, enabled: bool = True, address: str = "") -> ChannelPreference:
    """Turn a personal channel on or off, optionally at an address of one's own (audited)."""
    if channel == Channel.INBOX:
        raise _invalid("channel", "The inbox cannot be turned off: it is the record of what was sent.")
    if channel not in PERSONAL_CHANNELS:
        raise _invalid("channel", f"One of {', '.join(sorted(PERSONAL_CHANNELS))}; robots are set on rules.")
    address = (address or "").strip()
    if address and channel == Channel.EMAIL:
        try:
            validate_email(address)
        except ValidationError:
            raise _invalid("address", f"{address!r} is not an e-mail address.") from None
    if address and channel == Channel.SMS:
        try:
            address = normalise_mobile(address)
        except ValueError as e:
            raise _invalid("address", str(e)) from None
    pref = ChannelPreference.objects.select_for_update().filter(user=user, channel=channel).first()
    before = snapshot(pref) if pref is not None else None
    pref = pref or ChannelPreference(user=user, channel=channel)
    pref.enabled, pref.address = bool(enabled), address
    audited_save(pref, actor=user, before=before)
    return pref


def inbox_mark_read(*, user: Any, ids: Sequence[int] | None = None, at: dt.datetime | None = None) -> int:
    """Mark the user's own inbox rows read (all unread ones when `ids` is None). Returns how many
    changed; ids of other people's rows change nothing."""
    qs = Notification.objects.filter(recipient=user, channel=Channel.INBOX, read_at__isnull=True)
    if ids is not None:
        qs = qs.filter(pk__in=list(ids))
    return qs.update(read_at=at or timezone.now())


# ============================================================================== delivery


def _message(n: Notification) -> Message:
    secret = n.rule.webhook_secret if n.rule_id and n.rule and n.channel == Channel.DINGTALK else ""
    url = f"{conf.get('NOTIFY_SITE_URL').rstrip('/')}{n.link}" if n.link.startswith("/") else n.link
    return Message(uid=str(n.uid), title=n.title, body=n.body, link=url, address=n.address, secret=secret)


@dataclass(frozen=True, slots=True)
class DeliveryResult:
    status: str
    retry_in: float | None = None  # seconds until the next try, when one is scheduled


def notification_deliver(*, notification_id: int, now: dt.datetime | None = None) -> DeliveryResult:
    """Try to send one outbox row (`notifications_deliver` for one id)."""
    return notifications_deliver(ids=[notification_id], now=now)[notification_id]


def _claim(ids: Sequence[int], *, start: dt.datetime, extra: int) -> list[int]:
    lease = start + conf.send_lease()
    if sql.postgres():
        return sql.claim(ids, now=start, lease_until=lease, extra=extra)
    # SQLite (development): one conditional UPDATE per row; its count says whether this call won it.
    claimable = Q(status=NotificationStatus.PENDING, due_at__lte=start) | Q(
        status=NotificationStatus.SENDING, lease_until__lt=start
    )
    due = Notification.objects.filter(claimable).exclude(channel=Channel.INBOX)
    candidates = list(dict.fromkeys([*ids, *(due.order_by("due_at", "pk").values_list("pk", flat=True)[:extra]
                                             if extra > 0 else [])]))  # fmt: skip
    return [
        pk for pk in candidates
        if due.filter(pk=pk).update(status=NotificationStatus.SENDING, lease_until=lease, attempts=F("attempts") + 1)
    ]  # fmt: skip


def notifications_deliver(
    *, ids: Sequence[int], now: dt.datetime | None = None, extra: int = 0
) -> dict[int, DeliveryResult]:
    """Try to send outbox rows: `ids`, and up to `extra` other due rows (a worker drains the outbox
    in batches). Each row is claimed first (pending and due, or a send whose lease ran out with its
    worker; on PostgreSQL one UPDATE … FOR UPDATE SKIP LOCKED for the batch), so two workers never
    send it at once and a delivered row is never sent again; every try is logged with the provider's
    answer; then delivered, or pending again after the back-off, or failed with the reason after
    NOTIFY_MAX_ATTEMPTS tries (or at once when retrying cannot help). The answers are recorded
    together, each only where this call still holds the claim. Returns a result per row looked at."""
    start = now or timezone.now()
    claimed = _claim(ids, start=start, extra=extra)
    results: dict[int, DeliveryResult] = {}
    rows = list(Notification.objects.select_related("rule").filter(pk__in=claimed).order_by("pk")) if claimed else []
    attempts = DeliveryAttempt.objects.bulk_create(
        [DeliveryAttempt(notification=r, number=r.attempts, started_at=start) for r in rows]
    )
    if not sql.postgres() or any(a.pk is None for a in attempts):
        by_row = dict(
            DeliveryAttempt.objects.filter(notification_id__in=[r.pk for r in rows], started_at=start).values_list(
                "notification_id", "pk"
            )
        )
        for a, r in zip(attempts, rows, strict=True):
            a.pk = by_row.get(r.pk)
    sent: list[tuple[Notification, DeliveryAttempt, Answer, dt.datetime]] = []
    for row, attempt in zip(rows, attempts, strict=True):
        try:
            answer = backend(row.channel).send(_message(row))
        except Exception as e:  # a bug in an adapter must not leave the row claimed until its lease runs out
            answer = Answer(False, "error", f"{type(e).__name__}: {e}"[:1000])
        sent.append((row, attempt, answer, now or timezone.now()))
    with transaction.atomic():
        delivered = [(r, a, ans, end) for r, a, ans, end in sent if ans.ok]
        for number in {r.attempts for r, *_ in delivered}:
            group = [(r, end) for r, _a, _ans, end in delivered if r.attempts == number]
            # Only the claims this call holds: a worker whose lease ran out and was overtaken writes nothing.
            Notification.objects.filter(
                pk__in=[r.pk for r, _ in group], status=NotificationStatus.SENDING, attempts=number
            ).update(
                status=NotificationStatus.DELIVERED, lease_until=None, last_error="",
                delivered_at=Case(*[When(pk=r.pk, then=Value(end)) for r, end in group]),
            )  # fmt: skip
        for row, _a, _ans, _end in delivered:
            results[row.pk] = DeliveryResult(NotificationStatus.DELIVERED)
        for row, _a, answer, end in sent:
            if answer.ok:
                continue
            reason = f"{answer.status}: {answer.text}"[:1000]
            if answer.permanent or row.attempts >= conf.max_attempts():
                status, retry_in = NotificationStatus.FAILED, None
                fields: dict[str, Any] = {"last_error": reason}
            else:
                delay = conf.backoff(row.attempts)
                status, retry_in = NotificationStatus.PENDING, delay.total_seconds()
                fields = {"last_error": reason, "due_at": end + delay}
            Notification.objects.filter(pk=row.pk, status=NotificationStatus.SENDING, attempts=row.attempts).update(
                status=status, lease_until=None, **fields
            )
            results[row.pk] = DeliveryResult(status, retry_in)
        if sent:

            def outcome(row: Notification, answer: Answer) -> str:
                if answer.ok:
                    return AttemptOutcome.DELIVERED
                failed = results[row.pk].status == NotificationStatus.FAILED
                return AttemptOutcome.FAILED if failed else AttemptOutcome.ERROR

            def per_attempt(value: Any) -> Case:
                return Case(*[When(pk=a.pk, then=Value(value(r, a, ans, end))) for r, a, ans, end in sent])

            DeliveryAttempt.objects.filter(pk__in=[a.pk for _r, a, _ans, _e in sent]).update(
                finished_at=per_attempt(lambda r, a, ans, end: end),
                outcome=per_attempt(lambda r, a, ans, end: outcome(r, ans)),
                provider_status=per_attempt(lambda r, a, ans, end: ans.status[:40]),
                provider_answer=per_attempt(lambda r, a, ans, end: ans.text[:1000]),
            )
    # What the rows are now where this call did not claim them, or was overtaken while sending.
    unsure = [int(i) for i in ids if int(i) not in claimed]
    unsure += [r.pk for r, *_ in sent if results[r.pk].status == NotificationStatus.DELIVERED]
    if unsure:
        current = dict(Notification.objects.filter(pk__in=unsure).values_list("pk", "status"))
        for pk in unsure:
            if pk not in current:
                results[pk] = DeliveryResult("missing")
            elif pk not in claimed or current[pk] != NotificationStatus.DELIVERED:
                results[pk] = DeliveryResult(current[pk])
    for row, _a, _ans, _e in sent:  # a retry or failure overtaken by another claim: what the row is now
        if (
            results[row.pk].status != NotificationStatus.DELIVERED
            and not Notification.objects.filter(
                pk=row.pk, status=results[row.pk].status, attempts=row.attempts
            ).exists()
        ):
            results[row.pk] = DeliveryResult(Notification.objects.get(pk=row.pk).status)
    return results


def outbox_due(*, now: dt.datetime | None = None, limit: int = 5000) -> list[int]:
    """Rows the relay must (re)queue: pending and due (after quiet hours, a back-off, or a queue
    message that was lost), or claimed by a worker that died (lease run out)."""
    now = now or timezone.now()
    return list(
        Notification.objects.filter(
            Q(status=NotificationStatus.PENDING, due_at__lte=now)
            | Q(status=NotificationStatus.SENDING, lease_until__lt=now)
        )
        .exclude(channel=Channel.INBOX)
        .order_by("due_at")
        .values_list("pk", flat=True)[:limit]
    )


# ============================================================================== digests


@transaction.atomic
def digest_compose(*, now: dt.datetime | None = None) -> int:
    """Gather each (target, channel)'s held rows that are due into one digest message (an event of
    type digest with its own outbox row, queued on commit); the held rows become `digested` and point
    at it. Returns how many digests were made. Idempotent: a held row is digested once."""
    now = now or timezone.now()
    held = list(
        Notification.objects.select_for_update()
        .filter(status=NotificationStatus.HELD, due_at__lte=now)
        .order_by("target", "channel", "created_at", "pk")
    )
    groups: dict[tuple[str, str], list[Notification]] = {}
    for n in held:
        groups.setdefault((n.target, n.channel), []).append(n)
    made: list[int] = []
    for (target, channel), items in groups.items():
        first = items[0]
        lines = "\n".join(f"{i + 1}. {n.body.splitlines()[0]}" for i, n in enumerate(items[:50]))
        if len(items) > 50:
            lines += f"\n… (+{len(items) - 50})"
        event = Event.objects.create(
            type=EventType.DIGEST, key=f"digest:{target}:{channel}:{first.pk}", division_code=first.event.division_code,
            subject_type="notify.notification", subject_id=str(first.pk),
            figures={"count": len(items), "items": lines}, occurred_at=now,
        )  # fmt: skip
        title, body = texts.render(
            event_type=EventType.DIGEST, figures=event.figures, link="", division=event.division_code
        )
        digest = Notification.objects.create(
            event=event, rule=first.rule, recipient_id=first.recipient_id, target=target, channel=channel,
            address=first.address, title=title, body=body, status=NotificationStatus.PENDING, due_at=now,
        )  # fmt: skip
        Notification.objects.filter(pk__in=[n.pk for n in items]).update(
            status=NotificationStatus.DIGESTED, digest=digest
        )
        made.append(digest.pk)
    _dispatch_on_commit(made)
    return len(made)


# ============================================================================== escalation

_CHIEF_LEVEL = {
    DivisionLevel.VILLAGE: "village",
    DivisionLevel.TOWNSHIP: "township",
    DivisionLevel.COUNTY: "district",
    DivisionLevel.CITY: "city",
    DivisionLevel.PROVINCE: "province",
}


def chiefs_and_office(code: str) -> list[int]:
    """The chiefs of a division (chief accounts whose jurisdiction is the division, and chiefs
    appointed at its level to a reach or lake in it) and its office (its reviewers)."""
    from places.models import ChiefAssignment

    level = _CHIEF_LEVEL[division_level(code)]
    today = timezone.now().astimezone(BEIJING).date()
    ids = set(
        User.objects.filter(is_active=True, role__in=[Role.CHIEF, Role.REVIEWER], jurisdiction=code).values_list(
            "pk", flat=True
        )
    )
    ids |= set(
        ChiefAssignment.objects.filter(level=level, valid_from__lte=today, chief__is_active=True)
        .filter(Q(valid_until__isnull=True) | Q(valid_until__gte=today))
        .filter(Q(reach__division__code=code) | Q(lake__division__code=code))
        .values_list("chief_id", flat=True)
    )
    return sorted(ids)


def escalation_run(*, now: dt.datetime | None = None) -> int:
    """Climb every overdue item nobody has acted on for NOTIFY_ESCALATION_DAYS[its present level]
    days one level up (village → township → district → city), each step recorded and the next
    level's chiefs and office notified. The city is the top. Returns how many steps were taken."""
    now = now or timezone.now()
    steps = 0
    open_events = Event.objects.filter(type__in=list(ESCALATING_TYPES), acted_at__isnull=True).order_by("pk")
    for event in open_events.iterator():
        with transaction.atomic():
            event = Event.objects.select_for_update().get(pk=event.pk)
            if event.acted_at is not None:
                continue
            last = event.escalations.order_by("-step").first()
            current = last.to_division if last else event.division_code
            level = _CHIEF_LEVEL[division_level(current)]
            if level in ("city", "province"):
                continue
            since = event.escalated_at or event.occurred_at
            days = (now - since) / dt.timedelta(days=1)
            if days < conf.escalation_days(level):
                continue
            target = parent_code(current)
            if target is None:
                continue
            to_level = _CHIEF_LEVEL[division_level(target)]
            recipients = chiefs_and_office(target)
            number = (last.step if last else 0) + 1
            item = str(
                event.figures.get("case")
                or event.figures.get("task")
                or event.figures.get("petition")
                or event.subject_id
            )
            notice = event_raise(
                type=EventType.ESCALATED, division_code=target, subject_type=event.subject_type,
                subject_id=event.subject_id, people=recipients, link=event.link, key=f"escalated:{event.pk}:{number}",
                figures={
                    "item": item, "item_type": str(EventType(event.type).label), "days": int(days),
                    "from_level": level, "to_level": to_level,
                },
                at=now,
            )  # fmt: skip
            EscalationStep.objects.create(
                event=event, step=number, subject_type=event.subject_type, subject_id=event.subject_id,
                from_division=current, from_level=level, to_division=target, to_level=to_level,
                days_without_action=int(days), recipients=recipients, at=now, notice=notice,
            )  # fmt: skip
            event.escalated_level, event.escalated_at = to_level, now
            event.save(update_fields=["escalated_level", "escalated_at"])
            audit_record(
                actor="beat:notify.escalation_run", action=AuditAction.TRANSITION, entity=event.subject_type,
                entity_id=event.subject_id, after={"escalated_to": target, "level": to_level, "step": number},
                reason=f"no action for {int(days)} days at {level} level",
            )  # fmt: skip
            steps += 1
    return steps
