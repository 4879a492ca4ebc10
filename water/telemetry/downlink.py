"""The gateway's downlink (issue 18): deliver queued commands to connected stations, match their answers,
time out and retry, queue gap backfills and clock settings. Kept out of `gateway.py`: the gateway calls
`Downlink.on_frame` for every decoded message and runs `Downlink.run` as a task.

- **Delivery**: a command is sent while its station is connected — the connection its latest frame came in on
  is open (M4, or an SL 651 station held online: the confirmation of its report ends with ESC while commands
  are queued for it, so it stays on the link). One command is outstanding per station at a time.
- **Answers** are matched to the outstanding command: SL 651 by function and serial, SZY 206 by AFN. An answer
  to no outstanding command (a command never sent, a station answering with another station's address, a
  reply whose body names another station) is counted as a decode error and logged; nothing of it is stored.
- **Timeouts**: an unanswered command goes back to the queue after ``timeout`` seconds while attempts remain,
  then fails. Every state change is stored (`command_services.station_command_record`).
- **Backfill**: when a station's first report on a new connection comes after a gap of at least
  ``WATER_TELEMETRY_BACKFILL_MIN_MISSED`` report intervals, a 38H period query is queued for the gap (at most
  ``WATER_TELEMETRY_BACKFILL_MAX_HOURS`` back, at most one per station per
  ``WATER_TELEMETRY_BACKFILL_MIN_INTERVAL_S``). Its answer's readings are stored with source ``rtu_backfill``.
- **Clock**: the drift (station clock − arrival) of every SL 651 frame with a send time is kept per station; a
  station whose profile sets ``clock_max_drift_s`` (0 = off, the default) gets a set-clock command when the
  drift exceeds it (at most one per hour).
"""

from __future__ import annotations

import asyncio
import contextlib
import datetime as dt
import itertools
import logging
import time
from collections import deque
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Protocol

from water import conf
from water.choices import CommandKind, CommandSource, CommandState, ReadingSource
from water.telemetry import commands, sl651, szy206
from water.telemetry.profiles.decoding import DecodedFrame
from water.telemetry.selectors import QueuedCommand, queued_commands

if TYPE_CHECKING:
    from collections.abc import Callable, Coroutine

    from water.telemetry.connection import Connection as _Connection
    from water.telemetry.services import StationDelta


class Gateway(Protocol):
    """What the downlink uses of `water.telemetry.gateway.Gateway`, which creates it: named here as a
    protocol so this module does not import the gateway that imports it (issue 20)."""

    clock: Callable[[], dt.datetime]

    def spawn(self, coro: Coroutine[Any, Any, Any]) -> None: ...

    async def _in_db(self, fn: Callable[..., Any], *args: Any, writer: int = 0, **kwargs: Any) -> Any: ...


log = logging.getLogger("water.telemetry.gateway")

Key = tuple[str, str]
REJECT = "reject"
CLOCK_RULE_INTERVAL_S = 3600.0


@dataclass(slots=True)
class _Link:
    conn: _Connection
    centre: int = 1
    password: int = 0
    ascii_frame: bool = False
    meter_id: int | None = None


@dataclass(slots=True)
class _Outstanding:
    command: QueuedCommand
    match: commands.MatchKey
    sent: float


class Downlink:
    """Per-gateway command state (event-loop side only; database work goes through the gateway's executor)."""

    def __init__(self, gateway: Gateway, *, poll: float, timeout: float, actor: str) -> None:
        self.gateway = gateway
        self.poll = poll
        self.timeout = timeout
        self.actor = actor
        self.links: dict[Key, _Link] = {}
        self.queued: dict[Key, deque[QueuedCommand]] = {}
        self.outstanding: dict[Key, _Outstanding] = {}
        self._serials = itertools.count(1)
        self._taken: set[int] = set()  # ids sent or being sent: the poll must not queue them again
        self._backfill_at: dict[Key, float] = {}
        self._backfill_checking: set[Key] = set()
        # A reconnect seen while the previous connection's check is still waiting for the database: checked
        # again when that one is done (dropping it lost the backfill under load: 235 of 500 stations).
        self._backfill_again: dict[Key, tuple[int, dt.datetime, int]] = {}
        self._clock_at: dict[Key, float] = {}
        self._wake = asyncio.Event()
        self.stats = {
            "commands_sent": 0,
            "answers_matched": 0,
            "answers_unmatched": 0,
            "timeouts": 0,
            "backfills_queued": 0,
            "clock_settings_queued": 0,
        }

    # --- called by the gateway for every decoded message ---------------------------------------------------

    def has_pending(self, key: Key) -> bool:
        """Commands wait for this station (its SL 651 confirmation then ends with ESC: stay online)."""
        return bool(self.queued.get(key)) or key in self.outstanding

    def on_frame(
        self,
        key: Key,
        conn: _Connection,
        decoded: DecodedFrame,
        delta: StationDelta,
        now: dt.datetime,
        meter_id: int,
        report_interval_s: int | None,
    ) -> str:
        """Note the link, match an answer, keep the clock figure, trigger backfill. Returns the source for the
        frame's readings (``rtu`` / ``rtu_backfill``) or `REJECT` (count it, store nothing)."""
        frame = decoded.frame
        known = self.links.get(key)
        new_link = known is None or known.conn is not conn
        link = _Link(conn) if known is None or new_link else known
        self.links[key] = link
        link.meter_id = meter_id
        if isinstance(frame, sl651.Sl651Frame):
            link.centre, link.password, link.ascii_frame = frame.centre, frame.password, frame.encoding == "ascii"
            if frame.sent_at is not None:
                drift = (frame.sent_at - now).total_seconds()
                delta.clock_drift_s = drift
                self._clock_rule(key, decoded, drift, meter_id)
        source: str = ReadingSource.RTU
        match = commands.answer_key(frame)
        if match is not None:
            verdict = self._answer(key, decoded, match, delta, now)
            if verdict == REJECT:
                return REJECT
            source = verdict
        elif new_link and decoded.readings and report_interval_s:
            self._backfill_rule(key, meter_id, decoded.readings[0].observed_at, report_interval_s)
        if self.has_pending(key):
            self._wake.set()
        return source

    def _answer(
        self, key: Key, decoded: DecodedFrame, match: commands.MatchKey, delta: StationDelta, now: dt.datetime
    ) -> str:
        frame = decoded.frame
        pending = self.outstanding.get(key)
        wrong_station = (
            isinstance(frame, sl651.Sl651Frame)
            and frame.body_station is not None
            and frame.body_station != frame.station
        )
        if pending is None or pending.match != match or wrong_station:
            self.stats["answers_unmatched"] += 1
            delta.decode_errors += 1
            why = "names another station in its body" if wrong_station else "answers no command sent to it"
            delta.last_error = f"answer {match[0]:02X}H serial {match[1]}: {why}"[:200]
            log.warning(
                "telemetry: %s station %s: frame %02XH %s; not stored: %s",
                key[0],
                key[1],
                match[0],
                why,
                decoded.raw.hex().upper(),
            )
            return REJECT
        del self.outstanding[key]
        self.stats["answers_matched"] += 1
        command = pending.command
        answer = _summary(decoded, now)
        if "clock" in answer:
            clock = dt.datetime.fromisoformat(answer["clock"])
            answer["drift_s"] = delta.clock_drift_s = round((clock - now).total_seconds(), 3)
        self._record(command.id, CommandState.ANSWERED, "answered", answer=answer)
        self._taken.discard(command.id)
        self._wake.set()
        return ReadingSource.RTU_BACKFILL if command.kind == CommandKind.PERIOD else ReadingSource.RTU

    # --- rules that queue commands ---------------------------------------------------------------------------

    def _backfill_rule(self, key: Key, meter_id: int, first: dt.datetime, interval_s: int) -> None:
        if key[0] != "sl651":
            return  # SZY 206 stored-data query (B1H) is not implemented
        mono = time.monotonic()
        if key in self._backfill_checking:
            self._backfill_again[key] = (meter_id, first, interval_s)
            return
        if mono - self._backfill_at.get(key, -1e12) < conf.backfill_min_interval_s():
            return
        self._backfill_checking.add(key)
        self.gateway.spawn(self._queue_backfill(key, meter_id, first, interval_s))

    async def _queue_backfill(self, key: Key, meter_id: int, first: dt.datetime, interval_s: int) -> None:
        from water.telemetry.command_services import station_backfill_queue

        try:
            command = await self.gateway._in_db(
                station_backfill_queue, meter_id=meter_id, before=first, interval_s=interval_s, actor=self.actor
            )
        except Exception:
            log.exception("telemetry: could not queue the backfill of station %s", key[1])
            return
        finally:
            self._backfill_checking.discard(key)
            again = self._backfill_again.pop(key, None)
        if command is None and again is not None:
            self._backfill_rule(key, *again)
        if command is not None:
            self._backfill_at[key] = time.monotonic()  # the rate limit counts queued backfills
            self.stats["backfills_queued"] += 1
            log.info("telemetry: station %s reconnected after a gap: backfill %s queued", key[1], command.params)
            self._wake.set()

    def _clock_rule(self, key: Key, decoded: DecodedFrame, drift: float, meter_id: int) -> None:
        limit = decoded.profile.clock_max_drift_s
        if not limit or abs(drift) <= limit:
            return
        mono = time.monotonic()
        if mono - self._clock_at.get(key, -1e12) < CLOCK_RULE_INTERVAL_S:
            return
        self._clock_at[key] = mono
        self.gateway.spawn(self._queue_clock(key, meter_id, drift))

    async def _queue_clock(self, key: Key, meter_id: int, drift: float) -> None:
        from water.telemetry.command_services import station_command_create
        from water.telemetry.services import SYSTEM_SCOPE

        try:
            await self.gateway._in_db(
                station_command_create,
                scope=SYSTEM_SCOPE,
                actor=self.actor,
                meter_id=meter_id,
                kind=CommandKind.SET_CLOCK,
                source=CommandSource.CLOCK,
            )
        except Exception:
            log.exception("telemetry: could not queue the clock setting of station %s", key[1])
            return
        self.stats["clock_settings_queued"] += 1
        log.info("telemetry: station %s clock drifts %.0f s: set-clock queued", key[1], drift)
        self._wake.set()

    # --- the loop: poll the queue, deliver, time out -----------------------------------------------------------

    async def run(self, stop: asyncio.Event) -> None:
        while not stop.is_set():
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._wake.wait(), self.poll)
            self._wake.clear()
            if stop.is_set():
                return
            try:
                await self._tick()
            except Exception:
                log.exception("telemetry: downlink tick failed")

    async def _tick(self) -> None:
        from water.telemetry.services import SYSTEM_SCOPE

        rows = await self.gateway._in_db(queued_commands, scope=SYSTEM_SCOPE)
        queued: dict[Key, deque[QueuedCommand]] = {}
        for row in rows:
            if row.id not in self._taken:
                queued.setdefault((row.protocol, row.address), deque()).append(row)
        self.queued = queued
        now_mono = time.monotonic()
        for key, pending in list(self.outstanding.items()):
            if now_mono - pending.sent >= self.timeout:
                del self.outstanding[key]
                self._taken.discard(pending.command.id)
                self.stats["timeouts"] += 1
                command = pending.command
                attempts = command.attempts + 1
                if attempts >= command.max_attempts:
                    self._record(command.id, CommandState.FAILED, f"no answer after {attempts} attempts")
                else:
                    self._record(command.id, CommandState.QUEUED, f"no answer within {self.timeout:g} s; retry")
        for key, waiting in queued.items():
            if key in self.outstanding or not waiting:
                continue
            link = self.links.get(key)
            if link is None or link.conn.closed or link.conn.writer.is_closing():
                continue
            self._send(key, link, waiting.popleft())

    def _send(self, key: Key, link: _Link, command: QueuedCommand) -> None:
        now = self.gateway.clock()
        address = bytes.fromhex(key[1])
        try:
            if key[0] == "sl651":
                serial = next(self._serials) % 65535 + 1
                frame, match = commands.encode_sl651(
                    command.kind,
                    station=address,
                    centre=link.centre,
                    password=link.password,
                    serial=serial,
                    now=now,
                    params=dict(command.params),
                    ascii_frame=link.ascii_frame,
                )
            else:
                serial = None
                frame, match = commands.encode_szy206(command.kind, address=address, now=now)
        except (KeyError, ValueError) as exc:
            self._record(command.id, CommandState.FAILED, f"cannot encode: {exc}")
            return
        if not link.conn.send(frame):
            return
        self._taken.add(command.id)
        self.outstanding[key] = _Outstanding(command, match, time.monotonic())
        self.stats["commands_sent"] += 1
        self._record(command.id, CommandState.SENT, f"sent to {link.conn.peer}", serial=serial)
        log.info("telemetry: %s sent to station %s: %s", command.kind, key[1], frame.hex().upper())

    def _record(self, command_id: int, state: str, detail: str, **extra: Any) -> None:
        from water.telemetry.command_services import station_command_record

        async def write() -> None:
            try:
                await self.gateway._in_db(
                    station_command_record, command_id=command_id, state=state, actor=self.actor, detail=detail, **extra
                )
            except Exception:
                log.exception("telemetry: could not record command %s → %s", command_id, state)

        self.gateway.spawn(write())


def _summary(decoded: DecodedFrame, now: dt.datetime) -> dict[str, Any]:
    """What an answer said, as JSON for the command row."""
    frame = decoded.frame
    out: dict[str, Any] = {"function": f"{decoded.function:02X}", "received_at": now.isoformat()}
    if decoded.values:
        out["values"] = len(decoded.values)
        out["missing"] = decoded.missing
    if decoded.readings:
        out["readings"] = len(decoded.readings)
        out["first"] = decoded.readings[0].observed_at.isoformat()
        out["last"] = decoded.readings[-1].observed_at.isoformat()
    if decoded.alarm is not None:
        out["status_word"] = decoded.alarm
        out["flags"] = list(decoded.alarm_flags)
    if isinstance(frame, sl651.Sl651Frame):
        if frame.info and "clock" in frame.info:
            out["clock"] = frame.info["clock"].isoformat()
        if frame.info and "version" in frame.info:
            out["version"] = frame.info["version"]
    elif frame.afn == 0x51:
        clock = commands.szy206_clock(frame)
        if clock is not None:
            out["clock"] = clock.isoformat()
    elif frame.afn == 0x5E and len(frame.data) >= 4:
        out["alarm_word"] = int.from_bytes(frame.data[:2], "little")
        out["status_word"] = int.from_bytes(frame.data[2:4], "little")
    if isinstance(frame, szy206.SzyFrame):
        out["data"] = frame.data.hex().upper()
    return out
