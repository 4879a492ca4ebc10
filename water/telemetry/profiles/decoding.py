"""`decode_frame`: detect the protocol, decode with the meter's profile, and turn the frame into readings
(`DecodedFrame`); `station_of` and `frame_from_text` for the gateway's counters and the CLI.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal
from typing import Any

from water.telemetry import sl651, szy206
from water.telemetry.crc import BytesLike
from water.telemetry.errors import FrameError, ProfileMismatch, UnknownProtocol
from water.telemetry.model import Element, ElementValue, Reading
from water.telemetry.profiles.profile import DEFAULT_PROFILE, FLOW_DIVISORS, VOLUME_UNITS, Profile
from water.telemetry.timeutil import require_aware, zone


@dataclass(slots=True)
class DecodedFrame:
    """A frame decoded through a profile: what the gateway, the CLI and the ingest service consume.

    Treat as read-only. Not ``frozen``: that costs ~130 ns per field to build, ~2 µs per frame here.

    ``values`` are every decoded element (protocol ids, see `Element`); ``readings`` the meter readings the
    profile extracts (empty for bad-CRC frames, downlink frames, fragments and frames without a time).
    ``frame`` is the protocol-level object (`szy206.SzyFrame` or `sl651.Sl651Frame`) for ack building and
    raw access.
    """

    protocol: str
    crc_ok: bool
    uplink: bool
    function: int
    station: str
    times: dict[str, datetime]
    values: tuple[Element, ...]
    alarm: int | None
    status: int | None
    readings: tuple[Reading, ...]
    unknown_elements: tuple[str, ...]
    complete: bool
    received_at: datetime
    profile: Profile
    frame: szy206.SzyFrame | sl651.Sl651Frame = field(repr=False)
    missing: int = 0  # values sent as "no data" (all FF / all AA): recorded as missing, counted per station

    @property
    def function_name(self) -> str:
        """Readable function: the SZY 206 AFN or the SL 651 function code."""
        frame = self.frame
        return frame.afn_name if isinstance(frame, szy206.SzyFrame) else frame.function_name

    @property
    def raw(self) -> bytes:
        """The frame bytes as received (all packets, for a reassembled SL 651 message)."""
        return self.frame.raw

    @property
    def addresses(self) -> dict[str, Any]:
        """Station address (hex as sent) and its readable parts; the SL 651 centre address."""
        frame = self.frame
        if isinstance(frame, szy206.SzyFrame):
            a = frame.address
            return {
                "station": a.hex,
                "mode": a.mode,
                "division": a.division,
                "station_no": a.station_no,
                "code": a.code,
                "kind": a.kind,
                "canonical": a.canonical,
            }
        out: dict[str, Any] = {
            "station": frame.station_hex,
            "centre": frame.centre,
            **sl651.station_parts(frame.station),
        }
        if frame.body_station is not None and frame.body_station != frame.station:
            out["body_station"] = frame.body_station.hex().upper()
        return out

    @property
    def alarm_flags(self) -> tuple[str, ...]:
        """Names of the alarm bits that are set (SZY 206 alarm word; SL 651 element 45H)."""
        if self.alarm is None:
            return ()
        table = szy206.ALARM_BITS if self.protocol == szy206.PROTOCOL else sl651.STATUS_BITS
        return tuple(name for bit, name in table.items() if self.alarm >> bit & 1)

    @property
    def status_flags(self) -> dict[str, int]:
        """SZY 206 terminal status: work mode (D0–D1) and the named bits that are set."""
        if self.status is None:
            return {}
        out = {"work_mode": self.status & 0x03}
        out.update({name: 1 for bit, name in szy206.STATUS_BITS.items() if self.status >> bit & 1})
        return out

    def value(self, element_id: str) -> ElementValue:
        """The first value with this element id (None when absent or "no data")."""
        for element in self.values:
            if element.id == element_id:
                return element.value
        return None


def detect_protocol(raw: BytesLike) -> str | None:
    """``"szy206"`` (68H), ``"sl651"`` (7E7E), ``"sl651-ascii"`` (SOH) or None."""
    if len(raw) >= 1 and raw[0] == szy206.START:
        return szy206.PROTOCOL
    if len(raw) >= 2 and raw[0] == 0x7E and raw[1] == 0x7E:
        return sl651.PROTOCOL
    if len(raw) >= 1 and raw[0] == sl651.SOH:
        return "sl651-ascii"
    return None


def decode_frame(
    raw: BytesLike,
    *,
    received_at: datetime,
    profile: Profile | None = None,
    check_crc: bool = True,
    crc_checked: bool = False,
) -> DecodedFrame:
    """Decode one complete frame of either protocol through ``profile`` (None = `DEFAULT_PROFILE`).

    ``received_at`` must be timezone-aware: it supplies year and month to SZY 206-2016 time labels.
    Raises a `FrameError` subclass for malformed input (``BadCRC`` unless ``check_crc=False``, in which case a
    bad-CRC frame is decoded with ``crc_ok=False`` and no readings). ``crc_checked=True`` when the caller has
    verified the checksum already (the gateway's `FrameSplitter`): the SZY 206 CRC-8 is not computed again.
    """
    require_aware(received_at)
    profile = profile or DEFAULT_PROFILE
    protocol = detect_protocol(raw)
    if protocol is None:
        raise UnknownProtocol("frame starts with neither 68H nor 7E 7E")
    if protocol == "sl651-ascii":
        protocol = sl651.PROTOCOL  # decoded by sl651.decode (SOH frames are handed to sl651_ascii)
    if profile.protocol is not None and profile.protocol != protocol:
        raise ProfileMismatch(
            f"profile {profile.name!r} is for {profile.protocol}, frame is {protocol}", protocol=protocol
        )
    if protocol == szy206.PROTOCOL:
        frame = szy206.decode(
            raw,
            edition=profile.edition,
            a2_byte_order=profile.a2_byte_order,
            pairs=profile.flow_volume_pairs,
            sign_rule=profile.sign_rule,
            volume_decimals=profile.volume_decimals,
            word_order=profile.status_word_order,
            check_crc=check_crc,
            crc_checked=crc_checked,
        )
        return from_szy206(frame, received_at, profile)
    return from_sl651(sl651.decode(raw, tz=zone(profile.clock_tz), check_crc=check_crc), received_at, profile)


def _flow_m3s(value: ElementValue, unit: str, profile: Profile) -> Decimal | None:
    if not isinstance(value, Decimal):
        return None
    if unit == "m3/s" and profile.flow_unit == "auto" and profile.multiplier == 1:
        return value
    if profile.flow_unit != "auto":
        unit = profile.flow_unit
    divisor = FLOW_DIVISORS.get(unit, Decimal(1))
    flow = value if divisor == 1 else value / divisor
    return flow if profile.multiplier == 1 else flow * profile.multiplier


def _volume_m3(value: ElementValue, profile: Profile) -> Decimal | None:
    if not isinstance(value, Decimal):
        return None
    if profile.volume_unit == "m3" and profile.multiplier == 1:
        return value
    factor = VOLUME_UNITS[profile.volume_unit] * profile.multiplier
    return value if factor == 1 else value * factor


def from_szy206(frame: szy206.SzyFrame, received_at: datetime, profile: Profile) -> DecodedFrame:
    times: dict[str, datetime] = {}
    readings: tuple[Reading, ...] = ()
    if frame.label is not None:
        try:
            moment = frame.label.resolve(received_at, zone(profile.clock_tz))
        except FrameError as exc:  # e.g. a day-30 label received on 1 March: count it against the station
            exc.protocol, exc.station = szy206.PROTOCOL, frame.address.hex
            raise
        times["label"] = moment
        if frame.crc_ok and frame.afn == 0xC0 and frame.control.data_type == 0x3:
            flow: Element | None = None
            volume: Element | None = None
            flow_id, volume_id = f"flow_{profile.channel}", f"volume_{profile.channel}"
            for element in frame.items:
                if element.id == flow_id:
                    flow = element
                elif element.id == volume_id:
                    volume = element
            flow_m3s = _flow_m3s(flow.value, flow.unit, profile) if flow is not None else None
            cumulative = _volume_m3(volume.value, profile) if volume is not None else None
            if flow_m3s is not None or cumulative is not None:
                readings = (Reading(frame.address.hex, moment, cumulative, flow_m3s),)
    return DecodedFrame(
        szy206.PROTOCOL,
        frame.crc_ok,
        frame.control.uplink,
        frame.afn,
        frame.address.hex,
        times,
        frame.items,
        frame.alarm,
        frame.status,
        readings,
        (),
        frame.divs is None,  # a split (DIV) frame carries one fragment: PacketAssembler joins them
        received_at,
        profile,
        frame,
        sum(1 for item in frame.items if item.value is None),
    )


def from_sl651(frame: sl651.Sl651Frame, received_at: datetime, profile: Profile) -> DecodedFrame:
    """Build the `DecodedFrame` of an SL 651 frame (also used for messages joined by `PacketAssembler`)."""
    times: dict[str, datetime] = {}
    if frame.sent_at is not None:
        times["sent"] = frame.sent_at
    if frame.observed_at is not None:
        times["observed"] = frame.observed_at
    alarm: int | None = None
    flow_id, volume_id = profile.flow_element, profile.volume_element
    plain = profile.plain
    default_time = frame.observed_at
    by_time: dict[datetime, list[Decimal | None]] = {}
    for element in frame.elements:
        element_id = element[0]
        if element_id == flow_id:
            slot = 1
        elif element_id == volume_id:
            slot = 0
        else:
            if element_id == "45" and isinstance(element[2], int):
                alarm = element[2]
            continue
        moment = element[6] or default_time
        if moment is None:
            continue
        value = element[2]
        if not isinstance(value, Decimal):
            value = None  # no data, or an array/bit word a profile should not have named
        elif slot:
            if not plain or element[3] != "m3/s":
                value = _flow_m3s(value, element[3] or "m3/s", profile)
        elif not plain:
            value = _volume_m3(value, profile)
        pair = by_time.get(moment)
        if pair is None:
            pair = by_time[moment] = [None, None]
        pair[slot] = value
    readings: tuple[Reading, ...] = ()
    if by_time and frame.crc_ok:
        station = frame.station_hex
        found = [
            Reading(station, moment, cumulative, flow)
            for moment, (cumulative, flow) in by_time.items()
            if cumulative is not None or flow is not None
        ]
        readings = tuple(found)
    unknown = frame.unknown
    if unknown and (flow_id in unknown or volume_id in unknown):
        # The profile's own extension carries a known quantity: not "unknown" for this meter's counters.
        unknown = tuple([u for u in unknown if u != flow_id and u != volume_id])
    return DecodedFrame(
        sl651.PROTOCOL,
        frame.crc_ok,
        frame.uplink,
        frame.function,
        frame.station_hex,
        times,
        frame.elements,
        alarm,
        None,
        readings,
        unknown,
        frame.complete,
        received_at,
        profile,
        frame,
        frame.missing,
    )


def station_of(raw: BytesLike) -> str | None:
    """The station address in a frame's header, without checking or decoding anything else (None if unreadable).

    For attributing refused frames (e.g. the splitter's ``rejected`` bad-CRC candidates) to a station's counters.
    """
    n = len(raw)
    if n >= 10 and raw[0] == szy206.START and raw[2] == szy206.START:
        pos = 5 if raw[3] & 0x40 else 4
        return bytes(raw[pos : pos + 5]).hex().upper() if n >= pos + 5 else None
    if n >= 13 and raw[0] == 0x7E and raw[1] == 0x7E:
        start = 3 if raw[11] >> 4 == 0 else 2  # uplink: centre first; downlink: station first
        return bytes(raw[start : start + 5]).hex().upper()
    if n >= 23 and raw[0] == sl651.SOH:
        text = bytes(raw[1:23])
        if text.translate(None, b"0123456789ABCDEFabcdef"):
            return None
        start = 3 if text[18:19] == b"0" else 1  # uplink: centre (2) first; downlink: station first
        return text[start - 1 : start + 9].decode().upper()
    return None


def frame_from_text(text: str) -> bytes:
    """CLI input → bytes: hex with any spacing, ``0x`` prefixes or ``|``/``:``/``-`` separators, else the text
    itself (an ASCII frame)."""
    compact = "".join(text.split()).replace("|", "").replace(":", "").replace("-", "")
    compact = compact.replace("0x", "").replace("0X", "")
    if compact and len(compact) % 2 == 0 and all(c in "0123456789abcdefABCDEF" for c in compact):
        return bytes.fromhex(compact)
    return text.encode("latin-1", errors="replace")
