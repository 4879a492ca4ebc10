"""The telemetry gateway's writers: the queued readings stored in batches, and the acks sent once they are.

Each writer (`Gateway._dbs`, one database thread each) owns the meters whose id falls to it and a queue of
`Pending` readings. `WriterMixin._writer_loop` takes a batch every ``batch_size`` readings or
``flush_interval`` seconds and stores it through `telemetry_readings_store`, retrying ``store_retries`` times;
a frame's ack (its `Ticket`) goes out when the last of its readings has committed (stored, duplicate or
refused for good), one write per connection per batch. Readings whose batch could not be stored are not
acknowledged: the station resends them. Split out of `water.telemetry.gateway` (module size); the gateway
class mixes this in.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from water.telemetry.gateway_config import GatewayConfig, GatewayStats
from water.telemetry.services import DUPLICATE, STORED, FrameReading, Outcome, StationDelta, telemetry_readings_store

if TYPE_CHECKING:
    from water.telemetry.connection import Connection as _Connection

log = logging.getLogger("water.telemetry.gateway")


@dataclass(eq=False, slots=True)
class Ticket:
    """A frame whose ack waits for its readings to be stored."""

    conn: _Connection
    ack: bytes | None
    remaining: int
    station: tuple[str, str]  # the key, not the delta: the counters flush swaps the deltas between batches


@dataclass(slots=True)
class Pending:
    reading: FrameReading
    ticket: Ticket


class WriterMixin:
    """The storing half of `Gateway` (attributes set by its ``__init__``)."""

    config: GatewayConfig
    stats: GatewayStats
    _queues: list[deque[Pending]]
    _fulls: list[asyncio.Event]
    _queued: int
    _room: asyncio.Event
    _draining: bool

    async def _in_db(self, fn: Callable[..., Any], *args: Any, writer: int = 0, **kwargs: Any) -> Any:
        raise NotImplementedError

    def _station(self, key: tuple[str, str]) -> StationDelta:
        raise NotImplementedError

    async def _writer_loop(self, index: int) -> None:
        cfg = self.config
        queue, full = self._queues[index], self._fulls[index]
        while True:
            if len(queue) < cfg.batch_size and not self._draining:
                full.clear()
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(full.wait(), cfg.flush_interval)
            if not queue:
                if self._draining:
                    return
                continue
            batch = [queue.popleft() for _ in range(min(cfg.batch_size, len(queue)))]
            self._queued -= len(batch)
            await self._store(batch, index)
            if self._queued < cfg.max_queue // 2:
                self._room.set()

    async def _store(self, batch: list[Pending], writer: int) -> None:
        readings = [p.reading for p in batch]
        outcomes: list[Outcome] | None = None
        for attempt in range(self.config.store_retries + 1):
            try:
                t0 = time.perf_counter()
                outcomes = await self._in_db(
                    telemetry_readings_store, readings=readings, actor=self.config.actor, writer=writer
                )
                log.debug("telemetry: batch of %d stored in %.3f s", len(batch), time.perf_counter() - t0)
                break
            except Exception:
                self.stats.store_errors += 1
                log.exception("telemetry: storing %d readings failed (attempt %d)", len(batch), attempt + 1)
                await asyncio.sleep(min(0.5 * 2**attempt, 5.0))
        if outcomes is None:
            # Not acknowledged: the stations resend these frames (and a resend is a harmless duplicate).
            self.stats.readings_unacknowledged += len(batch)
            log.error("telemetry: %d readings not stored after retries; their frames are not acknowledged", len(batch))
            return
        stats = self.stats
        # The batch's acks go out once per connection (one write, not one per frame: issue 18 speed), in order.
        acks: dict[_Connection, tuple[list[bytes], list[StationDelta]]] = {}
        for pending, outcome in zip(batch, outcomes, strict=True):
            ticket = pending.ticket
            delta = self._station(ticket.station)
            if outcome.status == STORED:
                stats.readings_stored += 1
                delta.readings_stored += 1
            elif outcome.status == DUPLICATE:
                stats.readings_duplicate += 1
                delta.readings_duplicate += 1
            else:
                stats.readings_refused += 1
                delta.readings_refused += 1
                delta.last_error = f"reading {pending.reading.observed_at.isoformat()}: {outcome.reason}"[:200]
                log.warning(
                    "telemetry: %s station %s meter %s: reading at %s refused: %s",
                    delta.protocol,
                    delta.address,
                    pending.reading.serial,
                    pending.reading.observed_at.isoformat(),
                    outcome.reason,
                )
            ticket.remaining -= 1
            if ticket.remaining == 0 and ticket.ack is not None:
                frames, deltas = acks.setdefault(ticket.conn, ([], []))
                frames.append(ticket.ack)
                deltas.append(delta)
        for conn, (frames, deltas) in acks.items():
            if conn.send(b"".join(frames)):
                stats.acks_sent += len(frames)
                for delta in deltas:
                    delta.acks_sent += 1
            else:
                stats.acks_undelivered += len(frames)
