"""Closed sets of the places app."""

from django.db import models
from django.utils.translation import gettext_lazy as _

from core.divisions import DivisionLevel

__all__ = ["ChiefLevel", "DivisionLevel", "LakeKind", "PlaceKind"]


class LakeKind(models.TextChoices):
    LAKE = "lake", _("lake")
    RESERVOIR = "reservoir", _("reservoir")


class ChiefLevel(models.TextChoices):
    """domain.md §4.1: province → city → county/district → township → village (five levels)."""

    PROVINCE = "province", _("province level")
    CITY = "city", _("city level")
    DISTRICT = "district", _("district/county level")
    TOWNSHIP = "township", _("township level")
    VILLAGE = "village", _("village level")


class PlaceKind(models.TextChoices):
    """What `import_places --kind` loads."""

    DIVISION = "division", _("division")
    RIVER = "river", _("river")
    REACH = "reach", _("reach")
    LAKE = "lake", _("lake/reservoir")
