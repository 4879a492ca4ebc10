"""Annual water plans (versions and monthly allocations) and the red-line targets (issue 3 item 5)."""

from __future__ import annotations

from decimal import Decimal

from django.conf import settings
from django.contrib.gis.db import models
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db.models import Q
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from core.models import TimeStamped
from water.choices import WaterUse
from water.models.intakes import Intake

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
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("changed by"),
    )
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
