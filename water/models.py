"""The intake ledger (intakes and meters), meter readings and the daily volumes kept from them.

Quantities are SI (m³, m³/s) and stored as Decimal where they are summed into ledgers; times are
aware and stored in UTC; days are Beijing calendar days (core.periods).
"""

from __future__ import annotations

from decimal import Decimal

from django.conf import settings
from django.contrib.gis.db import models
from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator, RegexValidator
from django.db.models import F, Q
from django.db.models.functions import Now
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from core.geo import WGS84_SRID, out_of_china
from core.models import TimeStamped
from water.choices import (
    AlertKind,
    CommandKind,
    CommandSource,
    CommandState,
    Protocol,
    ReadingSource,
    Review,
    SourceType,
    TelemetryProtocol,
    WaterUse,
    WithdrawalMode,
)

REGISTER_DIGITS = 15  # up to 999,999,999,999.999 m³
REGISTER_DECIMALS = 3  # 1 L: the finest register resolution of intake meters
VOLUME_DECIMALS = 6  # daily shares of an interpolated interval, summed exactly


class Intake(TimeStamped):
    """A first-level intake point (一级取水口): head-works taking water directly from a river,
    reservoir, lake or aquifer, with its withdrawal permit (domain.md §2.6). Its division decides who
    sees it (jurisdiction prefix); its operators (取水户 accounts) see it too."""

    code = models.CharField(_("code"), max_length=32, unique=True)
    name = models.CharField(_("name"), max_length=100)
    source_type = models.CharField(_("source type"), max_length=16, choices=SourceType.choices)
    water_body_name = models.CharField(_("water body"), max_length=100, blank=True)
    river = models.ForeignKey(
        "places.River",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="intakes",
        verbose_name=_("river"),
    )
    lake = models.ForeignKey(
        "places.Lake", null=True, blank=True, on_delete=models.PROTECT, related_name="intakes",
        verbose_name=_("lake/reservoir"),
    )  # fmt: skip
    location = models.PointField(_("location"), srid=WGS84_SRID)
    division = models.ForeignKey(
        "places.Division", on_delete=models.PROTECT, related_name="intakes", verbose_name=_("located in division")
    )
    main_use = models.CharField(_("main use"), max_length=16, choices=WaterUse.choices)
    withdrawal_mode = models.CharField(_("withdrawal mode"), max_length=16, choices=WithdrawalMode.choices, blank=True)
    capacity_m3s = models.DecimalField(
        _("capacity (m³/s)"), max_digits=10, decimal_places=4, null=True, blank=True,
        help_text="Design intake flow. Readings implying more (× WATER_JUMP_TOLERANCE) are held for review.",
    )  # fmt: skip
    permit_number = models.CharField(_("permit number"), max_length=64, blank=True)
    permit_holder = models.CharField(_("permit holder"), max_length=200, blank=True)
    permitted_annual_m3 = models.DecimalField(
        _("permitted annual volume (m³)"), max_digits=14, decimal_places=2, null=True, blank=True
    )
    permit_valid_from = models.DateField(_("permit valid from"), null=True, blank=True)
    permit_valid_until = models.DateField(_("permit valid until"), null=True, blank=True)
    operators = models.ManyToManyField(
        settings.AUTH_USER_MODEL, blank=True, related_name="operated_intakes", verbose_name=_("operators")
    )
    notes = models.TextField(_("notes"), blank=True)

    class Meta:
        ordering = ["code"]
        verbose_name = _("intake")
        verbose_name_plural = _("intakes")
        constraints = [
            models.CheckConstraint(condition=Q(source_type__in=SourceType.values), name="water_intake_source_valid"),
            models.CheckConstraint(condition=Q(main_use__in=WaterUse.values), name="water_intake_use_valid"),
            models.CheckConstraint(
                condition=Q(withdrawal_mode__in=[*WithdrawalMode.values, ""]), name="water_intake_mode_valid"
            ),
            models.CheckConstraint(
                condition=Q(capacity_m3s__isnull=True) | Q(capacity_m3s__gt=0), name="water_intake_capacity_positive"
            ),
            models.CheckConstraint(
                condition=Q(permitted_annual_m3__isnull=True) | Q(permitted_annual_m3__gte=0),
                name="water_intake_permitted_nonnegative",
            ),
            models.CheckConstraint(
                condition=Q(permit_valid_until__isnull=True)
                | Q(permit_valid_from__isnull=True)
                | Q(permit_valid_until__gte=F("permit_valid_from")),
                name="water_intake_permit_dates_ordered",
            ),
            models.CheckConstraint(
                condition=Q(river__isnull=True) | Q(lake__isnull=True), name="water_intake_river_or_lake"
            ),
        ]

    def clean(self) -> None:
        # Like patrol tracks (patrols.track): a position outside China's bounds is a typo or swapped
        # lon/lat, never an intake of this bureau (issue 14: (-70, -40) was accepted).
        super().clean()
        if self.location is not None and out_of_china(self.location.x, self.location.y):
            where = f"({self.location.x}, {self.location.y})"
            raise ValidationError({"location": f"{where} is outside China's bounds (lon 72–138, lat 0.8–56)"})

    def __str__(self) -> str:
        return f"{self.name} ({self.code})"


# Codec families: SL/T 427 frames are SZY 206 (68H) frames, so the two share one address space
# (water.telemetry.spec.PROTOCOL_FAMILY says the same for the gateway).
RTU_FAMILY = {"szy206": "szy206", "sl427": "szy206", "sl651": "sl651"}
RTU_SEPARATORS = " -:|"


def normalise_rtu_address(text: str) -> str:
    """An RTU address as the gateway compares it: separators dropped, upper case."""
    return "".join(c for c in text if c not in RTU_SEPARATORS).upper()


class Meter(TimeStamped):
    """A flow meter on an intake, with its RTU, installed from one instant (with the register then)
    until it is removed (with the register then). A replacement closes one meter and opens the next
    (`replaces`); it is an explicit event (services.meter_replace), never guessed from the readings."""

    serial = models.CharField(_("serial"), max_length=64, unique=True)
    intake = models.ForeignKey(Intake, on_delete=models.PROTECT, related_name="meters", verbose_name=_("intake"))
    device = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="meters",
        verbose_name=_("device account"),
        help_text="The device (RTU or gateway) account allowed to write this meter's readings.",
    )  # fmt: skip
    meter_type = models.CharField(_("meter type"), max_length=64, blank=True)
    rtu_address = models.CharField(_("RTU address"), max_length=32, blank=True)
    protocol = models.CharField(_("protocol"), max_length=16, choices=Protocol.choices, default=Protocol.HTTPS)
    # SL 651 frames carry a 2-byte password (domain.md §3.3); when one is set here, the gateway stores and
    # acknowledges only frames of this RTU that carry it (issue 14). Blank: not checked.
    rtu_password = models.CharField(
        _("RTU password"), max_length=4, blank=True,
        validators=[RegexValidator(r"^[0-9A-Fa-f]{4}$", _("Four hexadecimal digits, e.g. 1234."))],
        help_text=_("SL 651 only: four hexadecimal digits; the gateway refuses frames with another password."),
    )  # fmt: skip
    decoding_profile = models.CharField(_("decoding profile"), max_length=64, blank=True)
    register_max_m3 = models.DecimalField(
        _("register maximum (m³)"), max_digits=REGISTER_DIGITS, decimal_places=REGISTER_DECIMALS,
        null=True, blank=True, help_text="The register value at which it rolls over to zero; empty: never.",
    )  # fmt: skip
    multiplier = models.DecimalField(
        _("multiplier"), max_digits=12, decimal_places=6, default=Decimal(1),
        help_text="m³ per register count, applied by the telemetry decoders; API readings are already in m³.",
    )  # fmt: skip
    expected_interval_s = models.PositiveIntegerField(_("expected report interval (s)"), default=3600)
    calibrated_on = models.DateField(_("calibrated on"), null=True, blank=True)
    installed_at = models.DateTimeField(_("installed at"))
    install_reading_m3 = models.DecimalField(
        _("register at installation (m³)"), max_digits=REGISTER_DIGITS, decimal_places=REGISTER_DECIMALS,
        default=Decimal(0),
    )  # fmt: skip
    removed_at = models.DateTimeField(_("removed at"), null=True, blank=True)
    removal_reading_m3 = models.DecimalField(
        _("register at removal (m³)"), max_digits=REGISTER_DIGITS, decimal_places=REGISTER_DECIMALS,
        null=True, blank=True,
    )  # fmt: skip
    replaces = models.OneToOneField(
        "self", null=True, blank=True, on_delete=models.PROTECT, related_name="replaced_by",
        verbose_name=_("replaces"),
    )  # fmt: skip

    class Meta:
        ordering = ["serial"]
        verbose_name = _("meter")
        verbose_name_plural = _("meters")
        constraints = [
            models.CheckConstraint(condition=Q(protocol__in=Protocol.values), name="water_meter_protocol_valid"),
            models.CheckConstraint(condition=Q(expected_interval_s__gt=0), name="water_meter_interval_positive"),
            models.CheckConstraint(condition=Q(multiplier__gt=0), name="water_meter_multiplier_positive"),
            models.CheckConstraint(
                condition=Q(register_max_m3__isnull=True) | Q(register_max_m3__gt=0),
                name="water_meter_register_max_positive",
            ),
            models.CheckConstraint(condition=Q(install_reading_m3__gte=0), name="water_meter_install_nonnegative"),
            models.CheckConstraint(
                condition=Q(register_max_m3__isnull=True) | Q(install_reading_m3__lt=F("register_max_m3")),
                name="water_meter_install_below_max",
            ),
            models.CheckConstraint(
                condition=(Q(removed_at__isnull=True) & Q(removal_reading_m3__isnull=True))
                | (Q(removed_at__gt=F("installed_at")) & Q(removal_reading_m3__gte=0)),
                name="water_meter_removal_complete",
            ),
            models.CheckConstraint(condition=~Q(replaces=F("id")), name="water_meter_not_own_predecessor"),
        ]
        # Also in the database, outside Meta because the two backends spell it differently (migration
        # 0007): no two meters with one RTU address in one protocol family over overlapping installation
        # periods, half-open [installed_at, removed_at): an explicit replacement (the old meter removed at
        # the instant the new one is installed) does not overlap. PostGIS: an exclusion constraint;
        # SpatiaLite: triggers. Issue 14: a district reviewer took over another district's RTU by giving
        # a new meter its address.

    def __str__(self) -> str:
        return self.serial

    def clean(self) -> None:
        super().clean()
        family = RTU_FAMILY.get(self.protocol, "")
        address = normalise_rtu_address(self.rtu_address or "")
        if not family or not address or self.installed_at is None:
            return
        overlapping = (
            Meter.objects.filter(protocol__in=[p for p, f in RTU_FAMILY.items() if f == family])
            .exclude(pk=self.pk)
            .exclude(removed_at__isnull=False, removed_at__lte=self.installed_at)
        )
        if self.removed_at is not None:
            overlapping = overlapping.filter(installed_at__lt=self.removed_at)
        # Addresses are compared as the gateway compares them (separators ignored, upper case); a meter
        # outside the caller's scope is named by no more than this message.
        clash = [m for m in overlapping.exclude(rtu_address="").only("rtu_address")
                 if normalise_rtu_address(m.rtu_address) == address]  # fmt: skip
        if clash:
            raise ValidationError(
                {"rtu_address": [f"RTU address {address} is in use by another meter of the same protocol family "
                                 "over an overlapping period; a replaced meter passes its RTU on through a "
                                 "replacement."]}
            )  # fmt: skip


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
        Meter, on_delete=models.PROTECT, related_name="readings", db_constraint=False, db_index=False,
        verbose_name=_("meter"),
    )  # fmt: skip
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
        _("value first received (m³)"), max_digits=REGISTER_DIGITS, decimal_places=REGISTER_DECIMALS,
        null=True, blank=True,
    )  # fmt: skip
    after_lock = models.BooleanField(
        _("amendment after lock"), default=False, db_default=False,
        help_text="Arrived or was corrected after its month of the ledger was locked (ledger review).",
    )  # fmt: skip
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


# ------------------------------------------------------------------------------ plans and red lines
# Issue 3 items 5 (plans, red lines) and 6 (ledger review and lock). Kept at the end of the module so
# that the monitoring models (item 4, built alongside) merge without touching these lines.

PLAN_VOLUME_DIGITS = 14  # up to 999,999,999,999.99 m³ per line
PLAN_VOLUME_DECIMALS = 2
# Field validators name the wrong field in a 400; the CheckConstraints below hold the same rules in
# the database.
_NONNEGATIVE = [MinValueValidator(0)]
_POSITIVE = [MinValueValidator(Decimal("0.01"))]
_FRACTION = [MinValueValidator(0), MaxValueValidator(1)]


class WaterPlan(TimeStamped):
    """The annual supply-and-use plan (年度供用水计划) of one division for one calendar year: volumes
    allocated to its intakes per month (domain.md §2.5). The allocations live in versions: version 1
    is the plan as issued, every amendment (调整) is the next version with its reason, author and time,
    so the plan as it stood at any past moment can be read back. `version` is the current one."""

    year = models.PositiveSmallIntegerField(pgettext_lazy("model field", "year"))
    division = models.ForeignKey(
        "places.Division", on_delete=models.PROTECT, related_name="water_plans", verbose_name=_("division")
    )
    title = models.CharField(_("title"), max_length=200)
    notes = models.TextField(_("notes"), blank=True)
    version = models.PositiveIntegerField(_("current version"), default=1)

    class Meta:
        ordering = ["-year", "division__code"]
        verbose_name = _("water plan")
        verbose_name_plural = _("water plans")
        constraints = [
            models.UniqueConstraint(fields=["year", "division"], name="water_plan_year_division_uniq"),
            models.CheckConstraint(condition=Q(year__gte=2000) & Q(year__lte=2100), name="water_plan_year_range"),
            models.CheckConstraint(condition=Q(version__gte=1), name="water_plan_version_positive"),
        ]

    def __str__(self) -> str:
        return f"{self.title} ({self.year})"


class PlanVersion(models.Model):
    """One version of a plan's allocations: the issue (number 1) or an amendment, effective from
    `created_at` until the next version. Each version holds the whole set of lines, so a past figure
    is one lookup, never a replay of changes."""

    plan = models.ForeignKey(WaterPlan, on_delete=models.CASCADE, related_name="versions", verbose_name=_("plan"))
    number = models.PositiveIntegerField(_("number"))
    reason = models.TextField(_("reason for the change"))
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+",
        verbose_name=_("changed by"),
    )  # fmt: skip
    created_by_label = models.CharField(_("changed by (name)"), max_length=150, blank=True)
    created_at = models.DateTimeField(_("effective from"))

    class Meta:
        ordering = ["plan", "number"]
        verbose_name = _("plan version")
        verbose_name_plural = _("plan versions")
        constraints = [
            models.UniqueConstraint(fields=["plan", "number"], name="water_planversion_plan_number_uniq"),
            models.CheckConstraint(condition=Q(number__gte=1), name="water_planversion_number_positive"),
        ]

    def __str__(self) -> str:
        return f"{self.plan_id} v{self.number}"


class PlanAllocation(models.Model):
    """A plan line: the volume (m³) allocated to one intake in one month of the plan year, in one
    version, optionally for one use (the unit's split by use type, domain.md §2.5; blank: the intake's
    main use). The source is the intake's own source type, so it is not repeated here."""

    version = models.ForeignKey(
        PlanVersion, on_delete=models.CASCADE, related_name="allocations", verbose_name=_("version")
    )
    intake = models.ForeignKey(
        Intake, on_delete=models.PROTECT, related_name="plan_allocations", verbose_name=_("intake")
    )
    month = models.PositiveSmallIntegerField(pgettext_lazy("model field", "month"))
    use = models.CharField(_("use"), max_length=16, choices=WaterUse.choices, blank=True, default="")
    volume_m3 = models.DecimalField(
        _("allocated (m³)"), max_digits=PLAN_VOLUME_DIGITS, decimal_places=PLAN_VOLUME_DECIMALS
    )

    class Meta:
        ordering = ["version", "intake", "month", "use"]
        verbose_name = _("plan allocation")
        verbose_name_plural = _("plan allocations")
        constraints = [
            models.UniqueConstraint(
                fields=["version", "intake", "month", "use"], name="water_planallocation_line_uniq"
            ),
            models.CheckConstraint(condition=Q(month__gte=1) & Q(month__lte=12), name="water_planallocation_month"),
            models.CheckConstraint(condition=Q(volume_m3__gte=0), name="water_planallocation_nonnegative"),
            models.CheckConstraint(condition=Q(use__in=[*WaterUse.values, ""]), name="water_planallocation_use_valid"),
        ]

    def __str__(self) -> str:
        return f"{self.intake_id} {self.month:02d}: {self.volume_m3} m³"


class RedLineTarget(TimeStamped):
    """The "three red lines" (三条红线) of one division for one year (domain.md §2.1–2.4): the targets,
    and the actuals the system cannot measure, entered with their source (GDP and industrial value
    added from the statistics bureau, the irrigation coefficient from the sample districts, the
    function-zone compliance rate from the environment side). Total use is measured by the system
    (the metered intakes), so it has a target here but no entered actual."""

    year = models.PositiveSmallIntegerField(pgettext_lazy("model field", "year"))
    division = models.ForeignKey(
        "places.Division", on_delete=models.PROTECT, related_name="red_lines", verbose_name=_("division")
    )
    total_use_cap_m3 = models.DecimalField(
        _("total use cap (m³)"),
        max_digits=16,
        decimal_places=2,
        null=True,
        blank=True,
        validators=_NONNEGATIVE,
    )
    per_gdp_target = models.DecimalField(
        _("GDP water-use target (m³/10⁴ yuan)"),
        max_digits=12,
        decimal_places=3,
        null=True,
        blank=True,
        validators=_NONNEGATIVE,
    )
    per_iva_target = models.DecimalField(
        _("industrial water-use target (m³/10⁴ yuan)"),
        max_digits=12,
        decimal_places=3,
        null=True,
        blank=True,
        validators=_NONNEGATIVE,
    )
    irrigation_target = models.DecimalField(
        _("irrigation coefficient target"),
        max_digits=5,
        decimal_places=3,
        null=True,
        blank=True,
        validators=_FRACTION,
    )
    zone_compliance_target = models.DecimalField(
        _("zone compliance target (0–1)"),
        max_digits=6,
        decimal_places=4,
        null=True,
        blank=True,
        validators=_FRACTION,
    )
    gdp_10k_yuan = models.DecimalField(
        _("GDP (10⁴ yuan)"), max_digits=16, decimal_places=2, null=True, blank=True, validators=_POSITIVE
    )
    gdp_source = models.CharField(_("GDP source"), max_length=200, blank=True)
    iva_10k_yuan = models.DecimalField(
        _("industrial value added (10⁴ yuan)"),
        max_digits=16,
        decimal_places=2,
        null=True,
        blank=True,
        validators=_POSITIVE,
    )
    iva_source = models.CharField(_("IVA source"), max_length=200, blank=True)
    irrigation_coefficient = models.DecimalField(
        _("irrigation coefficient"),
        max_digits=5,
        decimal_places=3,
        null=True,
        blank=True,
        validators=_FRACTION,
    )
    irrigation_source = models.CharField(_("coefficient source"), max_length=200, blank=True)
    zone_compliance = models.DecimalField(
        _("zone compliance (0–1)"),
        max_digits=6,
        decimal_places=4,
        null=True,
        blank=True,
        validators=_FRACTION,
    )
    zone_compliance_source = models.CharField(_("compliance source and method"), max_length=200, blank=True)
    notes = models.TextField(_("notes"), blank=True)

    class Meta:
        ordering = ["-year", "division__code"]
        verbose_name = _("red-line targets")
        verbose_name_plural = _("red-line targets")
        constraints = [
            models.UniqueConstraint(fields=["year", "division"], name="water_redline_year_division_uniq"),
            models.CheckConstraint(condition=Q(year__gte=2000) & Q(year__lte=2100), name="water_redline_year_range"),
            models.CheckConstraint(
                condition=(Q(total_use_cap_m3__isnull=True) | Q(total_use_cap_m3__gte=0))
                & (Q(per_gdp_target__isnull=True) | Q(per_gdp_target__gte=0))
                & (Q(per_iva_target__isnull=True) | Q(per_iva_target__gte=0)),
                name="water_redline_targets_nonnegative",
            ),
            models.CheckConstraint(
                condition=(Q(gdp_10k_yuan__isnull=True) | Q(gdp_10k_yuan__gt=0))
                & (Q(iva_10k_yuan__isnull=True) | Q(iva_10k_yuan__gt=0)),
                name="water_redline_economy_positive",
            ),
            models.CheckConstraint(
                condition=(Q(irrigation_target__isnull=True) | Q(irrigation_target__gte=0, irrigation_target__lte=1))
                & (
                    Q(irrigation_coefficient__isnull=True)
                    | Q(irrigation_coefficient__gte=0, irrigation_coefficient__lte=1)
                )
                & (
                    Q(zone_compliance_target__isnull=True)
                    | Q(zone_compliance_target__gte=0, zone_compliance_target__lte=1)
                )
                & (Q(zone_compliance__isnull=True) | Q(zone_compliance__gte=0, zone_compliance__lte=1)),
                name="water_redline_fractions_range",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.division_id} {self.year}"


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
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+",
        verbose_name=_("locked by"),
    )  # fmt: skip
    locked_by_label = models.CharField(_("locked by (label)"), max_length=150, blank=True)
    locked_at = models.DateTimeField(_("locked at"))
    note = models.TextField(_("review note"), blank=True)
    unlocked_at = models.DateTimeField(_("unlocked at"), null=True, blank=True)
    unlocked_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+",
        verbose_name=_("unlocked by"),
    )  # fmt: skip
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


# ------------------------------------------------------------------------------- monitoring alerts


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
        Intake, on_delete=models.CASCADE, related_name="alerts", verbose_name=_("intake"),
        help_text="The intake concerned (a meter's intake for meter alerts); decides who sees the alert.",
    )  # fmt: skip
    meter = models.ForeignKey(
        Meter, null=True, blank=True, on_delete=models.CASCADE, related_name="alerts", verbose_name=_("meter")
    )
    raised_at = models.DateTimeField(_("raised at"))
    last_seen_at = models.DateTimeField(_("condition last seen at"))
    resolved_at = models.DateTimeField(_("resolved at"), null=True, blank=True)
    details = models.JSONField(_("details"), default=dict, blank=True)
    acknowledged_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+",
        verbose_name=_("acknowledged by"),
    )  # fmt: skip
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


# --------------------------------------------------------------------------------------- telemetry gateway


class TelemetryStation(models.Model):
    """What the telemetry gateway saw from one RTU station address: traffic and refusal counters, when it
    was last heard and from where, and the meter the address maps to (none: an unknown station, shown to
    admins so it can be commissioned).

    Counters only grow; the gateway adds what it counted in memory every few seconds (not per frame) and on
    shutdown (water.telemetry.services.station_counters_add). `address` is the 5-byte station address as
    sent, as 10 upper-case hex digits: the same text a meter's `rtu_address` must hold.
    """

    protocol = models.CharField(_("protocol"), max_length=8, choices=TelemetryProtocol.choices)
    address = models.CharField(_("station address"), max_length=16)
    meter = models.ForeignKey(
        Meter, null=True, blank=True, on_delete=models.SET_NULL, related_name="telemetry_stations",
        verbose_name=_("meter"),
    )  # fmt: skip
    frames = models.PositiveBigIntegerField(_("frames received"), default=0)
    bad_crc = models.PositiveBigIntegerField(_("bad CRC"), default=0)
    unknown_elements = models.PositiveBigIntegerField(_("unknown elements"), default=0)
    decode_errors = models.PositiveBigIntegerField(_("decode errors"), default=0)
    readings_stored = models.PositiveBigIntegerField(_("readings stored"), default=0)
    readings_duplicate = models.PositiveBigIntegerField(_("duplicate readings"), default=0)
    readings_refused = models.PositiveBigIntegerField(_("readings refused"), default=0)
    acks_sent = models.PositiveBigIntegerField(_("acknowledgements sent"), default=0)
    # SL 651 frames whose password is not the meter's rtu_password (issue 14): neither stored nor acknowledged.
    bad_password = models.PositiveBigIntegerField(_("wrong password"), default=0)
    # Values sent as "no data" (all FF / all AA bytes, domain.md §3.3a): recorded as missing, not an error.
    missing_values = models.PositiveBigIntegerField(_("missing values"), default=0)
    # Station clock minus arrival time (s) of its latest frame that carries a send time or clock (SL 651 send
    # time, 51H clock reply): positive = the station's clock runs ahead. Null until one was seen.
    clock_drift_s = models.FloatField(_("clock drift (s)"), null=True, blank=True)
    first_seen = models.DateTimeField(_("first seen"), null=True, blank=True)
    last_seen = models.DateTimeField(_("last seen"), null=True, blank=True)
    last_remote = models.CharField(_("last remote address"), max_length=64, blank=True)
    last_error = models.CharField(_("last error"), max_length=200, blank=True)
    updated_at = models.DateTimeField(db_default=Now(), editable=False, verbose_name=_("updated at"))

    class Meta:
        ordering = ["protocol", "address"]
        verbose_name = _("telemetry station")
        verbose_name_plural = _("telemetry stations")
        constraints = [
            models.UniqueConstraint(fields=["protocol", "address"], name="water_telemetrystation_uniq"),
            models.CheckConstraint(
                condition=Q(protocol__in=TelemetryProtocol.values), name="water_telemetrystation_protocol_valid"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.protocol}:{self.address}"


class StationCommand(models.Model):
    """One command the centre sends a station through the telemetry gateway (issue 18 downlink): a per-station
    queue. The gateway delivers a queued command while the station is connected (M4, or while an uplink holds
    the link), matches the answer to it (SL 651: function and serial; SZY 206: AFN), retries a bounded number
    of times after a timeout, and stores every state change (`StationCommandEvent`)."""

    meter = models.ForeignKey(Meter, on_delete=models.CASCADE, related_name="station_commands", verbose_name=_("meter"))
    protocol = models.CharField(_("protocol"), max_length=8, choices=TelemetryProtocol.choices)
    address = models.CharField(_("station address"), max_length=16)
    kind = models.CharField(_("command"), max_length=16, choices=CommandKind.choices)
    params = models.JSONField(_("parameters"), default=dict, blank=True)
    source = models.CharField(_("source"), max_length=16, choices=CommandSource.choices, default="manual")
    state = models.CharField(_("state"), max_length=16, choices=CommandState.choices, default="queued")
    attempts = models.PositiveSmallIntegerField(_("attempts"), default=0)
    max_attempts = models.PositiveSmallIntegerField(_("max attempts"), default=3)
    serial = models.PositiveIntegerField(_("serial number"), null=True, blank=True)
    answer = models.JSONField(_("answer"), null=True, blank=True)
    error = models.CharField(_("error"), max_length=200, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+",
        verbose_name=_("created by"),
    )  # fmt: skip
    created_at = models.DateTimeField(_("created"), db_default=Now())
    sent_at = models.DateTimeField(_("sent"), null=True, blank=True)
    answered_at = models.DateTimeField(_("answered"), null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = _("station command")
        verbose_name_plural = _("station commands")
        indexes = [models.Index(fields=["protocol", "address", "state"], name="water_stcmd_station_state")]
        constraints = [
            models.CheckConstraint(condition=Q(kind__in=CommandKind.values), name="water_stationcommand_kind_valid"),
            models.CheckConstraint(condition=Q(state__in=CommandState.values), name="water_stationcommand_state_valid"),
        ]

    def __str__(self) -> str:
        return f"{self.kind} → {self.protocol}:{self.address} ({self.state})"


class StationCommandEvent(models.Model):
    """Every state change of a `StationCommand`, with when and why."""

    command = models.ForeignKey(
        StationCommand, on_delete=models.CASCADE, related_name="events", verbose_name=_("command")
    )
    state = models.CharField(_("state"), max_length=16, choices=CommandState.choices)
    at = models.DateTimeField(_("time"))
    detail = models.CharField(_("detail"), max_length=200, blank=True)

    class Meta:
        ordering = ["at", "id"]
        verbose_name = _("command event")
        verbose_name_plural = _("command events")

    def __str__(self) -> str:
        return f"{self.command_id} {self.state} {self.at:%Y-%m-%d %H:%M:%S}"
