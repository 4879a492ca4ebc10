"""Fixtures of the gateway tests: an intake with telemetry meters (one per protocol, plus the stations of
domain.md's sample frames), and a helper that runs a real gateway on a free port around a coroutine.

The gateway stores readings from its own database thread, which sees only committed rows: these tests use
transactional databases (``django_db(transaction=True)``), on SpatiaLite and on PostGIS alike.
"""

from __future__ import annotations

import asyncio
import contextlib
import datetime as dt
from collections.abc import Awaitable, Callable
from dataclasses import replace
from decimal import Decimal
from types import SimpleNamespace
from typing import Any, TypeVar

import pytest
from django.contrib.gis.geos import Point

from core.periods import BEIJING
from water import services
from water.telemetry.gateway import Gateway, GatewayConfig
from water.telemetry.simulator import SL651_PROFILE, SZY206_PROFILE, station_address

T = TypeVar("T")
INSTALLED = dt.datetime(2024, 1, 1, tzinfo=BEIJING)
SZY_ADDRESS = station_address("szy206", 1)  # 6501020100
SL_ADDRESS = station_address("sl651", 2)  # 6501020002
SAMPLE_SZY_ADDRESS = "5303810D00"  # domain.md §3.2 worked sample
SAMPLE_SL_ADDRESS = "0011223344"  # domain.md §3.3 "32 timed up"
UNKNOWN_ADDRESS = station_address("szy206", 999)

TEST_CONFIG = GatewayConfig(
    host="127.0.0.1",
    port=0,
    flush_interval=0.02,
    counters_interval=0.2,
    idle_timeout=30.0,
    meter_ttl=30.0,
    miss_refresh=0.0,
)


@pytest.fixture
def tele(geography: dict[str, Any], users: dict[str, Any]) -> SimpleNamespace:
    actor = "test"
    intake = services.intake_create(
        actor=actor,
        code="QSK-T",
        name="遥测取水口",
        source_type="river",
        river=geography["river"],
        location=Point(87.7, 43.9, srid=4326),
        division=geography["tianshan"],
        main_use="supply",
        operators=[users["operator"]],
    )

    def meter(serial: str, protocol: str, address: str, profile: str) -> Any:
        return services.meter_create(
            actor=actor,
            intake=intake,
            serial=serial,
            installed_at=INSTALLED,
            protocol=protocol,
            rtu_address=address,
            decoding_profile=profile,
        )

    return SimpleNamespace(
        intake=intake,
        szy=meter("SZY-1", "szy206", SZY_ADDRESS, SZY206_PROFILE),
        sl=meter("SL-1", "sl651", SL_ADDRESS, SL651_PROFILE),
        sample_szy=meter("SZY-SAMPLE", "szy206", SAMPLE_SZY_ADDRESS, ""),
        sample_sl=meter("SL-SAMPLE", "sl651", SAMPLE_SL_ADDRESS, "sl651;volume_element=39"),
    )


def run_gateway(
    body: Callable[[Gateway], Awaitable[T]],
    *,
    clock: Callable[[], dt.datetime] | None = None,
    stop: bool = True,
    **overrides: Any,
) -> tuple[T, Gateway]:
    """Start a gateway on a free port, await ``body(gateway)``, stop the gateway gracefully."""

    async def main() -> tuple[T, Gateway]:
        config = replace(TEST_CONFIG, **overrides)
        gateway = Gateway(config, clock=clock) if clock is not None else Gateway(config)
        await gateway.start()
        try:
            result = await body(gateway)
        finally:
            if stop:
                await gateway.stop()
        return result, gateway

    return asyncio.run(main())


async def send(
    port: int, *chunks: bytes, acks: int = 0, timeout: float = 10.0, pause: float = 0.0
) -> tuple[bytes, bool]:
    """Connect, write the chunks (``pause`` seconds apart), read until ``acks`` frames came back (or the server
    closed, or ``timeout``); returns (bytes received, whether the server closed the connection)."""
    from water.telemetry.framing import FrameSplitter

    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    received = bytearray()
    closed = False
    try:
        for chunk in chunks:
            writer.write(chunk)
            await writer.drain()
            if pause:
                await asyncio.sleep(pause)
        splitter = FrameSplitter()
        count = 0
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout
        while count < acks:
            remaining = deadline - loop.time()
            if remaining <= 0:
                break
            try:
                data = await asyncio.wait_for(reader.read(65536), remaining)
            except TimeoutError:
                break
            if not data:
                closed = True
                break
            received += data
            count += len(splitter.feed(data))
    finally:
        writer.close()
        with contextlib.suppress(ConnectionError, OSError):
            await writer.wait_closed()
    return bytes(received), closed


async def wait_for(predicate: Callable[[], bool], timeout: float = 10.0) -> bool:
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    while not predicate():
        if loop.time() > deadline:
            return False
        await asyncio.sleep(0.01)
    return True


def minutes_ago(n: int) -> dt.datetime:
    now = dt.datetime.now(BEIJING).replace(second=0, microsecond=0)
    return now - dt.timedelta(minutes=n)


__all__ = ["Decimal"]
