"""FrameSplitter: split frames, several frames per read, garbage, false starts, bad CRC, random megabyte."""

from __future__ import annotations

import random
from datetime import datetime
from decimal import Decimal

import pytest

from tests.water_telemetry.samples import ALL_SL651, SL651_TEST_UP, SL651_TIMED_UP, SZY_SAMPLE
from water.telemetry import FrameSplitter, sl651, szy206
from water.telemetry.framing import SL651_MAX_FRAME
from water.telemetry.timeutil import BEIJING

FRAMES = [SZY_SAMPLE, *ALL_SL651, szy206.encode_link_check(bytes.fromhex("5303810D00"))]


def test_one_frame_per_read() -> None:
    splitter = FrameSplitter()
    for frame in FRAMES:
        assert splitter.feed(frame) == [frame]
    assert splitter.frames == len(FRAMES)
    assert splitter.discarded_bytes == 0
    assert splitter.pending == 0


def test_several_frames_in_one_read() -> None:
    splitter = FrameSplitter()
    assert splitter.feed(b"".join(FRAMES)) == FRAMES


def test_frames_split_across_reads_byte_by_byte() -> None:
    splitter = FrameSplitter()
    out: list[bytes] = []
    for byte in b"".join(FRAMES):
        out += splitter.feed(bytes([byte]))
    assert out == FRAMES
    assert splitter.discarded_bytes == 0


def test_random_chunking_with_garbage_between() -> None:
    rng = random.Random(7)
    stream = bytearray()
    garbage_total = 0
    for frame in FRAMES * 5:
        junk = bytes(rng.choice(b"\x00\x11\x22\x33\xaa\xff\x01") for _ in range(rng.randint(0, 9)))
        garbage_total += len(junk)
        stream += junk + frame
    splitter = FrameSplitter()
    out: list[bytes] = []
    pos = 0
    while pos < len(stream):
        step = rng.randint(1, 40)
        out += splitter.feed(stream[pos : pos + step])
        pos += step
    assert out == FRAMES * 5
    assert splitter.discarded_bytes == garbage_total


def test_false_sl651_start_does_not_hold_back_the_real_frame() -> None:
    # A stray "7E 7E" whose header claims 4 KB would otherwise make the splitter wait while the station waits
    # for its ack.
    fake = b"\x7e\x7e" + bytes(9) + b"\x0f\xff\x02"
    splitter = FrameSplitter()
    assert splitter.feed(fake + SL651_TIMED_UP) == [SL651_TIMED_UP]
    assert splitter.discarded_bytes == len(fake)


def test_false_szy_start_inside_garbage() -> None:
    splitter = FrameSplitter()
    assert splitter.feed(b"\x68\x30\x68\x01\x02" + SZY_SAMPLE) == [SZY_SAMPLE]
    # Structurally a frame, but CS is wrong (seven zero bytes have CRC 00): counted, then skipped.
    assert splitter.feed(b"\x68\x07\x68" + bytes(7) + b"\x01\x16" + SZY_SAMPLE) == [SZY_SAMPLE]
    assert splitter.bad_crc == 1


def test_bad_crc_is_counted_kept_and_skipped() -> None:
    broken = bytearray(SL651_TEST_UP)
    broken[-1] ^= 0xFF
    splitter = FrameSplitter()
    assert splitter.feed(bytes(broken) + SZY_SAMPLE) == [SZY_SAMPLE]
    assert splitter.bad_crc == 1
    assert list(splitter.rejected) == [bytes(broken)]
    # Without CRC checking the structurally valid frame is passed on (decode_frame then raises BadCRC).
    lenient = FrameSplitter(verify_crc=False)
    assert lenient.feed(bytes(broken) + SZY_SAMPLE) == [bytes(broken), SZY_SAMPLE]


def test_seven_e_split_between_reads() -> None:
    splitter = FrameSplitter()
    assert splitter.feed(b"\x00\x7e") == []
    assert splitter.pending == 1
    assert splitter.feed(SL651_TIMED_UP[1:]) == [SL651_TIMED_UP]
    assert splitter.discarded_bytes == 1


def test_ascii_frames_are_discarded() -> None:
    splitter = FrameSplitter()
    ascii_frame = b"\x01" + b"0012345678" + b"\x02BODY\x03" + b"ABCD"
    assert splitter.feed(ascii_frame + SZY_SAMPLE) == [SZY_SAMPLE]
    assert splitter.discarded_bytes == len(ascii_frame)


def test_flush_and_buffer_bound() -> None:
    splitter = FrameSplitter()
    splitter.feed(SL651_TIMED_UP[:20])
    assert splitter.pending == 20
    assert splitter.flush() == 20
    assert splitter.discarded_bytes == 20
    with pytest.raises(ValueError, match="longest frame"):
        FrameSplitter(max_buffer=1024)


@pytest.mark.parametrize("chunk", [4096, 64])
def test_one_megabyte_of_random_bytes(chunk: int, monkeypatch: pytest.MonkeyPatch) -> None:
    rng = random.Random(2024)
    blob = rng.randbytes(1 << 20)
    # Linear time, counted rather than timed (a wall-clock bound fails on a loaded machine): every candidate
    # frame start in the noise (68H, 7E 7E, SOH) is examined about once, however the stream is cut, and what is
    # held between reads stays under one frame. A splitter that re-examined its held bytes on every read would
    # check each start many times over with small reads.
    checks = 0
    check = FrameSplitter._check

    def counted(buf: bytearray, p: int, n: int, verify: bool) -> tuple[int, int]:
        nonlocal checks
        checks += 1
        return check(buf, p, n, verify)

    monkeypatch.setattr(FrameSplitter, "_check", staticmethod(counted))
    starts = blob.count(b"\x68") + blob.count(b"\x7e\x7e") + blob.count(b"\x01")
    splitter = FrameSplitter()
    emitted = 0
    for pos in range(0, len(blob), chunk):
        emitted += sum(len(f) for f in splitter.feed(blob[pos : pos + chunk]))
        assert splitter.pending <= SL651_MAX_FRAME
    # Every byte is accounted for: emitted (a random CRC-valid frame is possible), discarded, or held.
    assert emitted + splitter.discarded_bytes + splitter.pending == len(blob)
    assert splitter.discarded_bytes > len(blob) * 0.99
    assert starts <= checks <= 2 * starts, (checks, starts)
    # And the stream recovers: a real frame after the noise is found.
    out = splitter.feed(SZY_SAMPLE + SL651_TIMED_UP)
    assert out[-2:] == [SZY_SAMPLE, SL651_TIMED_UP]


def test_large_multi_packet_stream() -> None:
    moment = datetime(2024, 7, 1, 9, 0, tzinfo=BEIJING)
    groups = [sl651.encode_element(0x39, Decimal(i).scaleb(-3), nbytes=4, decimals=3) for i in range(600)]
    whole = sl651.encode_report(
        centre=1, station=bytes(5), password=0, serial=1, sent_at=moment, observed_at=moment, elements=groups
    )
    assert len(whole) > 3600
    splitter = FrameSplitter()
    out: list[bytes] = []
    for pos in range(0, len(whole), 1000):
        out += splitter.feed(whole[pos : pos + 1000])
    assert out == [whole]
