"""Decoded frames as JSON for the operator CLI (``telemetry_decode``)."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

from water.telemetry import sl651, szy206
from water.telemetry.model import ElementValue
from water.telemetry.profiles.decoding import DecodedFrame


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
