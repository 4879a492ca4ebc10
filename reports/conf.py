"""Settings of the reports app, each read from Django settings with its default here.

Any of them can be set from the environment (config/settings/base.py turns every REPORTS_* variable
into a setting); the defaults below apply otherwise.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured

DEFAULTS: dict[str, Any] = {
    # A TrueType CJK font that reportlab can embed. WenQuanYi Zen Hei's .ttc holds TrueType outlines
    # (reportlab reads them; the Noto CJK .ttc files are CFF-based and reportlab refuses them).
    "REPORTS_CJK_FONT": "/usr/share/fonts/truetype/wqy/wqy-zenhei.ttc",
    # Index of the face inside a .ttc collection (0 = Zen Hei in wqy-zenhei.ttc).
    "REPORTS_CJK_FONT_INDEX": 0,
    # The division of "the city report" that the quarterly beat job builds and that an administrator's
    # snapshot defaults to: the deployment's city (650100 Urumqi, the seed report's city).
    "REPORTS_CITY_DIVISION": "650100",
    # Hard and soft time limits of the snapshot build task (seconds). A city year over 500 meters builds
    # in a few seconds; the limits only stop a runaway build.
    # The issuing unit printed in the PDF's footer and on the XLSX's cover ("" = the report's division
    # name followed by 水务局, e.g. 乌鲁木齐市水务局).
    "REPORTS_ISSUING_UNIT": "",
    # The server's address as the bureau's staff reach it (e.g. https://hezhang.bureau.local), so the
    # drill-down links in the XLSX and PDF are clickable; "" leaves them as paths on the server.
    "REPORTS_LINK_BASE_URL": "",
    # Which patrol count leads the patrol section (its first row and `patrols.headline`): "patrols"
    # (巡河次数: a chief's own patrols, one per patrol; what the frequency rules count and, as we read
    # it, the seed report's 巡河8502人次) or "person_times" (巡河人次 in the strict sense: the chief and
    # the companions, each patrol's people once). Both are always in the report with their definitions;
    # this only decides which one is the headline (recalled usage differs between cities: a setting).
    "REPORTS_PATROL_HEADLINE": "patrols",
    "REPORTS_BUILD_TIME_LIMIT": 900,
    "REPORTS_BUILD_SOFT_TIME_LIMIT": 840,
}

# The names an environment variable may set (core.appsettings refuses others).
SETTINGS = frozenset(DEFAULTS)


def _get(name: str) -> Any:
    return getattr(settings, name, DEFAULTS[name])


def cjk_font_path() -> Path:
    """The CJK font file, checked: a missing font is a configuration error with its remedy."""
    path = Path(_get("REPORTS_CJK_FONT"))
    if not path.is_file():
        raise ImproperlyConfigured(
            f"REPORTS_CJK_FONT={path} does not exist: PDF reports need a TrueType CJK font to embed. "
            "Install fonts-wqy-zenhei (apt) or point REPORTS_CJK_FONT at another TrueType .ttf/.ttc."
        )
    return path


def cjk_font_index() -> int:
    return int(_get("REPORTS_CJK_FONT_INDEX"))


_PATROL_COUNTS = ("patrols", "person_times")


def patrol_headline() -> str:
    value = str(_get("REPORTS_PATROL_HEADLINE"))
    if value not in _PATROL_COUNTS:
        raise ImproperlyConfigured(f"REPORTS_PATROL_HEADLINE={value!r}: one of {', '.join(_PATROL_COUNTS)}")
    return value


def build_time_limit() -> int:
    return int(_get("REPORTS_BUILD_TIME_LIMIT"))


def build_soft_time_limit() -> int:
    return int(_get("REPORTS_BUILD_SOFT_TIME_LIMIT"))


def city_division() -> str:
    return str(_get("REPORTS_CITY_DIVISION"))


def issuing_unit(division_name: str | None = None) -> str:
    """The unit that issues the report: the setting, else the division's water bureau."""
    unit = str(_get("REPORTS_ISSUING_UNIT")).strip()
    return unit or f"{division_name or ''}水务局"


def link_url(path: str) -> str:
    """A drill-down path as a clickable address (the setting's base, when one is set)."""
    base = str(_get("REPORTS_LINK_BASE_URL")).strip().rstrip("/")
    return f"{base}{path}" if base and path.startswith("/") else path
