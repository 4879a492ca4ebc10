"""Issue 18, SZY 206 downlink over real TCP sockets (both backends): a command queued for an SZY 206 meter goes
out as its AFN (51H read clock, 5EH status, 11H set clock) while the station's connection is open, the answer is
matched by AFN and its figures stored on the command (test_downlink.py runs the SL 651 side)."""

from __future__ import annotations

import asyncio
import datetime as dt

import pytest

from core.periods import BEIJING
from water.models import StationCommand, TelemetryStation
from water.telemetry import szy206
from water.telemetry.bcd import bcd_byte
from water.telemetry.command_services import station_command_create
from water.telemetry.commands import szy206_clock
from water.telemetry.framing import FrameSplitter
from water.telemetry.gateway import Gateway
from water.telemetry.services import SYSTEM_SCOPE
from water.telemetry.simulator import register_at

from .conftest import SZY_ADDRESS, minutes_ago, run_gateway, wait_for

pytestmark = pytest.mark.django_db(transaction=True)

FAST = {"command_poll": 0.05, "command_timeout": 3.0}
ADDRESS = bytes.fromhex(SZY_ADDRESS)
UPLINK = 0xB3  # DIR = 1 (station → centre), as the stations' self-reports


def clock_bytes(moment: dt.datetime) -> bytes:
    local = moment.astimezone(BEIJING)
    return bytes(
        bcd_byte(v) for v in (local.second, local.minute, local.hour, local.day, local.month, local.year - 2000)
    )


async def station_session(port: int, answers: dict[int, bytes], expect: int) -> list[szy206.SzyFrame]:
    """An SZY 206 station: one self-report, then it answers each command (by AFN) with ``answers[afn]`` until
    ``expect`` commands came. Returns the downlink frames it received."""
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    moment = minutes_ago(4)
    writer.write(
        szy206.encode_self_report(
            address=ADDRESS, values=["0.017", register_at(SZY_ADDRESS, moment)], observed_at=moment
        )
    )
    await writer.drain()
    splitter, commands = FrameSplitter(), []
    loop = asyncio.get_running_loop()
    deadline = loop.time() + 20
    try:
        while len(commands) < expect and loop.time() < deadline:
            try:
                data = await asyncio.wait_for(reader.read(4096), 1.0)
            except TimeoutError:
                continue
            if not data:
                break
            for raw in splitter.feed(data):
                frame = szy206.decode(raw)
                if frame.afn == 0xC0:
                    continue  # the acknowledgement of the self-report
                commands.append(frame)
                writer.write(
                    szy206.encode_frame(control=UPLINK, address=ADDRESS, afn=frame.afn, data=answers[frame.afn])
                )
                await writer.drain()
        await asyncio.sleep(0.5)
    finally:
        writer.close()
    return commands


def test_szy_commands_are_sent_by_afn_and_their_answers_matched(tele):
    ids = [
        station_command_create(scope=SYSTEM_SCOPE, actor="test", meter_id=tele.szy.pk, kind=kind).pk
        for kind in ("read_clock", "status", "set_clock")
    ]
    station_clock = dt.datetime.now(BEIJING).replace(microsecond=0) + dt.timedelta(minutes=3)
    answers = {0x51: clock_bytes(station_clock), 0x5E: bytes([0x02, 0x00, 0x01, 0x00]), 0x11: b""}

    async def body(gw: Gateway) -> list[szy206.SzyFrame]:
        sent = await station_session(gw.port, answers, expect=3)
        await wait_for(lambda: gw.downlink.stats["answers_matched"] >= 3, 5.0)
        return sent

    sent, gw = run_gateway(body, **FAST)
    assert [f.afn for f in sent] == [0x51, 0x5E, 0x11]
    assert all(not f.control.uplink for f in sent)
    set_clock = sent[2]
    centre_time = szy206_clock(set_clock)  # s, min, h, day, month, year BCD, as the 51H answer
    assert centre_time is not None
    assert abs((centre_time - dt.datetime.now(BEIJING)).total_seconds()) < 60  # the 11H carries the centre's time
    clock, status, setting = (StationCommand.objects.get(pk=i) for i in ids)
    assert [c.state for c in (clock, status, setting)] == ["answered"] * 3
    assert clock.answer["drift_s"] == pytest.approx(180, abs=30)
    assert (status.answer["alarm_word"], status.answer["status_word"]) == (2, 1)
    assert gw.downlink.stats["answers_unmatched"] == 0
    station = TelemetryStation.objects.get(protocol="szy206", address=SZY_ADDRESS)
    assert station.clock_drift_s == pytest.approx(180, abs=30)
    assert station.decode_errors == 0
