"""Closed sets of the reports app."""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _


class SnapshotStatus(models.TextChoices):
    """A snapshot is built by a Celery task (building → ready or failed) and then signed off by a
    reviewer; a signed-off snapshot never changes (a rebuild is a new version)."""

    BUILDING = "building", _("building")
    READY = "ready", _("ready")
    FAILED = "failed", _("failed")
    SIGNED_OFF = "signed_off", _("signed off")


class ReportFormat(models.TextChoices):
    JSON = "json", "JSON"
    XLSX = "xlsx", "Excel"
    PDF = "pdf", "PDF"
