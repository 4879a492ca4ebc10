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

Not decoded: SL 651 SOH/ASCII frames (domain.md documents only their start byte; they raise
`UnsupportedFrame` and the splitter discards them), SL 651 31H equal-interval bodies, images, configuration
answers, SZY 206 split-frame (DIV) reassembly and the 81H–84H/B1H data layouts (headers decode, data stays raw).
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
from water.telemetry.profiles import (
    DEFAULT_PROFILE,
    PRESETS,
    DecodedFrame,
    PacketAssembler,
    Profile,
    build_ack,
    decode_frame,
    detect_protocol,
    frame_from_text,
    get_profile,
    profile_to_dict,
    station_of,
    to_dict,
    to_json,
)

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
