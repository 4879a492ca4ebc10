"""SZY 206 decoding: data items by type (flow/volume sign rules, plain BCD), `decode`, split (DIV) messages."""

from __future__ import annotations

from collections.abc import Sequence
from decimal import Decimal

from water.telemetry.bcd import is_no_data, scaled
from water.telemetry.crc import BytesLike, crc8_e5
from water.telemetry.errors import (
    BadBCD,
    BadCRC,
    BadLength,
    FrameError,
    MalformedFrame,
    TruncatedFrame,
    UnknownFunction,
    UnknownProtocol,
)
from water.telemetry.model import Element
from water.telemetry.szy206.frame import (
    _CONTROLS,
    DATA_TYPES,
    END,
    KNOWN_AFNS,
    LINK_CODES,
    MIN_L,
    PROTOCOL,
    START,
    TP_LEN,
    ByteOrder,
    Control,
    DataType,
    Edition,
    SignRule,
    SzyAddress,
    SzyFrame,
    parse_address,
    parse_label,
)

_IDS: dict[str, tuple[str, ...]] = {
    kind: tuple(f"{kind}_{i}" for i in range(1, 52)) for kind in ["volume"] + [t.kind for t in DATA_TYPES.values()]
}
_FLOW_IDS, _VOLUME_IDS = _IDS["flow"], _IDS["volume"]


def _flow5(item: bytes, decimals: int, sign_rule: SignRule) -> tuple[Decimal | None, str]:
    """Five BCD bytes, low byte first, with the sign/unit flags in byte 5 (domain.md §3.2 "Flow/volume")."""
    top = item[4]
    if (top == 0xAA or top == 0xFF) and is_no_data(item):
        return None, "m3/s"
    if sign_rule == "sl427":
        sign, unit_bits = top >> 6, (top >> 4) & 0x03
        if sign == 1 or sign == 2:
            raise BadBCD(f"undefined sign bits {sign:02b} in {item.hex().upper()}", protocol=PROTOCOL)
        if unit_bits == 1 or unit_bits == 2:
            raise BadBCD(f"undefined unit bits {unit_bits:02b} in {item.hex().upper()}", protocol=PROTOCOL)
        text = _NIBBLE[top & 0x0F] + item[3::-1].hex()
        negative, unit = sign == 3, ("m3/h" if unit_bits == 3 else "m3/s")
    else:  # hm1212: D7 sign, D6–D4 the top digit (0–7)
        text = _NIBBLE[(top >> 4) & 0x07] + _NIBBLE[top & 0x0F] + item[3::-1].hex()
        negative, unit = bool(top & 0x80), "m3/s"
    try:
        number = int(text)
    except ValueError:
        raise BadBCD(f"BCD digit above 9 in {item.hex().upper()}", protocol=PROTOCOL) from None
    if negative:
        number = -number
    return (Decimal(number).scaleb(-decimals) if decimals else Decimal(number)), unit


_NIBBLE = tuple("0123456789abcdef")
_new = tuple.__new__  # builds Element without the NamedTuple's Python-level __new__ (hot path)


def _plain(item: bytes, dtype: DataType) -> Decimal | None:
    """Other data types: BCD low byte first; signed kinds carry F in the top nibble for negative [wainshine]."""
    if is_no_data(item):
        return None
    text = item[::-1].hex()
    negative = dtype.signed and text[0] == "f"
    if negative:
        text = text[1:]
    try:
        number = int(text)
    except ValueError:
        raise BadBCD(f"BCD digit above 9 in {item.hex().upper()}", protocol=PROTOCOL) from None
    return scaled(-number if negative else number, dtype.decimals)


def _items(
    values: bytes, data_type: int, *, pairs: bool, sign_rule: SignRule, volume_decimals: int
) -> tuple[Element, ...]:
    dtype = DATA_TYPES[data_type]
    out: list[Element] = []
    if data_type == 0x3:
        step = 10 if pairs else 5
        if len(values) > step * len(_FLOW_IDS):
            raise BadLength(f"{len(values)} value bytes exceed {len(_FLOW_IDS)} channels")
        for index, start in enumerate(range(0, len(values), step)):
            item = values[start : start + 5]
            flow, unit = _flow5(item, 3, sign_rule)
            out.append(_new(Element, (_FLOW_IDS[index], "instantaneous flow", flow, unit, 3, item, None, True)))
            if pairs:
                item = values[start + 5 : start + 10]
                volume, _ = _flow5(item, volume_decimals, sign_rule)
                out.append(
                    _new(
                        Element,
                        (_VOLUME_IDS[index], "cumulative volume", volume, "m3", volume_decimals, item, None, True),
                    )
                )
        return tuple(out)
    size = dtype.size
    ids = _IDS[dtype.kind]
    if len(values) > size * len(ids):
        raise BadLength(f"{len(values)} value bytes exceed {len(ids)} channels")
    for index, start in enumerate(range(0, len(values), size)):
        item = values[start : start + size]
        out.append(Element(ids[index], dtype.name, _plain(item, dtype), dtype.unit, dtype.decimals, item))
    return tuple(out)


def item_size(data_type: int, *, pairs: bool) -> int | None:
    """Bytes per decoded item for a data type (None when the type has no fixed item)."""
    dtype = DATA_TYPES.get(data_type)
    if dtype is None:
        return None
    return 10 if data_type == 0x3 and pairs else dtype.size


def decode(
    raw: BytesLike,
    *,
    edition: Edition = "auto",
    a2_byte_order: ByteOrder = "little",
    pairs: bool = True,
    sign_rule: SignRule = "sl427",
    volume_decimals: int = 0,
    word_order: ByteOrder = "little",
    check_crc: bool = True,
    crc_checked: bool = False,
) -> SzyFrame:
    """Decode one complete 68H frame. Raises a `FrameError` subclass for anything malformed.

    With ``check_crc=False`` a frame with a wrong CS is still decoded (``crc_ok=False``): for the operator CLI,
    never for storing readings. ``crc_checked=True``: the caller has verified CS already (the gateway's
    `FrameSplitter` emits no frame with a wrong one), so it is not computed again.
    """
    raw = bytes(raw)
    n = len(raw)
    if n < 3:
        raise TruncatedFrame(f"{n} bytes cannot hold a 68H header", protocol=PROTOCOL)
    if raw[0] != START:
        raise UnknownProtocol("an SZY 206 frame starts with 68H", protocol=PROTOCOL)
    if raw[2] != START:
        raise MalformedFrame("second start byte 68H missing", protocol=PROTOCOL)
    length = raw[1]
    total = length + 5
    if n < total:
        raise TruncatedFrame(f"L={length} announces {total} bytes, got {n}", protocol=PROTOCOL)
    if n > total:
        raise BadLength(f"L={length} announces {total} bytes, got {n}", protocol=PROTOCOL)
    if raw[-1] != END:
        raise MalformedFrame(f"end byte {raw[-1]:02X}H, expected 16H", protocol=PROTOCOL)
    if length < MIN_L:
        raise BadLength(f"L={length} is below the minimum {MIN_L} (C + A + AFN)", protocol=PROTOCOL)
    control = _CONTROLS[raw[3]]
    pos = 4
    divs: int | None = None
    if control.div:
        if length < MIN_L + 1:
            raise BadLength("split frame without room for DIVS", protocol=PROTOCOL)
        divs = raw[4]
        pos = 5
    address = parse_address(raw[pos : pos + 5], a2_byte_order)
    station = address.hex
    sent = raw[3 + length]
    calc = sent if crc_checked else crc8_e5(memoryview(raw)[3 : 3 + length])
    crc_ok = calc == sent
    if not crc_ok and check_crc:
        raise BadCRC(
            f"CS {sent:02X}H, computed {calc:02X}H", expected=calc, actual=sent, protocol=PROTOCOL, station=station
        )
    afn = raw[pos + 5]
    if afn not in KNOWN_AFNS:
        raise UnknownFunction(f"AFN {afn:02X}H is not defined", code=afn, protocol=PROTOCOL, station=station)
    data = raw[pos + 6 : 3 + length]
    if not control.uplink or divs is not None:
        # Downlink (centre → terminal): header only; PW and Tp layouts of commands are not decoded here.
        # Split frames (DIV): the data is one fragment of a longer message; reassembly is not implemented.
        return SzyFrame(raw, control, divs, address, afn, data, sent, crc_ok)
    try:
        return _decode_uplink(
            raw,
            control,
            divs,
            address,
            afn,
            data,
            sent,
            crc_ok,
            edition=edition,
            pairs=pairs,
            sign_rule=sign_rule,
            volume_decimals=volume_decimals,
            word_order=word_order,
        )
    except FrameError as exc:
        exc.protocol = PROTOCOL
        exc.station = exc.station or station
        raise


def _decode_uplink(
    raw: bytes,
    control: Control,
    divs: int | None,
    address: SzyAddress,
    afn: int,
    data: bytes,
    sent: int,
    crc_ok: bool,
    *,
    edition: Edition,
    pairs: bool,
    sign_rule: SignRule,
    volume_decimals: int,
    word_order: ByteOrder,
) -> SzyFrame:
    if afn == 0x02:
        if not data:
            raise BadLength("link check without its data byte")
        if data[0] not in LINK_CODES:
            raise UnknownFunction(f"link-check code {data[0]:02X}H is not F0/F1/F2", code=data[0])
        return SzyFrame(raw, control, divs, address, afn, data, sent, crc_ok, link=data[0])
    # Items are counted in single values (5 bytes for flow/volume); pairs are formed only when the profile says so
    # and the count is even (domain.md §3.3a "SZY 206: the number of values varies").
    size = item_size(control.data_type, pairs=False)
    if afn == 0xC0:
        room = len(data) - 4  # values + Tp
        if edition == "auto":
            fits = [
                ed
                for ed in ("2016", "2021")
                if room >= TP_LEN[ed] and (size is None or (room - TP_LEN[ed]) % size == 0)
            ]
            if not fits:
                raise BadLength(f"{len(data)} data bytes do not split into items, alarm, status and a 5/7-byte Tp")
            chosen = fits[0]
        else:
            chosen = edition
        tp_len = TP_LEN[chosen]
        nvalues = room - tp_len
        if nvalues < 0:
            raise BadLength(f"{len(data)} data bytes cannot hold alarm, status and a {tp_len}-byte Tp")
        if size is not None and nvalues % size:
            raise BadLength(f"{nvalues} value bytes are not a whole number of {size}-byte items")
        values = data[:nvalues]
        paired = pairs and size is not None and (nvalues // size) % 2 == 0
        items = (
            _items(values, control.data_type, pairs=paired, sign_rule=sign_rule, volume_decimals=volume_decimals)
            if size is not None
            else ()
        )
        alarm = int.from_bytes(data[nvalues : nvalues + 2], word_order)
        status = int.from_bytes(data[nvalues + 2 : nvalues + 4], word_order)
        label = parse_label(data[nvalues + 4 :])
        return SzyFrame(raw, control, divs, address, afn, data, sent, crc_ok, items, alarm, status, label, None, chosen)
    if afn == 0xB0 and size is not None and data and len(data) % size == 0:
        # Real-time query answer: the values alone (no alarm/status/Tp in this layout).
        paired = pairs and (len(data) // size) % 2 == 0
        items = _items(data, control.data_type, pairs=paired, sign_rule=sign_rule, volume_decimals=volume_decimals)
        return SzyFrame(raw, control, divs, address, afn, data, sent, crc_ok, items)
    # 81H/82H/83H/84H, B1H and query answers: header decoded, data kept raw (layouts not in domain.md).
    return SzyFrame(raw, control, divs, address, afn, data, sent, crc_ok)


def decode_joined(
    fragments: Sequence[SzyFrame],
    *,
    edition: Edition = "auto",
    pairs: bool = True,
    sign_rule: SignRule = "sl427",
    volume_decimals: int = 0,
    word_order: ByteOrder = "little",
) -> SzyFrame:
    """The message of a split frame (DIV set): the fragments' data joined in order (DIVS counting down to 1),
    decoded as one uplink frame. ``raw`` is every fragment's bytes, in order."""
    first = fragments[0]
    data = b"".join(f.data for f in fragments)
    control = Control(first.control.uplink, False, first.control.fcb, first.control.data_type)
    crc_ok = all(f.crc_ok for f in fragments)
    raw = b"".join(f.raw for f in fragments)
    try:
        return _decode_uplink(
            raw,
            control,
            None,
            first.address,
            first.afn,
            data,
            fragments[-1].crc,
            crc_ok,
            edition=edition,
            pairs=pairs,
            sign_rule=sign_rule,
            volume_decimals=volume_decimals,
            word_order=word_order,
        )
    except FrameError as exc:
        exc.protocol = PROTOCOL
        exc.station = exc.station or first.address.hex
        raise


class SplitAssembler:
    """Joins SZY 206 split frames (C bit D6 DIV, DIVS counting down to 1 on the last fragment) per station and
    AFN. Bounded like the SL 651 reassembler; a message whose last fragment arrives with earlier ones missing
    raises `BadLength` (counted; nothing stored; the station resends). One instance per connection."""

    def __init__(self, *, max_pending: int = 16) -> None:
        self.max_pending = max_pending
        self.dropped = 0
        self._pending: dict[tuple[str, int, int], dict[int, SzyFrame]] = {}

    def add(self, frame: SzyFrame) -> list[SzyFrame] | None:
        """The fragments of the whole message, in order, when ``frame`` completes it; else None."""
        if frame.divs is None:
            return [frame]
        if frame.divs == 0:
            raise BadLength(
                "DIVS 0: split frames count down from 255 to 1", protocol=PROTOCOL, station=frame.address.hex
            )
        key = (frame.address.hex, frame.afn, frame.control.data_type)
        parts = self._pending.setdefault(key, {})
        parts[frame.divs] = frame
        if frame.divs != 1:
            while len(self._pending) > self.max_pending:
                self._pending.pop(next(iter(self._pending)))
                self.dropped += 1
            return None
        del self._pending[key]
        top = max(parts)
        missing = [d for d in range(top, 0, -1) if d not in parts]
        if missing:
            raise BadLength(
                f"split message without fragments DIVS {missing}", protocol=PROTOCOL, station=frame.address.hex
            )
        return [parts[d] for d in range(top, 0, -1)]
