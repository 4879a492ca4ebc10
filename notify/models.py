"""Events, the rules that route them, the outbox of notifications, its delivery log, the users'
channel preferences and the escalation steps."""

from __future__ import annotations

import uuid

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.db.models.functions import Now
from django.utils.translation import gettext_lazy as _

from notify.choices import AttemptOutcome, Channel, EventType, Mode, NotificationStatus


class Event(models.Model):
    """Something a service or job reports, written in the same transaction as the change it reports.

    notify knows the subject only by model label and id (`patrols.case`, a UUID) and the division it
    belongs to: it never imports the app that raised it. `people` are the row's own people as the
    raising service resolved them (user ids: the reach's chiefs, the intake's operators …); `figures`
    fill the text. `key`, when given, makes raising idempotent: a job that runs twice raises once.
    """

    type = models.CharField(_("type"), max_length=40, choices=EventType.choices)
    key = models.CharField(_("idempotency key"), max_length=200, null=True, blank=True, unique=True)
    division_code = models.CharField(_("division"), max_length=12, db_index=True)
    subject_type = models.CharField(_("subject type"), max_length=60)
    subject_id = models.CharField(_("subject id"), max_length=64)
    figures = models.JSONField(_("figures"), default=dict, blank=True)
    link = models.CharField(_("link"), max_length=300, blank=True)
    people = models.JSONField(_("the row's own people"), default=list, blank=True)
    occurred_at = models.DateTimeField(_("occurred at"))
    # Escalation: an overdue item nobody has acted on since `occurred_at` (acted_at stays empty).
    acted_at = models.DateTimeField(_("acted on at"), null=True, blank=True)
    escalated_level = models.CharField(_("escalated to level"), max_length=16, blank=True)
    escalated_at = models.DateTimeField(_("last escalated at"), null=True, blank=True)
    created_at = models.DateTimeField(db_default=Now(), editable=False, verbose_name=_("created at"))

    class Meta:
        ordering = ["-occurred_at", "-id"]
        verbose_name = _("event")
        verbose_name_plural = _("events")
        indexes = [models.Index(fields=["subject_type", "subject_id"], name="notify_event_subject")]
        constraints = [
            models.CheckConstraint(condition=Q(type__in=EventType.values), name="notify_event_type_valid"),
        ]

    def __str__(self) -> str:
        return f"{self.type} {self.subject_type}#{self.subject_id}"


class Rule(models.Model):
    """Who receives an event type in a division (and every division inside it), on which channels,
    when. Recipients: the row's own people, everyone of a role whose jurisdiction covers the event's
    division inside the rule's, and named users. Robot channels post once to the rule's webhook."""

    event_type = models.CharField(_("event type"), max_length=40, choices=EventType.choices)
    division_code = models.CharField(_("division"), max_length=12, db_index=True)
    own_people = models.BooleanField(_("the row's own people"), default=True)
    role = models.CharField(_("role in the division"), max_length=16, blank=True)
    users = models.ManyToManyField(settings.AUTH_USER_MODEL, blank=True, related_name="+", verbose_name=_("users"))
    channels = models.JSONField(_("channels"), default=list)
    mode = models.CharField(_("mode"), max_length=16, choices=Mode.choices, default=Mode.IMMEDIATE)
    quiet_start = models.TimeField(_("quiet from (Beijing)"), null=True, blank=True)
    quiet_end = models.TimeField(_("quiet until (Beijing)"), null=True, blank=True)
    webhook_url = models.URLField(_("robot webhook"), max_length=500, blank=True)
    webhook_secret = models.CharField(_("DingTalk signing secret"), max_length=200, blank=True)
    template = models.CharField(_("text template"), max_length=500, blank=True)
    active = models.BooleanField(_("active"), default=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        verbose_name=_("created by"),
    )
    created_at = models.DateTimeField(db_default=Now(), editable=False, verbose_name=_("created at"))

    class Meta:
        ordering = ["division_code", "event_type", "id"]
        verbose_name = _("notification rule")
        verbose_name_plural = _("notification rules")
        indexes = [models.Index(fields=["event_type", "division_code"], name="notify_rule_type_division")]
        constraints = [
            models.CheckConstraint(condition=Q(event_type__in=EventType.values), name="notify_rule_type_valid"),
            models.CheckConstraint(condition=Q(mode__in=Mode.values), name="notify_rule_mode_valid"),
            models.CheckConstraint(
                condition=Q(quiet_start__isnull=True, quiet_end__isnull=True)
                | Q(quiet_start__isnull=False, quiet_end__isnull=False),
                name="notify_rule_quiet_both_or_none",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.event_type} @ {self.division_code}"


class Notification(models.Model):
    """One message to one recipient on one channel: the outbox row, written with its event.

    `target` is "user:<id>" for a person or "rule:<id>" for a rule's group robot; the unique
    (event, target, channel) makes raising, routing and redelivery unable to double a message. An
    inbox row is delivered when written (the row is the inbox). Other channels are sent by
    `notify.tasks.deliver`, which claims the row (status sending, a lease), sends with the row's
    `uid` as the provider's message id, and records the answer; a worker killed mid-send leaves the
    lease to expire and the relay tries again.
    """

    uid = models.UUIDField(default=uuid.uuid4, unique=True, editable=False, verbose_name=_("identifier"))
    event = models.ForeignKey(Event, on_delete=models.CASCADE, related_name="notifications", verbose_name=_("event"))
    rule = models.ForeignKey(
        Rule, null=True, blank=True, on_delete=models.SET_NULL, related_name="+", verbose_name=_("rule")
    )
    recipient = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="notifications",
        verbose_name=_("recipient"),
    )
    target = models.CharField(_("target"), max_length=40)
    channel = models.CharField(_("channel"), max_length=16, choices=Channel.choices)
    address = models.CharField(_("address"), max_length=500, blank=True)
    title = models.CharField(_("title"), max_length=200)
    body = models.TextField(_("text"))
    link = models.CharField(_("link"), max_length=400, blank=True)
    status = models.CharField(_("status"), max_length=16, choices=NotificationStatus.choices)
    due_at = models.DateTimeField(_("due at"))
    attempts = models.PositiveSmallIntegerField(_("tries"), default=0)
    lease_until = models.DateTimeField(null=True, blank=True, verbose_name=_("sending lease until"))
    delivered_at = models.DateTimeField(_("delivered at"), null=True, blank=True)
    last_error = models.CharField(_("last error"), max_length=1000, blank=True)
    read_at = models.DateTimeField(_("read at"), null=True, blank=True)
    digest = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.SET_NULL, related_name="items", verbose_name=_("digest")
    )
    created_at = models.DateTimeField(db_default=Now(), editable=False, verbose_name=_("created at"))

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = _("notification")
        verbose_name_plural = _("notifications")
        indexes = [
            models.Index(fields=["status", "due_at"], name="notify_outbox_due"),
            models.Index(fields=["recipient", "channel", "read_at"], name="notify_inbox"),
        ]
        constraints = [
            models.UniqueConstraint(fields=["event", "target", "channel"], name="notify_once_per_target_channel"),
            models.CheckConstraint(condition=Q(channel__in=Channel.values), name="notify_channel_valid"),
            models.CheckConstraint(condition=Q(status__in=NotificationStatus.values), name="notify_status_valid"),
            models.CheckConstraint(
                condition=~Q(status=NotificationStatus.DELIVERED) | Q(delivered_at__isnull=False),
                name="notify_delivered_has_time",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.channel} → {self.target}: {self.title}"


class DeliveryAttempt(models.Model):
    """One try at sending a notification: when, what the provider answered, and the outcome."""

    notification = models.ForeignKey(
        Notification, on_delete=models.CASCADE, related_name="attempt_log", verbose_name=_("notification")
    )
    number = models.PositiveSmallIntegerField(_("try"))
    started_at = models.DateTimeField(_("started at"))
    finished_at = models.DateTimeField(_("finished at"), null=True, blank=True)
    outcome = models.CharField(_("outcome"), max_length=16, choices=AttemptOutcome.choices, blank=True)
    provider_status = models.CharField(_("provider status"), max_length=40, blank=True)
    provider_answer = models.CharField(_("provider answer"), max_length=1000, blank=True)

    class Meta:
        ordering = ["notification", "number"]
        verbose_name = _("delivery attempt")
        verbose_name_plural = _("delivery attempts")
        constraints = [
            models.UniqueConstraint(fields=["notification", "number"], name="notify_attempt_number_unique"),
        ]

    def __str__(self) -> str:
        return f"{self.notification_id} #{self.number} {self.outcome}"


class ChannelPreference(models.Model):
    """A user's choice for a personal channel: off, or on at an address of theirs (an e-mail or a
    mobile number that overrides the account's). With no row a channel is on at the account's
    address. The inbox cannot be turned off: it is the record of what was sent."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="channel_preferences", verbose_name=_("user")
    )
    channel = models.CharField(_("channel"), max_length=16, choices=Channel.choices)
    enabled = models.BooleanField(_("on"), default=True)
    address = models.CharField(_("address"), max_length=254, blank=True)

    class Meta:
        ordering = ["user", "channel"]
        verbose_name = _("channel preference")
        verbose_name_plural = _("channel preferences")
        constraints = [
            models.UniqueConstraint(fields=["user", "channel"], name="notify_preference_once"),
            models.CheckConstraint(condition=~Q(channel=Channel.INBOX), name="notify_preference_not_inbox"),
        ]

    def __str__(self) -> str:
        return f"{self.user_id} {self.channel} {'on' if self.enabled else 'off'}"


class EscalationStep(models.Model):
    """One climb of an overdue item up the chief ladder: from which division and level to which,
    when, after how many days without action, and who was told. The item is named as its event's
    subject (model label and id), so the domain app can show its escalation history."""

    event = models.ForeignKey(Event, on_delete=models.CASCADE, related_name="escalations", verbose_name=_("event"))
    step = models.PositiveSmallIntegerField(_("step"))
    subject_type = models.CharField(_("subject type"), max_length=60)
    subject_id = models.CharField(_("subject id"), max_length=64)
    from_division = models.CharField(_("from division"), max_length=12)
    from_level = models.CharField(_("from level"), max_length=16)
    to_division = models.CharField(_("to division"), max_length=12)
    to_level = models.CharField(_("to level"), max_length=16)
    days_without_action = models.PositiveIntegerField(_("days without action"))
    recipients = models.JSONField(_("recipients"), default=list)
    at = models.DateTimeField(_("at"))
    notice = models.OneToOneField(
        Event,
        null=True,
        on_delete=models.SET_NULL,
        related_name="escalation_notice",
        verbose_name=_("escalation notice"),
    )

    class Meta:
        ordering = ["event", "step"]
        verbose_name = _("escalation step")
        verbose_name_plural = _("escalation steps")
        indexes = [models.Index(fields=["subject_type", "subject_id"], name="notify_escalation_subject")]
        constraints = [models.UniqueConstraint(fields=["event", "step"], name="notify_escalation_step_once")]

    def __str__(self) -> str:
        return f"{self.subject_type}#{self.subject_id} → {self.to_division}"
