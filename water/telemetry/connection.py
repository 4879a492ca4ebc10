"""One station's TCP connection as the gateway's parts see it: the writer, the peer, and whether it closed.

Its own module (issue 20): the gateway creates connections, and the storing half (`gateway_writer`) and the
downlink send on them; with the class in `gateway.py` those two imported the gateway that imports them.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass


@dataclass(eq=False, slots=True)
class Connection:
    writer: asyncio.StreamWriter
    peer: str
    closed: bool = False
    warned_password: bool = False  # a wrong password is logged once per connection, counted every time

    def send(self, data: bytes) -> bool:
        if self.closed or self.writer.is_closing():
            return False
        try:
            self.writer.write(data)
        except (ConnectionError, RuntimeError):
            self.closed = True
            return False
        return True
