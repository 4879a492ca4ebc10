"""Closed sets of the places app."""

from django.db import models

from core.divisions import DivisionLevel

__all__ = ["ChiefLevel", "DivisionLevel", "LakeKind", "PlaceKind"]


class LakeKind(models.TextChoices):
    LAKE = "lake", "湖泊 lake"
    RESERVOIR = "reservoir", "水库 reservoir"


class ChiefLevel(models.TextChoices):
    """domain.md §4.1: province → city → county/district → township → village (five levels)."""

    PROVINCE = "province", "省级 province"
    CITY = "city", "市级 city"
    DISTRICT = "district", "区县级 district/county"
    TOWNSHIP = "township", "乡镇级 township"
    VILLAGE = "village", "村级 village"


class PlaceKind(models.TextChoices):
    """What `import_places --kind` loads."""

    DIVISION = "division", "行政区 division"
    RIVER = "river", "河流 river"
    REACH = "reach", "河段 reach"
    LAKE = "lake", "湖库 lake/reservoir"
