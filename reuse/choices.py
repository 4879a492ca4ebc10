"""Closed sets of the reuse app.

Use classes and sub-uses follow GB/T 18919-2002 *Municipal wastewater reuse — classification*
(domain.md §5.3): five classes, each with its sub-uses. Ecological replenishment (生态补水) is listed by
domain.md as an environmental use; it is a sub-use of its own here because whether it counts towards
the reuse rate is a setting (reuse.conf).
"""

from __future__ import annotations

from django.db import models


class PlantKind(models.TextChoices):
    """Whether industrial-park plants count in the rate is a local practice (domain.md §5.2), so the
    kind is recorded and the rate's choice is a setting (REUSE_RATE_COUNT_INDUSTRIAL_PARK_PLANTS)."""

    MUNICIPAL = "municipal", "城镇污水处理厂 municipal wastewater plant"
    INDUSTRIAL_PARK = "industrial_park", "工业园区污水处理厂 industrial-park wastewater plant"


class EffluentStandard(models.TextChoices):
    """Discharge grade the plant's effluent meets (GB 18918-2002 grades, or a stricter local one)."""

    GB18918_1A = "gb18918_1a", "GB 18918 一级A class 1A"
    GB18918_1B = "gb18918_1b", "GB 18918 一级B class 1B"
    GB18918_2 = "gb18918_2", "GB 18918 二级 class 2"
    GB18918_3 = "gb18918_3", "GB 18918 三级 class 3"
    LOCAL = "local", "地方标准 local standard"
    OTHER = "other", "其他 other"


class ProjectKind(models.TextChoices):
    TAIL_WATER_REUSE = "tail_water_reuse", "尾水回用工程 tail-water reuse"
    PUMP_STATION = "pump_station", "再生水提升泵站 lift pump station"
    PIPELINE = "pipeline", "再生水管网 pipeline network"
    OTHER = "other", "其他 other"


class ProjectStatus(models.TextChoices):
    """planned → under construction → completed → operating; each step records its date."""

    PLANNED = "planned", "规划 planned"
    UNDER_CONSTRUCTION = "under_construction", "在建 under construction"
    COMPLETED = "completed", "建成 completed"
    OPERATING = "operating", "运行 operating"


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
    DUCTILE_IRON = "ductile_iron", "球墨铸铁管 ductile iron"
    STEEL = "steel", "钢管 steel"
    PE = "pe", "PE/HDPE 管 polyethylene"
    PVC_U = "pvc_u", "PVC-U 管 PVC-U"
    CONCRETE = "concrete", "钢筋混凝土管/PCCP concrete"
    OTHER = "other", "其他 other"


class UseClass(models.TextChoices):
    """GB/T 18919-2002's five use classes (domain.md §5.3)."""

    AGRICULTURE = "agriculture", "农、林、牧、渔业用水 agriculture, forestry, livestock, fishery"
    URBAN = "urban", "城市杂用水 urban miscellaneous"
    INDUSTRIAL = "industrial", "工业用水 industrial"
    ENVIRONMENTAL = "environmental", "环境用水 environmental"
    SOURCE_REPLENISHMENT = "source_replenishment", "补充水源水 water-source replenishment"


class SubUse(models.TextChoices):
    """The sub-uses of GB/T 18919 (domain.md §5.3), each belonging to one class (SUB_USE_CLASS)."""

    FARMLAND_IRRIGATION = "farmland_irrigation", "农田灌溉 farmland irrigation"
    NURSERY = "nursery", "造林育苗 forestry and nursery"
    LIVESTOCK = "livestock", "畜牧养殖 livestock"
    AQUACULTURE = "aquaculture", "水产养殖 aquaculture"
    GREENING = "greening", "城市绿化 greening irrigation"
    TOILET_FLUSHING = "toilet_flushing", "冲厕 toilet flushing"
    ROAD_CLEANING = "road_cleaning", "道路清扫 road cleaning"
    VEHICLE_WASHING = "vehicle_washing", "车辆冲洗 vehicle washing"
    CONSTRUCTION = "construction", "建筑施工 construction"
    FIRE_FIGHTING = "fire_fighting", "消防 fire fighting"
    COOLING = "cooling", "冷却用水 industrial cooling"
    WASHING = "washing", "洗涤用水 industrial washing"
    BOILER = "boiler", "锅炉用水 boiler make-up"
    PROCESS = "process", "工艺用水 process water"
    PRODUCT = "product", "产品用水 product water"
    LANDSCAPE = "landscape", "景观环境用水 landscape water"
    WETLAND = "wetland", "湿地环境用水 wetland"
    ECOLOGICAL_REPLENISHMENT = "ecological_replenishment", "生态补水 ecological replenishment"
    GROUNDWATER_RECHARGE = "groundwater_recharge", "补充地下水 groundwater recharge"
    SURFACE_REPLENISHMENT = "surface_replenishment", "补充地表水 surface-source replenishment"


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

    API = "api", "接口 API"
    CSV = "csv", "CSV 导入 CSV import"
    ADMIN = "admin", "后台 admin"
    DEMO = "demo", "演示 demo"


class VolumeFlag(models.TextChoices):
    """Warnings on a plant's month: recorded and shown, never a refusal."""

    DELIVERED_EXCEEDS_PRODUCED = "delivered_exceeds_produced", "供水量超过产水量 delivered more than produced"
    OVER_DESIGN_CAPACITY = "over_design_capacity", "处理量超过设计规模 treated above design capacity"
    NO_PLANT_VOLUME = "no_plant_volume", "水厂当月无水量记录 deliveries without the plant's month"
