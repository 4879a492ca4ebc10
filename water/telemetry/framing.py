"""`FrameSplitter`: cut a TCP byte stream into complete frames of either protocol.

Design (domain.md §3.4 "Parser design notes"): frame 68H messages with the L byte and 7E7E messages with the
12-bit length; re-sync on garbage by scanning for the start bytes. On top of that:

- A structural candidate (start bytes, plausible header, end byte where the length says) is only emitted when its
  checksum is right (``verify_crc=True``). A candidate that fails is counted (``bad_crc``), its bytes kept in
  ``rejected`` for logging, and the scan resumes one byte after its start — so a false start inside garbage
  never swallows the real frame that follows it.
- While a candidate is incomplete the splitter looks further into the buffer for a complete, CRC-valid frame;
  if one is there, the candidate was garbage (e.g. a stray ``7E 7E`` whose "length" would make the splitter wait
  for 4 KB while the real frame sits behind it and the station waits for its ack).
- The buffer is bounded: whatever is held starts at a candidate and is shorter than the longest frame
  (SL 651: 4,112 bytes), and ``max_buffer`` is enforced besides.
- SOH/ASCII SL 651 frames (domain.md §3.3a) are framed by their 4-hex-character length: the header must be hex
  text, the end character where the length says, and the 4 CRC characters hex. A wrong length or non-hex
  header makes the candidate garbage (counted in ``discarded_bytes``).
- Every rejected stretch of the stream (issue 18 "Bad input") — a bad-checksum candidate, a candidate whose
  header or length does not hold, a false start, garbage between frames — is one *run*: counted
  (``rejected_runs``; ``malformed_runs`` those without a bad checksum) and kept in ``rejects`` as a `Reject`
  (the reason of its first bad candidate, its length, the first ``EXCERPT`` bytes) for the gateway's log.
  Consecutive rejected bytes make one run, whatever is inside: a flood of garbage is a few runs, not one per byte.
"""

from __future__ import annotations

from collections import deque
from typing import NamedTuple

from water.telemetry.crc import crc8_e5, crc16_modbus

_SZY_START = 0x68
_SZY_END = 0x16
_SL_MARK = b"\x7e\x7e"
_STX, _SYN = 0x02, 0x16
_SL_ENDS = frozenset({0x03, 0x17, 0x05, 0x06, 0x15, 0x04, 0x1B})
_SOH = 0x01
_HEXCHARS = b"0123456789ABCDEFabcdef"
SZY_MAX_FRAME = 255 + 5
SL651_MAX_FRAME = 0x0FFF + 17
SL651_ASCII_MAX_FRAME = 0x0FFF + 29

_NEED, _BAD, _BADCRC, _OK = 0, 1, 2, 3
EXCERPT = 32  # bytes of a rejected run kept for the log

# Why a run was rejected (for _BAD, `_check` returns the reason's index in place of a size).
REASONS = (
    "garbage (no frame start)",
    "bad CRC",
    "a frame start whose length runs past the next valid frame",
    "SZY 206 header (no second 68H, or a length under 7)",
    "SZY 206 length (no end byte 16H where the length says)",
    "SL 651 ASCII header has non-hex characters",
    "SL 651 length marker (neither 0xxx nor 8xxx)",
    "SL 651 header (no STX/SYN after it, or too short a length for SYN)",
    "SL 651 ASCII length (no end character where the header's length says)",
    "SL 651 ASCII CRC has non-hex characters",
    "SL 651 length (no end character where the length says)",
    "incomplete frame when the connection closed",
    "buffer overflow",
)
(
    _R_GARBAGE,
    _R_BADCRC,
    _R_FALSE_START,
    _R_SZY_HEADER,
    _R_SZY_END,
    _R_ASCII_HEX,
    _R_MARKER,
    _R_START,
    _R_ASCII_LEN,
    _R_ASCII_CRC,
    _R_SL_END,
    _R_CLOSED,
    _R_OVERFLOW,
) = range(len(REASONS))


BAD_CRC = REASONS[_R_BADCRC]


class Reject(NamedTuple):
    """One rejected run of the stream: why (`REASONS`), how many bytes, and its first `EXCERPT` bytes."""

    reason: str
    size: int
    excerpt: bytes


class FrameSplitter:
    """Incremental framer for SZY 206 (68H) and SL 651 (7E7E) streams. One instance per connection.

    ``feed(data)`` returns the complete frames found so far, in order. Counters: ``frames`` emitted,
    ``discarded_bytes`` (garbage, false starts, bad candidates), ``bad_crc`` candidates, ``overflows``,
    ``rejected_runs`` (stretches of rejected bytes; ``malformed_runs``: those without a bad checksum) and the
    last ``keep_rejected`` of them in ``rejects`` (the bad-checksum frames themselves in ``rejected``).
    """

    def __init__(self, *, max_buffer: int = 16384, verify_crc: bool = True, keep_rejected: int = 16) -> None:
        if max_buffer < SL651_ASCII_MAX_FRAME:
            raise ValueError(f"max_buffer must hold the longest frame ({SL651_ASCII_MAX_FRAME} bytes)")
        self.max_buffer = max_buffer
        self.verify_crc = verify_crc
        self.frames = 0
        self.discarded_bytes = 0
        self.bad_crc = 0
        self.overflows = 0
        self.rejected_runs = 0
        self.malformed_runs = 0
        self.rejected: deque[bytes] = deque(maxlen=keep_rejected)
        self.rejects: deque[Reject] = deque(maxlen=keep_rejected)
        self._buf = bytearray()

    @property
    def pending(self) -> int:
        """Bytes held while waiting for the rest of a frame."""
        return len(self._buf)

    def flush(self) -> int:
        """Drop whatever is held (connection closed); returns and counts the dropped bytes."""
        held = len(self._buf)
        if held:
            self._reject(self._buf, 0, held, _R_CLOSED)
        self.discarded_bytes += held
        self._buf.clear()
        return held

    @staticmethod
    def _check(buf: bytearray, p: int, n: int, verify: bool) -> tuple[int, int]:
        """Classify the candidate at ``p``: (_NEED | _BAD | _BADCRC | _OK, frame size)."""
        avail = n - p
        if buf[p] == _SZY_START:
            if avail < 3:
                return _NEED, 0
            if buf[p + 2] != _SZY_START or buf[p + 1] < 7:
                return _BAD, _R_SZY_HEADER
            length = buf[p + 1]
            size = length + 5
            if avail < size:
                return _NEED, size
            if buf[p + size - 1] != _SZY_END:
                return _BAD, _R_SZY_END
            if verify and crc8_e5(buf[p + 3 : p + 3 + length]) != buf[p + 3 + length]:
                return _BADCRC, size
            return _OK, size
        if buf[p] == _SOH:
            if avail < 24:
                return _NEED, 0
            if bytes(buf[p + 1 : p + 23]).translate(None, _HEXCHARS):
                return _BAD, _R_ASCII_HEX
            marker = int(buf[p + 19 : p + 23], 16)
            if marker >> 12 not in (0x0, 0x8):
                return _BAD, _R_MARKER
            start = buf[p + 23]
            length = marker & 0x0FFF
            if start not in (_STX, _SYN) or (start == _SYN and length < 6):
                return _BAD, _R_START
            size = length + 29
            if avail < size:
                return _NEED, size
            crc_text = bytes(buf[p + size - 4 : p + size])
            if buf[p + 24 + length] not in _SL_ENDS:
                return _BAD, _R_ASCII_LEN
            if crc_text.translate(None, _HEXCHARS):
                return _BAD, _R_ASCII_CRC
            if verify and crc16_modbus(buf[p : p + 25 + length]) != int(crc_text, 16):
                return _BADCRC, size
            return _OK, size
        # 7E 7E
        if avail < 13:
            return _NEED, 0
        marker = (buf[p + 11] << 8) | buf[p + 12]
        if marker >> 12 not in (0x0, 0x8):
            return _BAD, _R_MARKER
        if avail < 14:
            return _NEED, 0
        start = buf[p + 13]
        length = marker & 0x0FFF
        if start not in (_STX, _SYN) or (start == _SYN and length < 3):
            return _BAD, _R_START
        size = length + 17
        if avail < size:
            return _NEED, size
        if buf[p + 14 + length] not in _SL_ENDS:
            return _BAD, _R_SL_END
        if verify and crc16_modbus(buf[p : p + 15 + length]) != ((buf[p + 15 + length] << 8) | buf[p + 16 + length]):
            return _BADCRC, size
        return _OK, size

    @staticmethod
    def _next_candidate(buf: bytearray, p: int, n: int) -> int:
        found = [i for i in (buf.find(_SZY_START, p, n), buf.find(_SL_MARK, p, n), buf.find(_SOH, p, n)) if i >= 0]
        return min(found) if found else -1

    def _valid_ahead(self, buf: bytearray, p: int, n: int) -> int:
        """Start of the first complete frame with a good checksum after ``p`` (or -1)."""
        q = self._next_candidate(buf, p + 1, n)
        while q >= 0:
            if self._check(buf, q, n, True)[0] == _OK:
                return q
            q = self._next_candidate(buf, q + 1, n)
        return -1

    def _reject(self, buf: bytearray, start: int, stop: int, why: int) -> None:
        self.rejected_runs += 1
        if why != _R_BADCRC:
            self.malformed_runs += 1
        self.rejects.append(Reject(REASONS[why], stop - start, bytes(buf[start : min(stop, start + EXCERPT)])))

    def feed(self, data: bytes | bytearray | memoryview) -> list[bytes]:
        """Add received bytes; return the frames they complete (possibly several, possibly none)."""
        buf = self._buf
        buf += data
        n = len(buf)
        out: list[bytes] = []
        p = 0
        next68 = -2  # cached search results: random garbage must not cost a fresh scan per false start
        next7e = -2
        next01 = -2
        run = -1  # start of the rejected run being scanned (-1: none), and why (its first bad candidate's reason)
        why = _R_GARBAGE
        while p < n:
            if next68 != -1 and next68 < p:
                next68 = buf.find(_SZY_START, p)
            if next7e != -1 and next7e < p:
                next7e = buf.find(_SL_MARK, p)
            if next01 != -1 and next01 < p:
                next01 = buf.find(_SOH, p)
            if next68 < 0 and next7e < 0 and next01 < 0:
                # Keep a trailing 7E: it may be the first half of a 7E 7E split across reads.
                keep = n - 1 if buf[n - 1] == 0x7E else n
                if keep > p and run < 0:
                    run, why = p, _R_GARBAGE
                self.discarded_bytes += keep - p
                p = keep
                break
            cand = min(i for i in (next68, next7e, next01) if i >= 0)
            if cand > p:
                if run < 0:
                    run, why = p, _R_GARBAGE
                self.discarded_bytes += cand - p
                p = cand
            status, size = self._check(buf, p, n, self.verify_crc)
            if status == _OK:
                if run >= 0:
                    self._reject(buf, run, p, why)
                    run = -1
                out.append(bytes(buf[p : p + size]))
                self.frames += 1
                p += size
            elif status == _NEED:
                ahead = self._valid_ahead(buf, p, n)
                if ahead < 0:
                    break
                if run < 0:
                    run, why = p, _R_FALSE_START
                elif why == _R_GARBAGE:
                    why = _R_FALSE_START
                self.discarded_bytes += ahead - p
                p = ahead
            else:
                if status == _BADCRC:
                    self.bad_crc += 1
                    self.rejected.append(bytes(buf[p : p + size]))
                    size = _R_BADCRC
                if run < 0:
                    run, why = p, size
                elif why == _R_GARBAGE:
                    why = size
                self.discarded_bytes += 1
                p += 1
        if run >= 0:
            self._reject(buf, run, p, why)
        del buf[:p]
        if len(buf) > self.max_buffer:  # defensive: cannot happen while max_buffer ≥ the longest frame
            self.overflows += 1
            self._reject(buf, 0, len(buf), _R_OVERFLOW)
            self.discarded_bytes += len(buf)
            buf.clear()
        return out
