"""Closed sets of the quality app."""

from django.db import models
from django.utils.translation import gettext_lazy as _


class SectionCategory(models.TextChoices):
    """Which statistic a section counts in (rivers and lakes are reported apart because lakes use
    the stricter TP column; drinking-water sources have their own compliance rate)."""

    RIVER = "river", _("river section")
    LAKE = "lake", _("lake/reservoir point")
    DRINKING_SOURCE = "drinking_source", _("drinking-water source")


class WaterBody(models.TextChoices):
    """Which column of GB 3838 Table 1 applies (lakes and reservoirs: the stricter TP limits)."""

    RIVER = "river", _("river")
    LAKE = "lake", _("lake/reservoir")


class SampleSource(models.TextChoices):
    """Manual lab analysis or an automatic station; automatic values take priority for the items
    of the 2020 rule (domain.md §1.4)."""

    MANUAL = "manual", _("manual (lab)")
    AUTOMATIC = "automatic", _("automatic station")


class WaterClass(models.IntegerChoices):
    """GB 3838-2002 classes; 6 is 劣Ⅴ (worse than V)."""

    I = 1, _("class I")  # noqa: E741 - the class is called I
    II = 2, _("class II")
    III = 3, _("class III")
    IV = 4, _("class IV")
    V = 5, _("class V")
    WORSE_THAN_V = 6, _("worse than class V")


# Summary keys per category, as the reports module reads them (SPEC §3: quality.rivers.good_ratio …).
CATEGORY_KEYS = {
    SectionCategory.RIVER: "rivers",
    SectionCategory.LAKE: "lakes",
    SectionCategory.DRINKING_SOURCE: "drinking_sources",
}
