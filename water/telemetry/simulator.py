"""A station simulator: generated frames replayed over TCP against a gateway (``telemetry_simulate``, the
gateway tests and ``benchmarks/telemetry_gateway.py``). Pure asyncio and the codec's encoders; no Django.

Each connection plays one station (its own address) reporting at consecutive observation times, ``step`` apart
and ending before now. The register is a function of the station and the instant, so running the simulator
twice over the same instants resends the same values (duplicates, harmless) rather than conflicting ones.

- ``szy206``: AFN C0 self-report, one (flow, cumulative volume) pair, 5-byte time label (profile
  ``szy206-2016``): the label has no month, so a station's run must span less than a month;
- ``sl651``: 32H timed report with flow 27H and the cumulative volume in the ``FF01`` extension (profile
  ``sl651;volume_element=FF01``).
"""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from decimal import Decimal

from water.telemetry import sl651, szy206
from water.telemetry.framing import FrameSplitter
from water.telemetry.timeutil import BEIJING

ANCHOR = datetime(2024, 1, 1, tzinfo=UTC)
SL651_PROFILE = "sl651;volume_element=FF01"
SZY206_PROFILE = "szy206-2016"


def station_address(protocol: str, index: int, division: str = "650102") -> str:
    """The address hex of simulated station ``index`` (1-based): division + station number, as each protocol
    sends it (SZY 206 A2 little-endian, SL 651 big-endian)."""
    number = index.to_bytes(2, "little") if protocol == "szy206" else index.to_bytes(2, "big")
    return (bytes.fromhex(division) + number).hex().upper()


def register_at(address: str, moment: datetime) -> int:
    """The simulated register (m³) of a station at an instant: 1 m³ per minute since 2024, plus an offset per
    station, so every run agrees on the value of an instant."""
    minutes = int((moment - ANCHOR).total_seconds() // 60)
    return 1000 + int(address[-4:], 16) + minutes


def make_frame(protocol: str, address: str, moment: datetime, serial: int = 1) -> bytes:
    """One report of station ``address`` observed at ``moment`` (whole minutes)."""
    volume = register_at(address, moment)
    flow = Decimal("0.017")
    if protocol == "szy206":
        return szy206.encode_self_report(address=bytes.fromhex(address), values=[flow, volume], observed_at=moment)
    elements = [
        sl651.encode_element(0x27, flow, nbytes=5, decimals=3),
        sl651.encode_element("FF01", Decimal(volume), nbytes=6, decimals=1),
    ]
    return sl651.encode_report(
        centre=1,
        station=bytes.fromhex(address),
        password=0x1234,
        serial=serial % 65535 + 1,
        sent_at=moment + timedelta(seconds=5),
        observed_at=moment,
        elements=elements,
        station_class=0x49,
    )


def station_frames(protocol: str, address: str, count: int, *, end: datetime, step: timedelta) -> list[bytes]:
    """``count`` reports of one station at whole minutes, the last one ``step`` before ``end``."""
    last = end.replace(second=0, microsecond=0) - step
    first = last - (count - 1) * step
    return [make_frame(protocol, address, first + i * step, serial=i) for i in range(count)]


@dataclass(slots=True)
class SimulationResult:
    """What a run saw: frames sent, acks received, seconds, and connection-level failures."""

    frames_sent: int = 0
    acks: int = 0
    send_seconds: float = 0.0
    total_seconds: float = 0.0
    failed_connections: int = 0
    errors: list[str] = field(default_factory=list)
    sent_at: list[float] = field(default_factory=list)

    @property
    def send_rate(self) -> float:
        return self.frames_sent / self.send_seconds if self.send_seconds else 0.0

    @property
    def ack_rate(self) -> float:
        return self.acks / self.total_seconds if self.total_seconds else 0.0


async def _one_station(
    host: str, port: int, frames: Sequence[bytes], chunk: int, ack_timeout: float, result: SimulationResult
) -> None:
    try:
        reader, writer = await asyncio.open_connection(host, port)
    except OSError as exc:
        result.failed_connections += 1
        result.errors.append(str(exc))
        return
    splitter = FrameSplitter()
    acks = 0

    async def read_acks() -> None:
        nonlocal acks
        while acks < len(frames):
            data = await reader.read(65536)
            if not data:
                return
            acks += len(splitter.feed(data))

    acker = asyncio.create_task(read_acks())
    try:
        for i in range(0, len(frames), chunk):
            writer.write(b"".join(frames[i : i + chunk]))
            await writer.drain()
        result.frames_sent += len(frames)
        result.sent_at.append(time.perf_counter())
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(asyncio.shield(acker), ack_timeout)
    except OSError as exc:
        result.failed_connections += 1
        result.errors.append(str(exc))
    finally:
        acker.cancel()
        with contextlib.suppress(BaseException):
            await acker
        result.acks += acks
        writer.close()
        with contextlib.suppress(Exception):
            await writer.wait_closed()


async def simulate(
    *,
    host: str,
    port: int,
    frames_by_connection: Sequence[Sequence[bytes]],
    chunk: int = 20,
    ack_timeout: float = 60.0,
) -> SimulationResult:
    """Open one connection per frame list, send each list in chunks of ``chunk`` frames (pipelined, as a
    station flushing its backlog does), and count the acknowledgements that come back."""
    result = SimulationResult()
    t0 = time.perf_counter()
    tasks = [
        asyncio.create_task(_one_station(host, port, frames, chunk, ack_timeout, result))
        for frames in frames_by_connection
    ]
    await asyncio.gather(*tasks)
    result.total_seconds = time.perf_counter() - t0
    result.send_seconds = (max(result.sent_at) - t0) if result.sent_at else 0.0
    return result


def plan(
    protocol: str,
    *,
    count: int,
    connections: int,
    addresses: Sequence[str] | None = None,
    end: datetime | None = None,
    step: timedelta = timedelta(minutes=1),
) -> list[list[bytes]]:
    """``count`` frames over ``connections`` stations (addresses given, or generated 650102 + 1…C)."""
    end = end or datetime.now(BEIJING)
    if addresses:
        stations = [addresses[i % len(addresses)] for i in range(connections)]
    else:
        stations = [station_address(protocol, i + 1) for i in range(connections)]
    per, extra = divmod(count, connections)
    return [
        station_frames(protocol, address, per + (1 if i < extra else 0), end=end, step=step)
        for i, address in enumerate(stations)
    ]


# --- an RTU that answers the centre's commands (issue 18) -------------------------------------------------------


@dataclass(slots=True)
class RtuLog:
    """What a simulated RTU did: reports sent, acks and commands received (by function), answers sent."""

    reports_sent: int = 0
    acks: int = 0
    commands: list[int] = field(default_factory=list)
    answers: int = 0
    naks: int = 0
    clock_set_to: datetime | None = None


class SimulatedRtu:
    """An SL 651 intake RTU (profile ``sl651;volume_element=FF01``) for the backfill loop.

    It reports the instants it is given, except those it "missed" while offline: it keeps their values
    (`register_at`) and serves them to a 38H period query as a time-step series (FF01, 6 bytes, 1 decimal;
    slots it holds nothing for are sent as missing, all FF). It answers 37H (flow and register now), 46H
    (status word 0), 51H (its clock: the host clock plus ``clock_offset``) and 4AH (takes the centre's time as
    its clock, then answers like 51H). A 38H query's window is whole hours: every held value from the start
    hour to the end of the end hour is served [R: the query carries YYMMDDhh]. Answers longer than one frame
    go as multi-packet (SYN) messages.
    """

    MAX_PACKET = 4000

    def __init__(
        self,
        address: str,
        *,
        held: Sequence[datetime] = (),
        step: timedelta = timedelta(minutes=5),
        clock_offset: timedelta = timedelta(0),
        ascii_frames: bool = False,
    ) -> None:
        self.address = address
        self.station = bytes.fromhex(address)
        self.held = sorted(held)
        self.step = step
        self.clock_offset = clock_offset
        self.ascii_frames = ascii_frames
        self.log = RtuLog()
        self._serial = 0

    def clock(self) -> datetime:
        return datetime.now(BEIJING) + self.clock_offset

    def _next_serial(self) -> int:
        self._serial = self._serial % 65535 + 1
        return self._serial

    def report(self, moment: datetime) -> bytes:
        frame = make_frame("sl651", self.address, moment, serial=self._next_serial())
        if self.clock_offset:
            # The send time is the station's own clock: that is what the gateway's drift figure reads.
            body = bytearray(sl651.decode(frame).body)
            body[2:8] = sl651.encode_sl651_time(self.clock(), 6, BEIJING)
            frame = sl651.encode_frame(centre=1, station=self.station, password=0x1234, function=0x32, body=bytes(body))
        return frame

    def answer(self, command: bytes) -> list[bytes]:
        """The frames answering one downlink frame (none for confirmations)."""
        frame = sl651.decode(command)
        if frame.uplink or frame.end != sl651.ENQ or frame.serial is None:
            return []
        self.log.commands.append(frame.function)
        head = frame.serial.to_bytes(2, "big")
        now = self.clock()
        station = b"\xf1\xf1" + self.station
        fn = frame.function
        if fn == 0x4A and frame.sent_at is not None:
            self.clock_offset = frame.sent_at - datetime.now(BEIJING)
            self.log.clock_set_to = frame.sent_at
            now = self.clock()
        sent = sl651.encode_sl651_time(now, 6, BEIJING)
        if fn in (0x4A, 0x51):
            return self._frames(fn, head + sent + station)
        if fn == 0x46:
            return self._frames(fn, head + sent + station + b"\x45\x20" + bytes(4))
        if fn == 0x37:
            at = now.replace(second=0, microsecond=0)
            groups = [
                sl651.encode_element(0x27, Decimal("0.017"), nbytes=5, decimals=3),
                sl651.encode_element("FF01", Decimal(register_at(self.address, at)), nbytes=6, decimals=1),
            ]
            body = head + sent + station + b"I\xf0\xf0" + sl651.encode_sl651_time(at, 5, BEIJING) + b"".join(groups)
            return self._frames(fn, body)
        if fn == 0x38 and frame.info:
            return self._frames(fn, head + sent + station + b"I" + self._series(frame.info))
        return []

    def _series(self, query: dict[str, object]) -> bytes:
        start, end = query["start"], query["end"]
        if not isinstance(start, datetime) or not isinstance(end, datetime):
            return b""
        stop = end + timedelta(hours=1)
        wanted = [m for m in self.held if start <= m < stop]
        if not wanted:
            return b""
        element = str(query["element"])
        slots = int((wanted[-1] - wanted[0]) / self.step) + 1
        held = set(wanted)
        values = []
        for i in range(slots):
            at = wanted[0] + i * self.step
            ok = at in held and element == "FF01"
            values.append(Decimal(register_at(self.address, at)) if ok else None)
        data = b"".join(sl651.encode_element("FF01", v, nbytes=6, decimals=1)[3:] for v in values)
        minutes = int(self.step.total_seconds() // 60)
        step = bytes(((v // 10) << 4) | (v % 10) for v in (minutes // 1440, minutes % 1440 // 60, minutes % 60))
        return (
            b"\xf0\xf0" + sl651.encode_sl651_time(wanted[0], 5, BEIJING) + b"\x04\x18" + step + b"\xff\x01\x31" + data
        )

    def _frames(self, function: int, body: bytes) -> list[bytes]:
        self.log.answers += 1
        if len(body) <= self.MAX_PACKET:
            return [sl651.encode_frame(centre=1, station=self.station, password=0x1234, function=function, body=body)]
        parts = [body[i : i + self.MAX_PACKET] for i in range(0, len(body), self.MAX_PACKET)]
        return [
            sl651.encode_frame(
                centre=1,
                station=self.station,
                password=0x1234,
                function=function,
                body=part,
                end=sl651.ETX if i == len(parts) else sl651.ETB,
                packet=(len(parts), i),
            )
            for i, part in enumerate(parts, start=1)
        ]

    async def session(
        self,
        host: str,
        port: int,
        reports: Sequence[datetime],
        *,
        linger: float = 5.0,
        until: Callable[[RtuLog], bool] | None = None,
    ) -> RtuLog:
        """Connect, send the reports (skipping held instants), then stay online answering commands for up to
        ``linger`` seconds (or until ``until(log)`` holds)."""
        reader, writer = await asyncio.open_connection(host, port)
        splitter = FrameSplitter()
        try:
            for moment in reports:
                if moment in self.held:
                    continue
                writer.write(self.report(moment))
                self.log.reports_sent += 1
            await writer.drain()
            loop = asyncio.get_running_loop()
            deadline = loop.time() + linger
            while loop.time() < deadline and not (until is not None and until(self.log)):
                try:
                    data = await asyncio.wait_for(reader.read(65536), min(0.2, deadline - loop.time()))
                except TimeoutError:
                    continue
                if not data:
                    break
                for raw in splitter.feed(data):
                    frame = sl651.decode(raw)
                    if frame.end in (sl651.EOT, sl651.ESC):
                        self.log.acks += 1
                    elif frame.end == sl651.NAK:
                        self.log.naks += 1
                    for answer in self.answer(raw):
                        writer.write(answer)
                await writer.drain()
        finally:
            writer.close()
            with contextlib.suppress(Exception):
                await writer.wait_closed()
        return self.log


@dataclass(slots=True)
class FleetResult:
    """What a fleet of answering RTUs did (``telemetry_simulate --answer``, ``benchmarks/telemetry_backfill.py``)."""

    stations: int = 0
    reports_sent: int = 0
    acks: int = 0
    answers: int = 0
    held: int = 0
    commands: dict[int, int] = field(default_factory=dict)
    failed: int = 0
    errors: list[str] = field(default_factory=list)
    seconds: float = 0.0


def fleet_plan(count: int, held: int, *, end: datetime, step: timedelta) -> tuple[list[datetime], list[datetime]]:
    """One station's report instants (``count``, whole steps, the last one ``step`` before ``end``) and those it
    holds back while "offline": ``held`` instants just before the last report (so the reconnecting report comes
    after the gap, which is what makes the gateway queue a backfill)."""
    if count < 1 or not 0 <= held < count - 1:
        raise ValueError("count must be at least 1 and held below count - 1 (one report before and after the gap)")
    start = end.replace(second=0, microsecond=0) - step * count
    minutes = int(step.total_seconds() // 60) or 1
    start = start.replace(minute=start.minute - start.minute % minutes)
    instants = [start + i * step for i in range(count)]
    return instants, instants[count - 1 - held : count - 1]


async def _fleet_station(
    rtu: SimulatedRtu, host: str, port: int, instants: Sequence[datetime], linger: float, result: FleetResult
) -> None:
    gap = [i for i, m in enumerate(instants) if m in rtu.held]
    before = list(instants[: gap[0]]) if gap else list(instants)
    after = list(instants[gap[-1] + 1 :]) if gap else []
    try:
        if before:
            await rtu.session(host, port, before, linger=linger, until=lambda log: log.acks >= len(before))
        if after:
            wanted = len(before) + len(after)
            await rtu.session(
                host, port, after, linger=linger, until=lambda log: log.acks >= wanted and 0x38 in log.commands
            )
    except OSError as exc:
        result.failed += 1
        result.errors.append(f"{rtu.address}: {exc}")
    log = rtu.log
    result.reports_sent += log.reports_sent
    result.acks += log.acks
    result.answers += log.answers
    for function in log.commands:
        result.commands[function] = result.commands.get(function, 0) + 1


async def fleet(
    *,
    host: str,
    port: int,
    addresses: Sequence[str],
    count: int,
    held: int,
    step: timedelta,
    linger: float = 30.0,
    end: datetime | None = None,
) -> FleetResult:
    """SL 651 stations that report and answer the centre's commands (`SimulatedRtu`), all at once.

    Each reports ``count`` instants ``step`` apart but holds back ``held`` of them while "offline": it sends
    the reports before the gap, disconnects, reconnects with the report after the gap and stays online up to
    ``linger`` seconds answering commands — the gateway's backfill query (38H) among them — until it has its
    acks and has answered a 38H (or, without a gap, until its reports are acknowledged)."""
    end = end or datetime.now(BEIJING)
    instants, held_instants = fleet_plan(count, held, end=end, step=step)
    rtus = [SimulatedRtu(address, held=held_instants, step=step) for address in addresses]
    result = FleetResult(stations=len(rtus), held=len(held_instants) * len(rtus))
    t0 = time.perf_counter()
    await asyncio.gather(*(_fleet_station(rtu, host, port, instants, linger, result) for rtu in rtus))
    result.seconds = time.perf_counter() - t0
    return result
