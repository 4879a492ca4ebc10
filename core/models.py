"""Kernel tables shared by every app: the audit log and stored idempotent responses."""

from __future__ import annotations

from django.conf import settings
from django.core.serializers.json import DjangoJSONEncoder
from django.db import models
from django.db.models.functions import Now
from django.utils.translation import gettext_lazy as _

from core.choices import AuditAction


class TimeStamped(models.Model):
    """Abstract base of the ledgers' rows: when a row was created and last changed, both set by the
    database (``db_default=Now()``; services set ``updated_at`` on change)."""

    created_at = models.DateTimeField(db_default=Now(), editable=False, verbose_name=_("created at"))
    updated_at = models.DateTimeField(db_default=Now(), editable=False, verbose_name=_("updated at"))

    class Meta:
        abstract = True


class AuditLog(models.Model):
    """One change to a ledger row: who, when, what, and the row before and after.

    Written by the service that makes the change, in the same transaction (ARCHITECTURE style 4),
    so a change without its audit row cannot be committed. Rows are never updated or deleted by the
    application; the admin shows them read-only.
    """

    at = models.DateTimeField(db_default=Now(), db_index=True, verbose_name=_("at"))
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        verbose_name=_("actor"),
    )
    # Kept apart from the FK so the log still says who acted after a user is deleted, and names
    # system actors (imports, beat jobs) that are not users.
    actor_label = models.CharField(max_length=150, verbose_name=_("actor (name)"))
    action = models.CharField(max_length=16, choices=AuditAction.choices, verbose_name=_("action"))
    entity = models.CharField(max_length=100, help_text="app_label.model", verbose_name=_("entity"))
    entity_id = models.CharField(max_length=64, verbose_name=_("entity id"))
    before = models.JSONField(null=True, blank=True, encoder=DjangoJSONEncoder, verbose_name=_("before"))
    after = models.JSONField(null=True, blank=True, encoder=DjangoJSONEncoder, verbose_name=_("after"))
    reason = models.CharField(max_length=500, blank=True, verbose_name=_("reason"))

    class Meta:
        ordering = ["-at", "-id"]
        indexes = [models.Index(fields=["entity", "entity_id", "at"], name="core_audit_entity_idx")]
        verbose_name = _("audit entry")
        verbose_name_plural = _("audit log")

    def __str__(self) -> str:
        return f"{self.at:%Y-%m-%d %H:%M} {self.actor_label} {self.action} {self.entity}#{self.entity_id}"


class IdempotencyRecord(models.Model):
    """The first successful response to a write sent with an `Idempotency-Key` header.

    A replay of the same key by the same user with the same request gets this response back; the
    same key with another request is a 409. Purged after IDEMPOTENCY_TTL_HOURS by a beat job.
    """

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+", verbose_name=_("user")
    )
    key = models.CharField(max_length=255, verbose_name=_("idempotency key"))
    request_hash = models.CharField(
        max_length=64, help_text="sha256 of method, path and body", verbose_name=_("request hash")
    )
    status_code = models.PositiveSmallIntegerField(verbose_name=_("status code"))
    response = models.JSONField(null=True, encoder=DjangoJSONEncoder, verbose_name=_("response"))
    created_at = models.DateTimeField(db_default=Now(), db_index=True, verbose_name=_("created at"))

    class Meta:
        constraints = [models.UniqueConstraint(fields=["user", "key"], name="core_idempotency_user_key_uniq")]
        verbose_name = _("idempotency record")

    def __str__(self) -> str:
        return f"{self.user_id}:{self.key}"
