"""SZY 206-2016 / SL/T 427-2021 frames (the 68H family), decode and encode. domain.md §3.2.

Frame::

    68 | L | 68 | C | [DIVS] | A (5) | AFN | data … | [PW (2)] | [Tp] | CS | 16

- ``L`` counts the user-data area C … end of AUX; it excludes 68/L/68, CS and 16.
- ``CS`` is CRC-8/0xE5 over that same area (see `water.telemetry.crc`).
- ``C``: D7 DIR (1 = uplink), D6 DIV (a DIVS countdown byte follows C), D5–D4 FCB, D3–D0 data type.
- ``A``: mode 1 = 3-byte BCD division code + 2-byte binary station number (little-endian per SL 427; some
  vendors send it big-endian, hence ``a2_byte_order``); mode 2 = ``00`` + 8 hex digits.
- Self-report (AFN C0): values, 2 bytes alarm bits, 2 bytes status bits, Tp.
- Tp: 5 bytes (s, min, h, day BCD + allowed delay in minutes, binary) on SZY 206-2016 devices; 7 bytes
  (s, min, h, day, month, year BCD + delay) on SL/T 427-2021 devices. ``edition="auto"`` picks the length that
  makes the value area divide into whole items (5 and 7 differ by 2, so at most one fits any item size ≥ 3).

Choices where the sources disagree or are silent (domain.md §7 item 3) are keyword options with defaults; the
profile layer (`water.telemetry.profiles`) sets them per meter:

- ``pairs``: function-3 data as (flow, cumulative volume) pairs [hm1212] or flows only [SL 427 toolkit].
- ``sign_rule``: ``"sl427"`` (byte 5 D7–D6 sign 00/11, D5–D4 unit 00 = m³/s, 11 = m³/h) or ``"hm1212"``
  (D7 sign, D6–D4 a digit 0–7).
- ``word_order`` of the alarm/status words: default little-endian. Not stated in domain.md; both open-source
  parsers read them big-endian, but SZY 206 sends every other multi-byte field low byte first and the worked
  sample's status word ``60 00`` only names defined bits (D5 door, D6 power source) when read little-endian.

The package: `frame` (layout, tables, C, A, Tp), `decoding`, `encoding` (frames and acknowledgements). The
names below are the codec's public vocabulary, used as ``szy206.decode``, ``szy206.SzyFrame``, ….
"""

from water.telemetry.szy206.decoding import SplitAssembler, decode, decode_joined, item_size
from water.telemetry.szy206.encoding import (
    build_ack,
    encode_flow5,
    encode_frame,
    encode_item,
    encode_link_check,
    encode_self_report,
    needs_ack,
)
from water.telemetry.szy206.frame import (
    ACKED_AFNS,
    AFN_NAMES,
    ALARM_BITS,
    DATA_TYPE_NAMES,
    DATA_TYPES,
    END,
    KNOWN_AFNS,
    LINK_CODES,
    MAX_FRAME,
    MIN_L,
    PROTOCOL,
    START,
    STATUS_BITS,
    TP_LEN,
    ByteOrder,
    Control,
    DataType,
    Edition,
    SignRule,
    SzyAddress,
    SzyFrame,
    TimeLabel,
    encode_address,
    encode_label,
    parse_address,
    parse_label,
)

__all__ = [
    "ACKED_AFNS",
    "AFN_NAMES",
    "ALARM_BITS",
    "DATA_TYPES",
    "DATA_TYPE_NAMES",
    "END",
    "KNOWN_AFNS",
    "LINK_CODES",
    "MAX_FRAME",
    "MIN_L",
    "PROTOCOL",
    "START",
    "STATUS_BITS",
    "TP_LEN",
    "ByteOrder",
    "Control",
    "DataType",
    "Edition",
    "SignRule",
    "SplitAssembler",
    "SzyAddress",
    "SzyFrame",
    "TimeLabel",
    "build_ack",
    "decode",
    "decode_joined",
    "encode_address",
    "encode_flow5",
    "encode_frame",
    "encode_item",
    "encode_label",
    "encode_link_check",
    "encode_self_report",
    "item_size",
    "needs_ack",
    "parse_address",
    "parse_label",
]
