"""GB/T 2260 administrative-division codes and their hierarchy.

Codes are hierarchical by construction: 2 digits province, 2 city, 2 county (6 digits in all, zero
padded: 650000 Xinjiang, 650100 Urumqi, 650102 Tianshan District), then 3 digits township and 3 digits
village (the statistics bureau's 12-digit codes). So "inside division D" is "code starts with D's
significant prefix", which lets jurisdiction scoping be one indexed prefix filter, and lets `accounts`
hold a jurisdiction as a code without importing `places`.
"""

from __future__ import annotations

import re

from django.db import models
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

_CODE_RE = re.compile(r"^\d{6}(\d{3}(\d{3})?)?$")


class DivisionLevel(models.TextChoices):
    PROVINCE = "province", _("province")
    CITY = "city", _("city")
    COUNTY = "county", _("district/county")
    TOWNSHIP = "township", _("township")
    VILLAGE = "village", _("village")


def is_division_code(code: str) -> bool:
    return bool(_CODE_RE.match(code or ""))


def division_level(code: str) -> DivisionLevel:
    """The level a code stands for (ValueError for a code that is not GB/T 2260-shaped)."""
    if not is_division_code(code):
        raise ValueError(gettext("%(code)s is not a 6-, 9- or 12-digit GB/T 2260 division code") % {"code": repr(code)})
    if len(code) == 12 and code[9:] != "000":
        return DivisionLevel.VILLAGE
    if len(code) >= 9 and code[6:9] != "000":
        return DivisionLevel.TOWNSHIP
    if code[4:6] != "00":
        return DivisionLevel.COUNTY
    if code[2:4] != "00":
        return DivisionLevel.CITY
    return DivisionLevel.PROVINCE


_PREFIX_LENGTH = {
    DivisionLevel.PROVINCE: 2,
    DivisionLevel.CITY: 4,
    DivisionLevel.COUNTY: 6,
    DivisionLevel.TOWNSHIP: 9,
    DivisionLevel.VILLAGE: 12,
}


def division_prefix(code: str) -> str:
    """The significant prefix: every division inside `code` (itself included) starts with it."""
    return code[: _PREFIX_LENGTH[division_level(code)]]


def parent_code(code: str) -> str | None:
    """The code of the division one level up, in the same width as the parent's usual form."""
    level = division_level(code)
    if level is DivisionLevel.PROVINCE:
        return None
    if level is DivisionLevel.CITY:
        return code[:2] + "0000"
    if level is DivisionLevel.COUNTY:
        return code[:4] + "00"
    if level is DivisionLevel.TOWNSHIP:
        return code[:6]
    return code[:9]


def is_within(code: str, ancestor: str) -> bool:
    """True when division `code` lies in (or is) division `ancestor`."""
    return code.startswith(division_prefix(ancestor))
