"""SL 651-2014 HEX/BCD frames (the 7E7E family), decode and encode. domain.md §3.3.

Frame (all multi-byte fields big-endian)::

    uplink:   7E 7E | centre (1) | station (5) | password (2) | function (1) | dir+len (2) | STX | body | end | CRC16
    downlink: 7E 7E | station (5) | centre (1) | password (2) | function (1) | dir+len (2) | STX | body | end | CRC16
    multi-packet: SYN (16H) instead of STX, then 3 bytes (12-bit packet total, 12-bit sequence) before the body.

- dir+len: high nibble 0000 uplink / 1000 downlink; low 12 bits = bytes after STX (or SYN, packet header
  included) up to the end character.
- End character: ETX 03 (done), ETB 17 (more packets follow), ENQ 05, ACK 06, NAK 15, EOT 04, ESC 1B.
- CRC-16/MODBUS over every byte before it, sent high byte first.
- Report body: serial (2, hex), send time (6, BCD YYMMDDhhmmss), ``F1 F1`` + station (5), station class (1),
  ``F0 F0`` + observation time (5, BCD YYMMDDhhmm), then element groups: identifier, data definition (high
  5 bits = byte count, low 3 bits = decimals), BCD data (``FF`` prefix negative, all ``AA`` invalid).
  ``FF xx`` identifiers are user-defined extensions: ``FF``, ``xx``, data definition, data [the layout the SL 651
  toolkits decode]. A further ``F0 F0`` group inside the body changes the observation time of what follows.
- F4 carries twelve 5-minute rainfall values (1 byte hex, 0.1 mm), F5–FC twelve 5-minute relative levels (2 bytes
  hex, 0.01 m); ``FF``/``FFFF`` marks a missing slot [SL 651 toolkit].

Bodies are decoded by function in `water.telemetry.sl651_layouts` (31H/38H series, 46H status, 45H version,
51H clock, 40H–43H configuration, …); a function without an implemented layout is refused by name. SOH/ASCII
frames are decoded by `water.telemetry.sl651_ascii` (`decode` hands them over).

The package: `tables` (codes and element table), `frame` (`Sl651Frame`, `decode_hex`), `elements` (element
groups), `reassembly` (multi-packet), `encoding` (HEX frames and answers), `codec` (`decode`, `build_nak`,
`build_confirmation` for either encoding: the hand-over to the ASCII codec). The names below are the codec's
public vocabulary, used as ``sl651.decode``, ``sl651.Sl651Frame``, ….
"""

from water.telemetry.sl651.codec import build_confirmation, build_nak, decode
from water.telemetry.sl651.elements import decode_value, element_spec, parse_elements, step_minutes
from water.telemetry.sl651.encoding import (
    encode_element,
    encode_frame,
    encode_keepalive,
    encode_report,
    needs_confirmation,
)
from water.telemetry.sl651.frame import Sl651Frame, station_parts
from water.telemetry.sl651.reassembly import Reassembler
from water.telemetry.sl651.tables import (
    ACK,
    ELEMENT_FUNCTIONS,
    ELEMENTS,
    END_CHARS,
    END_NAMES,
    ENQ,
    EOT,
    ESC,
    ETB,
    ETX,
    FUNCTIONS,
    HEADER_LEN,
    KEEPALIVE,
    KNOWN_FUNCTIONS,
    LEVEL_ARRAYS,
    MAX_BODY,
    MAX_FRAME,
    NAK,
    OVERHEAD,
    PROTOCOL,
    RAIN_ARRAY,
    REPORT_FUNCTIONS,
    SOH,
    STATION_CLASSES,
    STATUS_BITS,
    STATUS_ELEMENT,
    STX,
    SYN,
)
from water.telemetry.timeutil import encode_sl651_time

__all__ = [
    "ACK",
    "ELEMENTS",
    "ELEMENT_FUNCTIONS",
    "END_CHARS",
    "END_NAMES",
    "ENQ",
    "EOT",
    "ESC",
    "ETB",
    "ETX",
    "FUNCTIONS",
    "HEADER_LEN",
    "KEEPALIVE",
    "KNOWN_FUNCTIONS",
    "LEVEL_ARRAYS",
    "MAX_BODY",
    "MAX_FRAME",
    "NAK",
    "OVERHEAD",
    "PROTOCOL",
    "RAIN_ARRAY",
    "REPORT_FUNCTIONS",
    "SOH",
    "STATION_CLASSES",
    "STATUS_BITS",
    "STATUS_ELEMENT",
    "STX",
    "SYN",
    "Reassembler",
    "Sl651Frame",
    "build_confirmation",
    "build_nak",
    "decode",
    "decode_value",
    "element_spec",
    "encode_element",
    "encode_frame",
    "encode_keepalive",
    "encode_report",
    "encode_sl651_time",
    "needs_confirmation",
    "parse_elements",
    "station_parts",
    "step_minutes",
]
