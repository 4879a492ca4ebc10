"""Meter readings and the daily volumes kept from them."""

from __future__ import annotations

from decimal import Decimal

from django.contrib.gis.db import models
from django.db.models import Q
from django.db.models.functions import Now
from django.utils.translation import gettext_lazy as _

from water.choices import ReadingSource, Review
from water.models.intakes import REGISTER_DECIMALS, REGISTER_DIGITS, VOLUME_DECIMALS, Meter


class Reading(models.Model):
    """The cumulative register of a meter at an instant, as reported (or corrected).

    One row per (meter, instant): the composite primary key is the unique key, so a resend is a no-op
    and a different value for a stored instant is a conflict (only an audited correction changes it:
    the value first received stays in `original_cumulative_m3`). A reading the volume engine flags
    (a decrease that is not a rollover, a jump above the intake's capacity) is held out of the volumes
    until a reviewer accepts it or rejects it (`review`); rejected readings are kept, never deleted.

    The meter reference has no database foreign key on purpose: the FK trigger cost about 6 µs per
    row, more than the insert itself, on the 60,000 rows/s ingest path (measured on this machine).
    Integrity is kept by the services instead: the ingest writes only meter ids it has just looked up
    and locked in the same transaction, and a meter with readings cannot be deleted (PROTECT in the
    ORM, refused by services.meter_delete).
    """

    pk = models.CompositePrimaryKey("meter", "observed_at")
    meter = models.ForeignKey(
        Meter,
        on_delete=models.PROTECT,
        related_name="readings",
        db_constraint=False,
        db_index=False,
        verbose_name=_("meter"),
    )
    observed_at = models.DateTimeField(_("observed at"))
    cumulative_m3 = models.DecimalField(
        _("register (m³)"), max_digits=REGISTER_DIGITS, decimal_places=REGISTER_DECIMALS
    )
    flow_m3s = models.FloatField(_("flow (m³/s)"), null=True, blank=True)
    source = models.CharField(_("source"), max_length=16, choices=ReadingSource.choices)
    received_at = models.DateTimeField(_("received at"), db_default=Now(), editable=False)
    review = models.CharField(
        _("review"), max_length=16, choices=Review.choices, blank=True, default=Review.NONE, db_default=Review.NONE
    )
    corrected = models.BooleanField(_("has been corrected"), default=False, db_default=False)
    original_cumulative_m3 = models.DecimalField(
        _("value first received (m³)"),
        max_digits=REGISTER_DIGITS,
        decimal_places=REGISTER_DECIMALS,
        null=True,
        blank=True,
    )
    after_lock = models.BooleanField(
        _("amendment after lock"),
        default=False,
        db_default=False,
        help_text="Arrived or was corrected after its month of the ledger was locked (ledger review).",
    )
    raw_frame = models.BinaryField(_("raw frame"), null=True, blank=True, editable=False)

    class Meta:
        ordering = ["meter", "observed_at"]
        verbose_name = _("reading")
        verbose_name_plural = _("readings")
        indexes = [
            # The few readings the gateway's gap backfill fetched (monitoring's `backfilled_reports`): counted
            # for a year of 500 meters from this index in milliseconds instead of a 2 s pass over the
            # 17.6 million rows of the key. Partial, so the ingest path pays nothing for other readings.
            models.Index(
                fields=["meter", "observed_at"], condition=Q(source="rtu_backfill"), name="water_reading_backfill"
            ),
        ]
        constraints = [
            models.CheckConstraint(condition=Q(cumulative_m3__gte=0), name="water_reading_register_nonnegative"),
            models.CheckConstraint(
                condition=Q(flow_m3s__isnull=True) | Q(flow_m3s__gte=0), name="water_reading_flow_nonnegative"
            ),
            models.CheckConstraint(condition=Q(source__in=ReadingSource.values), name="water_reading_source_valid"),
            models.CheckConstraint(condition=Q(review__in=Review.values), name="water_reading_review_valid"),
            models.CheckConstraint(
                condition=Q(corrected=False) | Q(original_cumulative_m3__isnull=False),
                name="water_reading_correction_keeps_original",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.meter_id}@{self.observed_at.isoformat()}: {self.cumulative_m3} m³"

    @property
    def key(self) -> str:
        """The reading's identity in the audit log and in URLs: "<meter id>@<ISO instant in UTC>"."""
        return f"{self.meter_id}@{self.observed_at.isoformat()}"


class DailyVolume(models.Model):
    """The volume a meter measured in one Beijing calendar day, kept current by the ingest.

    Derived data: recomputed from the readings (water.rollups) for every day a batch, a correction
    or a review can change, in the same transaction. Quarterly and yearly figures are sums of these
    rows, never of raw readings. The volume is split by provenance; `held_m3` is what flagged readings
    would add if accepted; `covered_s` is the part of the day whose volume is measured or corrected
    (not estimated, not held), for coverage; `n_readings` counts reports observed in the day (not the
    install or removal readings, not rejected ones) and `n_flagged` the flagged readings awaiting review.
    For online monitoring (water.monitoring): `n_slots` counts the report slots of the day (the meter's
    interval laid from Beijing midnight) holding at least one report, `n_timely` the reports received
    within WATER_TIMELY_TOLERANCE_S of their instant.
    """

    meter = models.ForeignKey(
        Meter, on_delete=models.PROTECT, related_name="daily_volumes", db_index=False, verbose_name=_("meter")
    )
    day = models.DateField(_("day (Beijing)"))
    measured_m3 = models.DecimalField(_("measured (m³)"), max_digits=18, decimal_places=VOLUME_DECIMALS, default=0)
    estimated_m3 = models.DecimalField(_("estimated (m³)"), max_digits=18, decimal_places=VOLUME_DECIMALS, default=0)
    corrected_m3 = models.DecimalField(_("corrected (m³)"), max_digits=18, decimal_places=VOLUME_DECIMALS, default=0)
    held_m3 = models.DecimalField(_("held for review (m³)"), max_digits=18, decimal_places=VOLUME_DECIMALS, default=0)
    covered_s = models.FloatField(_("covered (s)"), default=0)
    n_readings = models.PositiveIntegerField(_("reports"), default=0)
    n_flagged = models.PositiveIntegerField(_("flagged readings"), default=0)
    n_slots = models.PositiveIntegerField(_("report slots filled"), default=0)
    n_timely = models.PositiveIntegerField(_("timely reports"), default=0)
    updated_at = models.DateTimeField(db_default=Now(), editable=False, verbose_name=_("updated at"))

    class Meta:
        ordering = ["meter", "day"]
        verbose_name = _("daily volume")
        verbose_name_plural = _("daily volumes")
        constraints = [
            models.UniqueConstraint(fields=["meter", "day"], name="water_dailyvolume_meter_day_uniq"),
            models.CheckConstraint(
                condition=Q(measured_m3__gte=0) & Q(estimated_m3__gte=0) & Q(corrected_m3__gte=0) & Q(held_m3__gte=0),
                name="water_dailyvolume_nonnegative",
            ),
            models.CheckConstraint(
                condition=Q(covered_s__gte=0) & Q(covered_s__lte=86400.001), name="water_dailyvolume_covered_range"
            ),
        ]
        # Every intake's quarter is a scan of a day range across all meters. The flagged-readings job
        # looks for the (few) days holding flagged readings across all time.
        indexes = [
            models.Index(fields=["day"], name="water_dailyvolume_day_idx"),
            models.Index(fields=["meter", "day"], condition=Q(n_flagged__gt=0), name="water_dailyvolume_flagged_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.meter_id} {self.day}: {self.volume_m3} m³"

    @property
    def volume_m3(self) -> Decimal:
        return self.measured_m3 + self.estimated_m3 + self.corrected_m3
