"""Serializers of the notify API: plain output shapes and input validation (the rules themselves
are checked by the services, which name each bad field)."""

from __future__ import annotations

from typing import Any

from rest_framework import serializers

from notify.models import EscalationStep, Notification, Rule


class NotificationSerializer(serializers.ModelSerializer[Notification]):
    type = serializers.CharField(source="event.type", read_only=True)
    subject_type = serializers.CharField(source="event.subject_type", read_only=True)
    subject_id = serializers.CharField(source="event.subject_id", read_only=True)
    figures = serializers.JSONField(source="event.figures", read_only=True)
    read = serializers.SerializerMethodField()

    class Meta:
        model = Notification
        fields = [
            "id",
            "type",
            "title",
            "body",
            "link",
            "subject_type",
            "subject_id",
            "figures",
            "created_at",
            "read",
            "read_at",
        ]
        read_only_fields = fields

    def get_read(self, obj: Notification) -> bool:
        return obj.read_at is not None


class MarkReadSerializer(serializers.Serializer[Any]):
    ids = serializers.ListField(child=serializers.IntegerField(min_value=1), required=False, max_length=1000)


class RuleSerializer(serializers.ModelSerializer[Rule]):
    division = serializers.CharField(source="division_code", read_only=True)
    users = serializers.SerializerMethodField()
    webhook_secret_set = serializers.SerializerMethodField()

    class Meta:
        model = Rule
        fields = [
            "id",
            "event_type",
            "division",
            "own_people",
            "role",
            "users",
            "channels",
            "mode",
            "quiet_start",
            "quiet_end",
            "webhook_url",
            "webhook_secret_set",
            "template",
            "active",
            "created_at",
        ]
        read_only_fields = fields

    def get_users(self, obj: Rule) -> list[int]:
        return sorted(u.pk for u in obj.users.all())

    def get_webhook_secret_set(self, obj: Rule) -> bool:
        return bool(obj.webhook_secret)


class RuleInputSerializer(serializers.Serializer[Any]):
    """Shapes only; the rule's meaning (known event type, division in scope, https, template fields)
    is checked by notify.services, which names the field."""

    event_type = serializers.CharField(max_length=40)
    division = serializers.CharField(max_length=12)
    own_people = serializers.BooleanField(default=True)
    role = serializers.CharField(max_length=16, required=False, allow_blank=True, default="")
    users = serializers.ListField(child=serializers.IntegerField(min_value=1), required=False, max_length=200)
    channels = serializers.ListField(child=serializers.CharField(max_length=16), min_length=1, max_length=5)
    mode = serializers.CharField(max_length=16, default="immediate")
    quiet_start = serializers.TimeField(required=False, allow_null=True, default=None)
    quiet_end = serializers.TimeField(required=False, allow_null=True, default=None)
    webhook_url = serializers.CharField(max_length=500, required=False, allow_blank=True, default="")
    webhook_secret = serializers.CharField(max_length=200, required=False, allow_blank=True, default="")
    template = serializers.CharField(max_length=500, required=False, allow_blank=True, default="")
    active = serializers.BooleanField(default=True)


class PreferenceSerializer(serializers.Serializer[Any]):
    channel = serializers.CharField(max_length=16)
    enabled = serializers.BooleanField(default=True)
    address = serializers.CharField(max_length=254, required=False, allow_blank=True, default="")


class EscalationSerializer(serializers.ModelSerializer[EscalationStep]):
    type = serializers.CharField(source="event.type", read_only=True)

    class Meta:
        model = EscalationStep
        fields = [
            "id",
            "type",
            "subject_type",
            "subject_id",
            "step",
            "from_division",
            "from_level",
            "to_division",
            "to_level",
            "days_without_action",
            "recipients",
            "at",
        ]
        read_only_fields = fields
