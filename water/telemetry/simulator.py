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
from collections.abc import Sequence
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
        centre=1, station=bytes.fromhex(address), password=0x1234, serial=serial % 65535 + 1,
        sent_at=moment + timedelta(seconds=5), observed_at=moment, elements=elements, station_class=0x49,
    )  # fmt: skip


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
    protocol: str, *, count: int, connections: int, addresses: Sequence[str] | None = None,
    end: datetime | None = None, step: timedelta = timedelta(minutes=1),
) -> list[list[bytes]]:  # fmt: skip
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
