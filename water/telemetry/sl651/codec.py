"""SL 651 whatever the encoding: `decode` and the centre's answers (NAK, confirmation) hand SOH/ASCII frames to
`water.telemetry.sl651_ascii` and 7E7E HEX/BCD frames to `frame` and `encoding`.

A module of its own (issue 20): the ASCII codec builds on the HEX tables and `Sl651Frame`, so with the hand-over
inside `frame` and `encoding` the two codecs imported each other. Here the order is one way: codec → ASCII →
frame/tables.
"""

from __future__ import annotations

from datetime import datetime, tzinfo

from water.telemetry import sl651_ascii
from water.telemetry.crc import BytesLike
from water.telemetry.sl651.encoding import build_confirmation_hex, build_nak_hex
from water.telemetry.sl651.frame import Sl651Frame, decode_hex
from water.telemetry.sl651.tables import ACK, EOT, ESC, NAK, SOH
from water.telemetry.timeutil import BEIJING


def decode(raw: BytesLike, *, tz: tzinfo = BEIJING, check_crc: bool = True) -> Sl651Frame:
    """Decode one complete frame (7E7E HEX/BCD, or SOH ASCII). Raises a `FrameError` subclass for anything
    malformed.

    With ``check_crc=False`` a frame with a wrong CRC is still decoded (``crc_ok=False``), for the operator CLI.
    A multi-packet (SYN) packet is returned with its fragment in ``body`` and no elements; feed it to a
    `Reassembler`.
    """
    raw = bytes(raw)
    if raw and raw[0] == SOH:
        return sl651_ascii.decode(raw, tz=tz, check_crc=check_crc)
    return decode_hex(raw, tz=tz, check_crc=check_crc)


def build_nak(packet: Sl651Frame, missing: list[int], *, sent_at: datetime, tz: tzinfo = BEIJING) -> bytes:
    """M3: the centre's NAK for a multi-packet message whose last packet arrived with others missing. Same
    function and password, serial 0 (the serial travels in packet 1, which may be among the missing), the
    centre's time, then the missing packet numbers (2 bytes each; ASCII: hex numbers separated by spaces)."""
    if packet.encoding == "ascii":
        text = sl651_ascii.body_head(0, sent_at, tz) + " ".join(f"{seq:X}" for seq in missing)
        return sl651_ascii.encode_frame(
            centre=packet.centre,
            station=packet.station,
            password=packet.password,
            function=packet.function,
            body=text,
            uplink=False,
            end=NAK,
        )
    return build_nak_hex(packet, missing, sent_at=sent_at, tz=tz)


def build_confirmation(
    frame: Sl651Frame, *, end: int = EOT, sent_at: datetime | None = None, tz: tzinfo = BEIJING
) -> bytes:
    """The centre's M2/M4 confirmation: a downlink frame with the same function, password and serial.

    ``end`` is EOT (04, "done, leave") or ESC (1B, "stay online"). The send time echoes the station's unless
    ``sent_at`` is given; the echo reproduces domain.md's "30 test down" sample byte for byte.
    """
    if end not in (EOT, ESC, ACK):
        raise ValueError("a confirmation ends with EOT, ESC or ACK")
    if frame.encoding == "ascii":
        return sl651_ascii.build_confirmation(frame, end=end, sent_at=sent_at, tz=tz)
    return build_confirmation_hex(frame, end=end, sent_at=sent_at, tz=tz)
