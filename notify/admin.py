"""Admin of the notify app: rules are edited by administrators here (reviewers use the API); the
outbox, its delivery log and the escalation steps are read-only records."""

from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.http import HttpRequest

from notify.models import ChannelPreference, DeliveryAttempt, EscalationStep, Event, Notification, Rule


class ReadOnly(admin.ModelAdmin):
    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


@admin.register(Rule)
class RuleAdmin(admin.ModelAdmin):
    list_display = ["event_type", "division_code", "own_people", "role", "channels", "mode", "active"]
    list_filter = ["event_type", "mode", "active"]
    search_fields = ["division_code"]
    filter_horizontal = ["users"]

    def save_model(self, request: HttpRequest, obj: Rule, form: Any, change: bool) -> None:
        # Through the service's checks (https, template fields, known types), audited.
        from accounts.scope import scope_for
        from notify import services

        values = {f: getattr(obj, f) for f in services.RULE_FIELDS}
        if change:
            obj.pk = services.rule_update(rule=obj, actor=request.user, scope=scope_for(request.user), **values).pk
        else:
            obj.pk = services.rule_create(actor=request.user, scope=scope_for(request.user), **values).pk


@admin.register(Event)
class EventAdmin(ReadOnly):
    list_display = ["occurred_at", "type", "division_code", "subject_type", "subject_id", "acted_at", "escalated_level"]
    list_filter = ["type"]
    search_fields = ["subject_id", "division_code", "key"]


class AttemptInline(admin.TabularInline):
    model = DeliveryAttempt
    extra = 0
    can_delete = False
    readonly_fields = ["number", "started_at", "finished_at", "outcome", "provider_status", "provider_answer"]


@admin.register(Notification)
class NotificationAdmin(ReadOnly):
    list_display = ["created_at", "channel", "target", "title", "status", "attempts", "delivered_at", "read_at"]
    list_filter = ["channel", "status"]
    search_fields = ["target", "title", "uid"]
    inlines = [AttemptInline]


@admin.register(EscalationStep)
class EscalationStepAdmin(ReadOnly):
    list_display = ["at", "subject_type", "subject_id", "step", "from_division", "to_division", "to_level"]


@admin.register(ChannelPreference)
class ChannelPreferenceAdmin(admin.ModelAdmin):
    list_display = ["user", "channel", "enabled", "address"]
