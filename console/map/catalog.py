"""The map's layers as the page offers them: order, label, shown at first, and legend entries.

A legend entry's `sym` is the value of the features' `sym` property it describes; its CSS class
(console/static/console/map/map.css) draws the swatch, so colours live in one stylesheet and the
symbol code (symbols.js) that draws the features.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _


@dataclass(frozen=True, slots=True)
class LegendEntry:
    sym: str
    label: str | Promise
    shape: str  # line, dashed, fill, circle, ring, pin, square


@dataclass(frozen=True, slots=True)
class LayerInfo:
    name: str
    label: str | Promise
    on: bool
    period: bool  # the layer follows the period filter
    legend: tuple[LegendEntry, ...]


LAYER_CATALOG: tuple[LayerInfo, ...] = (
    LayerInfo("divisions", _("Divisions"), True, False, (LegendEntry("division", _("Division boundary"), "line"),)),
    LayerInfo("lakes", _("Lakes and reservoirs"), True, False, (LegendEntry("lake", _("Lake or reservoir"), "fill"),)),
    LayerInfo("rivers", _("Rivers"), True, False, (LegendEntry("river", _("River"), "line"),)),
    LayerInfo(
        "reaches",
        _("Reaches"),
        True,
        False,
        (
            LegendEntry("reach-city", _("Reach, city-level chief"), "line"),
            LegendEntry("reach-district", _("Reach, district-level chief"), "line"),
            LegendEntry("reach-township", _("Reach, township-level chief"), "line"),
            LegendEntry("reach-village", _("Reach, village-level chief"), "line"),
            LegendEntry("reach-none", _("Reach, no chief appointed"), "line"),
        ),
    ),
    LayerInfo(
        "sections",
        _("Water-quality sections"),
        False,
        True,
        (
            LegendEntry("quality-1-2", _("Class Ⅰ–Ⅱ"), "circle"),
            LegendEntry("quality-3", _("Class Ⅲ"), "circle"),
            LegendEntry("quality-4", _("Class Ⅳ"), "circle"),
            LegendEntry("quality-5", _("Class Ⅴ"), "circle"),
            LegendEntry("quality-6", _("Worse than Ⅴ"), "circle"),
            LegendEntry("quality-none", _("Not evaluated in the period"), "circle"),
        ),
    ),
    LayerInfo(
        "pipelines", _("Reclaimed-water pipelines"), False, False, (LegendEntry("pipeline", _("Pipeline"), "line"),)
    ),
    LayerInfo("plants", _("Reclaimed-water plants"), False, False, (LegendEntry("plant", _("Plant"), "square"),)),
    LayerInfo("stations", _("Pump stations"), False, False, (LegendEntry("station", _("Pump station"), "square"),)),
    LayerInfo(
        "patrols",
        _("Patrol tracks"),
        True,
        True,
        (
            LegendEntry("track-valid", _("Valid patrol"), "line"),
            LegendEntry("track-flagged", _("Flagged for review"), "dashed"),
            LegendEntry("track-invalid", _("Not valid"), "line"),
        ),
    ),
    LayerInfo(
        "intakes",
        _("Intakes"),
        True,
        True,
        (
            LegendEntry("intake-online", _("Online"), "circle"),
            LegendEntry("intake-offline", _("Offline"), "circle"),
            LegendEntry("intake-alarm", _("Alarm"), "circle"),
            LegendEntry("intake-none", _("No meter"), "circle"),
            # xgettext:no-python-format
            LegendEntry("tier-5-10", _("Over plan 5–10 %"), "ring"),
            # xgettext:no-python-format
            LegendEntry("tier-10-20", _("Over plan 10–20 %"), "ring"),
            # xgettext:no-python-format
            LegendEntry("tier-20-30", _("Over plan 20–30 %"), "ring"),
            # xgettext:no-python-format
            LegendEntry("tier-30plus", _("Over plan 30 % or more"), "ring"),
        ),
    ),
    LayerInfo(
        "cases",
        _("Cases"),
        True,
        True,
        (
            LegendEntry("case-reported", _("Reported"), "pin"),
            LegendEntry("case-rectifying", _("In rectification"), "pin"),
            LegendEntry("case-closed", _("Closed"), "pin"),
            LegendEntry("overdue", _("Overdue"), "pin"),
        ),
    ),
)
