"""Notification rules: create, update and delete (staff only, within the actor's scope, audited)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from django.db import transaction

from accounts.choices import Role
from accounts.scope import Scope
from core.audit import audit_record, snapshot
from core.choices import AuditAction
from core.divisions import is_division_code
from core.exceptions import Forbidden, InvalidInput
from core.kernel import Errors, actor_user, audited_save, reference
from notify import conf, texts
from notify.choices import (
    ROBOT_CHANNELS,
    RULE_TYPES,
    Channel,
    Mode,
)
from notify.models import Rule
from notify.services.common import _invalid


def _check_url(field: str, url: str) -> None:
    from urllib.parse import urlsplit

    parts = urlsplit(url)
    if parts.scheme == "https" and parts.hostname:
        return
    if parts.scheme == "http" and parts.hostname in conf.http_allowed_hosts():
        return
    raise _invalid(field, "A webhook must be an https:// URL.", code="not_https")


RULE_FIELDS = (
    "event_type",
    "division_code",
    "own_people",
    "role",
    "channels",
    "mode",
    "quiet_start",
    "quiet_end",
    "webhook_url",
    "webhook_secret",
    "template",
    "active",
)


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
