"""Reads of the notify app, each narrowed by the caller: a user's own inbox; rules and escalation
steps in the reviewer's jurisdiction."""

from __future__ import annotations

from typing import Any

from django.db.models import QuerySet

from accounts.scope import Scope
from core.kernel import get_in_scope
from notify.choices import Channel
from notify.models import ChannelPreference, EscalationStep, Notification, Rule


def inbox_list(*, user: Any, unread: bool | None = None) -> QuerySet[Notification]:
    qs = Notification.objects.filter(recipient=user, channel=Channel.INBOX).select_related("event")
    if unread is True:
        qs = qs.filter(read_at__isnull=True)
    elif unread is False:
        qs = qs.filter(read_at__isnull=False)
    return qs.order_by("-created_at", "-id")


def inbox_unread_count(*, user: Any) -> int:
    return Notification.objects.filter(recipient=user, channel=Channel.INBOX, read_at__isnull=True).count()


def inbox_get(*, user: Any, notification_id: int) -> Notification:
    return get_in_scope(inbox_list(user=user), pk=notification_id, message="No such notification in your inbox.")


def rule_list(*, scope: Scope) -> QuerySet[Rule]:
    return scope.filter(Rule.objects.prefetch_related("users"), "division_code").order_by(
        "division_code", "event_type", "pk"
    )


def rule_get(*, scope: Scope, rule_id: int) -> Rule:
    return get_in_scope(rule_list(scope=scope), pk=rule_id, message="No such rule in your jurisdiction.")


def preference_list(*, user: Any) -> list[ChannelPreference]:
    return list(ChannelPreference.objects.filter(user=user).order_by("channel"))


def escalation_list(
    *, scope: Scope, subject_type: str | None = None, subject_id: str | None = None
) -> QuerySet[EscalationStep]:
    qs = scope.filter(EscalationStep.objects.all(), "event__division_code")
    if subject_type:
        qs = qs.filter(subject_type=subject_type)
    if subject_id:
        qs = qs.filter(subject_id=subject_id)
    return qs.order_by("-at", "-pk")
