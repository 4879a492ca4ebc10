"""Demo water quality (load_demo): sections on the demo rivers and lakes, and two years of samples
(2023, the year-on-year base, and 2024).

DEMO DATA, NOT MONITORING DATA. Values are generated from a profile per kind of water (headwater,
urban river, polluted downstream reach, clean reservoir, saline lake…) with a seasonal swing and
deterministic noise, and kept inside the profile's plausible range. The city's published figures
(rivers 87.5 %, lakes and reservoirs 77.78 %, drinking-water sources 100 %) are not written
anywhere: they come out of these samples through the classifier, for the first half of 2024 and for
any other period of 2024.

What the data show a lab technician:
* manual monthly samples with all 24 Table-1 items; metals and toxics mostly "not detected" with
  their detection limits (statistics take half the limit);
* an automatic station at 燕儿窝 reporting pH, DO, CODMn, NH3-N, TP and TN daily, which take
  priority over the lab's monthly values for those items;
* lakes judged on the lake TP column (红雁池 0.035 mg/L is class III there, class II on a river);
* a polluted downstream section (class IV: NH3-N and COD) and a saline lake (class V: COD; TP and
  fluoride class IV), with their main pollutants;
* drinking-water sources with the Table-2 items, all within limits;
* one research section that does not count in the city's statistics.
"""

from __future__ import annotations

import datetime as dt
import math
import random
import zlib
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from django.contrib.gis.geos import Point

from core.choices import AuditAction
from core.geo import WGS84_SRID
from core.periods import BEIJING
from places.models import Division, Lake, Reach
from quality import gb3838
from quality.choices import SampleSource, SectionCategory
from quality.models import FunctionZone, Section
from quality.services import SampleInput, function_zone_upsert, samples_record, section_upsert

ACTOR = "load_demo"
YEAR = 2024
PREVIOUS_YEAR = 2023  # the year-on-year (同比) base: the same profiles, another random stream

# item code → (base, seasonal amplitude as a fraction, noise as a fraction, low, high, decimals)
Profile = dict[str, tuple[str, float, float, str, str, int]]

_COMMON_WT = ("9", -0.85, 0.1, "0.5", "22", 1)  # colder in winter (amplitude < 0: low in January)
_TOXICS_ND = {
    # item → detection limit (mg/L) of the usual method; reported "not detected"
    "w20128": "0.0004",
    "w20111": "0.00004",
    "w20115": "0.0005",
    "w20117": "0.004",
    "w20120": "0.0025",
    "w21016": "0.004",
    "w23002": "0.0003",
    "w22001": "0.01",
    "w19002": "0.05",
    "w21019": "0.005",
}

PROFILES: dict[str, Profile] = {
    "headwater": {
        "w01001": ("8.0", 0.0, 0.02, "7.6", "8.4", 2),
        "w01009": ("9.6", 0.08, 0.03, "8.4", "11.0", 1),
        "w01019": ("1.6", 0.1, 0.1, "1.1", "1.9", 1),
        "w01018": ("8", 0.1, 0.1, "5", "11", 1),
        "w01017": ("1.1", 0.1, 0.1, "0.6", "1.6", 1),
        "w21003": ("0.08", 0.2, 0.15, "0.03", "0.13", 3),
        "w21011": ("0.03", 0.2, 0.15, "0.021", "0.05", 3),
        "w21001": ("0.55", 0.1, 0.1, "0.3", "0.8", 2),
        "w20122": ("0.002", 0.0, 0.2, "0.001", "0.004", 4),
        "w20123": ("0.01", 0.0, 0.2, "0.005", "0.02", 3),
        "w21017": ("0.35", 0.0, 0.1, "0.25", "0.45", 2),
        "w20141": ("0.0015", 0.0, 0.2, "0.0008", "0.003", 4),
        "w02003": ("300", -0.4, 0.3, "60", "700", 0),
    },
    "clean": {
        "w01001": ("8.1", 0.0, 0.02, "7.7", "8.5", 2),
        "w01009": ("9.0", 0.1, 0.04, "7.6", "10.5", 1),
        "w01019": ("2.6", 0.1, 0.1, "2.1", "3.6", 1),
        "w01018": ("10", 0.1, 0.1, "7", "14", 1),
        "w01017": ("1.8", 0.1, 0.1, "1.2", "2.6", 1),
        "w21003": ("0.22", 0.25, 0.15, "0.16", "0.45", 3),
        "w21011": ("0.05", 0.2, 0.15, "0.03", "0.09", 3),
        "w21001": ("0.9", 0.1, 0.1, "0.6", "1.3", 2),
        "w20122": ("0.003", 0.0, 0.2, "0.001", "0.006", 4),
        "w20123": ("0.015", 0.0, 0.2, "0.008", "0.03", 3),
        "w21017": ("0.45", 0.0, 0.1, "0.3", "0.6", 2),
        "w20141": ("0.002", 0.0, 0.2, "0.001", "0.004", 4),
        "w02003": ("900", -0.4, 0.3, "200", "1800", 0),
    },
    "urban": {
        "w01001": ("7.9", 0.0, 0.02, "7.5", "8.4", 2),
        "w01009": ("7.6", 0.12, 0.05, "6.2", "9.2", 1),
        "w01019": ("3.9", 0.1, 0.1, "3.0", "5.2", 1),
        "w01018": ("15", 0.1, 0.1, "11", "19", 1),
        "w01017": ("2.7", 0.1, 0.1, "2.0", "3.6", 1),
        "w21003": ("0.58", 0.25, 0.15, "0.35", "0.9", 3),
        "w21011": ("0.12", 0.15, 0.15, "0.08", "0.18", 3),
        "w21001": ("2.4", 0.1, 0.1, "1.6", "3.2", 2),
        "w20122": ("0.004", 0.0, 0.2, "0.002", "0.008", 4),
        "w20123": ("0.03", 0.0, 0.2, "0.015", "0.045", 3),
        "w21017": ("0.55", 0.0, 0.1, "0.4", "0.75", 2),
        "w20141": ("0.003", 0.0, 0.2, "0.0015", "0.006", 4),
        "w02003": ("4500", -0.4, 0.3, "1500", "9000", 0),
    },
    # Downstream of the city's treatment-plant outfalls: ammonia and COD stay in class IV all year.
    "polluted": {
        "w01001": ("7.8", 0.0, 0.02, "7.4", "8.2", 2),
        "w01009": ("6.4", 0.12, 0.05, "5.3", "7.8", 1),
        "w01019": ("5.2", 0.1, 0.08, "4.4", "5.9", 1),
        "w01018": ("24.5", 0.08, 0.06, "21.5", "28.5", 1),
        "w01017": ("3.6", 0.1, 0.08, "3.1", "3.9", 1),
        "w21003": ("1.26", 0.1, 0.06, "1.08", "1.45", 3),
        "w21011": ("0.17", 0.1, 0.1, "0.12", "0.2", 3),
        "w21001": ("4.2", 0.1, 0.1, "3.2", "5.4", 2),
        "w20122": ("0.006", 0.0, 0.2, "0.003", "0.01", 4),
        "w20123": ("0.05", 0.0, 0.2, "0.03", "0.08", 3),
        "w21017": ("0.7", 0.0, 0.1, "0.5", "0.9", 2),
        "w20141": ("0.004", 0.0, 0.2, "0.002", "0.008", 4),
        "w02003": ("15000", -0.3, 0.25, "8000", "26000", 0),
    },
    # Reservoirs and lakes: judged on the lake TP column (I 0.01, II 0.025, III 0.05, IV 0.1, V 0.2).
    "clean_reservoir": {
        "w01001": ("8.2", 0.0, 0.02, "7.8", "8.6", 2),
        "w01009": ("9.2", 0.1, 0.03, "8.0", "10.6", 1),
        "w01019": ("2.2", 0.1, 0.1, "1.6", "3.4", 1),
        "w01018": ("10", 0.1, 0.1, "7", "14", 1),
        "w01017": ("1.4", 0.1, 0.1, "0.8", "2.2", 1),
        "w21003": ("0.12", 0.2, 0.15, "0.05", "0.3", 3),
        "w21011": ("0.018", 0.2, 0.12, "0.012", "0.024", 3),
        "w21001": ("0.42", 0.1, 0.1, "0.3", "0.5", 2),
        "w20122": ("0.002", 0.0, 0.2, "0.001", "0.004", 4),
        "w20123": ("0.01", 0.0, 0.2, "0.005", "0.02", 3),
        "w21017": ("0.32", 0.0, 0.1, "0.25", "0.45", 2),
        "w20141": ("0.0012", 0.0, 0.2, "0.0006", "0.0025", 4),
        "w02003": ("120", -0.4, 0.3, "30", "190", 0),
    },
    "reservoir": {
        "w01001": ("8.3", 0.0, 0.02, "7.9", "8.7", 2),
        "w01009": ("8.6", 0.1, 0.04, "7.2", "10.0", 1),
        "w01019": ("3.4", 0.1, 0.1, "2.6", "3.9", 1),
        "w01018": ("13", 0.1, 0.08, "10", "14.9", 1),
        "w01017": ("2.2", 0.1, 0.1, "1.5", "2.9", 1),
        "w21003": ("0.3", 0.2, 0.15, "0.16", "0.48", 3),
        "w21011": ("0.035", 0.15, 0.12, "0.027", "0.046", 3),
        "w21001": ("0.85", 0.1, 0.1, "0.6", "1.0", 2),
        "w20122": ("0.003", 0.0, 0.2, "0.001", "0.006", 4),
        "w20123": ("0.015", 0.0, 0.2, "0.008", "0.03", 3),
        "w21017": ("0.45", 0.0, 0.1, "0.3", "0.6", 2),
        "w20141": ("0.002", 0.0, 0.2, "0.001", "0.004", 4),
        "w02003": ("600", -0.4, 0.3, "150", "1200", 0),
    },
    "urban_lake": {
        "w01001": ("8.4", 0.0, 0.02, "8.0", "8.8", 2),
        "w01009": ("8.0", 0.12, 0.05, "6.6", "9.6", 1),
        "w01019": ("4.8", 0.1, 0.08, "4.1", "5.8", 1),
        "w01018": ("17", 0.1, 0.08, "14", "19.6", 1),
        "w01017": ("3.0", 0.1, 0.1, "2.3", "3.8", 1),
        "w21003": ("0.42", 0.2, 0.15, "0.25", "0.7", 3),
        "w21011": ("0.042", 0.12, 0.08, "0.034", "0.049", 3),
        "w21001": ("1.3", 0.1, 0.1, "1.0", "1.6", 2),
        "w20122": ("0.004", 0.0, 0.2, "0.002", "0.008", 4),
        "w20123": ("0.02", 0.0, 0.2, "0.01", "0.04", 3),
        "w21017": ("0.6", 0.0, 0.1, "0.45", "0.8", 2),
        "w20141": ("0.003", 0.0, 0.2, "0.0015", "0.006", 4),
        "w02003": ("1500", -0.4, 0.3, "400", "3000", 0),
    },
    # 柴窝堡湖 is a closed saline lake: high organic load and fluoride, eutrophic.
    "saline_lake": {
        "w01001": ("8.7", 0.0, 0.02, "8.4", "8.95", 2),
        "w01009": ("7.4", 0.12, 0.05, "6.1", "8.8", 1),
        "w01019": ("7.4", 0.1, 0.06, "6.4", "8.6", 1),
        "w01018": ("34", 0.08, 0.05, "31", "38.5", 1),
        "w01017": ("4.8", 0.1, 0.08, "4.2", "5.8", 1),
        "w21003": ("0.45", 0.2, 0.15, "0.3", "0.8", 3),
        "w21011": ("0.08", 0.1, 0.08, "0.062", "0.096", 3),
        "w21001": ("1.8", 0.1, 0.1, "1.3", "2.4", 2),
        "w20122": ("0.004", 0.0, 0.2, "0.002", "0.008", 4),
        "w20123": ("0.02", 0.0, 0.2, "0.01", "0.04", 3),
        "w21017": ("1.3", 0.0, 0.06, "1.12", "1.45", 2),
        "w20141": ("0.006", 0.0, 0.2, "0.003", "0.01", 4),
        "w02003": ("800", -0.4, 0.3, "200", "1600", 0),
    },
    "saline_shore": {
        "w01001": ("8.6", 0.0, 0.02, "8.3", "8.9", 2),
        "w01009": ("7.8", 0.12, 0.05, "6.5", "9.2", 1),
        "w01019": ("6.2", 0.1, 0.06, "5.4", "7.2", 1),
        "w01018": ("26", 0.08, 0.05, "22", "29.5", 1),
        "w01017": ("3.9", 0.08, 0.08, "3.2", "4.6", 1),
        "w21003": ("0.4", 0.2, 0.15, "0.25", "0.7", 3),
        "w21011": ("0.064", 0.1, 0.08, "0.052", "0.08", 3),
        "w21001": ("1.6", 0.1, 0.1, "1.1", "2.1", 2),
        "w20122": ("0.004", 0.0, 0.2, "0.002", "0.008", 4),
        "w20123": ("0.02", 0.0, 0.2, "0.01", "0.04", 3),
        "w21017": ("1.22", 0.0, 0.06, "1.05", "1.4", 2),
        "w20141": ("0.005", 0.0, 0.2, "0.003", "0.009", 4),
        "w02003": ("700", -0.4, 0.3, "200", "1400", 0),
    },
}

# Table 2 for drinking-water sources: sulfate, chloride, nitrate (as N), iron, manganese.
DRINKING_EXTRA: Profile = {
    "w21038": ("62", 0.05, 0.1, "40", "90", 1),
    "w21022": ("18", 0.05, 0.1, "10", "30", 1),
    "w21007": ("0.8", 0.1, 0.1, "0.4", "1.3", 2),
    "w20125": ("0.05", 0.2, 0.2, "0.02", "0.12", 3),
    "w20124": ("0.008", 0.2, 0.2, "0.004", "0.02", 4),
}


@dataclass(frozen=True, slots=True)
class DemoSection:
    code: str
    name: str
    category: SectionCategory
    water: str  # reach or lake code
    where: float  # along the reach (0 = upstream end); towards a shore vertex for lakes (0 = centre)
    target: int
    profile: str
    day: int  # sampling day of the month
    counts: bool = True
    automatic: bool = False


SECTIONS: tuple[DemoSection, ...] = (
    # 8 river sections counted in the city's statistics.
    DemoSection("QS-HL01-01", "乌鲁木齐河英雄桥", SectionCategory.RIVER, "HL-650100-01-01", 0.55, 2, "headwater", 6),
    DemoSection(
        "QS-HL01-02", "乌鲁木齐河燕儿窝", SectionCategory.RIVER, "HL-650100-01-03", 0.5, 3, "urban", 8, automatic=True
    ),
    DemoSection("QS-HL01-03", "乌鲁木齐河米东", SectionCategory.RIVER, "HL-650100-01-05", 0.6, 3, "polluted", 8),
    DemoSection("QS-HL02-01", "水磨河水磨沟", SectionCategory.RIVER, "HL-650100-02-01", 0.5, 3, "urban", 9),
    DemoSection("QS-HL02-02", "水磨河米东", SectionCategory.RIVER, "HL-650100-02-02", 0.7, 3, "urban", 9),
    DemoSection("QS-HL03-01", "头屯河上游", SectionCategory.RIVER, "HL-650100-03-01", 0.35, 2, "headwater", 7),
    DemoSection("QS-HL04-01", "板房沟河板房沟", SectionCategory.RIVER, "HL-650100-04-01", 0.5, 2, "headwater", 7),
    DemoSection("QS-HL05-01", "白杨河达坂城", SectionCategory.RIVER, "HL-650100-05-01", 0.3, 2, "clean", 12),
    # 9 lake and reservoir points on the 6 demo lakes (several points on the large ones).
    DemoSection("QS-HK01-01", "乌拉泊水库库心", SectionCategory.LAKE, "HK-650100-01", 0.0, 2, "clean_reservoir", 10),
    DemoSection("QS-HK01-02", "乌拉泊水库出水口", SectionCategory.LAKE, "HK-650100-01", 0.6, 2, "clean_reservoir", 10),
    DemoSection("QS-HK02-01", "红雁池水库库心", SectionCategory.LAKE, "HK-650100-02", 0.0, 3, "reservoir", 11),
    DemoSection("QS-HK02-02", "红雁池水库东岸", SectionCategory.LAKE, "HK-650100-02", 0.6, 3, "reservoir", 11),
    DemoSection("QS-HK03-01", "柴窝堡湖湖心", SectionCategory.LAKE, "HK-650100-03", 0.0, 3, "saline_lake", 13),
    DemoSection("QS-HK03-02", "柴窝堡湖东岸", SectionCategory.LAKE, "HK-650100-03", 0.6, 3, "saline_shore", 13),
    DemoSection("QS-HK04-01", "猛进水库库心", SectionCategory.LAKE, "HK-650100-04", 0.0, 3, "reservoir", 14),
    DemoSection("QS-HK05-01", "大西沟水库库心", SectionCategory.LAKE, "HK-650100-05", 0.0, 2, "clean_reservoir", 5),
    DemoSection("QS-HK06-01", "青格达湖湖心", SectionCategory.LAKE, "HK-650100-06", 0.0, 3, "urban_lake", 14),
    # Centralised drinking-water sources (intake points), judged against class III plus Table 2.
    DemoSection(
        "QS-SY-01", "乌拉泊水库水源地", SectionCategory.DRINKING_SOURCE, "HK-650100-01", 0.4, 2, "clean_reservoir", 4
    ),
    DemoSection(
        "QS-SY-02", "大西沟水库水源地", SectionCategory.DRINKING_SOURCE, "HK-650100-05", 0.4, 2, "clean_reservoir", 4
    ),
    DemoSection(
        "QS-SY-03", "头屯河水源地", SectionCategory.DRINKING_SOURCE, "HL-650100-03-01", 0.25, 2, "headwater", 4
    ),
    # A research section below the airport: sampled, but not one of the city's assessed sections.
    DemoSection(
        "QS-HL03-90",
        "头屯河出境(研究断面)",
        SectionCategory.RIVER,
        "HL-650100-03-02",
        0.8,
        4,
        "polluted",
        15,
        counts=False,
    ),
)

# Water-function zones (水功能区, demo codes and names) with the sections tied to them: the red-line
# compliance rate is computed from these sections' evaluations against each zone's class. Two zones
# have no section in the demo: their compliance is the one declared by the environment side.
# (code, name, division, target class, section codes, declared compliance)
ZONES: tuple[tuple[str, str, str, int, tuple[str, ...], bool | None], ...] = (
    ("SGN-HL01-01", "乌鲁木齐河源头水保护区", "650121", 2, ("QS-HL01-01",), None),
    ("SGN-HL01-02", "乌鲁木齐河城区景观娱乐用水区", "650102", 3, ("QS-HL01-02",), None),
    ("SGN-HL01-03", "乌鲁木齐河米东农业用水区", "650109", 4, ("QS-HL01-03",), None),
    ("SGN-HL02-01", "水磨河景观娱乐用水区", "650105", 3, ("QS-HL02-01", "QS-HL02-02"), None),
    ("SGN-HL03-01", "头屯河饮用水源区", "650121", 2, ("QS-HL03-01", "QS-SY-03"), None),
    ("SGN-HL05-01", "白杨河达坂城保留区", "650107", 2, ("QS-HL05-01",), None),
    ("SGN-HK01-01", "乌拉泊水库饮用水源区", "650121", 2, ("QS-HK01-01", "QS-HK01-02", "QS-SY-01"), None),
    ("SGN-HK02-01", "红雁池水库饮用水源区", "650102", 3, ("QS-HK02-01", "QS-HK02-02"), None),
    ("SGN-HK03-01", "柴窝堡湖渔业用水区", "650107", 3, ("QS-HK03-01", "QS-HK03-02"), None),
    ("SGN-HK06-01", "青格达湖景观娱乐用水区", "650104", 3, ("QS-HK06-01",), None),
    ("SGN-HL06-01", "阿拉沟河源头水保护区", "650107", 2, (), True),
    ("SGN-HL07-01", "老龙河米东工业用水区", "650109", 4, (), False),
)
ZONE_DECLARED_SOURCE = "演示数据: 生态环境部门年度水功能区监测通报 demo (environment bureau's bulletin)"

AUTOMATIC_ITEMS = ("w01001", "w01009", "w01019", "w21003", "w21011", "w21001")


def _location(spec: DemoSection) -> tuple[Point, Reach | None, Lake | None]:
    if spec.category != SectionCategory.LAKE and spec.water.startswith("HL-"):
        reach = Reach.objects.select_related("division").get(code=spec.water)
        line = reach.geometry[0]
        point = line.interpolate_normalized(spec.where)
        return Point(round(point.x, 5), round(point.y, 5), srid=WGS84_SRID), reach, None
    lake = Lake.objects.select_related("division").get(code=spec.water)
    centre = lake.geometry.point_on_surface
    ring = lake.geometry[0][0]
    vx, vy = ring[0]
    point = Point(centre.x + spec.where * (vx - centre.x), centre.y + spec.where * (vy - centre.y), srid=WGS84_SRID)
    if not lake.geometry.contains(point):
        point = centre
    return Point(round(point.x, 5), round(point.y, 5), srid=WGS84_SRID), None, lake


def _value(rng: random.Random, spec: tuple[str, float, float, str, str, int], day_of_year: float) -> Decimal:
    base, amplitude, noise, low, high, decimals = spec
    season = math.cos(2 * math.pi * day_of_year / 366)  # 1 in early January, -1 in early July
    raw = float(base) * (1 + amplitude * season) * (1 + noise * rng.uniform(-1, 1))
    clamped = min(max(raw, float(low)), float(high))
    return gb3838.round_value(Decimal(repr(clamped)), decimals)


def _measurements(
    rng: random.Random, profile: Profile, day_of_year: float, codes: tuple[str, ...] | None = None
) -> tuple[gb3838.Measurement, ...]:
    out = []
    items = {**profile, "w01010": _COMMON_WT}
    for code, spec in items.items():
        if codes is not None and code not in codes:
            continue
        item = gb3838.ITEMS_BY_CODE[code]
        unit = "µg/L" if item.unit_required and item.unit == gb3838.UnitKind.CONCENTRATION else str(item.unit)
        out.append(gb3838.Measurement(item, _value(rng, spec, day_of_year), reported_unit=unit))
    if codes is None:
        for code, limit in _TOXICS_ND.items():
            item = gb3838.ITEMS_BY_CODE[code]
            unit = "µg/L" if item.unit_required else "mg/L"
            out.append(gb3838.Measurement(item, None, True, Decimal(limit), reported_unit=unit))
    return tuple(out)


def _samples(section: Section, spec: DemoSection, year: int = YEAR) -> list[SampleInput]:
    # 2024's stream is seeded by the code alone (its figures are the published ones); 2023's by code and year.
    seed = spec.code if year == YEAR else f"{spec.code}:{year}"
    rng = random.Random(zlib.crc32(seed.encode()))  # noqa: S311 - same demo data on every load
    profile = PROFILES[spec.profile]
    if spec.category == SectionCategory.DRINKING_SOURCE:
        profile = {**profile, **DRINKING_EXTRA}
    samples = []
    for month in range(1, 13):
        at = dt.datetime(year, month, spec.day, 10, 30, tzinfo=BEIJING)
        day_of_year = at.timetuple().tm_yday
        samples.append(SampleInput(section, at, SampleSource.MANUAL, _measurements(rng, profile, day_of_year)))
    if spec.automatic:
        day = dt.date(year, 1, 1)
        while day.year == year:
            at = dt.datetime(day.year, day.month, day.day, 8, 0, tzinfo=BEIJING)
            ms = _measurements(rng, profile, at.timetuple().tm_yday, AUTOMATIC_ITEMS)
            samples.append(SampleInput(section, at, SampleSource.AUTOMATIC, ms))
            day += dt.timedelta(days=1)
    return samples


def _zones() -> dict[str, FunctionZone]:
    """The demo zones by the code of each section tied to them."""
    divisions = {d.code: d for d in Division.objects.filter(code__in={z[2] for z in ZONES})}
    out: dict[str, FunctionZone] = {}
    for code, name, division, target, sections, declared in ZONES:
        zone, _changed = function_zone_upsert(
            code=code,
            name=name,
            division=divisions[division],
            target_class=target,
            actor=ACTOR,
            declared_compliant=declared,
            declared_source=ZONE_DECLARED_SOURCE if declared is not None else "",
            note="演示数据 demo data",
        )
        out.update(dict.fromkeys(sections, zone))
    return out


def load_quality_demo(**_: Any) -> None:
    samples: list[SampleInput] = []
    zones = _zones()
    for spec in SECTIONS:
        location, reach, lake = _location(spec)
        section, _changed = section_upsert(
            code=spec.code,
            name=spec.name,
            category=spec.category,
            reach=reach,
            lake=lake,
            location=location,
            target_class=spec.target,
            counts_in_statistics=spec.counts,
            actor=ACTOR,
            function_zone=zones.get(spec.code),
            note="演示数据 demo data" + ("; 自动站 automatic station" if spec.automatic else ""),
        )
        samples.extend(_samples(section, spec, PREVIOUS_YEAR))
        samples.extend(_samples(section, spec))
    samples_record(samples=samples, actor=ACTOR, action=AuditAction.IMPORT, reason="demo data")
