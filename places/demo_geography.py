"""Demo geography of Urumqi (乌鲁木齐市, Xinjiang) for seeding the water-bureau demo data.

DEMO DATA, NOT SURVEY DATA.  Every shape here is a hand-drawn approximation that only roughly follows
the real layout (small central districts around 87.5-87.75E 43.75-43.95N, 米东区 to the north-east,
达坂城区 to the south-east, 乌鲁木齐县 to the south, 头屯河区 and the airport in 新市区 to the west).
Borders, river courses and lake outlines are simplified and in places deliberately moved; do not use
them for anything but demos and tests.

Conventions:

* Coordinates are ``[lon, lat]`` on WGS84 (EPSG:4326), rounded to 4 decimals (about 10 m).
* Polygons are lists of rings; every ring is closed (first point == last point) and outer rings run
  counter-clockwise (as RFC 7946 GeoJSON recommends).
* Division codes are the real GB/T 2260 codes (6 digits for the city, districts and the county,
  9 digits for townships; township codes are plausible, not authoritative).
* The city has no boundary of its own: it is the union of ``DISTRICTS``.  The district rings are built
  from one shared table of named vertices (``_V``), so neighbouring districts share exactly the same
  border vertices: they do not overlap and their union is a single polygon without holes or slivers.
* Townships lie strictly inside their parent district and do not overlap each other.
* Water-body codes (a local scheme for the demo, not the national water-census codes):

  - river ``HL-650100-NN``: ``HL`` (河流), the division the river is registered to, a serial number;
  - reach ``<river code>-NN``: the river's code plus the reach's serial number, counted downstream;
  - lake / reservoir ``HK-650100-NN``: ``HK`` (湖库), the city code, a serial number.

* Rivers are MultiLineStrings (``parts``) digitised downstream (source first).  ``REACHES`` split every
  river at division borders, one reach per division it flows through (a township when the whole river
  lies inside one); each reach is the part of the river inside its division and, together, the reaches
  of a river cover it.
"""

from __future__ import annotations

from typing import Literal, TypedDict

Coord = list[float]
"""``[lon, lat]`` on WGS84."""
Ring = list[Coord]
"""A closed ring: first point == last point."""
Line = list[Coord]
"""A line string of at least two points."""


class CityData(TypedDict):
    code: str
    name: str
    name_en: str


class DistrictData(TypedDict):
    code: str
    name: str
    name_en: str
    boundary: Ring


class TownshipData(TypedDict):
    code: str
    name: str
    name_en: str
    parent: str
    boundary: Ring


class RiverData(TypedDict):
    code: str
    name: str
    name_en: str
    division: str
    parts: list[Line]


class ReachData(TypedDict):
    code: str
    name: str
    river: str
    division: str
    parts: list[Line]


class LakeData(TypedDict):
    code: str
    name: str
    name_en: str
    kind: Literal["reservoir", "lake"]
    division: str
    rings: list[Ring]


__all__ = [
    "CITY",
    "DISTRICTS",
    "LAKES",
    "REACHES",
    "RIVERS",
    "TOWNSHIPS",
    "CityData",
    "Coord",
    "DistrictData",
    "LakeData",
    "Line",
    "ReachData",
    "Ring",
    "RiverData",
    "TownshipData",
]

CITY: CityData = {"code": "650100", "name": "乌鲁木齐市", "name_en": "Urumqi"}

# Shared border vertices (lon, lat).  A key names the divisions sharing the vertex: xian 乌鲁木齐县,
# sy 沙依巴克区, ts 天山区, xs 新市区, smg 水磨沟区, tt 头屯河区, md 米东区, dbc 达坂城区; a trailing
# "_o" / "_o<n>" marks a vertex on the city's outer border.
_V: dict[str, tuple[float, float]] = {
    "xian_sy_tt": (87.42, 43.74),
    "xian_sy_1": (87.52, 43.7),
    "xian_sy_ts": (87.59, 43.695),
    "sy_ts_1": (87.595, 43.76),
    "sy_ts_2": (87.615, 43.8),
    "sy_ts_xs": (87.605, 43.835),
    "sy_xs_1": (87.55, 43.84),
    "sy_xs_2": (87.5, 43.83),
    "sy_xs_tt": (87.43, 43.8),
    "ts_xs_smg": (87.63, 43.835),
    "ts_smg_1": (87.655, 43.805),
    "ts_smg_2": (87.7, 43.8),
    "ts_smg_dbc": (87.76, 43.785),
    "ts_xian_1": (87.68, 43.69),
    "ts_xian_dbc": (87.74, 43.7),
    "xs_smg_1": (87.635, 43.87),
    "xs_smg_md": (87.645, 43.9),
    "smg_md_1": (87.7, 43.915),
    "smg_md_dbc": (87.8, 43.86),
    "smg_dbc_1": (87.79, 43.82),
    "md_dbc_1": (87.9, 43.845),
    "md_dbc_o": (87.98, 43.88),
    "xs_md_1": (87.62, 44.0),
    "xs_md_2": (87.58, 44.1),
    "xs_tt_md": (87.45, 44.13),
    "xs_tt_1": (87.43, 44.0),
    "xs_tt_2": (87.44, 43.86),
    "xian_tt_1": (87.32, 43.75),
    "xian_tt_o": (87.2, 43.76),
    "xian_dbc_1": (87.79, 43.58),
    "xian_dbc_2": (87.8, 43.42),
    "xian_dbc_3": (87.84, 43.25),
    "xian_dbc_o": (87.88, 43.08),
    "tt_o1": (87.22, 43.9),
    "tt_o2": (87.24, 44.02),
    "tt_o3": (87.24, 44.16),
    "md_o1": (87.5, 44.32),
    "md_o2": (87.7, 44.42),
    "md_o3": (87.95, 44.38),
    "md_o4": (88.12, 44.2),
    "md_o5": (88.1, 44.0),
    "dbc_o1": (88.3, 43.82),
    "dbc_o2": (88.65, 43.72),
    "dbc_o3": (88.92, 43.55),
    "dbc_o4": (88.85, 43.3),
    "dbc_o5": (88.6, 43.15),
    "dbc_o6": (88.25, 43.08),
    "xian_o1": (87.6, 43.0),
    "xian_o2": (87.2, 42.97),
    "xian_o3": (86.85, 43.0),
    "xian_o4": (86.75, 43.12),
    "xian_o5": (86.78, 43.3),
    "xian_o6": (86.95, 43.42),
    "xian_o7": (87.03, 43.55),
    "xian_o8": (87.12, 43.68),
}


def _ring(*names: str) -> Ring:
    """A closed ring through the named shared vertices."""
    return [[_V[name][0], _V[name][1]] for name in (*names, names[0])]


DISTRICTS: list[DistrictData] = [
    {
        "code": "650102",
        "name": "天山区",
        "name_en": "Tianshan District",
        "boundary": _ring(
            "xian_sy_ts",
            "ts_xian_1",
            "ts_xian_dbc",
            "ts_smg_dbc",
            "ts_smg_2",
            "ts_smg_1",
            "ts_xs_smg",
            "sy_ts_xs",
            "sy_ts_2",
            "sy_ts_1",
        ),
    },
    {
        "code": "650103",
        "name": "沙依巴克区",
        "name_en": "Saybagh District",
        "boundary": _ring(
            "xian_sy_tt",
            "xian_sy_1",
            "xian_sy_ts",
            "sy_ts_1",
            "sy_ts_2",
            "sy_ts_xs",
            "sy_xs_1",
            "sy_xs_2",
            "sy_xs_tt",
        ),
    },
    {
        "code": "650104",
        "name": "新市区",
        "name_en": "Xinshi District",
        "boundary": _ring(
            "sy_xs_tt",
            "sy_xs_2",
            "sy_xs_1",
            "sy_ts_xs",
            "ts_xs_smg",
            "xs_smg_1",
            "xs_smg_md",
            "xs_md_1",
            "xs_md_2",
            "xs_tt_md",
            "xs_tt_1",
            "xs_tt_2",
        ),
    },
    {
        "code": "650105",
        "name": "水磨沟区",
        "name_en": "Shuimogou District",
        "boundary": _ring(
            "ts_xs_smg",
            "ts_smg_1",
            "ts_smg_2",
            "ts_smg_dbc",
            "smg_dbc_1",
            "smg_md_dbc",
            "smg_md_1",
            "xs_smg_md",
            "xs_smg_1",
        ),
    },
    {
        "code": "650106",
        "name": "头屯河区",
        "name_en": "Toutunhe District",
        "boundary": _ring(
            "xian_tt_o",
            "xian_tt_1",
            "xian_sy_tt",
            "sy_xs_tt",
            "xs_tt_2",
            "xs_tt_1",
            "xs_tt_md",
            "tt_o3",
            "tt_o2",
            "tt_o1",
        ),
    },
    {
        "code": "650107",
        "name": "达坂城区",
        "name_en": "Dabancheng District",
        "boundary": _ring(
            "smg_md_dbc",
            "smg_dbc_1",
            "ts_smg_dbc",
            "ts_xian_dbc",
            "xian_dbc_1",
            "xian_dbc_2",
            "xian_dbc_3",
            "xian_dbc_o",
            "dbc_o6",
            "dbc_o5",
            "dbc_o4",
            "dbc_o3",
            "dbc_o2",
            "dbc_o1",
            "md_dbc_o",
            "md_dbc_1",
        ),
    },
    {
        "code": "650109",
        "name": "米东区",
        "name_en": "Midong District",
        "boundary": _ring(
            "xs_tt_md",
            "xs_md_2",
            "xs_md_1",
            "xs_smg_md",
            "smg_md_1",
            "smg_md_dbc",
            "md_dbc_1",
            "md_dbc_o",
            "md_o5",
            "md_o4",
            "md_o3",
            "md_o2",
            "md_o1",
        ),
    },
    {
        "code": "650121",
        "name": "乌鲁木齐县",
        "name_en": "Urumqi County",
        "boundary": _ring(
            "xian_sy_tt",
            "xian_tt_1",
            "xian_tt_o",
            "xian_o8",
            "xian_o7",
            "xian_o6",
            "xian_o5",
            "xian_o4",
            "xian_o3",
            "xian_o2",
            "xian_o1",
            "xian_dbc_o",
            "xian_dbc_3",
            "xian_dbc_2",
            "xian_dbc_1",
            "ts_xian_dbc",
            "ts_xian_1",
            "xian_sy_ts",
            "xian_sy_1",
        ),
    },
]

TOWNSHIPS: list[TownshipData] = [
    {
        "code": "650102010",
        "name": "燕儿窝街道",
        "name_en": "Yanerwo Subdistrict",
        "parent": "650102",
        "boundary": [
            [87.645, 43.72],
            [87.7, 43.71],
            [87.725, 43.725],
            [87.73, 43.765],
            [87.7, 43.785],
            [87.655, 43.785],
            [87.64, 43.755],
            [87.645, 43.72],
        ],
    },
    {
        "code": "650109100",
        "name": "古牧地镇",
        "name_en": "Gumudi Town",
        "parent": "650109",
        "boundary": [
            [87.66, 43.935],
            [87.72, 43.925],
            [87.78, 43.94],
            [87.79, 43.99],
            [87.74, 44.03],
            [87.68, 44.025],
            [87.655, 43.98],
            [87.66, 43.935],
        ],
    },
    {
        "code": "650121100",
        "name": "水西沟镇",
        "name_en": "Shuixigou Town",
        "parent": "650121",
        "boundary": [
            [87.62, 43.42],
            [87.7, 43.4],
            [87.76, 43.45],
            [87.76, 43.56],
            [87.7, 43.6],
            [87.63, 43.57],
            [87.6, 43.5],
            [87.62, 43.42],
        ],
    },
    {
        "code": "650121101",
        "name": "板房沟镇",
        "name_en": "Banfanggou Town",
        "parent": "650121",
        "boundary": [
            [87.33, 43.36],
            [87.42, 43.34],
            [87.5, 43.4],
            [87.56, 43.5],
            [87.56, 43.6],
            [87.47, 43.62],
            [87.4, 43.58],
            [87.34, 43.48],
            [87.33, 43.36],
        ],
    },
    {
        "code": "650121102",
        "name": "永丰镇",
        "name_en": "Yongfeng Town",
        "parent": "650121",
        "boundary": [
            [87.18, 43.5],
            [87.26, 43.47],
            [87.31, 43.52],
            [87.32, 43.62],
            [87.27, 43.67],
            [87.2, 43.66],
            [87.16, 43.58],
            [87.18, 43.5],
        ],
    },
]

RIVERS: list[RiverData] = [
    {
        "code": "HL-650100-01",
        "name": "乌鲁木齐河",
        "name_en": "Urumqi River",
        "division": "650100",
        "parts": [
            [
                [86.81, 43.11],
                [86.86, 43.14],
                [86.93, 43.18],
                [87.0, 43.24],
                [87.08, 43.29],
                [87.17, 43.33],
                [87.25, 43.38],
                [87.33, 43.43],
                [87.4, 43.48],
                [87.46, 43.53],
                [87.51, 43.57],
                [87.55, 43.61],
                [87.575, 43.64],
                [87.58, 43.675],
                [87.583, 43.705],
                [87.588, 43.74],
                [87.603, 43.785],
                [87.615, 43.815],
                [87.62, 43.85],
                [87.635, 43.9],
                [87.65, 43.95],
                [87.66, 44.02],
                [87.655, 44.08],
                [87.67, 44.14],
                [87.68, 44.2],
            ]
        ],
    },
    {
        "code": "HL-650100-02",
        "name": "水磨河",
        "name_en": "Shuimo River",
        "division": "650100",
        "parts": [
            [
                [87.66, 43.82],
                [87.662, 43.845],
                [87.668, 43.875],
                [87.675, 43.9],
                [87.685, 43.94],
                [87.69, 43.98],
                [87.695, 44.02],
                [87.7, 44.05],
            ]
        ],
    },
    {
        "code": "HL-650100-03",
        "name": "头屯河",
        "name_en": "Toutun River",
        "division": "650100",
        "parts": [
            [
                [87.1, 43.35],
                [87.13, 43.45],
                [87.17, 43.55],
                [87.21, 43.65],
                [87.25, 43.74],
                [87.27, 43.82],
                [87.28, 43.9],
                [87.29, 43.98],
                [87.295, 44.05],
                [87.3, 44.1],
            ]
        ],
    },
    {
        "code": "HL-650100-04",
        "name": "板房沟河",
        "name_en": "Banfanggou River",
        "division": "650100",
        "parts": [[[87.36, 43.39], [87.38, 43.44], [87.41, 43.5], [87.44, 43.54], [87.48, 43.56], [87.51, 43.57]]],
    },
    {
        "code": "HL-650100-05",
        "name": "白杨河",
        "name_en": "Baiyang River",
        "division": "650100",
        "parts": [
            [
                [88.05, 43.62],
                [88.12, 43.55],
                [88.2, 43.47],
                [88.28, 43.4],
                [88.33, 43.33],
                [88.4, 43.25],
                [88.48, 43.18],
            ]
        ],
    },
]

REACHES: list[ReachData] = [
    {
        "code": "HL-650100-01-01",
        "name": "乌鲁木齐河乌鲁木齐县段",
        "river": "HL-650100-01",
        "division": "650121",
        "parts": [
            [
                [86.81, 43.11],
                [86.86, 43.14],
                [86.93, 43.18],
                [87.0, 43.24],
                [87.08, 43.29],
                [87.17, 43.33],
                [87.25, 43.38],
                [87.33, 43.43],
                [87.4, 43.48],
                [87.46, 43.53],
                [87.51, 43.57],
                [87.55, 43.61],
                [87.575, 43.64],
                [87.58, 43.675],
                [87.5821, 43.6956],
            ]
        ],
    },
    {
        "code": "HL-650100-01-02",
        "name": "乌鲁木齐河沙依巴克区段",
        "river": "HL-650100-01",
        "division": "650103",
        "parts": [[[87.5821, 43.6956], [87.583, 43.705], [87.588, 43.74], [87.603, 43.785], [87.6125, 43.8088]]],
    },
    {
        "code": "HL-650100-01-03",
        "name": "乌鲁木齐河天山区段",
        "river": "HL-650100-01",
        "division": "650102",
        "parts": [[[87.6125, 43.8088], [87.615, 43.815], [87.6179, 43.835]]],
    },
    {
        "code": "HL-650100-01-04",
        "name": "乌鲁木齐河新市区段",
        "river": "HL-650100-01",
        "division": "650104",
        "parts": [[[87.6179, 43.835], [87.62, 43.85], [87.635, 43.9], [87.6405, 43.9182]]],
    },
    {
        "code": "HL-650100-01-05",
        "name": "乌鲁木齐河米东区段",
        "river": "HL-650100-01",
        "division": "650109",
        "parts": [
            [
                [87.6405, 43.9182],
                [87.65, 43.95],
                [87.66, 44.02],
                [87.655, 44.08],
                [87.67, 44.14],
                [87.68, 44.2],
            ]
        ],
    },
    {
        "code": "HL-650100-02-01",
        "name": "水磨河水磨沟区段",
        "river": "HL-650100-02",
        "division": "650105",
        "parts": [[[87.66, 43.82], [87.662, 43.845], [87.668, 43.875], [87.675, 43.9], [87.6772, 43.9088]]],
    },
    {
        "code": "HL-650100-02-02",
        "name": "水磨河米东区段",
        "river": "HL-650100-02",
        "division": "650109",
        "parts": [[[87.6772, 43.9088], [87.685, 43.94], [87.69, 43.98], [87.695, 44.02], [87.7, 44.05]]],
    },
    {
        "code": "HL-650100-03-01",
        "name": "头屯河乌鲁木齐县段",
        "river": "HL-650100-03",
        "division": "650121",
        "parts": [
            [
                [87.1, 43.35],
                [87.13, 43.45],
                [87.17, 43.55],
                [87.21, 43.65],
                [87.25, 43.74],
                [87.2539, 43.7555],
            ]
        ],
    },
    {
        "code": "HL-650100-03-02",
        "name": "头屯河头屯河区段",
        "river": "HL-650100-03",
        "division": "650106",
        "parts": [[[87.2539, 43.7555], [87.27, 43.82], [87.28, 43.9], [87.29, 43.98], [87.295, 44.05], [87.3, 44.1]]],
    },
    {
        "code": "HL-650100-04-01",
        "name": "板房沟河板房沟镇段",
        "river": "HL-650100-04",
        "division": "650121101",
        "parts": [[[87.36, 43.39], [87.38, 43.44], [87.41, 43.5], [87.44, 43.54], [87.48, 43.56], [87.51, 43.57]]],
    },
    {
        "code": "HL-650100-05-01",
        "name": "白杨河达坂城区段",
        "river": "HL-650100-05",
        "division": "650107",
        "parts": [
            [
                [88.05, 43.62],
                [88.12, 43.55],
                [88.2, 43.47],
                [88.28, 43.4],
                [88.33, 43.33],
                [88.4, 43.25],
                [88.48, 43.18],
            ]
        ],
    },
]

LAKES: list[LakeData] = [
    {
        "code": "HK-650100-01",
        "name": "乌拉泊水库",
        "name_en": "Wulabo Reservoir",
        "kind": "reservoir",
        "division": "650121",
        "rings": [
            [
                [87.6176, 43.6648],
                [87.6116, 43.6693],
                [87.6042, 43.6731],
                [87.5958, 43.6708],
                [87.5883, 43.6671],
                [87.589, 43.6604],
                [87.5902, 43.6541],
                [87.5978, 43.6509],
                [87.6065, 43.649],
                [87.6132, 43.6533],
                [87.6185, 43.6583],
                [87.6176, 43.6648],
            ]
        ],
    },
    {
        "code": "HK-650100-02",
        "name": "红雁池水库",
        "name_en": "Hongyanchi Reservoir",
        "kind": "reservoir",
        "division": "650102",
        "rings": [
            [
                [87.6333, 43.719],
                [87.6336, 43.7247],
                [87.6306, 43.7304],
                [87.6222, 43.7319],
                [87.6137, 43.7308],
                [87.6115, 43.7251],
                [87.6117, 43.7193],
                [87.6188, 43.7159],
                [87.6273, 43.7147],
                [87.6333, 43.719],
            ]
        ],
    },
    {
        "code": "HK-650100-03",
        "name": "柴窝堡湖",
        "name_en": "Chaiwopu Lake",
        "kind": "lake",
        "division": "650107",
        "rings": [
            [
                [87.9492, 43.5113],
                [87.9389, 43.5183],
                [87.9285, 43.5259],
                [87.906, 43.5255],
                [87.883, 43.5247],
                [87.8689, 43.5157],
                [87.8521, 43.5082],
                [87.8532, 43.499],
                [87.8548, 43.4896],
                [87.875, 43.4867],
                [87.8937, 43.4835],
                [87.9151, 43.4875],
                [87.9363, 43.4925],
                [87.9437, 43.5021],
                [87.9492, 43.5113],
            ]
        ],
    },
    {
        "code": "HK-650100-04",
        "name": "猛进水库",
        "name_en": "Mengjin Reservoir",
        "kind": "reservoir",
        "division": "650109",
        "rings": [
            [
                [87.7331, 44.0754],
                [87.7265, 44.078],
                [87.7187, 44.0792],
                [87.7127, 44.0752],
                [87.7086, 44.07],
                [87.7129, 44.0652],
                [87.718, 44.0611],
                [87.7259, 44.0618],
                [87.7333, 44.0643],
                [87.7344, 44.07],
                [87.7331, 44.0754],
            ]
        ],
    },
    {
        "code": "HK-650100-05",
        "name": "大西沟水库",
        "name_en": "Daxigou Reservoir",
        "kind": "reservoir",
        "division": "650121",
        "rings": [
            [
                [86.9789, 43.2162],
                [86.9736, 43.2172],
                [86.9673, 43.2161],
                [86.9642, 43.2117],
                [86.9646, 43.2074],
                [86.9704, 43.2069],
                [86.9765, 43.2081],
                [86.9796, 43.2123],
                [86.9789, 43.2162],
            ]
        ],
    },
    {
        "code": "HK-650100-06",
        "name": "青格达湖",
        "name_en": "Qinggeda Lake",
        "kind": "lake",
        "division": "650104",
        "rings": [
            [
                [87.5685, 44.0374],
                [87.5668, 44.0428],
                [87.5627, 44.0479],
                [87.5539, 44.0488],
                [87.5452, 44.0478],
                [87.5428, 44.0423],
                [87.5418, 44.0369],
                [87.5481, 44.0329],
                [87.5562, 44.0303],
                [87.5634, 44.0333],
                [87.5685, 44.0374],
            ]
        ],
    },
]
