"""Sample frames transcribed from domain.md §3 (hex exactly as printed there, separators removed).

Each constant notes the section and the values domain.md gives for it.
"""

from __future__ import annotations

from water.telemetry import frame_from_text

# §3.2 "Worked SZY 206-2016 sample" (hm1212 test class): flow 5.900, cumulative volume 106182 (pair reading),
# address 530381 / station 13, Tp day 09 08:45:00, allowed delay 10 min, CS 35.
SZY_SAMPLE_TEXT = (
    "68 1A 68 | B3 | 53 03 81 0D 00 | C0 | 00 59 00 00 00 | 82 61 10 00 00 | 01 10 | 60 00 | 00 45 08 09 0A | 35 | 16"
)

# §3.3 "Verified sample frames".
SL651_KEEPALIVE_TEXT = "7E7E 01 0012345678 1234 2F 0008 02 0003 591011155111 03 6BCA"
SL651_TEST_UP_TEXT = (
    "7E7E 01 0012345678 1234 30 002B 02 0003 591011154947 F1F1 0012345678 48 F0F0 5910111549"
    " 20 19 000005 | 26 19 000005 | 39 23 00000127 | 38 12 1115 | 03 20FA"
)  # → rain 0.5 mm, accumulated 0.5 mm, level 0.127 m, battery 11.15 V
SL651_TEST_DOWN_TEXT = "7E7E 0012345678 01 1234 30 8008 02 0003 591011154947 1B 75D4"  # ESC = stay online
# → level 10.490 m, voltage 10.99 V
SL651_TIMED_UP_TEXT = (
    "7E7E05001122334403E832002B020034170718110016F1F1001122334448F0F0"
    "1707181100201900004026190000403923000104903812109903A421"
)

SZY_SAMPLE = frame_from_text(SZY_SAMPLE_TEXT)
SL651_KEEPALIVE = frame_from_text(SL651_KEEPALIVE_TEXT)
SL651_TEST_UP = frame_from_text(SL651_TEST_UP_TEXT)
SL651_TEST_DOWN = frame_from_text(SL651_TEST_DOWN_TEXT)
SL651_TIMED_UP = frame_from_text(SL651_TIMED_UP_TEXT)

# §3.3 names handsomestWei/sl651-2014 Crc16Util.java as holding "another verified frame (CRC 8397)"; its bytes are
# not printed in domain.md, so they were transcribed from that file (the second frame there does not verify and is
# deliberately not used).
SL651_CRC8397 = frame_from_text(
    "7E 7E 01 00 10 10 00 01 A0 00 32 00 2B 02 00 0C 20 07 24 17 23 49 F1 F1 00 10 10 00 01 48 F0 F0 20 07 24 17 23"
    " 20 19 00 01 30 22 19 00 00 40 39 23 00 00 05 50 38 12 12 68 03 83 97"
)

ALL_SL651 = (SL651_KEEPALIVE, SL651_TEST_UP, SL651_TEST_DOWN, SL651_TIMED_UP, SL651_CRC8397)
