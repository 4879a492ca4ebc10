"""Per-meter decoding profiles and the protocol-independent entry point `decode_frame`.

Why profiles: several layout facts are unverified or vendor-specific (domain.md §3.2 "Cumulative volume",
§3.3 "no standard cumulative withdrawal volume element", §7 item 3: "Commission each meter model against a
captured frame"). Each such fact is one field of `Profile` with a documented default; a meter's profile is
chosen when it is commissioned (``telemetry_decode HEX --profile NAME`` against its display).

Address lookup: ``DecodedFrame.station`` is the station address exactly as sent (hex). It does not depend on
the profile, so the gateway can find the meter (and then its profile) from a header decoded with the default
profile, and decode again with the meter's own profile.

The package: `profile` (`Profile`, presets), `decoding` (`decode_frame`, `DecodedFrame`), `answers`
(`PacketAssembler`, `build_ack`), `export` (JSON). Code in this repository imports from those modules; the
names are also re-exported here.
"""

from water.telemetry.profiles.answers import PacketAssembler, build_ack
from water.telemetry.profiles.decoding import (
    DecodedFrame,
    decode_frame,
    detect_protocol,
    frame_from_text,
    from_sl651,
    station_of,
)
from water.telemetry.profiles.export import to_dict, to_json
from water.telemetry.profiles.profile import (
    DEFAULT_PROFILE,
    FLOW_DIVISORS,
    PRESETS,
    VOLUME_UNITS,
    FlowUnit,
    Profile,
    Protocol,
    VolumeUnit,
    get_profile,
    profile_to_dict,
)

__all__ = [
    "DEFAULT_PROFILE",
    "FLOW_DIVISORS",
    "PRESETS",
    "VOLUME_UNITS",
    "DecodedFrame",
    "FlowUnit",
    "PacketAssembler",
    "Profile",
    "Protocol",
    "VolumeUnit",
    "build_ack",
    "decode_frame",
    "detect_protocol",
    "frame_from_text",
    "from_sl651",
    "get_profile",
    "profile_to_dict",
    "station_of",
    "to_dict",
    "to_json",
]
