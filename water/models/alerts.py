"""Monitoring alerts (issue 3 item 4)."""

from __future__ import annotations

from django.conf import settings
from django.contrib.gis.db import models
from django.db.models import F, Q
from django.utils.translation import gettext_lazy as _

from water.choices import AlertKind
from water.models.intakes import Intake, Meter


class Alert(models.Model):
    """An alert raised by a periodic job (water.tasks) about a meter or an intake: a meter offline, a
    reading held for review, use at 80 % or 100 % of plan.

    `key` names the condition (e.g. "meter_offline:12"); at most one alert per key is open (a partial
    unique constraint), so a job that runs twice raises nothing new. An alert resolves when its
    condition clears (`resolved_at`); the same condition coming back later raises a new alert, so the
    history of each episode is kept. Acknowledgement is a reviewer's note that someone is on it; it
    does not resolve the alert.
    """

    kind = models.CharField(_("kind"), max_length=32, choices=AlertKind.choices)
    key = models.CharField(_("condition key"), max_length=200)
    intake = models.ForeignKey(
        Intake,
        on_delete=models.CASCADE,
        related_name="alerts",
        verbose_name=_("intake"),
        help_text="The intake concerned (a meter's intake for meter alerts); decides who sees the alert.",
    )
    meter = models.ForeignKey(
        Meter, null=True, blank=True, on_delete=models.CASCADE, related_name="alerts", verbose_name=_("meter")
    )
    raised_at = models.DateTimeField(_("raised at"))
    last_seen_at = models.DateTimeField(_("condition last seen at"))
    resolved_at = models.DateTimeField(_("resolved at"), null=True, blank=True)
    details = models.JSONField(_("details"), default=dict, blank=True)
    acknowledged_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("acknowledged by"),
    )
    acknowledged_at = models.DateTimeField(_("acknowledged at"), null=True, blank=True)

    class Meta:
        ordering = ["-raised_at", "-id"]
        verbose_name = _("alert")
        verbose_name_plural = _("alerts")
        constraints = [
            models.UniqueConstraint(fields=["key"], condition=Q(resolved_at__isnull=True), name="water_alert_open_key"),
            models.CheckConstraint(condition=Q(kind__in=AlertKind.values), name="water_alert_kind_valid"),
            models.CheckConstraint(
                condition=Q(resolved_at__isnull=True) | Q(resolved_at__gte=F("raised_at")),
                name="water_alert_resolved_after_raised",
            ),
            models.CheckConstraint(
                condition=Q(acknowledged_at__isnull=True, acknowledged_by__isnull=True)
                | Q(acknowledged_at__isnull=False, acknowledged_by__isnull=False),
                name="water_alert_ack_complete",
            ),
        ]
        indexes = [
            models.Index(fields=["kind", "resolved_at"], name="water_alert_kind_state_idx"),
            models.Index(fields=["intake", "raised_at"], name="water_alert_intake_idx"),
        ]

    def __str__(self) -> str:
        state = "open" if self.resolved_at is None else "resolved"
        return f"{self.kind} {self.key} ({state})"

    @property
    def is_open(self) -> bool:
        return self.resolved_at is None
