"""The reclaimed-water ledger (再生水台账): plants, projects, users and monthly volumes.

Quantities are stored in SI base units: volumes in m³ (1 t of water ≡ 1 m³ by convention, domain.md
§5.4 and §6, so "2 万吨/日" is 20,000 m³/d), capacities in m³/d, lengths in m, money in yuan. 10⁴ m³, km
and 10⁴ yuan appear only at the presentation edge. Geometries are WGS84 (core.geo); pipeline lengths
are computed geodesically by the services and stored.
"""

from __future__ import annotations

from django.contrib.gis.db import models
from django.db.models import F, Q
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from core.geo import WGS84_SRID
from core.models import TimeStamped
from places.models import Division
from reuse.choices import (
    SUB_USE_CLASS,
    EffluentStandard,
    PipeMaterial,
    PlantKind,
    ProjectKind,
    ProjectStatus,
    UseClass,
    VolumeSource,
)


def _sub_use_matches_class() -> Q:
    """Each sub-use belongs to exactly one GB/T 18919 class; an empty sub-use means "unspecified"."""
    q = Q(sub_use="")
    for use_class in UseClass.values:
        subs = [s for s, c in SUB_USE_CLASS.items() if c == use_class]
        q |= Q(use_class=use_class, sub_use__in=subs)
    return q


class Plant(TimeStamped):
    """A wastewater treatment plant (污水处理厂) whose effluent is, or may be, reclaimed. Its division
    decides who sees it and where its volumes count in the reuse rate. Design and actual capacity are
    kept apart: the rate uses treated volume, never capacity (domain.md §5.2, §5.4)."""

    code = models.CharField(_("code"), max_length=32, unique=True)
    name = models.CharField(_("name"), max_length=100)
    kind = models.CharField(_("kind"), max_length=24, choices=PlantKind.choices, default=PlantKind.MUNICIPAL)
    division = models.ForeignKey(
        Division, on_delete=models.PROTECT, related_name="reuse_plants", verbose_name=_("located in division")
    )
    location = models.PointField(_("location"), srid=WGS84_SRID)
    design_capacity_m3d = models.DecimalField(_("design capacity (m³/d)"), max_digits=12, decimal_places=2)
    actual_capacity_m3d = models.DecimalField(
        _("actual capacity (m³/d)"), max_digits=12, decimal_places=2, null=True, blank=True
    )
    effluent_standard = models.CharField(
        _("effluent standard"),
        max_length=16,
        choices=EffluentStandard.choices,
        default=EffluentStandard.GB18918_1A,
    )
    commissioned_on = models.DateField(_("commissioned on"), null=True, blank=True)
    operator_name = models.CharField(_("operator"), max_length=100, blank=True)

    class Meta:
        ordering = ["code"]
        verbose_name = _("wastewater plant")
        verbose_name_plural = _("wastewater plants")
        constraints = [
            models.CheckConstraint(condition=Q(kind__in=PlantKind.values), name="reuse_plant_kind_valid"),
            models.CheckConstraint(
                condition=Q(effluent_standard__in=EffluentStandard.values), name="reuse_plant_effluent_valid"
            ),
            models.CheckConstraint(condition=Q(design_capacity_m3d__gt=0), name="reuse_plant_design_positive"),
            models.CheckConstraint(
                condition=Q(actual_capacity_m3d__isnull=True) | Q(actual_capacity_m3d__gte=0),
                name="reuse_plant_actual_not_negative",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.name} ({self.code})"


class Project(TimeStamped):
    """A reclaimed-water project (再生水工程): a plant's tail-water reuse scheme, a lift pump station (a
    point), a pipeline network (a line whose geodesic length is stored) or another work. Status moves
    planned → under construction → completed → operating, each step with its date."""

    code = models.CharField(_("code"), max_length=32, unique=True)
    name = models.CharField(_("name"), max_length=100)
    kind = models.CharField(_("kind"), max_length=24, choices=ProjectKind.choices)
    status = models.CharField(_("status"), max_length=24, choices=ProjectStatus.choices, default=ProjectStatus.PLANNED)
    division = models.ForeignKey(
        Division, on_delete=models.PROTECT, related_name="reuse_projects", verbose_name=_("located in division")
    )
    plant = models.ForeignKey(
        Plant,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="projects",
        verbose_name=_("host plant"),
    )
    started_on = models.DateField(_("started on"), null=True, blank=True)
    completed_on = models.DateField(_("completed on"), null=True, blank=True)
    operating_since = models.DateField(_("operating since"), null=True, blank=True)
    investment_yuan = models.DecimalField(
        _("investment (yuan)"), max_digits=16, decimal_places=2, null=True, blank=True
    )
    capacity_m3d = models.DecimalField(_("capacity (m³/d)"), max_digits=12, decimal_places=2, null=True, blank=True)
    location = models.PointField(_("location"), srid=WGS84_SRID, null=True, blank=True)
    route = models.MultiLineStringField(_("route"), srid=WGS84_SRID, null=True, blank=True)
    length_m = models.FloatField(_("pipeline length (m)"), null=True, blank=True, editable=False)
    diameter_mm = models.PositiveIntegerField(_("diameter (mm)"), null=True, blank=True)
    material = models.CharField(_("material"), max_length=16, choices=PipeMaterial.choices, blank=True)
    description = models.TextField(_("explanatory note"), blank=True)

    class Meta:
        ordering = ["code"]
        verbose_name = _("reclaimed-water project")
        verbose_name_plural = _("reclaimed-water projects")
        constraints = [
            models.CheckConstraint(condition=Q(kind__in=ProjectKind.values), name="reuse_project_kind_valid"),
            models.CheckConstraint(condition=Q(status__in=ProjectStatus.values), name="reuse_project_status_valid"),
            models.CheckConstraint(
                condition=Q(material="") | Q(material__in=PipeMaterial.values), name="reuse_project_material_valid"
            ),
            models.CheckConstraint(
                condition=Q(started_on__isnull=True)
                | Q(completed_on__isnull=True)
                | Q(completed_on__gte=F("started_on")),
                name="reuse_project_completes_after_start",
            ),
            models.CheckConstraint(
                condition=Q(completed_on__isnull=True)
                | Q(operating_since__isnull=True)
                | Q(operating_since__gte=F("completed_on")),
                name="reuse_project_operates_after_completion",
            ),
            # A status has the dates of the steps it has passed and none of the steps still ahead.
            models.CheckConstraint(
                condition=(
                    Q(status=ProjectStatus.PLANNED)
                    & Q(started_on__isnull=True, completed_on__isnull=True, operating_since__isnull=True)
                )
                | (
                    Q(status=ProjectStatus.UNDER_CONSTRUCTION)
                    & Q(started_on__isnull=False, completed_on__isnull=True, operating_since__isnull=True)
                )
                | (
                    Q(status=ProjectStatus.COMPLETED)
                    & Q(started_on__isnull=False, completed_on__isnull=False, operating_since__isnull=True)
                )
                | (
                    Q(status=ProjectStatus.OPERATING)
                    & Q(started_on__isnull=False, completed_on__isnull=False, operating_since__isnull=False)
                ),
                name="reuse_project_status_has_dates",
            ),
            models.CheckConstraint(
                condition=(Q(kind=ProjectKind.PIPELINE) & Q(route__isnull=False) & Q(length_m__gt=0))
                | (~Q(kind=ProjectKind.PIPELINE) & Q(route__isnull=True)),
                name="reuse_project_pipeline_has_route",
            ),
            models.CheckConstraint(
                condition=~Q(kind=ProjectKind.PUMP_STATION) | Q(location__isnull=False),
                name="reuse_project_station_has_location",
            ),
            models.CheckConstraint(
                condition=Q(investment_yuan__isnull=True) | Q(investment_yuan__gte=0),
                name="reuse_project_investment_not_negative",
            ),
            models.CheckConstraint(
                condition=Q(capacity_m3d__isnull=True) | Q(capacity_m3d__gt=0),
                name="reuse_project_capacity_positive",
            ),
            models.CheckConstraint(
                condition=Q(diameter_mm__isnull=True) | Q(diameter_mm__gt=0), name="reuse_project_diameter_positive"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.name} ({self.code})"


class WaterUser(TimeStamped):
    """A reclaimed-water user (再生水用户): a park department, a factory, a landscape lake…, with its
    GB/T 18919 use class and sub-use, its supplying plant and its annual contract volume. A user whose
    intake is not metered has its volume recorded per use class instead (MonthlyDelivery.user empty)."""

    code = models.CharField(_("code"), max_length=32, unique=True)
    name = models.CharField(_("name"), max_length=100)
    division = models.ForeignKey(
        Division, on_delete=models.PROTECT, related_name="reuse_users", verbose_name=_("located in division")
    )
    plant = models.ForeignKey(
        Plant, null=True, blank=True, on_delete=models.PROTECT, related_name="users", verbose_name=_("supplying plant")
    )
    use_class = models.CharField(_("use class"), max_length=24, choices=UseClass.choices)
    sub_use = models.CharField(_("sub-use"), max_length=32, blank=True)
    contract_volume_m3 = models.DecimalField(
        _("annual contract volume (m³)"), max_digits=14, decimal_places=3, null=True, blank=True
    )
    metered = models.BooleanField(_("metered"), default=True)
    location = models.PointField(_("location"), srid=WGS84_SRID, null=True, blank=True)

    class Meta:
        ordering = ["code"]
        verbose_name = _("reclaimed-water user")
        verbose_name_plural = _("reclaimed-water users")
        constraints = [
            models.CheckConstraint(condition=Q(use_class__in=UseClass.values), name="reuse_user_class_valid"),
            models.CheckConstraint(condition=_sub_use_matches_class(), name="reuse_user_sub_use_in_class"),
            models.CheckConstraint(
                condition=Q(contract_volume_m3__isnull=True) | Q(contract_volume_m3__gte=0),
                name="reuse_user_contract_not_negative",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.name} ({self.code})"


class MonthlyPlantVolume(TimeStamped):
    """A plant's month: wastewater treated (the rate's denominator) and reclaimed water produced.
    `month` is the first day of the calendar month (Beijing calendar, like every period here)."""

    plant = models.ForeignKey(Plant, on_delete=models.PROTECT, related_name="volumes", verbose_name=_("plant"))
    month = models.DateField(pgettext_lazy("model field", "month"))
    treated_m3 = models.DecimalField(_("treated (m³)"), max_digits=14, decimal_places=3)
    produced_m3 = models.DecimalField(_("produced (m³)"), max_digits=14, decimal_places=3)
    source = models.CharField(_("source"), max_length=8, choices=VolumeSource.choices)

    class Meta:
        ordering = ["month", "plant__code"]
        verbose_name = _("plant monthly volume")
        verbose_name_plural = _("plant monthly volumes")
        constraints = [
            models.UniqueConstraint(fields=["plant", "month"], name="reuse_plantvolume_plant_month_uniq"),
            models.CheckConstraint(condition=Q(month__day=1), name="reuse_plantvolume_month_first_day"),
            models.CheckConstraint(condition=Q(treated_m3__gte=0), name="reuse_plantvolume_treated_not_negative"),
            models.CheckConstraint(condition=Q(produced_m3__gte=0), name="reuse_plantvolume_produced_not_negative"),
            # Reclaimed water is made from the wastewater the plant treated.
            models.CheckConstraint(
                condition=Q(produced_m3__lte=F("treated_m3")), name="reuse_plantvolume_produced_within_treated"
            ),
            models.CheckConstraint(condition=Q(source__in=VolumeSource.values), name="reuse_plantvolume_source_valid"),
        ]

    def __str__(self) -> str:
        return f"{self.plant_id} {self.month:%Y-%m}"


class MonthlyDelivery(TimeStamped):
    """Reclaimed water delivered (used) in a month from a plant: to one metered user, or, where users are
    not metered, to a use class (and sub-use) as a whole. The class is copied from the user when the row
    is written, so a later change of the user's class does not rewrite history."""

    plant = models.ForeignKey(
        Plant, on_delete=models.PROTECT, related_name="deliveries", verbose_name=_("supplying plant")
    )
    month = models.DateField(pgettext_lazy("model field", "month"))
    user = models.ForeignKey(
        WaterUser, null=True, blank=True, on_delete=models.PROTECT, related_name="deliveries", verbose_name=_("user")
    )
    use_class = models.CharField(_("use class"), max_length=24, choices=UseClass.choices)
    sub_use = models.CharField(_("sub-use"), max_length=32, blank=True)
    volume_m3 = models.DecimalField(_("volume used (m³)"), max_digits=14, decimal_places=3)
    source = models.CharField(_("source"), max_length=8, choices=VolumeSource.choices)

    class Meta:
        ordering = ["month", "plant__code", "id"]
        verbose_name = _("monthly delivery")
        verbose_name_plural = _("monthly deliveries")
        constraints = [
            models.UniqueConstraint(
                fields=["plant", "user", "month"],
                condition=Q(user__isnull=False),
                name="reuse_delivery_user_month_uniq",
            ),
            models.UniqueConstraint(
                fields=["plant", "month", "use_class", "sub_use"],
                condition=Q(user__isnull=True),
                name="reuse_delivery_class_month_uniq",
            ),
            models.CheckConstraint(condition=Q(month__day=1), name="reuse_delivery_month_first_day"),
            models.CheckConstraint(condition=Q(volume_m3__gte=0), name="reuse_delivery_volume_not_negative"),
            models.CheckConstraint(condition=Q(use_class__in=UseClass.values), name="reuse_delivery_class_valid"),
            models.CheckConstraint(condition=_sub_use_matches_class(), name="reuse_delivery_sub_use_in_class"),
            models.CheckConstraint(condition=Q(source__in=VolumeSource.values), name="reuse_delivery_source_valid"),
        ]
        indexes = [models.Index(fields=["month", "use_class"], name="reuse_delivery_month_class_idx")]

    def __str__(self) -> str:
        return f"{self.plant_id} {self.month:%Y-%m} {self.use_class} {self.volume_m3}"
