"""What the centre does with decoded frames on one connection: hold packets until a message is whole
(`PacketAssembler`) and answer it (`build_ack`).
"""

from __future__ import annotations

from datetime import datetime

from water.telemetry import sl651, szy206
from water.telemetry.profiles.decoding import DecodedFrame, from_sl651, from_szy206
from water.telemetry.timeutil import zone


class PacketAssembler:
    """Per-connection helper: passes complete frames through, holds SL 651 packets and SZY 206 split frames
    until the message is whole. When the last SL 651 packet of a message (M3) arrives with others missing,
    `take_nak` returns the NAK listing them (the gateway sends it; the station resends those packets)."""

    def __init__(self, *, max_pending: int = 16, max_bytes: int = 1 << 20) -> None:
        self._reassembler = sl651.Reassembler(max_pending=max_pending, max_bytes=max_bytes)
        self._splits = szy206.SplitAssembler(max_pending=max_pending)
        self._nak: bytes | None = None

    def add(self, decoded: DecodedFrame) -> DecodedFrame | None:
        """The complete message (possibly ``decoded`` itself), or None while packets are missing.

        May raise a `FrameError` when the joined body is malformed.
        """
        if decoded.complete:
            return decoded
        frame = decoded.frame
        profile = decoded.profile
        if isinstance(frame, szy206.SzyFrame):
            if not frame.control.uplink:
                return decoded
            parts = self._splits.add(frame)
            if parts is None:
                return None
            joined = szy206.decode_joined(
                parts,
                edition=profile.edition,
                pairs=profile.flow_volume_pairs,
                sign_rule=profile.sign_rule,
                volume_decimals=profile.volume_decimals,
                word_order=profile.status_word_order,
            )
            return from_szy206(joined, decoded.received_at, profile)
        merged = self._reassembler.add(frame, zone(profile.clock_tz))
        if merged is None:
            missing = self._reassembler.missing_after(frame)
            if missing:
                self._nak = sl651.build_nak(frame, missing, sent_at=decoded.received_at, tz=zone(profile.clock_tz))
            return None
        return from_sl651(merged, decoded.received_at, profile)

    def take_nak(self) -> bytes | None:
        """The NAK to send for the message whose last packet just arrived incomplete (once), else None."""
        nak, self._nak = self._nak, None
        return nak

    @property
    def dropped(self) -> int:
        """Incomplete messages dropped to stay within bounds."""
        return self._reassembler.dropped + self._splits.dropped


def build_ack(decoded: DecodedFrame, *, keep_online: bool = False, sent_at: datetime | None = None) -> bytes | None:
    """The answer the station expects, or None when it expects none.

    SZY 206: link checks (02H) and self-reports (C0H, 81H, 82H) get the echo acknowledgement. SL 651: complete
    uplink reports (30H–36H; 2FH when the profile says so) get the M2 confirmation, ending with ESC when
    ``keep_online`` (the centre has commands queued) else EOT; its send time echoes the station's unless
    ``sent_at`` is given. Bad-CRC frames are never acknowledged: the station must resend.
    """
    if not decoded.crc_ok:
        return None
    frame = decoded.frame
    if isinstance(frame, szy206.SzyFrame):
        return szy206.build_ack(frame) if szy206.needs_ack(frame) else None
    if not sl651.needs_confirmation(frame, keepalive=decoded.profile.confirm_keepalive) or frame.serial is None:
        return None
    end = sl651.ESC if keep_online else sl651.EOT
    return sl651.build_confirmation(frame, end=end, sent_at=sent_at, tz=zone(decoded.profile.clock_tz))
