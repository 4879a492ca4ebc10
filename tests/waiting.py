"""Waiting for something another process or thread does: poll a condition to a deadline, never a
fixed sleep followed by an assertion (issue 20)."""

from __future__ import annotations

import time
from collections.abc import Callable


def wait_until(condition: Callable[[], bool], seconds: float = 30, *, interval: float = 0.05) -> bool:
    """Whether `condition()` became true before `seconds` passed (checked every `interval`)."""
    deadline = time.monotonic() + seconds
    while not condition():
        if time.monotonic() > deadline:
            return False
        time.sleep(interval)
    return True
