"""Profile specifications: the text a meter's ``decoding_profile`` and ``telemetry_decode --profile`` hold.

A preset name, optionally followed by ``;field=value`` overrides of `Profile` fields, so that a meter whose
vendor puts the cumulative volume in an ``FF01`` extension needs no code change::

    sl651;volume_element=FF01
    szy206-2016;a2_byte_order=big;volume_decimals=3

It fits the meter's 64-character ``decoding_profile`` field. Pure Python, like the codecs.
"""

from __future__ import annotations

from collections.abc import Callable
from decimal import Decimal, InvalidOperation
from typing import Any

from water.telemetry.profiles.profile import DEFAULT_PROFILE, PRESETS, Profile, get_profile

# The preset a meter's protocol implies when its decoding_profile is blank (water.choices.Protocol values).
PROTOCOL_PRESETS = {"szy206": "szy206-2016", "sl427": "slt427-2021", "sl651": "sl651"}
# The codec family each meter protocol speaks (SL/T 427-2021 frames are 68H frames).
PROTOCOL_FAMILY = {"szy206": "szy206", "sl427": "szy206", "sl651": "sl651"}


def _bool(text: str) -> bool:
    lowered = text.strip().lower()
    if lowered in ("1", "true", "yes", "on"):
        return True
    if lowered in ("0", "false", "no", "off"):
        return False
    raise ValueError(f"{text!r} is not true/false")


def _optional_element(text: str) -> str | None:
    text = text.strip().upper()
    return None if text in ("", "NONE", "-") else text


def _decimal(text: str) -> Decimal:
    try:
        value = Decimal(text.strip())
    except InvalidOperation:
        raise ValueError(f"{text!r} is not a number") from None
    if not value.is_finite() or value <= 0:
        raise ValueError("multiplier must be a positive number")
    return value


_CONVERTERS: dict[str, Callable[[str], Any]] = {
    "edition": str.strip,
    "a2_byte_order": str.strip,
    "flow_volume_pairs": _bool,
    "sign_rule": str.strip,
    "volume_decimals": int,
    "status_word_order": str.strip,
    "channel": int,
    "flow_element": _optional_element,
    "volume_element": _optional_element,
    "volume_unit": str.strip,
    "flow_unit": str.strip,
    "multiplier": _decimal,
    "clock_tz": str.strip,
    "confirm_keepalive": _bool,
    "clock_max_drift_s": int,
}


def parse_profile_spec(text: str) -> Profile:
    """``"name;field=value;…"`` → `Profile`; ValueError naming what is wrong. Blank → the default profile."""
    parts = [p.strip() for p in text.split(";")]
    name = parts[0]
    if not name and len(parts) == 1:
        return DEFAULT_PROFILE
    if name not in PRESETS:
        raise ValueError(f"unknown profile {name!r}; presets: {', '.join(sorted(PRESETS))}")
    overrides: dict[str, Any] = {}
    for part in parts[1:]:
        if not part:
            continue
        key, sep, value = part.partition("=")
        key = key.strip()
        if not sep:
            raise ValueError(f"{part!r}: write overrides as field=value")
        converter = _CONVERTERS.get(key)
        if converter is None:
            raise ValueError(f"{key!r} is not a profile field; fields: {', '.join(sorted(_CONVERTERS))}")
        try:
            overrides[key] = converter(value)
        except ValueError as exc:
            raise ValueError(f"{key}: {exc}") from None
    try:
        profile = get_profile(name, **overrides)
    except (TypeError, ValueError) as exc:
        raise ValueError(str(exc)) from None
    if overrides:
        profile = profile.with_(name=text.strip())
    return profile


def meter_profile(protocol: str, decoding_profile: str, multiplier: Decimal) -> Profile:
    """The profile the gateway decodes a meter's frames with: its ``decoding_profile`` (or the preset its
    protocol implies), with the meter's multiplier applied on top of the profile's own (both are "m³ per
    count"; a meter normally sets one of them and leaves the other at 1)."""
    spec = decoding_profile.strip() or PROTOCOL_PRESETS.get(protocol, "")
    profile = parse_profile_spec(spec)
    family = PROTOCOL_FAMILY.get(protocol)
    if profile.protocol is None and family is not None:
        profile = profile.with_(protocol=family)
    elif family is not None and profile.protocol != family:
        raise ValueError(f"profile {profile.name!r} is for {profile.protocol}, the meter speaks {protocol}")
    if multiplier != 1:
        profile = profile.with_(multiplier=profile.multiplier * multiplier)
    return profile
