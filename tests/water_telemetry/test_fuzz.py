"""Fuzzing the decoder and the splitter with Hypothesis: only a valid result or a FrameError, never a bare
exception, and nothing downstream (JSON, acks, readings) breaks on what does decode.

Inputs are the kept seed corpus below (domain.md's sample frames and hand-made edge cases) mutated by byte flips,
insertions, deletions, truncations and splices, with the checksum repaired half of the time so mutations reach
the deep parsers instead of stopping at the CRC; random bytes behind protocol start bytes; frames of the issue 18
codecs built from their parts with a right checksum (`built`: SL 651 ASCII frames, 31H/38H time-step series,
37H/46H/51H/45H replies, SZY 206 self-reports with N values, with missing and odd values, steps of 0 and
series that are not a whole number of values), themselves mutated too; and streams of good and mutated frames
cut into random reads.

Duration: ``HEZHANG_FUZZ_SECONDS`` (default 20 s, shared by the three fuzz tests) — ``make test`` fuzzes a little
every run, ``make fuzz`` (CI: once, 180 s) fuzzes for minutes; 0 replays the saved corpus and a few examples
only. Hypothesis keeps its example database in ``tests/water_telemetry/fuzz-corpus/`` (in the repository; written
only by ``make fuzz``, which sets ``HEZHANG_FUZZ_SAVE=1``):
failing examples, and for each `target` the inputs that reached furthest into the decoder, are replayed first on
every later run.
"""

from __future__ import annotations

import json
import os
import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, Phase, example, given, settings, target
from hypothesis import strategies as st
from hypothesis.database import DirectoryBasedExampleDatabase, ExampleDatabase, ReadOnlyDatabase

from water.telemetry import (
    PRESETS,
    BadCRC,
    DecodedFrame,
    FrameError,
    FrameSplitter,
    PacketAssembler,
    TruncatedFrame,
    UnknownProtocol,
    build_ack,
    decode_frame,
    sl651,
    szy206,
    to_json,
)
from water.telemetry import sl651_ascii as ascii_
from water.telemetry.crc import crc8_e5, crc16_modbus

SECONDS = float(os.environ.get("HEZHANG_FUZZ_SECONDS", "20"))
CORPUS_DIR = Path(__file__).resolve().parent / "fuzz-corpus"
# `make test` replays the corpus without rewriting it (a test run leaves the checkout clean); `make fuzz`
# sets HEZHANG_FUZZ_SAVE=1 and adds what it finds, to be committed.
DATABASE: ExampleDatabase = DirectoryBasedExampleDatabase(str(CORPUS_DIR))
if not os.environ.get("HEZHANG_FUZZ_SAVE"):
    DATABASE = ReadOnlyDatabase(DATABASE)
ROUND = 300  # examples per Hypothesis run; runs repeat until the time share is spent
RECEIVED = datetime(2025, 1, 1, 0, 0, 10, tzinfo=UTC)

# The kept corpus: (what it is, hex, expected outcome: "ok" or the FrameError subclass name).
CORPUS: list[tuple[str, str, str]] = [
    ("domain.md SZY 206 worked sample", "681A68B35303810D00C00059000000826110000001106000004508090A3516", "ok"),
    ("domain.md SL 651 2F keep-alive", "7E7E01001234567812342F0008020003591011155111036BCA", "ok"),
    (
        "domain.md SL 651 30 test up",
        "7E7E010012345678123430002B020003591011154947F1F1001234567848F0F0591011154920190000052619000005392300000127381211150320FA",
        "ok",
    ),
    ("domain.md SL 651 30 test down", "7E7E00123456780112343080080200035910111549471B75D4", "ok"),
    (
        "domain.md SL 651 32 timed up",
        "7E7E05001122334403E832002B020034170718110016F1F1001122334448F0F01707181100201900004026190000403923000104903812109903A421",
        "ok",
    ),
    (
        "szy 7-byte Tp (SL/T 427-2021), flows only",
        "681C68B3650102D204C00015000000502200000000000000305923311224000716",
        "ok",
    ),
    ("szy all-AA values", "681A68B3650102D204C0AAAAAAAAAAAAAAAAAAAA0000000030592331005C16", "ok"),
    ("szy negative flow in m3/h", "681A68B3650102D204C000350000F01200000000000000003059233100E716", "ok"),
    ("szy water level, three channels", "681C68B2650102D204C034120000000500F0AAAAAAAA0000000030592331009016", "ok"),
    ("szy link check login", "68086880650102D20402F03D16", "ok"),
    ("szy split frame (DIV, DIVS=3)", "680B68F303650102D204C00102032A16", "ok"),
    ("szy downlink ack", "68086833650102D204C0007016", "ok"),
    ("szy mode-2 address", "680868800012AB34CD02F28416", "ok"),
    ("szy unknown AFN 70H (valid CS)", "680868B3650102D2047000C716", "UnknownFunction"),
    (
        "szy BCD digit above 9 in flow (valid CS)",
        "681A68B35303810D00C0005A000000826110000001106000004508090A2816",
        "BadBCD",
    ),
    ("szy Tp day 32 (valid CS)", "681A68B35303810D00C00059000000826110000001106000004508320A2916", "BadTime"),
    ("szy bad CS", "681A68B35303810D00C00059000000826110000001106000004508090A3616", "BadCRC"),
    ("szy truncated", "681A68B35303810D00C000590000008261100000011060000045", "TruncatedFrame"),
    (
        "sl651 extension, arrays, status",
        "7E7E0165010204571234340059020009241231235930F1F1650102045749F0F02412312359FF012100001234F4600101010101010101010101FFF5C000640064006400640064006400640064006400640064FFFF4520000004813923FF000127272BAAAAAAAAAA036265",
        "ok",
    ),
    ("sl651 packet 1 of 2 (SYN, ETB)", "7E7E0165010204570000360007160020010001240717E161", "ok"),
    ("sl651 user-defined function E5 (refused by name)", "7E7E0165010204570000E5000202AABB03A7B6", "UnsupportedFrame"),
    ("sl651 downlink query (ENQ)", "7E7E650102045701000037800802000124123123593005CA9C", "ok"),
    (
        "sl651 two observation groups",
        "7E7E016501020457000032002C020001241231235930F1F1650102045749F0F02412312359272B0000001000F0F02501010000272B000000200003BCA3",
        "ok",
    ),
    (
        "sl651 reserved function 3BH (valid CRC)",
        "7E7E05001122334403E83B002B020034170718110016F1F1001122334448F0F01707181100201900004026190000403923000104903812109903A22E",
        "UnknownFunction",
    ),
    (
        "sl651 send time month 13 (valid CRC)",
        "7E7E05001122334403E832002B020034171318110016F1F1001122334448F0F017071811002019000040261900004039230001049038121099034050",
        "BadTime",
    ),
    (
        "sl651 BCD digit above 9 in 38H (valid CRC)",
        "7E7E05001122334403E832002B020034170718110016F1F1001122334448F0F01707181100201900004026190000403923000104903812109A035421",
        "BadBCD",
    ),
    (
        "sl651 element longer than the body (valid CRC)",
        "7E7E05001122334403E832002B020034170718110016F1F1001122334448F0F01707181100201900004026190000403923000104903822109903A42E",
        "BadLength",
    ),
    ("sl651 SOH frame with a length that does not match", "01303031323334353637383902303030330304", "TruncatedFrame"),
    # Issue 18: the new codecs (bodies by function, series, missing values, ASCII, value counts, NAK).
    (
        "domain.md §3.3a SL 651 ASCII timed report",
        "01303130303132333435363738313233343332303034410230303032323631303031313230303030535420303031323334353637"
        "3820492054542032363130303131323030205120312E3233342053424C312035362E32352056542031322E3130200346393736",
        "ok",
    ),
    ("domain.md §3.3a SZY 206 one flow value, all AA", "681568B36501020700C0AAAAAAAAAA0000000000301415026A16", "ok"),
    (
        "sl651 31H series with FF missing slots",
        "7E7E016501020457123431002E020009240701090012F1F1650102045749F0F0240701080004180000053923FFFFFFFFFFFFFFFF"
        "0001049000010500036714",
        "ok",
    ),
    ("sl651 46H status reply", "7E7E0165010204571234460015020009240701090012F1F1650102045745200000008303653C", "ok"),
    ("sl651 51H clock reply", "7E7E016501020457123451000F020009240701090012F1F165010204570350F9", "ok"),
    ("sl651 45H version reply", "7E7E0165010204571234450015020009240701090012F1F165010204570556312E303203047D", "ok"),
    (
        "sl651 38H period query (downlink, ENQ)",
        "7E7E650102045701123438801702000924070109001224070108240701120418000005392305D013",
        "ok",
    ),
    (
        "sl651 ASCII 31H series with a missing value",
        "0130313635303130323034353731323334333130303446023030303332343037303130393030313253542036353031303230343537"
        "204920545420323430373031303830302044524E3035205A20464646462031302E34392031302E35302056542031322E3120033742"
        "3933",
        "ok",
    ),
    ("sl651 M3 NAK listing packets 2 and 3", "7E7E650102045701123432800C02000024070109001200020003155913", "ok"),
    ("HJ 212 text (not ours)", "2323303130317374", "UnknownProtocol"),
    ("empty", "", "UnknownProtocol"),
]


def _outcome(raw: bytes) -> str:
    try:
        decode_frame(raw, received_at=RECEIVED)
    except FrameError as exc:
        return type(exc).__name__
    return "ok"


@pytest.mark.parametrize(("name", "hex_text", "expected"), CORPUS, ids=[c[0] for c in CORPUS])
def test_corpus_outcomes(name: str, hex_text: str, expected: str) -> None:
    assert _outcome(bytes.fromhex(hex_text)) == expected, name


def _repair(raw: bytearray) -> None:
    """Make the checksum right again where the frame's own length field allows it."""
    if len(raw) >= 5 and raw[0] == 0x68 and raw[1] + 5 == len(raw):
        raw[3 + raw[1]] = crc8_e5(raw[3 : 3 + raw[1]])
    elif len(raw) >= 17 and raw[0] == 0x7E and raw[1] == 0x7E:
        raw[-2:] = crc16_modbus(raw[:-2]).to_bytes(2, "big")
    elif len(raw) >= 29 and raw[0] == 0x01:  # SL 651 ASCII: 4 hex characters of CRC at the end
        raw[-4:] = f"{crc16_modbus(raw[:-4]):04X}".encode()


SEEDS = [bytes.fromhex(c[1]) for c in CORPUS]
GOOD = [s for s, c in zip(SEEDS, CORPUS, strict=True) if c[2] == "ok"]
PROFILES = [None, *PRESETS.values()]


@st.composite
def mutated(draw: st.DrawFn) -> bytes:
    """A seed frame with 1–4 mutations, its checksum repaired half of the time."""
    raw = bytearray(draw(st.sampled_from(SEEDS)))
    for _ in range(draw(st.integers(1, 4))):
        op = draw(st.integers(0, 5))
        at = draw(st.integers(0, max(len(raw), 1) - 1)) if raw else 0
        if op == 0 and raw:  # flip a bit
            raw[at] ^= 1 << draw(st.integers(0, 7))
        elif op == 1 and raw:  # replace a byte
            raw[at] = draw(st.integers(0, 255))
        elif op == 2:  # insert bytes
            raw[at:at] = draw(st.binary(min_size=1, max_size=8))
        elif op == 3 and raw:  # delete a byte
            del raw[at]
        elif op == 4:  # truncate
            del raw[at:]
        else:  # splice another seed's tail
            other = draw(st.sampled_from(SEEDS))
            raw[at:] = other[draw(st.integers(0, len(other))) :]
    if draw(st.booleans()):
        _repair(raw)
    return bytes(raw)


@st.composite
def started(draw: st.DrawFn) -> bytes:
    """Random bytes behind a protocol's start bytes, checksum repaired half of the time."""
    raw = bytearray(draw(st.sampled_from([b"\x68", b"\x7e\x7e", b"\x01", b""])) + draw(st.binary(max_size=96)))
    if draw(st.booleans()):
        _repair(raw)
    return bytes(raw)


STATION = bytes.fromhex("6501020457")
# HEX element identifiers: flow, volume (FF01 extension), level, rain, the status word, the arrays, and others.
IDENTS = [b"\x27", b"\xff\x01", b"\x39", b"\x20", b"\x26", b"\x45", b"\xf4", b"\xf5", b"\x1a", b"\x38", b"\x70"]
MNEMONICS = ["Q", "WV", "Z", "PJ", "VT", "PT", "Z1", "SBL1", "ZT", "XYZ"]
TOKENS = st.one_of(
    st.decimals(-99999, 99999, places=3, allow_nan=False).map(str),
    st.sampled_from(["FFFF", "AAAAAA", "F", "0", "-0.0", "1.2.3", "1E3", "ZZ", "99999999999"]),
    st.text("0123456789.-AF", min_size=1, max_size=8),
)


@st.composite
def _value_bytes(draw: st.DrawFn, nbytes: int) -> bytes:
    """One value's bytes: BCD, all FF or all AA (missing), or anything."""
    kind = draw(st.integers(0, 3))
    if kind == 0:
        return bytes.fromhex(draw(st.text("0123456789", min_size=2 * nbytes, max_size=2 * nbytes)))
    if kind in (1, 2):
        return (b"\xff" if kind == 1 else b"\xaa") * nbytes
    return draw(st.binary(min_size=nbytes, max_size=nbytes))


@st.composite
def _sl651_time(draw: st.DrawFn, nbytes: int) -> bytes:
    if draw(st.integers(0, 9)) == 0:  # sometimes an impossible time
        return bytes.fromhex(draw(st.text("0123456789", min_size=2 * nbytes, max_size=2 * nbytes)))
    moment = RECEIVED + timedelta(minutes=draw(st.integers(-60 * 24 * 40, 60 * 24)))
    return sl651.encode_sl651_time(moment, nbytes)


@st.composite
def _hex_body(draw: st.DrawFn, function: int) -> bytes:
    """An SL 651 HEX uplink body laid out as ``function`` expects it (domain.md §3.3a), with random contents."""
    head = draw(st.integers(0, 0xFFFF)).to_bytes(2, "big") + draw(_sl651_time(6)) + b"\xf1\xf1" + STATION
    if function in (0x51, 0x4A):
        return head
    if function == 0x46:
        return head + b"\x45\x20" + draw(st.binary(min_size=4, max_size=4))
    if function == 0x45:
        text = draw(st.binary(max_size=12))
        return head + bytes([draw(st.sampled_from([len(text), len(text) + 1, 0]))]) + text
    head += bytes([draw(st.sampled_from([0x49, 0x48, 0x50, 0x4B]))]) + b"\xf0\xf0" + draw(_sl651_time(5))
    groups = b""
    if function in (0x31, 0x38) or draw(st.booleans()):
        # Time-step series: 04 18 DDHHMM (0 sometimes), one identifier and data definition, N values.
        step = draw(st.sampled_from(["000005", "000100", "010000", "000000", "000015"]))
        ident, nbytes = draw(st.sampled_from(IDENTS)), draw(st.integers(1, 6))
        values = b"".join(draw(_value_bytes(nbytes)) for _ in range(draw(st.integers(0, 12))))
        groups = b"\x04\x18" + bytes.fromhex(step) + ident + bytes([(nbytes << 3) | draw(st.integers(0, 4))])
        groups += values + draw(st.binary(max_size=2 if draw(st.integers(0, 4)) == 0 else 0))
    # A series runs to the end of the body: groups behind it only sometimes (a series that is not whole).
    extra = draw(st.integers(1, 4)) if not groups else draw(st.sampled_from([0, 0, 0, 0, 1]))
    for _ in range(extra):
        nbytes = draw(st.integers(1, 8))
        ident = draw(st.sampled_from(IDENTS))
        groups += ident + bytes([(nbytes << 3) | draw(st.integers(0, 4))]) + draw(_value_bytes(nbytes))
    return head + groups


@st.composite
def _ascii_body(draw: st.DrawFn, function: int) -> str:
    text = f"{draw(st.integers(0, 0xFFFF)):04X}{draw(_sl651_time(6)).hex()}"
    if function in (0x51, 0x4A):
        return text
    text += f" ST {STATION.hex().upper()} {draw(st.sampled_from(['I', 'H', 'P', 'K']))}"
    text += f" TT {draw(_sl651_time(5)).hex()}"
    if function in (0x31, 0x38) or draw(st.booleans()):
        text += f" DR{draw(st.sampled_from('DHN'))}{draw(st.integers(0, 99)):02d}"
    for _ in range(draw(st.integers(1, 4))):
        text += " " + draw(st.sampled_from(MNEMONICS))
        text += "".join(" " + draw(TOKENS) for _ in range(draw(st.integers(0, 6))))
    return text + draw(st.sampled_from(["", " "]))


@st.composite
def built(draw: st.DrawFn) -> bytes:
    """A frame of the issue 18 codecs built from its parts, checksum right: SL 651 HEX or ASCII with a body laid
    out by function (reports, 31H series, 37H/38H/46H/51H/45H replies), or an SZY 206 self-report with N values."""
    codec = draw(st.integers(0, 2))
    end = draw(st.sampled_from([sl651.ETX, sl651.ETX, sl651.EOT, sl651.ETB, sl651.ENQ]))
    function = draw(st.sampled_from([0x30, 0x31, 0x32, 0x33, 0x34, 0x35, 0x37, 0x38, 0x38, 0x46, 0x51, 0x45, 0x4A]))
    if codec == 0:
        body = draw(_hex_body(function))
        return sl651.encode_frame(centre=1, station=STATION, password=0x1234, function=function, body=body, end=end)
    if codec == 1:
        text = draw(_ascii_body(function))
        return ascii_.encode_frame(centre=1, station=STATION, password=0x1234, function=function, body=text, end=end)
    # SZY 206 / SL/T 427 AFN C0 with any number of 5-byte values (some missing), data type 3 or another.
    values = b"".join(draw(_value_bytes(5)) for _ in range(draw(st.integers(0, 9))))
    data_type = draw(st.sampled_from([0x3, 0x3, 0x1, 0x2, 0x4]))
    label = szy206.encode_label(
        RECEIVED + timedelta(minutes=draw(st.integers(-90_000, 90_000))),
        edition=draw(st.sampled_from(["2016", "2021"])),
    )
    data = values + draw(st.binary(min_size=4, max_size=4)) + label
    control = szy206.Control(uplink=True, div=False, fcb=3, data_type=data_type)
    return szy206.encode_frame(control=control, address=STATION, afn=0xC0, data=data)


@st.composite
def built_mutated(draw: st.DrawFn) -> bytes:
    """A `built` frame with one mutation, its checksum repaired half of the time."""
    raw = bytearray(draw(built()))
    at = draw(st.integers(0, len(raw) - 1))
    op = draw(st.integers(0, 2))
    if op == 0:
        raw[at] = draw(st.integers(0, 255))
    elif op == 1:
        del raw[at]
    else:
        raw[at:at] = draw(st.binary(min_size=1, max_size=4))
    if draw(st.booleans()):
        _repair(raw)
    return bytes(raw)


FRAMES = st.one_of(mutated(), started(), built(), built_mutated())
RECEIVE_TIMES = st.integers(-400, 400).map(lambda days: RECEIVED + timedelta(days=days, seconds=days * 977))


def _exercise(decoded: DecodedFrame) -> None:
    """A successful decode must also survive everything downstream code does with it."""
    json.loads(to_json(decoded))
    build_ack(decoded)
    _ = decoded.addresses, decoded.alarm_flags, decoded.status_flags
    for reading in decoded.readings:
        assert reading.observed_at.utcoffset() is not None


def _fuzz(test: Callable[[], None], share: float) -> int:
    """Run a Hypothesis test (one round of ROUND examples) again and again for ``share`` of the budget; each
    round first replays the corpus, then explores new inputs. Returns the number of rounds."""
    deadline = time.monotonic() + SECONDS * share
    rounds = 0
    while True:
        test()
        rounds += 1
        if time.monotonic() >= deadline:
            return rounds


def _settings(max_examples: int) -> settings:
    return settings(_SETTINGS, max_examples=max_examples)


_SETTINGS = settings(
    database=DATABASE,
    deadline=None,  # a shared machine: timing says nothing about a frame
    derandomize=False,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large, HealthCheck.filter_too_much],
    phases=[Phase.explicit, Phase.reuse, Phase.generate, Phase.target, Phase.shrink],
)


def _with_corpus(test: Any) -> Any:
    """The kept corpus as explicit examples, run first every time: the outcome checks below then never
    depend on what a short random round happens to draw."""
    for _, hexframe, _ in CORPUS:
        test = example(raw=bytes.fromhex(hexframe), received=RECEIVED, profile=None, check_crc=True)(test)
    return test


def test_decoder_only_raises_frame_errors() -> None:
    outcomes: dict[str, int] = {}

    @_settings(ROUND if SECONDS else 50)
    @_with_corpus
    @given(raw=FRAMES, received=RECEIVE_TIMES, profile=st.sampled_from(PROFILES), check_crc=st.booleans())
    def run(raw: bytes, received: datetime, profile: object, check_crc: bool) -> None:
        try:
            decoded = decode_frame(raw, received_at=received, profile=profile, check_crc=check_crc)  # type: ignore[arg-type]
        except FrameError as exc:
            outcomes[type(exc).__name__] = outcomes.get(type(exc).__name__, 0) + 1
            # Steer towards inputs that pass the framing checks and fail deep inside (kept in the corpus).
            target(
                float(len(raw)) if not isinstance(exc, (BadCRC, TruncatedFrame, UnknownProtocol)) else 0.0,
                label="deep refusal length",
            )
            return
        outcomes["ok"] = outcomes.get("ok", 0) + 1
        target(float(len(decoded.values)), label="elements decoded")
        _exercise(decoded)

    _fuzz(run, 0.6)
    assert outcomes.get("ok", 0) > 0  # good frames decode (the corpus guarantees some; long runs add mutations)
    assert len(outcomes) > 3


def test_splitter_and_assembler_over_mutated_streams() -> None:
    @_settings(ROUND // 3 if SECONDS else 20)
    @given(
        pieces=st.lists(st.one_of(st.sampled_from(GOOD), FRAMES, st.binary(max_size=40)), min_size=1, max_size=12),
        cuts=st.lists(st.integers(1, 64), min_size=1, max_size=50),
    )
    def run(pieces: list[bytes], cuts: list[int]) -> None:
        stream = b"".join(pieces)
        splitter = FrameSplitter()
        assembler = PacketAssembler()
        out: list[bytes] = []
        pos = i = 0
        while pos < len(stream):
            step = cuts[i % len(cuts)]
            out += splitter.feed(stream[pos : pos + step])
            pos += step
            i += 1
        assert sum(map(len, out)) + splitter.discarded_bytes + splitter.pending == len(stream)
        # Every good frame that stands alone between other good frames comes out whole.
        for frame in out:
            try:
                decoded = decode_frame(frame, received_at=RECEIVED)
                merged = assembler.add(decoded)
            except FrameError:
                continue
            if merged is not None:
                _exercise(merged)

    _fuzz(run, 0.25)


def test_good_frames_survive_any_read_boundaries() -> None:
    @_settings(ROUND // 3 if SECONDS else 20)
    @given(
        frames=st.lists(st.sampled_from(GOOD), min_size=1, max_size=8),
        garbage=st.lists(st.binary(max_size=24).filter(lambda b: 0x68 not in b and 0x7E not in b), min_size=1),
        cuts=st.lists(st.integers(1, 64), min_size=1, max_size=50),
    )
    def run(frames: list[bytes], garbage: list[bytes], cuts: list[int]) -> None:
        stream = b"".join(g + f for g, f in zip(garbage * len(frames), frames, strict=False))
        splitter = FrameSplitter()
        out: list[bytes] = []
        pos = i = 0
        while pos < len(stream):
            out += splitter.feed(stream[pos : pos + cuts[i % len(cuts)]])
            pos += cuts[i % len(cuts)]
            i += 1
        assert out == frames  # garbage without start bytes never hides or breaks a frame

    _fuzz(run, 0.15)


def test_built_frames_reach_every_new_codec() -> None:
    """`built` is what carries the fuzzing (and the saved corpus) into the issue 18 codecs: among a fixed draw of
    its frames, ASCII frames, 31H and 38H series, 37H, 46H and 51H replies and SZY 206 self-reports with values
    each decode."""
    seen: set[str] = set()

    # 4,000 draws: one CI run of 1,000 drew no decodable 37H (the draw is not the same in every process).
    @settings(_SETTINGS, database=None, derandomize=True, max_examples=4000, phases=[Phase.generate])
    @given(raw=built())
    def run(raw: bytes) -> None:
        try:
            decoded = decode_frame(raw, received_at=RECEIVED)
        except FrameError:
            return
        _exercise(decoded)
        if raw[0] == 0x68:
            seen.add(f"szy206 {len(decoded.values)} values" if len(decoded.values) > 2 else "szy206")
        else:
            seen.add(("ascii " if raw[0] == 0x01 else "hex ") + f"{decoded.function:02X}")

    run()
    wanted = {"szy206 4 values", "ascii 31", "ascii 32", "hex 31", "hex 38", "hex 37", "hex 46", "hex 51"}
    assert wanted <= seen, (sorted(wanted - seen), " ".join(sorted(seen)))
