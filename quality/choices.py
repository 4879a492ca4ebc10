"""Closed sets of the quality app."""

from django.db import models


class SectionCategory(models.TextChoices):
    """Which statistic a section counts in (rivers and lakes are reported apart because lakes use
    the stricter TP column; drinking-water sources have their own compliance rate)."""

    RIVER = "river", "河流断面 river section"
    LAKE = "lake", "湖库点位 lake/reservoir point"
    DRINKING_SOURCE = "drinking_source", "集中式饮用水水源地 drinking-water source"


class WaterBody(models.TextChoices):
    """Which column of GB 3838 Table 1 applies (lakes and reservoirs: the stricter TP limits)."""

    RIVER = "river", "河流 river"
    LAKE = "lake", "湖库 lake/reservoir"


class SampleSource(models.TextChoices):
    """Manual lab analysis or an automatic station; automatic values take priority for the items
    of the 2020 rule (domain.md §1.4)."""

    MANUAL = "manual", "手工监测 manual (lab)"
    AUTOMATIC = "automatic", "自动监测 automatic station"


class WaterClass(models.IntegerChoices):
    """GB 3838-2002 classes; 6 is 劣Ⅴ (worse than V)."""

    I = 1, "Ⅰ类 class I"  # noqa: E741 - the class is called I
    II = 2, "Ⅱ类 class II"
    III = 3, "Ⅲ类 class III"
    IV = 4, "Ⅳ类 class IV"
    V = 5, "Ⅴ类 class V"
    WORSE_THAN_V = 6, "劣Ⅴ类 worse than class V"


# Summary keys per category, as the reports module reads them (SPEC §3: quality.rivers.good_ratio …).
CATEGORY_KEYS = {
    SectionCategory.RIVER: "rivers",
    SectionCategory.LAKE: "lakes",
    SectionCategory.DRINKING_SOURCE: "drinking_sources",
}
