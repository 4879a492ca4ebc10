"""Telemetry codecs for intake meters and hydrological RTUs: SZY 206-2016 / SL/T 427-2021 and SL 651-2014.

Pure Python (standard library only, no Django models): the asyncio gateway, the management commands and the
ingest service build on this API. Protocol facts and their sources: domain.md §3.

Entry points:

- `decode_frame(raw, received_at=..., profile=...)` → `DecodedFrame` (protocol detected from the start bytes);
- `FrameSplitter` cuts a TCP byte stream into frames; `PacketAssembler` joins SL 651 multi-packet messages;
- `build_ack(decoded)` → the bytes the station expects back (or None);
- `to_json(decoded)` for ``telemetry_decode``; `frame_from_text` parses its argument;
- `station_of(raw)` reads the station address of a refused frame, for per-station counters;
- `Profile`, `PRESETS`, `get_profile` describe how each meter's frames are read;
- every refusal is a `FrameError` subclass.

Protocol modules `szy206` and `sl651` hold the frame-level decoders and the encoders used by tests, the
benchmark and the simulator.

Built on these, imported explicitly (not from here, so the codecs stay free of Django): `spec` (profile
specifications as a meter's ``decoding_profile`` holds them), `simulator` (stations replaying generated frames),
and the Django side of the gateway — `gateway` (the asyncio TCP server), `services` (storing readings through
the ingest service, station counters), `selectors` (meter directory, stations endpoint). See docs/telemetry.md.

Decoded by function (issue 18): SL 651 HEX and ASCII (SOH) frames, bodies by function code
(`sl651_layouts`: reports 30H–35H, 31H/38H time-step series, replies 37H, 38H, 3AH, 40H–43H, 45H, 46H, 4AH,
51H), missing values (all FF / all AA) recorded as missing and counted; SZY 206 frames with any number of
values, split (DIV) frames joined; SL 651 multi-packet messages joined, with a NAK listing missing packets (M3).
Refused by name (`UnsupportedFrame`): SL 651 36H image, 39H, 44H, 47H–49H, 4BH–50H and user-defined E0H–FFH.
"""

from water.telemetry.errors import (
    BadBCD,
    BadCRC,
    BadLength,
    BadTime,
    FrameError,
    MalformedFrame,
    ProfileMismatch,
    TruncatedFrame,
    UnknownFunction,
    UnknownProtocol,
    UnsupportedFrame,
)
from water.telemetry.framing import FrameSplitter
from water.telemetry.model import Element, Reading
from water.telemetry.profiles.answers import PacketAssembler, build_ack
from water.telemetry.profiles.decoding import DecodedFrame, decode_frame, detect_protocol, frame_from_text, station_of
from water.telemetry.profiles.export import to_dict, to_json
from water.telemetry.profiles.profile import DEFAULT_PROFILE, PRESETS, Profile, get_profile, profile_to_dict

__all__ = [
    "DEFAULT_PROFILE",
    "PRESETS",
    "BadBCD",
    "BadCRC",
    "BadLength",
    "BadTime",
    "DecodedFrame",
    "Element",
    "FrameError",
    "FrameSplitter",
    "MalformedFrame",
    "PacketAssembler",
    "Profile",
    "ProfileMismatch",
    "Reading",
    "TruncatedFrame",
    "UnknownFunction",
    "UnknownProtocol",
    "UnsupportedFrame",
    "build_ack",
    "decode_frame",
    "detect_protocol",
    "frame_from_text",
    "get_profile",
    "profile_to_dict",
    "station_of",
    "to_dict",
    "to_json",
]
