"""Water-quality monitoring: sections (断面/点位) and their samples with one result per item.

Results are stored as reported (non-detects keep their detection limit, not a substituted value) in
the item's canonical unit (gb3838.UnitKind: mg/L, count/L, °C, pH units). Classes are never stored:
they are computed for a period by `quality.selectors` through the classifier, so a change of the
rounding settings or a late sample cannot leave a stale class behind.
"""

from __future__ import annotations

from django.contrib.gis.db import models
from django.db.models import Q
from django.db.models.functions import Now
from django.utils.translation import gettext_lazy as _

from core.geo import WGS84_SRID
from places.models import Division, Lake, Reach
from quality import gb3838
from quality.choices import SampleSource, SectionCategory, WaterBody, WaterClass

ITEM_CODES = [item.code for item in gb3838.ITEMS]
WATER_TEMPERATURE = "w01010"
PH = "w01001"


class FunctionZone(models.Model):
    """A water-function zone (水功能区) with the class its water must meet (GB/T 50594 or the provincial
    zoning). Where sections are tied to it, its compliance for a period is computed from their
    evaluations (`quality.zone_selectors`); where none is, or none was evaluated in the period, the
    compliance declared by the environment side (`declared_compliant`, with its source) stands in."""

    code = models.CharField(_("code"), max_length=32, unique=True)
    name = models.CharField(_("name"), max_length=100)
    division = models.ForeignKey(
        Division, on_delete=models.PROTECT, related_name="function_zones", verbose_name=_("located in division")
    )
    target_class = models.PositiveSmallIntegerField(
        _("target class"), choices=WaterClass.choices[:5], help_text="class the zone's water must meet (Ⅰ–Ⅴ)"
    )
    key_zone = models.BooleanField(
        _("key zone"), default=True, help_text="an important zone counted in the red-line compliance rate"
    )
    declared_compliant = models.BooleanField(
        _("declared compliant"),
        null=True,
        blank=True,
        help_text="compliance as declared where no section of the zone was evaluated; empty: not declared",
    )
    declared_source = models.CharField(_("source of the declared compliance"), max_length=200, blank=True)
    note = models.CharField(_("note"), max_length=200, blank=True)
    created_at = models.DateTimeField(db_default=Now(), editable=False, verbose_name=_("created at"))
    updated_at = models.DateTimeField(db_default=Now(), editable=False, verbose_name=_("updated at"))

    class Meta:
        ordering = ["code"]
        verbose_name = _("water-function zone")
        verbose_name_plural = _("water-function zones")
        constraints = [
            models.CheckConstraint(condition=Q(target_class__gte=1, target_class__lte=5), name="quality_zone_target"),
        ]

    def __str__(self) -> str:
        return f"{self.name} ({self.code})"


class Section(models.Model):
    """A monitoring section on a river, or a point on a lake or reservoir, or the sampling point of a
    centralised drinking-water source: where samples are taken, which statistic it counts in, and
    the class its function zone must meet (the target class)."""

    code = models.CharField(_("code"), max_length=32, unique=True)
    name = models.CharField(_("name"), max_length=100)
    category = models.CharField(_("category"), max_length=16, choices=SectionCategory.choices)
    water_body = models.CharField(
        _("water body type"),
        max_length=8,
        choices=WaterBody.choices,
        editable=False,
        help_text="river or lake/reservoir: which TP column of GB 3838 applies (from the reach or lake)",
    )
    reach = models.ForeignKey(
        Reach,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="quality_sections",
        verbose_name=_("reach"),
    )
    lake = models.ForeignKey(
        Lake,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="quality_sections",
        verbose_name=_("lake/reservoir"),
    )
    division = models.ForeignKey(
        Division, on_delete=models.PROTECT, related_name="quality_sections", verbose_name=_("located in division")
    )
    location = models.PointField(_("location"), srid=WGS84_SRID)
    target_class = models.PositiveSmallIntegerField(
        _("target class"), choices=WaterClass.choices[:5], help_text="class of the water-function zone (Ⅰ–Ⅴ)"
    )
    function_zone = models.ForeignKey(
        FunctionZone,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="sections",
        verbose_name=_("water-function zone"),
        help_text="the zone whose compliance this section's evaluation counts in",
    )
    counts_in_statistics = models.BooleanField(
        _("counts in statistics"), default=True, help_text="whether it counts in the city's good-water shares"
    )
    note = models.CharField(_("note"), max_length=200, blank=True)
    created_at = models.DateTimeField(db_default=Now(), editable=False, verbose_name=_("created at"))
    updated_at = models.DateTimeField(db_default=Now(), editable=False, verbose_name=_("updated at"))

    class Meta:
        ordering = ["category", "code"]
        verbose_name = _("monitoring section")
        verbose_name_plural = _("monitoring sections")
        constraints = [
            models.CheckConstraint(condition=Q(category__in=SectionCategory.values), name="quality_section_category"),
            models.CheckConstraint(
                condition=(Q(reach__isnull=False) & Q(lake__isnull=True) & Q(water_body=WaterBody.RIVER))
                | (Q(reach__isnull=True) & Q(lake__isnull=False) & Q(water_body=WaterBody.LAKE)),
                name="quality_section_one_water_body",
            ),
            models.CheckConstraint(
                condition=~Q(category=SectionCategory.RIVER) | Q(water_body=WaterBody.RIVER),
                name="quality_section_river_on_reach",
            ),
            models.CheckConstraint(
                condition=~Q(category=SectionCategory.LAKE) | Q(water_body=WaterBody.LAKE),
                name="quality_section_lake_on_lake",
            ),
            models.CheckConstraint(
                condition=Q(target_class__gte=1, target_class__lte=5), name="quality_section_target"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.name} ({self.code})"


class SectionExclusion(models.Model):
    """Months a section is left out of the statistics, with the reason (a frozen river, a flood that
    stopped sampling): its results in those months are not used, and a report lists the exclusion.
    Whole Beijing calendar months, the unit the statistics are built on (quality.evaluation)."""

    section = models.ForeignKey(
        Section, on_delete=models.CASCADE, related_name="exclusions", verbose_name=_("section"), db_index=False
    )
    first_month = models.DateField(_("first month"), help_text="the first day of the first month left out")
    last_month = models.DateField(_("last month"), help_text="the first day of the last month left out")
    reason = models.CharField(_("reason"), max_length=200)
    created_by = models.CharField(_("created by"), max_length=150, editable=False)
    created_at = models.DateTimeField(db_default=Now(), editable=False, verbose_name=_("created at"))

    class Meta:
        ordering = ["section", "first_month"]
        verbose_name = _("exclusion from statistics")
        verbose_name_plural = _("exclusions from statistics")
        constraints = [
            models.CheckConstraint(
                condition=Q(last_month__gte=models.F("first_month")), name="quality_exclusion_order"
            ),
            models.CheckConstraint(condition=~Q(reason=""), name="quality_exclusion_reason"),
        ]
        indexes = [models.Index(fields=["section", "first_month"], name="quality_exclusion_section_idx")]

    def __str__(self) -> str:
        return f"{self.section_id} {self.first_month:%Y-%m}–{self.last_month:%Y-%m}: {self.reason}"

    def months(self) -> tuple[str, str]:
        """("2024-07", "2024-08"): the labels of its first and last month."""
        return f"{self.first_month:%Y-%m}", f"{self.last_month:%Y-%m}"


class Sample(models.Model):
    """One sampling event at a section: a lab sample, or one record of an automatic station."""

    # No separate FK index: the unique (section, sampled_at, source) index leads with it (stack-notes trap 5).
    section = models.ForeignKey(
        Section, on_delete=models.PROTECT, related_name="samples", verbose_name=_("section"), db_index=False
    )
    sampled_at = models.DateTimeField(_("sampled at"))
    source = models.CharField(_("source"), max_length=16, choices=SampleSource.choices)
    note = models.CharField(_("note"), max_length=200, blank=True)
    created_at = models.DateTimeField(db_default=Now(), editable=False, verbose_name=_("created at"))

    class Meta:
        ordering = ["-sampled_at", "id"]
        verbose_name = _("sample")
        verbose_name_plural = _("samples")
        constraints = [
            # A resend of the same sample is a duplicate, not a second sample.
            models.UniqueConstraint(fields=["section", "sampled_at", "source"], name="quality_sample_unique"),
            models.CheckConstraint(condition=Q(source__in=SampleSource.values), name="quality_sample_source"),
        ]
        indexes = [models.Index(fields=["sampled_at"], name="quality_sample_time_idx")]

    def __str__(self) -> str:
        return f"{self.section_id} @ {self.sampled_at:%Y-%m-%d %H:%M} ({self.source})"


class Measurement(models.Model):
    """One item's result in a sample, in the item's canonical unit: a value, or "not detected" with
    the detection limit (statistics use half of it)."""

    # No separate FK index: the unique (sample, item) index leads with it.
    sample = models.ForeignKey(
        Sample, on_delete=models.CASCADE, related_name="measurements", db_index=False, verbose_name=_("sample")
    )
    item = models.CharField(_("item"), max_length=8, choices=gb3838.ITEM_CHOICES)
    value = models.DecimalField(_("value"), max_digits=20, decimal_places=8, null=True, blank=True)
    below_detection_limit = models.BooleanField(_("below detection limit"), default=False)
    detection_limit = models.DecimalField(_("detection limit"), max_digits=20, decimal_places=8, null=True, blank=True)
    reported_unit = models.CharField(_("unit as reported"), max_length=16, blank=True)

    class Meta:
        ordering = ["sample_id", "item"]
        verbose_name = _("result")
        verbose_name_plural = _("results")
        constraints = [
            models.UniqueConstraint(fields=["sample", "item"], name="quality_measurement_unique"),
            models.CheckConstraint(condition=Q(item__in=ITEM_CODES), name="quality_measurement_item"),
            models.CheckConstraint(
                condition=(
                    Q(below_detection_limit=True, value__isnull=True, detection_limit__gt=0)
                    | Q(below_detection_limit=False, value__isnull=False, detection_limit__isnull=True)
                ),
                name="quality_measurement_value_or_limit",
            ),
            models.CheckConstraint(
                condition=Q(value__isnull=True) | Q(value__gte=0) | Q(item=WATER_TEMPERATURE),
                name="quality_measurement_not_negative",
            ),
            models.CheckConstraint(condition=~Q(item=PH) | Q(value__lte=14), name="quality_measurement_ph_range"),
        ]

    def __str__(self) -> str:
        shown = f"<{self.detection_limit}" if self.below_detection_limit else str(self.value)
        return f"{self.item} = {shown}"
