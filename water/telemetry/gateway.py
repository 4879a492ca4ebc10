"""The telemetry gateway: an asyncio TCP server that RTUs report to in SZY 206 / SL 651 frames.

Per connection: a `FrameSplitter` cuts the byte stream into frames (resynchronising after garbage, joining
frames split across reads, splitting several frames in one read); the station address in each frame's header
picks the meter (a directory loaded from the meter ledger, refreshed every ``meter_ttl`` seconds and, for an
unknown address, at most every ``miss_refresh`` seconds); the frame is decoded with that meter's profile;
readings are queued. Writer tasks store the queues in batches (every ``batch_size`` readings or
``flush_interval`` seconds) through `water.telemetry.services.telemetry_readings_store`, each in its own
database thread with one connection, while the event loop keeps decoding: one writer on SQLite (one writer at a
time is what it takes), two on PostgreSQL by default (``db_writers``), each owning the meters whose id falls to
it, so they never wait on each other's meter locks.

Acknowledgements (SZY 206 link-check and report acks, SL 651 M2/M4 confirmations) are sent by the codec's
`build_ack`. A frame that carries readings is acknowledged only after its batch has committed (stored,
duplicate or refused for good): a station whose frame was not stored — the gateway crashed, the database was
down — gets no ack and resends, and a resend is a duplicate, which is harmless. Frames of unknown stations are
not acknowledged, so their RTUs keep their data until the meter is commissioned.

Who may connect (issue 14, `water.telemetry.admission`): peers outside ``allowed_networks`` are closed at once
(``connections_denied``), and one peer address holds at most ``max_connections_per_peer`` connections
(``connections_refused_peer``), so idle sockets from one host cannot lock real RTUs out of the gateway-wide
bound (``connections_refused``). The idle timer is reset only by frames of commissioned stations that pass
the password check: a frame of an unknown station, a bad CRC or garbage keeps no connection open. An SL 651
station whose meter has an ``rtu_password`` must send it: a frame with another one is neither stored nor
acknowledged (``bad_password``).

Counted per station (persisted every ``counters_interval`` seconds by `station_counters_add`, not per frame)
and globally (logged with the same period, and kept in `Gateway.stats`): frames, bad CRCs, wrong passwords,
unknown elements, decode errors, readings stored / duplicate / refused, acks, last seen, last remote address.
Connections refused or denied and idle drops are global only (no station to charge them to); the bytes the
framer rejects are counted, logged (rate-limited) and charged to the connection's station once a frame named it
(`water.telemetry.gateway_rejects`).
Readings whose batch could not be stored after the retries are ``readings_unacknowledged``: their frames get
no ack, so the station resends them (nothing is lost); an ack the connection could no longer carry is
``acks_undelivered`` (the station resends that frame too, a harmless duplicate). Nothing a client sends stops
the server: every refusal is a `FrameError` or a counted condition.

Shutdown (`Gateway.stop`, SIGTERM/SIGINT in the command): stop accepting, stop reading, store every reading
already decoded (and send its ack), persist the counters, close the connections.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections import deque
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime
from typing import Any

from django.db import close_old_connections, connections

from water.telemetry.admission import DENIED, PEER_FULL, Admission, parse_networks, peer_host, sl651_password
from water.telemetry.connection import Connection as _Connection
from water.telemetry.downlink import REJECT, Downlink
from water.telemetry.errors import FrameError
from water.telemetry.framing import FrameSplitter
from water.telemetry.gateway_config import GatewayConfig, GatewayStats
from water.telemetry.gateway_rejects import RejectsMixin, station_name
from water.telemetry.gateway_writer import Pending, Ticket, WriterMixin
from water.telemetry.profiles.answers import PacketAssembler, build_ack
from water.telemetry.profiles.decoding import decode_frame, station_of
from water.telemetry.selectors import Directory, MeterEntry, meter_directory
from water.telemetry.services import (
    STATION_COUNTERS,
    SYSTEM_SCOPE,
    FrameReading,
    StationDelta,
    station_counters_add,
)

log = logging.getLogger("water.telemetry.gateway")

__all__ = ["Gateway", "GatewayConfig", "GatewayStats"]


def _now() -> datetime:
    return datetime.now(UTC)


class Gateway(WriterMixin, RejectsMixin):
    """The TCP server. ``await start()``, then ``await stop()`` (or `serve` until a stop is requested)."""

    def __init__(self, config: GatewayConfig | None = None, *, clock: Callable[[], datetime] = _now) -> None:
        self.config = config or GatewayConfig()
        self.clock = clock
        self.stats = GatewayStats()
        self.port: int | None = None
        self._server: asyncio.base_events.Server | None = None
        writers = self.config.db_writers or (2 if connections["default"].vendor == "postgresql" else 1)
        if connections["default"].vendor != "postgresql":
            writers = 1
        self._dbs = [ThreadPoolExecutor(max_workers=1, thread_name_prefix=f"telemetry-db{i}") for i in range(writers)]
        self._directory: Directory = {}
        self._directory_at = 0.0
        self._refreshing: asyncio.Task[None] | None = None
        self._stations: dict[tuple[str, str], StationDelta] = {}
        self._queues: list[deque[Pending]] = [deque() for _ in self._dbs]
        self._fulls = [asyncio.Event() for _ in self._dbs]
        self._queued = 0
        self._room = asyncio.Event()
        self._room.set()
        self._connections: dict[_Connection, asyncio.Task[Any]] = {}
        self._closing = False
        self._draining = False
        self._writer_tasks: list[asyncio.Task[None]] = []
        self._counters_task: asyncio.Task[None] | None = None
        self._stopped = asyncio.Event()
        self._counters_stop = asyncio.Event()
        self.downlink = Downlink(
            self, poll=self.config.command_poll, timeout=self.config.command_timeout, actor=self.config.actor
        )
        self._downlink_task: asyncio.Task[None] | None = None
        self._background: set[asyncio.Task[Any]] = set()
        self.admission = Admission(parse_networks(self.config.allowed_networks), self.config.max_connections_per_peer)

    def spawn(self, coro: Any) -> None:
        """Run a coroutine in the background (kept referenced; awaited on stop)."""
        task = asyncio.get_running_loop().create_task(coro)
        self._background.add(task)
        task.add_done_callback(self._background.discard)

    # --- lifecycle -------------------------------------------------------------------------------------------

    async def _in_db(self, fn: Callable[..., Any], *args: Any, writer: int = 0, **kwargs: Any) -> Any:
        def call() -> Any:
            close_old_connections()  # CONN_MAX_AGE / health checks apply to these long-lived threads too
            return fn(*args, **kwargs)

        return await asyncio.get_running_loop().run_in_executor(self._dbs[writer], call)

    async def start(self) -> None:
        """Load the meter directory, bind, start the writer and the counter flusher."""
        await self._refresh_directory()
        cfg = self.config
        self._server = await asyncio.start_server(self._on_connect, cfg.host, cfg.port, reuse_address=True)
        sock = self._server.sockets[0]
        self.port = sock.getsockname()[1]
        self._writer_tasks = [
            asyncio.create_task(self._writer_loop(i), name=f"telemetry-writer{i}") for i in range(len(self._dbs))
        ]
        self._counters_task = asyncio.create_task(self._counters_loop(), name="telemetry-counters")
        self._downlink_task = asyncio.create_task(self.downlink.run(self._counters_stop), name="telemetry-downlink")
        log.info(
            "telemetry gateway listening on %s:%s (max %d connections, idle timeout %g s, batch %d / %g ms)",
            cfg.host,
            self.port,
            cfg.max_connections,
            cfg.idle_timeout,
            cfg.batch_size,
            cfg.flush_interval * 1000,
        )

    async def serve(self) -> None:
        """Run until `request_stop` (signal handlers call it), then shut down gracefully."""
        if self._server is None:
            await self.start()
        await self._stopped.wait()
        await self.stop()

    def request_stop(self) -> None:
        self._stopped.set()

    async def stop(self) -> None:
        """Graceful shutdown: stop accepting and reading, store every decoded reading, send their acks,
        persist the counters, close the connections and the database thread."""
        if self._closing:
            return
        self._closing = True
        self._stopped.set()
        if self._server is not None:
            self._server.close()
        readers = list(self._connections.values())
        for task in readers:
            task.cancel()
        await asyncio.gather(*readers, return_exceptions=True)
        self._draining = True
        for full in self._fulls:
            full.set()
        await asyncio.gather(*self._writer_tasks)
        if self._counters_task is not None:
            # Not cancelled: a flush in progress must finish (a cancelled executor call may never run, and the
            # counts it carried would be lost).
            self._counters_stop.set()
            await asyncio.gather(self._counters_task, return_exceptions=True)
        if self._refreshing is not None:
            await asyncio.gather(self._refreshing, return_exceptions=True)
        if self._downlink_task is not None:
            await asyncio.gather(self._downlink_task, return_exceptions=True)
        while self._background:
            await asyncio.gather(*list(self._background), return_exceptions=True)
        await self._flush_counters()
        for conn in list(self._connections):
            await self._close(conn)
        self._connections.clear()
        if self._server is not None:
            with contextlib.suppress(Exception):
                await self._server.wait_closed()
        for i, executor in enumerate(self._dbs):
            with contextlib.suppress(Exception):
                await self._in_db(connections.close_all, writer=i)
            executor.shutdown(wait=True)
        log.info("telemetry gateway stopped: %s", self.stats.as_dict())

    # --- meter directory -------------------------------------------------------------------------------------

    async def _refresh_directory(self) -> None:
        try:
            directory, problems = await self._in_db(meter_directory, scope=SYSTEM_SCOPE)
        except Exception:
            log.exception("could not load the meter directory; keeping the previous one")
            self._directory_at = time.monotonic()
            return
        for problem in problems:
            log.error("telemetry: %s", problem)
        self._directory = directory
        self._directory_at = time.monotonic()

    def _schedule_refresh(self, *, force: bool = False) -> None:
        if self._closing or (self._refreshing is not None and not self._refreshing.done()):
            return
        age = time.monotonic() - self._directory_at
        if age >= self.config.meter_ttl or (force and age >= self.config.miss_refresh):
            self._refreshing = asyncio.create_task(self._refresh_directory())

    # --- connections -----------------------------------------------------------------------------------------

    def _station(self, key: tuple[str, str]) -> StationDelta:
        delta = self._stations.get(key)
        if delta is None:
            delta = self._stations[key] = StationDelta(protocol=key[0], address=key[1])
        return delta

    async def _close(self, conn: _Connection) -> None:
        conn.closed = True
        writer = conn.writer
        if not writer.is_closing():
            with contextlib.suppress(Exception):
                await writer.drain()
            writer.close()
        with contextlib.suppress(Exception):
            await asyncio.wait_for(writer.wait_closed(), 2.0)

    async def _refuse(self, writer: asyncio.StreamWriter) -> None:
        # Closed politely: a FIN, not a reset; the RTU's reconnect back-off spreads the retries.
        writer.close()
        with contextlib.suppress(Exception):
            await writer.wait_closed()

    async def _on_connect(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        peername = writer.get_extra_info("peername")
        peer = f"{peername[0]}:{peername[1]}" if isinstance(peername, tuple) else str(peername)
        host = peer_host(peername)
        verdict = DENIED if self._closing else self.admission.admit(host)
        if verdict == DENIED:
            self.stats.connections_denied += 1
            if not self._closing:
                log.warning("telemetry: connection from %s denied (not in the allowed networks)", peer)
            await self._refuse(writer)
            return
        if verdict == PEER_FULL:
            self.stats.connections_refused_peer += 1
            log.warning(
                "telemetry: connection from %s refused (%d open from this address, cap %d)",
                peer,
                self.admission.open_by_peer.get(host, 0),
                self.admission.per_peer,
            )
            await self._refuse(writer)
            return
        if len(self._connections) >= self.config.max_connections:
            self.admission.release(host)
            self.stats.connections_refused += 1
            log.warning(
                "telemetry: connection from %s refused (%d open, bound %d)",
                peer,
                len(self._connections),
                self.config.max_connections,
            )
            await self._refuse(writer)
            return
        conn = _Connection(writer, peer)
        task = asyncio.current_task()
        if task is None:  # pragma: no cover - start_server always runs the callback in a task
            self.admission.release(host)
            return
        self._connections[conn] = task
        self.stats.connections_accepted += 1
        self.stats.connections_open += 1
        try:
            await self._read_loop(conn, reader)
        except asyncio.CancelledError:
            pass  # shutdown: whatever was read has been decoded and queued; stop() closes the socket
        except (ConnectionError, OSError) as exc:
            log.info("telemetry: connection %s: %s", peer, exc)
        finally:
            self.stats.connections_open -= 1
            self.admission.release(host)
            if not self._closing:
                self._connections.pop(conn, None)
                await self._close(conn)

    async def _read_loop(self, conn: _Connection, reader: asyncio.StreamReader) -> None:
        cfg = self.config
        loop = asyncio.get_running_loop()
        splitter = FrameSplitter(keep_rejected=256)
        assembler = PacketAssembler()
        stats = self.stats
        # Idle means "no frame of a commissioned station (with its password)": a client trickling garbage, or
        # half a frame, or valid frames of an unknown station, is dropped as well (issue 14).
        last_frame = loop.time()
        try:
            while True:
                remaining = last_frame + cfg.idle_timeout - loop.time()
                if remaining <= 0:
                    stats.connections_idle_dropped += 1
                    log.info("telemetry: %s dropped after %g s without a frame", conn.peer, cfg.idle_timeout)
                    return
                try:
                    data = await asyncio.wait_for(reader.read(cfg.read_size), remaining)
                except TimeoutError:
                    continue
                if not data:
                    return
                stats.bytes_received += len(data)
                before_runs, before_frames = splitter.rejected_runs, splitter.frames
                frames = splitter.feed(data)
                if frames:
                    stats.frames += splitter.frames - before_frames
                    now = self.clock()
                    known = False
                    for raw in frames:
                        known = self._on_frame(conn, raw, now, assembler) or known
                    if known:
                        last_frame = loop.time()
                if splitter.rejected_runs != before_runs:  # after the frames: one of them may name the station
                    self._on_rejected(conn, splitter, before_runs)
                if not self._room.is_set():
                    await self._room.wait()
        finally:
            before_runs = splitter.rejected_runs
            splitter.flush()
            if splitter.rejected_runs != before_runs:
                self._on_rejected(conn, splitter, before_runs)
            if conn.rejects is not None:
                conn.rejects.summary(conn.peer, station_name(conn.station))
            stats.garbage_bytes += splitter.discarded_bytes

    def _on_frame(self, conn: _Connection, raw: bytes, now: datetime, assembler: PacketAssembler) -> bool:
        """Decode, queue and acknowledge one frame; whether it came from a commissioned station with the right
        password (only such frames keep the connection open)."""
        protocol = "szy206" if raw[0] == 0x68 else "sl651"
        address = station_of(raw) or ""
        key = (protocol, address)
        conn.station = key
        delta = self._station(key)
        delta.frames += 1
        if delta.first_seen is None:
            delta.first_seen = now
        delta.last_seen = now
        delta.last_remote = conn.peer
        entries = self._directory.get(key)
        if not entries:
            self.stats.unknown_station_frames += 1
            delta.meter_id = None
            if delta.frames == 1:
                log.warning(
                    "telemetry: unknown %s station %s from %s (no meter has this rtu_address)",
                    protocol,
                    address,
                    conn.peer,
                )
            self._schedule_refresh(force=True)
            return False
        self._schedule_refresh()
        newest = entries[0]
        delta.meter_id = newest.id
        if newest.password is not None and protocol == "sl651" and sl651_password(raw) != newest.password:
            self.stats.bad_password += 1
            delta.bad_password += 1
            delta.last_error = "SL 651 password does not match the meter's RTU password"
            if not conn.warned_password:
                conn.warned_password = True
                log.warning(
                    "telemetry: sl651 station %s from %s: wrong password; frame neither stored nor acknowledged: %s",
                    address,
                    conn.peer,
                    raw.hex().upper(),
                )
            return False
        try:
            # The splitter emits only frames whose checksum it verified: not computed a second time.
            decoded = decode_frame(raw, received_at=now, profile=newest.profile, crc_checked=True)
            merged = assembler.add(decoded)
        except FrameError as exc:
            self.stats.decode_errors += 1
            delta.decode_errors += 1
            delta.last_error = f"{type(exc).__name__}: {exc}"[:200]
            log.warning(
                "telemetry: %s station %s from %s: %s: %s; frame %s",
                protocol,
                address,
                conn.peer,
                type(exc).__name__,
                exc,
                raw.hex().upper(),
            )
            return True
        if merged is None:
            self._send_nak(conn, assembler, delta)
            return True  # a packet (SL 651) or fragment (SZY 206) of a message still incomplete
        if merged.missing:
            delta.missing_values += merged.missing
        source = self.downlink.on_frame(key, conn, merged, delta, now, newest.id, newest.report_interval_s)
        if source == REJECT:
            self.stats.decode_errors += 1
            return True
        if merged.unknown_elements:
            self.stats.unknown_elements += len(merged.unknown_elements)
            delta.unknown_elements += len(merged.unknown_elements)
            log.info("telemetry: station %s sent unknown elements %s", address, ", ".join(merged.unknown_elements))
        ack = build_ack(merged, keep_online=self.downlink.has_pending(key)) if merged.uplink else None
        if not merged.readings:
            if ack is not None:
                self._ack(conn, ack, delta)
            return True
        ticket = Ticket(conn, ack, len(merged.readings), key)
        raw_frame = merged.raw
        for reading in merged.readings:
            entry = _meter_at(entries, reading.observed_at)
            reading_in = FrameReading(
                serial=entry.serial,
                observed_at=reading.observed_at,
                cumulative_m3=reading.cumulative_m3,
                flow_m3s=reading.flow_m3s,
                raw_frame=raw_frame,
                meter_id=entry.id,
                installed_at=entry.installed_at,
                removed_at=entry.removed_at,
                register_max_m3=entry.register_max_m3,
                received_at=now,
                source=source,
            )
            index = entry.id % len(self._queues)
            queue = self._queues[index]
            queue.append(Pending(reading_in, ticket))
            if len(queue) >= self.config.batch_size:
                self._fulls[index].set()
        self._queued += len(merged.readings)
        self.stats.readings_queued += len(merged.readings)
        if self._queued >= self.config.max_queue:
            self._room.clear()
        return True

    def _ack(self, conn: _Connection, ack: bytes, delta: StationDelta) -> None:
        if conn.send(ack):
            self.stats.acks_sent += 1
            delta.acks_sent += 1
        else:
            self.stats.acks_undelivered += 1

    def _send_nak(self, conn: _Connection, assembler: PacketAssembler, delta: StationDelta) -> None:
        """SL 651 M3: the last packet arrived with others missing; the NAK lists them (domain.md §3.3)."""
        nak = assembler.take_nak()
        if nak is not None and conn.send(nak):
            log.info("telemetry: station %s: multi-packet message incomplete, NAK sent", delta.address)

    # --- counters --------------------------------------------------------------------------------------------

    async def _counters_loop(self) -> None:
        while not self._counters_stop.is_set():
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._counters_stop.wait(), self.config.counters_interval)
            if self._counters_stop.is_set():
                return  # stop() flushes once more after the last readings are stored
            await self._flush_counters()
            log.info("telemetry gateway: %s", self.stats.as_dict())

    async def _flush_counters(self) -> None:
        if not self._stations:
            return
        taken, self._stations = self._stations, {}
        deltas = list(taken.values())
        try:
            await self._in_db(station_counters_add, deltas=deltas)
        except (Exception, asyncio.CancelledError) as exc:
            if not isinstance(exc, asyncio.CancelledError):
                log.exception("telemetry: could not persist the station counters; keeping them for the next flush")
            for key, delta in taken.items():
                current = self._stations.get(key)
                if current is not None:
                    _merge(delta, current)
                self._stations[key] = delta
            if isinstance(exc, asyncio.CancelledError):
                raise


def _merge(into: StationDelta, later: StationDelta) -> None:
    for name in STATION_COUNTERS:
        setattr(into, name, getattr(into, name) + getattr(later, name))
    if later.frames:
        into.meter_id = later.meter_id
    into.first_seen = into.first_seen or later.first_seen
    into.last_seen = later.last_seen or into.last_seen
    into.last_remote = later.last_remote or into.last_remote
    into.last_error = later.last_error or into.last_error
    if later.clock_drift_s is not None:
        into.clock_drift_s = later.clock_drift_s


def _meter_at(entries: tuple[MeterEntry, ...], moment: datetime) -> MeterEntry:
    """The meter whose installation holds ``moment`` (newest first); else the newest (the store refuses it,
    naming the installation)."""
    for entry in entries:
        if entry.covers(moment):
            return entry
    return entries[0]
