"""Per-meter decoding profiles and the protocol-independent entry point `decode_frame`.

Why profiles: several layout facts are unverified or vendor-specific (domain.md §3.2 "Cumulative volume",
§3.3 "no standard cumulative withdrawal volume element", §7 item 3: "Commission each meter model against a
captured frame"). Each such fact is one field of `Profile` with a documented default; a meter's profile is
chosen when it is commissioned (``telemetry_decode HEX --profile NAME`` against its display).

Address lookup: ``DecodedFrame.station`` is the station address exactly as sent (hex). It does not depend on
the profile, so the gateway can find the meter (and then its profile) from a header decoded with the default
profile, and decode again with the meter's own profile.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field, fields, replace
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any, Literal

from water.telemetry import sl651, szy206
from water.telemetry.crc import BytesLike
from water.telemetry.errors import FrameError, ProfileMismatch, UnknownProtocol
from water.telemetry.model import Element, ElementValue, Reading
from water.telemetry.timeutil import require_aware, zone

Protocol = Literal["szy206", "sl651"]
VolumeUnit = Literal["m3", "L", "10^4 m3"]
FlowUnit = Literal["auto", "m3/s", "m3/h", "L/s"]

# m³ per unit of the decoded number.
VOLUME_UNITS: dict[str, Decimal] = {"m3": Decimal(1), "L": Decimal("0.001"), "10^4 m3": Decimal(10000)}
# Divide by this to get m³/s (division, not multiplication by 1/3600, keeps the Decimal exact where it can be).
FLOW_DIVISORS: dict[str, Decimal] = {"m3/s": Decimal(1), "m3/h": Decimal(3600), "L/s": Decimal(1000)}


def _element_id(text: str) -> bool:
    """Upper-case hex of 2 or 4 digits, or an ASCII mnemonic (a letter, then letters and digits, ≤ 8)."""
    if text != text.upper() or not text.isascii() or not text.isalnum():
        return False
    if len(text) in (2, 4) and all(c in "0123456789ABCDEF" for c in text):
        return True
    return text[0].isalpha() and len(text) <= 8


@dataclass(frozen=True, slots=True)
class Profile:
    """How to read one meter's frames. Every field has a default; presets name common combinations.

    Attributes:
        name: preset or meter-specific name (shown in the CLI output).
        protocol: ``"szy206"``, ``"sl651"`` or None (accept either; the frame's start bytes decide).
        edition: SZY 206 Tp length: ``"2016"`` (5 bytes, no month/year), ``"2021"`` (SL/T 427, 7 bytes) or
            ``"auto"`` (the length that divides the values into whole items). domain.md: "The parser must know
            which edition each station speaks" — set it for production meters.
        a2_byte_order: SZY 206 station-number byte order; little-endian per SL 427 [V: wainshine], big on some
            vendors' devices.
        flow_volume_pairs: SZY 206 function-3 data as (flow, cumulative volume) pairs [hm1212] — default, as the
            worked sample reads 5.900 + 106182 that way — or flows only [SL 427 toolkit]. [gap] in domain.md.
        sign_rule: SZY 206 5-byte value flags: ``"sl427"`` (D7–D6 sign, D5–D4 unit) or ``"hm1212"`` (D7 sign).
        volume_decimals: decimals of the SZY 206 cumulative volume (hm1212 reads integer m³: 0).
        status_word_order: byte order of the SZY 206 alarm/status words (see `water.telemetry.szy206`).
        channel: which SZY 206 value channel (pair) feeds the readings, 1-based.
        flow_element: SL 651 element id of the instantaneous flow (27H by Table C.1), None for none.
        volume_element: SL 651 element id carrying the cumulative volume — SL 651 has no standard one — e.g. an
            ``"FF01"``-style extension; None = the frame yields no cumulative volume.
        volume_unit: unit of the decoded cumulative volume.
        flow_unit: unit of the decoded flow; ``"auto"`` = what the frame says (SZY 206 unit bits, SL 651 m³/s).
        multiplier: meter constant applied to both cumulative volume and flow (1 = none). If the meter record
            applies its own multiplier, leave this at 1 so it is not applied twice.
        clock_tz: zone of the device clock; Beijing time unless a device is knowingly set otherwise (§6).
        confirm_keepalive: answer SL 651 2FH keep-alives too (the draft read for domain.md does not say).
        plain: derived, not set: True when no unit or multiplier conversion applies.
    """

    name: str = "default"
    protocol: Protocol | None = None
    edition: szy206.Edition = "auto"
    a2_byte_order: szy206.ByteOrder = "little"
    flow_volume_pairs: bool = True
    sign_rule: szy206.SignRule = "sl427"
    volume_decimals: int = 0
    status_word_order: szy206.ByteOrder = "little"
    channel: int = 1
    flow_element: str | None = "27"
    volume_element: str | None = None
    volume_unit: VolumeUnit = "m3"
    flow_unit: FlowUnit = "auto"
    multiplier: Decimal = Decimal(1)
    clock_tz: str = "Asia/Shanghai"
    confirm_keepalive: bool = False
    # Issue 18: a set-clock command is queued when the station's clock drifts from arrival time by more than this
    # many seconds (0 = off, the default).
    clock_max_drift_s: int = 0
    # Derived in __post_init__: no unit or multiplier conversion applies (the decoder's fast path).
    plain: bool = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        object.__setattr__(
            self, "plain", self.flow_unit == "auto" and self.volume_unit == "m3" and self.multiplier == 1
        )
        if self.protocol not in (None, "szy206", "sl651"):
            raise ValueError(f"unknown protocol {self.protocol!r}")
        if self.edition not in ("2016", "2021", "auto"):
            raise ValueError(f"unknown edition {self.edition!r}")
        if self.volume_unit not in VOLUME_UNITS:
            raise ValueError(f"volume_unit must be one of {sorted(VOLUME_UNITS)}")
        if self.flow_unit != "auto" and self.flow_unit not in FLOW_DIVISORS:
            raise ValueError(f"flow_unit must be auto or one of {sorted(FLOW_DIVISORS)}")
        if self.channel < 1:
            raise ValueError("channel is 1-based")
        if self.clock_max_drift_s < 0:
            raise ValueError("clock_max_drift_s must be ≥ 0 (0 = off)")
        if not 0 <= self.volume_decimals <= 7:
            raise ValueError("volume_decimals must be 0–7")
        for element in (self.flow_element, self.volume_element):
            # Hex ids ('27', 'FF01') or, for ASCII stations' user-defined elements, their mnemonic ('WV').
            if element is not None and not _element_id(element):
                raise ValueError(f"element ids are upper-case hex like '27' or 'FF01' (or a mnemonic), not {element!r}")
        try:
            zone(self.clock_tz)
        except (KeyError, ValueError):  # ZoneInfoNotFoundError is a KeyError
            raise ValueError(f"unknown time zone {self.clock_tz!r}") from None

    def with_(self, **changes: Any) -> Profile:
        """A copy with some fields changed (validated again)."""
        return replace(self, **changes)


DEFAULT_PROFILE = Profile()

PRESETS: dict[str, Profile] = {
    profile.name: profile
    for profile in (
        DEFAULT_PROFILE,
        # SZY 206-2016 intake meter as the hm1212 plugin reads it: 5-byte Tp, (flow, volume) pairs.
        Profile(name="szy206-2016", protocol="szy206", edition="2016"),
        Profile(name="szy206-2016-flow-only", protocol="szy206", edition="2016", flow_volume_pairs=False),
        # SL/T 427-2021 as the SL 427 toolkit reads it: 7-byte Tp, every 5-byte item a flow.
        Profile(name="slt427-2021", protocol="szy206", edition="2021", flow_volume_pairs=False),
        Profile(name="slt427-2021-pairs", protocol="szy206", edition="2021"),
        # SL 651 hydrological/intake station: flow from 27H, no cumulative volume unless a profile names one.
        Profile(name="sl651", protocol="sl651"),
    )
}


def get_profile(name: str, **overrides: Any) -> Profile:
    """A preset by name, optionally with fields overridden (``get_profile("sl651", volume_element="FF01")``)."""
    try:
        base = PRESETS[name]
    except KeyError:
        raise ValueError(f"unknown profile {name!r}; presets: {', '.join(sorted(PRESETS))}") from None
    return replace(base, **overrides) if overrides else base


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
) -> DecodedFrame:
    """Decode one complete frame of either protocol through ``profile`` (None = `DEFAULT_PROFILE`).

    ``received_at`` must be timezone-aware: it supplies year and month to SZY 206-2016 time labels.
    Raises a `FrameError` subclass for malformed input (``BadCRC`` unless ``check_crc=False``, in which case a
    bad-CRC frame is decoded with ``crc_ok=False`` and no readings).
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
        )
        return _from_szy(frame, received_at, profile)
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


def _from_szy(frame: szy206.SzyFrame, received_at: datetime, profile: Profile) -> DecodedFrame:
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


class PacketAssembler:
    """Per-connection helper: passes complete frames through, holds SL 651 packets and SZY 206 split frames
    until the message is whole. When the last SL 651 packet of a message (M3) arrives with others missing,
    `take_nak` returns the NAK listing them (the gateway sends it; the station resends those packets)."""

    def __init__(self, *, max_pending: int = 16, max_bytes: int = 1 << 20) -> None:
        self._reassembler = sl651.Reassembler(max_pending=max_pending, max_bytes=max_bytes)
        self._splits = szy206.SplitAssembler(max_pending=max_pending)
        self._nak: bytes | None = None

    def add(self, decoded: DecodedFrame) -> DecodedFrame | None:
        """The complete message (possibly ``decoded`` itself), or None while packets are missing.

        May raise a `FrameError` when the joined body is malformed.
        """
        if decoded.complete:
            return decoded
        frame = decoded.frame
        profile = decoded.profile
        if isinstance(frame, szy206.SzyFrame):
            if not frame.control.uplink:
                return decoded
            parts = self._splits.add(frame)
            if parts is None:
                return None
            joined = szy206.decode_joined(
                parts, edition=profile.edition, pairs=profile.flow_volume_pairs, sign_rule=profile.sign_rule,
                volume_decimals=profile.volume_decimals, word_order=profile.status_word_order,
            )  # fmt: skip
            return _from_szy(joined, decoded.received_at, profile)
        merged = self._reassembler.add(frame, zone(profile.clock_tz))
        if merged is None:
            missing = self._reassembler.missing_after(frame)
            if missing:
                self._nak = sl651.build_nak(frame, missing, sent_at=decoded.received_at, tz=zone(profile.clock_tz))
            return None
        return from_sl651(merged, decoded.received_at, profile)

    def take_nak(self) -> bytes | None:
        """The NAK to send for the message whose last packet just arrived incomplete (once), else None."""
        nak, self._nak = self._nak, None
        return nak

    @property
    def dropped(self) -> int:
        """Incomplete messages dropped to stay within bounds."""
        return self._reassembler.dropped + self._splits.dropped


def build_ack(decoded: DecodedFrame, *, keep_online: bool = False, sent_at: datetime | None = None) -> bytes | None:
    """The answer the station expects, or None when it expects none.

    SZY 206: link checks (02H) and self-reports (C0H, 81H, 82H) get the echo acknowledgement. SL 651: complete
    uplink reports (30H–36H; 2FH when the profile says so) get the M2 confirmation, ending with ESC when
    ``keep_online`` (the centre has commands queued) else EOT; its send time echoes the station's unless
    ``sent_at`` is given. Bad-CRC frames are never acknowledged: the station must resend.
    """
    if not decoded.crc_ok:
        return None
    frame = decoded.frame
    if isinstance(frame, szy206.SzyFrame):
        return szy206.build_ack(frame) if szy206.needs_ack(frame) else None
    if not sl651.needs_confirmation(frame, keepalive=decoded.profile.confirm_keepalive) or frame.serial is None:
        return None
    end = sl651.ESC if keep_online else sl651.EOT
    return sl651.build_confirmation(frame, end=end, sent_at=sent_at, tz=zone(decoded.profile.clock_tz))


# --- JSON for the operator CLI ---------------------------------------------------------------------------------


def _number(value: Decimal) -> int | float:
    # JSON has no decimal type; the element's "decimals" and "raw" keep the exact form.
    return int(value) if value == value.to_integral_value() and value.as_tuple().exponent == 0 else float(value)


def _json_value(value: ElementValue) -> Any:
    if isinstance(value, Decimal):
        return _number(value)
    if isinstance(value, tuple):
        return [None if v is None else _number(v) for v in value]
    return value


def _iso(moment: datetime | None) -> str | None:
    return None if moment is None else moment.isoformat()


def _header(decoded: DecodedFrame) -> dict[str, Any]:
    frame = decoded.frame
    if isinstance(frame, szy206.SzyFrame):
        control = frame.control
        label = frame.label
        return {
            "control": f"{control.to_byte():02X}",
            "div": control.div,
            "divs": frame.divs,
            "fcb": control.fcb,
            "data_type": control.data_type,
            "data_type_name": szy206.DATA_TYPE_NAMES.get(control.data_type),
            "edition": frame.edition,
            "delay_min": None if label is None else label.delay_min,
            "link": None if frame.link is None else szy206.LINK_CODES[frame.link],
            "data": frame.data.hex().upper(),
        }
    return {
        "password": f"{frame.password:04X}",
        "serial": frame.serial,
        "station_class": frame.station_class_name,
        "start": "SYN" if frame.start == sl651.SYN else "STX",
        "end": sl651.END_NAMES.get(frame.end, f"{frame.end:02X}"),
        "packet": None if frame.packet is None else {"total": frame.packet[0], "seq": frame.packet[1]},
        "packets": frame.packets,
        "body": frame.body.decode("ascii", "replace") if frame.encoding == "ascii" else frame.body.hex().upper(),
        "encoding": frame.encoding,
        "info": None if frame.info is None else {k: _json_info(v) for k, v in frame.info.items()},
    }


def _json_info(value: Any) -> Any:
    if isinstance(value, datetime):
        return value.isoformat()
    return value


def to_dict(decoded: DecodedFrame) -> dict[str, Any]:
    """Plain-JSON-types view of a decoded frame (what `to_json` prints)."""
    values: dict[str, Any] = {}
    for element in decoded.values:
        key = element.id
        suffix = 2
        while key in values:  # the same element under a later F0 F0 observation time
            key = f"{element.id}#{suffix}"
            suffix += 1
        values[key] = {
            "name": element.name,
            "value": _json_value(element.value),
            "unit": element.unit,
            "decimals": element.decimals,
            "raw": element.raw.hex().upper(),
            "observed_at": _iso(element.observed_at),
            "known": element.known,
        }
    bits = None
    if decoded.alarm is not None:
        bits = {"word": decoded.alarm, "flags": list(decoded.alarm_flags)}
    status = None
    if decoded.status is not None:
        status = {"word": decoded.status, "flags": decoded.status_flags}
    return {
        "protocol": decoded.protocol,
        "crc_ok": decoded.crc_ok,
        "direction": "up" if decoded.uplink else "down",
        "complete": decoded.complete,
        "profile": decoded.profile.name,
        "addresses": decoded.addresses,
        "function": {"code": f"{decoded.function:02X}", "name": decoded.function_name},
        "header": _header(decoded),
        "times": {name: _iso(moment) for name, moment in decoded.times.items()}
        | {"received": _iso(decoded.received_at)},
        "values": values,
        "alarm": bits,
        "status": status,
        "unknown_elements": list(decoded.unknown_elements),
        "missing_values": decoded.missing,
        "readings": [
            {
                "address": r.address,
                "observed_at": _iso(r.observed_at),
                "observed_at_utc": r.observed_at.astimezone(UTC).isoformat(),
                "cumulative_m3": None if r.cumulative_m3 is None else str(r.cumulative_m3),
                "flow_m3s": None if r.flow_m3s is None else str(r.flow_m3s),
            }
            for r in decoded.readings
        ],
        "raw": decoded.raw.hex().upper(),
    }


def to_json(decoded: DecodedFrame, *, indent: int | None = 2) -> str:
    """The decoded frame as JSON (``telemetry_decode`` prints this)."""
    return json.dumps(to_dict(decoded), ensure_ascii=False, indent=indent)


def profile_to_dict(profile: Profile) -> dict[str, Any]:
    """A profile as plain JSON types (for storing a meter's profile or showing it)."""
    out: dict[str, Any] = {}
    for f in fields(profile):
        if not f.init:  # derived, not configuration
            continue
        value = getattr(profile, f.name)
        out[f.name] = str(value) if isinstance(value, Decimal) else value
    return out


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
