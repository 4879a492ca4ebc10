"""Reference geography. Geometries are in WGS84 (SRID 4326, core.geo); lengths and areas are computed
geodesically by services through core.geo and stored, never derived in degrees."""

from __future__ import annotations

from django.conf import settings
from django.contrib.gis.db import models
from django.db.models import F, Q
from django.utils.translation import gettext_lazy as _

from core.geo import WGS84_SRID
from core.models import TimeStamped
from places.choices import ChiefLevel, DivisionLevel, LakeKind


class Division(TimeStamped):
    """An administrative division (行政区划) identified by its GB/T 2260 code: the city, its districts
    and county, townships and villages. Jurisdiction and scoping go by the code's prefix."""

    code = models.CharField(_("administrative code"), max_length=12, unique=True)
    name = models.CharField(_("name"), max_length=100)
    name_en = models.CharField(_("English name"), max_length=100, blank=True)
    level = models.CharField(_("level"), max_length=16, choices=DivisionLevel.choices)
    parent = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.PROTECT, related_name="children", verbose_name=_("parent")
    )
    boundary = models.MultiPolygonField(_("boundary"), srid=WGS84_SRID, null=True, blank=True)
    area_m2 = models.FloatField(_("area (m²)"), null=True, blank=True, editable=False)

    class Meta:
        ordering = ["code"]
        verbose_name = _("division")
        verbose_name_plural = _("divisions")
        constraints = [
            models.CheckConstraint(condition=Q(level__in=DivisionLevel.values), name="places_division_level_valid"),
            models.CheckConstraint(condition=~Q(parent=F("id")), name="places_division_not_own_parent"),
        ]

    def __str__(self) -> str:
        return f"{self.name} ({self.code})"


class River(TimeStamped):
    """A river (河流) as a whole, managed by one division (the lowest that contains all of it)."""

    code = models.CharField(_("code"), max_length=32, unique=True)
    name = models.CharField(_("name"), max_length=100)
    name_en = models.CharField(_("English name"), max_length=100, blank=True)
    division = models.ForeignKey(
        Division, on_delete=models.PROTECT, related_name="rivers", verbose_name=_("managing division")
    )
    geometry = models.MultiLineStringField(_("course"), srid=WGS84_SRID)
    length_m = models.FloatField(_("length (m)"), editable=False, default=0)

    class Meta:
        ordering = ["code"]
        verbose_name = _("river")
        verbose_name_plural = _("rivers")

    def __str__(self) -> str:
        return self.name


class Reach(TimeStamped):
    """A reach (河段): the part of a river inside one division, with its own chiefs."""

    code = models.CharField(_("code"), max_length=32, unique=True)
    name = models.CharField(_("name"), max_length=100)
    river = models.ForeignKey(River, on_delete=models.PROTECT, related_name="reaches", verbose_name=_("river"))
    division = models.ForeignKey(
        Division, on_delete=models.PROTECT, related_name="reaches", verbose_name=_("located in division")
    )
    geometry = models.MultiLineStringField(_("reach line"), srid=WGS84_SRID)
    length_m = models.FloatField(_("length (m)"), editable=False, default=0)
    start_description = models.CharField(_("starts at"), max_length=200, blank=True)
    end_description = models.CharField(_("ends at"), max_length=200, blank=True)

    class Meta:
        ordering = ["code"]
        verbose_name = _("reach")
        verbose_name_plural = _("reaches")

    def __str__(self) -> str:
        return self.name


class Lake(TimeStamped):
    """A lake or reservoir (湖泊/水库) as its water-surface polygon(s)."""

    code = models.CharField(_("code"), max_length=32, unique=True)
    name = models.CharField(_("name"), max_length=100)
    name_en = models.CharField(_("English name"), max_length=100, blank=True)
    kind = models.CharField(_("kind"), max_length=16, choices=LakeKind.choices)
    division = models.ForeignKey(
        Division, on_delete=models.PROTECT, related_name="lakes", verbose_name=_("located in division")
    )
    geometry = models.MultiPolygonField(_("water surface"), srid=WGS84_SRID)
    area_m2 = models.FloatField(_("water area (m²)"), editable=False, default=0)

    class Meta:
        ordering = ["code"]
        verbose_name = _("lake/reservoir")
        verbose_name_plural = _("lakes and reservoirs")
        constraints = [models.CheckConstraint(condition=Q(kind__in=LakeKind.values), name="places_lake_kind_valid")]

    def __str__(self) -> str:
        return self.name


class ChiefAssignment(TimeStamped):
    """A chief (河长/湖长) appointed at a level to a reach or a lake, from a date until a date."""

    chief = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="chief_assignments",
        verbose_name=_("chief"),
    )
    level = models.CharField(_("level"), max_length=16, choices=ChiefLevel.choices)
    reach = models.ForeignKey(
        Reach, null=True, blank=True, on_delete=models.PROTECT, related_name="assignments", verbose_name=_("reach")
    )
    lake = models.ForeignKey(
        Lake,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="assignments",
        verbose_name=_("lake/reservoir"),
    )
    valid_from = models.DateField(_("in office from"))
    valid_until = models.DateField(_("in office until"), null=True, blank=True)

    class Meta:
        ordering = ["valid_from", "id"]
        verbose_name = _("chief assignment")
        verbose_name_plural = _("chief assignments")
        constraints = [
            models.CheckConstraint(
                condition=(Q(reach__isnull=False) & Q(lake__isnull=True))
                | (Q(reach__isnull=True) & Q(lake__isnull=False)),
                name="places_assignment_reach_xor_lake",
            ),
            models.CheckConstraint(
                condition=Q(valid_until__isnull=True) | Q(valid_until__gte=F("valid_from")),
                name="places_assignment_dates_ordered",
            ),
            models.CheckConstraint(condition=Q(level__in=ChiefLevel.values), name="places_assignment_level_valid"),
        ]

    def __str__(self) -> str:
        return f"{self.chief} → {self.reach or self.lake} ({self.level})"
