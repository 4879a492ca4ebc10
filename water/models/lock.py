"""The ledger lock (issue 3 item 6): a reviewer's lock of a division's month and the daily volumes it froze."""

from __future__ import annotations

from decimal import Decimal

from django.conf import settings
from django.contrib.gis.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from water.models.intakes import VOLUME_DECIMALS, Meter


class LedgerLock(models.Model):
    """A reviewer's lock (审核锁定) of one month of the intake ledger of a division (and every division
    inside it). Locking freezes the month's daily volumes of the division's meters (LockedDailyVolume):
    a reading or correction arriving later is kept and flagged (Reading.after_lock) and the reports
    show the locked figure plus the amendment, never a silently changed figure. Only an admin unlocks,
    with a reason; the lock row stays as history (unlocked_at)."""

    division = models.ForeignKey(
        "places.Division", on_delete=models.PROTECT, related_name="ledger_locks", verbose_name=_("division")
    )
    month = models.DateField(_("month (first day)"))
    locked_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("locked by"),
    )
    locked_by_label = models.CharField(_("locked by (label)"), max_length=150, blank=True)
    locked_at = models.DateTimeField(_("locked at"))
    note = models.TextField(_("review note"), blank=True)
    unlocked_at = models.DateTimeField(_("unlocked at"), null=True, blank=True)
    unlocked_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("unlocked by"),
    )
    unlock_reason = models.TextField(_("unlock reason"), blank=True)

    class Meta:
        ordering = ["-month", "division__code"]
        verbose_name = _("ledger lock")
        verbose_name_plural = _("ledger locks")
        constraints = [
            models.UniqueConstraint(
                fields=["division", "month"], condition=Q(unlocked_at__isnull=True), name="water_ledgerlock_active_uniq"
            ),
            models.CheckConstraint(
                condition=(Q(unlocked_at__isnull=True) & Q(unlock_reason=""))
                | (Q(unlocked_at__isnull=False) & ~Q(unlock_reason="")),
                name="water_ledgerlock_unlock_has_reason",
            ),
        ]
        indexes = [models.Index(fields=["month"], name="water_ledgerlock_month_idx")]

    def __str__(self) -> str:
        return f"{self.division_id} {self.month:%Y-%m}"


class LockedDailyVolume(models.Model):
    """A meter's daily volume as it stood when its month was locked: the figure reports show for a
    locked month. At most one per meter and day among the active locks (a city lock after a
    district's keeps the district's figures); deleted with the lock's unlocking."""

    lock = models.ForeignKey(
        LedgerLock, on_delete=models.CASCADE, related_name="volumes", db_index=False, verbose_name=_("lock")
    )
    meter = models.ForeignKey(
        Meter, on_delete=models.PROTECT, related_name="locked_volumes", db_index=False, verbose_name=_("meter")
    )
    day = models.DateField(_("day (Beijing)"))
    measured_m3 = models.DecimalField(_("measured (m³)"), max_digits=18, decimal_places=VOLUME_DECIMALS, default=0)
    estimated_m3 = models.DecimalField(_("estimated (m³)"), max_digits=18, decimal_places=VOLUME_DECIMALS, default=0)
    corrected_m3 = models.DecimalField(_("corrected (m³)"), max_digits=18, decimal_places=VOLUME_DECIMALS, default=0)
    held_m3 = models.DecimalField(_("held for review (m³)"), max_digits=18, decimal_places=VOLUME_DECIMALS, default=0)

    class Meta:
        ordering = ["meter", "day"]
        verbose_name = _("locked daily volume")
        verbose_name_plural = _("locked daily volumes")
        constraints = [
            models.UniqueConstraint(fields=["meter", "day"], name="water_lockedvolume_meter_day_uniq"),
        ]
        indexes = [
            models.Index(fields=["day"], name="water_lockedvolume_day_idx"),
            models.Index(fields=["lock"], name="water_lockedvolume_lock_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.meter_id} {self.day} (locked)"

    @property
    def volume_m3(self) -> Decimal:
        return self.measured_m3 + self.estimated_m3 + self.corrected_m3
