"""Running calls at the same moment on separate database connections, for the race tests."""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import TypeVar

from django.db import connection

T = TypeVar("T")


def race(calls: list[Callable[[], T]], *, timeout: float = 120) -> list[T]:
    """Run every call on its own thread, all released together by a barrier, each on its own
    database connection (closed when it returns). Returns the results in the calls' order; the first
    exception a call raised is raised here once all have finished."""
    barrier = threading.Barrier(len(calls))
    results: list[T | None] = [None] * len(calls)
    failures: list[BaseException] = []

    def run(i: int, call: Callable[[], T]) -> None:
        try:
            barrier.wait(timeout=10)
            results[i] = call()
        except BaseException as exc:  # reported to the calling thread
            failures.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=run, args=(i, call)) for i, call in enumerate(calls)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=timeout)
    if any(t.is_alive() for t in threads):
        raise TimeoutError(f"a racing call did not finish within {timeout} s")
    if failures:
        raise failures[0]
    return results  # type: ignore[return-value]
