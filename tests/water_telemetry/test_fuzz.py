"""Fuzzing the decoder and the splitter: only a valid result or a FrameError, never a bare exception.

``hypothesis`` is not installed in this project's environment, so this is a bounded, seeded random fuzz (a few
seconds) over a kept corpus of interesting frames: byte flips, insertions, deletions, truncations and splices,
with the checksum repaired half of the time so the mutations reach the deep parsers instead of stopping at the
CRC. Set ``TELEMETRY_FUZZ_SECONDS`` / ``TELEMETRY_FUZZ_SEED`` to fuzz longer or elsewhere (e.g. a slow tier).
"""

from __future__ import annotations

import json
import os
import random
import time
from datetime import UTC, datetime, timedelta

import pytest

from water.telemetry import (
    PRESETS,
    DecodedFrame,
    FrameError,
    FrameSplitter,
    PacketAssembler,
    build_ack,
    decode_frame,
    to_json,
)
from water.telemetry.crc import crc8_e5, crc16_modbus

SECONDS = float(os.environ.get("TELEMETRY_FUZZ_SECONDS", "2.0"))
SEED = int(os.environ.get("TELEMETRY_FUZZ_SEED", "20240509"))
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
    ("sl651 user-defined function E5", "7E7E0165010204570000E5000202AABB03A7B6", "ok"),
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
    ("sl651 SOH/ASCII frame", "01303031323334353637383902303030330304", "UnsupportedFrame"),
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


def _mutate(rng: random.Random, seeds: list[bytes]) -> bytes:
    raw = bytearray(rng.choice(seeds))
    for _ in range(rng.randint(1, 4)):
        op = rng.randrange(6)
        if op == 0 and raw:  # flip bits
            raw[rng.randrange(len(raw))] ^= 1 << rng.randrange(8)
        elif op == 1 and raw:  # random byte
            raw[rng.randrange(len(raw))] = rng.randrange(256)
        elif op == 2:  # insert
            raw.insert(rng.randint(0, len(raw)), rng.randrange(256))
        elif op == 3 and raw:  # delete
            del raw[rng.randrange(len(raw))]
        elif op == 4:  # truncate
            del raw[rng.randint(0, len(raw)) :]
        else:  # splice another seed's tail
            other = rng.choice(seeds)
            raw[rng.randint(0, len(raw)) :] = other[rng.randint(0, len(other)) :]
    if rng.random() < 0.5:
        _repair(raw)
    return bytes(raw)


def _exercise(decoded: DecodedFrame) -> None:
    """A successful decode must also survive everything downstream code does with it."""
    json.loads(to_json(decoded))
    build_ack(decoded)
    _ = decoded.addresses, decoded.alarm_flags, decoded.status_flags
    for reading in decoded.readings:
        assert reading.observed_at.utcoffset() is not None


def test_random_mutations_only_raise_frame_errors() -> None:
    rng = random.Random(SEED)
    seeds = [bytes.fromhex(c[1]) for c in CORPUS]
    profiles = [None, *PRESETS.values()]
    deadline = time.monotonic() + SECONDS
    runs = decoded_ok = 0
    while time.monotonic() < deadline:
        raw = _mutate(rng, seeds)
        received = RECEIVED + timedelta(days=rng.randint(-400, 400))
        try:
            decoded = decode_frame(
                raw, received_at=received, profile=rng.choice(profiles), check_crc=rng.random() < 0.8
            )
        except FrameError:
            pass
        else:
            decoded_ok += 1
            _exercise(decoded)
        runs += 1
    assert runs > 1000
    assert decoded_ok > 0  # the mutations do reach successful decodes, not only early refusals


def test_random_bytes_with_protocol_starts() -> None:
    rng = random.Random(SEED + 1)
    deadline = time.monotonic() + SECONDS / 2
    while time.monotonic() < deadline:
        start = rng.choice([b"\x68", b"\x7e\x7e", b"\x01", b""])
        raw = bytearray(start + rng.randbytes(rng.randint(0, 80)))
        if rng.random() < 0.5:
            _repair(raw)
        try:
            decoded = decode_frame(bytes(raw), received_at=RECEIVED)
        except FrameError:
            continue
        _exercise(decoded)


def test_splitter_and_assembler_over_mutated_streams() -> None:
    rng = random.Random(SEED + 2)
    seeds = [bytes.fromhex(c[1]) for c in CORPUS]
    good = [s for s, c in zip(seeds, CORPUS, strict=True) if c[2] == "ok"]
    deadline = time.monotonic() + SECONDS / 2
    while time.monotonic() < deadline:
        pieces = [rng.choice(good) if rng.random() < 0.5 else _mutate(rng, seeds) for _ in range(rng.randint(1, 12))]
        stream = b"".join(pieces)
        splitter = FrameSplitter()
        assembler = PacketAssembler()
        out: list[bytes] = []
        pos = 0
        while pos < len(stream):
            step = rng.randint(1, 64)
            out += splitter.feed(stream[pos : pos + step])
            pos += step
        assert sum(map(len, out)) + splitter.discarded_bytes + splitter.pending == len(stream)
        for frame in out:
            try:
                decoded = decode_frame(frame, received_at=RECEIVED)
                merged = assembler.add(decoded)
            except FrameError:
                continue
            if merged is not None:
                _exercise(merged)
