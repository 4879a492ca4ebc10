"""Reference geography. Geometries are in WGS84 (SRID 4326, core.geo); lengths and areas are computed
geodesically by services through core.geo and stored, never derived in degrees."""

from __future__ import annotations

from django.conf import settings
from django.contrib.gis.db import models
from django.db.models import F, Q
from django.db.models.functions import Now

from core.geo import WGS84_SRID
from places.choices import ChiefLevel, DivisionLevel, LakeKind


class TimeStamped(models.Model):
    created_at = models.DateTimeField(db_default=Now(), editable=False)
    updated_at = models.DateTimeField(db_default=Now(), editable=False)

    class Meta:
        abstract = True


class Division(TimeStamped):
    """An administrative division (行政区划) identified by its GB/T 2260 code: the city, its districts
    and county, townships and villages. Jurisdiction and scoping go by the code's prefix."""

    code = models.CharField("代码 code", max_length=12, unique=True)
    name = models.CharField("名称 name", max_length=100)
    name_en = models.CharField("英文名 English name", max_length=100, blank=True)
    level = models.CharField("级别 level", max_length=16, choices=DivisionLevel.choices)
    parent = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.PROTECT, related_name="children", verbose_name="上级 parent"
    )
    boundary = models.MultiPolygonField("边界 boundary", srid=WGS84_SRID, null=True, blank=True)
    area_m2 = models.FloatField("面积 area (m²)", null=True, blank=True, editable=False)

    class Meta:
        ordering = ["code"]
        verbose_name = "行政区 division"
        verbose_name_plural = "行政区 divisions"
        constraints = [
            models.CheckConstraint(condition=Q(level__in=DivisionLevel.values), name="places_division_level_valid"),
            models.CheckConstraint(condition=~Q(parent=F("id")), name="places_division_not_own_parent"),
        ]

    def __str__(self) -> str:
        return f"{self.name} ({self.code})"


class River(TimeStamped):
    """A river (河流) as a whole, managed by one division (the lowest that contains all of it)."""

    code = models.CharField("编码 code", max_length=32, unique=True)
    name = models.CharField("名称 name", max_length=100)
    name_en = models.CharField("英文名 English name", max_length=100, blank=True)
    division = models.ForeignKey(
        Division, on_delete=models.PROTECT, related_name="rivers", verbose_name="管理区 managing division"
    )
    geometry = models.MultiLineStringField("河道 geometry", srid=WGS84_SRID)
    length_m = models.FloatField("长度 length (m)", editable=False, default=0)

    class Meta:
        ordering = ["code"]
        verbose_name = "河流 river"
        verbose_name_plural = "河流 rivers"

    def __str__(self) -> str:
        return self.name


class Reach(TimeStamped):
    """A reach (河段): the part of a river inside one division, with its own chiefs."""

    code = models.CharField("编码 code", max_length=32, unique=True)
    name = models.CharField("名称 name", max_length=100)
    river = models.ForeignKey(River, on_delete=models.PROTECT, related_name="reaches", verbose_name="河流 river")
    division = models.ForeignKey(
        Division, on_delete=models.PROTECT, related_name="reaches", verbose_name="所在区 division"
    )
    geometry = models.MultiLineStringField("河段 geometry", srid=WGS84_SRID)
    length_m = models.FloatField("长度 length (m)", editable=False, default=0)
    start_description = models.CharField("起点 from", max_length=200, blank=True)
    end_description = models.CharField("终点 to", max_length=200, blank=True)

    class Meta:
        ordering = ["code"]
        verbose_name = "河段 reach"
        verbose_name_plural = "河段 reaches"

    def __str__(self) -> str:
        return self.name


class Lake(TimeStamped):
    """A lake or reservoir (湖泊/水库) as its water-surface polygon(s)."""

    code = models.CharField("编码 code", max_length=32, unique=True)
    name = models.CharField("名称 name", max_length=100)
    name_en = models.CharField("英文名 English name", max_length=100, blank=True)
    kind = models.CharField("类型 kind", max_length=16, choices=LakeKind.choices)
    division = models.ForeignKey(
        Division, on_delete=models.PROTECT, related_name="lakes", verbose_name="所在区 division"
    )
    geometry = models.MultiPolygonField("水面 geometry", srid=WGS84_SRID)
    area_m2 = models.FloatField("水面面积 area (m²)", editable=False, default=0)

    class Meta:
        ordering = ["code"]
        verbose_name = "湖库 lake/reservoir"
        verbose_name_plural = "湖库 lakes and reservoirs"
        constraints = [models.CheckConstraint(condition=Q(kind__in=LakeKind.values), name="places_lake_kind_valid")]

    def __str__(self) -> str:
        return self.name


class ChiefAssignment(TimeStamped):
    """A chief (河长/湖长) appointed at a level to a reach or a lake, from a date until a date."""

    chief = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="chief_assignments",
        verbose_name="河湖长 chief",
    )
    level = models.CharField("级别 level", max_length=16, choices=ChiefLevel.choices)
    reach = models.ForeignKey(
        Reach, null=True, blank=True, on_delete=models.PROTECT, related_name="assignments", verbose_name="河段 reach"
    )
    lake = models.ForeignKey(
        Lake, null=True, blank=True, on_delete=models.PROTECT, related_name="assignments", verbose_name="湖库 lake"
    )
    valid_from = models.DateField("任职起 from")
    valid_until = models.DateField("任职止 until", null=True, blank=True)

    class Meta:
        ordering = ["valid_from", "id"]
        verbose_name = "河湖长任命 chief assignment"
        verbose_name_plural = "河湖长任命 chief assignments"
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
