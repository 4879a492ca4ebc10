"""Report snapshots: an official report's figures and files kept as they were signed off."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import F, Q
from django.db.models.functions import Now
from django.utils.translation import gettext_lazy as _

from reports.choices import SnapshotStatus


class ReportSnapshot(models.Model):
    """One version of the report of a period (Beijing dates, both included) for a division.

    Built by `reports.tasks.build_snapshot` (progress 0–100), then signed off by a reviewer. The
    figures (the report JSON) and both files are stored in the row itself (binary columns, a few
    hundred KB): the snapshot is one atomic record, backed up with the database, with no files that
    could go missing or be swapped under MEDIA_ROOT. A signed-off row is frozen by a database trigger
    (migration 0002) as well as by the services; a rebuild is version n+1 with `diff` against the
    latest earlier version that was built.
    """

    period_label = models.CharField(_("report period"), max_length=32)
    period_kind = models.CharField(_("period kind"), max_length=16)
    period_start = models.DateField(_("first day"))
    period_end = models.DateField(_("last day (inclusive)"))
    division_code = models.CharField(_("division code"), max_length=12)
    version = models.PositiveIntegerField(_("version"))
    status = models.CharField(
        _("status"), max_length=16, choices=SnapshotStatus.choices, default=SnapshotStatus.BUILDING
    )
    progress = models.PositiveSmallIntegerField(_("progress (%)"), default=0)
    error = models.TextField(_("error"), blank=True)
    figures = models.JSONField(_("figures"), null=True, blank=True)
    diff = models.JSONField(_("diff against the previous version"), default=list, blank=True)
    previous = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.PROTECT, related_name="+", verbose_name=_("previous")
    )
    xlsx = models.BinaryField(_("xlsx file"), null=True, blank=True)
    pdf = models.BinaryField(_("pdf file"), null=True, blank=True)
    reason = models.CharField(_("reason for building"), max_length=500, blank=True)
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("requested by"),
    )
    requested_label = models.CharField(max_length=150, blank=True, verbose_name=_("requested by (name)"))
    requested_at = models.DateTimeField(db_default=Now(), editable=False, verbose_name=_("requested at"))
    built_at = models.DateTimeField(null=True, blank=True, verbose_name=_("built at"))
    signed_off_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("signed off by"),
    )
    signed_off_at = models.DateTimeField(null=True, blank=True, verbose_name=_("signed off at"))

    class Meta:
        ordering = ["-period_start", "division_code", "-version"]
        verbose_name = _("report snapshot")
        verbose_name_plural = _("report snapshots")
        constraints = [
            models.UniqueConstraint(
                fields=["period_start", "period_end", "division_code", "version"], name="reports_snapshot_version"
            ),
            models.CheckConstraint(condition=Q(status__in=SnapshotStatus.values), name="reports_snapshot_status_valid"),
            models.CheckConstraint(condition=Q(progress__lte=100), name="reports_snapshot_progress_le_100"),
            models.CheckConstraint(condition=Q(period_end__gte=F("period_start")), name="reports_snapshot_period"),
            models.CheckConstraint(condition=Q(version__gte=1), name="reports_snapshot_version_ge_1"),
            models.CheckConstraint(
                condition=~Q(status=SnapshotStatus.SIGNED_OFF)
                | (Q(signed_off_at__isnull=False) & Q(signed_off_by__isnull=False) & Q(figures__isnull=False)),
                name="reports_snapshot_signed_has_signer",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.period_label} {self.division_code} v{self.version}"
