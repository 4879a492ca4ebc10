"""SL 651 multi-packet messages (SYN packets, ETB … ETX) joined in sequence order."""

from __future__ import annotations

from collections import OrderedDict
from dataclasses import replace
from datetime import tzinfo

from water.telemetry import (
    sl651_layouts as layouts,  # body layouts by function (it reads the tables and element parser)
)
from water.telemetry.errors import (
    FrameError,
)
from water.telemetry.sl651.frame import Sl651Frame
from water.telemetry.sl651.tables import PROTOCOL
from water.telemetry.timeutil import BEIJING


class Reassembler:
    """Joins SYN packets (ETB … ETX) into one message, in sequence order whatever the arrival order.

    Bounded: at most ``max_pending`` incomplete messages and ``max_bytes`` of held fragments; the oldest
    incomplete message is dropped first (counted in ``dropped``). One instance per connection.
    """

    def __init__(self, *, max_pending: int = 16, max_bytes: int = 1 << 20) -> None:
        self.max_pending = max_pending
        self.max_bytes = max_bytes
        self.dropped = 0
        self._held = 0
        self._pending: OrderedDict[tuple[bytes, int, int, bool, int], dict[int, Sl651Frame]] = OrderedDict()

    def add(self, frame: Sl651Frame, tz: tzinfo = BEIJING) -> Sl651Frame | None:
        """Return the whole message when ``frame`` completes it (or is not a packet at all), else None."""
        if frame.packet is None:
            return frame
        count, seq = frame.packet
        key = (frame.station, frame.centre, frame.function, frame.uplink, count)
        parts = self._pending.get(key)
        if parts is None:
            parts = self._pending[key] = {}
        old = parts.get(seq)
        self._held += len(frame.body) - (len(old.body) if old else 0)
        parts[seq] = frame
        if len(parts) < count:
            self._evict()
            return None
        del self._pending[key]
        ordered = [parts[i] for i in range(1, count + 1)]
        self._held -= sum(len(p.body) for p in ordered)
        first, last = ordered[0], ordered[-1]
        merged = replace(
            first,
            raw=b"".join(p.raw for p in ordered),
            body=b"".join(p.body for p in ordered),
            length=sum(p.length for p in ordered),
            end=last.end,
            crc=last.crc,
            crc_ok=all(p.crc_ok for p in ordered),
            packet=None,
            packets=count,
        )
        try:
            if merged.encoding == "ascii":
                parsed = layouts.parse_ascii_body(merged.function, merged.uplink, merged.end, merged.body, tz)
            else:
                parsed = layouts.parse_body(merged.function, merged.uplink, merged.end, merged.body, tz)
        except FrameError as exc:
            exc.protocol = PROTOCOL
            exc.station = exc.station or merged.station_hex
            raise
        (
            merged.serial,
            merged.sent_raw,
            merged.sent_at,
            merged.body_station,
            merged.station_class,
            merged.observed_at,
            merged.elements,
            merged.unknown,
            merged.missing,
            merged.info,
        ) = parsed
        return merged

    def missing_after(self, frame: Sl651Frame) -> list[int]:
        """After `add` returned None for the last packet of a message (sequence = total, M3): the packet numbers
        still missing, for the NAK (empty for any other packet)."""
        if frame.packet is None or frame.packet[1] != frame.packet[0]:
            return []
        count = frame.packet[0]
        key = (frame.station, frame.centre, frame.function, frame.uplink, count)
        parts = self._pending.get(key, {})
        return [seq for seq in range(1, count + 1) if seq not in parts]

    def _evict(self) -> None:
        while self._pending and (len(self._pending) > self.max_pending or self._held > self.max_bytes):
            _, parts = self._pending.popitem(last=False)
            self._held -= sum(len(p.body) for p in parts.values())
            self.dropped += 1

    @property
    def pending(self) -> int:
        """Incomplete messages held."""
        return len(self._pending)
