"""One station's TCP connection as the gateway's parts see it: the writer, the peer, and whether it closed.

Its own module (issue 20): the gateway creates connections, and the storing half (`gateway_writer`) and the
downlink send on them; with the class in `gateway.py` those two imported the gateway that imports them.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from typing import Any


@dataclass(eq=False, slots=True)
class Connection:
    writer: asyncio.StreamWriter
    peer: str
    closed: bool = False
    warned_password: bool = False  # a wrong password is logged once per connection, counted every time
    station: tuple[str, str] | None = None  # (protocol, address) of its latest frame: charged with rejected bytes
    # The log budget for rejected bytes (gateway_rejects.RejectLog), made at the first rejection; typed
    # loosely so that this module imports nothing of the gateway's parts.
    rejects: Any = None
    malformed_seen: int = 0  # the splitter's malformed_runs and bad_crc already counted
    bad_crc_seen: int = 0

    def send(self, data: bytes) -> bool:
        if self.closed or self.writer.is_closing():
            return False
        try:
            self.writer.write(data)
        except (ConnectionError, RuntimeError):
            self.closed = True
            return False
        return True
