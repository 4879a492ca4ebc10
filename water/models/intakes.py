"""The intake ledger: intakes (取水口) and their meters, with the register's decimal sizes the
readings and volumes share.

Quantities are SI (m³, m³/s) and stored as Decimal where they are summed into ledgers; times are
aware and stored in UTC; days are Beijing calendar days (core.periods).
"""

from __future__ import annotations

from decimal import Decimal

from django.conf import settings
from django.contrib.gis.db import models
from django.core.exceptions import ValidationError
from django.core.validators import RegexValidator
from django.db.models import F, Q
from django.utils.translation import gettext_lazy as _

from core.geo import WGS84_SRID, out_of_china
from core.models import TimeStamped
from water.choices import Protocol, SourceType, WaterUse, WithdrawalMode

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
        "places.Lake",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="intakes",
        verbose_name=_("lake/reservoir"),
    )
    location = models.PointField(_("location"), srid=WGS84_SRID)
    division = models.ForeignKey(
        "places.Division", on_delete=models.PROTECT, related_name="intakes", verbose_name=_("located in division")
    )
    main_use = models.CharField(_("main use"), max_length=16, choices=WaterUse.choices)
    withdrawal_mode = models.CharField(_("withdrawal mode"), max_length=16, choices=WithdrawalMode.choices, blank=True)
    capacity_m3s = models.DecimalField(
        _("capacity (m³/s)"),
        max_digits=10,
        decimal_places=4,
        null=True,
        blank=True,
        help_text="Design intake flow. Readings implying more (× WATER_JUMP_TOLERANCE) are held for review.",
    )
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
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="meters",
        verbose_name=_("device account"),
        help_text="The device (RTU or gateway) account allowed to write this meter's readings.",
    )
    meter_type = models.CharField(_("meter type"), max_length=64, blank=True)
    rtu_address = models.CharField(_("RTU address"), max_length=32, blank=True)
    protocol = models.CharField(_("protocol"), max_length=16, choices=Protocol.choices, default=Protocol.HTTPS)
    # SL 651 frames carry a 2-byte password (domain.md §3.3); when one is set here, the gateway stores and
    # acknowledges only frames of this RTU that carry it (issue 14). Blank: not checked.
    rtu_password = models.CharField(
        _("RTU password"),
        max_length=4,
        blank=True,
        validators=[RegexValidator(r"^[0-9A-Fa-f]{4}$", _("Four hexadecimal digits, e.g. 1234."))],
        help_text=_("SL 651 only: four hexadecimal digits; the gateway refuses frames with another password."),
    )
    decoding_profile = models.CharField(_("decoding profile"), max_length=64, blank=True)
    register_max_m3 = models.DecimalField(
        _("register maximum (m³)"),
        max_digits=REGISTER_DIGITS,
        decimal_places=REGISTER_DECIMALS,
        null=True,
        blank=True,
        help_text="The register value at which it rolls over to zero; empty: never.",
    )
    multiplier = models.DecimalField(
        _("multiplier"),
        max_digits=12,
        decimal_places=6,
        default=Decimal(1),
        help_text="m³ per register count, applied by the telemetry decoders; API readings are already in m³.",
    )
    expected_interval_s = models.PositiveIntegerField(_("expected report interval (s)"), default=3600)
    calibrated_on = models.DateField(_("calibrated on"), null=True, blank=True)
    installed_at = models.DateTimeField(_("installed at"))
    install_reading_m3 = models.DecimalField(
        _("register at installation (m³)"),
        max_digits=REGISTER_DIGITS,
        decimal_places=REGISTER_DECIMALS,
        default=Decimal(0),
    )
    removed_at = models.DateTimeField(_("removed at"), null=True, blank=True)
    removal_reading_m3 = models.DecimalField(
        _("register at removal (m³)"),
        max_digits=REGISTER_DIGITS,
        decimal_places=REGISTER_DECIMALS,
        null=True,
        blank=True,
    )
    replaces = models.OneToOneField(
        "self",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="replaced_by",
        verbose_name=_("replaces"),
    )

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
        clash = [
            m
            for m in overlapping.exclude(rtu_address="").only("rtu_address")
            if normalise_rtu_address(m.rtu_address) == address
        ]
        if clash:
            raise ValidationError(
                {
                    "rtu_address": [
                        f"RTU address {address} is in use by another meter of the same protocol family "
                        "over an overlapping period; a replaced meter passes its RTU on through a "
                        "replacement."
                    ]
                }
            )
