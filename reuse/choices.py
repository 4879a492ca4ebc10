"""Closed sets of the reuse app.

Use classes and sub-uses follow GB/T 18919-2002 *Municipal wastewater reuse — classification*
(domain.md §5.3): five classes, each with its sub-uses. Ecological replenishment (生态补水) is listed by
domain.md as an environmental use; it is a sub-use of its own here because whether it counts towards
the reuse rate is a setting (reuse.conf).
"""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _


class PlantKind(models.TextChoices):
    """Whether industrial-park plants count in the rate is a local practice (domain.md §5.2), so the
    kind is recorded and the rate's choice is a setting (REUSE_RATE_COUNT_INDUSTRIAL_PARK_PLANTS)."""

    MUNICIPAL = "municipal", _("municipal wastewater plant")
    INDUSTRIAL_PARK = "industrial_park", _("industrial-park wastewater plant")


class EffluentStandard(models.TextChoices):
    """Discharge grade the plant's effluent meets (GB 18918-2002 grades, or a stricter local one)."""

    GB18918_1A = "gb18918_1a", _("GB 18918 class 1A")
    GB18918_1B = "gb18918_1b", _("GB 18918 class 1B")
    GB18918_2 = "gb18918_2", _("GB 18918 class 2")
    GB18918_3 = "gb18918_3", _("GB 18918 class 3")
    LOCAL = "local", _("local standard")
    OTHER = "other", _("other")


class ProjectKind(models.TextChoices):
    TAIL_WATER_REUSE = "tail_water_reuse", _("tail-water reuse")
    PUMP_STATION = "pump_station", _("lift pump station")
    PIPELINE = "pipeline", _("pipeline network")
    OTHER = "other", _("other")


class ProjectStatus(models.TextChoices):
    """planned → under construction → completed → operating; each step records its date."""

    PLANNED = "planned", _("planned")
    UNDER_CONSTRUCTION = "under_construction", _("under construction")
    COMPLETED = "completed", _("construction completed")
    OPERATING = "operating", _("operating")


# The forward order of the workflow and the date field each status records.
STATUS_ORDER: tuple[str, ...] = (
    ProjectStatus.PLANNED,
    ProjectStatus.UNDER_CONSTRUCTION,
    ProjectStatus.COMPLETED,
    ProjectStatus.OPERATING,
)
STATUS_DATE_FIELD: dict[str, str] = {
    ProjectStatus.UNDER_CONSTRUCTION: "started_on",
    ProjectStatus.COMPLETED: "completed_on",
    ProjectStatus.OPERATING: "operating_since",
}


class PipeMaterial(models.TextChoices):
    DUCTILE_IRON = "ductile_iron", _("ductile iron")
    STEEL = "steel", _("steel")
    PE = "pe", _("PE/HDPE pipe")
    PVC_U = "pvc_u", _("PVC-U pipe")
    CONCRETE = "concrete", _("reinforced concrete/PCCP pipe")
    OTHER = "other", _("other")


class UseClass(models.TextChoices):
    """GB/T 18919-2002's five use classes (domain.md §5.3)."""

    AGRICULTURE = "agriculture", _("agriculture, forestry, livestock, fishery")
    URBAN = "urban", _("urban miscellaneous")
    INDUSTRIAL = "industrial", _("industrial")
    ENVIRONMENTAL = "environmental", _("environmental")
    SOURCE_REPLENISHMENT = "source_replenishment", _("water-source replenishment")


class SubUse(models.TextChoices):
    """The sub-uses of GB/T 18919 (domain.md §5.3), each belonging to one class (SUB_USE_CLASS)."""

    FARMLAND_IRRIGATION = "farmland_irrigation", _("farmland irrigation")
    NURSERY = "nursery", _("forestry and nursery")
    LIVESTOCK = "livestock", _("livestock")
    AQUACULTURE = "aquaculture", _("aquaculture")
    GREENING = "greening", _("greening irrigation")
    TOILET_FLUSHING = "toilet_flushing", _("toilet flushing")
    ROAD_CLEANING = "road_cleaning", _("road cleaning")
    VEHICLE_WASHING = "vehicle_washing", _("vehicle washing")
    CONSTRUCTION = "construction", _("construction")
    FIRE_FIGHTING = "fire_fighting", _("fire fighting")
    COOLING = "cooling", _("industrial cooling")
    WASHING = "washing", _("industrial washing")
    BOILER = "boiler", _("boiler make-up")
    PROCESS = "process", _("process water")
    PRODUCT = "product", _("product water")
    LANDSCAPE = "landscape", _("landscape water")
    WETLAND = "wetland", _("wetland")
    ECOLOGICAL_REPLENISHMENT = "ecological_replenishment", _("ecological replenishment")
    GROUNDWATER_RECHARGE = "groundwater_recharge", _("groundwater recharge")
    SURFACE_REPLENISHMENT = "surface_replenishment", _("surface-source replenishment")


SUB_USE_CLASS: dict[str, str] = {
    SubUse.FARMLAND_IRRIGATION: UseClass.AGRICULTURE,
    SubUse.NURSERY: UseClass.AGRICULTURE,
    SubUse.LIVESTOCK: UseClass.AGRICULTURE,
    SubUse.AQUACULTURE: UseClass.AGRICULTURE,
    SubUse.GREENING: UseClass.URBAN,
    SubUse.TOILET_FLUSHING: UseClass.URBAN,
    SubUse.ROAD_CLEANING: UseClass.URBAN,
    SubUse.VEHICLE_WASHING: UseClass.URBAN,
    SubUse.CONSTRUCTION: UseClass.URBAN,
    SubUse.FIRE_FIGHTING: UseClass.URBAN,
    SubUse.COOLING: UseClass.INDUSTRIAL,
    SubUse.WASHING: UseClass.INDUSTRIAL,
    SubUse.BOILER: UseClass.INDUSTRIAL,
    SubUse.PROCESS: UseClass.INDUSTRIAL,
    SubUse.PRODUCT: UseClass.INDUSTRIAL,
    SubUse.LANDSCAPE: UseClass.ENVIRONMENTAL,
    SubUse.WETLAND: UseClass.ENVIRONMENTAL,
    SubUse.ECOLOGICAL_REPLENISHMENT: UseClass.ENVIRONMENTAL,
    SubUse.GROUNDWATER_RECHARGE: UseClass.SOURCE_REPLENISHMENT,
    SubUse.SURFACE_REPLENISHMENT: UseClass.SOURCE_REPLENISHMENT,
}


class VolumeSource(models.TextChoices):
    """Where a monthly figure came from."""

    API = "api", _("API")
    CSV = "csv", _("CSV import")
    ADMIN = "admin", _("admin")
    DEMO = "demo", _("demo")


class VolumeFlag(models.TextChoices):
    """Warnings on a plant's month: recorded and shown, never a refusal."""

    DELIVERED_EXCEEDS_PRODUCED = "delivered_exceeds_produced", _("delivered more than produced")
    OVER_DESIGN_CAPACITY = "over_design_capacity", _("treated above design capacity")
    NO_PLANT_VOLUME = "no_plant_volume", _("deliveries without the plant's month")
