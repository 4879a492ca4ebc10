"""Issue 18 over real TCP sockets (both backends), what test_gateway_frames.py and test_downlink.py leave out:

- the report layouts 30H, 33H, 34H and 35H stored and confirmed, and the reply layouts 3AH, 41H, 43H and 45H
  decoded by their own layout (an unsolicited reply is refused for answering no command, not for its body);
- every malformed variant of the issue's "Bad input" that reaches the decoder (a wrong length in the ASCII header,
  non-hex characters where hex is due, a series body shorter than its values, a time step of 0) counted and
  logged, nothing stored, and the gateway goes on serving the same connection.
"""

from __future__ import annotations

import datetime as dt
import logging
from decimal import Decimal

import pytest

from water.models import Reading, TelemetryStation
from water.telemetry import sl651
from water.telemetry import sl651_ascii as ascii_
from water.telemetry.crc import crc16_modbus
from water.telemetry.framing import FrameSplitter
from water.telemetry.gateway import Gateway
from water.telemetry.simulator import make_frame, register_at

from .conftest import SL_ADDRESS, minutes_ago, run_gateway, send, wait_for

pytestmark = pytest.mark.django_db(transaction=True)

ADDRESS = bytes.fromhex(SL_ADDRESS)


def head(moment: dt.datetime, serial: int = 7) -> bytes:
    return serial.to_bytes(2, "big") + sl651.encode_sl651_time(moment, 6)


def volume(moment: dt.datetime) -> bytes:
    """The simulator station's cumulative volume (FF01, 6 bytes, 1 decimal) at ``moment``."""
    return sl651.encode_element("FF01", Decimal(register_at(SL_ADDRESS, moment)), nbytes=6, decimals=1)


def uplink(function: int, body: bytes) -> bytes:
    return sl651.encode_frame(centre=1, station=ADDRESS, password=0x1234, function=function, body=body)


def rtu_times(meter: object) -> list[dt.datetime]:
    """The observation times of the meter's readings from the gateway (not its installation reading)."""
    return list(Reading.objects.filter(meter=meter, source__startswith="rtu").values_list("observed_at", flat=True))


def counters() -> TelemetryStation:
    return TelemetryStation.objects.get(protocol="sl651", address=SL_ADDRESS)


@pytest.mark.parametrize("function", [0x30, 0x33, 0x34, 0x35])
def test_every_report_layout_is_stored_and_confirmed(tele, function):
    moment = minutes_ago(7)
    frame = sl651.encode_report(
        centre=1,
        station=ADDRESS,
        password=0x1234,
        serial=21,
        sent_at=moment,
        observed_at=moment,
        elements=[volume(moment)],
        function=function,
    )

    async def body(gw: Gateway) -> bytes:
        received, _ = await send(gw.port, frame, acks=1)
        return received

    received, _ = run_gateway(body)
    answer = sl651.decode(received)
    assert (answer.function, answer.serial, answer.end, answer.uplink) == (function, 21, sl651.EOT, False)
    reading = Reading.objects.get(meter=tele.sl, observed_at=moment)
    assert reading.cumulative_m3 == register_at(SL_ADDRESS, moment)
    assert (counters().readings_stored, counters().decode_errors) == (1, 0)


@pytest.mark.parametrize(
    ("function", "rest"),
    [
        (0x3A, b"I\xf0\xf0"),  # specified elements: the report layout (observation time and volume follow)
        (0x41, b"\x20\x08\x01"),  # basic configuration: identifier, definition, value
        (0x43, b"\x20\x08\x01\x21\x08\x05"),  # run parameters
        (0x45, b"\x05V1.02"),  # software version: length byte and text
    ],
    ids=["3AH", "41H", "43H", "45H"],
)
def test_every_reply_layout_decodes_and_an_unsolicited_reply_is_counted_not_stored(tele, caplog, function, rest):
    moment = minutes_ago(3)
    tail = rest + (sl651.encode_sl651_time(moment, 5) + volume(moment) if function == 0x3A else b"")
    reply = uplink(function, head(moment) + b"\xf1\xf1" + ADDRESS + tail)
    good_moment = minutes_ago(2)
    good = make_frame("sl651", SL_ADDRESS, good_moment)

    async def body(gw: Gateway) -> bytes:
        received, _ = await send(gw.port, reply + good, acks=1)
        await wait_for(lambda: gw.stats.decode_errors == 1)
        return received

    with caplog.at_level(logging.WARNING, logger="water.telemetry"):
        received, gw = run_gateway(body)
    assert sl651.decode(received).function == 0x32  # only the report is confirmed; the connection kept serving
    station = counters()
    # Refused for answering nothing (its layout was read: the serial and the station were found), not for its body.
    assert station.last_error == f"answer {function:02X}H serial 7: answers no command sent to it"
    assert (station.decode_errors, station.readings_stored) == (1, 1)
    assert gw.downlink.stats["answers_unmatched"] == 1
    assert rtu_times(tele.sl) == [good_moment]
    assert any(f"frame {function:02X}H answers no command" in r.getMessage() for r in caplog.records)


# --- the "Bad input", through the gateway ------------------------------------------------------------


def recrc(frame: bytes) -> bytes:
    """An ASCII frame with its 4-character CRC recomputed, so that the malformation reaches the decoder."""
    return frame[:-4] + f"{crc16_modbus(frame[:-4]):04X}".encode()


def ascii_report(moment: dt.datetime, groups: str) -> bytes:
    text = ascii_.body_head(4, moment) + f"ST {SL_ADDRESS} I TT {moment:%y%m%d%H%M} {groups}"
    return ascii_.encode_frame(centre=1, station=ADDRESS, password=0x1234, function=0x32, body=text)


def series(moment: dt.datetime, step: bytes, data: bytes) -> bytes:
    body = (
        head(moment)
        + b"\xf1\xf1"
        + ADDRESS
        + b"I\xf0\xf0"
        + sl651.encode_sl651_time(moment, 5)
        + b"\x04\x18"
        + step
        + b"\xff\x01\x31"
        + data
    )
    return uplink(0x31, body)


def bad_inputs(moment: dt.datetime) -> dict[str, bytes]:
    good_ascii = ascii_report(moment, "Q 0.250 VT 12.10 ")
    value = volume(moment)[3:]
    return {
        # the header announces 2 characters more than the body has: the ETX is not where the header says
        "ascii wrong length": recrc(good_ascii[:19] + b"%04X" % (int(good_ascii[19:23], 16) + 2) + good_ascii[23:]),
        "ascii non-hex password": recrc(good_ascii.replace(b"1234", b"12G4", 1)),
        "ascii non-hex serial": recrc(good_ascii.replace(b"\x020004", b"\x0200Z4", 1)),
        "series shorter than its values": series(moment, b"\x00\x00\x05", value + value[:4]),
        "series time step 0": series(moment, b"\x00\x00\x00", value + value),
    }


# (variant, what catches it: the framer skips the bytes as garbage, or the decoder names the fault)
VARIANTS = [
    ("ascii wrong length", "garbage"),  # the end character is not where the length puts it: no frame at all
    ("ascii non-hex password", "garbage"),  # the header is checked by the framer before the frame is cut
    ("ascii non-hex serial", "serial '00Z4' is not 4 hex characters"),
    ("series shorter than its values", "not a whole number of 6-byte values"),
    ("series time step 0", "time step of 0"),
]


@pytest.mark.parametrize(("variant", "caught"), VARIANTS, ids=[v for v, _ in VARIANTS])
def test_each_bad_input_is_counted_and_logged_nothing_stored_and_the_gateway_keeps_serving(
    tele, caplog, variant, caught
):
    bad = bad_inputs(minutes_ago(12))[variant]
    good_moment = minutes_ago(2)
    good = make_frame("sl651", SL_ADDRESS, good_moment)

    async def body(gw: Gateway) -> bytes:
        received, _ = await send(gw.port, bad, good, acks=1, pause=0.1)
        await wait_for(lambda: gw.stats.acks_sent >= 1)
        return received

    with caplog.at_level(logging.INFO, logger="water.telemetry"):
        received, gw = run_gateway(body)
    answers = [sl651.decode(f) for f in FrameSplitter().feed(received)]
    assert [a.function for a in answers] == [0x32]  # the good report only: the gateway kept serving
    assert rtu_times(tele.sl) == [good_moment]  # nothing of the bad frame stored
    if caught == "garbage":
        assert (gw.stats.garbage_bytes, gw.stats.decode_errors) == (len(bad), 0)
        # counted in the gateway's counters, which its periodic log line and the stop line carry
        assert any("garbage_bytes" in r.getMessage() for r in caplog.records)
    else:
        assert (gw.stats.decode_errors, counters().decode_errors) == (1, 1)
        assert caught in counters().last_error
        assert any(caught in r.getMessage() and r.levelno == logging.WARNING for r in caplog.records)
