"""The `FrameError` hierarchy: every way a frame can be refused.

Malformed bytes must never surface as a bare `IndexError`/`ValueError` from deep inside a codec: the gateway
counts refusals by kind (domain.md §3.5; issue 4 "Bad input") and keeps serving. Every refusal is therefore a
`FrameError` subclass carrying the protocol and, when the header got that far, the station address (so bad CRCs
and unknown elements can be counted per station).
"""

from __future__ import annotations


class FrameError(ValueError):
    """A frame that cannot be decoded, or must not be trusted.

    Attributes:
        protocol: ``"szy206"``, ``"sl651"`` or ``None`` when the protocol itself is unknown.
        station: the station address as a hex string when the header was readable, else ``None``.
    """

    def __init__(self, message: str, *, protocol: str | None = None, station: str | None = None) -> None:
        super().__init__(message)
        self.protocol = protocol
        self.station = station


class TruncatedFrame(FrameError):
    """Fewer bytes than the frame's own length fields announce."""


class BadLength(FrameError):
    """A length field that contradicts the bytes (extra bytes, impossible L, items that do not divide)."""


class BadCRC(FrameError):
    """Checksum mismatch (CRC-8/0xE5 for SZY 206, CRC-16/MODBUS for SL 651)."""

    def __init__(
        self, message: str, *, expected: int, actual: int, protocol: str | None = None, station: str | None = None
    ) -> None:
        super().__init__(message, protocol=protocol, station=station)
        self.expected = expected
        self.actual = actual


class UnknownFunction(FrameError):
    """A function code (SZY 206 AFN, SL 651 function code) that the standard reserves or does not define."""

    def __init__(self, message: str, *, code: int, protocol: str | None = None, station: str | None = None) -> None:
        super().__init__(message, protocol=protocol, station=station)
        self.code = code


class BadBCD(FrameError):
    """A BCD field with a nibble above 9, or sign/unit flag bits with no defined meaning."""


class BadTime(FrameError):
    """A time field that names no real instant (month 13, 30 February, a day label no nearby month has)."""


class MalformedFrame(FrameError):
    """Control characters out of place: wrong end byte, missing STX/SYN, missing F1F1/F0F0 markers."""


class UnknownProtocol(FrameError):
    """The bytes start with neither ``68 L 68`` (SZY 206) nor ``7E 7E`` (SL 651 HEX/BCD)."""


class UnsupportedFrame(FrameError):
    """A recognised frame kind this codec does not decode (SL 651 SOH/ASCII frames, see the package docstring)."""


class ProfileMismatch(FrameError):
    """The meter's profile names one protocol and the frame speaks the other: a commissioning error."""
