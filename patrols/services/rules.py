"""The rule tables: validity rules and frequency rules (check, save, delete), each audited."""

from __future__ import annotations

from typing import Any

from django.db import transaction
from django.utils.translation import gettext as _

from accounts.choices import Role
from core.audit import audit_record, snapshot
from core.choices import AuditAction
from core.divisions import is_division_code
from patrols.models import (
    PatrolFrequencyRule,
    PatrolValidityRule,
)
from patrols.services._common import _invalid, _require_role

# --------------------------------------------------------------------------- rule tables


def _check_jurisdiction(code: str) -> None:
    if code and not is_division_code(code):
        raise _invalid("jurisdiction", _("A 6-, 9- or 12-digit GB/T 2260 code, or empty for everywhere."))


def validity_rule_check(*, rule: PatrolValidityRule) -> None:
    """The checks of `validity_rule_save` without saving (the admin form shows them as form errors)."""
    _check_jurisdiction(rule.jurisdiction)


def frequency_rule_check(*, rule: PatrolFrequencyRule) -> None:
    """Seasons of one jurisdiction and level must not overlap, so every month has at most one rule."""
    _check_jurisdiction(rule.jurisdiction)
    siblings = PatrolFrequencyRule.objects.filter(jurisdiction=rule.jurisdiction, level=rule.level).exclude(pk=rule.pk)
    months = {m for m in range(1, 13) if rule.in_season(m)}
    for other in siblings:
        shared = sorted(m for m in months if other.in_season(m))
        if shared:
            raise _invalid(
                "season_start_month",
                _("Months %(shared)s are already covered by the rule %(other)s.") % {"shared": shared, "other": other},
                code="season_overlap",
            )


def _rule_save(rule: PatrolValidityRule | PatrolFrequencyRule, *, actor: Any) -> None:
    created = rule.pk is None
    before = None if created else snapshot(type(rule).objects.get(pk=rule.pk))
    rule.full_clean()
    rule.save()
    audit_record(
        actor=actor,
        action=AuditAction.CREATE if created else AuditAction.UPDATE,
        instance=rule,
        before=before,
        after=snapshot(rule),
    )


@transaction.atomic
def validity_rule_save(*, rule: PatrolValidityRule, actor: Any) -> PatrolValidityRule:
    """Create or change a validity rule (from the admin), audited."""
    _require_role(actor, {Role.ADMIN, Role.REVIEWER}, _("change patrol rules"))
    validity_rule_check(rule=rule)
    _rule_save(rule, actor=actor)
    return rule


@transaction.atomic
def frequency_rule_save(*, rule: PatrolFrequencyRule, actor: Any) -> PatrolFrequencyRule:
    """Create or change a frequency rule (from the admin), audited."""
    _require_role(actor, {Role.ADMIN, Role.REVIEWER}, _("change patrol rules"))
    frequency_rule_check(rule=rule)
    _rule_save(rule, actor=actor)
    return rule


def rule_delete(*, rule: PatrolValidityRule | PatrolFrequencyRule, actor: Any) -> None:
    _require_role(actor, {Role.ADMIN, Role.REVIEWER}, _("change patrol rules"))
    with transaction.atomic():
        before = snapshot(rule)
        pk = rule.pk
        rule.delete()
        audit_record(actor=actor, action=AuditAction.DELETE, entity=rule._meta.label_lower, entity_id=pk, before=before)
