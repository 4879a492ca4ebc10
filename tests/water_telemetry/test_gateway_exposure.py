"""Issue 14 "Gateway exposure" over real TCP sockets (both backends), each finding with the test that keeps it
found: a per-peer connection cap (250 idle sockets from one address locked a real RTU out), the idle timer
reset only by commissioned stations (an unknown station's valid frame every few seconds kept a connection
open), the allowlist, the SL 651 password per station, and honest counters (``readings_lost`` counted
readings that the stations resend).

Peers at two addresses: the gateway listens on 127.0.0.1, and a client binds 127.0.0.2 (also loopback on
Linux) to be "another host".
"""

from __future__ import annotations

import asyncio
import contextlib
import datetime as dt
from collections.abc import Callable

import pytest
from django.db import OperationalError

from water import services
from water.models import Meter, Reading, TelemetryStation
from water.telemetry import gateway_writer, sl651
from water.telemetry import sl651_ascii as ascii_
from water.telemetry.admission import Admission, parse_networks, peer_host, sl651_password
from water.telemetry.framing import FrameSplitter
from water.telemetry.gateway import Gateway
from water.telemetry.simulator import make_frame, register_at

from .conftest import INSTALLED, SL_ADDRESS, SZY_ADDRESS, UNKNOWN_ADDRESS, minutes_ago, run_gateway, wait_for

pytestmark = pytest.mark.django_db(transaction=True)

OTHER_HOST = "127.0.0.2"


async def exchange(port: int, frame: bytes, *, local: str | None = None, timeout: float = 10.0) -> tuple[bytes, bool]:
    """Connect (from ``local`` when given), send one frame, read one answer frame or EOF; (answer, closed)."""
    reader, writer = await asyncio.open_connection("127.0.0.1", port, local_addr=(local, 0) if local else None)
    received, closed = b"", False
    try:
        writer.write(frame)
        await writer.drain()
        splitter = FrameSplitter()
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout
        while loop.time() < deadline:
            try:
                data = await asyncio.wait_for(reader.read(4096), deadline - loop.time())
            except TimeoutError:
                break
            except ConnectionError:
                closed = True
                break
            if not data:
                closed = True
                break
            received += data
            if splitter.feed(data):
                break
    finally:
        writer.close()
        with contextlib.suppress(ConnectionError, OSError):
            await writer.wait_closed()
    return received, closed


# --- per-peer cap -----------------------------------------------------------------------------------------------


def test_idle_sockets_from_one_address_do_not_lock_out_an_rtu_from_another(tele):
    frame = make_frame("szy206", SZY_ADDRESS, minutes_ago(2))

    async def body(gw: Gateway) -> tuple[bytes, bytes]:
        held = []
        for _ in range(250):
            held.append(await asyncio.open_connection("127.0.0.1", gw.port))
        assert await wait_for(lambda: gw.stats.connections_accepted + gw.stats.connections_refused_peer == 250)
        # The extra connections from the crowded address were closed at once; the first ten stay open.
        closed = 0
        for reader, _ in held[10:]:
            with contextlib.suppress(ConnectionError):
                closed += await asyncio.wait_for(reader.read(10), 5.0) == b""
        assert closed == 240
        rtu, _ = await exchange(gw.port, frame, local=OTHER_HOST)
        # A held connection from the crowded address still works as well (the cap is on count, not on use).
        reader, writer = held[0]
        writer.write(make_frame("szy206", SZY_ADDRESS, minutes_ago(1)))
        same = await asyncio.wait_for(reader.read(100), 5.0)
        for _, w in held:
            w.close()
        return rtu, same

    (rtu, same), gw = run_gateway(body, max_connections=200, max_connections_per_peer=10)
    assert rtu != b""  # acknowledged: stored
    assert same != b""
    assert gw.stats.connections_refused_peer == 240
    assert gw.stats.connections_refused == 0
    assert gw.stats.connections_accepted == 11
    assert Reading.objects.filter(meter=tele.szy, source="rtu").count() == 2
    assert gw.admission.open_by_peer == {}  # every connection released its slot on close


def test_the_per_peer_cap_can_be_switched_off(tele):
    async def body(gw: Gateway) -> int:
        held = [await asyncio.open_connection("127.0.0.1", gw.port) for _ in range(12)]
        await wait_for(lambda: gw.stats.connections_open == 12)
        opened = gw.stats.connections_open
        for _, w in held:
            w.close()
        return opened

    opened, gw = run_gateway(body, max_connections_per_peer=0)
    assert opened == 12
    assert gw.stats.connections_refused_peer == 0


# --- idle timer -------------------------------------------------------------------------------------------------


def test_an_unknown_station_does_not_keep_a_connection_open(tele):
    """An unknown station's valid frame every 0.1 s on one connection, a known station's on another; idle
    timeout 1 s. The unknown one is dropped while it keeps sending, the known one is not. No wall-clock
    window: the unknown side sends until the gateway closes it (or a generous deadline), the known side
    until it has outlived the idle timeout twice over and the unknown one has been dropped."""
    unknown = make_frame("szy206", UNKNOWN_ADDRESS, minutes_ago(3))
    moments = [minutes_ago(200) + dt.timedelta(minutes=i) for i in range(40)]
    idle_timeout, deadline = 1.0, 30.0

    async def trickle(gw: Gateway, frames: list[bytes], done: Callable[[float], bool]) -> bool:
        """Send `frames` in turn, reading the acks, until `done(seconds so far)`; whether the gateway
        closed the connection first."""
        loop = asyncio.get_running_loop()
        reader, writer = await asyncio.open_connection("127.0.0.1", gw.port)
        t0 = loop.time()
        closed = False
        try:
            i = 0
            while not done(loop.time() - t0):
                try:
                    writer.write(frames[i % len(frames)])
                    await writer.drain()
                except ConnectionError:
                    closed = True
                    break
                i += 1
                with contextlib.suppress(TimeoutError):
                    while True:  # drain acks; EOF means the gateway closed the connection
                        data = await asyncio.wait_for(reader.read(4096), 0.1)
                        if not data:
                            closed = True
                            break
                if closed:
                    break
        except ConnectionError:
            closed = True
        finally:
            writer.close()
        return closed

    async def body(gw: Gateway) -> tuple[bool, bool]:
        dropped = asyncio.Event()

        async def unknown_side() -> bool:
            closed = await trickle(gw, [unknown], lambda t: t > deadline)
            dropped.set()
            return closed

        known_frames = [make_frame("szy206", SZY_ADDRESS, m) for m in moments]
        # Each known frame is stored (a database write): once it has outlived the idle timeout, the known
        # side stops when the unknown one is dropped or its 40 readings are sent, so a slow database is
        # not sent a backlog.
        checks = [0]  # done() is asked once before each frame

        def known_done(t: float) -> bool:
            checks[0] += 1
            return (t > 2.5 * idle_timeout and (dropped.is_set() or checks[0] > len(known_frames))) or t > deadline

        known = trickle(gw, known_frames, known_done)
        a, b = await asyncio.gather(unknown_side(), known)
        return a, b

    (unknown_closed, known_closed), gw = run_gateway(body, idle_timeout=idle_timeout)
    assert unknown_closed  # by the gateway, before the deadline, while it kept sending
    assert not known_closed
    assert gw.stats.connections_idle_dropped == 1
    assert gw.stats.unknown_station_frames >= 5  # it did keep sending


# --- allowlist --------------------------------------------------------------------------------------------------


def test_peers_outside_the_allowed_networks_are_closed_at_once(tele):
    denied_at, allowed_at = minutes_ago(4), minutes_ago(3)
    frame = make_frame("szy206", SZY_ADDRESS, denied_at)
    other = make_frame("szy206", SZY_ADDRESS, allowed_at)

    async def body(gw: Gateway) -> tuple[tuple[bytes, bool], tuple[bytes, bool]]:
        outside = await exchange(gw.port, frame)  # from 127.0.0.1
        inside = await exchange(gw.port, other, local=OTHER_HOST)
        return outside, inside

    ((outside, outside_closed), (inside, _)), gw = run_gateway(body, allowed_networks=("127.0.0.2/32", "10.64.0.0/16"))
    assert (outside, outside_closed) == (b"", True)
    assert inside != b""
    assert gw.stats.connections_denied == 1
    assert gw.stats.connections_accepted == 1
    observed = set(Reading.objects.filter(meter=tele.szy, source="rtu").values_list("observed_at", flat=True))
    assert observed == {allowed_at}  # nothing of the denied peer's frame


def test_admission_rules():
    networks = parse_networks("10.64.0.0/16, 192.168.1.7 fd00::/8")
    admission = Admission(networks, per_peer=2)
    assert [admission.allowed(h) for h in ("10.64.3.4", "10.65.0.1", "192.168.1.7", "fd00::1", "bogus")] == [
        True,
        False,
        True,
        True,
        False,
    ]
    assert [admission.admit("10.64.0.1") for _ in range(3)] == ["allowed", "allowed", "peer_full"]
    admission.release("10.64.0.1")
    assert admission.admit("10.64.0.1") == "allowed"
    assert admission.admit("8.8.8.8") == "denied"
    assert Admission().allowed("203.0.113.9")  # empty allowlist: any address
    assert peer_host(("::ffff:10.64.0.9", 5000, 0, 0)) == "10.64.0.9"
    with pytest.raises(ValueError, match=r"10\.64\.0\.0/33"):
        parse_networks(["10.64.0.0/33"])


# --- SL 651 password --------------------------------------------------------------------------------------------


def test_a_frame_with_the_wrong_password_is_neither_stored_nor_acknowledged(tele):
    Meter.objects.filter(pk=tele.sl.pk).update(rtu_password="4321")  # the simulator sends 1234
    moment = minutes_ago(6)
    frame = make_frame("sl651", SL_ADDRESS, moment)
    assert sl651_password(frame) == 0x1234

    async def body(gw: Gateway) -> bytes:
        received, _ = await exchange(gw.port, frame, timeout=1.0)
        await wait_for(lambda: gw.stats.bad_password == 1)
        return received

    received, gw = run_gateway(body)
    assert received == b""
    assert not Reading.objects.filter(meter=tele.sl, source="rtu").exists()
    assert gw.stats.bad_password == 1
    assert gw.stats.acks_sent == 0
    counters = TelemetryStation.objects.get(protocol="sl651", address=SL_ADDRESS)
    assert (counters.bad_password, counters.readings_stored, counters.acks_sent) == (1, 0, 0)
    assert "password" in counters.last_error


def test_the_right_password_is_stored_hex_and_ascii(tele):
    Meter.objects.filter(pk=tele.sl.pk).update(rtu_password="1234")
    ascii_meter = services.meter_create(
        actor="test",
        intake=tele.intake,
        serial="SL-ASCII-PW",
        installed_at=INSTALLED,
        protocol="sl651",
        rtu_address="6501020009",
        decoding_profile="sl651;volume_element=WV",
        rtu_password="abcd",
    )
    moment = minutes_ago(8)
    hex_frame = make_frame("sl651", SL_ADDRESS, moment)

    def ascii_frame(password: int, at: dt.datetime) -> bytes:
        return ascii_.encode_report(
            centre=1,
            station=bytes.fromhex("6501020009"),
            password=password,
            serial=3,
            sent_at=at,
            observed_at=at,
            groups=[("WV", "12345.6")],
        )

    right, wrong = ascii_frame(0xABCD, moment), ascii_frame(0x1234, moment - dt.timedelta(minutes=1))
    assert (sl651_password(right), sl651_password(wrong)) == (0xABCD, 0x1234)

    async def body(gw: Gateway) -> tuple[bytes, bytes, bytes]:
        a, _ = await exchange(gw.port, hex_frame)
        b, _ = await exchange(gw.port, right)
        c, _ = await exchange(gw.port, wrong, timeout=1.0)
        return a, b, c

    (a, b, c), gw = run_gateway(body)
    assert sl651.decode(a).end == sl651.EOT
    assert sl651.decode(b).encoding == "ascii"
    assert c == b""
    assert Reading.objects.get(meter=tele.sl, source="rtu").cumulative_m3 == register_at(SL_ADDRESS, moment)
    assert list(Reading.objects.filter(meter=ascii_meter, source="rtu").values_list("observed_at", flat=True)) == [
        moment
    ]
    assert gw.stats.bad_password == 1


def test_the_password_is_validated_and_never_shown(client_for, users, tele):
    client = client_for(users["admin"])
    url = f"/api/v1/water/meters/{tele.sl.pk}/"
    bad = client.patch(url, {"rtu_password": "12G4"}, format="json")
    assert bad.status_code == 400
    assert "rtu_password" in bad.json()["error"]["fields"]
    ok = client.patch(url, {"rtu_password": "beef"}, format="json")
    assert ok.status_code == 200, ok.json()
    assert "rtu_password" not in ok.json()
    assert ok.json()["rtu_password_set"] is True
    assert Meter.objects.get(pk=tele.sl.pk).rtu_password == "beef"
    listed = client.get(url).json()
    assert "rtu_password" not in listed
    assert listed["rtu_password_set"] is True


# --- honest counters --------------------------------------------------------------------------------------------


def test_readings_the_station_resends_are_not_counted_as_lost(tele, monkeypatch):
    """The database is cut for the first batch (every retry fails): the frame gets no ack, and the RTU resends
    it; the resend is stored. Counted as unacknowledged (resent), not as lost."""
    real = gateway_writer.telemetry_readings_store
    calls = {"n": 0}

    def cut_once(**kwargs):  # the first attempt and its one retry fail, as when the connection drops
        calls["n"] += 1
        if calls["n"] <= 2:
            raise OperationalError("server closed the connection unexpectedly (test: connection cut)")
        return real(**kwargs)

    monkeypatch.setattr(gateway_writer, "telemetry_readings_store", cut_once)
    moment = minutes_ago(5)
    frame = make_frame("szy206", SZY_ADDRESS, moment)

    async def body(gw: Gateway) -> tuple[bytes, bytes]:
        first, _ = await exchange(gw.port, frame, timeout=3.0)
        await wait_for(lambda: gw.stats.readings_unacknowledged == 1)
        again, _ = await exchange(gw.port, frame)  # the RTU resends what was not acknowledged
        return first, again

    (first, again), gw = run_gateway(body, store_retries=1)
    assert first == b""
    assert again != b""
    stats = gw.stats.as_dict()
    assert "readings_lost" not in stats
    assert (stats["readings_unacknowledged"], stats["store_errors"], stats["readings_stored"]) == (1, 2, 1)
    assert Reading.objects.filter(meter=tele.szy, source="rtu").count() == 1


def test_an_ack_the_connection_cannot_carry_is_counted(tele):
    frame = make_frame("szy206", SZY_ADDRESS, minutes_ago(5))

    async def body(gw: Gateway) -> None:
        _, writer = await asyncio.open_connection("127.0.0.1", gw.port)
        writer.write(frame)
        await writer.drain()
        await wait_for(lambda: gw.stats.readings_queued == 1)
        writer.close()  # gone before its batch is stored
        await wait_for(lambda: gw.stats.connections_open == 0)
        await wait_for(lambda: gw.stats.readings_stored == 1, 10.0)

    _, gw = run_gateway(body, flush_interval=0.5)
    assert (gw.stats.readings_stored, gw.stats.acks_sent, gw.stats.acks_undelivered) == (1, 0, 1)
