"""Closed sets of the reports app."""

from __future__ import annotations

from django.db import models


class SnapshotStatus(models.TextChoices):
    """A snapshot is built by a Celery task (building → ready or failed) and then signed off by a
    reviewer; a signed-off snapshot never changes (a rebuild is a new version)."""

    BUILDING = "building", "生成中 building"
    READY = "ready", "待签发 ready"
    FAILED = "failed", "失败 failed"
    SIGNED_OFF = "signed_off", "已签发 signed off"


class ReportFormat(models.TextChoices):
    JSON = "json", "JSON"
    XLSX = "xlsx", "Excel"
    PDF = "pdf", "PDF"
