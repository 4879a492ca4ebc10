"""What the telemetry gateway logs of the bytes its framer rejects (issue 18 "Bad input"), rate-limited per
connection.

Every rejected run of a connection's stream (`water.telemetry.framing.Reject`: a bad checksum, a wrong length
in an ASCII header, non-hex characters where hex is due, a false start, garbage) is counted, and logged with the
peer, the connection's station once a frame has named it, the reason and a short hex excerpt. A flood must not
fill the log: a connection logs at most ``burst`` runs per ``window`` seconds; the rest of the window is only
counted, and one summary line says how many went unlogged (when the next window opens, or when the connection
closes).
"""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass
from typing import TYPE_CHECKING

from water.telemetry.framing import BAD_CRC, EXCERPT, FrameSplitter, Reject
from water.telemetry.gateway_config import GatewayConfig, GatewayStats
from water.telemetry.profiles.decoding import station_of
from water.telemetry.services import StationDelta

if TYPE_CHECKING:
    from water.telemetry.connection import Connection as _Connection

log = logging.getLogger("water.telemetry.gateway")


@dataclass(slots=True)
class RejectLog:
    """The log budget of one connection."""

    burst: int
    window: float
    opened: float = float("-inf")  # when the current window started (event-loop time)
    logged: int = 0
    suppressed: int = 0

    def log(self, reject: Reject, now: float, peer: str, station: str) -> None:
        if now - self.opened >= self.window:
            self.summary(peer, station)
            self.opened, self.logged = now, 0
        if self.logged >= self.burst:
            self.suppressed += 1
            return
        self.logged += 1
        more = "…" if reject.size > EXCERPT else ""
        log.warning(
            "telemetry: rejected %d bytes from %s station %s: %s: %s%s",
            reject.size,
            peer,
            station,
            reject.reason,
            reject.excerpt.hex().upper(),
            more,
        )
        if self.logged == self.burst:
            log.warning(
                "telemetry: %s station %s: further rejected bytes are only counted for %g s", peer, station, self.window
            )

    def summary(self, peer: str, station: str) -> None:
        """The unlogged runs of the window that ends (nothing when there were none)."""
        if self.suppressed:
            log.warning(
                "telemetry: %s station %s: %d more rejected runs not logged (limit %d per %g s)",
                peer,
                station,
                self.suppressed,
                self.burst,
                self.window,
            )
            self.suppressed = 0


def station_name(station: tuple[str, str] | None) -> str:
    return f"{station[0]} {station[1]}" if station is not None else "(not identified)"


class RejectsMixin:
    """The counting and logging of rejected bytes, a part of `Gateway` (attributes set by its ``__init__``)."""

    config: GatewayConfig
    stats: GatewayStats

    def _station(self, key: tuple[str, str]) -> StationDelta:
        raise NotImplementedError

    def _on_rejected(self, conn: _Connection, splitter: FrameSplitter, before_runs: int) -> None:
        """Count and log what the framer rejected in the last read (issue 18 "Bad input"): bad checksums per
        station of the frame's address (else the connection's), other runs as decode errors of the connection's
        station once a frame has named it; logged at most ``reject_log_burst`` per connection and window."""
        stats = self.stats
        stats.rejected_runs += splitter.rejected_runs - before_runs
        stats.bad_crc += splitter.bad_crc - conn.bad_crc_seen  # the counter: `rejected` keeps the last 256 only
        conn.bad_crc_seen = splitter.bad_crc
        while splitter.rejected:
            raw = splitter.rejected.popleft()
            address = station_of(raw)
            key = ("szy206" if raw[0] == 0x68 else "sl651", address) if address else conn.station
            if key is not None:
                delta = self._station(key)
                delta.bad_crc += 1
                delta.last_remote = conn.peer
        malformed = splitter.malformed_runs - conn.malformed_seen
        conn.malformed_seen = splitter.malformed_runs
        if conn.station is not None and malformed:
            delta = self._station(conn.station)
            delta.decode_errors += malformed
            delta.last_remote = conn.peer
            reason = next((r.reason for r in reversed(splitter.rejects) if r.reason != BAD_CRC), "malformed")
            delta.last_error = f"rejected by the framer: {reason}"[:200]
        budget = conn.rejects
        if budget is None:
            budget = conn.rejects = RejectLog(self.config.reject_log_burst, self.config.reject_log_window)
        now = time.monotonic()
        name = station_name(conn.station)
        while splitter.rejects:
            budget.log(splitter.rejects.popleft(), now, conn.peer, name)
